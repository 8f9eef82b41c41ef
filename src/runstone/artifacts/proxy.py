"""A tracking server's artifact proxy (``/api/2.0/mlflow-artifacts``) as a filesystem.

:class:`ProxyFileSystem` implements the part of fsspec that :class:`~runstone.artifacts.repo.
ArtifactRepo` uses, over the proxy's four endpoints, so every repository verb works unchanged
against storage that only the server can reach:

* ``GET  …/artifacts?path=<dir>`` lists a folder's immediate children (names only);
* ``GET  …/artifacts/<path>`` streams a file (``open``);
* ``PUT  …/artifacts/<path>`` creates or replaces a file from the streamed body;
* ``DELETE …/artifacts/<path>`` removes a file or a folder.

Bodies stream both ways: an upload is read from its local file in chunks, a download is handed
out as a file object that pulls the response as it is read. Every request is idempotent (a PUT
replaces a whole file, deleting what is gone does nothing), so connection failures and HTTP
429/502/503/504 are retried with the REST store's backoff settings. A download that breaks off
half-way is resumed where it stopped (``Range: bytes=<received>-``), as often as the retry
settings allow in a row without progress; the bytes are then checked against the file's size
and, when the server recorded it, its SHA-256. The repository writes what it reads to a
temporary file, which only becomes the file once all of it has arrived.

:func:`resolve_proxy_uri` maps ``mlflow-artifacts:`` and ``http(s)`` artifact URIs to the
endpoint URL and the path under the proxy's storage root, as MLflow's client does.
"""

from __future__ import annotations

import errno
import hashlib
import io
import mimetypes
import os
import posixpath
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx

from runstone.artifacts.files import CHUNK_SIZE
from runstone.artifacts.paths import safe_relative_path
from runstone.config import RestSettings
from runstone.errors import (
    DataLoss,
    InternalError,
    InvalidParameterValue,
    NotFound,
    TemporarilyUnavailable,
)
from runstone.wire.http import (
    RETRY_STATUSES,
    SHA256_HEADER,
    describe,
    json_object,
    response_error,
    retry_delay,
    unreachable,
)

if TYPE_CHECKING:
    from runstone.artifacts.repo import FileSystem

PROXY_SCHEMES = frozenset({"mlflow-artifacts", "http", "https"})
ENDPOINT = "/mlflow-artifacts/artifacts"
API_ENDPOINT = "/api/2.0" + ENDPOINT
_DIRECTORY = "directory"
_FILE = "file"


# -- resolving URIs -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProxyLocation:
    """``endpoint``: the URL of ``…/mlflow-artifacts/artifacts`` (no trailing slash);
    ``root``: the clean path under the proxy's storage root ("" for the root itself)."""

    endpoint: str
    root: str


def is_proxy_uri(uri: str) -> bool:
    """Whether ``uri`` is reached through a tracking server's artifact proxy."""
    return urlsplit(uri).scheme.lower() in PROXY_SCHEMES


def resolve_proxy_uri(uri: str, tracking_uri: str | None = None) -> ProxyLocation:
    """Where the artifacts under ``uri`` are served.

    * ``mlflow-artifacts:/<path>`` → ``<tracking_uri>/api/2.0/mlflow-artifacts/artifacts/<path>``;
    * ``mlflow-artifacts://host[:port]/<path>`` → the same on ``host:port``, with the tracking
      URI's scheme and path prefix;
    * ``http(s)://…/mlflow-artifacts/artifacts/<path>`` → itself (``<path>`` percent-encoded).

    An ``mlflow-artifacts:`` URI needs an http(s) tracking URI, as in MLflow.
    """
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if parts.query or parts.fragment:
        raise InvalidParameterValue(
            f"Artifact URI {uri!r} must not have a query or a fragment ('?' or '#')."
        )
    if scheme == "mlflow-artifacts":
        return _resolve_mlflow_artifacts(uri, parts.netloc, parts.path, tracking_uri)
    if scheme in ("http", "https"):
        return _resolve_http(uri, scheme, parts.netloc, parts.path)
    raise InvalidParameterValue(f"Artifact URI {uri!r} is not served by an artifact proxy.")


def _resolve_mlflow_artifacts(
    uri: str, netloc: str, path: str, tracking_uri: str | None
) -> ProxyLocation:
    tracking = urlsplit((tracking_uri or "").strip())
    if tracking.scheme.lower() not in ("http", "https") or not tracking.netloc:
        raise InvalidParameterValue(
            f"Artifact URI {uri!r} is served by a tracking server's artifact proxy, so the "
            f"tracking URI must be an http(s) URL, not {tracking_uri!r}."
        )
    if netloc and not urlsplit(f"//{netloc}").hostname:
        raise InvalidParameterValue(f"Artifact URI {uri!r} has a port but no host name.")
    endpoint = urlunsplit(
        (
            tracking.scheme.lower(),
            netloc or tracking.netloc,
            tracking.path.rstrip("/") + API_ENDPOINT,
            "",
            "",
        )
    )
    return ProxyLocation(endpoint, _root(uri, path))


