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
import re
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
from runstone.wire import responses, responses_registry
from runstone.wire.decode import decode_request
from runstone.wire.messages import Message
from runstone.wire.responses import Answer, ErrorResponse, without_null

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
    response: type[Answer] | None = None


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
        response: str | None = None,
    ) -> Callable[[Handler[M]], Handler[M]]:
        """Declare a handler; ``rule`` says who may call it (required: no route without one).
        ``response`` names the model of the JSON it answers (in :mod:`runstone.wire.responses`
        or :mod:`runstone.wire.responses_registry`), for the OpenAPI document only: answers are
        never validated against it, nor built from it."""
        chosen = (methods,) if isinstance(methods, str) else methods
        if not isinstance(rule, Rule):
            raise TypeError(f"{path}: rule must be an authorization Rule, not {rule!r}")
        model = response_model(response) if response is not None else None

        def register(handler: Handler[M]) -> Handler[M]:
            self.endpoints.append(Endpoint(chosen, path, message, handler, prefixes, rule, model))
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
                        responses=documented_responses(endpoint.response),
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


def response_model(name: str) -> type[Answer]:
    """The response model called ``name``; a TypeError (at import) for an unknown one."""
    for module in (responses, responses_registry):
        found = getattr(module, name, None)
        if isinstance(found, type) and issubclass(found, Answer):
            return found
    raise TypeError(f"No response model {name!r} in runstone.wire.responses(_registry).")


def documented_responses(model: type[Answer] | str | None) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route's OpenAPI operation: its answer's model (or the model's
    name), for documentation only (unlike ``response_model``, FastAPI neither validates nor
    re-serialises an answer for it), and MLflow's error JSON for every failure."""
    documented: dict[int | str, dict[str, Any]] = {
        "default": {"model": ErrorResponse, "description": "MLflow's error JSON"}
    }
    if isinstance(model, str):
        model = response_model(model)
    if model is not None:
        documented[200] = {"model": model}
    return documented


_PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


def _openapi_request(endpoint: Endpoint[Any], method: str) -> dict[str, Any]:
    """The request's part of an operation: the JSON body's schema (GET: the query's
    parameters) and the parameters in the URL's path."""
    schema = _inline(endpoint.message.model_json_schema(by_alias=False))
    in_path: list[str] = _PATH_PARAMETER.findall(endpoint.path)
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in in_path
    ]
    extra: dict[str, Any] = {}
    if method == "GET":
        required = set(endpoint.message.required)
        if "run_uuid" in schema["properties"]:
            required.discard("run_id")  # run_uuid, its legacy name, will do as well
        parameters += [
            {"name": name, "in": "query", "required": name in required, "schema": _query(prop)}
            for name, prop in schema["properties"].items()
            if name not in in_path
        ]
    else:
        extra["requestBody"] = _json_body(schema)
    if parameters:
        extra["parameters"] = parameters
    return extra


def request_body(message: type[Message]) -> dict[str, Any]:
    """``openapi_extra`` describing a raw route's JSON body as ``message``."""
    return {"requestBody": _json_body(_inline(message.model_json_schema(by_alias=False)))}


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _query(prop: dict[str, Any]) -> dict[str, Any]:
    """A field's schema as a query parameter's: without the ``null`` of an optional field
    (an absent parameter is how a query leaves a field unset), its default or its title."""
    return {k: v for k, v in without_null(prop).items() if k not in ("default", "title")}


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
