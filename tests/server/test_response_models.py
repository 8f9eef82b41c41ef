"""The response models of the OpenAPI document (runstone.wire.responses*) describe what the
server really sends.

A live server (with --auth, so that its user, permission, token and sign-in routes are served too)
is driven once through every JSON route, with records whose optional fields are all set. Each
answer is then validated, strictly, against the model the document names for its route: a
field the server sends and the model lacks, a missing required field or a wrong type fails.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from pydantic import ValidationError

from runstone.config import ServerSettings
from runstone.server import create_app
from runstone.server.api import response_model
from runstone.server.openapi_dump import openapi_document
from runstone.store.sql.auth import AuthStore
from runstone.testing import serve
from runstone.wire import responses, responses_registry
from runstone.wire.responses import Answer

API = "/api/2.0/mlflow"
AJAX = "/ajax-api/2.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts"
TOKENS = "/api/2.0/runstone/tokens"
ADMIN_PASSWORD = "admin password 123"
BOB_PASSWORD = "bob's password 456"


def _basic(username: str, password: str) -> dict[str, str]:
    value = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {value}"}


@dataclass(frozen=True)
class Exchange:
    method: str
    route: str  # the route's path as the OpenAPI document names it
    status: int
    body: bytes


class Recorder:
    """A client that records every JSON answer with the documented route it came from."""

    def __init__(self, client: httpx.Client, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers
        self.exchanges: list[Exchange] = []

    def call(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = self.client.request(method, url, headers=headers, **kwargs)
        assert response.status_code == 200, f"{method} {url}: {response.text}"
        self.record(method, url, response)
        return response.json()

    def record(self, method: str, url: str, response: httpx.Response) -> None:
        route = documented_route(method, url.split("?", 1)[0])
        self.exchanges.append(Exchange(method, route, response.status_code, response.content))

    def get(self, url: str, **params: Any) -> Any:
        return self.call("GET", url, params=params)

    def post(self, url: str, body: dict[str, Any]) -> Any:
        return self.call("POST", url, json=body)

    def patch(self, url: str, body: dict[str, Any]) -> Any:
        return self.call("PATCH", url, json=body)

    def delete(self, url: str, body: dict[str, Any] | None = None) -> Any:
        return self.call("DELETE", url, json=body or {})


def _route_pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"({\w+})", path)
    pattern = "".join(
        (".+" if p == "{artifact_path}" else "[^/]+") if p.startswith("{") else re.escape(p)
        for p in parts
    )
    return re.compile(pattern + "$")


@functools.cache
def _document() -> dict[str, Any]:
    """The OpenAPI document the UI's types are generated from."""
    return openapi_document()


@functools.cache
def _routes() -> list[tuple[int, str, re.Pattern[str]]]:
    found = [(path.count("{"), path, _route_pattern(path)) for path in _document()["paths"]]
    return sorted(found, key=lambda item: item[:2])


def documented_route(method: str, path: str) -> str:
    """The path, as the OpenAPI document names it, of the route serving ``method path``:
    literal paths before templated ones, and an /ajax-api/ route by its /api/ twin."""
    for candidate in (path, re.sub(r"^/ajax-api/", "/api/", path)):
        for _, documented, pattern in _routes():
            if method.lower() in _document()["paths"][documented] and pattern.match(candidate):
                return documented
    raise AssertionError(f"The OpenAPI document has no route for {method} {path}")


# -- driving the app once through every JSON route ---------------------------------------------


