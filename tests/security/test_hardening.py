"""Hardening that holds with or without ``--auth``: Host and Origin checks, CORS, body size,
JSON depth and content type, search limits, security headers, artifacts as attachments, CSRF.

Each test asserts the refusal and that nothing was created or changed behind it.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from runstone.search.parser import MAX_COMPARISONS, MAX_FILTER_LENGTH
from runstone.server.limits import RequestLimits, json_depth_over
from runstone.store.sql.auth import AuthStore
from runstone.store.validation import MAX_SEARCH_RESULTS
from runstone.testing import serve

API = "/api/2.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
LIMIT = 256 * 1024  # the body limit of the test server
FAST = 2.0  # seconds: a generous bound for "refused quickly"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hardening")


@pytest.fixture(scope="module")
def url(store_dir: Path) -> Iterator[str]:
    with serve(
        store_dir / "store",
        artifacts_destination=str(store_dir / "artifacts"),
        max_request_body_bytes=LIMIT,
    ) as served:
        yield served


@pytest.fixture
def client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as http:
        yield http


def error(response: httpx.Response, status: int, code: str = "INVALID_PARAMETER_VALUE") -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_code", "message"}
    assert body["error_code"] == code
    assert response.headers["x-content-type-options"] == "nosniff"
    message = body["message"]
    assert isinstance(message, str)
    return message


def experiment_names(client: httpx.Client) -> set[str]:
    found = client.post(f"{API}/experiments/search", json={"max_results": 1000}).json()
    return {e["name"] for e in found.get("experiments", [])}


# -- Host, Origin, CORS -------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5000", "127.0.0.1.nip.io", ""])
def test_a_foreign_host_is_refused(client: httpx.Client, host: str) -> None:
    """DNS rebinding: a hostile page whose name resolves to 127.0.0.1 still sends its name."""
    before = experiment_names(client)
    response = client.post(
        f"{API}/experiments/create", json={"name": "rebound"}, headers={"Host": host}
    )
    assert "not allowed" in error(response, 403, "PERMISSION_DENIED")
    assert client.get("/health", headers={"Host": host}).status_code == 403
    assert experiment_names(client) == before


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost.evil.example"])
def test_a_state_changing_request_from_a_foreign_origin_is_refused(
    client: httpx.Client, origin: str
) -> None:
    before = experiment_names(client)
    response = client.post(
        f"{API}/experiments/create", json={"name": "cross-site"}, headers={"Origin": origin}
    )
    assert "Cross-origin" in error(response, 403, "PERMISSION_DENIED")
    deleted = client.delete(f"{PROXY}/anything", headers={"Origin": origin})
    assert deleted.status_code == 403
    assert experiment_names(client) == before


def test_the_same_origin_and_localhost_origins_pass(client: httpx.Client, url: str) -> None:
    for origin in (url, "http://localhost:3000"):
        name = f"from-{urlsplit(origin).port}"
        response = client.post(
            f"{API}/experiments/create", json={"name": name}, headers={"Origin": origin}
        )
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("origin", ["http://evil.example", "http://localhost:3000"])
def test_cors_never_answers_a_wildcard(client: httpx.Client, origin: str) -> None:
    preflight = client.options(
        f"{API}/experiments/create",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    simple = client.get("/health", headers={"Origin": origin})
    for response in (preflight, simple):
        allowed = response.headers.get("access-control-allow-origin")
        assert allowed != "*"
        assert allowed in (None, origin)
        if "evil" in origin:
            assert allowed is None


# -- bodies -------------------------------------------------------------------------------------


def _raw_response(url: str, head: bytes, then: Iterator[bytes] | None = None) -> tuple[int, int]:
    """Send ``head``, then pieces of ``then`` until the server answers; (status, bytes sent)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head)
        sent = 0
        sock.setblocking(False)
        reply = b""
        deadline = time.monotonic() + 10
        while b"\r\n" not in reply and time.monotonic() < deadline:
            try:
                reply += sock.recv(65536)
                continue
            except BlockingIOError:
                pass
            piece = next(then, None) if then is not None else None
            if piece is None:
                time.sleep(0.01)
                continue
            try:
                sock.sendall(piece)
                sent += len(piece)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.01)
    return int(reply.split(b" ", 2)[1]), sent


