"""Every route of the app declares who may call it, and is checked: the route table is walked,
then every route that is not on the public allowlist is called without credentials (401) and
by a signed-in user without any permission (403 wherever the rule names a resource or admins).

The requests are built from the route table itself: methods and paths from FastAPI's routes,
fields from each endpoint's message class, values from resources an admin seeded."""

from __future__ import annotations

import itertools
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from runstone.config import ServerSettings
from runstone.server import auth, authorization
from runstone.server.api import Api, guard
from runstone.server.app import _JSON_APIS, create_app
from runstone.server.authorization import Access, Rule, UnguardedRoute
from runstone.server.routes import auth as auth_routes
from runstone.server.routes import meta
from runstone.wire.messages import Message
from tests.security.seeding import ADMIN, API, PROXY, Seeded, assert_denied, basic, ok, seed, start

_fresh = itertools.count()
ALLOWLIST = {
    "/health",
    "/version",
    "/api/3.0/mlflow/server-info",
    "/ajax-api/3.0/mlflow/server-info",
    "/api/2.0/runstone/auth/login",
    "/",
    "/static-files/",
}


@pytest.fixture(scope="module")
def closed_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose default permission is NO_PERMISSIONS."""
    yield from start(tmp_path_factory.mktemp("closed"), "NO_PERMISSIONS")


@pytest.fixture
def http(closed_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=closed_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("app")
    return create_app(
        ServerSettings(
            backend_store_uri=f"sqlite:///{folder / 'runstone.db'}",
            artifacts_destination=str(folder / "artifacts"),
            auth=True,
        )
    )


@dataclass(frozen=True)
class Target:
    method: str
    path: str  # as declared, with {parameters}
    rule: Rule
    message: type[Message] | None


def targets(app: FastAPI) -> Iterator[Target]:
    """Every (method, path) the app serves, with its rule and (JSON endpoints) its message."""
    messages = {
        (method, prefix + endpoint.path): endpoint.message
        for api in (*_JSON_APIS, auth_routes.api)
        for endpoint in api.endpoints
        for prefix in endpoint.prefixes
        for method in endpoint.methods
    }
    for route in app.routes:
        rule = authorization.rule_of(route)
        assert rule is not None, route
        if isinstance(route, Mount):
            continue  # static files: public, checked by test_every_route_declares_a_rule
        assert isinstance(route, (APIRoute, Route))
        for method in sorted(route.methods or ()):
            yield Target(method, route.path, rule, messages.get((method, route.path)))


def test_every_route_declares_a_rule(app: FastAPI) -> None:
    assert authorization.problems(app) == []
    public = set()
    for route in app.routes:
        rule = authorization.rule_of(route)
        assert rule is not None, f"{route} has no rule"
        path = route.path + "/" if isinstance(route, Mount) else getattr(route, "path", "")
        if rule.access is Access.PUBLIC:
            public.add(path)
        assert auth.is_public(path) == (rule.access is Access.PUBLIC), path
    assert public <= ALLOWLIST
    assert {"/health", "/version", "/api/2.0/runstone/auth/login"} <= public


def test_a_route_without_a_rule_fails_the_build(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real_mount = meta.mount

    def mount_with_a_new_route(app: FastAPI, ctx: Any) -> None:
        real_mount(app, ctx)

        async def forgotten() -> dict[str, str]:
            return {"secret": "data"}

        app.add_api_route("/api/2.0/mlflow/forgotten", forgotten, methods=["GET"])

    monkeypatch.setattr(meta, "mount", mount_with_a_new_route)
    for with_auth in (True, False):
        with pytest.raises(UnguardedRoute, match=r"GET /api/2\.0/mlflow/forgotten has no"):
            create_app(
                ServerSettings(backend_store_uri=f"sqlite:///{tmp_path / 'x.db'}", auth=with_auth)
            )


def test_the_check_bites_on_every_kind_of_route(app: FastAPI) -> None:
    with pytest.raises(TypeError):
        Api().route("GET", "/no-rule", Message)  # type: ignore[call-arg]
    extra = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    extra.router.routes.extend(app.routes)
    assert authorization.problems(extra) == []

    def handler() -> Any:
        async def handle() -> dict[str, str]:
            return {}

        return handle

    extra.add_api_route("/api/2.0/mlflow/unguarded", handler(), methods=["POST"])
    ctx = app.state.ctx
    public_but_guarded = guard(ctx, authorization.SIGNED_IN)(handler())
    extra.add_api_route("/favicon.ico", public_but_guarded, methods=["GET"])
    guarded_but_public = guard(ctx, authorization.PUBLIC)(handler())
    extra.add_api_route("/api/2.0/mlflow/open", guarded_but_public, methods=["GET"])
    twice = guard(ctx, authorization.PUBLIC)(handler())
    with pytest.raises(UnguardedRoute, match="two rules"):
        guard(ctx, authorization.ADMIN)(twice)
    extra.mount("/private-files", FastAPI())
    found = authorization.problems(extra)
    assert len(found) == 4, found
    assert any("POST /api/2.0/mlflow/unguarded has no authorization rule" in p for p in found)
    assert any("/favicon.ico is on the public allowlist" in p for p in found)
    assert any("/api/2.0/mlflow/open is not on the public allowlist" in p for p in found)
    assert any("/private-files/ has no authorization rule" in p for p in found)
    with pytest.raises(UnguardedRoute):
        authorization.verify(extra)


# -- calling every route -------------------------------------------------------------------------


def _values(seeded: Seeded) -> dict[str, Any]:
    return {
        "experiment_id": seeded.experiment_id,
        "experiment_ids": [seeded.experiment_id],
        "experiment_name": seeded.experiment_name,
        "run_id": seeded.run_id,
        "run_ids": [seeded.run_id],
        "model_id": seeded.logged_model_id,
        "name": seeded.model_name,
        "version": "1",
        "alias": "champion",
        "key": "k",
        "value": "v",
        "tag_key": "k",
        "metric_key": "loss",
        "new_name": "renamed-by-eve",
        "description": "changed by eve",
        "stage": "Staging",
        "source": f"runs:/{seeded.run_id}/model",
        "model_json": "{}",
        "timestamp": 1,
        "status": "READY",
        "username": "admin",
        "password": "a long password 2",
        "permission": "MANAGE",
        "is_admin": True,
        "token_id": 1,
        "models": [{"model_id": seeded.logged_model_id, "step": 0}],
        "artifact_path": seeded.artifact_file,
        "path": "hello.txt",
        "num_parts": 1,
        "upload_id": "u",
    }


# Fields that name resources: always sent, so that the rule has something to check.
_RESOURCES = {
    "experiment_id",
    "experiment_ids",
    "run_id",
    "run_ids",
    "model_id",
    "models",
    "path",
    "name",
}
_RESOURCES |= {"version", "experiment_name", "artifact_path"}


def _request(target: Target, seeded: Seeded) -> tuple[str, dict[str, Any]]:
    """The URL and httpx arguments of a minimal valid request to ``target``."""
    values = _values(seeded)
    if "mlflow-artifacts" in target.path:
        values["path"] = seeded.artifact_dir  # a folder of the proxied storage
    if target.rule.access is Access.SIGNED_IN and target.path.endswith("/create"):
        values["name"] = f"made-by-the-caller-{next(_fresh)}"  # creating needs no grant
    url = re.sub(r"\{(\w+)(?::path)?\}", lambda m: str(values[m.group(1)]), target.path)
    fields: dict[str, Any] = {}
    if target.message is not None:
        for name, info in target.message.model_fields.items():
            if name in values and (name in target.message.required or name in _RESOURCES):
                value = values[name]
                if typing.get_origin(info.annotation) is list and not isinstance(value, list):
                    value = [value]
                if name == "value" and "str" not in str(info.annotation):
                    value = 0.5  # a metric's value
                fields[name] = value
    elif target.path.endswith(("/get-artifact", "/upload-artifact")):
        return url, {"params": {"run_id": seeded.run_id, "path": "hello.txt"}, "content": b"x"}
    if target.method in ("GET", "HEAD"):
        return url, {"params": fields}
    if target.message is None:  # a raw route: a file or MLflow's multipart JSON
        return url, {"json": {"path": "f.txt", "num_parts": 1, "upload_id": "u", "parts": []}}
    return url, {"json": fields}


@pytest.fixture(scope="module")
def seeded(closed_url: str) -> Seeded:
    with httpx.Client(base_url=closed_url, timeout=30) as http:
        return seed(http, "coverage")


def _live_targets(app: FastAPI) -> list[Target]:
    return [t for t in targets(app) if t.rule.access is not Access.PUBLIC]


def test_every_non_public_route_refuses_anonymous_callers(
    app: FastAPI, http: httpx.Client, seeded: Seeded
) -> None:
    called = 0
    for target in _live_targets(app):
        url, arguments = _request(target, seeded)
        response = http.request(target.method, url, **arguments)
        assert response.status_code == 401, (target, response.text)
        # API clients get the Basic challenge; the web UI's /ajax-api/ calls get JSON instead
        ui_call = url.startswith("/ajax-api/")
        assert ("www-authenticate" in response.headers) is not ui_call, url
        called += 1
    assert called > 100


def test_every_resource_route_refuses_a_user_without_permissions(
    app: FastAPI, http: httpx.Client, seeded: Seeded
) -> None:
    eve = basic("eve")
    checked = 0
    for target in _live_targets(app):
        url, arguments = _request(target, seeded)
        response = http.request(target.method, url, headers=eve, **arguments)
        if target.rule.checked_per_call:
            assert_denied(response)
            checked += 1
        else:  # signed in is enough: searches filter, the auth endpoints check themselves
            assert response.status_code not in (401, 500), (target, response.text)
        if target.method != "HEAD":
            for secret in seeded.secrets:
                assert secret not in response.text, (target, response.text)
    assert checked > 90
    _assert_untouched(http, seeded)


def _assert_untouched(http: httpx.Client, seeded: Seeded) -> None:
    experiment = ok(
        http.get(
            f"{API}/experiments/get",
            params={"experiment_id": seeded.experiment_id},
            headers=ADMIN,
        )
    )["experiment"]
    assert isinstance(experiment, dict)
    assert experiment["name"] == seeded.experiment_name
    assert experiment["lifecycle_stage"] == "active"
    assert "tags" not in experiment or all(t["key"] != "k" for t in experiment["tags"])
    run = ok(http.get(f"{API}/runs/get", params={"run_id": seeded.run_id}, headers=ADMIN))["run"]
    assert isinstance(run, dict)
    assert run["info"]["lifecycle_stage"] == "active"
    assert "params" not in run["data"]
    model = ok(
        http.get(f"{API}/registered-models/get", params={"name": seeded.model_name}, headers=ADMIN)
    )["registered_model"]
    assert isinstance(model, dict)
    assert model.get("description", "") == ""
    version = ok(
        http.get(
            f"{API}/model-versions/get",
            params={"name": seeded.model_name, "version": "1"},
            headers=ADMIN,
        )
    )["model_version"]
    assert isinstance(version, dict)
    assert version["current_stage"] == "None"
    assert http.get(f"{PROXY}/{seeded.artifact_file}", headers=ADMIN).content == b"hello"
    logged = http.get(f"{API}/logged-models/{seeded.logged_model_id}", headers=ADMIN)
    assert logged.status_code == 200


def test_the_allowlist_is_reachable_without_credentials(http: httpx.Client) -> None:
    for path in ("/health", "/version", "/api/3.0/mlflow/server-info", "/"):
        assert http.get(path).status_code == 200, path


def test_checks_are_skipped_without_auth(tmp_path: Path) -> None:
    """Without --auth the served functions are the handlers themselves: no check at all."""
    plain = create_app(ServerSettings(backend_store_uri=f"sqlite:///{tmp_path / 'p.db'}"))
    assert authorization.problems(plain) == []
    ctx = plain.state.ctx
    assert not authorization.checking(ctx, authorization.run(authorization.READ))
    for route in plain.routes:
        endpoint = getattr(route, "endpoint", None)
        assert not hasattr(endpoint, "__wrapped__"), route