def _tracking(r: Recorder) -> dict[str, str]:
    exp = r.post(
        f"{API}/experiments/create", {"name": "docs", "tags": [{"key": "k", "value": "v"}]}
    )
    experiment_id = exp["experiment_id"]
    r.get(f"{API}/experiments/get", experiment_id=experiment_id)
    r.get(f"{API}/experiments/get-by-name", experiment_name="docs")
    r.post(f"{API}/experiments/search", {"max_results": 1})  # two experiments: paged
    r.get(f"{API}/experiments/search", max_results=10)
    r.post(f"{API}/experiments/update", {"experiment_id": experiment_id, "new_name": "docs2"})
    r.post(
        f"{API}/experiments/set-experiment-tag",
        {"experiment_id": experiment_id, "key": "gone", "value": "x"},
    )
    r.post(
        f"{API}/experiments/delete-experiment-tag", {"experiment_id": experiment_id, "key": "gone"}
    )
    r.post(
        f"{API}/experiments/set-experiment-tag",
        {"experiment_id": experiment_id, "key": "gone", "value": "x"},
    )
    r.delete(
        f"{API}/experiments/delete-experiment-tag", {"experiment_id": experiment_id, "key": "gone"}
    )
    spare = r.post(f"{API}/experiments/create", {"name": "spare"})["experiment_id"]
    r.post(f"{API}/experiments/delete", {"experiment_id": spare})
    r.post(f"{API}/experiments/restore", {"experiment_id": spare})

    created = r.post(
        f"{API}/runs/create",
        {"experiment_id": experiment_id, "run_name": "r", "user_id": "alice", "start_time": 5},
    )
    run_id = created["run"]["info"]["run_id"]
    for step, value in enumerate([1.0, "NaN", "Infinity", 2.0]):
        r.post(
            f"{API}/runs/log-metric",
            {"run_id": run_id, "key": "loss", "value": value, "timestamp": 10 + step, "step": step},
        )
    r.post(
        f"{API}/runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [{"key": "acc", "value": 0.5, "timestamp": 20, "step": 0}],
            "params": [{"key": "p", "value": "1"}],
            "tags": [{"key": "t", "value": "2"}],
        },
    )
    r.post(f"{API}/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"})
    r.post(f"{API}/runs/set-tag", {"run_id": run_id, "key": "gone", "value": "x"})
    r.post(f"{API}/runs/delete-tag", {"run_id": run_id, "key": "gone"})
    r.post(f"{API}/runs/set-tag", {"run_id": run_id, "key": "gone", "value": "x"})
    r.delete(f"{API}/runs/delete-tag", {"run_id": run_id, "key": "gone"})
    dataset = {
        "name": "iris",
        "digest": "d1",
        "source_type": "local",
        "source": "{}",
        "schema": "{}",
        "profile": "{}",
    }
    r.post(
        f"{API}/runs/log-inputs",
        {
            "run_id": run_id,
            "datasets": [{"tags": [{"key": "a", "value": "b"}], "dataset": dataset}],
        },
    )
    model_json = '{"run_id": "x", "artifact_path": "m", "flavors": {}, "utc_time_created": "t"}'
    r.post(f"{API}/runs/log-model", {"run_id": run_id, "model_json": model_json})
    r.post(f"{API}/runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 99})
    other = r.post(f"{API}/runs/create", {"experiment_id": experiment_id})["run"]["info"]["run_id"]
    r.post(f"{API}/runs/delete", {"run_id": other})
    r.post(f"{API}/runs/restore", {"run_id": other})
    r.post(f"{API}/runs/search", {"experiment_ids": [experiment_id], "max_results": 1})

    r.get(f"{API}/metrics/get-history", run_id=run_id, metric_key="loss", max_results=2)
    r.get(
        f"{API}/metrics/get-history-bulk-interval",
        run_ids=[run_id, other],
        metric_key="loss",
        max_results=3,
    )
    r.get(f"{AJAX}/metrics/get-history-bulk", run_id=[run_id], metric_key="loss")
    r.get(f"{AJAX}/runs/metric-summaries", run_id=run_id)
    return {"experiment_id": experiment_id, "run_id": run_id}


def _artifacts(r: Recorder, run_id: str) -> None:
    upload = r.client.post(
        f"{AJAX}/upload-artifact",
        params={"run_uuid": run_id, "path": "dir/file.txt"},
        content=b"hello",
        headers=r.headers,
    )
    assert upload.status_code == 200, upload.text
    r.get(f"{API}/artifacts/list", run_id=run_id)
    r.get(f"{API}/artifacts/list", run_id=run_id, path="dir")
    stored = r.client.put(f"{PROXY}/artifacts/shared/a.txt", content=b"x", headers=r.headers)
    assert stored.status_code == 200, stored.text
    r.get(f"{PROXY}/artifacts", path="shared")
    r.get(f"{PROXY}/artifacts")


def _logged_models(r: Recorder, experiment_id: str, run_id: str) -> str:
    created = r.post(
        f"{API}/logged-models",
        {
            "experiment_id": experiment_id,
            "name": "m",
            "model_type": "agent",
            "source_run_id": run_id,
            "params": [{"key": "p", "value": "1"}],
            "tags": [{"key": "t", "value": "1"}],
        },
    )
    model_id = created["model"]["info"]["model_id"]
    r.get(f"{API}/logged-models/{model_id}")
    r.patch(f"{API}/logged-models/{model_id}", {"status": "READY"})
    r.patch(f"{API}/logged-models/{model_id}/tags", {"tags": [{"key": "gone", "value": "x"}]})
    r.delete(f"{API}/logged-models/{model_id}/tags/gone")
    r.post(f"{API}/logged-models/{model_id}/params", {"params": [{"key": "q", "value": "2"}]})
    r.post(f"{API}/runs/outputs", {"run_id": run_id, "models": [{"model_id": model_id, "step": 3}]})
    r.get(f"{API}/runs/get", run_id=run_id)  # with inputs and outputs
    spare = r.post(f"{API}/logged-models", {"experiment_id": experiment_id})["model"]["info"]
    r.post(f"{API}/logged-models/search", {"experiment_ids": [experiment_id], "max_results": 1})
    r.delete(f"{API}/logged-models/{spare['model_id']}")
    return str(model_id)


def _registry(r: Recorder, run_id: str, model_id: str) -> None:
    name = "reg"
    r.post(
        f"{API}/registered-models/create",
        {"name": name, "description": "d", "tags": [{"key": "k", "value": "v"}]},
    )
    version = {
        "name": name,
        "source": f"runs:/{run_id}/model",
        "run_id": run_id,
        "run_link": "http://example.com/run",
        "description": "first",
        "tags": [{"key": "k", "value": "v"}],
        "model_id": model_id,
        "user_id": "alice",
    }
    r.post(f"{API}/model-versions/create", version)
    r.post(f"{API}/model-versions/create", {"name": name, "source": f"runs:/{run_id}/model"})
    r.post(f"{API}/registered-models/alias", {"name": name, "alias": "champion", "version": "1"})
    r.post(
        f"{API}/model-versions/transition-stage",
        {"name": name, "version": "1", "stage": "Production", "archive_existing_versions": False},
    )
    r.get(f"{API}/registered-models/get", name=name)
    r.patch(f"{API}/registered-models/update", {"name": name, "description": "again"})
    r.post(f"{API}/registered-models/create", {"name": "spare"})
    r.get(f"{API}/registered-models/search", max_results=1)  # two models: paged
    r.get(f"{API}/registered-models/get-latest-versions", name=name)
    r.post(f"{API}/registered-models/get-latest-versions", {"name": name, "stages": ["None"]})
    r.get(f"{API}/registered-models/alias", name=name, alias="champion")
    r.get(f"{API}/model-versions/get", name=name, version="1")
    r.patch(f"{API}/model-versions/update", {"name": name, "version": "1", "description": "x"})
    r.get(f"{API}/model-versions/search", max_results=1)  # two versions: paged
    r.get(f"{API}/model-versions/get-download-uri", name=name, version="1")
    r.post(
        f"{API}/model-versions/set-tag", {"name": name, "version": "1", "key": "g", "value": "x"}
    )
    r.delete(f"{API}/model-versions/delete-tag", {"name": name, "version": "1", "key": "g"})
    r.post(f"{API}/registered-models/set-tag", {"name": name, "key": "g", "value": "x"})
    r.delete(f"{API}/registered-models/delete-tag", {"name": name, "key": "g"})
    r.delete(f"{API}/registered-models/alias", {"name": name, "alias": "champion"})
    r.delete(f"{API}/model-versions/delete", {"name": name, "version": "2"})
    r.post(f"{API}/registered-models/rename", {"name": name, "new_name": "reg2"})
    r.delete(f"{API}/registered-models/delete", {"name": "spare"})


def _auth(r: Recorder, experiment_id: str) -> None:
    r.post(f"{API}/users/create", {"username": "bob", "password": BOB_PASSWORD})
    r.post(f"{API}/users/create", {"username": "carol", "password": BOB_PASSWORD})
    grant = {"experiment_id": experiment_id, "username": "bob", "permission": "READ"}
    r.post(f"{API}/experiments/permissions/create", grant)
    model_grant = {"name": "reg2", "username": "bob", "permission": "EDIT"}
    r.post(f"{API}/registered-models/permissions/create", model_grant)
    r.get(f"{API}/users/get", username="bob")  # with both permission lists
    r.get(f"{API}/users/list")
    r.get(f"{API}/users/current")
    r.patch(f"{API}/users/update-password", {"username": "carol", "password": "new password 789"})
    r.patch(f"{API}/users/update-admin", {"username": "carol", "is_admin": True})
    r.delete(f"{API}/users/delete", {"username": "carol"})
    r.get(f"{API}/experiments/permissions/get", experiment_id=experiment_id, username="bob")
    r.patch(f"{API}/experiments/permissions/update", {**grant, "permission": "EDIT"})
    r.delete(
        f"{API}/experiments/permissions/delete", {"experiment_id": experiment_id, "username": "bob"}
    )
    r.get(f"{API}/registered-models/permissions/get", name="reg2", username="bob")
    r.patch(f"{API}/registered-models/permissions/update", {**model_grant, "permission": "READ"})
    r.delete(f"{API}/registered-models/permissions/delete", {"name": "reg2", "username": "bob"})

    created = r.post(f"{TOKENS}/create", {"name": "ci", "expires_in_days": 30})
    bearer = {"Authorization": f"Bearer {created['token']}"}
    r.call("GET", f"{API}/users/current", headers=bearer)  # the token is used: last_used_time
    r.get(f"{TOKENS}/list")
    r.delete(f"{TOKENS}/revoke", {"token_id": created["token_info"]["id"]})
    r.get(f"{TOKENS}/list")  # none left
    r.get("/api/3.0/mlflow/server-info")


def _session(url: str, r: Recorder) -> None:
    """The UI's sign-in and sign-out, on a client of its own (it keeps the cookies)."""
    with httpx.Client(base_url=url, timeout=30) as browser:
        login = "/api/2.0/runstone/auth/login"
        signed_in = browser.post(login, json={"username": "bob", "password": BOB_PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        r.record("POST", login, signed_in)
        logout = "/api/2.0/runstone/auth/logout"
        csrf = {"X-CSRF-Token": signed_in.json()["csrf_token"]}
        signed_out = browser.post(logout, headers=csrf)
        assert signed_out.status_code == 200, signed_out.text
        r.record("POST", logout, signed_out)


@pytest.fixture(scope="module")
def exchanges(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Exchange]]:
    folder = tmp_path_factory.mktemp("response-models")
    store_uri = f"sqlite:///{folder / 'runstone.db'}"
    auth_store = AuthStore.open(store_uri)
    try:
        auth_store.create_user("admin", ADMIN_PASSWORD, is_admin=True)
    finally:
        auth_store.close()
    with (
        serve(store_uri, auth=True, artifacts_destination=str(folder / "artifacts")) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        r = Recorder(client, _basic("admin", ADMIN_PASSWORD))
        ids = _tracking(r)
        _artifacts(r, ids["run_id"])
        model_id = _logged_models(r, ids["experiment_id"], ids["run_id"])
        _registry(r, ids["run_id"], model_id)
        _auth(r, ids["experiment_id"])
        _session(url, r)
        yield r.exchanges


def _documented_models() -> dict[tuple[str, str], type[Answer]]:
    """(METHOD, path) → the model the OpenAPI document names for the route's 200 answer."""
    found = {}
    for path, operations in _document()["paths"].items():
        for method, operation in operations.items():
            ok = operation.get("responses", {}).get("200", {})
            schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
            ref = schema.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                found[method.upper(), path] = response_model(ref.rsplit("/", 1)[1])
    return found


# -- the checks ---------------------------------------------------------------------------------


def test_every_json_answer_matches_the_model_its_route_documents(
    exchanges: list[Exchange],
) -> None:
    models = _documented_models()
    failures = []
    for exchange in exchanges:
        model = models.get((exchange.method, exchange.route))
        assert model is not None, f"{exchange.method} {exchange.route} documents no answer model"
        try:
            model.model_validate_json(exchange.body, strict=True)
        except ValidationError as exc:
            failures.append(f"{exchange.method} {exchange.route} ({model.__name__}): {exc}")
    assert not failures, "\n\n".join(failures)


def test_every_route_with_a_documented_answer_was_checked(
    exchanges: list[Exchange],
) -> None:
    checked = {(e.method, e.route) for e in exchanges}
    unchecked = sorted(set(_documented_models()) - checked)
    assert not unchecked, f"documented answers never checked against the server: {unchecked}"


def test_the_answers_checked_set_the_optional_fields_too(
    exchanges: list[Exchange],
) -> None:
    """A model whose optional fields never appear in a checked answer proves little about
    them: the scenario must fill each (the few that Runstone never sets are listed)."""
    models = _documented_models()
    seen: dict[str, set[str]] = {}

    def walk(model: type[Answer], value: Any) -> None:
        if not isinstance(value, dict):
            return
        seen.setdefault(model.__name__, set()).update(value)
        for name, field in model.model_fields.items():
            inner = value.get(field.alias or name)
            for item in inner if isinstance(inner, list) else [inner]:
                for candidate in _models_in(field.annotation):
                    walk(candidate, item)

    for exchange in exchanges:
        walk(models[exchange.method, exchange.route], json.loads(exchange.body))
    never_set = {  # no request of the API sets these; imported or future records may have them
        ("RegisteredModel", "user_id"),
        ("ModelVersion", "status_message"),
        ("LoggedModelInfo", "creator_id"),
        ("LoggedModelInfo", "status_message"),
    }
    missing = sorted(
        (model.__name__, field.alias or name)
        for model in _all_models()
        if model.__name__ in seen
        for name, field in model.model_fields.items()
        if (field.alias or name) not in seen[model.__name__]
        and (model.__name__, field.alias or name) not in never_set
    )
    assert not missing, f"optional fields no checked answer carried: {missing}"


def test_every_response_model_refuses_fields_it_does_not_declare() -> None:
    for model in _all_models():
        assert model.model_config.get("extra") == "forbid", model.__name__
    with pytest.raises(ValidationError, match="surprise"):
        responses.Experiment.model_validate(
            {
                "experiment_id": "1",
                "name": "n",
                "artifact_location": "a",
                "lifecycle_stage": "active",
                "last_update_time": 1,
                "creation_time": 1,
                "surprise": True,
            }
        )


def test_error_answers_match_the_documented_error_model(http: httpx.Client) -> None:
    missing = http.get(f"{API}/experiments/get", params={"experiment_id": "404"})
    bad = http.post(f"{API}/runs/search", json={"max_results": "many"})
    for answer in (missing, bad):
        assert answer.status_code >= 400
        responses.ErrorResponse.model_validate_json(answer.content, strict=True)


def _all_models() -> list[type[Answer]]:
    found = []
    for module in (responses, responses_registry):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Answer) and value is not Answer:
                found.append(value)
    return found


def _models_in(annotation: Any) -> list[type[Answer]]:
    """The response models an annotation names (``X``, ``list[X]``, ``X | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, Answer):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


def test_answer_models_are_documentation_only_and_never_validate_a_request(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """FastAPI validates and re-serialises an answer only for a route's ``response_model``;
    the models are attached as ``responses`` instead, so serving costs nothing more."""
    folder = tmp_path_factory.mktemp("documentation-only")
    app = create_app(ServerSettings(backend_store_uri=str(folder / "store"), auth=True))
    try:
        routes = [r for r in app.routes if isinstance(r, APIRoute)]
        assert routes
        for route in routes:
            assert route.response_model is None, route.path
            assert route.response_field is None, route.path
        documented = {r.path for r in routes if 200 in r.responses}
        assert f"{API}/runs/search" in documented
    finally:
        app.state.close()


def test_get_query_parameters_are_documented() -> None:
    operation = _document()["paths"][f"{API}/metrics/get-history-bulk-interval"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["run_ids"]["in"] == "query"
    assert parameters["run_ids"]["required"] is True
    assert parameters["run_ids"]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert parameters["max_results"]["required"] is False
    logged = _document()["paths"][f"{API}/logged-models/{{model_id}}"]["get"]
    assert logged["parameters"] == [
        {"name": "model_id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