def _resolve_http(uri: str, scheme: str, netloc: str, path: str) -> ProxyLocation:
    if not netloc:
        raise InvalidParameterValue(f"Artifact URI {uri!r} has no host.")
    cut = _endpoint_end(path)
    if cut < 0:
        raise InvalidParameterValue(
            f"Artifact URI {uri!r} is not an artifact proxy URL: http(s) artifact URIs must "
            f"point into a tracking server's {API_ENDPOINT} (for example "
            f"http://host:5000{API_ENDPOINT}/<path>)."
        )
    endpoint = urlunsplit((scheme, netloc, path[:cut], "", ""))
    return ProxyLocation(endpoint, _root(uri, unquote(path[cut:])))


def _endpoint_end(path: str) -> int:
    """Where ``…/mlflow-artifacts/artifacts`` ends in ``path`` (as whole segments), else -1."""
    start = 0
    while (found := path.find(ENDPOINT, start)) >= 0:
        end = found + len(ENDPOINT)
        if end == len(path) or path[end] == "/":
            return end
        start = found + 1
    return -1


def _root(uri: str, path: str) -> str:
    try:
        return safe_relative_path(path.lstrip("/"))
    except InvalidParameterValue as exc:
        raise InvalidParameterValue(f"Invalid artifact URI {uri!r}: {exc.message}") from None


# -- the filesystem -----------------------------------------------------------------------------