def test_a_declared_oversized_body_is_refused_before_it_is_sent(client: httpx.Client) -> None:
    """Content-Length over the limit: 413 at once, while the client has sent nothing."""
    host = urlsplit(str(client.base_url))
    head = (
        f"POST {API}/runs/log-batch HTTP/1.1\r\nHost: {host.hostname}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {10**9}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    status, sent = _raw_response(str(client.base_url), head)
    assert (status, sent) == (413, 0)
    assert time.monotonic() - started < FAST


def test_a_chunked_oversized_body_is_refused_while_it_streams(client: httpx.Client) -> None:
    host = urlsplit(str(client.base_url))
    head = (
        f"POST {API}/experiments/create HTTP/1.1\r\nHost: {host.hostname}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunk = b"x" * 16384
    endless = (b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(100_000))  # 1.6 GB
    status, sent = _raw_response(str(client.base_url), head, endless)
    assert status == 413
    assert sent < 64 * LIMIT  # the server stopped reading soon after the limit
    assert "x" * 10 not in "".join(experiment_names(client))


def test_the_limit_reads_no_more_than_it_allows() -> None:
    """In process: the middleware pulls at most the limit and one chunk from the client."""
    pulled = 0

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1000
        return {"type": "http.request", "body": b" " * 1000, "more_body": True}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app must not run")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": f"{API}/runs/log-batch",
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
    }
    # A thread of its own: a browser test earlier in this worker may hold an event loop here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, RequestLimits(app, 10_000, 64)(scope, receive, send)).result()
    assert sent[0]["status"] == 413
    assert pulled <= 10_000 + 1000


def test_a_body_under_the_limit_is_served(client: httpx.Client) -> None:
    name = "n" * 400
    response = client.post(
        f"{API}/experiments/create", json={"name": name, "tags": [{"key": "k", "value": "v"}]}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
        b'{"name": ' + b'{"a": ' * 20_000 + b"1" + b"}" * 20_000 + b"}",
        b'{"name": "x", "tags": ' + b"[" * 65 + b"]" * 65 + b"}",
    ],
    ids=["unclosed", "arrays", "objects", "just-over"],
)
def test_deeply_nested_json_is_refused_fast(client: httpx.Client, body: bytes) -> None:
    before = experiment_names(client)
    started = time.monotonic()
    response = client.post(
        f"{API}/experiments/create", content=body, headers={"Content-Type": "application/json"}
    )
    error(response, 400)
    assert time.monotonic() - started < FAST
    assert experiment_names(client) == before


def test_the_depth_scan_ignores_brackets_inside_strings() -> None:
    assert not json_depth_over(b'{"a": "' + b"[" * 1000 + b'"}', 64)
    assert not json_depth_over(b'{"a": "\\"' + b"[" * 1000 + b'"}', 64)
    assert json_depth_over(b"[" * 65 + b"]" * 65, 64)
    assert not json_depth_over(b"[" * 64 + b"]" * 64, 64)
    assert not json_depth_over(b"[" + b"[1]," * 5000 + b"[2]]", 64)  # wide, not deep


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"{API}/experiments/create"),
        ("POST", f"{API}/runs/search"),
        ("PATCH", f"{API}/registered-models/update"),
        ("POST", "/api/2.0/runstone/auth/login"),
    ],
)
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
def test_json_endpoints_refuse_other_content_types(
    client: httpx.Client, method: str, path: str, content_type: str
) -> None:
    """What an HTML form can send without a preflight is refused, as MLflow's server does
    (400 INVALID_PARAMETER_VALUE rather than 415, so MLflow's clients see the same error)."""
    before = experiment_names(client)
    headers = {"Content-Type": content_type} if content_type else {}
    body = b'{"name": "form-post"}'
    response = client.request(method, path, content=body, headers=headers)
    assert "Content-Type" in error(response, 400)
    assert experiment_names(client) == before


