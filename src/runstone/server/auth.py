"""Authentication for ``runstone server --auth``: who is calling, before any route runs.

A pure ASGI middleware resolves the caller from, in this order:

- ``Authorization: Basic`` — username and password (what ``MLFLOW_TRACKING_USERNAME`` and
  ``MLFLOW_TRACKING_PASSWORD`` send);
- ``Authorization: Bearer`` — a personal access token (``MLFLOW_TRACKING_TOKEN``), or, while
  no admin exists, the one-time bootstrap token the server printed at start, which may only
  call ``users/create`` (and that call creates an admin);
- the UI's session cookie, set by ``POST /api/2.0/runstone/auth/login``. A state-changing
  request authenticated by the cookie must carry the session's CSRF token in
  ``X-CSRF-Token``; requests with an ``Authorization`` header need none (a browser never adds
  one on its own).

Missing or bad credentials answer 401 in plain text with ``WWW-Authenticate: Basic``, as
MLflow's basic-auth app does. Failed logins are throttled per (username, client address):
after a few failures each further one locks the pair out for twice as long as the last, up to
15 minutes, answered with 429 and ``Retry-After``. The bookkeeping is in memory, per worker
process: with N workers an attacker gets at most N times the attempts.

Routes see the caller through :func:`current_user` (from the request) or :func:`acting_user`
(in a handler that has no request); :func:`require` and :func:`require_admin` are the checks
authorization builds on, and :func:`on_created` gives a resource's creator MANAGE on it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import secrets
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from runstone.config import ServerSettings, StoreSettings
from runstone.errors import PermissionDenied, Unauthenticated
from runstone.store.sql.auth import BOOTSTRAP_PREFIX, AuthStore
from runstone.store.sql.auth_entities import Permission, User

LOGIN_PATH = "/api/2.0/runstone/auth/login"
LOGOUT_PATH = "/api/2.0/runstone/auth/logout"

# Everything reachable without credentials. An entry ending in ``*`` is a prefix.
PUBLIC_PATHS: tuple[str, ...] = (
    "/health",
    "/version",
    "/api/3.0/mlflow/server-info",
    "/ajax-api/3.0/mlflow/server-info",
    LOGIN_PATH,
    "/",  # the UI's index page (it shows the login form) and its static files
    "/favicon.ico",
    "/static-files/*",
)
# What the bootstrap token may call: creating the first admin.
BOOTSTRAP_PATHS = frozenset(
    prefix + path
    for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
    for path in ("/users/create",)
)

SESSION_COOKIE = "runstone_session"
UI_API_PREFIX = "/ajax-api/"  # what the web UI calls (as MLflow's own UI does)
CSRF_COOKIE = "runstone_csrf"  # readable by the UI's script; checked against the server's copy
CSRF_HEADER = "x-csrf-token"
SESSION_TTL_S = 12 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REALM = 'Basic realm="runstone"'

_FREE_FAILURES = 5  # failed logins before the lockout starts
_MAX_LOCKOUT_S = 900.0
_FORGET_AFTER_S = 900.0  # a pair with no failure for this long starts afresh
_MAX_TRACKED = 10_000  # pairs remembered; the oldest go first
_CACHE_TTL_S = 300.0  # a verified password is re-checked with argon2 after this
_MAX_CACHED = 1024


@dataclass(frozen=True, slots=True)
class Principal:
    """Who made a request: a user, or (``user`` None) the holder of the bootstrap token."""

    user: User | None
    method: str  # "basic", "bearer", "session" or "bootstrap"
    bootstrap_token: str | None = None
    csrf_hash: str | None = None


@dataclass
class Throttle:
    """Failed logins per key; decides how long a key must wait before its next attempt."""

    _entries: OrderedDict[tuple[str, str], tuple[int, float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, key: tuple[str, str], now: float | None = None) -> float:
        """Seconds to wait before ``key`` may try again (0: now)."""
        with self._lock:
            return self._retry_after(key, time.monotonic() if now is None else now)

    def _retry_after(self, key: tuple[str, str], now: float) -> float:
        entry = self._entries.get(key)
        if entry is None:
            return 0.0
        failures, last = entry
        if now - last > _FORGET_AFTER_S:
            del self._entries[key]
            return 0.0
        if failures < _FREE_FAILURES:
            return 0.0
        lockout = min(_MAX_LOCKOUT_S, 2.0 ** (failures - _FREE_FAILURES))
        return max(0.0, last + lockout - now)

    def failed(self, key: tuple[str, str], now: float | None = None) -> None:
        with self._lock:
            failures = self._entries.pop(key, (0, 0.0))[0]
            self._entries[key] = (failures + 1, time.monotonic() if now is None else now)
            while len(self._entries) > _MAX_TRACKED:
                self._entries.popitem(last=False)

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._entries.pop(key, None)


class TooManyAttempts(Exception):
    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"retry after {retry_after_s:.0f} s")
        self.retry_after_s = retry_after_s


class Gate:
    """Everything authentication needs at run time: the auth store, the throttle, a cache of
    recently verified passwords, and the default permission."""

    def __init__(self, store: AuthStore, default_permission: Permission) -> None:
        self.store = store
        self.default_permission = default_permission
        self.throttle = Throttle()
        # HMAC(process key, username + password) → the password hash it verified against:
        # argon2 runs once per credentials and password change, not once per request.
        self._cache_key = secrets.token_bytes(32)
        self._verified: OrderedDict[bytes, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def close(self) -> None:
        self.store.close()

    def login(self, username: str, password: str, client: str) -> User | None:
        """The user, if the password is right; raises TooManyAttempts while locked out."""
        key = (username, client)
        wait = self.throttle.retry_after(key)
        if wait > 0:
            raise TooManyAttempts(wait)
        user = self._cached(username, password) or self.store.verify_password(username, password)
        if user is None:
            self.throttle.failed(key)
            return None
        self.throttle.succeeded(key)
        self._remember(username, password)
        return user

    def _fingerprint(self, username: str, password: str) -> bytes:
        text = f"{username}\0{password}".encode()
        return hmac.new(self._cache_key, text, hashlib.sha256).digest()

    def _cached(self, username: str, password: str) -> User | None:
        with self._lock:
            entry = self._verified.get(self._fingerprint(username, password))
        if entry is None or time.monotonic() - entry[1] > _CACHE_TTL_S:
            return None
        current = self.store.password_hash_of(username)  # a changed password or deleted user
        if current is None or not hmac.compare_digest(current[1], entry[0]):
            return None
        return current[0]

    def _remember(self, username: str, password: str) -> None:
        current = self.store.password_hash_of(username)
        if current is None:
            return
        with self._lock:
            self._verified[self._fingerprint(username, password)] = (current[1], time.monotonic())
            while len(self._verified) > _MAX_CACHED:
                self._verified.popitem(last=False)

    def authenticate(self, authorization: str | None, cookie: str | None, client: str) -> Principal:
        """The caller a request's credentials name; Unauthenticated when there are none or
        they are wrong, TooManyAttempts while the caller is locked out."""
        if authorization:
            scheme, _, value = authorization.strip().partition(" ")
            if scheme.lower() == "basic":
                username, password = _basic_credentials(value)
                user = self.login(username, password, client)
                if user is not None:
                    return Principal(user, "basic")
            elif scheme.lower() == "bearer":
                return self._bearer(value.strip(), client)
            raise Unauthenticated("Invalid credentials.")
        session_id = cookie_parser(cookie or "").get(SESSION_COOKIE)
        if session_id:
            session = self.store.resolve_session(session_id)
            if session is not None:
                return Principal(session.user, "session", csrf_hash=session.csrf_hash)
        raise Unauthenticated("Authentication required.")

    def _bearer(self, token: str, client: str) -> Principal:
        key = ("<token>", client)
        wait = self.throttle.retry_after(key)
        if wait > 0:
            raise TooManyAttempts(wait)
        if token.startswith(BOOTSTRAP_PREFIX) and self.store.bootstrap_token_valid(token):
            return Principal(None, "bootstrap", bootstrap_token=token)
        user = self.store.verify_token(token)
        if user is None:
            self.throttle.failed(key)
            raise Unauthenticated("Invalid token.")
        return Principal(user, "bearer")


def _basic_credentials(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthenticated("Malformed Basic credentials.") from None
    username, sep, password = decoded.partition(":")
    if not sep or not username:
        raise Unauthenticated("Malformed Basic credentials.")
    return username, password


def is_public(path: str) -> bool:
    return any(
        path.startswith(entry[:-1]) if entry.endswith("*") else path == entry
        for entry in PUBLIC_PATHS
    )


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


@dataclass(frozen=True, slots=True)
class _Acting:
    principal: Principal
    gate: Gate


_ACTING: ContextVar[_Acting | None] = ContextVar("runstone_acting", default=None)


class AuthMiddleware:
    """Authenticates every request not on the public allowlist (pure ASGI)."""

    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # none are served; refuse rather than let one by
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http" or is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            principal = await run_in_threadpool(
                self.gate.authenticate,
                headers.get("authorization"),
                headers.get("cookie"),
                client_address(scope),
            )
        except Unauthenticated as exc:
            await unauthenticated(exc.message, scope["path"])(scope, receive, send)
            return
        except TooManyAttempts as exc:
            await too_many_attempts(exc.retry_after_s)(scope, receive, send)
            return
        refusal = _refusal(principal, scope, headers)
        if refusal is not None:
            body = orjson.dumps(PermissionDenied(refusal).to_dict())
            denied = Response(body, 403, media_type="application/json")
            await denied(scope, receive, send)
            return
        scope.setdefault("state", {})["runstone_principal"] = principal
        with _acting(_Acting(principal, self.gate)):
            await self.app(scope, receive, send)


def _refusal(principal: Principal, scope: Scope, headers: dict[str, str]) -> str | None:
    if principal.method == "bootstrap" and scope["path"] not in BOOTSTRAP_PATHS:
        return "The bootstrap token may only create the first admin (users/create)."
    if principal.method == "session" and scope["method"] not in SAFE_METHODS:
        sent = headers.get(CSRF_HEADER, "")
        expected = principal.csrf_hash or ""
        if not sent or not hmac.compare_digest(hashlib.sha256(sent.encode()).hexdigest(), expected):
            return "Missing or wrong X-CSRF-Token header."
    return None


@contextmanager
def _acting(acting: _Acting) -> Iterator[None]:
    token = _ACTING.set(acting)
    try:
        yield
    finally:
        _ACTING.reset(token)


def unauthenticated(message: str, path: str = "") -> Response:
    """401. API clients get plain text and ``WWW-Authenticate: Basic``, as from MLflow; the web
    UI's calls (under ``/ajax-api/``) get MLflow's error JSON without that header, so the
    browser shows the UI's sign-in form instead of its own password dialog."""
    text = (
        f"You are not authenticated: {message} Send a username and password (Basic) or a "
        "token (Bearer)."
    )
    if path.startswith(UI_API_PREFIX):
        return JSONResponse({"error_code": "UNAUTHENTICATED", "message": text}, 401)
    return PlainTextResponse(text, 401, headers={"WWW-Authenticate": REALM})


