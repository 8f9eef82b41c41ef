"""``create_app(settings)``: the model scoring server as one small ASGI application.

Routes are MLflow's (mlflow-compat.md §6): ``/ping`` and ``/health`` (200 once the model is
loaded, 404 if it failed to load), ``/version`` and ``POST /invocations``. The app is a plain
ASGI callable rather than a web framework: scoring is one route whose speed is the point, so
each request costs one body read, one parse, one ``predict`` and one orjson dump.

The model is loaded when the app is built, before the server accepts connections. Parsing,
``predict`` and encoding run in a small thread pool, so the event loop keeps answering
``/ping`` while a model works and a request over the timeout can be answered 504. The hop to
the pool and back is one loop future, settled from the worker thread, and one timer: cheaper
per request than ``run_in_executor`` under ``asyncio.wait_for``, which chain three futures.
"""

from __future__ import annotations

import asyncio
import logging
import os
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

from runstone import __version__
from runstone.config import ScoringSettings
from runstone.errors import BadRequest, RunstoneError
from runstone.models.layout import SERVING_INPUT_EXAMPLE_FILE
from runstone.models.pyfunc import PyFuncModel, load_model
from runstone.serving.payload import (
    CONTENT_TYPE_JSON,
    DoubleMatrix,
    PayloadParser,
    UnsupportedMediaType,
    encode_predictions,
    error_body,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Response = tuple[int, bytes, bytes]  # status, content type, body

_JSON: Final = b"application/json"
_TEXT: Final = b"text/plain; charset=utf-8"
_PREDICT_ERROR: Final = (
    "Encountered an unexpected error while evaluating the model. Verify that the input is "
    "compatible with the model for inference."
)
# Threads that run predictions: more than one keeps the server answering when a request is
# stuck past its timeout; few, because predictions mostly hold the GIL anyway.
PREDICT_THREADS: Final = 4

_log = logging.getLogger(__name__)


class ScoringApp:
    """The ASGI application serving one loaded model (``model`` None: it failed to load)."""

    def __init__(
        self, model: PyFuncModel | None, timeout_s: float = 60.0, load_error: str = ""
    ) -> None:
        self.model = model
        self.timeout_s = timeout_s
        self.load_error = load_error
        schema = None if model is None or model.signature is None else model.signature.inputs
        # A model that scores float64 arrays itself gets conforming numeric tables as those.
        matrices = model is not None and model.takes_matrices
        self.parser = None if model is None else PayloadParser(schema, matrices=matrices)
        self._pool = ThreadPoolExecutor(PREDICT_THREADS, thread_name_prefix="runstone-predict")
        self._version = __version__.encode()
        message = f"Request processing time exceeded the limit of {timeout_s:g} s."
        self._too_slow: Response = (504, _TEXT, message.encode())

    # ------------------------------------------------------------------------------ scoring

    def invoke(self, body: bytes, content_type: str | None) -> Response:
        """One ``/invocations`` request, synchronously: the status, content type and body."""
        if self.model is None or self.parser is None:
            message = f"The model failed to load: {self.load_error}"
            return 503, _JSON, error_body(message, "TEMPORARILY_UNAVAILABLE")
        try:
            parsed = self.parser.parse(body, content_type)
        except UnsupportedMediaType as exc:
            return 415, _TEXT, exc.message.encode()
        except BadRequest as exc:
            return 400, _JSON, error_body(exc.message)
        except UnicodeDecodeError as exc:
            return 400, _JSON, error_body(f"The input is not valid UTF-8: {exc}")
        data = parsed.data
        try:
            if type(data) is DoubleMatrix:  # the numeric lane: no pandas on the way
                predictions = self.model.predict_matrix(data.values, parsed.params)
            else:
                predictions = self.model.predict(data, parsed.params)
        except RunstoneError as exc:  # schema or params enforcement: says what is wrong
            return 400, _JSON, error_body(exc.message)
        except Exception:  # the model's own code failed
            _log.exception("predict failed")
            return 400, _JSON, error_body(_PREDICT_ERROR, stack_trace=traceback.format_exc())
        try:
            return 200, _JSON, encode_predictions(predictions, parsed.wrap)
        except TypeError as exc:
            message = f"The model's predictions cannot be written as JSON: {exc}"
            return 400, _JSON, error_body(message)

    def warm_up(self, model_dir: str | os.PathLike[str]) -> None:
        """Score the model's saved serving example once, so the first request does not pay
        for lazy imports and caches. A failure is only logged: the example may be stale."""
        example = Path(model_dir) / SERVING_INPUT_EXAMPLE_FILE
        if self.model is None or not example.is_file():
            return
        status, _, body = self.invoke(example.read_bytes(), CONTENT_TYPE_JSON)
        if status != 200:
            _log.warning("the model's serving input example fails (%s): %s", status, body[:300])

    # --------------------------------------------------------------------------------- ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        if path == "/invocations":
            if method != "POST":
                await _respond(send, 405, _TEXT, b"Use POST for /invocations.")
                return
            body = await _read_body(receive)
            content_type = _header(scope, b"content-type")
            await _respond(send, *await self._score(body, content_type))
        elif path in ("/ping", "/health"):
            status = 200 if self.model is not None else 404
            await _respond(send, status, _JSON, b"\n")
        elif path == "/version":
            await _respond(send, 200, _JSON, self._version)
        else:
            await _respond(send, 404, _TEXT, f"No route {path}.".encode())

    async def _score(self, body: bytes, content_type: str | None) -> Response:
        """``invoke`` in the pool; the 504 answer if it has not finished after the timeout."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Response] = loop.create_future()
        job = self._pool.submit(self._invoke_in_pool, loop, answer, body, content_type)
        timer = loop.call_later(self.timeout_s, _settle, answer, self._too_slow)
        try:
            response = await answer
        finally:
            timer.cancel()
        if response is self._too_slow:
            job.cancel()  # still queued behind stuck requests: never start it
        return response

    def _invoke_in_pool(
        self,
        loop: asyncio.AbstractEventLoop,
        answer: asyncio.Future[Response],
        body: bytes,
        content_type: str | None,
    ) -> None:
        try:
            response = self.invoke(body, content_type)
        except BaseException as exc:  # handed to the request's task, as an executor would
            loop.call_soon_threadsafe(_fail, answer, exc)
            return
        loop.call_soon_threadsafe(_settle, answer, response)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self._pool.shutdown(wait=False, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return


def _settle(answer: asyncio.Future[Response], response: Response) -> None:
    """The request's answer, unless it already has one (the 504, or the task was cancelled)."""
    if not answer.done():
        answer.set_result(response)


def _fail(answer: asyncio.Future[Response], exc: BaseException) -> None:
    if not answer.done():
        answer.set_exception(exc)


async def _read_body(receive: Receive) -> bytes:
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        return body
    chunks = [body]
    while message.get("more_body"):
        message = await receive()
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _respond(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app(settings: ScoringSettings) -> ScoringApp:
    """Load the model in ``settings.model_dir`` and build the app serving it.

    A model that fails to load is logged and served as unhealthy (``/ping`` 404), as MLflow does,
    so an orchestrator sees the failure where it looks for it.
    """
    try:
        model = load_model(settings.model_dir)
    except Exception as exc:  # any loader failure: unpickling, imports, a bad MLmodel
        _log.exception("could not load the model at %s", settings.model_dir)
        return ScoringApp(None, settings.timeout_s, load_error=f"{type(exc).__name__}: {exc}")
    app = ScoringApp(model, settings.timeout_s)
    app.warm_up(settings.model_dir)
    return app


def create_app_from_env() -> ScoringApp:
    """The app of a worker process (``--workers`` > 1): settings from the environment."""
    return create_app(ScoringSettings.from_env())