class ProxyFileSystem:
    """The proxy's storage, addressed by paths relative to its root (``a/b.txt``).

    ``http`` is used as is and never closed here: its owner (the REST store or the client)
    closes it. It is shared by the threads of parallel transfers (``httpx.Client`` is
    thread-safe). ``settings`` sizes the retries.
    """

    def __init__(
        self, endpoint: str, http: httpx.Client, settings: RestSettings | None = None
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._http = http
        self._settings = settings or RestSettings()
        parts = urlsplit(self.endpoint)
        self._server = urlunsplit((parts.scheme, parts.netloc, "", "", ""))

    def __repr__(self) -> str:
        return f"ProxyFileSystem({self.endpoint!r})"

    # -- reads ---------------------------------------------------------------------------------

    def ls(self, path: str, detail: bool = True) -> list[dict[str, Any]]:
        """The entries directly under folder ``path`` (fsspec's detail form, always); nothing
        for a file or a missing folder."""
        folder = _clean(path)
        url = self.endpoint
        response = self._request("GET", url, params={"path": folder} if folder else None)
        data = _json(response, "GET", url)
        entries: list[dict[str, Any]] = []
        for item in data.get("files") or ():
            name = posixpath.basename(str(item.get("path", "")).rstrip("/"))
            if not name or name in (".", ".."):
                continue
            is_dir = bool(item.get("is_dir"))
            entries.append(
                {
                    "name": f"{folder}/{name}" if folder else name,
                    "type": _DIRECTORY if is_dir else _FILE,
                    "size": 0 if is_dir else int(item.get("file_size") or 0),
                }
            )
        return entries

    def info(self, path: str) -> dict[str, Any]:
        """The entry for ``path`` from its folder's listing; FileNotFoundError if it is absent."""
        clean = _clean(path)
        if not clean:
            return {"name": "", "type": _DIRECTORY, "size": 0}
        parent = posixpath.dirname(clean)
        for entry in self.ls(parent):
            if entry["name"] == clean:
                return entry
        raise FileNotFoundError(errno.ENOENT, "No such artifact", clean)

    def exists(self, path: str) -> bool:
        try:
            self.info(path)
        except FileNotFoundError:
            return False
        return True

    def isdir(self, path: str) -> bool:
        clean = _clean(path)
        if not clean or self.ls(clean):  # a folder with something in it: one request
            return True
        try:
            return bool(self.info(clean)["type"] == _DIRECTORY)
        except FileNotFoundError:
            return False

    def find(
        self, path: str, withdirs: bool = False, detail: bool = True
    ) -> dict[str, dict[str, Any]]:
        """Everything below folder ``path``, by path (folders too with ``withdirs``)."""
        found: dict[str, dict[str, Any]] = {}
        pending = [_clean(path)]
        while pending:
            for entry in self.ls(pending.pop()):
                if entry["type"] == _DIRECTORY:
                    pending.append(entry["name"])
                    if withdirs:
                        found[entry["name"]] = entry
                else:
                    found[entry["name"]] = entry
        return dict(sorted(found.items()))

    def open(self, path: str, mode: str = "rb") -> IO[bytes]:
        """The file ``path``, streamed from the server as it is read; the caller closes it."""
        if mode != "rb":
            raise ValueError(f"The artifact proxy opens files for reading ('rb'), not {mode!r}.")
        clean = _clean(path)
        url = self._url(clean)
        response = self._request("GET", url, stream=True, missing=clean)

        def resume(offset: int) -> httpx.Response:
            headers = {"Range": f"bytes={offset}-"}
            if etag := response.headers.get("etag"):  # the rest of this file, not of a new one
                headers["If-Range"] = etag
            return self._request("GET", url, headers=headers, stream=True, missing=clean)

        reader = _ResponseReader(response, url, resume, self._settings.max_retries)
        return io.BufferedReader(reader, CHUNK_SIZE)

    # -- writes --------------------------------------------------------------------------------

    def put_file(self, lpath: str, rpath: str, callback: Any = None, **kwargs: Any) -> None:
        """Upload local file ``lpath`` to ``rpath``, streamed from disk in chunks; an fsspec
        ``callback`` hears of each chunk sent."""
        size = os.path.getsize(lpath)
        clean = _clean(rpath)
        headers = {"Content-Type": _mime_type(clean), "Content-Length": str(size)}
        url = self._url(clean)
        digest = _file_sha256(lpath)  # sent first, so the server can check what it receives
        headers[SHA256_HEADER] = digest
        response = self._request(
            "PUT", url, content=lambda: _file_chunks(lpath, callback), headers=headers
        )
        self._check_json(response, "PUT", url)
        _verify_stored(response, digest, url)

    def pipe_file(self, path: str, value: bytes) -> None:
        clean = _clean(path)
        url = self._url(clean)
        digest = hashlib.sha256(value).hexdigest()
        headers = {"Content-Type": _mime_type(clean), SHA256_HEADER: digest}
        response = self._request("PUT", url, content=lambda: value, headers=headers)
        self._check_json(response, "PUT", url)
        _verify_stored(response, digest, url)

    def rm_file(self, path: str) -> None:
        self._delete(path)

    def rmdir(self, path: str) -> None:
        self._delete(path)

    def _delete(self, path: str) -> None:
        clean = _clean(path)
        if not clean:
            raise InvalidParameterValue("Refusing to delete the root of the artifact proxy.")
        url = self._url(clean)
        self._check_json(self._request("DELETE", url), "DELETE", url)

    # -- HTTP ----------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.endpoint}/{quote(path, safe='/')}"

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        content: Callable[[], bytes | Iterator[bytes]] | None = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        missing: str | None = None,
    ) -> httpx.Response:
        """A successful answer to one request, retried while that can help.

        An error answer raises its :mod:`runstone.errors` class; with ``missing`` set, a
        ``RESOURCE_DOES_NOT_EXIST`` raises FileNotFoundError (what the repository expects).
        ``content`` is called once per attempt, so a retried upload starts again from the
        beginning of its file.
        """
        attempt = 0
        while True:
            try:
                request = self._http.build_request(
                    method,
                    url,
                    params=params,
                    content=None if content is None else content(),
                    headers=headers,
                )
                response = self._http.send(request, stream=True)
            except httpx.TransportError as failure:
                if attempt >= self._settings.max_retries:
                    raise unreachable(self._server, method, url, failure, attempt + 1) from None
                self._pause(attempt, None)
                attempt += 1
                continue
            except httpx.HTTPError as exc:  # redirects, bad URLs: nothing a retry changes
                raise InternalError(f"{method} {url} failed: {describe(exc)}") from exc
            if response.status_code in RETRY_STATUSES and attempt < self._settings.max_retries:
                response.close()
                self._pause(attempt, response.headers.get("Retry-After"))
                attempt += 1
                continue
            if response.is_success:
                if not stream:
                    _read_body(response, method, url)
                return response
            _read_body(response, method, url)
            error = response_error(response, method, url)
            if missing is not None and isinstance(error, NotFound):
                raise FileNotFoundError(errno.ENOENT, error.message, missing) from error
            raise error

    def _pause(self, attempt: int, retry_after: str | None) -> None:
        delay = retry_delay(self._settings, attempt, retry_after)
        if delay > 0:
            time.sleep(delay)

    def _check_json(self, response: httpx.Response, method: str, url: str) -> None:
        _json(response, method, url)


def _read_body(response: httpx.Response, method: str, url: str) -> None:
    try:
        response.read()
    except httpx.HTTPError as exc:
        raise TemporarilyUnavailable(
            f"{method} {url}: the answer broke off ({describe(exc)})."
        ) from exc
    finally:
        response.close()


def _json(response: httpx.Response, method: str, url: str) -> dict[str, Any]:
    return json_object(response, method, url, "it a Runstone or MLflow artifact proxy")


