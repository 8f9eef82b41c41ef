"""The environment files of a model directory: ``requirements.txt``, ``python_env.yaml`` and
``conda.yaml``, in MLflow's formats (mlflow-compat.md §5.1).

A model is only reproducible with the packages it was trained with, so saving a model pins the
installed versions of the distributions its code imports (:func:`capture_requirements`). The
three files are written exactly as MLflow writes them, because ``mlflow models serve`` and
``mlflow.pyfunc.load_model`` rebuild environments from them.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from runstone.errors import InvalidParameterValue
from runstone.models.layout import (
    CONDA_ENV_FILE,
    PYTHON_ENV_FILE,
    REQUIREMENTS_FILE,
    read_text,
    write_text_atomic,
)

# The packages ``python_env.yaml`` pins so a virtualenv can build the requirements.
BUILD_PACKAGES: Final = ("pip", "setuptools", "wheel")
# The dependency line of ``python_env.yaml`` that points at the requirements file.
REQUIREMENTS_REFERENCE: Final = f"-r {REQUIREMENTS_FILE}"
CONDA_ENV_NAME: Final = "mlflow-env"
CONDA_CHANNELS: Final = ("conda-forge",)

_SELF_DISTRIBUTION: Final = "runstone"
_NAME_SEPARATORS = re.compile(r"[-_.]+")
# The project name at the start of a requirement line; ``git+https://…`` and ``-r x`` have none.
_REQUIREMENT_NAME = re.compile(
    r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?=$|[\[=<>!~;@(,\s])"
)
# pip's comment rule: ``#`` at the start of a line or after whitespace.
_COMMENT = re.compile(r"(^|\s)#.*$")
_CONDA_PYTHON = re.compile(r"^python\s*=+\s*(?P<version>\S+)$")


def current_python_version() -> str:
    """The running interpreter's version, ``X.Y.Z``, as MLflow records it."""
    return platform.python_version()


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, or None when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def canonical_name(name: str) -> str:
    """A project name compared as pip compares it (PEP 503): ``Scikit_Learn`` → ``scikit-learn``."""
    return _NAME_SEPARATORS.sub("-", name).lower()


def requirement_name(requirement: str) -> str | None:
    """The canonical project name a requirement line names, or None (options, URLs)."""
    match = _REQUIREMENT_NAME.match(requirement.strip())
    return canonical_name(match.group(1)) if match else None


# -- requirements.txt ------------------------------------------------------------------------


def parse_requirements(text: str) -> list[str]:
    """The requirement lines of a requirements file: comments and blank lines dropped.

    Option lines (``-r other.txt``, ``--index-url …``) are kept: they are part of what pip reads.
    """
    requirements = []
    for line in text.splitlines():
        content = _COMMENT.sub("", line).strip()
        if content:
            requirements.append(content)
    return requirements


def read_requirements(path: str | os.PathLike[str]) -> list[str]:
    """Read ``requirements.txt`` from a model directory (or the file itself)."""
    return parse_requirements(read_text(_file_in(path, REQUIREMENTS_FILE), REQUIREMENTS_FILE))


def write_requirements(path: str | os.PathLike[str], requirements: Iterable[str]) -> Path:
    """Write ``requirements.txt`` into a model directory: one line each, as MLflow writes it
    (lines joined by newlines, no trailing newline)."""
    return write_text_atomic(_file_in(path, REQUIREMENTS_FILE), "\n".join(requirements))


def capture_requirements(
    modules: Iterable[str],
    *,
    pip_requirements: str | os.PathLike[str] | Iterable[str] | None = None,
    extra_pip_requirements: str | os.PathLike[str] | Iterable[str] | None = None,
) -> list[str]:
    """The pinned pip requirements of code that imports ``modules``.

    Each top-level module name (``sklearn`` for ``sklearn.linear_model``) is mapped to the
    distributions that install it, pinned to their installed versions (``scikit-learn==1.5.0``).
    The standard library, Runstone itself and modules no distribution provides (the user's own
    code) are left out; the result is deduplicated and sorted by project name.

    ``pip_requirements`` replaces the captured list; ``extra_pip_requirements`` is appended to
    it, and an extra naming a captured project replaces that project's pin. Either may be a
    list of requirement lines or the path of a requirements file (a ``str`` is a path, as in
    MLflow).
    """
    if pip_requirements is not None and extra_pip_requirements is not None:
        raise InvalidParameterValue(
            "Only one of pip_requirements and extra_pip_requirements can be given: "
            "pip_requirements replaces the captured requirements, extra_pip_requirements "
            "adds to them."
        )
    if pip_requirements is not None:
        return _unique(_requirement_lines(pip_requirements, "pip_requirements"))
    captured = _pinned_distributions([modules] if isinstance(modules, str) else modules)
    if extra_pip_requirements is None:
        return [captured[name] for name in sorted(captured)]
    extras = _unique(_requirement_lines(extra_pip_requirements, "extra_pip_requirements"))
    for extra in extras:
        name = requirement_name(extra)
        if name is not None:
            captured.pop(name, None)
    return [captured[name] for name in sorted(captured)] + extras


