"""How a JSON endpoint is declared once and served under both of MLflow's prefixes.

A route module declares handlers with ``@api.route(method, path, Message, rule=...)``; the
rule (:mod:`runstone.server.authorization`) is required. Each request is decoded by
:mod:`runstone.wire.decode` (MLflow's content-type, spelling and required-field rules), the
rule is checked (on servers with ``--auth``), the handler runs in the thread pool (stores are
synchronous), and its dict is sent as JSON. Routes that stream their bodies declare and check
their rule with :func:`guard`. Errors of every kind become MLflow's error JSON in
:func:`error_response`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from runstone.errors import RunstoneError
from runstone.server import authorization
from runstone.server.authorization import Rule
from runstone.server.context import ServerContext
from runstone.wire.decode import decode_request
from runstone.wire.messages import Message

log = logging.getLogger("runstone.server")

API_PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
M = TypeVar("M", bound=Message)
JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Call:
    """What a handler sees of the request beyond its message."""

    ctx: ServerContext
    headers: Mapping[str, str]


Handler = Callable[[Call, M], JsonDict]


@dataclass(frozen=True, slots=True)
class Endpoint(Generic[M]):
    methods: tuple[str, ...]
    path: str
    message: type[M]
    handler: Handler[M]
    prefixes: tuple[str, ...]
    rule: Rule


@dataclass
class Api:
    """The JSON endpoints of one resource, collected for :meth:`mount`."""

    endpoints: list[Endpoint[Any]] = field(default_factory=list)

    def route(
        self,
        methods: str | tuple[str, ...],
        path: str,
        message: type[M],
        prefixes: tuple[str, ...] = API_PREFIXES,
        *,
        rule: Rule,
    ) -> Callable[[Handler[M]], Handler[M]]:
        """Declare a handler; ``rule`` says who may call it (required: no route without one)."""
        chosen = (methods,) if isinstance(methods, str) else methods
        if not isinstance(rule, Rule):
            raise TypeError(f"{path}: rule must be an authorization Rule, not {rule!r}")

        def register(handler: Handler[M]) -> Handler[M]:
            self.endpoints.append(Endpoint(chosen, path, message, handler, prefixes, rule))
            return handler

        return register

    def mount(self, app: FastAPI, ctx: ServerContext) -> None:
        for endpoint in self.endpoints:
            serve = _serving(endpoint, ctx)
            summary = (endpoint.handler.__doc__ or "").strip().split("\n")[0] or None
            for prefix in endpoint.prefixes:
                for method in endpoint.methods:
                    app.add_api_route(
                        prefix + endpoint.path,
                        serve,
                        methods=[method],
                        operation_id=f"{method.lower()}_{endpoint.handler.__name__}",
                        summary=summary,
                        include_in_schema=prefix == endpoint.prefixes[0],
                        openapi_extra=_openapi_request(endpoint, method),
                    )


def _serving(endpoint: Endpoint[M], ctx: ServerContext) -> Callable[[Request], Any]:
    handle: Handler[M] = endpoint.handler
    if authorization.checking(ctx, endpoint.rule):  # without --auth: no check at all
        handle = functools.partial(_checked, endpoint)

    async def serve(request: Request) -> Response:
        try:
            body = b"" if request.method == "GET" and request.query_params else await request.body()
            message = decode_request(
                endpoint.message,
                request.method,
                request.query_params.multi_items(),
                body,
                request.headers.get("content-type"),
                request.path_params,
            )
            call = Call(ctx, request.headers)
            result = await run_in_threadpool(handle, call, message)
        except Exception as exc:  # every failure becomes MLflow's error JSON
            return error_response(exc)
        return json_response(result)

    serve.__name__ = endpoint.handler.__name__
    return authorization.mark(serve, endpoint.rule)


def _checked(endpoint: Endpoint[M], call: Call, message: M) -> JsonDict:
    """The handler behind its rule, in one trip to the thread pool."""
    authorization.enforce(endpoint.rule, call.ctx, message)
    return endpoint.handler(call, message)


H = TypeVar("H", bound=Callable[..., Any])


def guard(ctx: ServerContext, rule: Rule, message: type[Message] | None = None) -> Callable[[H], H]:
    """Declare ``rule`` for a raw route's async handler (``handler(request, **path_params)``)
    and, on servers with ``--auth``, check it before the handler runs. Resources are resolved
    from ``message``, decoded from the URL's query and path parameters: never from the body,
    which such handlers stream."""
    if rule.needs and message is None:
        raise TypeError(f"A rule on resources ({rule}) needs the message they are named in.")

    def wrap(handler: H) -> H:
        if not authorization.checking(ctx, rule):
            return authorization.mark(handler, rule)

        @functools.wraps(handler)
        async def checked(request: Request, **params: Any) -> Response:
            try:
                subject = None
                if message is not None:
                    query = request.query_params.multi_items()
                    subject = decode_request(message, "GET", query, b"", None, request.path_params)
                await run_in_threadpool(authorization.enforce, rule, ctx, subject)
            except Exception as exc:  # a refusal (or a bad parameter) as MLflow's error JSON
                return error_response(exc)
            response: Response = await handler(request, **params)
            return response

        return authorization.mark(checked, rule)  # type: ignore[return-value]

    return wrap


def page_result(field: str, items: list[JsonDict], next_page_token: str | None) -> JsonDict:
    """A search answer: the items (left out when there are none) and the next page's token."""
    result: JsonDict = {}
    if items:
        result[field] = items
    if next_page_token:
        result["next_page_token"] = next_page_token
    return result


def json_response(data: JsonDict, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def error_response(exc: BaseException) -> Response:
    """MLflow's error JSON for ``exc``: its code and status, or a 500 for a bug of ours."""
    if isinstance(exc, RunstoneError):
        return json_response(exc.to_dict(), exc.http_status)
    log.exception("Unexpected error while serving a request", exc_info=exc)
    return json_response(
        {"error_code": "INTERNAL_ERROR", "message": f"Internal server error: {type(exc).__name__}"},
        500,
    )


def _openapi_request(endpoint: Endpoint[Any], method: str) -> dict[str, Any]:
    if method == "GET":
        return {}
    schema = endpoint.message.model_json_schema(by_alias=False)
    return {"requestBody": {"content": {"application/json": {"schema": _inline(schema)}}}}


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its ``$defs`` references replaced by the definitions themselves."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.rsplit("/", 1)[1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved = resolve(schema)
    assert isinstance(resolved, dict)
    return resolved
