"""`runstone server --auth`: authentication, throttling, the UI session, the bootstrap token and
MLflow's user and permission endpoints, against a live server over a SQLite file."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from runstone.cli.main import cli
from runstone.config import ServerSettings
from runstone.server.auth import Throttle, announce_bootstrap_token
from runstone.store.sql.auth import AuthStore
from runstone.testing import serve
from tests.cli_helpers import assert_one_line_error, invoke
from tests.server.processes import start_server, stop

API = "/api/2.0/mlflow"
LOGIN = "/api/2.0/runstone/auth/login"
ADMIN_PASSWORD = "admin password 123"
BOB_PASSWORD = "bob's password 456"


def basic(username: str, password: str) -> dict[str, str]:
    value = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {value}"}


ADMIN = basic("admin", ADMIN_PASSWORD)
BOB = basic("bob", BOB_PASSWORD)


@pytest.fixture
def store_uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runstone.db'}"


@pytest.fixture
def auth_store(store_uri: str) -> Iterator[AuthStore]:
    store = AuthStore.open(store_uri)
    yield store
    store.close()


@pytest.fixture
def url(store_uri: str, auth_store: AuthStore, tmp_path: Path) -> Iterator[str]:
    auth_store.create_user("admin", ADMIN_PASSWORD, is_admin=True)
    auth_store.create_user("bob", BOB_PASSWORD)
    with serve(store_uri, auth=True, artifacts_destination=str(tmp_path / "artifacts")) as found:
        yield found


@pytest.fixture
def http(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as client:
        yield client


def test_requests_without_credentials_get_401_with_a_basic_challenge(http: httpx.Client) -> None:
    response = http.get(f"{API}/experiments/search", params={"max_results": 10})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="runstone"'
    assert response.headers["content-type"].startswith("text/plain")
    assert http.get("/docs").status_code == 401
    ui_call = http.get("/ajax-api/2.0/mlflow/experiments/search")  # the web UI's prefix
    assert ui_call.status_code == 401
    assert "www-authenticate" not in ui_call.headers  # its sign-in form, not a browser dialog
    assert ui_call.json()["error_code"] == "UNAUTHENTICATED"


def test_public_routes_need_no_credentials(http: httpx.Client) -> None:
    assert http.get("/health").status_code == 200
    assert http.get("/version").status_code == 200
    assert http.get("/api/3.0/mlflow/server-info").status_code == 200
    assert http.get("/").status_code != 401  # the web UI's page is public; it logs in itself


def test_basic_and_bearer_credentials_are_accepted(
    http: httpx.Client, auth_store: AuthStore
) -> None:
    search = f"{API}/experiments/search"
    assert http.get(search, params={"max_results": 10}, headers=ADMIN).status_code == 200
    assert http.get(search, params={"max_results": 10}, headers=BOB).status_code == 200
    token, _ = auth_store.create_token("bob", "ci")
    bearer = {"Authorization": f"Bearer {token}"}
    assert http.get(search, params={"max_results": 10}, headers=bearer).status_code == 200
    wrong = {"Authorization": f"Bearer {token[:-2]}xx"}
    assert http.get(search, params={"max_results": 10}, headers=wrong).status_code == 401


@pytest.mark.parametrize(
    "authorization",
    [
        basic("bob", "wrong password!!"),
        basic("nobody", BOB_PASSWORD),
        {"Authorization": "Basic !!notbase64"},
        {"Authorization": "Digest abc"},
    ],
)
def test_bad_credentials_get_401(http: httpx.Client, authorization: dict[str, str]) -> None:
    response = http.get(f"{API}/experiments/search", headers=authorization)
    assert response.status_code == 401
    assert "www-authenticate" in response.headers


def test_repeated_failed_logins_are_throttled_per_user_and_address(http: httpx.Client) -> None:
    wrong = basic("bob", "not the password")
    statuses = [http.get(f"{API}/users/current", headers=wrong).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    locked = http.get(f"{API}/users/current", headers=BOB)  # even the right password waits
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) >= 1
    assert http.get(f"{API}/users/current", headers=ADMIN).status_code == 200  # others are not


def test_throttle_backs_off_exponentially_and_forgets() -> None:
    throttle, key = Throttle(), ("bob", "10.0.0.1")
    for _ in range(5):
        throttle.failed(key, now=100.0)
    assert throttle.retry_after(key, now=100.0) == 1.0
    throttle.failed(key, now=100.0)
    assert throttle.retry_after(key, now=100.0) == 2.0
    assert throttle.retry_after(key, now=101.5) == 0.5
    assert throttle.retry_after(key, now=100.0 + 3600) == 0.0
    assert throttle.retry_after(key, now=100.0) == 0.0  # forgotten after a quiet while
    throttle.failed(key)
    throttle.succeeded(key)
    assert throttle.retry_after(key) == 0.0


def test_ui_login_sets_a_session_cookie_and_requires_csrf_for_changes(http: httpx.Client) -> None:
    response = http.post(LOGIN, json={"username": "bob", "password": BOB_PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["username"] == "bob"
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("runstone_session="))
    assert "HttpOnly" in session
    assert "SameSite=strict" in session
    assert "Max-Age=" in session
    assert http.get(f"{API}/users/current").json()["user"]["username"] == "bob"
    create = f"{API}/experiments/create"
    refused = http.post(create, json={"name": "from-ui"})
    assert refused.status_code == 403
    assert refused.json()["error_code"] == "PERMISSION_DENIED"
    wrong = http.post(create, json={"name": "from-ui"}, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    ok = http.post(create, json={"name": "from-ui"}, headers={"X-CSRF-Token": body["csrf_token"]})
    assert ok.status_code == 200, ok.text
    logout = http.post(
        "/api/2.0/runstone/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]}
    )
    assert logout.status_code == 200
    http.cookies.clear()
    assert http.get(f"{API}/users/current").status_code == 401


def test_ui_login_with_a_wrong_password_is_refused(http: httpx.Client) -> None:
    response = http.post(LOGIN, json={"username": "bob", "password": "wrong password"})
    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHENTICATED"
    assert "www-authenticate" not in response.headers  # no browser password dialog
    assert "set-cookie" not in response.headers


def test_a_stolen_session_cookie_is_useless_after_logout(http: httpx.Client, url: str) -> None:
    body = http.post(LOGIN, json={"username": "bob", "password": BOB_PASSWORD}).json()
    stolen = http.cookies["runstone_session"]
    http.post("/api/2.0/runstone/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    with httpx.Client(base_url=url, cookies={"runstone_session": stolen}) as other:
        assert other.get(f"{API}/users/current").status_code == 401


def test_user_management_is_for_admins(http: httpx.Client) -> None:
    created = http.post(
        f"{API}/users/create",
        json={"username": "carol", "password": "carol's password"},
        headers=ADMIN,
    )
    assert created.status_code == 200, created.text
    user = created.json()["user"]
    assert (user["username"], user["is_admin"]) == ("carol", False)
    assert isinstance(user["id"], int)
    listed = http.get(f"{API}/users/list", headers=ADMIN).json()["users"]
    assert [u["username"] for u in listed] == ["admin", "bob", "carol"]
    for method, path, body in [
        ("GET", "/users/list", None),
        ("POST", "/users/create", {"username": "eve", "password": "eve's password"}),
        ("PATCH", "/users/update-admin", {"username": "bob", "is_admin": True}),
        ("DELETE", "/users/delete", {"username": "carol"}),
        ("PATCH", "/users/update-password", {"username": "carol", "password": "x" * 12}),
    ]:
        response = http.request(method, API + path, json=body, headers=BOB)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error_code"] == "PERMISSION_DENIED"
    assert (
        http.get(f"{API}/users/get", params={"username": "admin"}, headers=BOB).status_code == 403
    )


def test_users_endpoints_shapes_and_errors(http: httpx.Client) -> None:
    got = http.get(f"{API}/users/get", params={"username": "bob"}, headers=BOB).json()
    assert got["user"]["username"] == "bob"
    assert got["user"]["experiment_permissions"] == []
    current = http.get(f"{API}/users/current", headers=BOB).json()
    assert current == {
        "user": {"id": got["user"]["id"], "username": "bob", "is_admin": False},
        "is_basic_auth": True,
    }
    missing = http.get(f"{API}/users/get", params={"username": "nobody"}, headers=ADMIN)
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    taken = http.post(
        f"{API}/users/create", json={"username": "bob", "password": BOB_PASSWORD}, headers=ADMIN
    )
    assert taken.status_code == 400
    assert taken.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    short = http.post(
        f"{API}/users/create", json={"username": "dan", "password": "short"}, headers=ADMIN
    )
    assert short.status_code == 400
    assert short.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    self_delete = http.request(
        "DELETE", f"{API}/users/delete", json={"username": "admin"}, headers=ADMIN
    )
    assert self_delete.status_code == 400
    new_password = "bob's new password"
    changed = http.patch(
        f"{API}/users/update-password",
        json={"username": "bob", "password": new_password},
        headers=BOB,
    )
    assert changed.status_code == 200
    assert changed.json() == {}
    assert http.get(f"{API}/users/current", headers=BOB).status_code == 401
    bob = basic("bob", new_password)
    assert http.get(f"{API}/users/current", headers=bob).status_code == 200
    promoted = http.patch(
        f"{API}/users/update-admin", json={"username": "bob", "is_admin": True}, headers=ADMIN
    )
    assert promoted.json() == {}
    assert http.get(f"{API}/users/list", headers=bob).status_code == 200
    deleted = http.request("DELETE", f"{API}/users/delete", json={"username": "bob"}, headers=ADMIN)
    assert deleted.json() == {}
    assert http.get(f"{API}/users/current", headers=bob).status_code == 401


def test_experiment_permission_endpoints(http: httpx.Client) -> None:
    created = http.post(f"{API}/experiments/create", json={"name": "bobs"}, headers=BOB)
    experiment_id = created.json()["experiment_id"]
    path = f"{API}/experiments/permissions"
    mine = http.get(
        f"{path}/get", params={"experiment_id": experiment_id, "username": "bob"}, headers=BOB
    )
    assert mine.status_code == 200, mine.text
    assert mine.json()["experiment_permission"]["permission"] == "MANAGE"  # the creator's
    assert mine.json()["experiment_permission"]["experiment_id"] == experiment_id
    http.post(
        f"{API}/users/create",
        json={"username": "carol", "password": "carol's password"},
        headers=ADMIN,
    )
    carol = basic("carol", "carol's password")
    grant = {"experiment_id": experiment_id, "username": "carol", "permission": "READ"}
    assert http.post(f"{path}/create", json=grant, headers=carol).status_code == 403
    made = http.post(f"{path}/create", json=grant, headers=BOB)  # a MANAGE holder may grant
    assert made.status_code == 200, made.text
    body = made.json()["experiment_permission"]
    assert set(body) == {"experiment_id", "user_id", "permission"}
    assert (body["experiment_id"], body["permission"]) == (experiment_id, "READ")
    again = http.post(f"{path}/create", json=grant, headers=BOB)
    assert again.status_code == 400
    assert again.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    own = http.get(
        f"{path}/get", params={"experiment_id": experiment_id, "username": "carol"}, headers=carol
    )
    assert own.json()["experiment_permission"]["permission"] == "READ"  # one's own grant
    updated = http.patch(f"{path}/update", json={**grant, "permission": "EDIT"}, headers=ADMIN)
    assert updated.status_code == 200
    assert updated.json() == {}
    bad = http.patch(f"{path}/update", json={**grant, "permission": "OWNER"}, headers=ADMIN)
    assert bad.status_code == 400
    assert bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    pair = {"experiment_id": experiment_id, "username": "carol"}
    assert http.request("DELETE", f"{path}/delete", json=pair, headers=BOB).json() == {}
    gone = http.get(f"{path}/get", params=pair, headers=ADMIN)
    assert gone.status_code == 404
    assert gone.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    unknown = http.post(f"{path}/create", json={**grant, "username": "nobody"}, headers=ADMIN)
    assert unknown.status_code == 404
    missing = http.post(f"{path}/create", json={"experiment_id": experiment_id}, headers=ADMIN)
    assert missing.status_code == 400


def test_registered_model_permission_endpoints_follow_renames(http: httpx.Client) -> None:
    made = http.post(f"{API}/registered-models/create", json={"name": "m1"}, headers=BOB)
    assert made.status_code == 200, made.text
    path = f"{API}/registered-models/permissions"
    renamed = http.post(
        f"{API}/registered-models/rename", json={"name": "m1", "new_name": "m2"}, headers=BOB
    )
    assert renamed.status_code == 200
    got = http.get(f"{path}/get", params={"name": "m2", "username": "bob"}, headers=BOB).json()
    assert got["registered_model_permission"]["name"] == "m2"
    assert got["registered_model_permission"]["permission"] == "MANAGE"
    grant = {"name": "m2", "username": "admin", "permission": "EDIT"}
    created = http.post(f"{path}/create", json=grant, headers=BOB).json()
    assert set(created["registered_model_permission"]) == {"name", "user_id", "permission"}
    assert (
        http.patch(f"{path}/update", json={**grant, "permission": "READ"}, headers=BOB).json() == {}
    )
    pair = {"name": "m2", "username": "admin"}
    assert http.request("DELETE", f"{path}/delete", json=pair, headers=BOB).json() == {}
    nowhere = http.get(f"{path}/get", params={"name": "nope", "username": "bob"}, headers=ADMIN)
    assert nowhere.status_code == 404


def test_bootstrap_token_creates_the_first_admin_once(
    store_uri: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = ServerSettings(backend_store_uri=store_uri, auth=True)
    token = announce_bootstrap_token(settings)
    assert token is not None
    assert token in capsys.readouterr().err
    bootstrap = {"Authorization": f"Bearer {token}"}
    with (
        serve(store_uri, auth=True, artifacts_destination=str(tmp_path / "a")) as url,
        httpx.Client(base_url=url) as http,
    ):
        other = http.get(f"{API}/experiments/search", headers=bootstrap)
        assert other.status_code == 403  # good for one thing only
        made = http.post(
            f"{API}/users/create",
            json={"username": "root", "password": ADMIN_PASSWORD},
            headers=bootstrap,
        )
        assert made.status_code == 200, made.text
        assert made.json()["user"]["is_admin"] is True
        again = http.post(
            f"{API}/users/create",
            json={"username": "root2", "password": ADMIN_PASSWORD},
            headers=bootstrap,
        )
        assert again.status_code == 401
        root = basic("root", ADMIN_PASSWORD)
        assert http.get(f"{API}/users/list", headers=root).status_code == 200
    assert announce_bootstrap_token(settings) is None  # an admin exists now
    assert capsys.readouterr().err == ""


def test_without_auth_the_auth_endpoints_do_not_exist(tmp_path: Path) -> None:
    with serve(tmp_path / "store", artifacts_destination=str(tmp_path / "a")) as url:
        response = httpx.get(f"{url}{API}/users/list")
    assert response.status_code == 404
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_users_cli_creates_admins_and_tokens(store_uri: str, auth_store: AuthStore) -> None:
    runner = CliRunner()
    store = ["--backend-store-uri", store_uri]
    made = runner.invoke(
        cli,
        ["users", "create-admin", "-u", "root", "--password-stdin", *store],
        input=ADMIN_PASSWORD + "\n",
    )
    assert made.exit_code == 0, made.output
    assert auth_store.get_user("root").is_admin
    prompted = runner.invoke(
        cli, ["users", "create", "-u", "dan", *store], input="dan's password\ndan's password\n"
    )
    assert prompted.exit_code == 0, prompted.output
    assert auth_store.verify_password("dan", "dan's password") is not None
    token = runner.invoke(cli, ["users", "tokens", "create", "-u", "dan", "-n", "ci", *store])
    assert token.exit_code == 0, token.output
    secret = token.stdout.strip().splitlines()[-1]
    user = auth_store.verify_token(secret)
    assert user is not None
    assert user.username == "dan"
    listed = runner.invoke(cli, ["users", "tokens", "list", "-u", "dan", "--json", *store])
    assert '"name": "ci"' in listed.output
    assert secret not in listed.output
    revoked = runner.invoke(
        cli, ["users", "tokens", "revoke", "-u", "dan", "--token-id", "1", *store]
    )
    assert revoked.exit_code == 0
    assert auth_store.verify_token(secret) is None
    promoted = runner.invoke(cli, ["users", "set-admin", "-u", "dan", *store])
    assert promoted.exit_code == 0
    assert auth_store.get_user("dan").is_admin
    users = runner.invoke(cli, ["users", "list", "--json", *store])
    assert '"username": "dan"' in users.output
    deleted = runner.invoke(cli, ["users", "delete", "-u", "dan", "--yes", *store])
    assert deleted.exit_code == 0
    short = runner.invoke(
        cli, ["users", "create", "-u", "eve", "--password-stdin", *store], input="short\n"
    )
    assert short.exit_code != 0


def test_runstone_server_auth_prints_one_bootstrap_token(tmp_path: Path) -> None:
    """The real command, with two workers: one token, printed once, good in every worker."""
    uri = f"sqlite:///{tmp_path / 'runstone.db'}"
    proc, url = start_server(["--auth", "--backend-store-uri", uri, "--workers", "2"], tmp_path)
    try:
        assert proc.stderr is not None
        lines = [proc.stderr.readline().decode() for _ in range(8)]
        tokens = re.findall(r"rs_boot_[A-Za-z0-9_\-]+", "".join(lines))
        assert len(set(tokens)) == 1
        bootstrap = {"Authorization": f"Bearer {tokens[0]}"}
        with httpx.Client(base_url=url, timeout=30) as http:
            assert http.get(f"{API}/experiments/search", headers=ADMIN).status_code == 401
            made = http.post(
                f"{API}/users/create",
                json={"username": "admin", "password": ADMIN_PASSWORD},
                headers=bootstrap,
            )
            assert made.status_code == 200, made.text
            for _ in range(4):  # whichever worker answers
                search = http.get(
                    f"{API}/experiments/search", params={"max_results": 5}, headers=ADMIN
                )
                assert search.status_code == 200
    finally:
        stop(proc)


def test_auth_can_be_turned_on_by_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RUNSTONE_AUTH and RUNSTONE_AUTH_DEFAULT_PERMISSION, for deployments configured by env."""
    uri = f"sqlite:///{tmp_path / 'runstone.db'}"
    env = {"RUNSTONE_AUTH": "true", "RUNSTONE_AUTH_DEFAULT_PERMISSION": "no_permissions"}
    proc, url = start_server(["--backend-store-uri", uri], tmp_path, extra_env=env)
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            assert http.get(f"{API}/experiments/search").status_code == 401
            assert http.get("/health").status_code == 200
    finally:
        stop(proc)
    monkeypatch.setenv("RUNSTONE_AUTH", "true")
    monkeypatch.setenv("RUNSTONE_AUTH_DEFAULT_PERMISSION", "sometimes")
    outcome = invoke("server", "--backend-store-uri", uri)
    assert_one_line_error(outcome, "Invalid permission 'sometimes'")


