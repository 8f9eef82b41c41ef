"""The built web UI: ``index.html`` at ``/`` and its hashed files under ``/static-files/``.

``npm run build`` in ``ui/`` writes into ``runstone/server/static/``. Hashed files (under
``assets/``) never change, so browsers keep them for a year; ``index.html`` is revalidated on every
load. HTML answers carry a Content-Security-Policy without inline or eval'd scripts. When the UI
was not built, ``/`` answers a short page saying how to build it.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_PREFIX = "/static-files"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)
HTML_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
IMMUTABLE = "public, max-age=31536000, immutable"

MISSING_BUILD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Runstone</title></head>
<body><h1>Runstone</h1>
<p>The tracking server is running, but its web UI was not built.</p>
<p>Build it from a source checkout with <code>make ui</code>
(or <code>cd ui &amp;&amp; npm ci &amp;&amp; npm run build</code>), then reload this page.</p>
<p>The REST API answers under <code>/api/2.0/mlflow/</code>.</p>
</body></html>
"""


class _UiFiles(StaticFiles):
    """Static files with cache headers by kind: hashed assets forever, the rest revalidated."""

    async def check_config(self) -> None:
        """A missing build answers 404 per file, not a server error."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        path = str(scope.get("path", ""))
        if "/assets/" in path:
            response.headers["Cache-Control"] = IMMUTABLE
            response.headers["X-Content-Type-Options"] = "nosniff"
        else:
            response.headers.update(HTML_HEADERS)
        return response


def mount(app: FastAPI, static_dir: Path | None = None) -> None:
    """Serve the UI in ``static_dir`` (default: the package's ``static/``) at ``/``, or the
    how-to-build page when it is missing."""
    static_dir = static_dir or STATIC_DIR
    index = static_dir / "index.html"

    async def home() -> Response:
        if index.is_file():
            return FileResponse(index, media_type="text/html", headers=HTML_HEADERS)
        return HTMLResponse(MISSING_BUILD, headers=HTML_HEADERS)

    app.add_api_route("/", home, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount(
        STATIC_PREFIX,
        _UiFiles(directory=static_dir, check_dir=False),
        name="ui-static",
    )