def _pinned_distributions(modules: Iterable[str]) -> dict[str, str]:
    """Canonical project name → ``Name==version`` for the distributions providing ``modules``."""
    top_levels = {module.strip().split(".", 1)[0] for module in modules if module.strip()}
    top_levels -= set(sys.stdlib_module_names) | set(sys.builtin_module_names)
    top_levels.discard("__main__")
    providers = importlib.metadata.packages_distributions()
    pinned: dict[str, str] = {}
    for module in top_levels:
        for distribution in providers.get(module, ()):
            name = canonical_name(distribution)
            if name == _SELF_DISTRIBUTION or name in pinned:
                continue
            version = installed_version(distribution)
            pinned[name] = f"{distribution}=={version}" if version else distribution
    return pinned


def _requirement_lines(value: str | os.PathLike[str] | Iterable[str], field: str) -> list[str]:
    if isinstance(value, str | os.PathLike):
        path = Path(value)
        if not path.is_file():
            raise InvalidParameterValue(
                f"Invalid {field}: {str(path)!r} is not a requirements file (pass a list of "
                "requirement strings to give requirements directly)."
            )
        return parse_requirements(read_text(path, f"{field} file"))
    lines = list(value)
    for line in lines:
        if not isinstance(line, str):
            raise InvalidParameterValue(
                f"Invalid {field}: expected requirement strings, got {type(line).__name__}."
            )
    return [line.strip() for line in lines if line.strip()]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# -- python_env.yaml -------------------------------------------------------------------------


