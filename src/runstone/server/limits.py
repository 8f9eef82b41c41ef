"""Limits on what a request to the API may send, checked before any route reads it.

- **Body size**: an API request body (JSON) is read up to ``max_request_body_bytes`` and no
  further: a ``Content-Length`` over the limit is refused before a byte is read, a chunked body
  as soon as it passes the limit (413). Routes that stream files to storage (artifact uploads,
  multipart parts, the UI's upload) are exempt; they write as they read.
- **JSON depth**: a body nesting arrays and objects deeper than ``max_json_depth`` is refused
  (400) by a scan that does not recurse, before anything decodes it.
- **Content type**: a body sent by ``POST``, ``PUT`` or ``PATCH`` to the JSON API must say
  ``Content-Type: application/json`` (a ``charset`` may follow), answered like MLflow's server
  (400 INVALID_PARAMETER_VALUE; the decoder also refuses a JSON endpoint's POST or PUT that
  names no type at all). An HTML form cannot send that type without a CORS preflight,
  so this also closes the "simple request" route to CSRF.
- **nosniff** on every response (:class:`NoSniff`, installed outermost).
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runstone.config import ServerSettings
from runstone.errors import InvalidParameterValue
from runstone.server.api import error_response, json_response
from runstone.wire.decode import check_json_content_type

# Bodies a route streams to storage: never buffered, never size-checked here.
_STREAMED = re.compile(
    r"^/(ajax-)?api/2\.0/(mlflow-artifacts/(artifacts|mpu/upload-part)/|mlflow/upload-artifact$)"
)
_JSON_API = re.compile(r"^/(ajax-)?api/\d+\.\d+/(mlflow|runstone)/")
_JSON_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Strings (whose brackets do not nest anything) and the bracket characters themselves.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")


class RequestLimits:
    """A pure ASGI middleware: API bodies are buffered (as the routes would) up to the limit."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_json_depth: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(("/api/", "/ajax-api/")):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        if method in ("PUT", "POST") and _STREAMED.match(path):
            await self.app(scope, receive, send)
            return
        refusal = self._refuse_headers(scope, method, path)
        if refusal is None:
            body, refusal = await self._read(receive)
            if refusal is None and json_depth_over(body, self.max_json_depth):
                refusal = error_response(
                    InvalidParameterValue(
                        f"The request body nests JSON deeper than {self.max_json_depth} levels."
                    )
                )
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _refuse_headers(self, scope: Scope, method: str, path: str) -> Response | None:
        headers = dict(scope["headers"])
        has_body = headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers
        if has_body and method in _JSON_METHODS and _JSON_API.match(path):
            content_type = headers.get(b"content-type")
            try:
                check_json_content_type(content_type.decode("latin-1") if content_type else None)
            except InvalidParameterValue as exc:
                return error_response(exc)
        length = headers.get(b"content-length", b"0")
        if length.isdigit() and int(length) > self.max_body_bytes:
            return self._too_large()  # refused before a byte is read
        return None

    async def _read(self, receive: Receive) -> tuple[bytes, Response | None]:
        """The whole body, or a 413 as soon as it passes the limit (the rest is never read)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: answer nothing
                return b"", Response(status_code=400)
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"", self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), None

    def _too_large(self) -> Response:
        return json_response(
            {
                "error_code": "INVALID_PARAMETER_VALUE",
                "message": f"The request body is larger than {self.max_body_bytes} bytes, the "
                "server's limit (runstone server --max-body-size).",
            },
            413,
        )


def json_depth_over(body: bytes, limit: int) -> bool:
    """Whether ``body`` (JSON text) nests arrays and objects deeper than ``limit``.

    No recursion and no per-byte Python loop: strings are cut out and everything but brackets
    dropped (C speed), then each round strips the innermost pairs; the rounds needed to empty
    the text are its depth. Unbalanced text stops early and is left to the JSON decoder.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", body).translate(_AS_SQUARE, _NOT_BRACKETS)
    for _ in range(limit):
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == len(brackets):
            return False  # unbalanced: not JSON, the decoder says why
        brackets = shorter
        if not brackets:
            return False
    return bool(brackets.replace(b"[]", b"") != brackets)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app the buffered body, then the client's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class NoSniff:
    """``X-Content-Type-Options: nosniff`` on every response, refusals included: a browser
    never guesses HTML or script from a JSON answer or a downloaded file."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(name.lower() == _NOSNIFF[0] for name, _ in headers):
                    headers.append(_NOSNIFF)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_header)


_NOSNIFF = (b"x-content-type-options", b"nosniff")


def install_headers(app: FastAPI) -> None:
    """Install :class:`NoSniff` outermost (call after every other middleware is added)."""
    app.add_middleware(NoSniff)


def install(app: FastAPI, settings: ServerSettings) -> None:
    """Install the limits on ``app`` (inside the Host/Origin checks and authentication)."""
    app.add_middleware(
        RequestLimits,
        max_body_bytes=settings.max_request_body_bytes,
        max_json_depth=settings.max_json_depth,
    )