def test_json_with_a_charset_is_accepted(client: httpx.Client) -> None:
    response = client.post(
        f"{API}/experiments/create",
        content=b'{"name": "with-charset"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200, response.text


# -- search limits ------------------------------------------------------------------------------


def _chain(joiner: str, count: int) -> str:
    return joiner.join(f"metrics.m{i} > {i}" for i in range(count))


@pytest.mark.parametrize(
    "text",
    [
        _chain(" AND ", 10_000),
        _chain(" OR ", MAX_COMPARISONS + 1),
        "(" * 10_000 + "metrics.a > 1" + ")" * 10_000,
        "params.p = '" + "x" * MAX_FILTER_LENGTH + "'",
    ],
    ids=["10k-ands", "too-many-ors", "deep-parentheses", "too-long"],
)
def test_pathological_filters_are_refused_fast(client: httpx.Client, text: str) -> None:
    for path, body in (
        (f"{API}/runs/search", {"experiment_ids": ["0"], "filter": text}),
        (f"{API}/experiments/search", {"filter": text.replace("metrics.m", "tags.t")}),
    ):
        started = time.monotonic()
        error(client.post(path, json=body), 400)
        assert time.monotonic() - started < FAST
    started = time.monotonic()
    searched = client.get(f"{API}/registered-models/search", params={"filter": text[:60_000]})
    assert searched.status_code == 400
    assert time.monotonic() - started < FAST


def test_max_results_over_the_cap_is_refused(client: httpx.Client) -> None:
    body = {"experiment_ids": ["0"], "max_results": MAX_SEARCH_RESULTS + 1}
    assert "max_results" in error(client.post(f"{API}/runs/search", json=body), 400)
    error(client.post(f"{API}/experiments/search", json={"max_results": 10**9}), 400)
    error(client.get(f"{API}/registered-models/search", params={"max_results": 10**9}), 400)


# -- headers and downloads ----------------------------------------------------------------------


def test_html_has_a_strict_content_security_policy(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy or "frame-ancestors 'self'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/health"),
        ("GET", "/version"),
        ("GET", f"{API}/experiments/get-by-name?experiment_name=missing"),
        ("POST", f"{API}/experiments/search"),
        ("GET", "/no/such/route"),
    ],
)
def test_every_json_answer_says_nosniff(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path, json={} if method == "POST" else None)
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<html><script>alert(document.cookie)</script></html>"),
        ("page.htm", b"<script>alert(1)</script>"),
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("code.js", b"alert(1)"),
        ("page.xhtml", b"<html xmlns='http://www.w3.org/1999/xhtml'><script>1</script></html>"),
        ("noext", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_artifacts_come_back_as_inert_attachments(
    client: httpx.Client, name: str, content: bytes
) -> None:
    experiment = client.post(f"{API}/experiments/create", json={"name": f"files-{name}"}).json()
    run = client.post(
        f"{API}/runs/create", json={"experiment_id": experiment["experiment_id"], "start_time": 1}
    ).json()["run"]["info"]
    folder = run["artifact_uri"].removeprefix("mlflow-artifacts:").strip("/")
    assert client.put(f"{PROXY}/{folder}/{name}", content=content).status_code == 200
    for response in (
        client.get(f"{PROXY}/{folder}/{name}"),
        client.get("/get-artifact", params={"run_id": run["run_id"], "path": name}),
        client.get(
            "/ajax-api/2.0/mlflow/get-artifact", params={"run_id": run["run_id"], "path": name}
        ),
    ):
        assert response.status_code == 200
        assert response.content == content
        assert response.headers["content-disposition"].startswith("attachment")
        kind = response.headers["content-type"].split(";")[0]
        assert kind in ("text/plain", "application/octet-stream"), kind
        assert response.headers["x-content-type-options"] == "nosniff"


# -- CSRF (a server with --auth) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def auth_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("csrf")
    uri = f"sqlite:///{folder / 'runstone.db'}"
    store = AuthStore.open(uri)
    try:
        store.create_user("alice", "alice's long password")
    finally:
        store.close()
    with serve(uri, auth=True, artifacts_destination=str(folder / "artifacts")) as served:
        yield served


def test_a_cookie_authenticated_post_without_the_csrf_token_is_refused(auth_url: str) -> None:
    with httpx.Client(base_url=auth_url, timeout=30) as http:
        login = http.post(
            "/api/2.0/runstone/auth/login",
            json={"username": "alice", "password": "alice's long password"},
        )
        assert login.status_code == 200, login.text
        token = login.json()["csrf_token"]
        for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": ""}):
            refused = http.post(f"{API}/experiments/create", json={"name": "csrf"}, headers=headers)
            error(refused, 403, "PERMISSION_DENIED")
        found = http.get(f"{API}/experiments/get-by-name", params={"experiment_name": "csrf"})
        assert found.status_code == 404
        accepted = http.post(
            f"{API}/experiments/create", json={"name": "csrf"}, headers={"X-CSRF-Token": token}
        )
        assert accepted.status_code == 200, accepted.text
