"""The environments a project's command runs in, and the managers that build them.

* ``local``: this interpreter; nothing is built.
* ``uv`` and ``virtualenv``: a virtual environment with the Python version, build dependencies
  and dependencies of ``python_env.yaml``, plus Runstone itself (so the command's
  ``runstone.start_run()`` joins the run); ``uv`` builds it with the ``uv`` command (which can
  download a missing Python), ``virtualenv`` with ``python -m venv`` and pip.
* ``conda``: an environment from the project's conda file, when conda or mamba is on PATH.
* ``docker``: the project's image, when a Docker engine answers.

When ``--env-manager`` is not given, the manager follows the project: a conda file → ``conda``,
a Docker image → ``docker``, ``python_env.yaml`` → ``uv`` when uv is installed, else
``virtualenv``; a project that declares no environment runs ``local``, since there is nothing to
build (MLflow would build an empty virtualenv).

Built environments live under ``project_cache_dir()/envs``, named by a hash of everything that
went into them, so the next run with the same requirements builds nothing. Each build happens in
a fresh folder of its own, under a file lock; only a finished build is published, by atomically
replacing the symlink named by the hash. A killed build is never reused, and the next build of
that hash deletes its leftovers. (The folder itself cannot be renamed into place: a virtual
environment's scripts name their own absolute path.)
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import itertools
import json
import os
import platform
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from filelock import FileLock

from runstone import __version__
from runstone.config import find_uv, project_cache_dir
from runstone.errors import InvalidParameterValue, InvalidState, NotImplementedFeature
from runstone.projects.spec import EnvSpec, ProjectSpec, read_python_env

MANAGERS: Final = ("local", "uv", "virtualenv", "conda", "docker")
READY_MARKER: Final = ".runstone-env"
# The kinds of environment each manager can run (a project may always run ``local``).
_SUPPORTS: Final = {
    "local": ("python_env", "conda_env", "docker_env", "none"),
    "uv": ("python_env", "none"),
    "virtualenv": ("python_env", "none"),
    "conda": ("conda_env",),
    "docker": ("docker_env",),
}
_KIND_NAMES: Final = {
    "python_env": "a python_env.yaml environment",
    "conda_env": "a conda environment",
    "docker_env": "a Docker image",
    "none": "no environment",
}
_INSTALL_HINTS: Final = {
    "uv": "uv is not installed: pip install uv (or see https://docs.astral.sh/uv/), "
    "or use --env-manager local",
    "conda": "conda is not installed (neither conda nor mamba is on PATH): install Miniforge "
    "(https://conda-forge.org/download/), or use --env-manager local",
    "docker": "docker is not installed: install Docker (https://docs.docker.com/get-docker/)",
}


@dataclass(frozen=True, slots=True)
class Environment:
    """Where a command runs: ``bin_dir`` goes first on its PATH; ``prefix`` is the built
    environment (None for ``local`` and ``docker``); ``built`` says this call built it;
    ``docker`` is the docker command that answered, for a ``docker_image``."""

    manager: str
    bin_dir: Path | None = None
    prefix: Path | None = None
    built: bool = False
    docker_image: str | None = None
    docker: str | None = None

    def variables(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` with this environment's bin folder first on PATH (and VIRTUAL_ENV or
        CONDA_PREFIX set for a built environment)."""
        env = dict(base)
        if self.bin_dir is not None:
            env["PATH"] = os.pathsep.join(p for p in (str(self.bin_dir), env.get("PATH")) if p)
        if self.prefix is not None:
            env.pop("PYTHONHOME", None)
            name = "CONDA_PREFIX" if self.manager == "conda" else "VIRTUAL_ENV"
            env[name] = str(self.prefix)
        return env


# -- choosing a manager --------------------------------------------------------------------------


def choose_manager(requested: str | None, env: EnvSpec) -> str:
    """The manager to use: ``requested`` when it can run the project's environment, else the
    project's own choice (see the module docstring). Raises before anything is built."""
    if requested is None:
        return _inferred(env)
    name = requested.strip().lower()
    if name not in MANAGERS:
        raise InvalidParameterValue(
            f"Unknown environment manager {requested!r}; use one of {', '.join(MANAGERS)}."
        )
    if env.kind not in _SUPPORTS[name]:
        usable = [m for m in MANAGERS if env.kind in _SUPPORTS[m]]
        raise InvalidParameterValue(
            f"--env-manager {name} cannot run a project with {_KIND_NAMES[env.kind]}; "
            f"use {' or '.join(usable)}."
        )
    return name


