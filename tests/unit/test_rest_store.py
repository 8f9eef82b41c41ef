"""RestStore's HTTP behaviour and JSON codec, against an HTTP fake (``httpx.MockTransport``).

The fake stands in for the network only; the contract suite runs RestStore against a real
server.
"""

from __future__ import annotations

import base64
import math
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import orjson
import pytest

from runstone.client.stores import open_store
from runstone.config import RestSettings
from runstone.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LifecycleStage,
    Metric,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from runstone.errors import (
    AlreadyExists,
    InternalError,
    InvalidParameterValue,
    NotFound,
    PermissionDenied,
    RunstoneError,
    TemporarilyUnavailable,
    Unauthenticated,
)
from runstone.store import rest
from runstone.store.rest import RestStore
from runstone.wire.http import make_http_client, tls_verification

BASE = "http://tracking.test/prefix"
API = "/prefix/api/2.0/mlflow/"
RUN_ID = "0123456789abcdef0123456789abcdef"
FAST = RestSettings(max_retries=3, backoff_factor=0.0, backoff_jitter=0.0)

Reply = httpx.Response | Exception
Handler = Callable[[httpx.Request], Reply]


@dataclass
class FakeServer:
    """Answers requests from a script of replies (the last one repeats) and records them."""

    replies: list[Reply] | Handler
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if callable(self.replies):
            reply = self.replies(request)
        else:
            index = min(len(self.requests), len(self.replies)) - 1
            reply = self.replies[index]
        if isinstance(reply, Exception):
            raise reply
        return reply

    @property
    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    def body(self, index: int = -1) -> Any:
        return orjson.loads(self.requests[index].content)


def ok(payload: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.Response(200, json=payload or {})


def error(status: int, code: str, message: str = "boom") -> httpx.Response:
    return httpx.Response(status, json={"error_code": code, "message": message})


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[RestStore, FakeServer]]]:
    opened: list[RestStore] = []

    def make(
        replies: list[Reply] | Handler, settings: RestSettings = FAST
    ) -> tuple[RestStore, FakeServer]:
        server = FakeServer(replies)
        client = make_http_client(settings, transport=httpx.MockTransport(server))
        store = RestStore(BASE, settings, client=client)
        opened.append(store)
        return store, server

    yield make
    for store in opened:
        store.close()


RUN_JSON = {
    "info": {
        "run_id": RUN_ID,
        "run_uuid": RUN_ID,
        "run_name": "r",
        "experiment_id": "1",
        "user_id": "ada",
        "status": "FINISHED",
        "start_time": 5,
        "end_time": 9,
        "artifact_uri": "file:///a/1/x/artifacts",
        "lifecycle_stage": "active",
    },
    "data": {
        "metrics": [{"key": "m", "value": "NaN", "timestamp": 3, "step": 2}],
        "params": [{"key": "p", "value": "1"}],
        "tags": [{"key": "t", "value": "x"}],
    },
    "inputs": {
        "dataset_inputs": [
            {
                "tags": [{"key": "mlflow.data.context", "value": "train"}],
                "dataset": {"name": "d", "digest": "1", "source_type": "local", "source": "s"},
            }
        ]
    },
}


# -- requests and responses ------------------------------------------------------------------


def test_create_experiment_posts_json_under_the_uri_prefix(serve: Any) -> None:
    store, server = serve([ok({"experiment_id": "7"})])
    assert store.create_experiment("e", "s3://b/x", tags={"k": "v"}) == "7"
    (request,) = server.requests
    assert request.method == "POST"
    assert str(request.url) == "http://tracking.test/prefix/api/2.0/mlflow/experiments/create"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("runstone/")
    assert server.body() == {
        "name": "e",
        "artifact_location": "s3://b/x",
        "tags": [{"key": "k", "value": "v"}],
    }


def test_reads_are_gets_with_query_parameters(serve: Any) -> None:
    store, server = serve([ok({"run": RUN_JSON})])
    run = store.get_run(RUN_ID)
    assert server.requests[0].method == "GET"
    assert server.paths == [API + "runs/get"]
    assert dict(server.requests[0].url.params) == {"run_id": RUN_ID}
    assert run.info.status is RunStatus.FINISHED
    assert run.info.end_time == 9
    assert run.data.params == {"p": "1"}
    assert run.data.tags == {"t": "x"}
    assert math.isnan(run.data.metrics["m"].value)
    assert run.data.metrics["m"][2:] == (3, 2, None)
    (item,) = run.inputs.dataset_inputs
    assert item == DatasetInput(
        Dataset("d", "1", "local", "s"), (InputTag("mlflow.data.context", "train"),)
    )