@dataclass
class PythonEnv:
    """``python_env.yaml``: what a virtualenv needs to rebuild the model's environment."""

    python: str = field(default_factory=current_python_version)
    build_dependencies: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=lambda: [REQUIREMENTS_REFERENCE])
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def current(cls) -> PythonEnv:
        """This interpreter, its installed build tools, and ``-r requirements.txt``."""
        build = []
        for package in BUILD_PACKAGES:
            version = installed_version(package)
            build.append(f"{package}=={version}" if version else package)
        return cls(build_dependencies=build)

    def to_dict(self) -> dict[str, Any]:
        """In MLflow's key order (``python``, ``build_dependencies``, ``dependencies``), with
        empty values left out as MLflow leaves them out."""
        doc: dict[str, Any] = {
            "python": self.python,
            "build_dependencies": self.build_dependencies,
            "dependencies": self.dependencies,
        }
        doc = {key: value for key, value in doc.items() if value}
        doc.update(self.extra)
        return doc

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=False)

    @classmethod
    def from_yaml(cls, text: str, source: str = PYTHON_ENV_FILE) -> PythonEnv:
        doc = dict(_yaml_mapping(text, source))
        python = doc.pop("python", None)
        if python is not None and not isinstance(python, str | float):
            raise _invalid(source, "python", "expected a version string")
        return cls(
            # ``python: 3.10`` written by hand reads as the float 3.1; keep what can be kept.
            python=current_python_version() if python is None else str(python),
            build_dependencies=_string_list(
                doc.pop("build_dependencies", None), source, "build_dependencies"
            ),
            dependencies=_string_list(doc.pop("dependencies", None), source, "dependencies"),
            extra=doc,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PythonEnv:
        """Read ``python_env.yaml`` from a model directory (or the file itself)."""
        file_path = _file_in(path, PYTHON_ENV_FILE)
        return cls.from_yaml(read_text(file_path, PYTHON_ENV_FILE), repr(str(file_path)))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``python_env.yaml`` into a model directory, atomically."""
        return write_text_atomic(_file_in(path, PYTHON_ENV_FILE), self.to_yaml())


# -- conda.yaml ------------------------------------------------------------------------------


@dataclass
class CondaEnv:
    """``conda.yaml``: a conda environment with python, pip, and the pip requirements.

    ``dependencies`` is kept as the raw conda list (strings, and the ``{pip: [...]}`` mapping)
    so a hand-written file with more conda packages survives a round trip.
    """

    dependencies: list[Any] = field(default_factory=list)
    channels: list[str] = field(default_factory=lambda: list(CONDA_CHANNELS))
    name: str = CONDA_ENV_NAME
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_requirements(
        cls, pip_requirements: Iterable[str], python_version: str | None = None
    ) -> CondaEnv:
        """The environment MLflow writes: ``python=X.Y.Z``, ``pip<=V`` and the pip list.

        pip is pinned with ``<=`` because conda-forge lags behind PyPI: ``==`` would fail to
        resolve for a day or two after every pip release.
        """
        requirements = list(pip_requirements)
        dependencies: list[Any] = [f"python={python_version or current_python_version()}"]
        pip_version = installed_version("pip")
        dependencies.append(f"pip<={pip_version}" if pip_version else "pip")
        dependencies.append({"pip": requirements})
        return cls(dependencies=dependencies)

    @property
    def python_version(self) -> str | None:
        """The version of the ``python=X.Y.Z`` dependency, if there is one."""
        for dependency in self.dependencies:
            if isinstance(dependency, str) and (match := _CONDA_PYTHON.match(dependency)):
                return match.group("version")
        return None

    @property
    def pip_requirements(self) -> list[str]:
        """The requirements of the ``{pip: [...]}`` entry (empty when there is none)."""
        for dependency in self.dependencies:
            if isinstance(dependency, Mapping) and isinstance(dependency.get("pip"), list):
                return [str(item) for item in dependency["pip"]]
        return []

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = dict(self.extra)
        doc.update(name=self.name, channels=self.channels, dependencies=self.dependencies)
        return doc

    def to_yaml(self) -> str:
        """Sorted keys, block style: byte for byte what MLflow writes."""
        return yaml.safe_dump(self.to_dict(), default_flow_style=False)

    @classmethod
    def from_yaml(cls, text: str, source: str = CONDA_ENV_FILE) -> CondaEnv:
        doc = dict(_yaml_mapping(text, source))
        name = doc.pop("name", CONDA_ENV_NAME)
        if not isinstance(name, str):
            raise _invalid(source, "name", "expected a string")
        dependencies = doc.pop("dependencies", None) or []
        if not isinstance(dependencies, list):
            raise _invalid(source, "dependencies", "expected a list")
        for dependency in dependencies:
            if not isinstance(dependency, str | Mapping):
                raise _invalid(source, "dependencies", f"unexpected entry {dependency!r}")
        channels = _string_list(doc.pop("channels", None), source, "channels")
        return cls(dependencies=dependencies, channels=channels, name=name, extra=doc)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CondaEnv:
        """Read ``conda.yaml`` from a model directory (or the file itself)."""
        file_path = _file_in(path, CONDA_ENV_FILE)
        return cls.from_yaml(read_text(file_path, CONDA_ENV_FILE), repr(str(file_path)))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``conda.yaml`` into a model directory, atomically."""
        return write_text_atomic(_file_in(path, CONDA_ENV_FILE), self.to_yaml())


def write_environment(
    path: str | os.PathLike[str], requirements: Iterable[str], python_version: str | None = None
) -> None:
    """Write the three environment files of a model directory for ``requirements``."""
    requirements = list(requirements)
    python_env = PythonEnv.current()
    if python_version is not None:
        python_env.python = python_version
    CondaEnv.for_requirements(requirements, python_env.python).save(path)
    python_env.save(path)
    write_requirements(path, requirements)


# -- helpers ---------------------------------------------------------------------------------


def _file_in(path: str | os.PathLike[str], file_name: str) -> Path:
    """``path`` itself when it names ``file_name`` (and is not a directory), else the file in it."""
    given = Path(path)
    if given.name == file_name and not given.is_dir():
        return given
    return given / file_name


def _invalid(source: str, key: str, why: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid environment file {source}: {key!r} {why}.")


def _yaml_mapping(text: str, source: str) -> Mapping[Any, Any]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidParameterValue(f"Invalid environment file {source}: {exc}") from None
    if not isinstance(doc, Mapping):
        raise InvalidParameterValue(
            f"Invalid environment file {source}: expected a YAML mapping at the top level, "
            f"got {type(doc).__name__}."
        )
    return doc


def _string_list(value: object, source: str, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid(source, key, "expected a list of strings")
    return list(value)
