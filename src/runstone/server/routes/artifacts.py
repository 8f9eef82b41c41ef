"""Artifacts: the run listing of the tracking API, the UI's download and upload routes, and the
artifact proxy (``/api/2.0/mlflow-artifacts``) through which clients read and write storage that
only the server can reach.

Bodies stream in both directions: a multi-gigabyte upload or download never sits in memory.
Every path goes through :func:`runstone.artifacts.safe_relative_path` (inside the repository).

On an S3 destination the proxy also takes files in parts (``/mpu/create``, ``/mpu/complete``,
``/mpu/abort``). The part URLs it hands out point back at the proxy itself
(``/mpu/upload-part/<path>?upload_id=&part_number=``), so clients never need S3 credentials;
each part is staged on the server's disk and sent to S3's ``UploadPart``. The file appears
when the upload is completed, and never when it is aborted or abandoned.
"""

from __future__ import annotations

import base64
import mimetypes
import posixpath
import re
import threading
from collections.abc import AsyncIterator, Iterator
from typing import IO, Any
from urllib.parse import quote, urlencode

import anyio.from_thread
from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from runstone.artifacts import ArtifactRepo, safe_relative_path
from runstone.artifacts.files import read_chunks
from runstone.artifacts.repo import MAX_PART_NUMBER, sweep_local_roots
from runstone.entities import FileInfo
from runstone.errors import InvalidParameterValue, NotImplementedFeature
from runstone.server import authorization as authz
from runstone.server.api import Api, Call, JsonDict, error_response, guard, json_response, log
from runstone.server.authorization import EDIT, MANAGE, READ
from runstone.server.context import Located, ServerContext, artifacts_destination
from runstone.wire import encode
from runstone.wire import messages as m
from runstone.wire.decode import decode_request
from runstone.wire.http import SHA256_HEADER
from runstone.wire.messages import Message

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
# Presigned URLs name a run or a logged model; either may be given.
_PRESIGNED_UPLOAD = authz.all_of(
    authz.SIGNED_IN, authz.optional_run(EDIT), authz.optional_logged_model(EDIT)
)
_PRESIGNED_DOWNLOAD = authz.all_of(
    authz.SIGNED_IN, authz.optional_run(READ), authz.optional_logged_model(READ)
)


class ProxiedPath(Message):
    """A path of the proxied storage, from the URL (for checking who may use it)."""

    artifact_path: str | None = None


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


@api.route(
    "GET",
    "/artifacts/list",
    m.ListArtifacts,
    rule=authz.run(READ),
    response="ListArtifactsResponse",
)
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


@api.route("POST", "/artifacts/presigned-upload-url", m.PresignedUrl, rule=_PRESIGNED_UPLOAD)
def presigned_upload_url(call: Call, msg: m.PresignedUrl) -> JsonDict:
    """Presigned URLs need an object store that signs them; local storage cannot."""
    raise NotImplementedFeature("This server's artifact storage cannot presign URLs.")


@api.route("POST", "/artifacts/presigned-download-url", m.PresignedUrl, rule=_PRESIGNED_DOWNLOAD)
def presigned_download_url(call: Call, msg: m.PresignedUrl) -> JsonDict:
    """Presigned URLs need an object store that signs them; local storage cannot."""
    raise NotImplementedFeature("This server's artifact storage cannot presign URLs.")


@api.route(
    "GET",
    "/artifacts",
    m.ListProxiedArtifacts,
    prefixes=PROXY_PREFIXES,
    rule=authz.artifact_path(READ, "path"),
    response="ListProxiedArtifactsResponse",
)
def list_proxied(call: Call, msg: m.ListProxiedArtifacts) -> JsonDict:
    """The entries directly under ``path`` in the proxied storage (names only)."""
    infos = call.ctx.proxy.list_artifacts(msg.path)
    files = [
        encode.file_info(FileInfo(posixpath.basename(i.path), i.is_dir, i.file_size)) for i in infos
    ]
    return {"files": files} if files else {}


