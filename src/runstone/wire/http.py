"""The HTTP side of talking to a tracking server, shared by the REST store and the artifact proxy.

:func:`make_http_client` builds the one pooled ``httpx.Client`` (auth, TLS, timeouts, pool size)
from :class:`runstone.config.RestSettings`; :func:`response_error` turns an error answer into the
:mod:`runstone.errors` class it names; :func:`retry_delay` is the backoff both retry loops wait.
Which requests may be retried is each caller's policy, not this module's.
"""

from __future__ import annotations

import random
import ssl
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx
import orjson

from runstone.config import RestSettings
from runstone.errors import InternalError, RunstoneError, TemporarilyUnavailable, error_from_code

# Statuses a request that may be repeated is retried on (after backoff).
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Failures before the request left this process: retrying cannot apply it twice.
UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Connections one client keeps: enough for the artifact transfers that run in parallel (a few
# threads per upload or download, several uploads at once) next to the background logger.
MAX_CONNECTIONS = 64
MAX_KEEPALIVE_CONNECTIONS = 32
# MLflow's reverse mapping for error answers without a JSON body (anything else: 500).
_CODE_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "ENDPOINT_NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    501: "NOT_IMPLEMENTED",
    503: "TEMPORARILY_UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# The SHA-256 (hex) of a whole stored artifact: in an upload's answer and with a download.
SHA256_HEADER = "X-Runstone-Sha256"


def make_http_client(
    settings: RestSettings, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """A pooled client for one tracking server: auth, TLS and timeouts from ``settings``.

    Basic auth when a username and password are set, else a bearer token when one is (as
    MLflow's client does). ``httpx.Client`` is thread-safe: one client serves the background
    logger and parallel artifact transfers at once. ``transport`` replaces the network (tests
    use ``httpx.MockTransport``).
    """
    headers = {"User-Agent": f"runstone/{_version()}"}
    auth: httpx.Auth | None = None
    if settings.username and settings.password:
        auth = httpx.BasicAuth(settings.username, settings.password)
    elif settings.token:
        headers["Authorization"] = f"Bearer {settings.token}"
    timeout = httpx.Timeout(
        settings.timeout_s, connect=min(settings.connect_timeout_s, settings.timeout_s)
    )
    limits = httpx.Limits(
        max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS
    )
    return httpx.Client(
        auth=auth,
        headers=headers,
        timeout=timeout,
        limits=limits,
        verify=tls_verification(settings),
        transport=transport,
    )


def tls_verification(settings: RestSettings) -> ssl.SSLContext | bool:
    """What httpx's ``verify`` gets: True, False (``insecure_tls``) or a configured context."""
    if not settings.server_cert_path and not settings.client_cert_path:
        return not settings.insecure_tls
    import certifi  # httpx's own CA bundle; only needed when a certificate is configured

    context = ssl.create_default_context(cafile=settings.server_cert_path or certifi.where())
    if settings.insecure_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if settings.client_cert_path:
        context.load_cert_chain(settings.client_cert_path)
    return context


def _version() -> str:
    try:
        return version("runstone")
    except PackageNotFoundError:
        return "0.0.0"


def response_error(response: httpx.Response, method: str, url: str) -> RunstoneError:
    """The error an answer reports: its JSON ``error_code``, else one derived from the status
    (MLflow's mapping, e.g. an HTML 404 is ``ENDPOINT_NOT_FOUND``).

    The body must have been read (a streamed response: call ``read()`` first).
    """
    status = response.status_code
    try:
        data = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error_code"), str):
        code: str = data["error_code"]
        if code.isdigit():  # some proxies put the HTTP status there
            code = _CODE_BY_STATUS.get(int(code), "INTERNAL_ERROR")
        message = data.get("message")
        if not isinstance(message, str) or not message:
            message = f"{method} {url} failed with HTTP {status} ({code})."
        return error_from_code(code, message)
    code = _CODE_BY_STATUS.get(status, "INTERNAL_ERROR")
    detail = _excerpt(response.text)
    if response.is_redirect:
        detail = f"redirected to {response.headers.get('Location', '?')}"
    return error_from_code(code, f"{method} {url} failed with HTTP {status}: {detail}")


def json_object(response: httpx.Response, method: str, url: str, server: str) -> dict[str, Any]:
    """The JSON object a successful answer carries (``{}`` for an empty body); an answer that
    is not one means ``server`` is not what we think it is."""
    if not response.content:
        return {}
    try:
        data = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        kind = response.headers.get("Content-Type", "no content type")
        raise InternalError(
            f"{method} {url} answered HTTP {response.status_code} with a body that is not a "
            f"JSON object ({kind}); is {server}?"
        )
    return data


def retry_delay(settings: RestSettings, attempt: int, retry_after: str | None) -> float:
    """Seconds to wait before retry ``attempt`` (0-based): exponential backoff with jitter,
    stretched to a server's ``Retry-After`` (in seconds) when the settings respect it."""
    delay = min(settings.backoff_max_s, settings.backoff_factor * 2.0**attempt)
    delay += random.uniform(0.0, settings.backoff_jitter)
    if retry_after is not None and settings.respect_retry_after:
        hinted = _seconds(retry_after)
        if hinted is not None:
            delay = max(delay, min(hinted, settings.backoff_max_s))
    return delay


def describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def unreachable(
    base: str, method: str, url: str, exc: httpx.TransportError, attempts: int
) -> TemporarilyUnavailable:
    """The error for a server that could not be reached, after ``attempts`` tries."""
    tries = "once" if attempts == 1 else f"{attempts} times"
    return TemporarilyUnavailable(
        f"The tracking server at {base} is unavailable: {method} {url} failed "
        f"({describe(exc)}); tried {tries}."
    )


def _excerpt(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _seconds(retry_after: str) -> float | None:
    """A ``Retry-After`` given in seconds (an HTTP date is ignored: the backoff applies)."""
    try:
        value = float(retry_after)
    except ValueError:
        return None
    return value if value >= 0 else None
