"""The system tags a new run gets, as MLflow sets them: who, what script, which commit."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

USER = "mlflow.user"
SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
GIT_REPO_URL = "mlflow.source.git.repoURL"
PARENT_RUN_ID = "mlflow.parentRunId"
NOTE = "mlflow.note.content"
RUN_NAME = "mlflow.runName"


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in some containers
        return "unknown"


def source_tags(argv0: str | None = None) -> dict[str, str]:
    """User, entry point and git metadata of the running program."""
    script = argv0 if argv0 is not None else (sys.argv[0] if sys.argv else "")
    name = str(Path(script).absolute()) if script and script not in ("-c", "-m") else "<console>"
    tags = {USER: current_user(), SOURCE_NAME: name, SOURCE_TYPE: "LOCAL"}
    start = Path(name).parent if name != "<console>" else Path.cwd()
    tags.update(git_tags(start))
    return tags


def git_tags(start: Path) -> dict[str, str]:
    """Commit, branch and remote URL of the git work tree around ``start``, read from its files."""
    git_dir = _find_git_dir(start)
    if git_dir is None:
        return {}
    head = _read(git_dir / "HEAD")
    if head is None:
        return {}
    tags: dict[str, str] = {}
    if head.startswith("ref: "):
        ref = head[5:]
        tags[GIT_BRANCH] = ref.removeprefix("refs/heads/")
        commit = _read(git_dir / ref) or _packed_ref(git_dir, ref)
    else:
        commit = head
    if commit:
        tags[GIT_COMMIT] = commit
    url = _remote_url(git_dir)
    if url:
        tags[GIT_REPO_URL] = url
    return tags


def _find_git_dir(start: Path) -> Path | None:
    for folder in (start.absolute(), *start.absolute().parents):
        candidate = folder / ".git"
        if candidate.is_dir():
            return candidate
        if candidate.is_file():  # a worktree or submodule: "gitdir: <path>"
            pointer = _read(candidate)
            if pointer and pointer.startswith("gitdir: "):
                return (folder / pointer[8:]).resolve()
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _packed_ref(git_dir: Path, ref: str) -> str | None:
    common = _common_dir(git_dir)
    packed = _read(common / "packed-refs") or ""
    for line in packed.splitlines():
        sha, _, name = line.partition(" ")
        if name == ref:
            return sha
    loose = _read(common / ref)
    return loose


def _common_dir(git_dir: Path) -> Path:
    pointer = _read(git_dir / "commondir")
    return (git_dir / pointer).resolve() if pointer else git_dir


def _remote_url(git_dir: Path) -> str | None:
    config = _read(_common_dir(git_dir) / "config") or ""
    in_origin = False
    for raw in config.splitlines():
        line = raw.strip()
        if line.startswith("["):
            in_origin = line.replace('"', "").replace(" ", "") == "[remoteorigin]"
        elif in_origin and line.startswith("url"):
            return line.split("=", 1)[1].strip()
    return None