def test_omitted_fields_decode_to_their_defaults(serve: Any) -> None:
    store, _ = serve(
        [
            ok({"run": {"info": {"run_uuid": RUN_ID, "experiment_id": "1"}}}),
            ok({"experiment": {"experiment_id": "3", "name": "x"}}),
            ok(),
        ]
    )
    run = store.get_run(RUN_ID)
    assert run.info.run_id == RUN_ID
    assert (run.info.status, run.info.start_time, run.info.end_time) == (RunStatus.RUNNING, 0, None)
    assert run.info.lifecycle_stage is LifecycleStage.ACTIVE
    assert (run.info.run_name, run.info.user_id, run.info.artifact_uri) == ("", "", "")
    assert (run.data.metrics, run.data.params, run.data.tags) == ({}, {}, {})
    assert run.inputs.dataset_inputs == ()
    exp = store.get_experiment("3")
    assert (exp.tags, exp.artifact_location, exp.creation_time) == ({}, "", 0)
    page = store.search_runs(["3"])
    assert (page.items, page.next_page_token) == ((), None)


def test_requests_leave_out_unset_fields_and_send_enums_by_name(serve: Any) -> None:
    store, server = serve([ok({"run_info": RUN_JSON["info"]}), ok({"experiments": []})])
    store.update_run_info(RUN_ID, status=RunStatus.KILLED)
    assert server.body(0) == {"run_id": RUN_ID, "status": "KILLED"}
    store.search_experiments(view_type=ViewType.DELETED_ONLY, max_results=5)
    assert server.body(1) == {"view_type": "DELETED_ONLY", "max_results": 5}


def test_create_run_accepts_a_mapping_or_run_tags_and_sends_a_start_time(serve: Any) -> None:
    store, server = serve([ok({"run": RUN_JSON})])
    store.create_run("1", tags={"a": "1"}, run_name="r")
    store.create_run(1, user_id="ada", start_time=0, tags=[RunTag("b", "2")])  # type: ignore[arg-type]
    first, second = server.body(0), server.body(1)
    assert first["tags"] == [{"key": "a", "value": "1"}]
    assert first["run_name"] == "r"
    assert first["start_time"] > 1_600_000_000_000  # "now", not MLflow's server default of 0
    assert second == {
        "experiment_id": "1",
        "user_id": "ada",
        "start_time": 0,
        "tags": [{"key": "b", "value": "2"}],
    }


def test_metric_summaries_come_from_the_ajax_api(serve: Any) -> None:
    summary = {
        "key": "m",
        "last_value": "Infinity",
        "last_timestamp": 4,
        "last_step": 3,
        "min_value": "-Infinity",
        "max_value": "NaN",
        "count": 2,
    }
    store, server = serve([ok({"summaries": [summary]})])
    (got,) = store.get_metric_summaries(RUN_ID)
    assert server.paths == ["/prefix/ajax-api/2.0/mlflow/runs/metric-summaries"]
    assert (got.last_value, got.min_value, got.count) == (math.inf, -math.inf, 2)
    assert math.isnan(got.max_value)


# -- NaN and infinities ----------------------------------------------------------------------


def test_non_finite_metric_values_are_sent_as_strings(serve: Any) -> None:
    store, server = serve([ok()])
    store.log_batch(
        RUN_ID,
        metrics=[
            Metric("m", math.nan, 1, 0),
            Metric("m", math.inf, 1, 1),
            Metric("m", -math.inf, 1, 2),
            Metric("m", np.float32(0.5), 1, 3),  # type: ignore[arg-type]
        ],
        params=[Param("p", "1")],
    )
    body = server.body()
    assert [m["value"] for m in body["metrics"]] == ["NaN", "Infinity", "-Infinity", 0.5]
    assert body["params"] == [{"key": "p", "value": "1"}]
    assert "tags" not in body
    store.log_metric(RUN_ID, Metric("m", math.nan, 7, 8))
    assert server.body() == {
        "run_id": RUN_ID,
        "key": "m",
        "value": "NaN",
        "timestamp": 7,
        "step": 8,
    }