def too_many_attempts(retry_after_s: float) -> Response:
    seconds = max(1, math.ceil(retry_after_s))
    return PlainTextResponse(
        f"Too many failed logins; try again in {seconds} s.",
        429,
        headers={"Retry-After": str(seconds)},
    )


# -- what routes and the authorization layer use ------------------------------------------------


def current_principal(request: Request) -> Principal | None:
    """Who made ``request`` (None when the server runs without --auth)."""
    found = request.scope.get("state", {}).get("runstone_principal")
    return found if isinstance(found, Principal) else None


def current_user(request: Request) -> User | None:
    """The user who made ``request``; None without --auth (or for the bootstrap token)."""
    principal = current_principal(request)
    return principal.user if principal is not None else None


def acting_principal() -> Principal | None:
    """Who made the request being served (None without --auth)."""
    acting = _ACTING.get()
    return acting.principal if acting is not None else None


def acting_user() -> User | None:
    """The user of the request being served, for handlers that see no request (they run in
    the thread pool, which inherits the request's context)."""
    acting = _ACTING.get()
    return acting.principal.user if acting is not None else None


def acting_gate() -> Gate | None:
    """The auth gate of the request being served; None without --auth."""
    acting = _ACTING.get()
    return acting.gate if acting is not None else None


def require(needed: Permission, kind: str, resource: str) -> None:
    """Refuse (PermissionDenied) unless the acting user holds ``needed`` or more on the
    ``experiment`` (id) or ``registered_model`` (name); admins hold everything, others their
    grant or the server's default. Does nothing when the server runs without --auth."""
    acting = _ACTING.get()
    if acting is None:
        return
    user = acting.principal.user
    if user is None:
        raise PermissionDenied("Permission denied.")
    held = acting.gate.store.effective_permission(
        kind, resource, user, acting.gate.default_permission
    )
    if held < needed:
        raise PermissionDenied("Permission denied.")