def _inferred(env: EnvSpec) -> str:
    if env.kind == "conda_env":
        return "conda"
    if env.kind == "docker_env":
        return "docker"
    if env.kind == "python_env":
        return "uv" if uv_executable(required=False) else "virtualenv"
    return "local"


def uv_executable(*, required: bool = True) -> str | None:
    """The ``uv`` command (see :func:`runstone.config.find_uv`)."""
    found = find_uv()
    if found is None and required:
        raise NotImplementedFeature(_INSTALL_HINTS["uv"] + ".")
    return found


def _conda_executable() -> str:
    found = shutil.which("mamba") or shutil.which("conda")
    if found is None:
        raise NotImplementedFeature(_INSTALL_HINTS["conda"] + ".")
    return found


def docker_executable() -> str:
    """The ``docker`` command, once ``docker info`` has answered."""
    found = shutil.which("docker")
    if found is None:
        raise NotImplementedFeature(_INSTALL_HINTS["docker"] + ".")
    try:
        answer = subprocess.run(
            [found, "info"], capture_output=True, text=True, timeout=30, check=False
        )
    except subprocess.TimeoutExpired:
        answer = None
    if answer is None or answer.returncode != 0:
        raise NotImplementedFeature(
            "docker is installed but its engine does not answer ('docker info' failed): "
            "start the Docker daemon."
        )
    return found


# -- progress ------------------------------------------------------------------------------------


class Progress:
    """Tells the user what a slow step is doing: a spinner on a terminal, else plain lines on
    stderr (so logs and pipes get one line per step, and stdout stays clean)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def note(self, text: str) -> None:
        if not self.quiet:
            print(f"runstone: {text}", file=sys.stderr, flush=True)

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        started = time.monotonic()
        if self.quiet:
            yield
            return
        if sys.stderr.isatty():
            from rich.console import Console  # only when a spinner is drawn

            console = Console(stderr=True)
            with console.status(text + "…"):
                yield
            console.print(f"{text}: done in {time.monotonic() - started:.1f} s")
            return
        self.note(text + "…")
        yield
        self.note(f"{text}: done in {time.monotonic() - started:.1f} s")


# -- preparing an environment --------------------------------------------------------------------


def prepare(
    spec: ProjectSpec,
    manager: str,
    *,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Environment:
    """The environment ``manager`` runs ``spec``'s commands in, built (or found) now."""
    progress = progress or Progress()
    root = (cache_dir or project_cache_dir()) / "envs"
    if manager == "local":
        return Environment("local", bin_dir=Path(sys.executable).parent)
    if manager in ("uv", "virtualenv"):
        return _python_environment(spec, manager, root, progress)
    if manager == "conda":
        return _conda_environment(spec, root, progress)
    if manager == "docker":
        docker = docker_executable()
        return Environment("docker", docker_image=spec.env.docker_image, docker=docker)
    raise InvalidParameterValue(f"Unknown environment manager {manager!r}.")


def _python_environment(
    spec: ProjectSpec, manager: str, root: Path, progress: Progress
) -> Environment:
    python, build_deps, deps = _python_requirements(spec)
    contents = [f"manager {manager}", f"python {python}", *build_deps, "--", *deps]
    contents += _referenced_files(spec.root, [*build_deps, *deps])
    if manager == "uv":
        uv = uv_executable()
        assert uv is not None

        def build(target: Path) -> None:
            _run([uv, "venv", "--quiet", "--python", python, str(target)], spec.root, "uv venv")
            install = [uv, "pip", "install", "--python", str(_interpreter(target))]
            if build_deps:
                _run([*install, *_args(build_deps)], spec.root, "uv pip install")
            _run([*install, *_args(deps)], spec.root, "uv pip install")

    else:
        interpreter = _find_python(python)
        contents.append(f"interpreter {interpreter}")

        def build(target: Path) -> None:
            _run([interpreter, "-m", "venv", str(target)], spec.root, "python -m venv")
            pip = [str(_interpreter(target)), "-m", "pip", "install", "--quiet"]
            pip.append("--disable-pip-version-check")
            if build_deps:
                _run([*pip, *_args(build_deps)], spec.root, "pip install")
            _run([*pip, *_args(deps)], spec.root, "pip install")

    what = f"{manager} environment (Python {python}, {len(deps)} requirements)"
    prefix, built = cached_build(root, contents, build, what, progress)
    return Environment(manager, bin_dir=_bin(prefix), prefix=prefix, built=built)