def test_finite_batches_are_sent_as_plain_numbers(serve: Any) -> None:
    store, server = serve([ok()])
    store.log_batch(RUN_ID, metrics=[Metric("m", 0.25, 1, 0), Metric("m", 2, 2, 1)])
    assert [m["value"] for m in server.body()["metrics"]] == [0.25, 2.0]
    store.log_batch(RUN_ID, metrics=[Metric("m", 1e308, 1, 0), Metric("m", 1e308, 1, 1)])
    assert [m["value"] for m in server.body()["metrics"]] == [1e308, 1e308]  # sum overflows


def test_history_decodes_non_finite_strings_into_numpy_columns(serve: Any) -> None:
    points = [
        {"key": "m", "value": "NaN", "timestamp": 1, "step": 0},
        {"key": "m", "value": "Infinity", "timestamp": 2, "step": 1},
        {"key": "m", "value": "-Infinity", "timestamp": 3},
        {"key": "m", "value": 1, "timestamp": 4, "step": 2**62},
    ]
    store, _ = serve([ok({"metrics": points})])
    history = store.get_metric_history(RUN_ID, "m")
    assert history.steps.dtype == np.int64
    assert history.steps.tolist() == [0, 1, 0, 2**62]
    assert history.timestamps.tolist() == [1, 2, 3, 4]
    values = history.values.tolist()
    assert math.isnan(values[0])
    assert values[1:] == [math.inf, -math.inf, 1.0]


# -- paging ----------------------------------------------------------------------------------


