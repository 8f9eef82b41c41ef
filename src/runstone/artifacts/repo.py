"""ArtifactRepo: MLflow's artifact-repository verbs over fsspec, for every storage scheme.

Local folders, ``s3://``, ``gs://``, ``memory://``… share one code path. Local roots differ in
two places: each path is resolved and checked for containment where it is used (``join_inside``),
and writes are atomic (a hidden ``.rs-tmp-…`` sibling, then ``os.replace``). Remote writes are one
upload call (an object store publishes an object only once it is complete). Only fsspec's literal
path methods are used: its bulk methods would read ``*?[`` in an artifact name as a glob.

A tracking server's artifact proxy (``mlflow-artifacts:``, ``http(s)``) is one more remote
filesystem (:class:`~runstone.artifacts.proxy.ProxyFileSystem`) under the same verbs.

On ``s3://`` roots the repository also offers S3's multipart upload (create, upload part,
complete, abort) through s3fs's own client, so the server's proxy can take a large file in
parts: the object appears when the upload is completed, and never if it is aborted.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import shutil
import tempfile
from collections.abc import Callable, Sequence
from typing import IO, Any, Protocol, cast
from urllib.parse import urlsplit

import fsspec  # type: ignore[import-untyped]
import httpx

from runstone.artifacts.files import (
    SHA256_XATTR,
    TEMP_PREFIX,
    LocalPath,
    Progress,
    Source,
    atomic_write,
    in_parallel,
    join,
    local_tree,
    nothing_in_the_way,
    reported,
    sweep_temp_files,
)
from runstone.artifacts.paths import join_inside, safe_relative_path
from runstone.artifacts.proxy import PROXY_SCHEMES, ProxyFileSystem, resolve_proxy_uri
from runstone.config import RestSettings, S3Settings
from runstone.entities import FileInfo
from runstone.errors import InvalidParameterValue, NotFound, NotImplementedFeature
from runstone.uri import file_uri_path
from runstone.wire.http import make_http_client

S3_SCHEMES = frozenset({"s3", "s3a"})
MAX_PART_NUMBER = 10_000  # S3's limit on the parts of one multipart upload
# Uploads to S3 of 2 parts or more go in parts of this size (more for files over ~80 GB), a few
# at a time: what is in memory stays small (s3fs's defaults hold up to 10 x 50 MB at once).
S3_PART_SIZE = 8 * 1024 * 1024
S3_PARALLEL_PARTS = 4


class FileSystem(Protocol):
    """The part of fsspec's ``AbstractFileSystem`` used here (fsspec ships no type hints)."""

    def info(self, path: str) -> dict[str, Any]: ...
    def isdir(self, path: str) -> bool: ...
    def exists(self, path: str) -> bool: ...
    def ls(self, path: str, detail: bool) -> list[dict[str, Any]]: ...
    def find(self, path: str, withdirs: bool, detail: bool) -> dict[str, dict[str, Any]]: ...
    def open(self, path: str, mode: str) -> IO[bytes]: ...
    def put_file(self, lpath: str, rpath: str, **kwargs: Any) -> None: ...
    def pipe_file(self, path: str, value: bytes) -> None: ...
    def rm_file(self, path: str) -> None: ...
    def rmdir(self, path: str) -> None: ...