def test_users_manage_their_own_tokens_over_rest(http: httpx.Client) -> None:
    tokens = "/api/2.0/runstone/tokens"
    made = http.post(f"{tokens}/create", json={"name": "ci", "expires_in_days": 7}, headers=BOB)
    assert made.status_code == 200, made.text
    token, info = made.json()["token"], made.json()["token_info"]
    assert token.startswith("rs_pat_")
    assert info["name"] == "ci"
    assert "expires_time" in info
    bearer = {"Authorization": f"Bearer {token}"}
    assert http.get(f"{API}/users/current", headers=bearer).json()["user"]["username"] == "bob"
    listed = http.get(f"{tokens}/list", headers=bearer).json()["tokens"]
    assert [t["id"] for t in listed] == [info["id"]]
    assert token not in str(listed)
    others = http.get(f"{tokens}/list", params={"username": "admin"}, headers=BOB)
    assert others.status_code == 403
    assert http.get(f"{tokens}/list", params={"username": "bob"}, headers=ADMIN).status_code == 200
    revoked = http.request("DELETE", f"{tokens}/revoke", json={"token_id": info["id"]}, headers=BOB)
    assert revoked.json() == {}
    assert http.get(f"{API}/users/current", headers=bearer).status_code == 401


def test_the_default_permission_lets_others_read_but_not_change(http: httpx.Client) -> None:
    """With the default READ, bob reads the admin's experiment and run but may not log to it,
    delete it, or write its files; the refusals carry no data."""
    experiment_id = http.post(
        f"{API}/experiments/create", json={"name": "admins"}, headers=ADMIN
    ).json()["experiment_id"]
    run = http.post(
        f"{API}/runs/create", json={"experiment_id": experiment_id}, headers=ADMIN
    ).json()["run"]
    run_id = run["info"]["run_id"]
    got = http.get(f"{API}/runs/get", params={"run_id": run_id}, headers=BOB)
    assert got.status_code == 200
    assert (
        http.get(
            f"{API}/experiments/get", params={"experiment_id": experiment_id}, headers=BOB
        ).json()["experiment"]["name"]
        == "admins"
    )
    folder = run["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
    for method, path, body in [
        ("POST", "/runs/log-parameter", {"run_id": run_id, "key": "k", "value": "v"}),
        ("POST", "/runs/delete", {"run_id": run_id}),
        ("POST", "/experiments/update", {"experiment_id": experiment_id, "new_name": "mine"}),
    ]:
        refused = http.request(method, API + path, json=body, headers=BOB)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json() == {
            "error_code": "PERMISSION_DENIED",
            "message": "Permission denied.",
        }
    upload = http.put(
        f"/api/2.0/mlflow-artifacts/artifacts/{folder}/x.txt", content=b"x", headers=BOB
    )
    assert upload.status_code == 403
    assert (
        "params"
        not in http.get(f"{API}/runs/get", params={"run_id": run_id}, headers=ADMIN).json()["run"][
            "data"
        ]
    )