def test_full_history_reads_every_page_and_concatenates_them(serve: Any) -> None:
    def pages(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("page_token")
        start = 0 if token is None else int(token)
        points = [
            {"key": "m", "value": float(i), "timestamp": i, "step": i}
            for i in range(start, start + 3)
        ]
        return ok({"metrics": points, **({"next_page_token": str(start + 3)} if start < 6 else {})})

    store, server = serve(pages)
    history = store.get_metric_history(RUN_ID, "m")
    assert history.steps.tolist() == list(range(9))
    assert history.values.tolist() == [float(i) for i in range(9)]
    assert history.next_page_token is None
    assert [r.url.params.get("page_token") for r in server.requests] == [None, "3", "6"]
    assert {r.url.params["max_results"] for r in server.requests} == {str(rest.HISTORY_PAGE_SIZE)}
    assert {r.url.params["metric_key"] for r in server.requests} == {"m"}


def test_history_with_max_results_is_one_page_with_its_token(serve: Any) -> None:
    store, server = serve(
        [ok({"metrics": [{"key": "m", "value": 1.0, "timestamp": 1}], "next_page_token": "nx"})]
    )
    page = store.get_metric_history(RUN_ID, "m", max_results=1, page_token="tok")
    assert (len(page), page.next_page_token) == (1, "nx")
    assert dict(server.requests[0].url.params) == {
        "run_id": RUN_ID,
        "metric_key": "m",
        "max_results": "1",
        "page_token": "tok",
    }


def test_search_pages_pass_the_token_through(serve: Any) -> None:
    exp = {"experiment_id": "1", "name": "a", "lifecycle_stage": "deleted"}
    store, server = serve([ok({"experiments": [exp], "next_page_token": "t2"})])
    page = store.search_experiments(ViewType.ALL, 1, "name LIKE 'a%'", ["name"], page_token="t1")
    assert page.next_page_token == "t2"
    assert page[0].lifecycle_stage is LifecycleStage.DELETED
    assert server.body() == {
        "view_type": "ALL",
        "max_results": 1,
        "filter": "name LIKE 'a%'",
        "order_by": ["name"],
        "page_token": "t1",
    }


def test_sampled_histories_are_grouped_per_run_in_the_order_asked(serve: Any) -> None:
    a, b, c = "a" * 32, "b" * 32, "c" * 32
    rows = [
        {"key": "m", "value": 2.0, "timestamp": 1, "step": 0, "run_id": b},
        {"key": "m", "value": 1.0, "timestamp": 1, "step": 0, "run_id": a},
        {"key": "m", "value": 2.5, "timestamp": 2, "step": 5, "run_id": b},
    ]
    store, server = serve([ok({"metrics": rows})])
    result = store.get_metric_history_sampled(
        [a, b, a, c], "m", max_points=50, start_step=0, end_step=9
    )
    assert [h.run_id for h in result] == [a, b, c]
    assert [h.values.tolist() for h in result] == [[1.0], [2.0, 2.5], []]
    assert [m.run_id for m in result[1]] == [b, b]
    (request,) = server.requests
    assert request.url.path == API + "metrics/get-history-bulk-interval"
    assert request.url.params.get_list("run_ids") == [a, b, c]
    assert (request.url.params["max_results"], request.url.params["start_step"]) == ("50", "0")


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "cls", "code"),
    [
        (error(404, "RESOURCE_DOES_NOT_EXIST", "Run with id=x not found"), NotFound, None),
        (error(400, "INVALID_PARAMETER_VALUE"), InvalidParameterValue, None),
        (error(400, "RESOURCE_ALREADY_EXISTS"), AlreadyExists, None),
        (error(403, "PERMISSION_DENIED"), PermissionDenied, None),
        (error(500, "SOMETHING_NEW"), RunstoneError, "SOMETHING_NEW"),
        (error(503, "503"), TemporarilyUnavailable, None),  # a status number as the code
        (httpx.Response(404, text="<html>Not Found</html>"), RunstoneError, "ENDPOINT_NOT_FOUND"),
        (httpx.Response(401, text="Unauthorized"), Unauthenticated, None),
        (httpx.Response(403, text="Forbidden"), PermissionDenied, None),
        (httpx.Response(500, text="oops"), InternalError, None),
        (httpx.Response(502, text="Bad Gateway"), InternalError, None),
        (httpx.Response(503, text="down"), TemporarilyUnavailable, None),
        (httpx.Response(504, text="slow"), RunstoneError, "DEADLINE_EXCEEDED"),
        (httpx.Response(409, json={"detail": "no code"}), RunstoneError, "ALREADY_EXISTS"),
    ],
)
def test_error_answers_become_runstone_errors(
    serve: Any, reply: httpx.Response, cls: type[RunstoneError], code: str | None
) -> None:
    store, _ = serve([reply], RestSettings(max_retries=0))
    with pytest.raises(cls) as raised:
        store.delete_run(RUN_ID)
    assert raised.value.code == (code or cls.code)
    if reply.headers["content-type"] == "application/json" and "error_code" in reply.json():
        assert raised.value.message == reply.json()["message"]
    else:
        assert f"HTTP {reply.status_code}" in raised.value.message
        assert f"{BASE}/api/2.0/mlflow/runs/delete" in raised.value.message


def test_html_404_is_a_missing_endpoint_not_a_missing_experiment(serve: Any) -> None:
    store, _ = serve([httpx.Response(404, html="<h1>Not Found</h1>")])
    with pytest.raises(RunstoneError) as raised:
        store.get_experiment_by_name("x")
    assert not isinstance(raised.value, NotFound)
    assert raised.value.code == "ENDPOINT_NOT_FOUND"
    assert "Not Found" in raised.value.message


def test_json_404_on_get_by_name_means_no_such_experiment(serve: Any) -> None:
    store, server = serve([error(404, "RESOURCE_DOES_NOT_EXIST")])
    assert store.get_experiment_by_name("x") is None
    assert dict(server.requests[0].url.params) == {"experiment_name": "x"}


def test_a_success_that_is_not_json_is_an_internal_error(serve: Any) -> None:
    store, _ = serve([httpx.Response(200, html="<html>a login page</html>")])
    with pytest.raises(InternalError, match=r"not a JSON object .*tracking server"):
        store.get_run(RUN_ID)


def test_a_response_missing_required_fields_is_an_internal_error(serve: Any) -> None:
    store, _ = serve([ok({"unexpected": 1})])
    with pytest.raises(InternalError, match="cannot read"):
        store.get_run(RUN_ID)


