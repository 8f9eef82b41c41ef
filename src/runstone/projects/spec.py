"""``ProjectSpec``: a project folder and its ``MLproject`` file, read as MLflow reads it.

The format is MLflow's (mlflow-compat.md §7.1) so existing projects run unchanged: a YAML file
named ``MLproject`` in any letter case, with a ``name``, at most one of ``python_env``,
``conda_env`` and ``docker_env``, and ``entry_points`` whose parameters are written either as
``name: type`` or as ``name: {type: ..., default: ...}``. A folder without the file is a
project too: its ``*.py`` and ``*.sh`` files are its entry points.

Everything here is pure reading and checking; a malformed file is one
:class:`~runstone.errors.InvalidParameterValue` naming the file and what is wrong with it.
Building the command of an entry point lives in :mod:`runstone.projects.params`.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Final

import yaml

from runstone.config import user_shell
from runstone.errors import InvalidParameterValue
from runstone.projects.params import (
    PARAM_TYPES,
    Parameter,
    ResolvedCommand,
    build_argv,
    check_type,
    final_params,
    parse_template,
)

MLPROJECT_FILE: Final = "MLproject"
PYTHON_ENV_FILE: Final = "python_env.yaml"
CONDA_ENV_FILE: Final = "conda.yaml"
DEFAULT_ENTRY_POINT: Final = "main"
_ENV_KEYS: Final = ("python_env", "conda_env", "docker_env")
_SCRIPT_SUFFIXES: Final = (".py", ".sh")


@dataclass(frozen=True)
class EntryPoint:
    """One entry point: its parameters and its command template.

    ``script`` is set for an undeclared ``*.py`` / ``*.sh`` file run as an entry point (the
    path relative to the project root, where the command runs). ``root`` is the project
    folder: relative ``path`` defaults are taken relative to it.
    """

    name: str
    parameters: Mapping[str, Parameter]
    command: str
    script: str | None = None
    root: Path | None = None

    def resolve(
        self, user_params: Mapping[str, str], storage_dir: Path, cwd: Path
    ) -> ResolvedCommand:
        """The command to run for ``user_params`` (``-P`` values as strings).

        Declared parameters are typed and defaulted; relative ``path`` values given by the
        user are taken relative to ``cwd``. ``storage_dir`` is where MLflow downloads remote
        ``path`` values; Runstone passes those through unchanged, so it is not written to.
        """
        del storage_dir  # remote path values are passed through, not downloaded
        values, extra = final_params(self.parameters, user_params, cwd, self.root or cwd, self.name)
        if self.script is not None:
            program = ["python"] if self.script.endswith(".py") else [user_shell()]
            extra_args = [arg for key, value in extra.items() for arg in (f"--{key}", value)]
            return ResolvedCommand([*program, self.script, *extra_args], values, extra)
        parts = parse_template(self.command, self.parameters, self.name)
        argv, shell = build_argv(parts, values, extra, self.name)
        return ResolvedCommand(argv, values, extra, shell)


@dataclass(frozen=True)
class EnvSpec:
    """The environment a project asks for. ``kind`` is ``python_env``, ``conda_env``,
    ``docker_env`` or ``none``; ``file`` is the absolute environment file of the first two."""

    kind: str
    file: Path | None = None
    docker_image: str | None = None
    docker_volumes: tuple[str, ...] = ()
    docker_environment: tuple[str | tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ProjectSpec:
    """A project: its folder, its environment and its declared entry points."""

    name: str | None
    root: Path
    env: EnvSpec
    entry_points: Mapping[str, EntryPoint] = field(default_factory=dict)

    def entry_point(self, name: str) -> EntryPoint:
        """The declared entry point ``name``, else a ``*.py`` / ``*.sh`` file of that name in
        the project (run with ``python`` / the user's shell), else a clear error."""
        if name in self.entry_points:
            return self.entry_points[name]
        script = _script_in(self.root, name)
        if script is not None:
            program = "python" if name.endswith(".py") else "$SHELL"
            command = f"{program} {shlex.quote(script)}"
            return EntryPoint(name, {}, command, script=script, root=self.root)
        if not self.entry_points:
            raise InvalidParameterValue(
                f"Entry point {name!r} is not a .py or .sh file in {str(self.root)!r}, and the "
                "project declares no entry points (no MLproject, or none in it)."
            )
        declared = ", ".join(repr(n) for n in self.entry_points)
        raise InvalidParameterValue(
            f"Entry point {name!r} is not declared in the project's MLproject "
            f"(declared: {declared}) and is not a .py or .sh file in {str(self.root)!r}."
        )


def _script_in(root: Path, name: str) -> str | None:
    """``name`` as a relative path to a script file inside ``root``, or None."""
    relative = PurePosixPath(name)
    if (
        not name.endswith(_SCRIPT_SUFFIXES)
        or relative.is_absolute()
        or ".." in relative.parts
        or name.startswith("-")
        or "\\" in name
    ):
        return None
    return str(relative) if (root / relative).is_file() else None


# -- reading ---------------------------------------------------------------------------------


def load_project(root: Path) -> ProjectSpec:
    """Read the project in folder ``root``: its ``MLproject`` (any letter case) if present."""
    root = Path(root).absolute()
    if not root.is_dir():
        raise InvalidParameterValue(f"Project folder {str(root)!r} does not exist.")
    path = _find_mlproject(root)
    if path is None:
        return ProjectSpec(name=None, root=root, env=_default_env(root), entry_points={})
    doc = _read_yaml_mapping(path, "MLproject file")
    source = str(path)
    name = doc.get("name")
    return ProjectSpec(
        name=None if name is None else str(name),
        root=root,
        env=_env_spec(doc, root, source),
        entry_points=_entry_points(doc.get("entry_points"), root, source),
    )


def _find_mlproject(root: Path) -> Path | None:
    found = sorted(p for p in root.iterdir() if p.name.lower() == MLPROJECT_FILE.lower())
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise InvalidParameterValue(f"Project {str(root)!r} has several MLproject files: {names}.")
    return found[0] if found and found[0].is_file() else None


def _read_yaml_mapping(path: Path, what: str) -> Mapping[Any, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidParameterValue(f"Cannot read {what} {str(path)!r}: {exc}.") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or "bad syntax"
        raise InvalidParameterValue(
            f"{what.capitalize()} {str(path)!r} is not valid YAML{where}: {problem}."
        ) from None
    if doc is None:
        return {}
    if not isinstance(doc, Mapping):
        raise InvalidParameterValue(
            f"{what.capitalize()} {str(path)!r} must hold a YAML mapping, not {type(doc).__name__}."
        )
    return doc


def _invalid(source: str, why: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid MLproject file {source!r}: {why}.")


def _default_env(root: Path) -> EnvSpec:
    """No env key: ``python_env.yaml`` if present, else ``conda.yaml``, else none."""
    if (root / PYTHON_ENV_FILE).is_file():
        return EnvSpec("python_env", file=root / PYTHON_ENV_FILE)
    if (root / CONDA_ENV_FILE).is_file():
        return EnvSpec("conda_env", file=root / CONDA_ENV_FILE)
    return EnvSpec("none")


def _env_spec(doc: Mapping[Any, Any], root: Path, source: str) -> EnvSpec:
    keys = [key for key in _ENV_KEYS if key in doc]
    if len(keys) > 1:
        raise _invalid(source, f"it sets {' and '.join(keys)}; at most one is allowed")
    if not keys:
        return _default_env(root)
    key = keys[0]
    value = doc[key]
    if key == "docker_env":
        return _docker_env(value, source)
    if not isinstance(value, str) or not value:
        raise _invalid(source, f"{key} must be the relative path of a file")
    file = Path((root / value).absolute())
    if not file.is_file():
        raise _invalid(source, f"{key} names {value!r}, which is not a file in the project")
    return EnvSpec(key, file=file)


def _docker_env(value: object, source: str) -> EnvSpec:
    if not isinstance(value, Mapping) or not isinstance(value.get("image"), str):
        raise _invalid(source, "docker_env must be a mapping with an 'image' string")
    volumes = value.get("volumes") or []
    if not isinstance(volumes, list) or not all(isinstance(v, str) for v in volumes):
        raise _invalid(source, "docker_env volumes must be a list of 'host:container' strings")
    environment: list[str | tuple[str, str]] = []
    for item in value.get("environment") or []:
        if isinstance(item, str):
            environment.append(item)
        elif isinstance(item, list) and len(item) == 2 and isinstance(item[0], str):
            environment.append((item[0], str(item[1])))
        else:
            raise _invalid(
                source, f"docker_env environment item {item!r} is neither NAME nor [NAME, VALUE]"
            )
    return EnvSpec(
        "docker_env",
        docker_image=value["image"],
        docker_volumes=tuple(volumes),
        docker_environment=tuple(environment),
    )


def _entry_points(raw: object, root: Path, source: str) -> dict[str, EntryPoint]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _invalid(source, "entry_points must be a mapping of names to entry points")
    points: dict[str, EntryPoint] = {}
    for key, body in raw.items():
        name = str(key)
        if not isinstance(body, Mapping):
            raise _invalid(source, f"entry point {name!r} must be a mapping")
        command = body.get("command")
        if not isinstance(command, str) or not command.strip():
            raise _invalid(source, f"entry point {name!r} has no command")
        params = _parameters(body.get("parameters"), name, source)
        parse_template(command, params, name)  # unknown placeholders fail at load time
        points[name] = EntryPoint(name, params, command, root=root)
    return points


def _parameters(raw: object, entry_point: str, source: str) -> dict[str, Parameter]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _invalid(source, f"the parameters of entry point {entry_point!r} must be a mapping")
    params: dict[str, Parameter] = {}
    for key, spec in raw.items():
        name = str(key)
        where = f"Parameter {name!r} of entry point {entry_point!r} in {source!r}"
        if spec is None or isinstance(spec, str):
            params[name] = Parameter(name, check_type(spec or "string", where))
        elif isinstance(spec, Mapping):
            type_name = spec.get("type", "string")
            default = spec.get("default")
            if isinstance(default, Mapping | list):
                raise _invalid(source, f"the default of parameter {name!r} must be a scalar")
            params[name] = Parameter(
                name,
                check_type(str(type_name), where),
                None if default is None else str(default),
            )
        else:
            raise _invalid(source, f"parameter {name!r} must be a type name or a mapping")
    return params


# -- python_env.yaml -------------------------------------------------------------------------


@dataclass(frozen=True)
class PythonEnvFile:
    """A project's ``python_env.yaml``: the Python version and what to install."""

    python: str | None
    build_dependencies: list[str]
    dependencies: list[str]


def read_python_env(path: Path) -> PythonEnvFile:
    """Read ``python_env.yaml`` (keys ``python``, ``build_dependencies``, ``dependencies``)."""
    doc = _read_yaml_mapping(Path(path), "environment file")
    python = doc.get("python")
    if python is not None and not isinstance(python, str | int | float):
        raise InvalidParameterValue(
            f"Invalid environment file {str(path)!r}: 'python' must be a version string."
        )
    return PythonEnvFile(
        # ``python: 3.10`` unquoted reads as the float 3.1; keep what can be kept.
        python=None if python is None else str(python),
        build_dependencies=_string_list(doc, "build_dependencies", path),
        dependencies=_string_list(doc, "dependencies", path),
    )


def _string_list(doc: Mapping[Any, Any], key: str, path: Path) -> list[str]:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidParameterValue(
            f"Invalid environment file {str(path)!r}: {key!r} must be a list of strings."
        )
    return list(value)


__all__ = [
    "CONDA_ENV_FILE",
    "DEFAULT_ENTRY_POINT",
    "MLPROJECT_FILE",
    "PARAM_TYPES",
    "PYTHON_ENV_FILE",
    "EntryPoint",
    "EnvSpec",
    "Parameter",
    "ProjectSpec",
    "PythonEnvFile",
    "ResolvedCommand",
    "load_project",
    "read_python_env",
]
