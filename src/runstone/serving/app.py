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

One kind of request skips the pool: a small JSON table for the numeric lane (a scikit-learn
estimator given a float64 array, see ``PyFuncModel.predict_matrix``) while that model's lane
predictions have cost well under a millisecond of CPU. Its cost depends on the number of
rows, not on what they hold, so it is known from the ones before. For it, the hop would cost
more than the prediction, and under concurrent requests the loop and the pool's threads
would take turns on the GIL: scored on the loop, one-row requests with 8 clients went from
about 2,200 to 5,000 a second here. A lane that turns out slow goes back to the pool.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
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
    Parsed,
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
# Requests scored on the event loop: numeric-lane JSON bodies up to this size (about a hundred
# rows of ten columns), while the lane's predictions average less CPU than INLINE_CPU_S (a
# moving average over every lane prediction, wherever it ran, weighted LANE_COST_WEIGHT to the
# newest), and only with a timeout far above that.
INLINE_BODY_BYTES: Final = 16 * 1024
INLINE_CPU_S: Final = 0.001
LANE_COST_WEIGHT: Final = 0.1
_INLINE_MIN_TIMEOUT_S: Final = 1.0

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
        self._inline = matrices and timeout_s >= _INLINE_MIN_TIMEOUT_S
        self.lane_cost_s: float | None = None  # CPU seconds per lane prediction; None: unknown
        self._version = __version__.encode()
        message = f"Request processing time exceeded the limit of {timeout_s:g} s."
        self._too_slow: Response = (504, _TEXT, message.encode())

    # ------------------------------------------------------------------------------ scoring

    def invoke(self, body: bytes, content_type: str | None) -> Response:
        """One ``/invocations`` request, synchronously: the status, content type and body."""
        parsed = self._parse(body, content_type)
        return self._answer(parsed) if isinstance(parsed, Parsed) else parsed

    def _parse(self, body: bytes, content_type: str | None) -> Parsed | Response:
        """The request read, or the answer saying why it cannot be."""
        if self.model is None or self.parser is None:
            message = f"The model failed to load: {self.load_error}"
            return 503, _JSON, error_body(message, "TEMPORARILY_UNAVAILABLE")
        try:
            return self.parser.parse(body, content_type)
        except UnsupportedMediaType as exc:
            return 415, _TEXT, exc.message.encode()
        except BadRequest as exc:
            return 400, _JSON, error_body(exc.message)
        except UnicodeDecodeError as exc:
            return 400, _JSON, error_body(f"The input is not valid UTF-8: {exc}")

    def _answer(self, parsed: Parsed) -> Response:
        """The model's answer to a request read by :meth:`_parse`."""
        assert self.model is not None  # a request is only read for a loaded model
        data = parsed.data
        try:
            if type(data) is DoubleMatrix:  # the numeric lane: no pandas on the way
                started = time.thread_time()
                predictions = self.model.predict_matrix(data.values, parsed.params)
                self._note_lane_cost(time.thread_time() - started)
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

    def _note_lane_cost(self, spent_s: float) -> None:
        """Fold one lane prediction's CPU time (of the thread that ran it: time spent waiting
        for the GIL or a core does not count) into :attr:`lane_cost_s`."""
        cost = self.lane_cost_s
        self.lane_cost_s = spent_s if cost is None else cost + (spent_s - cost) * LANE_COST_WEIGHT

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
        """The answer to one ``/invocations`` request: on the loop if it is a small lane
        request and the lane is cheap, else from the pool (see the module's docstring)."""
        if not self._inline or len(body) > INLINE_BODY_BYTES or content_type != CONTENT_TYPE_JSON:
            return await self._in_pool(self.invoke, body, content_type)
        parsed = self._parse(body, content_type)  # a small JSON body: microseconds
        if not isinstance(parsed, Parsed):
            return parsed
        cost = self.lane_cost_s
        if type(parsed.data) is DoubleMatrix and cost is not None and cost < INLINE_CPU_S:
            return self._answer(parsed)
        return await self._in_pool(self._answer, parsed)

    async def _in_pool(self, work: Callable[..., Response], *args: Any) -> Response:
        """``work(*args)`` in the pool; the 504 answer if it has not finished after the
        timeout."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Response] = loop.create_future()
        job = self._pool.submit(_run_in_pool, loop, answer, work, args)
        timer = loop.call_later(self.timeout_s, _settle, answer, self._too_slow)
        try:
            response = await answer
        finally:
            timer.cancel()
        if response is self._too_slow:
            job.cancel()  # still queued behind stuck requests: never start it
        return response

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self._pool.shutdown(wait=False, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return


def _run_in_pool(
    loop: asyncio.AbstractEventLoop,
    answer: asyncio.Future[Response],
    work: Callable[..., Response],
    args: tuple[Any, ...],
) -> None:
    try:
        response = work(*args)
    except BaseException as exc:  # handed to the request's task, as an executor would
        loop.call_soon_threadsafe(_fail, answer, exc)
        return
    loop.call_soon_threadsafe(_settle, answer, response)


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