def _python_requirements(spec: ProjectSpec) -> tuple[str, list[str], list[str]]:
    """Python version, build dependencies and dependencies (with Runstone) of the project."""
    python: str | None = None
    build_deps: list[str] = []
    deps: list[str] = []
    if spec.env.kind == "python_env" and spec.env.file is not None:
        declared = read_python_env(spec.env.file)
        python, build_deps = declared.python, declared.build_dependencies
        deps = declared.dependencies
    if not python:
        python = f"{sys.version_info.major}.{sys.version_info.minor}"
    if not any(_names_runstone(line) for line in deps):
        deps = [*deps, *runstone_requirement()]
    return str(python), list(build_deps), deps


def _names_runstone(line: str) -> bool:
    head = line.strip().split(";", 1)[0]
    for stop in "<>=!~[@ ":
        head = head.split(stop, 1)[0]
    return head.lower().replace("_", "-") == "runstone"


def runstone_requirement() -> list[str]:
    """How a built environment gets this Runstone: from the folder it was installed from (a
    checkout: editable when this one is), else this version from the package index."""
    try:
        raw = importlib.metadata.distribution("runstone").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        raw = None
    info = json.loads(raw) if raw else {}
    url = info.get("url")
    if isinstance(url, str) and url.startswith("file://"):
        if info.get("dir_info", {}).get("editable"):
            return [f"-e {url.removeprefix('file://')}"]
        return [f"runstone @ {url}"]
    return [f"runstone=={__version__}"]


def _args(lines: Sequence[str]) -> list[str]:
    """Requirement lines as installer arguments: an option line (``-r file``, ``-e path``)
    splits into its words; a requirement (``numpy >= 2``) stays one argument."""
    out: list[str] = []
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        out.extend(shlex.split(text) if text.startswith("-") else [text])
    return out


def _referenced_files(root: Path, lines: Sequence[str]) -> list[str]:
    """The contents of requirement files named by ``-r``/``-c`` lines, for the cache key."""
    words = _args(lines)
    found = []
    for flag, value in itertools.pairwise(words):
        if flag in ("-r", "--requirement", "-c", "--constraint"):
            path = root / value
            if path.is_file():
                found.append(path.read_text(encoding="utf-8", errors="replace"))
    return found


