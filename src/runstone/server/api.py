"""How a JSON endpoint is declared once and served under both of MLflow's prefixes.

A route module declares handlers with ``@api.route(method, path, Message)``. Each request is
decoded by :mod:`runstone.wire.decode` (MLflow's content-type, spelling and required-field
rules), the handler runs in the thread pool (stores are synchronous), and its dict is sent as
JSON. Errors of every kind become MLflow's error JSON in :func:`error_response`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from runstone.errors import RunstoneError
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
    ) -> Callable[[Handler[M]], Handler[M]]:
        chosen = (methods,) if isinstance(methods, str) else methods

        def register(handler: Handler[M]) -> Handler[M]:
            self.endpoints.append(Endpoint(chosen, path, message, handler, prefixes))
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
            result = await run_in_threadpool(endpoint.handler, call, message)
        except Exception as exc:  # every failure becomes MLflow's error JSON
            return error_response(exc)
        return json_response(result)

    serve.__name__ = endpoint.handler.__name__
    return serve


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