@api.route(
    "GET",
    "/presigned/{artifact_path:path}",
    ProxiedPath,
    prefixes=PROXY_PREFIXES,
    rule=authz.artifact_path(READ),
)
def presigned_proxy(call: Call, msg: ProxiedPath) -> JsonDict:
    """Presigned URLs need an object store that signs them; local storage cannot."""
    raise NotImplementedFeature("This server's artifact storage cannot presign URLs.")


def mount_streams(app: FastAPI, ctx: ServerContext) -> None:
    """The routes whose bodies are files, not JSON, and those that need the URL's path."""
    _mount_proxy_streams(app, ctx)
    _mount_multipart(app, ctx)
    _mount_run_file_routes(app, ctx)


def sweep_in_background(ctx: ServerContext) -> threading.Thread | None:
    """Remove, on a thread of its own (start never waits for it), what uploads killed half-way
    left in the server's local artifact roots: hidden temporary files untouched for
    ``artifact_temp_max_age_hours`` (0 turns the sweep off). Younger ones may be uploads in
    progress in another worker and are left alone."""
    hours = ctx.settings.artifact_temp_max_age_hours
    if not hours:
        return None
    roots = [ctx.settings.default_artifact_root or "", artifacts_destination(ctx.settings)]

    def sweep() -> None:
        try:
            removed = sweep_local_roots(roots, hours * 3600)
        except Exception as exc:  # a root that cannot be read: the server runs on regardless
            log.warning("Could not sweep the artifact roots for temporary files: %s", exc)
            return
        if removed:
            log.info("Removed %d temporary files left by interrupted uploads.", len(removed))

    thread = threading.Thread(target=sweep, name="runstone-temp-sweep", daemon=True)
    thread.start()
    return thread


def _mount_proxy_streams(app: FastAPI, ctx: ServerContext) -> None:
    @guard(ctx, authz.artifact_path(READ), ProxiedPath)
    async def download_proxied(request: Request, artifact_path: str) -> Response:
        try:
            return await _download(request, ctx.proxy, artifact_path)
        except Exception as exc:
            return error_response(exc)

    @guard(ctx, authz.artifact_path(EDIT), ProxiedPath)
    async def upload_proxied(request: Request, artifact_path: str) -> Response:
        try:
            if not artifact_path.strip("/"):
                raise InvalidParameterValue("An upload needs a file path.")
            digest = await _upload(request, ctx.proxy, artifact_path)
        except Exception as exc:
            return error_response(exc)
        return _stored(digest)

    @guard(ctx, authz.artifact_path(MANAGE), ProxiedPath)
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


