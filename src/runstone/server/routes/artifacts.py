"""Artifacts: the run listing of the tracking API, the UI's download and upload routes, and the
artifact proxy (``/api/2.0/mlflow-artifacts``) through which clients read and write storage that
only the server can reach.

Bodies stream in both directions: a multi-gigabyte upload or download never sits in memory.
Every path goes through :func:`runstone.artifacts.safe_relative_path` (inside the repository).
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
from collections.abc import AsyncIterator, Iterator
from typing import IO

import anyio.from_thread
from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from runstone.artifacts import ArtifactRepo
from runstone.entities import FileInfo
from runstone.errors import InvalidParameterValue, NotImplementedFeature
from runstone.server.api import Api, Call, JsonDict, error_response, json_response
from runstone.server.context import Located, ServerContext
from runstone.wire import encode
from runstone.wire import messages as m
from runstone.wire.decode import decode_request

api = Api()

CHUNK = 1024 * 1024
MAX_UI_UPLOAD = 10 * 1024 * 1024
PROXY_PREFIXES = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")
# Served as plain text: a browser must never run an artifact as a page or a script.
_ACTIVE_TYPES = {
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/javascript",
    "application/javascript",
    "text/xml",
    "application/xml",
}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@api.route("GET", "/artifacts/list", m.ListArtifacts)
def list_artifacts(call: Call, msg: m.ListArtifacts) -> JsonDict:
    """The files and folders directly under ``path`` in a run's artifacts."""
    root_uri = call.ctx.store.get_run(msg.the_run_id).info.artifact_uri
    where = call.ctx.locate(root_uri)
    infos = where.repo.list_artifacts(where.path(msg.path))
    files = [encode.file_info(_relative(where, i)) for i in infos]
    result: JsonDict = {"root_uri": root_uri}
    if files:
        result["files"] = files
    return result


def _relative(where: Located, info: FileInfo) -> FileInfo:
    return FileInfo(where.relative(info.path), info.is_dir, info.file_size)


@api.route("POST", "/artifacts/presigned-upload-url", m.PresignedUrl)
def presigned_upload_url(call: Call, msg: m.PresignedUrl) -> JsonDict:
    """Presigned URLs need an object store that signs them; local storage cannot."""
    raise NotImplementedFeature("This server's artifact storage cannot presign URLs.")


@api.route("POST", "/artifacts/presigned-download-url", m.PresignedUrl)
def presigned_download_url(call: Call, msg: m.PresignedUrl) -> JsonDict:
    """Presigned URLs need an object store that signs them; local storage cannot."""
    raise NotImplementedFeature("This server's artifact storage cannot presign URLs.")


@api.route("GET", "/artifacts", m.ListProxiedArtifacts, prefixes=PROXY_PREFIXES)
def list_proxied(call: Call, msg: m.ListProxiedArtifacts) -> JsonDict:
    """The entries directly under ``path`` in the proxied storage (names only)."""
    infos = call.ctx.proxy.list_artifacts(msg.path)
    files = [
        encode.file_info(FileInfo(posixpath.basename(i.path), i.is_dir, i.file_size)) for i in infos
    ]
    return {"files": files} if files else {}


@api.route("POST", "/mpu/create/{artifact_path:path}", m.MultipartRequest, prefixes=PROXY_PREFIXES)
def multipart_create(call: Call, msg: m.MultipartRequest) -> JsonDict:
    """Multipart uploads need an object store; local storage takes whole streamed files."""
    raise NotImplementedFeature("Multipart upload is not available for local artifact storage.")


@api.route(
    "POST", "/mpu/complete/{artifact_path:path}", m.MultipartRequest, prefixes=PROXY_PREFIXES
)
def multipart_complete(call: Call, msg: m.MultipartRequest) -> JsonDict:
    """Multipart uploads need an object store; local storage takes whole streamed files."""
    raise NotImplementedFeature("Multipart upload is not available for local artifact storage.")


@api.route("POST", "/mpu/abort/{artifact_path:path}", m.MultipartRequest, prefixes=PROXY_PREFIXES)
def multipart_abort(call: Call, msg: m.MultipartRequest) -> JsonDict:
    """Multipart uploads need an object store; local storage takes whole streamed files."""
    raise NotImplementedFeature("Multipart upload is not available for local artifact storage.")


@api.route("GET", "/presigned/{artifact_path:path}", m.Empty, prefixes=PROXY_PREFIXES)
def presigned_proxy(call: Call, msg: m.Empty) -> JsonDict:
    """Presigned URLs need an object store that signs them; local storage cannot."""
    raise NotImplementedFeature("This server's artifact storage cannot presign URLs.")


def mount_streams(app: FastAPI, ctx: ServerContext) -> None:
    """The routes whose bodies are files, not JSON."""
    _mount_proxy_streams(app, ctx)
    _mount_run_file_routes(app, ctx)


