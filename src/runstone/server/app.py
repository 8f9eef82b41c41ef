"""``create_app(settings)``: the tracking server as an ASGI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from runstone import __version__
from runstone.config import ServerSettings
from runstone.server import auth, authorization, limits, middleware
from runstone.server.api import json_response
from runstone.server.context import ServerContext
from runstone.server.routes import (
    artifacts,
    experiments,
    logged_models,
    meta,
    metrics,
    registry,
    runs,
    ui,
)
from runstone.server.routes import auth as auth_routes
from runstone.store.sql import SqlStore

_JSON_APIS = (
    experiments.api,
    runs.api,
    metrics.api,
    artifacts.api,
    registry.api,
    logged_models.api,
)


def create_app(settings: ServerSettings | None = None, store: SqlStore | None = None) -> FastAPI:
    """The server for ``settings``; ``store`` overrides the one its backend URI names."""
    chosen = settings or ServerSettings()
    ctx = ServerContext(chosen, store)

    def close() -> None:
        """Close the stores (the server's and the auth gate's): the app's shutdown."""
        ctx.close()
        if gate is not None:
            gate.close()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        artifacts.sweep_in_background(ctx)
        try:
            yield
        finally:
            close()

    app = FastAPI(
        title="Runstone",
        version=__version__,
        summary="MLflow-compatible tracking server",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.state.close = close
    meta.mount(app, ctx)
    for api in _JSON_APIS:
        api.mount(app, ctx)
    artifacts.mount_streams(app, ctx)
    limits.install(app, chosen)  # inside authentication: strangers' bodies are never read
    gate = auth.install(app, chosen) if chosen.auth else None  # before the Host/Origin checks
    if gate is not None:
        auth_routes.mount(app, ctx, gate)
    ui.mount(app)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    middleware.install(app, chosen)
    limits.install_headers(app)  # outermost: refusals carry the headers too
    authorization.verify(app)  # every route declares who may call it
    return app


def create_app_from_env() -> FastAPI:
    """The app factory worker processes call: settings come in RUNSTONE_SERVER_SETTINGS."""
    return create_app(ServerSettings.from_env())


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods answer MLflow's error JSON, not HTML."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        body = {"error_code": "ENDPOINT_NOT_FOUND", "message": f"No endpoint {request.url.path}"}
    elif exc.status_code == 405:
        body = {
            "error_code": "BAD_REQUEST",
            "message": f"Method {request.method} is not allowed on {request.url.path}",
        }
    else:
        body = {"error_code": "BAD_REQUEST", "message": str(exc.detail)}
    return json_response(body, exc.status_code)
