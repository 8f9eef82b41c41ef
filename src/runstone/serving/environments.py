"""``--env-manager uv``: a virtual environment rebuilt from a model's saved requirements.

The environment holds the Python version of ``python_env.yaml``, the packages of
``requirements.txt``, Runstone itself (with its server extra) and pandas; it is built once and kept
under :func:`runstone.config.model_env_root`, named by a hash of what went into it, so the next
``serve`` or ``predict`` of a model with the same requirements starts at once. Every command is
an argument list; nothing goes through a shell.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Final

from filelock import FileLock

from runstone import __version__
from runstone.config import find_uv, model_env_root
from runstone.errors import InvalidState, NotImplementedFeature
from runstone.models.environment import PythonEnv, canonical_name, requirement_name
from runstone.models.layout import PYTHON_ENV_FILE, REQUIREMENTS_FILE

READY_MARKER: Final = ".runstone-ready"
# What the scoring server needs besides Runstone's own dependencies.
SERVING_REQUIREMENTS: Final = ("pandas",)
UV_MISSING: Final = (
    "--env-manager uv needs the uv command, which is not on PATH: install it with "
    "'pip install uv' (or see https://docs.astral.sh/uv/getting-started/installation/), "
    "or use --env-manager local."
)


def uv_executable() -> str:
    """The path of ``uv``, or NotImplementedFeature saying how to install it."""
    found = find_uv()
    if found is None:
        raise NotImplementedFeature(UV_MISSING)
    return found


def runstone_requirement() -> str:
    """How to install this Runstone into another environment: from its source folder when it
    was installed from one (a development checkout), else by version from the package index."""
    try:
        raw = importlib.metadata.distribution("runstone").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        raw = None
    url = json.loads(raw).get("url") if raw else None
    if isinstance(url, str) and url.startswith("file://"):
        return f"runstone[server] @ {url}"
    return f"runstone[server]=={__version__}"


def model_requirements(model_dir: str | Path) -> list[str]:
    """The model's ``requirements.txt`` lines, without Runstone (installed separately)."""
    path = Path(model_dir) / REQUIREMENTS_FILE
    if not path.is_file():
        return []
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name = requirement_name(line)
        if name is not None and canonical_name(name) == "runstone":
            continue
        lines.append(line)
    return lines


def python_version(model_dir: str | Path) -> str:
    """The Python version the model was saved with (``python_env.yaml``), or this one's."""
    if (Path(model_dir) / PYTHON_ENV_FILE).is_file():
        return PythonEnv.load(model_dir).python
    return PythonEnv().python


def environment_key(python: str, requirements: list[str], runstone: str) -> str:
    """The cache key of an environment: a hash of everything installed into it."""
    text = "\n".join([f"python {python}", runstone, *requirements])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def uv_environment(model_dir: str | Path, root: Path | None = None) -> Path:
    """The Python interpreter of the model's uv environment, building it the first time.

    Builds are serialised by a file lock, so two servers started at once build it once; a
    half-built environment (no ready marker) is removed and built again.
    """
    uv = uv_executable()
    python = python_version(model_dir)
    requirements = model_requirements(model_dir)
    runstone = runstone_requirement()
    named = {canonical_name(n) for line in requirements if (n := requirement_name(line))}
    # Request bodies become DataFrames: pandas is needed even when the model does not name it.
    requirements += [name for name in SERVING_REQUIREMENTS if name not in named]
    env_dir = (
        root or model_env_root()
    ) / f"runstone-{environment_key(python, requirements, runstone)}"
    interpreter = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(env_dir) + ".lock"):
        if (env_dir / READY_MARKER).is_file():
            return interpreter
        shutil.rmtree(env_dir, ignore_errors=True)
        _run([uv, "venv", "--quiet", "--python", python, str(env_dir)], "create the environment")
        install = [uv, "pip", "install", "--quiet", "--python", str(interpreter), runstone]
        _run([*install, *requirements], "install the model's requirements")
        (env_dir / READY_MARKER).write_text(
            "\n".join([f"python {python}", runstone, *requirements]) + "\n", encoding="utf-8"
        )
    return interpreter


def _run(argv: list[str], what: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip().splitlines()
        detail = " | ".join(output[-5:]) if output else f"exit status {result.returncode}"
        raise InvalidState(f"uv could not {what}: {detail}")
