from __future__ import annotations

import importlib.metadata
import platform
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from runstone.errors import InvalidParameterValue, NotFound
from runstone.models import (
    CondaEnv,
    PythonEnv,
    capture_requirements,
    current_python_version,
    read_requirements,
    write_environment,
    write_requirements,
)
from runstone.models.environment import parse_requirements, requirement_name

PROVIDERS = {
    "sklearn": ["scikit-learn"],
    "numpy": ["numpy"],
    "yaml": ["PyYAML"],
    "google": ["protobuf", "google_auth"],
    "runstone": ["runstone"],
    "_distutils_hack": ["setuptools"],
}
VERSIONS = {
    "scikit-learn": "1.5.0",
    "numpy": "2.1.0",
    "PyYAML": "6.0.2",
    "protobuf": "5.28.0",
    "google_auth": "2.35.0",
    "runstone": "0.1.0",
    "pip": "24.0",
    "setuptools": "69.0.0",
}


@pytest.fixture
def fake_site(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed set of installed distributions, so the pins do not depend on the venv."""

    def version(name: str) -> str:
        try:
            return VERSIONS[name]
        except KeyError:
            raise importlib.metadata.PackageNotFoundError(name) from None

    def packages_distributions() -> Mapping[str, list[str]]:
        return PROVIDERS

    monkeypatch.setattr(importlib.metadata, "version", version)
    monkeypatch.setattr(importlib.metadata, "packages_distributions", packages_distributions)
    monkeypatch.setattr(platform, "python_version", lambda: "3.11.7")


# -- capture_requirements ------------------------------------------------------------------


@pytest.mark.usefixtures("fake_site")
def test_capture_pins_sorts_and_drops_stdlib_self_and_unknown() -> None:
    modules = [
        "sklearn.linear_model",
        "numpy",
        "numpy.linalg",
        "os",
        "json.decoder",
        "sys",
        "__main__",
        "runstone.models",
        "my_local_code",
        "google.protobuf",
        "yaml",
        "",
    ]
    assert capture_requirements(modules) == [
        "google_auth==2.35.0",
        "numpy==2.1.0",
        "protobuf==5.28.0",
        "PyYAML==6.0.2",
        "scikit-learn==1.5.0",
    ]


@pytest.mark.usefixtures("fake_site")
def test_capture_single_module_string_and_unpinnable_distribution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert capture_requirements("numpy") == ["numpy==2.1.0"]
    providers = {**PROVIDERS, "odd": ["odd-dist"]}
    monkeypatch.setattr(importlib.metadata, "packages_distributions", lambda: providers)
    assert capture_requirements(["odd"]) == ["odd-dist"]  # no version known: left unpinned


@pytest.mark.usefixtures("fake_site")
def test_pip_requirements_replace() -> None:
    assert capture_requirements(["numpy"], pip_requirements=["torch==2.2", " x ", "", "x"]) == [
        "torch==2.2",
        "x",
    ]
    assert capture_requirements(["numpy"], pip_requirements=[]) == []


@pytest.mark.usefixtures("fake_site")
def test_extra_pip_requirements_append_and_override_pins() -> None:
    result = capture_requirements(
        ["numpy", "yaml"],
        extra_pip_requirements=["numpy>=2", "git+https://example.com/x.git", "-r more.txt"],
    )
    assert result == ["PyYAML==6.0.2", "numpy>=2", "git+https://example.com/x.git", "-r more.txt"]


@pytest.mark.usefixtures("fake_site")
def test_requirements_from_files(tmp_path: Path) -> None:
    req = tmp_path / "reqs.txt"
    req.write_text("# pinned\nscikit-learn==1.4  # old\n\ntorch\n")
    assert capture_requirements(["numpy"], pip_requirements=str(req)) == [
        "scikit-learn==1.4",
        "torch",
    ]
    assert capture_requirements(["numpy"], extra_pip_requirements=req) == [
        "numpy==2.1.0",
        "scikit-learn==1.4",
        "torch",
    ]


@pytest.mark.usefixtures("fake_site")
def test_capture_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match="Only one of pip_requirements"):
        capture_requirements([], pip_requirements=["a"], extra_pip_requirements=["b"])
    with pytest.raises(InvalidParameterValue, match="is not a requirements file"):
        capture_requirements([], pip_requirements="numpy==1.0")
    with pytest.raises(InvalidParameterValue, match="is not a requirements file"):
        capture_requirements([], extra_pip_requirements=tmp_path)
    with pytest.raises(InvalidParameterValue, match="expected requirement strings, got int"):
        capture_requirements([], pip_requirements=["a", 3])  # type: ignore[list-item]


def test_capture_against_the_real_environment() -> None:
    yaml_version = importlib.metadata.version("PyYAML")
    captured = capture_requirements(["yaml", "os", "runstone", "definitely_not_installed_xyz"])
    assert captured == [f"PyYAML=={yaml_version}"]


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("numpy", "numpy"),
        ("Scikit_Learn==1.5", "scikit-learn"),
        ("zope.interface>=5", "zope-interface"),
        ("requests[socks]~=2.31", "requests"),
        ("pkg @ https://example.com/pkg.whl", "pkg"),
        ("pkg; python_version < '3.12'", "pkg"),
        ("git+https://example.com/x.git", None),
        ("-r requirements.txt", None),
        ("--index-url https://example.com", None),
        ("./local/path", None),
    ],
)
def test_requirement_name(line: str, name: str | None) -> None:
    assert requirement_name(line) == name


# -- requirements.txt ----------------------------------------------------------------------


def test_requirements_file_format(tmp_path: Path) -> None:
    path = write_requirements(tmp_path, ["numpy==2.1.0", "scikit-learn==1.5.0"])
    assert path == tmp_path / "requirements.txt"
    assert path.read_bytes() == b"numpy==2.1.0\nscikit-learn==1.5.0"  # as MLflow: no final \n
    assert read_requirements(tmp_path) == ["numpy==2.1.0", "scikit-learn==1.5.0"]
    assert read_requirements(path) == ["numpy==2.1.0", "scikit-learn==1.5.0"]


def test_parse_requirements_drops_comments_keeps_options() -> None:
    text = "# header\n\nnumpy==2 # inline\n  -r other.txt\nurl#egg=x\n--extra-index-url u\n"
    assert parse_requirements(text) == [
        "numpy==2",
        "-r other.txt",
        "url#egg=x",
        "--extra-index-url u",
    ]


def test_read_requirements_missing(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"requirements\.txt"):
        read_requirements(tmp_path)


# -- python_env.yaml -----------------------------------------------------------------------


@pytest.mark.usefixtures("fake_site")
def test_python_env_current_is_written_as_mlflow_writes_it(tmp_path: Path) -> None:
    env = PythonEnv.current()
    assert env.python == "3.11.7"
    assert env.build_dependencies == ["pip==24.0", "setuptools==69.0.0", "wheel"]
    assert env.dependencies == ["-r requirements.txt"]
    path = env.save(tmp_path)
    assert path == tmp_path / "python_env.yaml"
    assert path.read_text() == (
        "python: 3.11.7\n"
        "build_dependencies:\n"
        "- pip==24.0\n"
        "- setuptools==69.0.0\n"
        "- wheel\n"
        "dependencies:\n"
        "- -r requirements.txt\n"
    )
    assert PythonEnv.load(tmp_path) == env
    assert PythonEnv.load(path) == env


def test_python_env_round_trip_keeps_unknown_keys_and_drops_empty_lists() -> None:
    text = "python: 3.10.4\ndependencies:\n- -r requirements.txt\nfuture: 1\n"
    env = PythonEnv.from_yaml(text)
    assert env.build_dependencies == []
    assert env.extra == {"future": 1}
    assert env.to_yaml() == text
    assert PythonEnv.from_yaml("python: 3.10\n").python == "3.1"  # YAML made it a float


def test_current_python_version() -> None:
    assert current_python_version() == platform.python_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", current_python_version())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("python: [3]\n", "'python' expected a version string"),
        ("build_dependencies: pip\n", "'build_dependencies' expected a list of strings"),
        ("dependencies: [1]\n", "'dependencies' expected a list of strings"),
        ("- a\n", "expected a YAML mapping at the top level, got list"),
        ("python: [unclosed\n", "Invalid environment file"),
    ],
)
def test_python_env_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidParameterValue, match=re.escape(message)):
        PythonEnv.from_yaml(text)


def test_env_files_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "python_env.yaml").write_text("- a\n")
    with pytest.raises(InvalidParameterValue, match=re.escape(str(tmp_path))):
        PythonEnv.load(tmp_path)
    with pytest.raises(NotFound, match=r"conda\.yaml"):
        CondaEnv.load(tmp_path)


# -- conda.yaml ----------------------------------------------------------------------------


@pytest.mark.usefixtures("fake_site")
def test_conda_env_is_written_as_mlflow_writes_it(tmp_path: Path) -> None:
    env = CondaEnv.for_requirements(["numpy==2.1.0", "scikit-learn==1.5.0"])
    path = env.save(tmp_path)
    assert path.read_text() == (
        "channels:\n"
        "- conda-forge\n"
        "dependencies:\n"
        "- python=3.11.7\n"
        "- pip<=24.0\n"
        "- pip:\n"
        "  - numpy==2.1.0\n"
        "  - scikit-learn==1.5.0\n"
        "name: mlflow-env\n"
    )
    loaded = CondaEnv.load(tmp_path)
    assert loaded == env
    assert loaded.python_version == "3.11.7"
    assert loaded.pip_requirements == ["numpy==2.1.0", "scikit-learn==1.5.0"]


def test_conda_env_without_pip_version(monkeypatch: pytest.MonkeyPatch) -> None:
    def version(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    env = CondaEnv.for_requirements(["a"], python_version="3.12.1")
    assert env.dependencies == ["python=3.12.1", "pip", {"pip": ["a"]}]


def test_conda_env_hand_written_round_trip() -> None:
    text = (
        "channels:\n- conda-forge\n- defaults\n"
        "dependencies:\n- python=3.10.12\n- cudatoolkit=11.8\n- pip\n- pip:\n  - torch==2.2.0\n"
        "name: my-env\n"
        "prefix: /opt/env\n"
    )
    env = CondaEnv.from_yaml(text)
    assert env.name == "my-env"
    assert env.channels == ["conda-forge", "defaults"]
    assert env.python_version == "3.10.12"
    assert env.pip_requirements == ["torch==2.2.0"]
    assert env.extra == {"prefix": "/opt/env"}
    assert env.to_yaml() == text
    bare = CondaEnv.from_yaml("name: e\n")
    assert bare.python_version is None
    assert bare.pip_requirements == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [x]\n", "'name' expected a string"),
        ("dependencies: python\n", "'dependencies' expected a list"),
        ("dependencies: [[1]]\n", "unexpected entry [1]"),
        ("channels: conda-forge\n", "'channels' expected a list of strings"),
        ("just text\n", "got str"),
    ],
)
def test_conda_env_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidParameterValue, match=re.escape(message)):
        CondaEnv.from_yaml(text)


# -- the three files together ----------------------------------------------------------------


@pytest.mark.usefixtures("fake_site")
def test_write_environment(tmp_path: Path) -> None:
    write_environment(tmp_path, ["numpy==2.1.0"], python_version="3.12.2")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "conda.yaml",
        "python_env.yaml",
        "requirements.txt",
    ]
    assert read_requirements(tmp_path) == ["numpy==2.1.0"]
    assert PythonEnv.load(tmp_path).python == "3.12.2"
    conda = yaml.safe_load((tmp_path / "conda.yaml").read_text())
    assert conda["dependencies"][0] == "python=3.12.2"
    assert conda["dependencies"][-1] == {"pip": ["numpy==2.1.0"]}


def test_python_env_reads_in_mlflow(tmp_path: Path) -> None:
    environment = pytest.importorskip("mlflow.utils.environment")
    reader = getattr(environment, "_PythonEnv", None)
    if reader is None:
        pytest.skip("this MLflow has no _PythonEnv reader")
    env = PythonEnv.current()
    env.save(tmp_path)
    theirs = reader.from_yaml(str(tmp_path / "python_env.yaml"))
    assert theirs.python == env.python
    assert theirs.build_dependencies == env.build_dependencies
    assert theirs.dependencies == ["-r requirements.txt"]