def _mount_multipart(app: FastAPI, ctx: ServerContext) -> None:
    """MLflow's multipart upload endpoints (S3 destinations only; 501 elsewhere)."""

    @guard(ctx, authz.artifact_path(EDIT), ProxiedPath)
    async def create(request: Request, artifact_path: str) -> Response:
        try:
            repo = _multipart_repo(ctx)
            msg = await _multipart_message(request)
            path = _multipart_file(artifact_path, msg)
            num_parts = msg.num_parts
            if num_parts is None or not 1 <= num_parts <= MAX_PART_NUMBER:
                raise InvalidParameterValue(
                    f"num_parts must be between 1 and {MAX_PART_NUMBER}, not {num_parts}."
                )
            upload_id = await run_in_threadpool(repo.create_multipart_upload, path)
        except Exception as exc:
            return error_response(exc)
        prefix = _proxy_prefix(request.url.path)
        base = f"{str(request.base_url).rstrip('/')}{prefix}/mpu/upload-part/{quote(path)}"
        credentials = [
            {
                "url": f"{base}?{urlencode({'upload_id': upload_id, 'part_number': number})}",
                "part_number": number,
                "headers": {},
            }
            for number in range(1, num_parts + 1)
        ]
        return json_response({"upload_id": upload_id, "credentials": credentials})

    @guard(ctx, authz.artifact_path(EDIT), ProxiedPath)
    async def upload_part(request: Request, artifact_path: str) -> Response:
        try:
            repo = _multipart_repo(ctx)
            upload_id = request.query_params.get("upload_id") or ""
            number = _part_number(request.query_params.get("part_number"))
            path = safe_relative_path(artifact_path)
            body = _pull(request.stream(), None)
            etag = await run_in_threadpool(repo.upload_part, path, upload_id, number, body)
        except Exception as exc:
            return error_response(exc)
        response = json_response({})
        response.headers["ETag"] = etag
        return response

    @guard(ctx, authz.artifact_path(EDIT), ProxiedPath)
    async def complete(request: Request, artifact_path: str) -> Response:
        try:
            repo = _multipart_repo(ctx)
            msg = await _multipart_message(request)
            path = _multipart_file(artifact_path, msg)
            parts = [_part(part) for part in msg.parts]
            await run_in_threadpool(
                repo.complete_multipart_upload, path, msg.upload_id or "", parts
            )
        except Exception as exc:
            return error_response(exc)
        return json_response({})

    @guard(ctx, authz.artifact_path(EDIT), ProxiedPath)
    async def abort(request: Request, artifact_path: str) -> Response:
        try:
            repo = _multipart_repo(ctx)
            msg = await _multipart_message(request)
            path = _multipart_file(artifact_path, msg)
            await run_in_threadpool(repo.abort_multipart_upload, path, msg.upload_id or "")
        except Exception as exc:
            return error_response(exc)
        return json_response({})

    for prefix in PROXY_PREFIXES:
        shown = prefix == PROXY_PREFIXES[0]
        for action, handler in (("create", create), ("complete", complete), ("abort", abort)):
            path = f"{prefix}/mpu/{action}/{{artifact_path:path}}"
            app.add_api_route(path, handler, methods=["POST"], include_in_schema=shown)
        path = prefix + "/mpu/upload-part/{artifact_path:path}"
        app.add_api_route(path, upload_part, methods=["PUT"], include_in_schema=shown)


def _multipart_repo(ctx: ServerContext) -> ArtifactRepo:
    if not ctx.proxy.supports_multipart:
        raise NotImplementedFeature(
            "Multipart upload is not available for this server's artifact storage "
            "(only an S3 destination takes files in parts)."
        )
    return ctx.proxy


async def _multipart_message(request: Request) -> m.MultipartRequest:
    return decode_request(
        m.MultipartRequest,
        "POST",
        request.query_params.multi_items(),
        await request.body(),
        request.headers.get("content-type"),
    )


def _multipart_file(directory: str, msg: m.MultipartRequest) -> str:
    """The file of an upload: ``<dir from the URL>/<basename of the path field>``, made safe.

    MLflow's client sends the local file's full path; only its name is used, as MLflow does.
    """
    name = posixpath.basename(msg.path or "")
    if not name:
        raise InvalidParameterValue("A multipart upload needs the file's path.")
    clean = safe_relative_path(directory)
    return safe_relative_path(f"{clean}/{name}" if clean else name)


def _proxy_prefix(url_path: str) -> str:
    return next((p for p in PROXY_PREFIXES if url_path.startswith(p + "/")), PROXY_PREFIXES[0])


def _part_number(raw: Any) -> int:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise InvalidParameterValue(f"Invalid part number {raw!r}.") from None
    if not 1 <= number <= MAX_PART_NUMBER:
        raise InvalidParameterValue(
            f"Invalid part number {number}: it must be between 1 and {MAX_PART_NUMBER}."
        )
    return number


def _part(raw: Any) -> tuple[int, str]:
    """``(part_number, etag)`` of one ``parts`` item of a complete request."""
    if not isinstance(raw, dict) or not isinstance(raw.get("etag"), str) or not raw["etag"]:
        raise InvalidParameterValue(f"Invalid part {raw!r}: it needs a part_number and an etag.")
    return _part_number(raw.get("part_number")), raw["etag"]


