"""What a server says about itself: /health, /version and MLflow 3's server-info."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, Response

from runstone import __version__
from runstone.server import authorization as authz
from runstone.server.api import documented_responses, guard, json_response
from runstone.server.context import ServerContext

# The MLflow version whose REST API this server speaks (clients compare against it).
MLFLOW_API_VERSION = "3.17.2"


def mount(app: FastAPI, ctx: ServerContext) -> None:
    @guard(ctx, authz.PUBLIC)
    async def health() -> Response:
        return PlainTextResponse("OK")

    @guard(ctx, authz.PUBLIC)
    async def version() -> Response:
        return PlainTextResponse(MLFLOW_API_VERSION)

    @guard(ctx, authz.PUBLIC)
    async def server_info() -> Response:
        return json_response(
            {
                "store_type": "SqlStore",
                "server": "runstone",
                "server_version": __version__,
                "workspaces_enabled": False,
                "trace_archival_enabled": False,
                "multipart_uploads_enabled": ctx.multipart_uploads_enabled,
                "multipart_downloads_enabled": False,
                "artifact_serving_enabled": ctx.settings.serve_artifacts,
                "presigned_upload_run_id_supported": False,
                "presigned_upload_model_id_supported": False,
                "model_artifact_presigned_downloads_supported": False,
                "artifacts_presigned_only": False,
                "tracking_auth": False,
                "features_enabled": {},
            }
        )

    app.add_api_route("/health", health, methods=["GET"])
    app.add_api_route("/version", version, methods=["GET"])
    for prefix in ("/api/3.0/mlflow", "/ajax-api/3.0/mlflow"):
        app.add_api_route(
            prefix + "/server-info",
            server_info,
            methods=["GET"],
            include_in_schema=prefix.startswith("/api"),
            responses=documented_responses("ServerInfo"),
        )
