"""RestStore's model registry requests and retry rules, against an HTTP fake.

The contract suite runs the registry against a real server; these tests pin down what only a
fake can show: the method and body of each request, and which requests are repeated after a
failure that may have reached the server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from runstone.entities import ModelStage, ModelVersionStatus
from runstone.errors import InvalidParameterValue, NotFound, TemporarilyUnavailable
from runstone.store.rest import RestStore
from tests.unit.test_rest_store import API, error, ok, serve

__all__ = ["serve"]  # the fixture: an HTTP fake behind a RestStore

MODEL = {"name": "m", "creation_timestamp": 1, "last_updated_timestamp": 2}
VERSION = {
    "name": "m",
    "version": "3",
    "creation_timestamp": 1,
    "last_updated_timestamp": 2,
    "current_stage": "Staging",
    "status": "READY",
    "aliases": ["champion"],
}


def _query(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.url.query.decode())


def test_requests_use_mlflows_methods_and_shapes(serve: Any) -> None:
    store, server = serve(
        [
            ok({"registered_model": MODEL}),
            ok({"registered_model": MODEL}),
            ok({"model_version": VERSION}),
            ok(),
            ok({"model_version": VERSION}),
            ok({"artifact_uri": "s3://b/x"}),
        ]
    )
    model = store.create_registered_model("m", tags={"t": "x"}, description="d")
    assert model.name == "m"
    assert server.requests[0].method == "POST"
    assert server.body(0) == {"name": "m", "tags": [{"key": "t", "value": "x"}], "description": "d"}

    store.update_registered_model("m", "new")
    assert server.requests[1].method == "PATCH"
    assert server.paths[1] == API + "registered-models/update"

    version = store.get_model_version("m", 3)
    assert server.requests[2].method == "GET"
    assert _query(server.requests[2]) == {"name": ["m"], "version": ["3"]}
    assert version.version == "3"
    assert version.current_stage is ModelStage.STAGING
    assert version.status is ModelVersionStatus.READY
    assert version.aliases == ("champion",)

    store.delete_model_version_tag("m", "3", "k")
    assert server.requests[3].method == "DELETE"
    assert server.body(3) == {"name": "m", "version": "3", "key": "k"}

    store.transition_model_version_stage("m", 3, ModelStage.PRODUCTION, True)
    assert server.body(4) == {
        "name": "m",
        "version": "3",
        "stage": "Production",
        "archive_existing_versions": True,
    }
    assert store.get_model_version_download_uri("m", "3") == "s3://b/x"


def test_searches_send_repeated_order_by_and_read_tokens(serve: Any) -> None:
    store, server = serve(
        [ok({"registered_models": [MODEL], "next_page_token": "t2"}), ok({"model_versions": []})]
    )
    page = store.search_registered_models("name LIKE 'm%'", 5, ["name", "timestamp DESC"], "t1")
    assert [m.name for m in page.items] == ["m"]
    assert page.next_page_token == "t2"
    assert _query(server.requests[0]) == {
        "filter": ["name LIKE 'm%'"],
        "max_results": ["5"],
        "order_by": ["name", "timestamp DESC"],
        "page_token": ["t1"],
    }
    empty = store.search_model_versions()
    assert empty.items == ()
    assert empty.next_page_token is None


def test_versions_are_checked_before_sending(serve: Any) -> None:
    store, server = serve([ok()])
    for bad in (True, "abc", 0, 1.5):
        with pytest.raises(InvalidParameterValue, match="version"):
            store.get_model_version("m", bad)
    assert server.requests == []


def test_server_errors_come_back_as_runstone_errors(serve: Any) -> None:
    store, _ = serve([error(404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=m")])
    with pytest.raises(NotFound, match="name=m"):
        store.get_registered_model("m")


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.delete_registered_model("m"),
        lambda s: s.delete_registered_model_tag("m", "k"),
        lambda s: s.delete_registered_model_alias("m", "a"),
        lambda s: s.delete_model_version("m", 1),
        lambda s: s.delete_model_version_tag("m", 1, "k"),
        lambda s: s.rename_registered_model("m", "n"),
    ],
    ids=["model", "model-tag", "alias", "version", "version-tag", "rename"],
)
def test_deletes_and_renames_are_not_retried_once_they_may_have_arrived(
    serve: Any, call: Callable[[RestStore], None]
) -> None:
    store, server = serve([httpx.ReadTimeout("timed out"), ok()])
    with pytest.raises(TemporarilyUnavailable, match="may or may not have been applied"):
        call(store)
    assert len(server.requests) == 1
    store, server = serve([httpx.Response(503, text="busy")])
    with pytest.raises(TemporarilyUnavailable):
        call(store)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("call", "reply"),
    [
        (lambda s: s.get_registered_model("m"), {"registered_model": MODEL}),
        (lambda s: s.update_model_version("m", 1, "d"), {"model_version": VERSION}),
        (lambda s: s.set_registered_model_tag("m", "k", "v"), {}),
        (lambda s: s.set_model_version_tag("m", 1, "k", "v"), {}),
        (lambda s: s.set_registered_model_alias("m", "a", 1), {}),
        (lambda s: s.transition_model_version_stage("m", 1, "Staging"), {"model_version": VERSION}),
        (lambda s: s.get_latest_versions("m", ["Staging"]), {"model_versions": [VERSION]}),
    ],
    ids=["get", "update", "model-tag", "version-tag", "alias", "transition", "latest"],
)
def test_repeatable_requests_are_retried_after_a_lost_answer(
    serve: Any, call: Callable[[RestStore], Any], reply: dict[str, Any]
) -> None:
    store, server = serve([httpx.ReadTimeout("timed out"), error(503, "X"), ok(reply)])
    call(store)
    assert len(server.requests) == 3
    assert all("Idempotency-Key" not in r.headers for r in server.requests)


@pytest.mark.parametrize(
    ("call", "reply"),
    [
        (lambda s: s.create_registered_model("m"), {"registered_model": MODEL}),
        (lambda s: s.create_model_version("m", "runs:/a/b"), {"model_version": VERSION}),
    ],
    ids=["model", "version"],
)
def test_creates_carry_one_idempotency_key_per_call(
    serve: Any, call: Callable[[RestStore], Any], reply: dict[str, Any]
) -> None:
    store, server = serve([httpx.RemoteProtocolError("gone"), ok(reply)])
    call(store)
    first, second = (r.headers["Idempotency-Key"] for r in server.requests)
    assert first == second
    call(store)
    assert server.requests[-1].headers["Idempotency-Key"] != first