def _mount_run_file_routes(app: FastAPI, ctx: ServerContext) -> None:
    @guard(ctx, authz.run(READ), m.GetArtifact)
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

    @guard(ctx, authz.run(EDIT), m.GetArtifact)
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
            digest = await _upload(request, where.repo, where.path(msg.path), limit=MAX_UI_UPLOAD)
        except Exception as exc:
            return error_response(exc)
        return _stored(digest)

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
        recorded = await run_in_threadpool(repo.recorded_sha256, path)
        etag = f'"sha256-{recorded}"' if recorded else None
        wanted = request.headers.get("range")
        if wanted and request.headers.get("if-range", etag) != etag:
            wanted = None  # the file changed since the client's earlier part: all of it anew
        start, end = _byte_range(wanted, size)
        if start:
            await run_in_threadpool(stream.seek, start)
    except BaseException:
        stream.close()
        raise
    name = posixpath.basename(path)
    headers = {
        "Content-Disposition": _attachment(name),
        "X-Content-Type-Options": "nosniff",
        "Accept-Ranges": "bytes",
        "Content-Length": str(end - start),
    }
    if etag:  # what a resumed download names in If-Range, so that it never splices two files
        headers["ETag"] = etag
    status = 200
    if wanted and (start, end) != (0, size):
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    elif recorded:  # the whole file: its checksum, recorded as it was written
        headers[SHA256_HEADER] = recorded
        encoded = base64.b64encode(bytes.fromhex(recorded)).decode()
        headers["Repr-Digest"] = f"sha-256=:{encoded}:"
    return StreamingResponse(
        iterate_in_threadpool(read_chunks(stream, end - start)),
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


def _content_type(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    if guessed is None:
        return "application/octet-stream"
    if guessed in _ACTIVE_TYPES:
        return "text/plain"
    return guessed


def _attachment(name: str) -> str:
    """``Content-Disposition`` for a download: a plain ASCII name, and the exact one encoded
    as RFC 6266 / 5987 say (headers are Latin-1; a file may be called ``файл.txt``)."""
    plain = "".join(ch if " " <= ch < "\x7f" and ch not in '"\\;' else "_" for ch in name)
    header = f'attachment; filename="{plain}"'
    if plain != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


async def _upload(
    request: Request, repo: ArtifactRepo, path: str, limit: int | None = None
) -> str | None:
    """Stream the request body into ``path``: it appears complete, or not at all.

    A client that sends ``X-Runstone-Sha256`` (the checksum of its file) has the body hashed
    as it is written: a mismatch stores nothing (DATA_LOSS), a match is recorded with the
    file and returned. Without it nothing is hashed (hashing, on a thread of its own, would
    about double the server's CPU time per byte).
    """
    expected = request.headers.get(SHA256_HEADER)
    if expected is not None and not _SHA256_HEX.match(expected):
        raise InvalidParameterValue(f"{SHA256_HEADER} must be 64 hexadecimal digits.")
    body = request.stream()
    digest: str | None = await run_in_threadpool(
        repo.write_stream, path, _pull(body, limit), expected.lower() if expected else None
    )
    return digest


def _stored(digest: str | None) -> Response:
    """The answer to an upload: MLflow's ``{}``, and the checksum that was verified."""
    response = json_response({})
    if digest:
        response.headers[SHA256_HEADER] = digest
    return response


def _pull(body: AsyncIterator[bytes], limit: int | None) -> Iterator[bytes]:
    """The request body as a plain iterator, for the worker thread that writes the file.

    The server receives a body in pieces of a few dozen KB; each hop from the writing thread
    to the event loop costs more than copying, so one hop collects about a megabyte.
    """

    async def next_piece() -> bytes:
        parts: list[bytes] = []
        size = 0
        while size < CHUNK:
            try:
                part = await body.__anext__()
            except StopAsyncIteration:
                break
            parts.append(part)
            size += len(part)
        return b"".join(parts)

    received = 0
    while True:
        piece = anyio.from_thread.run(next_piece)
        if not piece:
            return
        received += len(piece)
        if limit is not None and received > limit:
            raise InvalidParameterValue(f"The upload is larger than {limit} bytes.")
        yield piece