class ArtifactRepo:
    """The artifacts under one root URI (a run's, a model's or the proxy's storage root)."""

    def __init__(
        self, uri: str, fs: FileSystem, root: str, *, local: bool, s3: bool = False
    ) -> None:
        self.uri = uri
        self._fs = fs
        self._root = root
        self._local = local
        self._s3 = s3

    @classmethod
    def from_uri(
        cls,
        uri: str,
        *,
        tracking_uri: str | None = None,
        http: httpx.Client | None = None,
        rest_settings: RestSettings | None = None,
    ) -> ArtifactRepo:
        """The repository for ``uri``: ``file:``, a plain path, any fsspec scheme, or a tracking
        server's artifact proxy (``mlflow-artifacts:``, ``http(s)://…/mlflow-artifacts/…``).

        The proxy is reached at ``tracking_uri`` (for ``mlflow-artifacts:/…``) through ``http``,
        retrying as ``rest_settings`` say. Without ``http`` a client is built from
        ``rest_settings`` (default: the environment) and left to the garbage collector; pass
        one that you close (the REST store's) to share its connection pool.
        """
        scheme = _scheme(uri)
        if scheme in PROXY_SCHEMES:
            return _proxy_repo(uri, tracking_uri, http, rest_settings)
        factory = _FACTORIES.get(scheme, _fsspec_repo)
        return factory(uri)

    def __repr__(self) -> str:
        return f"ArtifactRepo({self.uri!r})"

    # -- public verbs --------------------------------------------------------------------------

    def log_artifact(
        self,
        local_file: LocalPath,
        artifact_path: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        """Upload one local file as ``<artifact_path>/<its file name>``.

        ``progress``, when given, is called with the number of bytes of each piece moved (from
        several threads at once for a folder).
        """
        local = os.fspath(local_file)
        if not os.path.isfile(local):
            raise NotFound(f"Local file {local!r} does not exist.")
        rel = self._file_rel(join(self._rel(artifact_path), os.path.basename(local)))
        self._upload(local, rel, progress)

    def log_artifacts(
        self,
        local_dir: LocalPath,
        artifact_path: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        """Upload a local folder's contents, recursively, under ``artifact_path``."""
        local = os.fspath(local_dir)
        if not os.path.isdir(local):
            raise NotFound(f"Local directory {local!r} does not exist.")
        base = self._rel(artifact_path)
        folders, files = local_tree(local)
        folder_rels = [self._rel(join(base, folder)) for folder in folders]
        jobs = [(path, self._file_rel(join(base, rel))) for path, rel in files]
        if self._local:  # object stores have no empty folders; local ones are kept
            for rel in folder_rels:
                with nothing_in_the_way(rel):
                    os.makedirs(self._locate(rel), exist_ok=True)
        in_parallel(lambda job: self._upload(*job, progress), jobs)

    def write_bytes(self, path: str, data: bytes) -> None:
        """Create or replace the file ``path`` with ``data``."""
        rel = self._file_rel(path)
        if self._local:
            self._write_local(rel, [data])
        else:
            self._fs.pipe_file(self._locate(rel), bytes(data))

    def write_stream(self, path: str, source: Source, sha256: str | None = None) -> str | None:
        """Create or replace ``path`` from a binary file object or an iterable of byte chunks.

        Nothing appears under ``path`` unless the whole source was read without error. With
        ``sha256`` (hex; what the sender says it sent) the bytes are hashed as they are
        written, a mismatch raises DataLoss with nothing stored, and a local file records the
        checksum (:meth:`recorded_sha256`); the checksum is returned. Without it, nothing is
        hashed (hashing costs about as much as writing) and None is returned.
        """
        rel = self._file_rel(path)
        if self._local:
            with nothing_in_the_way(rel):
                return atomic_write(self._locate(rel), source, sha256)
        with tempfile.TemporaryDirectory(prefix="runstone-upload-") as staging:
            staged = os.path.join(staging, "data")
            digest = atomic_write(staged, source, sha256)
            self._put(staged, self._locate(rel))
        return digest

    def recorded_sha256(self, path: str) -> str | None:
        """The SHA-256 (hex) recorded when ``path`` was written here, if this storage keeps it
        (local files, in an extended attribute); None otherwise."""
        if not self._local:
            return None
        try:
            return os.getxattr(self._locate(self._file_rel(path)), SHA256_XATTR).decode()
        except (OSError, AttributeError, UnicodeDecodeError):
            return None

    def sweep_temp_files(self, older_than_s: float) -> list[str]:
        """Remove what writes killed half-way left in a local root (their hidden temporary
        files, untouched for ``older_than_s`` seconds); nothing elsewhere. The paths removed."""
        return sweep_temp_files(self._root, older_than_s) if self._local else []

    def delete_artifacts(self, path: str | None = None) -> None:
        """Delete a file or a folder (recursively); the root when ``path`` is empty.

        Deleting what does not exist does nothing, so a retried delete succeeds.
        """
        rel = self._rel(path)
        if self._local:
            self._delete_local(rel)
        else:
            self._delete_remote(rel)

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """The immediate children of folder ``path``, sorted; nothing for a file or a missing path.

        Paths are relative to the root (``d/x.json``); ``file_size`` is set for files only.
        """
        return self._children(self._rel(path))

    def read_bytes(self, path: str) -> bytes:
        with self.open_artifact(path) as stream:
            return stream.read()

    def open_artifact(self, path: str) -> IO[bytes]:
        """The file ``path`` opened for binary reading (to stream it); the caller closes it."""
        return self._open_read(self._file_rel(path), path)

    def size_of(self, artifact_path: str | None = None) -> int:
        """Bytes in a file, or in a folder's files (recursively); 0 for what does not exist."""
        rel = self._rel(artifact_path)
        if rel and not self._fs.isdir(self._locate(rel)):
            try:
                return int(self._fs.info(self._locate(rel)).get("size") or 0)
            except FileNotFoundError:
                return 0
        total = 0
        pending = [rel]
        while pending:
            for info in self._children(pending.pop()):
                if info.is_dir:
                    pending.append(info.path)
                else:
                    total += info.file_size or 0
        return total

    def download_artifacts(
        self, artifact_path: str, dst_path: str | None = None, progress: Progress | None = None
    ) -> str:
        """Copy a file or a folder (recursively) to ``dst_path/<artifact_path>``; its local path.

        Without ``dst_path`` a new temporary folder is used. An empty path downloads everything.
        """
        rel = self._rel(artifact_path)
        is_dir = not rel or self._fs.isdir(self._locate(rel))
        if not is_dir and not self._fs.exists(self._locate(rel)):
            raise NotFound(f"Artifact {artifact_path!r} does not exist.")
        dst = os.path.abspath(dst_path) if dst_path else tempfile.mkdtemp(prefix="runstone-")
        local = os.path.join(dst, *rel.split("/")) if rel else dst
        if is_dir:
            self._download_dir(rel, local, progress)
        else:
            self._download_file(rel, local, progress=progress)
        return local

    # -- multipart uploads (S3 only) ------------------------------------------------------------

    @property
    def supports_multipart(self) -> bool:
        """Whether the storage takes a file in parts (S3's multipart upload)."""
        return self._s3

    def create_multipart_upload(self, path: str) -> str:
        """Start a multipart upload of the file ``path``; its upload id."""
        answer = self._call_s3("create_multipart_upload", path)
        return str(answer["UploadId"])

    def upload_part(self, path: str, upload_id: str, part_number: int, source: Source) -> str:
        """Store part ``part_number`` (1-based) of an upload from ``source``; the part's ETag.

        The part is staged on local disk first, so memory stays flat whatever its size.
        """
        self._s3_object(path)  # refused before anything is read
        if not 1 <= part_number <= MAX_PART_NUMBER:
            raise InvalidParameterValue(
                f"Invalid part number {part_number}: it must be between 1 and {MAX_PART_NUMBER}."
            )
        _upload_id(upload_id)
        with tempfile.TemporaryDirectory(prefix="runstone-part-") as staging:
            staged = os.path.join(staging, "part")
            atomic_write(staged, source)
            with open(staged, "rb") as body:
                answer = self._call_s3(
                    "upload_part",
                    path,
                    UploadId=_upload_id(upload_id),
                    PartNumber=part_number,
                    Body=body,
                    ContentLength=os.path.getsize(staged),
                )
        return str(answer["ETag"])

    def complete_multipart_upload(
        self, path: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> None:
        """Publish the upload as the file ``path``, from its ``(part_number, etag)`` parts."""
        if not parts:
            raise InvalidParameterValue("Completing a multipart upload needs its parts.")
        listed = [{"PartNumber": number, "ETag": etag} for number, etag in sorted(parts)]
        self._call_s3(
            "complete_multipart_upload",
            path,
            UploadId=_upload_id(upload_id),
            MultipartUpload={"Parts": listed},
        )

    def abort_multipart_upload(self, path: str, upload_id: str) -> None:
        """Drop an upload and the parts stored so far; ``path`` never appears."""
        self._call_s3("abort_multipart_upload", path, UploadId=_upload_id(upload_id))

    def _s3_object(self, path: str) -> tuple[str, str]:
        """The bucket and key of the file ``path`` (S3 roots only)."""
        if not self._s3:
            raise NotImplementedFeature(
                "Multipart upload is only available for S3 artifact storage."
            )
        bucket, key, _ = cast(Any, self._fs).split_path(self._locate(self._file_rel(path)))
        return str(bucket), str(key)

    def _call_s3(self, method: str, path: str, **params: Any) -> dict[str, Any]:
        bucket, key = self._s3_object(path)
        fs = cast(Any, self._fs)  # s3fs.S3FileSystem: call_s3 is its own
        try:
            answer = fs.call_s3(method, Bucket=bucket, Key=key, **params)
        except FileNotFoundError as exc:  # NoSuchUpload, NoSuchBucket
            raise NotFound(f"No such multipart upload of {path!r} (or no such bucket).") from exc
        except OSError as exc:
            if exc.errno == errno.EINVAL:  # InvalidPart, InvalidPartOrder, EntityTooSmall…
                raise InvalidParameterValue(f"S3 refused the {method} of {path!r}: {exc}") from exc
            raise
        if method == "complete_multipart_upload":
            fs.invalidate_cache(f"{bucket}/{key}")
        return cast(dict[str, Any], answer)

    def _rel(self, path: str | None) -> str:
        """The clean relative path of a client-supplied one ("" for the root)."""
        rel = safe_relative_path(path or "")
        if any(segment.startswith(TEMP_PREFIX) for segment in rel.split("/")):
            raise InvalidParameterValue(
                f"Invalid artifact path {path!r}: names starting with {TEMP_PREFIX!r} are reserved."
            )
        return rel

    def _file_rel(self, path: str) -> str:
        rel = self._rel(path)
        if not rel:
            raise InvalidParameterValue(f"Invalid artifact path {path!r}: it names no file.")
        return rel

    def _locate(self, rel: str) -> str:
        """Where ``rel`` lives on the filesystem; resolved and checked now for local roots."""
        if self._local:
            return join_inside(self._root, rel)
        return f"{self._root.rstrip('/')}/{rel}" if rel else self._root

    def _write_local(self, rel: str, source: Source) -> None:
        with nothing_in_the_way(rel):
            atomic_write(self._locate(rel), source)

    def _upload(self, local_file: str, rel: str, progress: Progress | None = None) -> None:
        if self._local:
            with open(local_file, "rb") as source:
                self._write_local(rel, reported(source, progress))
        else:
            self._put(local_file, self._locate(rel), progress)

    def _put(self, local_file: str, full: str, progress: Progress | None = None) -> None:
        """Upload a local file to a remote store: published only once complete (on S3, a
        failed multipart upload is aborted by s3fs)."""
        callback = _FsspecProgress(progress) if progress else None
        extra: dict[str, Any] = {"callback": callback} if callback else {}
        if not self._s3:
            self._fs.put_file(local_file, full, **extra)
            return
        part = max(S3_PART_SIZE, -(-os.path.getsize(local_file) // MAX_PART_NUMBER))
        s3fs = cast(Any, self._fs)  # s3fs.S3FileSystem: chunksize and max_concurrency are its own
        s3fs.put_file(local_file, full, chunksize=part, max_concurrency=S3_PARALLEL_PARTS, **extra)

    def _delete_local(self, rel: str) -> None:
        # The last segment is not resolved: deleting a link removes the link, not its target.
        parent, _, name = rel.rpartition("/")
        folder = join_inside(self._root, parent)
        target = os.path.join(folder, name) if name else folder
        if os.path.islink(target) or os.path.isfile(target):
            os.remove(target)
        elif os.path.isdir(target):
            shutil.rmtree(target)

    def _delete_remote(self, rel: str) -> None:
        full = self._locate(rel)
        if not self._fs.exists(full):
            return
        if not self._fs.isdir(full):
            self._fs.rm_file(full)
            return
        found = self._fs.find(full, withdirs=True, detail=True)
        folders = {full}
        for name, info in found.items():
            if info.get("type") != "directory":
                self._fs.rm_file(name)
            else:
                folders.add(name)
        if not rel:  # the root itself stays (it may be a bucket); the folders inside it go
            folders.discard(full)
        for name in sorted(folders, key=len, reverse=True):  # deepest first
            with contextlib.suppress(OSError):  # object stores have no folders to remove
                self._fs.rmdir(name)

    def _children(self, rel: str) -> list[FileInfo]:
        full = self._locate(rel)
        if not self._fs.isdir(full):
            return []
        children: list[FileInfo] = []
        for entry in self._fs.ls(full, detail=True):
            entry_path = str(entry["name"]).rstrip("/")
            name = posixpath.basename(entry_path)
            if not name or name.startswith(TEMP_PREFIX) or entry_path == full.rstrip("/"):
                continue  # object stores may list a folder's own marker
            info = self._file_info(join(rel, name), entry)
            if info is not None:
                children.append(info)
        return sorted(children, key=lambda info: info.path)

    def _file_info(self, rel: str, entry: dict[str, Any]) -> FileInfo | None:
        if entry.get("islink"):  # local only: follow it if it stays inside the root
            try:
                entry = self._fs.info(join_inside(self._root, rel))
            except (InvalidParameterValue, OSError):
                return None
        kind = entry.get("type")
        if kind == "directory":
            return FileInfo(rel, is_dir=True)
        if kind == "file":
            return FileInfo(rel, is_dir=False, file_size=int(entry.get("size") or 0))
        return None  # sockets, pipes, devices

    def _open_read(self, rel: str, shown: str, *, listed: bool = False) -> IO[bytes]:
        """``listed``: a listing just said ``rel`` is a file, so it is not asked again (for a
        remote store that is one request less per file)."""
        try:
            full = self._locate(rel)
            if not listed and self._fs.info(full).get("type") != "file":
                raise InvalidParameterValue(f"Artifact {shown!r} is not a file.")
            if self._s3:  # s3fs reads ahead 50 MB by default; a part's size keeps memory flat
                return cast(
                    IO[bytes], cast(Any, self._fs).open(full, "rb", block_size=S3_PART_SIZE)
                )
            return self._fs.open(full, "rb")
        except FileNotFoundError as exc:
            raise NotFound(f"Artifact {shown!r} does not exist.") from exc

    def _download_file(
        self, rel: str, local: str, *, listed: bool = False, progress: Progress | None = None
    ) -> None:
        with self._open_read(rel, rel, listed=listed) as source:
            atomic_write(local, reported(source, progress))

    def _download_dir(
        self,
        rel: str,
        local: str,
        progress: Progress | None = None,
        above: frozenset[str] = frozenset(),
    ) -> None:
        above = above | {self._locate(rel)}  # a local link back up the tree is a cycle: skipped
        os.makedirs(local, exist_ok=True)
        jobs: list[tuple[str, str]] = []
        for info in self._children(rel):
            target = os.path.join(local, posixpath.basename(info.path))
            if info.is_dir and self._locate(info.path) not in above:
                self._download_dir(info.path, target, progress, above)
            elif not info.is_dir:
                jobs.append((info.path, target))
        in_parallel(lambda job: self._download_file(*job, listed=True, progress=progress), jobs)


# -- helpers ------------------------------------------------------------------------------------


def _upload_id(upload_id: str) -> str:
    if not upload_id:
        raise InvalidParameterValue("A multipart upload id is required.")
    return upload_id


class _FsspecProgress(fsspec.callbacks.Callback):  # type: ignore[misc]
    """fsspec's transfer callback, forwarding each increment to a ``progress`` function."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self._progress = progress

    def relative_update(self, inc: int = 1) -> None:
        self._progress(inc)


# -- choosing the storage by URI scheme ---------------------------------------------------------


def _scheme(uri: str) -> str:
    if len(uri) > 2 and uri[1] == ":" and uri[0].isalpha() and uri[2] in "\\/":
        return ""  # a Windows drive, not a one-letter scheme
    return urlsplit(uri).scheme.lower()


def sweep_local_roots(uris: Sequence[str], older_than_s: float) -> list[str]:
    """:meth:`ArtifactRepo.sweep_temp_files` over those of ``uris`` that are local folders
    (an object store never shows an unfinished upload); the paths removed."""
    removed: list[str] = []
    for uri in dict.fromkeys(uris):
        if uri and _scheme(uri) in ("", "file"):
            removed += _local_repo(uri).sweep_temp_files(older_than_s)
    return removed


def _local_repo(uri: str) -> ArtifactRepo:
    local = file_uri_path(uri)
    path = uri if local is None else local
    if not path:
        raise InvalidParameterValue("The artifact URI is empty.")
    root = os.path.abspath(os.path.expanduser(path))
    return ArtifactRepo(uri, cast(FileSystem, fsspec.filesystem("file")), root, local=True)


def _fsspec_repo(uri: str) -> ArtifactRepo:
    scheme = _scheme(uri)
    if scheme not in fsspec.available_protocols():
        raise InvalidParameterValue(f"Unsupported artifact URI scheme {scheme!r} in {uri!r}.")
    # fsspec imports the scheme's implementation (s3fs, gcsfs, adlfs…) only now, so a cloud
    # package is loaded by the repositories that use it and need not be installed otherwise.
    try:
        fs, root = fsspec.core.url_to_fs(uri, **_storage_options(scheme))
    except ImportError as exc:
        raise InvalidParameterValue(
            f"Artifact URI {uri!r} needs a package that is not installed: {exc}"
        ) from exc
    s3 = scheme in S3_SCHEMES
    return ArtifactRepo(uri, cast(FileSystem, fs), str(root).rstrip("/"), local=False, s3=s3)


def _storage_options(scheme: str) -> dict[str, Any]:
    """fsspec options for ``scheme``; for S3, the endpoint of an S3-compatible store."""
    if scheme not in S3_SCHEMES:
        return {}
    # Listings are not cached: another server worker, or another client, may write meanwhile.
    options: dict[str, Any] = {"use_listings_cache": False}
    endpoint = S3Settings.from_env().endpoint_url
    if endpoint:
        options["endpoint_url"] = endpoint
    return options


def _proxy_repo(
    uri: str,
    tracking_uri: str | None,
    http: httpx.Client | None,
    settings: RestSettings | None,
) -> ArtifactRepo:
    where = resolve_proxy_uri(uri, tracking_uri)
    settings = settings or RestSettings.from_env()
    fs = ProxyFileSystem(where.endpoint, http or make_http_client(settings), settings)
    return ArtifactRepo(uri, fs, where.root, local=False)


def _unresolved(uri: str) -> ArtifactRepo:
    raise InvalidParameterValue(
        f"Artifact URI {uri!r} is not a storage location: resolve runs:/ and models:/ URIs first."
    )


_FACTORIES: dict[str, Callable[[str], ArtifactRepo]] = {
    "": _local_repo,
    "file": _local_repo,
    "runs": _unresolved,
    "models": _unresolved,
    # mlflow-artifacts, http and https: the tracking server's artifact proxy (_proxy_repo).
    # Every other scheme (s3, gs, az, abfs, memory, sftp, …) goes to fsspec: _fsspec_repo.
}
