"""The model registry's REST API over real HTTP (mlflow-compat.md §1.11, §2.2).

Raw requests, as MLflow's clients (and curl) send them: both URL prefixes, MLflow's exact
methods (GET reads, PATCH updates, DELETE with a JSON body), both spellings of field names, and
the sources a client must not be able to register.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.conftest import API

AJAX = "/ajax-api/2.0/mlflow"
PREFIXES = [API, AJAX]


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, dict)
    return body


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code, body
    return str(body["message"])


def _create_model(http: httpx.Client, name: str = "m", prefix: str = API, **extra: Any) -> Any:
    response = http.post(f"{prefix}/registered-models/create", json={"name": name, **extra})
    return _ok(response)["registered_model"]


def _create_version(
    http: httpx.Client, source: str, name: str = "m", prefix: str = API, **extra: Any
) -> Any:
    response = http.post(
        f"{prefix}/model-versions/create", json={"name": name, "source": source, **extra}
    )
    return _ok(response)["model_version"]


def _versions(http: httpx.Client, name: str = "m") -> list[dict[str, Any]]:
    found = _ok(http.get(f"{API}/model-versions/search", params={"filter": f"name = '{name}'"}))
    return list(found.get("model_versions", []))


def _delete(http: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return http.request("DELETE", path, json=body)


# -- registered models ---------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_registered_model_lifecycle(http: httpx.Client, prefix: str) -> None:
    created = _create_model(
        http, "fraud", prefix, tags=[{"key": "team", "value": "risk"}], description="first"
    )
    assert created["name"] == "fraud"
    assert created["description"] == "first"
    assert created["tags"] == [{"key": "team", "value": "risk"}]
    assert isinstance(created["creation_timestamp"], int)
    assert isinstance(created["last_updated_timestamp"], int)
    assert "latest_versions" not in created  # empty lists are left out

    got = _ok(http.get(f"{prefix}/registered-models/get", params={"name": "fraud"}))
    assert got["registered_model"]["name"] == "fraud"

    renamed = _ok(
        http.post(
            f"{prefix}/registered-models/rename", json={"name": "fraud", "new_name": "fraud2"}
        )
    )
    assert renamed["registered_model"]["name"] == "fraud2"
    gone = http.get(f"{prefix}/registered-models/get", params={"name": "fraud"})
    _error(gone, 404, "RESOURCE_DOES_NOT_EXIST")

    updated = _ok(
        http.patch(
            f"{prefix}/registered-models/update", json={"name": "fraud2", "description": "new"}
        )
    )
    assert updated["registered_model"]["description"] == "new"

    tag = {"name": "fraud2", "key": "stage", "value": "beta"}
    assert _ok(http.post(f"{prefix}/registered-models/set-tag", json=tag)) == {}
    model = _ok(http.get(f"{prefix}/registered-models/get", params={"name": "fraud2"}))
    assert {"key": "stage", "value": "beta"} in model["registered_model"]["tags"]
    untag = _delete(
        http, f"{prefix}/registered-models/delete-tag", {"name": "fraud2", "key": "stage"}
    )
    assert _ok(untag) == {}
    model = _ok(http.get(f"{prefix}/registered-models/get", params={"name": "fraud2"}))
    assert {"key": "stage", "value": "beta"} not in model["registered_model"].get("tags", [])

    assert _ok(_delete(http, f"{prefix}/registered-models/delete", {"name": "fraud2"})) == {}
    after = http.get(f"{prefix}/registered-models/get", params={"name": "fraud2"})
    assert "fraud2" in _error(after, 404, "RESOURCE_DOES_NOT_EXIST")


def test_duplicate_name_is_resource_already_exists_with_400(http: httpx.Client) -> None:
    _create_model(http, "dup")
    again = http.post(f"{API}/registered-models/create", json={"name": "dup"})
    assert "dup" in _error(again, 400, "RESOURCE_ALREADY_EXISTS")
    _create_model(http, "other")
    rename = http.post(f"{API}/registered-models/rename", json={"name": "other", "new_name": "dup"})
    _error(rename, 400, "RESOURCE_ALREADY_EXISTS")


def test_unknown_model_is_resource_does_not_exist(http: httpx.Client) -> None:
    for response in (
        http.get(f"{API}/registered-models/get", params={"name": "nope"}),
        http.patch(f"{API}/registered-models/update", json={"name": "nope", "description": "d"}),
        _delete(http, f"{API}/registered-models/delete", {"name": "nope"}),
        http.post(f"{API}/registered-models/set-tag", json={"name": "nope", "key": "k"}),
        http.post(f"{API}/model-versions/create", json={"name": "nope", "source": "runs:/a/m"}),
        http.get(f"{API}/model-versions/get", params={"name": "nope", "version": "1"}),
        http.get(f"{API}/registered-models/alias", params={"name": "nope", "alias": "a"}),
    ):
        _error(response, 404, "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.parametrize(
    ("method", "path", "body", "missing"),
    [
        ("POST", "/registered-models/create", {}, "name"),
        ("POST", "/registered-models/create", {"name": ""}, "name"),
        ("POST", "/registered-models/rename", {"name": "m"}, "new_name"),
        ("PATCH", "/registered-models/update", {}, "name"),
        ("DELETE", "/registered-models/delete", {}, "name"),
        ("DELETE", "/registered-models/delete-tag", {"name": "m"}, "key"),
        ("POST", "/registered-models/alias", {"name": "m", "alias": "a"}, "version"),
        ("POST", "/model-versions/create", {"name": "m"}, "source"),
        ("PATCH", "/model-versions/update", {"name": "m"}, "version"),
        ("POST", "/model-versions/transition-stage", {"name": "m", "version": "1"}, "stage"),
        ("DELETE", "/model-versions/delete-tag", {"name": "m", "version": 1}, "key"),
    ],
)
def test_missing_required_fields_give_mlflows_message(
    http: httpx.Client, method: str, path: str, body: dict[str, Any], missing: str
) -> None:
    response = http.request(method, f"{API}{path}", json=body)
    message = _error(response, 400, "INVALID_PARAMETER_VALUE")
    assert f"Missing value for required parameter '{missing}'" in message


def test_get_reads_the_query_string(http: httpx.Client) -> None:
    missing = http.get(f"{API}/model-versions/get", params={"name": "m"})
    assert "'version'" in _error(missing, 400, "INVALID_PARAMETER_VALUE")


def test_delete_reads_a_json_body_not_the_query_string(http: httpx.Client) -> None:
    _create_model(http, "q", tags=[{"key": "k", "value": "v"}])
    by_query = http.delete(f"{API}/registered-models/delete-tag", params={"name": "q", "key": "k"})
    assert "'name'" in _error(by_query, 400, "INVALID_PARAMETER_VALUE")


def test_methods_are_mlflows_exactly(http: httpx.Client) -> None:
    _create_model(http, "m")
    assert http.post(f"{API}/registered-models/get", json={"name": "m"}).status_code == 405
    assert http.post(f"{API}/registered-models/update", json={"name": "m"}).status_code == 405
    assert http.post(f"{API}/registered-models/delete", json={"name": "m"}).status_code == 405
    assert http.get(f"{API}/model-versions/create", params={"name": "m"}).status_code == 405


def test_camel_case_and_snake_case_names(http: httpx.Client, run_id: str) -> None:
    _create_model(http, "camel")
    renamed = http.post(f"{API}/registered-models/rename", json={"name": "camel", "newName": "c2"})
    assert _ok(renamed)["registered_model"]["name"] == "c2"
    version = _create_version(http, f"runs:/{run_id}/model", "c2", runId=run_id, runLink="link")
    assert version["run_id"] == run_id
    assert version["run_link"] == "link"
    moved = http.post(
        f"{API}/model-versions/transition-stage",
        json={"name": "c2", "version": "1", "stage": "Production", "archiveExistingVersions": True},
    )
    assert _ok(moved)["model_version"]["current_stage"] == "Production"


# -- model versions ------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_model_version_lifecycle(http: httpx.Client, run_id: str, prefix: str) -> None:
    _create_model(http, "m", prefix)
    source = f"runs:/{run_id}/model"
    first = _create_version(
        http,
        source,
        prefix=prefix,
        run_id=run_id,
        tags=[{"key": "k", "value": "v"}],
        description="one",
    )
    assert first["version"] == "1"
    assert first["current_stage"] == "None"
    assert first["status"] == "READY"
    assert first["source"] == source
    assert first["run_id"] == run_id
    assert first["tags"] == [{"key": "k", "value": "v"}]
    assert first["description"] == "one"
    assert isinstance(first["creation_timestamp"], int)
    assert _create_version(http, source, prefix=prefix, run_id=run_id)["version"] == "2"

    got = _ok(http.get(f"{prefix}/model-versions/get", params={"name": "m", "version": "1"}))
    assert got["model_version"]["version"] == "1"
    # A GET without a query string reads its JSON body, where the version may be a number.
    by_body = _ok(
        http.request("GET", f"{prefix}/model-versions/get", json={"name": "m", "version": 2})
    )
    assert by_body["model_version"]["version"] == "2"

    updated = http.patch(
        f"{prefix}/model-versions/update", json={"name": "m", "version": 1, "description": "d"}
    )
    assert _ok(updated)["model_version"]["description"] == "d"

    staged = http.post(
        f"{prefix}/model-versions/transition-stage",
        json={"name": "m", "version": 1, "stage": "staging"},
    )
    assert _ok(staged)["model_version"]["current_stage"] == "Staging"
    latest = _ok(http.post(f"{prefix}/registered-models/get-latest-versions", json={"name": "m"}))
    assert {(v["version"], v["current_stage"]) for v in latest["model_versions"]} == {
        ("1", "Staging"),
        ("2", "None"),
    }
    only_staging = _ok(
        http.get(
            f"{prefix}/registered-models/get-latest-versions",
            params={"name": "m", "stages": "Staging"},
        )
    )
    assert [v["version"] for v in only_staging["model_versions"]] == ["1"]
    model = _ok(http.get(f"{prefix}/registered-models/get", params={"name": "m"}))
    assert {v["version"] for v in model["registered_model"]["latest_versions"]} == {"1", "2"}

    uri = _ok(
        http.get(f"{prefix}/model-versions/get-download-uri", params={"name": "m", "version": "1"})
    )
    assert uri["artifact_uri"]

    tag = {"name": "m", "version": "2", "key": "ok", "value": "yes"}
    assert _ok(http.post(f"{prefix}/model-versions/set-tag", json=tag)) == {}
    two = _ok(http.get(f"{prefix}/model-versions/get", params={"name": "m", "version": "2"}))
    assert {"key": "ok", "value": "yes"} in two["model_version"]["tags"]
    untag = _delete(
        http, f"{prefix}/model-versions/delete-tag", {"name": "m", "version": 2, "key": "ok"}
    )
    assert _ok(untag) == {}

    assert (
        _ok(_delete(http, f"{prefix}/model-versions/delete", {"name": "m", "version": "2"})) == {}
    )
    gone = http.get(f"{prefix}/model-versions/get", params={"name": "m", "version": "2"})
    _error(gone, 404, "RESOURCE_DOES_NOT_EXIST")
    # Numbers are never reused after a delete.
    assert _create_version(http, source, prefix=prefix, run_id=run_id)["version"] == "3"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_aliases(http: httpx.Client, run_id: str, prefix: str) -> None:
    _create_model(http, "m", prefix)
    for _ in range(2):
        _create_version(http, f"runs:/{run_id}/model", prefix=prefix)
    alias = {"name": "m", "alias": "champion", "version": 1}  # a number
    assert _ok(http.post(f"{prefix}/registered-models/alias", json=alias)) == {}
    got = _ok(
        http.get(f"{prefix}/registered-models/alias", params={"name": "m", "alias": "champion"})
    )
    assert got["model_version"]["version"] == "1"
    assert got["model_version"]["aliases"] == ["champion"]
    # Re-pointing moves the alias; the version may be a string too.
    moved = {"name": "m", "alias": "champion", "version": "2"}
    assert _ok(http.post(f"{prefix}/registered-models/alias", json=moved)) == {}
    model = _ok(http.get(f"{prefix}/registered-models/get", params={"name": "m"}))
    assert model["registered_model"]["aliases"] == [{"alias": "champion", "version": "2"}]
    removed = _delete(http, f"{prefix}/registered-models/alias", {"name": "m", "alias": "champion"})
    assert _ok(removed) == {}
    after = http.get(f"{prefix}/registered-models/alias", params={"name": "m", "alias": "champion"})
    _error(after, 404, "RESOURCE_DOES_NOT_EXIST")
    reserved = {"name": "m", "alias": "latest", "version": "1"}
    _error(
        http.post(f"{prefix}/registered-models/alias", json=reserved),
        400,
        "INVALID_PARAMETER_VALUE",
    )


def test_bad_stage_and_bad_versions_are_400(http: httpx.Client, run_id: str) -> None:
    _create_model(http, "m")
    _create_version(http, f"runs:/{run_id}/model")
    bogus = http.post(
        f"{API}/model-versions/transition-stage",
        json={"name": "m", "version": "1", "stage": "Bogus"},
    )
    _error(bogus, 400, "INVALID_PARAMETER_VALUE")
    for version in ("abc", "1.5", True):
        response = http.patch(
            f"{API}/model-versions/update", json={"name": "m", "version": version}
        )
        assert "version" in _error(response, 400, "INVALID_PARAMETER_VALUE")
    unknown = http.get(f"{API}/model-versions/get", params={"name": "m", "version": "9"})
    _error(unknown, 404, "RESOURCE_DOES_NOT_EXIST")


def test_archive_existing_versions_archives_the_others(http: httpx.Client, run_id: str) -> None:
    _create_model(http, "m")
    for _ in range(2):
        _create_version(http, f"runs:/{run_id}/model")
    for version in ("1", "2"):
        http.post(
            f"{API}/model-versions/transition-stage",
            json={
                "name": "m",
                "version": version,
                "stage": "Production",
                "archive_existing_versions": True,
            },
        ).raise_for_status()
    one = _ok(http.get(f"{API}/model-versions/get", params={"name": "m", "version": "1"}))
    assert one["model_version"]["current_stage"] == "Archived"


# -- search and pagination -----------------------------------------------------------------------


def test_registered_model_search_pages_with_tokens(http: httpx.Client) -> None:
    names = [f"model-{i}" for i in range(5)]
    for name in reversed(names):
        _create_model(http, name)
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"max_results": 2}
        if token:
            params["page_token"] = token
        page = _ok(http.get(f"{API}/registered-models/search", params=params))
        seen += [m["name"] for m in page.get("registered_models", [])]
        pages += 1
        token = page.get("next_page_token")
        if not token:
            break
    assert seen == names  # name ASC by default
    assert pages == 3
    filtered = _ok(
        http.get(f"{API}/registered-models/search", params={"filter": "name LIKE '%-3'"})
    )
    assert [m["name"] for m in filtered["registered_models"]] == ["model-3"]
    bad = http.get(f"{API}/registered-models/search", params={"page_token": "not a token"})
    _error(bad, 400, "INVALID_PARAMETER_VALUE")
    too_many = http.get(f"{API}/registered-models/search", params={"max_results": 1001})
    _error(too_many, 400, "INVALID_PARAMETER_VALUE")


def test_model_version_search_pages_with_tokens(http: httpx.Client, run_id: str) -> None:
    _create_model(http, "m")
    for _ in range(3):
        _create_version(http, f"runs:/{run_id}/model")
    first = _ok(
        http.get(
            f"{API}/model-versions/search",
            params={"filter": "name = 'm'", "max_results": 2, "order_by": "version_number ASC"},
        )
    )
    assert [v["version"] for v in first["model_versions"]] == ["1", "2"]
    rest = _ok(
        http.get(
            f"{API}/model-versions/search",
            params={
                "filter": "name = 'm'",
                "max_results": 2,
                "order_by": "version_number ASC",
                "page_token": first["next_page_token"],
            },
        )
    )
    assert [v["version"] for v in rest["model_versions"]] == ["3"]
    assert "next_page_token" not in rest
    assert len(_versions(http)) == 3  # no max_results: the proto's default covers them


# -- where a version's source may point ----------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "file:///etc",
        "file:///etc/passwd",
        "/",
        "/etc",
        "../x",
        "%2e%2e/x",
        "runs:/abc/../../x",
        "runs:/abc/%2e%2e/x",
        "models:/m/../1",
        "http://169.254.169.254/latest/meta-data",
        "https://example.com/model",
        "s3://other/x",
        "gs://other/x",
        "file://otherhost/x",
        "mlflow-artifacts:/../x",
        "mlflow-artifacts://host/x",
        "runs://host/x",
        "runs:/",
    ],
)
def test_sources_outside_the_servers_storage_are_refused(http: httpx.Client, source: str) -> None:
    _create_model(http, "m")
    response = http.post(f"{API}/model-versions/create", json={"name": "m", "source": source})
    _error(response, 400, "INVALID_PARAMETER_VALUE")
    assert _versions(http) == []


def test_a_local_source_inside_the_artifact_root_is_refused_outside(
    http: httpx.Client, tmp_path: Path
) -> None:
    _create_model(http, "m")
    outside = tmp_path / "elsewhere" / "model"
    response = http.post(f"{API}/model-versions/create", json={"name": "m", "source": str(outside)})
    _error(response, 400, "INVALID_PARAMETER_VALUE")
    inside = tmp_path / "artifacts" / "1" / "model"
    for source in (str(inside), inside.as_uri()):
        assert _create_version(http, source)["source"] == source
    assert len(_versions(http)) == 2


def test_logical_and_proxied_sources_are_accepted(http: httpx.Client, run_id: str) -> None:
    _create_model(http, "m")
    for source in (
        f"runs:/{run_id}/model",
        "models:/m/1",
        "models:/m@champion",
        "mlflow-artifacts:/1/models/m-abc/artifacts",
    ):
        assert _create_version(http, source)["source"] == source


def test_runs_source_must_name_the_given_run(http: httpx.Client, run_id: str) -> None:
    _create_model(http, "m")
    other = "f" * 32
    response = http.post(
        f"{API}/model-versions/create",
        json={"name": "m", "source": f"runs:/{other}/model", "run_id": run_id},
    )
    assert "run_id" in _error(response, 400, "INVALID_PARAMETER_VALUE")
    assert _versions(http) == []
    _create_version(http, f"runs:/{run_id}/model", run_id=run_id)


# -- retried creates -----------------------------------------------------------------------------


def test_a_create_retried_with_its_idempotency_key_answers_the_same(
    http: httpx.Client, run_id: str
) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"name": "keyed"}
    first = http.post(f"{API}/registered-models/create", json=body, headers=key)
    again = http.post(f"{API}/registered-models/create", json=body, headers=key)
    assert _ok(first) == _ok(again)
    source = {"name": "keyed", "source": f"runs:/{run_id}/model"}
    version_key = {"Idempotency-Key": uuid.uuid4().hex}
    one = _ok(http.post(f"{API}/model-versions/create", json=source, headers=version_key))
    two = _ok(http.post(f"{API}/model-versions/create", json=source, headers=version_key))
    assert one["model_version"]["version"] == two["model_version"]["version"] == "1"
    assert len(_versions(http, "keyed")) == 1
    fresh = _ok(
        http.post(
            f"{API}/model-versions/create",
            json=source,
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
    )
    assert fresh["model_version"]["version"] == "2"
    bad_key = http.post(
        f"{API}/model-versions/create", json=source, headers={"Idempotency-Key": "no"}
    )
    _error(bad_key, 400, "INVALID_PARAMETER_VALUE")