def require_admin() -> User | None:
    """Refuse unless the acting user is an admin; the admin (None without --auth)."""
    acting = _ACTING.get()
    if acting is None:
        return None
    user = acting.principal.user
    if user is None or not user.is_admin:
        raise PermissionDenied("Permission denied: only admins may do this.")
    return user


def on_created(kind: str, resource: str) -> None:
    """Give the acting user MANAGE on the ``experiment`` or ``registered_model`` they just
    created (MLflow's rule). Does nothing without --auth."""
    acting = _ACTING.get()
    if acting is not None and acting.principal.user is not None:
        acting.gate.store.grant_creator(kind, resource, acting.principal.user)


# -- setting up ------------------------------------------------------------------------------


def install(app: FastAPI, settings: ServerSettings) -> Gate:
    """Require authentication on ``app``; the gate its auth routes share (close it on
    shutdown). Install it before the Host/Origin checks, which must run first."""
    store = AuthStore.open(settings.backend_store_uri, StoreSettings.from_env())
    gate = Gate(store, Permission.parse(settings.auth_default_permission))
    app.add_middleware(AuthMiddleware, gate=gate)
    return gate


def announce_bootstrap_token(settings: ServerSettings) -> str | None:
    """While the store has no admin, make a new one-time bootstrap token (any earlier one
    stops working) and print it to stderr; called once per `runstone server --auth` start."""
    store = AuthStore.open(settings.backend_store_uri, StoreSettings.from_env())
    try:
        token = store.issue_bootstrap_token()
    finally:
        store.close()
    if token is not None:
        print(
            "\nNo admin user exists yet. Create the first one with this one-time token:\n\n"
            f"  curl -X POST -H 'Authorization: Bearer {token}' "
            "-H 'Content-Type: application/json' \\\n"
            f'    -d \'{{"username": "admin", "password": "…"}}\' '
            f"http://{settings.host}:{settings.port}/api/2.0/mlflow/users/create\n\n"
            "or run `runstone users create-admin`. The token works once, and only until an "
            "admin exists.\n",
            file=sys.stderr,
            flush=True,
        )
    return token
