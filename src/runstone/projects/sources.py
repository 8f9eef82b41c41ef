"""Where a project comes from: a local folder, or a git repository checked out into a cache.

``fetch_project(uri, version)`` accepts what ``mlflow run`` accepts (mlflow-compat.md §7.2),
except ``.zip`` URLs:

- a local folder, as a path or a ``file://`` URI — used in place, never copied;
- a git URL (``https://``, ``http://``, ``ssh://``, ``git://``, ``user@host:repo``), a
  ``file://`` URI or path of a bare repository, or a local work tree when a ``version`` is
  given — cloned into the cache;
- any of these followed by ``#sub/dir`` to pick a folder inside (``..`` and absolute paths
  are refused, and so is a subdirectory that leaves the project through a symlink).

``version`` is a branch, a tag or a commit (full or abbreviated). Checkouts live in
``<cache>/<hash of the URL>/<full commit>``: the version is resolved to a commit with
``git ls-remote`` before anything is cloned, so fetching a commit that is already there clones
nothing, and a pinned full commit needs no network at all. ``git`` always runs with an argument
list, ``--`` before URLs, no prompt for credentials, and URLs or versions that start with ``-``
are refused. Credentials in a URL never reach the recorded ``source_name`` or repository URL.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path, PurePosixPath
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from runstone.config import project_cache_dir
from runstone.errors import InvalidParameterValue
from runstone.uri import file_uri_path

_GIT_SCHEMES: Final = ("http", "https", "ssh", "git", "git+ssh", "git+https")
_SCP_LIKE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.-]*:[^/].*")
_FULL_COMMIT: Final = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_SHORT_COMMIT: Final = re.compile(r"[0-9a-f]{4,63}")
_USER_INFO: Final = re.compile(r"//[^/@\s]+@")  # credentials git may echo in a message
_SAFE_VERSION: Final = re.compile(r"[^\s\x00-\x1f\x7f~^:?*\[\\]+")


@dataclass(frozen=True)
class ProjectSource:
    """A fetched project. ``root`` is its local folder (subdirectory applied); the rest is what
    a run records: ``mlflow.source.name`` and the ``mlflow.source.git.*`` tags."""

    root: Path
    source_name: str
    git_commit: str | None
    git_repo_url: str | None
    git_branch: str | None
    subdirectory: str | None = None


def fetch_project(
    uri: str, version: str | None = None, cache_dir: Path | None = None
) -> ProjectSource:
    """The project at ``uri`` (``URI#sub/dir`` allowed) at ``version``, as a local folder.

    ``cache_dir`` holds git checkouts (default: ``sources/`` in the project cache of
    :func:`runstone.config.project_cache_dir`).
    """
    base, subdir = _split_subdirectory(uri)
    if version is not None:
        _check_argument(version, "version")
        if not _SAFE_VERSION.fullmatch(version):
            raise InvalidParameterValue(f"Version {version!r} is not a valid git revision.")
    cache = Path(cache_dir) if cache_dir is not None else project_cache_dir() / "sources"
    if _is_git_url(base):
        return _fetch_git(base, version, cache, subdir)
    folder = _local_path(base)
    # A ``*.git`` path may be served from the cache even when the repository is gone.
    if folder.name.endswith(".git") or _is_bare_repository(folder):
        return _fetch_git(folder.as_uri(), version, cache, subdir)
    if not folder.is_dir():
        raise InvalidParameterValue(f"Project folder {str(folder)!r} does not exist.")
    if version is not None:
        if not (folder / ".git").exists():
            raise InvalidParameterValue(
                f"--version needs a git repository, and {str(folder)!r} is not one."
            )
        return _fetch_git(folder.as_uri(), version, cache, subdir)
    root = _subfolder(folder, subdir)
    commit, repo_url, branch = _work_tree_info(folder)
    name = str(folder) + (f"#{subdir}" if subdir else "")
    return ProjectSource(root, name, commit, repo_url, branch, subdir)


# -- URIs ------------------------------------------------------------------------------------


def _split_subdirectory(uri: str) -> tuple[str, str | None]:
    base, _, fragment = uri.partition("#")
    if not base:
        raise InvalidParameterValue(f"Project URI {uri!r} names no project.")
    if not fragment:
        return base, None
    path = PurePosixPath(fragment)
    if path.is_absolute() or ".." in path.parts or "\\" in fragment:
        raise InvalidParameterValue(
            f"Subdirectory {fragment!r} of project URI {uri!r} must be a relative path "
            "inside the project, without '..'."
        )
    parts = [part for part in path.parts if part != "."]
    return base, "/".join(parts) or None


def _is_git_url(text: str) -> bool:
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    return scheme in _GIT_SCHEMES or (not scheme and bool(_SCP_LIKE.fullmatch(text)))


def _local_path(text: str) -> Path:
    local = file_uri_path(text)
    if local is not None:
        path = Path(local)
    elif "://" in text:
        raise InvalidParameterValue(
            f"Project URI {text!r} is neither a local folder nor a git URL "
            "(https://, ssh://, git://, user@host:repo, file://)."
        )
    else:
        path = Path(text)
    return Path(os.path.abspath(path))


def _subfolder(top: Path, subdir: str | None) -> Path:
    if subdir is None:
        return top
    root = top / subdir
    if not root.is_dir() or not root.resolve().is_relative_to(top.resolve()):
        raise InvalidParameterValue(
            f"Subdirectory {subdir!r} is not a folder of the project at {str(top)!r}."
        )
    return root


def _check_argument(value: str, what: str) -> None:
    if value.startswith("-") or not value.strip():
        raise InvalidParameterValue(f"The project {what} {value!r} is not allowed.")


def without_credentials(url: str) -> str:
    """``url`` with any password removed, and for http(s) the whole user part (it is often a
    token): what may be recorded and shown."""
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url
    user_info, _, host = parts.netloc.rpartition("@")
    if parts.scheme.lower() in ("http", "https", "git+https"):
        netloc = host
    else:
        netloc = f"{user_info.partition(':')[0]}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def _is_bare_repository(folder: Path) -> bool:
    return (
        (folder / "HEAD").is_file() and (folder / "objects").is_dir() and (folder / "refs").is_dir()
    )


# -- git -------------------------------------------------------------------------------------


class _GitFailed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _git(*args: str, cwd: Path | None = None) -> str:
    """Run ``git`` with ``args``; its standard output, or :class:`_GitFailed` with its last
    error line."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}  # fail, don't ask for a password
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise InvalidParameterValue(
            "git is not installed (or not on PATH); it is needed for projects from git "
            "repositories. Install it (for example `apt-get install git`) and retry."
        ) from None
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        raise _GitFailed((fatal or lines or [f"git exited with {done.returncode}"])[0])
    return done.stdout


def _fetch_git(url: str, version: str | None, cache: Path, subdir: str | None) -> ProjectSource:
    _check_argument(url, "URL")
    host = urlsplit(url).hostname if "://" in url else None
    if host and host.startswith("-"):
        raise InvalidParameterValue(f"The project URL {url!r} is not allowed.")
    shown = without_credentials(url)
    key_dir = cache / sha256(shown.encode()).hexdigest()[:16]
    try:
        commit, branch = _resolve(url, version, key_dir)
        checkout = key_dir / commit if commit else None
        if checkout is None or not (checkout / ".git").exists():
            commit, checkout = _clone(url, version, commit, key_dir)
    except _GitFailed as exc:
        message = _USER_INFO.sub("//", exc.message.replace(url, shown))
        raise InvalidParameterValue(f"Cannot fetch project {shown!r}: {message}") from None
    name = shown + (f"#{subdir}" if subdir else "")
    return ProjectSource(_subfolder(checkout, subdir), name, commit, shown, branch, subdir)


def _resolve(url: str, version: str | None, key_dir: Path) -> tuple[str | None, str | None]:
    """``(commit, branch)`` for ``version`` without cloning; commit None when only a clone
    can tell (an abbreviated commit that is not in the cache)."""
    if version is None:
        return _default_head(url)
    if _FULL_COMMIT.fullmatch(version):
        return version, None
    cached = [p.name for p in _cached(key_dir) if p.name.startswith(version)]
    try:
        refs = _remote_refs(url)
    except _GitFailed:
        if _SHORT_COMMIT.fullmatch(version) and len(cached) == 1:
            return cached[0], None  # offline, and the commit is in the cache
        raise
    if f"refs/heads/{version}" in refs:
        return refs[f"refs/heads/{version}"], version
    for ref in (f"refs/tags/{version}^{{}}", f"refs/tags/{version}"):
        if ref in refs:
            return refs[ref], None
    if _SHORT_COMMIT.fullmatch(version):
        return (cached[0] if len(cached) == 1 else None), None
    raise InvalidParameterValue(
        f"Version {version!r} is not a branch, tag or commit of {without_credentials(url)!r}."
    )


def _default_head(url: str) -> tuple[str, str | None]:
    commit: str | None = None
    branch: str | None = None
    for line in _git("ls-remote", "--symref", "--", url, "HEAD").splitlines():
        target, _, ref = line.partition("\t")
        if target.startswith("ref: refs/heads/"):
            branch = target.removeprefix("ref: refs/heads/")
        elif ref == "HEAD":
            commit = target
    if commit is None:
        raise InvalidParameterValue(f"Repository {without_credentials(url)!r} has no commits.")
    return commit, branch


def _remote_refs(url: str) -> dict[str, str]:
    refs: dict[str, str] = {}
    for line in _git("ls-remote", "--", url).splitlines():
        commit, _, ref = line.partition("\t")
        refs[ref] = commit
    return refs


def _cached(key_dir: Path) -> list[Path]:
    if not key_dir.is_dir():
        return []
    return [p for p in key_dir.iterdir() if not p.name.startswith(".") and p.is_dir()]


def _clone(url: str, version: str | None, commit: str | None, key_dir: Path) -> tuple[str, Path]:
    """Clone ``url`` at ``version`` into the cache; ``(full commit, checkout folder)``."""
    key_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".clone-", dir=key_dir))
    try:
        by_ref = version is not None and commit is not None and version != commit
        if version is None or by_ref:
            branch_args = ["--branch", version] if version is not None else []
            _git("clone", "--quiet", "--depth", "1", *branch_args, "--", url, str(work))
        else:
            _git("clone", "--quiet", "--no-checkout", "--", url, str(work))
            wanted = commit or version or "HEAD"
            try:
                found = _git("rev-parse", "--verify", "--quiet", f"{wanted}^{{commit}}", cwd=work)
            except _GitFailed:
                raise InvalidParameterValue(
                    f"Version {version!r} is not a branch, tag or commit of "
                    f"{without_credentials(url)!r}."
                ) from None
            _git("checkout", "--quiet", "--detach", found.strip(), cwd=work)
        full = _git("rev-parse", "HEAD", cwd=work).strip()
        final = key_dir / full
        try:
            work.rename(final)
        except OSError:  # another process cached the same commit first
            if not (final / ".git").exists():
                raise
            shutil.rmtree(work, ignore_errors=True)
        return full, final
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _work_tree_info(folder: Path) -> tuple[str | None, str | None, str | None]:
    """``(commit, origin URL, branch)`` of the git work tree ``folder`` is in; Nones when it
    is in none, or git is missing."""
    try:
        commit = _git("rev-parse", "--verify", "--quiet", "HEAD", cwd=folder).strip()
    except (_GitFailed, InvalidParameterValue):
        return None, None, None
    try:
        origin = without_credentials(_git("remote", "get-url", "origin", cwd=folder).strip())
    except _GitFailed:
        origin = None
    try:
        branch = _git("symbolic-ref", "--quiet", "--short", "HEAD", cwd=folder).strip()
    except _GitFailed:
        branch = None
    return commit or None, origin or None, branch or None


__all__ = ["ProjectSource", "fetch_project", "without_credentials"]