class _ResponseReader(io.RawIOBase):
    """A streamed response body as a raw binary file: each read pulls what it needs.

    When the body breaks off, ``resume(offset)`` asks for the rest (a ``Range`` request) and
    reading goes on from there; ``retries`` breaks in a row without a byte of progress give up.
    """

    def __init__(
        self,
        response: httpx.Response,
        url: str,
        resume: Callable[[int], httpx.Response],
        retries: int,
    ) -> None:
        super().__init__()
        self._response = response
        self._url = url
        self._resume = resume
        self._retries = retries
        self._chunks = response.iter_bytes()
        self._pending = memoryview(b"")
        self._received = 0
        whole = response.status_code == 200
        # Only a whole, unencoded body of a known size can be resumed by byte offset.
        self._size = _body_size(response) if whole else None
        # A whole file that the server knows the checksum of is checked as it is read: the
        # last read raises DataLoss instead of returning the end of a corrupted file.
        expected = response.headers.get(SHA256_HEADER)
        self._expected = expected.lower() if expected and whole else None
        self._digest = hashlib.sha256() if self._expected else None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._pending:
            self._pending = memoryview(self._next_piece())
            if not self._pending:
                self._check_digest()
                return 0
            if self._digest is not None:
                self._digest.update(self._pending)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _next_piece(self) -> bytes:
        """The next bytes of the body (b"" at its end), resuming it when it breaks off."""
        breaks = 0
        while True:
            try:
                piece = next(self._chunks, b"")
            except httpx.HTTPError as exc:
                failure: Exception = exc
            else:
                if piece or self._size is None or self._received == self._size:
                    self._received += len(piece)
                    return piece
                failure = httpx.RemoteProtocolError(  # a clean end before the last byte
                    f"the body ended after {self._received} of {self._size} bytes"
                )
            breaks += 1
            if self._size is None or breaks > self._retries:
                raise TemporarilyUnavailable(
                    f"The download from {self._url} broke off ({describe(failure)})."
                ) from failure
            self._reopen()

    def _reopen(self) -> None:
        """The rest of the body, from the first byte not yet received."""
        self._response.close()
        if self._received == self._size:  # it broke off after the last byte
            self._chunks = iter(())
            return
        response = self._resume(self._received)
        if response.status_code != 206 or _content_range(response) != (
            self._received,
            self._size,
        ):
            response.close()
            changed = response.status_code == 200 and "if-range" in response.request.headers
            raise TemporarilyUnavailable(
                f"The download from {self._url} broke off after {self._received} bytes and "
                + (
                    "the file changed on the server meanwhile; download it again."
                    if changed
                    else "the server did not send the rest."
                )
            )
        self._response = response
        self._chunks = response.iter_bytes()

    def _check_digest(self) -> None:
        if self._digest is not None and self._digest.hexdigest() != self._expected:
            self._digest = None
            raise DataLoss(
                f"The download from {self._url} does not match the checksum the server "
                "recorded when the file was stored; nothing was kept."
            )

    def close(self) -> None:
        if not self.closed:
            self._response.close()
        super().close()


def _body_size(response: httpx.Response) -> int | None:
    """The body's length in bytes as sent, when it is known and not content-encoded."""
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        return None
    length = response.headers.get("content-length", "")
    return int(length) if length.isdigit() else None


def _content_range(response: httpx.Response) -> tuple[int, int] | None:
    """``(first byte, whole size)`` of a ``Content-Range: bytes a-b/size`` answer."""
    unit, _, rest = response.headers.get("content-range", "").partition(" ")
    span, _, total = rest.partition("/")
    first = span.partition("-")[0]
    if unit.lower() != "bytes" or not first.isdigit() or not total.isdigit():
        return None
    if _body_size(response) is None:
        return None
    return int(first), int(total)


def _verify_stored(response: httpx.Response, sent: str, url: str) -> None:
    """The server stored exactly what was sent (when it says what it stored)."""
    stored = response.headers.get(SHA256_HEADER)
    if stored and stored.lower() != sent:
        raise DataLoss(
            f"PUT {url}: the server stored different bytes than were sent (SHA-256 "
            f"{stored} instead of {sent}); upload the file again."
        )


def _clean(path: str) -> str:
    """A repository path as the proxy names it: no leading or trailing slashes."""
    return path.strip("/")


def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    for chunk in _file_chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


def _file_chunks(path: str, callback: Any = None) -> Iterator[bytes]:
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK_SIZE):
            if callback is not None:
                callback.relative_update(len(chunk))
            yield chunk


def _mime_type(path: str) -> str:
    guessed, _ = mimetypes.guess_type(posixpath.basename(path))
    return guessed or "application/octet-stream"


if TYPE_CHECKING:  # mypy proves ProxyFileSystem is a FileSystem for ArtifactRepo
    _conforms: type[FileSystem] = ProxyFileSystem