def _mount_proxy_streams(app: FastAPI, ctx: ServerContext) -> None:

    async def download_proxied(request: Request, artifact_path: str) -> Response:
        try:
            return await _download(request, ctx.proxy, artifact_path)
        except Exception as exc:
            return error_response(exc)

    async def upload_proxied(request: Request, artifact_path: str) -> Response:
        try:
            if not artifact_path.strip("/"):
                raise InvalidParameterValue("An upload needs a file path.")
            await _upload(request, ctx.proxy, artifact_path)
        except Exception as exc:
            return error_response(exc)
        return json_response({})

    async def delete_proxied(request: Request, artifact_path: str) -> Response:
        try:
            if not artifact_path.strip("/"):
                raise InvalidParameterValue("Refusing to delete the root of the artifact storage.")
            await run_in_threadpool(ctx.proxy.delete_artifacts, artifact_path)
        except Exception as exc:
            return error_response(exc)
        return json_response({})

    for prefix in PROXY_PREFIXES:
        path = prefix + "/artifacts/{artifact_path:path}"
        shown = prefix == PROXY_PREFIXES[0]
        app.add_api_route(path, download_proxied, methods=["GET"], include_in_schema=shown)
        app.add_api_route(path, upload_proxied, methods=["PUT"], include_in_schema=shown)
        app.add_api_route(path, delete_proxied, methods=["DELETE"], include_in_schema=shown)


def _mount_run_file_routes(app: FastAPI, ctx: ServerContext) -> None:
    async def download_run_file(request: Request) -> Response:
        try:
            msg = decode_request(
                m.GetArtifact, "GET", request.query_params.multi_items(), b"", None
            )
            run = await run_in_threadpool(ctx.store.get_run, msg.the_run_id)
            where = ctx.locate(run.info.artifact_uri)
            return await _download(request, where.repo, where.path(msg.path))
        except Exception as exc:
            return error_response(exc)

    async def upload_run_file(request: Request) -> Response:
        try:
            msg = decode_request(
                m.GetArtifact, "GET", request.query_params.multi_items(), b"", None
            )
            size = int(request.headers.get("content-length") or 0)
            if size > MAX_UI_UPLOAD:
                raise InvalidParameterValue(
                    f"Uploads through this route are limited to {MAX_UI_UPLOAD} bytes."
                )
            run = await run_in_threadpool(ctx.store.get_run, msg.the_run_id)
            where = ctx.locate(run.info.artifact_uri)
            await _upload(request, where.repo, where.path(msg.path), limit=MAX_UI_UPLOAD)
        except Exception as exc:
            return error_response(exc)
        return json_response({})

    app.add_api_route("/get-artifact", download_run_file, methods=["GET"])
    app.add_api_route(
        "/ajax-api/2.0/mlflow/get-artifact",
        download_run_file,
        methods=["GET"],
        include_in_schema=False,
    )
    app.add_api_route("/ajax-api/2.0/mlflow/upload-artifact", upload_run_file, methods=["POST"])


async def _download(request: Request, repo: ArtifactRepo, path: str) -> Response:
    stream = await run_in_threadpool(repo.open_artifact, path)
    try:
        size = await run_in_threadpool(_size_of, stream)
        start, end = _byte_range(request.headers.get("range"), size)
        if start:
            await run_in_threadpool(stream.seek, start)
    except BaseException:
        stream.close()
        raise
    name = posixpath.basename(path)
    headers = {
        "Content-Disposition": f'attachment; filename="{_header_safe(name)}"',
        "X-Content-Type-Options": "nosniff",
        "Accept-Ranges": "bytes",
        "Content-Length": str(end - start),
    }
    status = 200
    if request.headers.get("range") and (start, end) != (0, size):
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    return StreamingResponse(
        iterate_in_threadpool(_chunks(stream, end - start)),
        status_code=status,
        media_type=_content_type(name),
        headers=headers,
    )


def _size_of(stream: IO[bytes]) -> int:
    size = stream.seek(0, 2)
    stream.seek(0)
    return size


def _byte_range(header: str | None, size: int) -> tuple[int, int]:
    """``(start, end)`` (end exclusive) of a single ``Range: bytes=a-b`` header, else all."""
    if not header:
        return 0, size
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return 0, size  # several ranges or an unknown unit: send everything, as RFC 9110 allows
    first, last = match.groups()
    if first == "":  # the last N bytes
        return max(0, size - int(last)), size
    start = int(first)
    end = min(size, int(last) + 1) if last else size
    if start >= size or start >= end:
        raise RangeNotSatisfiable(size)
    return start, end


class RangeNotSatisfiable(InvalidParameterValue):
    def __init__(self, size: int) -> None:
        super().__init__(f"The requested range is outside the file ({size} bytes).")

    @property
    def http_status(self) -> int:
        return 416


def _chunks(stream: IO[bytes], remaining: int) -> Iterator[bytes]:
    with stream:
        while remaining > 0:
            chunk = stream.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


def _content_type(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    if guessed is None:
        return "application/octet-stream"
    if guessed in _ACTIVE_TYPES:
        return "text/plain"
    return guessed


def _header_safe(name: str) -> str:
    return "".join(ch if ch.isprintable() and ch not in '"\\' else "_" for ch in name)


async def _upload(
    request: Request, repo: ArtifactRepo, path: str, limit: int | None = None
) -> None:
    """Stream the request body into ``path``: it appears complete, or not at all."""
    body = request.stream()
    await run_in_threadpool(repo.write_stream, path, _pull(body, limit))


def _pull(body: AsyncIterator[bytes], limit: int | None) -> Iterator[bytes]:
    """The request body as a plain iterator, for the worker thread that writes the file."""

    async def next_chunk() -> bytes:
        return await body.__anext__()

    received = 0
    while True:
        try:
            chunk = anyio.from_thread.run(next_chunk)
        except StopAsyncIteration:
            return
        received += len(chunk)
        if limit is not None and received > limit:
            raise InvalidParameterValue(f"The upload is larger than {limit} bytes.")
        if chunk:
            yield chunk