def test_arguments_json_cannot_carry_are_refused_before_sending(serve: Any) -> None:
    store, server = serve([ok()])
    with pytest.raises(InvalidParameterValue, match=r"metrics\[0\]\.value"):
        store.log_metric(RUN_ID, Metric("m", "0.5", 1, 0))  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterValue, match=r"params\[0\]\.value"):
        store.log_param(RUN_ID, "p", 3)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterValue, match="experiment name"):
        store.create_experiment("")
    with pytest.raises(InvalidParameterValue, match="at most 1000 metrics"):
        store.log_batch(RUN_ID, metrics=[Metric("m", 1.0, 1, i) for i in range(1001)])
    assert server.requests == []


# -- retries ---------------------------------------------------------------------------------


def test_log_batch_is_retried_on_503_until_it_succeeds(serve: Any) -> None:
    unavailable = error(503, "TEMPORARILY_UNAVAILABLE")
    store, server = serve([unavailable, httpx.Response(502), ok()])
    store.log_batch(RUN_ID, metrics=[Metric("m", 1.0, 1, 0)])
    assert len(server.requests) == 3
    assert server.body(0) == server.body(2)


def test_retries_stop_after_max_retries_with_the_servers_error(serve: Any) -> None:
    store, server = serve([error(503, "TEMPORARILY_UNAVAILABLE", "database is locked")])
    with pytest.raises(TemporarilyUnavailable, match="database is locked"):
        store.set_tag(RUN_ID, "t", "v")
    assert len(server.requests) == FAST.max_retries + 1


def test_connect_errors_are_retried_even_for_deletes(serve: Any) -> None:
    refused = httpx.ConnectError("Connection refused")
    store, server = serve([refused, refused, ok()])
    store.delete_experiment("3")
    assert len(server.requests) == 3


def test_connection_failures_become_temporarily_unavailable_naming_the_url(serve: Any) -> None:
    store, server = serve([httpx.ConnectError("Connection refused")])
    with pytest.raises(TemporarilyUnavailable) as raised:
        store.get_run(RUN_ID)
    assert BASE in raised.value.message
    assert "Connection refused" in raised.value.message
    assert f"tried {FAST.max_retries + 1} times" in raised.value.message
    assert len(server.requests) == FAST.max_retries + 1


def test_a_refused_connection_on_a_real_socket_is_temporarily_unavailable() -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = RestStore(f"http://127.0.0.1:{port}", RestSettings(max_retries=1, backoff_factor=0))
    try:
        with pytest.raises(TemporarilyUnavailable, match=f"127.0.0.1:{port}.*tried 2 times"):
            store.log_metric(RUN_ID, Metric("m", 1.0, 1, 0))
    finally:
        store.close()


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.delete_run(RUN_ID),
        lambda s: s.restore_run(RUN_ID),
        lambda s: s.delete_tag(RUN_ID, "t"),
        lambda s: s.delete_experiment("1"),
        lambda s: s.restore_experiment("1"),
        lambda s: s.delete_experiment_tag("1", "t"),
    ],
    ids=["delete", "restore", "delete-tag", "delete-exp", "restore-exp", "delete-exp-tag"],
)
def test_deletes_and_restores_are_not_retried_once_they_may_have_arrived(
    serve: Any, call: Callable[[RestStore], None]
) -> None:
    store, server = serve([httpx.Response(503, text="busy")])
    with pytest.raises(TemporarilyUnavailable):
        call(store)
    assert len(server.requests) == 1
    store, server = serve([httpx.ReadTimeout("timed out"), ok()])
    with pytest.raises(TemporarilyUnavailable, match="may or may not have been applied"):
        call(store)
    assert len(server.requests) == 1


def test_idempotent_writes_are_retried_after_a_lost_answer(serve: Any) -> None:
    store, server = serve([httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("gone"), ok()])
    store.log_param(RUN_ID, "p", "1")
    assert len(server.requests) == 3


def test_a_create_sends_one_idempotency_key_on_every_retry(serve: Any) -> None:
    store, server = serve(
        [
            httpx.ReadTimeout("timed out"),
            error(503, "TEMPORARILY_UNAVAILABLE"),
            ok({"run": RUN_JSON}),
        ]
    )
    store.create_run("1")
    keys = [r.headers["Idempotency-Key"] for r in server.requests]
    assert len(keys) == 3
    assert len(set(keys)) == 1
    assert len(keys[0]) == 32
    int(keys[0], 16)
    store.create_run("1")
    assert server.requests[-1].headers["Idempotency-Key"] != keys[0]  # a new call, a new key


