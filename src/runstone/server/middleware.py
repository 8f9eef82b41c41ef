"""Request checks that hold for every route, with or without authentication.

- **Host**: the ``Host`` header must name an allowed host (DNS rebinding: a hostile page whose
  domain resolves to 127.0.0.1 still sends its own domain as Host).
- **Origin**: a browser's state-changing request from another origin is refused unless the
  origin is allowed for CORS; requests without ``Origin`` (scripts, the mlflow client) pass.
- **CORS**: allowed origins get CORS headers; there is no wildcard.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from runstone.config import DEFAULT_ALLOWED_HOSTS, DEFAULT_CORS_ORIGINS, ServerSettings
from runstone.server.api import json_response

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class HostAndOriginCheck:
    """A pure ASGI middleware: cheap enough for every request."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str], origins: Sequence[str]) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.host_patterns = tuple(h.lower() for h in allowed_hosts)
        self.origins = re.compile(origin_regex(origins))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1")
        if not self.any_host and not self._host_allowed(host):
            response = json_response(
                {
                    "error_code": "PERMISSION_DENIED",
                    "message": f"Host {host!r} is not allowed; start the server with "
                    "--allowed-hosts to allow it.",
                },
                403,
            )
            await response(scope, receive, send)
            return
        origin = headers.get(b"origin")
        if (
            origin is not None
            and scope["method"] not in SAFE_METHODS
            and not self._same_origin(origin.decode("latin-1"), host)
            and not self.origins.match(origin.decode("latin-1"))
        ):
            response = json_response(
                {
                    "error_code": "PERMISSION_DENIED",
                    "message": "Cross-origin request refused; allow the origin with "
                    "--cors-allowed-origins.",
                },
                403,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _host_allowed(self, host: str) -> bool:
        name = _host_name(host)
        return any(
            fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(host.lower(), pattern)
            for pattern in self.host_patterns
        )

    @staticmethod
    def _same_origin(origin: str, host: str) -> bool:
        return urlsplit(origin).netloc.lower() == host.lower()


def _host_name(host: str) -> str:
    host = host.lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def install(app: FastAPI, settings: ServerSettings) -> None:
    """Install the checks on ``app``."""
    hosts = list(settings.allowed_hosts or DEFAULT_ALLOWED_HOSTS)
    if settings.host not in ("0.0.0.0", "::", ""):
        hosts.append(settings.host)
    origins = settings.cors_allowed_origins or DEFAULT_CORS_ORIGINS
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex=origin_regex(origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Content-Type", "Authorization", "Idempotency-Key"],
    )
    app.add_middleware(HostAndOriginCheck, allowed_hosts=hosts, origins=origins)


def origin_regex(origins: Sequence[str]) -> str:
    """One pattern for the CORS headers and the Origin check: an allowed origin exactly, or on
    any port when it names none."""
    parts = []
    for origin in origins:
        split = urlsplit(origin)
        base = re.escape(f"{split.scheme}://{split.netloc}")
        parts.append(base if split.port is not None else base + r"(:\d+)?")
    return "^(" + "|".join(parts) + ")$"
