"""MLflow's REST rules, checked over real HTTP against a live server (mlflow-compat.md §1)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.server.conftest import API


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code
    return str(body["message"])


# -- request decoding --------------------------------------------------------------------------


def test_post_without_json_content_type_is_refused(http: httpx.Client) -> None:
    missing = http.post(f"{API}/experiments/create", content=b'{"name": "x"}')
    assert "Content-Type" in _error(missing, 400, "INVALID_PARAMETER_VALUE")
    wrong = http.post(
        f"{API}/experiments/create",
        content=b'{"name": "x"}',
        headers={"Content-Type": "text/plain"},
    )
    _error(wrong, 400, "INVALID_PARAMETER_VALUE")
    with_charset = http.post(
        f"{API}/experiments/create",
        content=b'{"name": "x"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert with_charset.status_code == 200


def test_camel_case_names_are_accepted_but_not_both_spellings(
    http: httpx.Client, experiment_id: str
) -> None:
    camel = http.post(
        f"{API}/runs/search", json={"experimentIds": [experiment_id], "maxResults": 5}
    )
    assert camel.status_code == 200, camel.text
    both = http.post(
        f"{API}/runs/search",
        json={"experiment_ids": [experiment_id], "max_results": 5, "maxResults": 5},
    )
    assert "max_results" in _error(both, 400, "INVALID_PARAMETER_VALUE")


def test_missing_or_empty_required_field_names_it(http: httpx.Client) -> None:
    absent = http.post(f"{API}/experiments/create", json={})
    assert "Missing value for required parameter 'name'" in _error(
        absent, 400, "INVALID_PARAMETER_VALUE"
    )
    empty = http.get(f"{API}/runs/get", params={"run_id": ""})
    assert "'run_id'" in _error(empty, 400, "INVALID_PARAMETER_VALUE")


def test_wrong_types_are_invalid_parameter_values(http: httpx.Client, run_id: str) -> None:
    boolean = http.post(
        f"{API}/runs/log-metric",
        json={"run_id": run_id, "key": "m", "value": True, "timestamp": 1},
    )
    assert "'value'" in _error(boolean, 400, "INVALID_PARAMETER_VALUE")
    fraction = http.post(
        f"{API}/runs/log-metric",
        json={"run_id": run_id, "key": "m", "value": 1, "timestamp": 1.5},
    )
    assert "'timestamp'" in _error(fraction, 400, "INVALID_PARAMETER_VALUE")
    not_json = http.post(
        f"{API}/runs/log-batch",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    _error(not_json, 400, "INVALID_PARAMETER_VALUE")
    array = http.post(f"{API}/runs/log-batch", json=[1, 2])
    _error(array, 400, "INVALID_PARAMETER_VALUE")


def test_int64_as_strings_and_enums_by_name_or_number(http: httpx.Client, run_id: str) -> None:
    logged = http.post(
        f"{API}/runs/log-metric",
        json={"run_id": run_id, "key": "m", "value": "2.5", "timestamp": "17", "step": "3"},
    )
    assert logged.status_code == 200, logged.text
    by_number = http.post(f"{API}/runs/update", json={"run_id": run_id, "status": 3})
    assert by_number.json()["run_info"]["status"] == "FINISHED"
    by_name = http.post(f"{API}/runs/update", json={"run_id": run_id, "status": "KILLED"})
    assert by_name.json()["run_info"]["status"] == "KILLED"
    bogus = http.post(f"{API}/runs/update", json={"run_id": run_id, "status": "BOGUS"})
    assert "RUNNING" in _error(bogus, 400, "INVALID_PARAMETER_VALUE")


def test_double_encoded_json_body_is_accepted(http: httpx.Client) -> None:
    inner = json.dumps({"name": "double"})
    response = http.post(
        f"{API}/experiments/create",
        content=json.dumps(inner).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


def test_get_reads_repeated_query_keys_and_falls_back_to_a_json_body(
    http: httpx.Client, run_id: str
) -> None:
    http.post(
        f"{API}/runs/log-metric",
        json={"run_id": run_id, "key": "m", "value": 1, "timestamp": 1},
    )
    query = http.get(
        f"{API}/metrics/get-history-bulk-interval",
        params=[("run_ids", run_id), ("run_ids", run_id), ("metric_key", "m")],
    )
    assert query.status_code == 200, query.text
    body = http.request("GET", f"{API}/runs/get", content=json.dumps({"run_id": run_id}).encode())
    assert body.json()["run"]["info"]["run_id"] == run_id


def test_delete_methods_read_their_json_body(
    http: httpx.Client, experiment_id: str, run_id: str
) -> None:
    http.post(f"{API}/runs/set-tag", json={"run_id": run_id, "key": "t", "value": "v"})
    deleted = http.request("DELETE", f"{API}/runs/delete-tag", json={"run_id": run_id, "key": "t"})
    assert deleted.status_code == 200, deleted.text
    tags = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["data"]["tags"]
    assert {"key": "t", "value": "v"} not in tags


def test_legacy_run_uuid_is_accepted(http: httpx.Client, run_id: str) -> None:
    response = http.get(f"{API}/runs/get", params={"run_uuid": run_id})
    assert response.json()["run"]["info"]["run_uuid"] == run_id


# -- response encoding -------------------------------------------------------------------------


def test_responses_omit_unset_fields_and_use_numbers_and_names(
    http: httpx.Client, run_id: str
) -> None:
    info = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["info"]
    assert "end_time" not in info
    assert info["start_time"] == 1000
    assert info["status"] == "RUNNING"
    assert info["lifecycle_stage"] == "active"
    empty_search = http.post(f"{API}/runs/search", json={"experiment_ids": []})
    assert empty_search.json() == {}


def test_nan_and_infinities_round_trip_as_strings(http: httpx.Client, run_id: str) -> None:
    points = [
        {"key": "m", "value": v, "timestamp": 5, "step": i}
        for i, v in enumerate(["NaN", "Infinity", "-Infinity", 1.5])
    ]
    logged = http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": points})
    assert logged.status_code == 200, logged.text
    history = http.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "m"})
    assert [p["value"] for p in history.json()["metrics"]] == ["NaN", "Infinity", "-Infinity", 1.5]


def test_unknown_route_and_wrong_method_answer_error_json(http: httpx.Client) -> None:
    _error(http.get(f"{API}/no-such-thing"), 404, "ENDPOINT_NOT_FOUND")
    assert http.get(f"{API}/runs/create").status_code == 405


def test_unknown_objects_are_404_and_names_taken_are_400(
    http: httpx.Client, experiment_id: str
) -> None:
    missing_run = http.get(f"{API}/runs/get", params={"run_id": "a" * 32})
    assert "not found" in _error(missing_run, 404, "RESOURCE_DOES_NOT_EXIST")
    missing_exp = http.get(f"{API}/experiments/get-by-name", params={"experiment_name": "nope"})
    _error(missing_exp, 404, "RESOURCE_DOES_NOT_EXIST")
    again = http.post(f"{API}/experiments/create", json={"name": "server-tests"})
    _error(again, 400, "RESOURCE_ALREADY_EXISTS")


def test_experiment_search_without_max_results_is_refused_as_mlflow_does(
    http: httpx.Client,
) -> None:
    _error(http.post(f"{API}/experiments/search", json={}), 400, "INVALID_PARAMETER_VALUE")
    ok = http.post(f"{API}/experiments/search", json={"max_results": 10})
    assert [e["name"] for e in ok.json()["experiments"]] == ["Default"]


# -- pagination --------------------------------------------------------------------------------


def test_search_pages_with_mlflow_tokens(http: httpx.Client, experiment_id: str) -> None:
    for i in range(5):
        http.post(
            f"{API}/runs/create",
            json={"experiment_id": experiment_id, "start_time": i, "run_name": f"r{i}"},
        )
    seen: list[str] = []
    token = None
    while True:
        body = {"experiment_ids": [experiment_id], "max_results": 2, "order_by": ["start_time"]}
        if token:
            body["page_token"] = token
        page = http.post(f"{API}/runs/search", json=body).json()
        seen += [r["info"]["run_name"] for r in page.get("runs", [])]
        token = page.get("next_page_token")
        if not token:
            break
        assert json.loads(base64.b64decode(token)) == {"offset": len(seen)}
    assert seen == ["r0", "r1", "r2", "r3", "r4"]
    bad = http.post(
        f"{API}/runs/search", json={"experiment_ids": [experiment_id], "page_token": "%%%"}
    )
    _error(bad, 400, "INVALID_PARAMETER_VALUE")


def test_history_pages_when_max_results_is_given(http: httpx.Client, run_id: str) -> None:
    points = [{"key": "m", "value": i, "timestamp": i, "step": i} for i in range(7)]
    http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": points})
    params = {"run_id": run_id, "metric_key": "m", "max_results": 3}
    first = http.get(f"{API}/metrics/get-history", params=params).json()
    assert [p["step"] for p in first["metrics"]] == [0, 1, 2]
    rest = http.get(
        f"{API}/metrics/get-history", params={**params, "page_token": first["next_page_token"]}
    ).json()
    assert [p["step"] for p in rest["metrics"]] == [3, 4, 5]
    whole = http.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "m"})
    assert len(whole.json()["metrics"]) == 7
    assert "next_page_token" not in whole.json()


# -- limits ------------------------------------------------------------------------------------


def test_log_batch_limits_are_enforced_and_nothing_is_written(
    http: httpx.Client, run_id: str
) -> None:
    too_many = [{"key": "m", "value": 1, "timestamp": 1, "step": i} for i in range(1001)]
    response = http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": too_many})
    _error(response, 400, "INVALID_PARAMETER_VALUE")
    no_timestamp = http.post(
        f"{API}/runs/log-batch",
        json={
            "run_id": run_id,
            "metrics": [{"key": "ok", "value": 1, "timestamp": 1}, {"key": "m", "value": 1}],
        },
    )
    assert "metrics[1].timestamp" in _error(no_timestamp, 400, "INVALID_PARAMETER_VALUE")
    data = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["data"]
    assert "metrics" not in data


def test_bulk_interval_checks_its_arguments(http: httpx.Client, run_id: str) -> None:
    base = {"run_ids": run_id, "metric_key": "m"}
    reversed_range = http.get(
        f"{API}/metrics/get-history-bulk-interval",
        params={**base, "start_step": 5, "end_step": 1},
    )
    _error(reversed_range, 400, "INVALID_PARAMETER_VALUE")
    too_many_points = http.get(
        f"{API}/metrics/get-history-bulk-interval", params={**base, "max_results": 25001}
    )
    _error(too_many_points, 400, "INVALID_PARAMETER_VALUE")
    too_many_runs = http.get(
        f"{API}/metrics/get-history-bulk-interval",
        params=[("run_ids", f"{i:032x}") for i in range(101)] + [("metric_key", "m")],
    )
    _error(too_many_runs, 400, "INVALID_PARAMETER_VALUE")


def test_bulk_interval_keeps_first_last_and_spikes(http: httpx.Client, run_id: str) -> None:
    points = [
        {"key": "m", "value": 100.0 if i == 537 else 1.0, "timestamp": i, "step": i}
        for i in range(1000)
    ]
    http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": points})
    sampled = http.get(
        f"{API}/metrics/get-history-bulk-interval",
        params={"run_ids": run_id, "metric_key": "m", "max_results": 50},
    ).json()["metrics"]
    assert len(sampled) <= 50
    steps = [p["step"] for p in sampled]
    assert steps == sorted(steps)
    assert steps[0] == 0
    assert steps[-1] == 999
    assert max(p["value"] for p in sampled) == 100.0
    assert {p["run_id"] for p in sampled} == {run_id}


# -- idempotent writes -------------------------------------------------------------------------


def test_exact_replays_of_logging_calls_succeed_and_change_nothing(
    http: httpx.Client, run_id: str
) -> None:
    batch = {
        "run_id": run_id,
        "metrics": [{"key": "m", "value": 0.5, "timestamp": 10, "step": 1}],
        "params": [{"key": "p", "value": "1"}],
        "tags": [{"key": "t", "value": "x"}],
    }
    single_metric = {"run_id": run_id, "key": "n", "value": 2, "timestamp": 11, "step": 0}
    param = {"run_id": run_id, "key": "q", "value": "same"}
    tag = {"run_id": run_id, "key": "u", "value": "v"}
    calls = [
        ("log-batch", batch),
        ("log-metric", single_metric),
        ("log-parameter", param),
        ("set-tag", tag),
    ]
    for _ in range(3):
        for path, body in calls:
            response = http.post(f"{API}/runs/{path}", json=body)
            assert response.status_code == 200, response.text
    history = http.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "m"})
    assert len(history.json()["metrics"]) == 1
    other = http.post(f"{API}/runs/log-parameter", json={**param, "value": "different"})
    _error(other, 400, "INVALID_PARAMETER_VALUE")


def test_creates_with_the_same_idempotency_key_make_one_object(
    http: httpx.Client, experiment_id: str
) -> None:
    headers = {"Idempotency-Key": "retry-0123456789"}
    body = {"experiment_id": experiment_id, "start_time": 5}
    first = http.post(f"{API}/runs/create", json=body, headers=headers).json()
    second = http.post(f"{API}/runs/create", json=body, headers=headers).json()
    assert first["run"]["info"]["run_id"] == second["run"]["info"]["run_id"]
    other = http.post(
        f"{API}/runs/create", json=body, headers={"Idempotency-Key": "another-key-1"}
    ).json()
    assert other["run"]["info"]["run_id"] != first["run"]["info"]["run_id"]
    found = http.post(f"{API}/runs/search", json={"experiment_ids": [experiment_id]}).json()
    assert len(found["runs"]) == 2

    exp_headers = {"Idempotency-Key": "exp-create-key-1"}
    made = http.post(f"{API}/experiments/create", json={"name": "once"}, headers=exp_headers)
    again = http.post(f"{API}/experiments/create", json={"name": "once"}, headers=exp_headers)
    assert made.json() == again.json()
    bad_key = http.post(
        f"{API}/experiments/create", json={"name": "k"}, headers={"Idempotency-Key": "x y"}
    )
    _error(bad_key, 400, "INVALID_PARAMETER_VALUE")


# -- other routes ------------------------------------------------------------------------------


def test_health_version_and_server_info(http: httpx.Client) -> None:
    assert http.get("/health").text == "OK"
    assert http.get("/version").text.count(".") == 2
    info = http.get("/api/3.0/mlflow/server-info").json()
    assert info["artifact_serving_enabled"] is True
    assert info["multipart_uploads_enabled"] is False


def test_ajax_prefix_serves_the_same_endpoints(http: httpx.Client, run_id: str) -> None:
    response = http.get("/ajax-api/2.0/mlflow/runs/get", params={"run_id": run_id})
    assert response.json()["run"]["info"]["run_id"] == run_id


def test_metric_summaries_for_the_ui(http: httpx.Client, run_id: str) -> None:
    points = [{"key": "m", "value": v, "timestamp": 1, "step": i} for i, v in enumerate([3, 1, 2])]
    http.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": points})
    summaries = http.get(
        "/ajax-api/2.0/mlflow/runs/metric-summaries", params={"run_id": run_id}
    ).json()["summaries"]
    assert summaries == [
        {
            "key": "m",
            "last_value": 2.0,
            "last_timestamp": 1,
            "last_step": 2,
            "min_value": 1.0,
            "max_value": 3.0,
            "count": 3,
        }
    ]


def test_log_model_appends_to_the_history_tag(http: httpx.Client, run_id: str) -> None:
    model = {
        "artifact_path": "model",
        "flavors": {"python_function": {}},
        "utc_time_created": "2026-11-27 00:00:00.000000",
        "run_id": run_id,
    }
    for _ in range(2):
        response = http.post(
            f"{API}/runs/log-model", json={"run_id": run_id, "model_json": json.dumps(model)}
        )
        assert response.status_code == 200, response.text
    tags = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["data"]["tags"]
    history = next(t["value"] for t in tags if t["key"] == "mlflow.log-model.history")
    assert [m["artifact_path"] for m in json.loads(history)] == ["model", "model"]
    incomplete = http.post(
        f"{API}/runs/log-model", json={"run_id": run_id, "model_json": json.dumps({"a": 1})}
    )
    _error(incomplete, 400, "INVALID_PARAMETER_VALUE")


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.nip.io"])
def test_requests_naming_a_foreign_host_are_refused(http: httpx.Client, host: str) -> None:
    response = http.get(
        "/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}, headers={"Host": host}
    )
    _error(response, 403, "PERMISSION_DENIED")


def test_cross_origin_writes_are_refused_unless_allowed(http: httpx.Client) -> None:
    foreign = http.post(
        f"{API}/experiments/create", json={"name": "x"}, headers={"Origin": "https://evil.example"}
    )
    _error(foreign, 403, "PERMISSION_DENIED")
    local = http.post(
        f"{API}/experiments/create", json={"name": "y"}, headers={"Origin": "http://localhost:3000"}
    )
    assert local.status_code == 200
    assert local.headers["access-control-allow-origin"] == "http://localhost:3000"
