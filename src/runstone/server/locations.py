"""Which artifact locations a client may give the server.

A client names storage in two places: an experiment's ``artifact_location``, and (with the
registry) a model version's ``source``. The server reads and writes what those name, so an
unchecked one would let any client point the server at ``/etc``, at another bucket, or at an
internal URL. Accepted are:

- ``mlflow-artifacts:/<path>``: inside the proxied storage (when the server serves artifacts);
- a location inside one of the server's configured roots (``--default-artifact-root``,
  ``--artifacts-destination``), compared after normalising, and for local paths after
  resolving symbolic links.

Everything else (other folders, other buckets, ``http(s)``, ``runs:``/``models:``, ``..``
anywhere) is INVALID_PARAMETER_VALUE.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from runstone.artifacts import safe_relative_path
from runstone.artifacts.paths import is_inside
from runstone.errors import InvalidParameterValue

PROXY_SCHEME = "mlflow-artifacts"
_LOCAL_SCHEMES = ("", "file")
_NEVER = ("http", "https", "runs", "models", "ftp", "data")


@dataclass(frozen=True, slots=True)
class _Root:
    scheme: str  # "" for local paths
    netloc: str
    path: str  # absolute, normalised; real (links resolved) for local roots


class ArtifactRoots:
    """The locations a server may be pointed at, and the check of a client-given one."""

    def __init__(self, roots: list[str], serve_artifacts: bool) -> None:
        self.serve_artifacts = serve_artifacts
        self._roots = [_root(r) for r in roots if r and not r.startswith(PROXY_SCHEME)]

    def check(self, location: str, field: str = "artifact_location") -> str:
        """``location`` if the server may use it, else InvalidParameterValue naming ``field``."""
        parts = urlsplit(location)
        scheme = parts.scheme.lower()
        if len(scheme) == 1:  # a Windows drive letter, not a scheme
            scheme = ""
        if scheme == PROXY_SCHEME:
            return self._check_proxied(location, parts.netloc, parts.path, field)
        if scheme in _NEVER:
            raise _refused(location, field, f"{scheme}: locations are not storage")
        if scheme in _LOCAL_SCHEMES:
            path = unquote(parts.path) if scheme == "file" else location
            if scheme == "file" and parts.netloc not in ("", "localhost"):
                raise _refused(location, field, "it names another host")
            _no_dot_segments(location, path, field)
            real = os.path.realpath(os.path.abspath(os.path.expanduser(path)))
            if any(r.scheme == "" and is_inside(r.path, real) for r in self._roots):
                return location
            raise _refused(location, field, "it is outside the server's artifact roots")
        _no_dot_segments(location, parts.path, field)
        path = posixpath.normpath("/" + parts.path.lstrip("/"))
        for root in self._roots:
            if (
                root.scheme == scheme
                and root.netloc == parts.netloc.lower()
                and (path == root.path or path.startswith(root.path.rstrip("/") + "/"))
            ):
                return location
        raise _refused(location, field, "it is outside the server's artifact roots")

    def _check_proxied(self, location: str, netloc: str, path: str, field: str) -> str:
        if not self.serve_artifacts:
            raise _refused(location, field, "this server does not serve artifacts")
        if netloc:
            raise _refused(location, field, "give mlflow-artifacts:/<path>, without a host")
        try:
            safe_relative_path(path.lstrip("/"))
        except InvalidParameterValue as exc:
            raise _refused(location, field, exc.message) from None
        return location


def _root(uri: str) -> _Root:
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if len(scheme) <= 1 or scheme == "file":
        path = unquote(parts.path) if scheme == "file" else uri
        return _Root("", "", os.path.realpath(os.path.abspath(os.path.expanduser(path))))
    return _Root(scheme, parts.netloc.lower(), posixpath.normpath("/" + parts.path.lstrip("/")))


def _no_dot_segments(location: str, path: str, field: str) -> None:
    for form in (path, unquote(path), unquote(unquote(path))):
        segments = form.replace("\\", "/").split("/")
        if any(s.strip(". ") == "" and s not in ("", ".") for s in segments):
            raise _refused(location, field, "'..' segments are not allowed")
        if "\x00" in form:
            raise _refused(location, field, "NUL characters are not allowed")


def _refused(location: str, field: str, why: str) -> InvalidParameterValue:
    shown = location if len(location) <= 120 else location[:117] + "..."
    return InvalidParameterValue(f"Invalid {field} {shown!r}: {why}.")