def _find_python(version: str) -> str:
    """An interpreter of ``version`` for ``virtualenv``: this one, or ``pythonX.Y`` on PATH."""
    wanted = version.split(".")
    if platform.python_version().split(".")[: len(wanted)] == wanted:
        return sys.executable
    candidate = shutil.which("python" + ".".join(wanted[:2]))
    if candidate is not None:
        answer = subprocess.run(
            [candidate, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=False,
        )
        if answer.stdout.strip().split(".")[: len(wanted)] == wanted:
            return candidate
    raise NotImplementedFeature(
        f"Python {version} is not available to --env-manager virtualenv (this interpreter is "
        f"{platform.python_version()}, and no matching python{'.'.join(wanted[:2])} is on "
        "PATH): use --env-manager uv, which downloads it (pip install uv)."
    )


def _conda_environment(spec: ProjectSpec, root: Path, progress: Progress) -> Environment:
    conda = _conda_executable()
    file = spec.env.file
    if file is None:
        raise InvalidParameterValue("The project declares no conda environment file.")
    runstone = runstone_requirement()
    contents = ["manager conda", file.read_text(encoding="utf-8"), *runstone]

    def build(target: Path) -> None:
        create = [conda, "env", "create", "--quiet", "--prefix", str(target), "--file", str(file)]
        _run(create, spec.root, "conda env create")
        python = _interpreter(target)
        if python.is_file():
            pip = [str(python), "-m", "pip", "install", "--quiet", *_args(runstone)]
            _run(pip, spec.root, "pip install runstone")

    what = f"conda environment from {file.name}"
    prefix, built = cached_build(root, contents, build, what, progress)
    return Environment("conda", bin_dir=_bin(prefix), prefix=prefix, built=built)


# -- the cache -----------------------------------------------------------------------------------


def environment_key(contents: Sequence[str]) -> str:
    """The cache name of an environment: a hash of everything that went into it."""
    text = "\n".join([f"runstone-env 1 {sys.platform}", *contents])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cached_build(
    root: Path,
    contents: Sequence[str],
    build: Callable[[Path], None],
    what: str,
    progress: Progress,
) -> tuple[Path, bool]:
    """The published environment for ``contents`` and whether this call built it."""
    key = environment_key(contents)
    link = root / key
    if (link / READY_MARKER).is_file():
        progress.note(f"using the cached {what} at {link}")
        return link, False
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / f"{key}.lock")):
        if (link / READY_MARKER).is_file():  # built by another process meanwhile
            return link, False
        _remove_leftovers(root, key)
        target = root / f"{key}.{secrets.token_hex(4)}"
        with progress.step(f"Building the {what}"):
            try:
                build(target)
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                raise
        (target / READY_MARKER).write_text("\n".join(contents) + "\n", encoding="utf-8")
        staged = root / f"{key}.link-{secrets.token_hex(4)}"
        os.symlink(target.name, staged)
        os.replace(staged, link)  # atomic: the environment appears whole, or not at all
    return link, True


def _remove_leftovers(root: Path, key: str) -> None:
    """Folders and links of builds of ``key`` that never finished (we hold its lock)."""
    for path in root.glob(f"{key}*"):
        if path.name == f"{key}.lock":
            continue
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
        elif path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def _bin(prefix: Path) -> Path:
    return prefix / ("Scripts" if os.name == "nt" else "bin")


def _interpreter(prefix: Path) -> Path:
    return _bin(prefix) / ("python.exe" if os.name == "nt" else "python")


def _run(argv: list[str], cwd: Path, what: str) -> None:
    """Run one build command; its output is shown only when it fails."""
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip().splitlines()
        detail = " | ".join(output[-5:]) if output else f"exit status {result.returncode}"
        raise InvalidState(f"Could not build the environment ({what}): {detail}")


# -- docker --------------------------------------------------------------------------------------

CONTAINER_CODE_DIR: Final = "/mlflow/projects/code"


def docker_command(
    spec: ProjectSpec,
    docker: str,
    argv: Sequence[str],
    variables: Mapping[str, str],
    mounts: Sequence[Path] = (),
) -> list[str]:
    """``docker run`` of ``argv`` in the project's image: the project mounted at MLflow's
    ``/mlflow/projects/code`` (the working directory), ``variables`` passed in, the image's
    declared volumes and environment, and ``mounts`` (e.g. a local tracking store) mounted at
    the same path inside."""
    image = spec.env.docker_image
    if not image:
        raise InvalidParameterValue("The project's docker_env names no image.")
    cmd = [docker, "run", "--rm", "--init", "-v", f"{spec.root}:{CONTAINER_CODE_DIR}"]
    cmd += ["-w", CONTAINER_CODE_DIR]
    if hasattr(os, "getuid"):
        cmd += ["--user", f"{os.getuid()}:{os.getgid()}"]
    for path in mounts:
        cmd += ["-v", f"{path}:{path}"]
    for volume in spec.env.docker_volumes:
        cmd += ["-v", volume]
    for item in spec.env.docker_environment:
        cmd += ["-e", item if isinstance(item, str) else "=".join(str(v) for v in item)]
    for name, value in variables.items():
        cmd += ["-e", f"{name}={value}"]
    if any("://127.0.0.1" in v or "://localhost" in v for v in variables.values()):
        cmd += ["--network", "host"]  # a tracking server on this machine's loopback
    return [*cmd, image, *argv]