def test_experiment_create_carries_an_idempotency_key_too(serve: Any) -> None:
    store, server = serve([httpx.RemoteProtocolError("gone"), ok({"experiment_id": "4"})])
    assert store.create_experiment("x") == "4"
    first, second = (r.headers["Idempotency-Key"] for r in server.requests)
    assert first == second


def test_other_requests_carry_no_idempotency_key(serve: Any) -> None:
    store, server = serve([ok()])
    store.set_tag(RUN_ID, "t", "v")
    assert "Idempotency-Key" not in server.requests[0].headers


def test_backoff_grows_exponentially_and_honours_retry_after(
    serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(rest.time, "sleep", waits.append)
    settings = RestSettings(
        max_retries=4, backoff_factor=0.5, backoff_jitter=0.0, backoff_max_s=10.0
    )
    refused = httpx.ConnectError("no")
    hint = httpx.Response(429, headers={"Retry-After": "7"}, text="slow down")
    long_hint = httpx.Response(429, headers={"Retry-After": "600"}, text="slow down")
    store, _ = serve([refused, refused, hint, long_hint, ok()], settings)
    store.set_experiment_tag("1", "k", "v")
    # 0.5 * 2**n, raised to the server's hint, never above backoff_max_s
    assert waits == [0.5, 1.0, 7.0, 10.0]


def test_jitter_adds_up_to_backoff_jitter_seconds(
    serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(rest.time, "sleep", waits.append)
    settings = RestSettings(max_retries=20, backoff_factor=0.0, backoff_jitter=0.5)
    store, _ = serve([httpx.ConnectError("no")] * 20 + [ok()], settings)
    store.set_experiment_tag("1", "k", "v")
    assert len(waits) == 20
    assert all(0.0 <= w <= 0.5 for w in waits)
    assert len(set(waits)) > 1


# -- settings and auth -----------------------------------------------------------------------


def _authorization(settings: RestSettings) -> str | None:
    server = FakeServer([ok()])
    with make_http_client(settings, transport=httpx.MockTransport(server)) as client:
        RestStore(BASE, settings, client=client).set_tag(RUN_ID, "t", "v")
    return server.requests[0].headers.get("Authorization")


def test_basic_auth_from_mlflow_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ada")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "s3cret")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "ignored-when-a-password-is-set")
    expected = "Basic " + base64.b64encode(b"ada:s3cret").decode()
    assert _authorization(RestSettings.from_env()) == expected


def test_bearer_token_from_runstone_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNSTONE_TRACKING_TOKEN", "tok-1")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok-2")
    assert _authorization(RestSettings.from_env()) == "Bearer tok-1"


def test_no_credentials_no_authorization_header() -> None:
    assert _authorization(RestSettings.from_env()) is None


def test_rest_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert RestSettings.from_env() == RestSettings()
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("RUNSTONE_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("MLFLOW_TRACKING_INSECURE_TLS", "true")
    settings = RestSettings.from_env()
    assert (settings.timeout_s, settings.max_retries, settings.backoff_factor) == (30.0, 0, 0.0)
    assert settings.insecure_tls is True
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "-1")
    with pytest.raises(ValueError, match="HTTP_REQUEST_MAX_RETRIES must be 0 or more"):
        RestSettings.from_env()


def test_timeouts_reach_the_http_client() -> None:
    settings = RestSettings(timeout_s=30.0, connect_timeout_s=5.0)
    with make_http_client(settings) as client:
        assert client.timeout == httpx.Timeout(30.0, connect=5.0)


def test_tls_verification_can_be_switched_off() -> None:
    assert tls_verification(RestSettings()) is True
    assert tls_verification(RestSettings(insecure_tls=True)) is False


def test_open_store_gives_a_rest_store_for_server_uris(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    store = open_store("https://tracking.example.com/mlflow/")
    try:
        assert isinstance(store, RestStore)
        assert store.base_url == "https://tracking.example.com/mlflow"
    finally:
        store.close()


def test_rest_store_needs_an_http_uri() -> None:
    with pytest.raises(ValueError, match="http"):
        RestStore("sqlite:///x.db")
