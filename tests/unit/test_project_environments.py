"""Choosing an environment manager, and the build cache that never reuses a half-built one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from runstone.errors import InvalidParameterValue
from runstone.projects import environments
from runstone.projects.environments import Progress, cached_build, choose_manager, environment_key
from runstone.projects.runner import absolute_tracking_uri
from runstone.projects.spec import EnvSpec, ProjectSpec

QUIET = Progress(quiet=True)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("conda_env", "conda"), ("docker_env", "docker"), ("none", "local")],
)
def test_inferred_manager_follows_the_project(kind: str, expected: str) -> None:
    assert choose_manager(None, EnvSpec(kind)) == expected


def test_python_env_prefers_uv_when_installed() -> None:
    installed = environments.uv_executable(required=False) is not None
    expected = "uv" if installed else "virtualenv"
    assert choose_manager(None, EnvSpec("python_env")) == expected


@pytest.mark.parametrize(
    ("requested", "kind", "fragment"),
    [
        ("conda", "python_env", "use local or uv or virtualenv"),
        ("uv", "conda_env", "use local or conda"),
        ("docker", "none", "cannot run a project with no environment"),
        ("pipenv", "none", "Unknown environment manager 'pipenv'"),
    ],
)
def test_a_manager_that_cannot_run_the_project_is_refused(
    requested: str, kind: str, fragment: str
) -> None:
    with pytest.raises(InvalidParameterValue, match=fragment):
        choose_manager(requested, EnvSpec(kind))


def test_local_runs_this_interpreter(tmp_path: Path) -> None:
    spec = ProjectSpec(name=None, root=tmp_path, env=EnvSpec("none"))
    env = environments.prepare(spec, "local", cache_dir=tmp_path, progress=QUIET)
    assert env.bin_dir == Path(sys.executable).parent
    assert not env.built
    path = env.variables({"PATH": "/usr/bin"})["PATH"]
    assert path.split(":")[0] == str(Path(sys.executable).parent)


def _fake_env(target: Path) -> None:
    (target / "bin").mkdir(parents=True)
    (target / "bin" / "python").write_text("")


def test_a_built_environment_is_reused(tmp_path: Path) -> None:
    builds: list[Path] = []

    def build(target: Path) -> None:
        builds.append(target)
        _fake_env(target)

    first, built = cached_build(tmp_path, ["python 3.11", "pyyaml"], build, "test", QUIET)
    assert built
    second, built_again = cached_build(tmp_path, ["python 3.11", "pyyaml"], build, "test", QUIET)
    assert not built_again
    assert first == second
    assert len(builds) == 1
    other, _ = cached_build(tmp_path, ["python 3.11", "numpy"], build, "test", QUIET)
    assert other != first  # other requirements, another environment


def test_an_interrupted_build_is_never_reused(tmp_path: Path) -> None:
    contents = ["python 3.11", "pyyaml"]
    key = environment_key(contents)

    def interrupted(target: Path) -> None:
        _fake_env(target)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cached_build(tmp_path, contents, interrupted, "test", QUIET)
    assert not (tmp_path / key).exists()
    killed = tmp_path / f"{key}.0badc0de"  # what a SIGKILLed build leaves behind
    _fake_env(killed)

    prefix, built = cached_build(tmp_path, contents, _fake_env, "test", QUIET)
    assert built
    assert prefix == tmp_path / key
    assert prefix.is_symlink()
    assert not killed.exists()
    assert (prefix / environments.READY_MARKER).is_file()


def test_relative_tracking_uris_become_absolute(tmp_path: Path) -> None:
    assert absolute_tracking_uri("store", tmp_path) == str(tmp_path / "store")
    assert absolute_tracking_uri("sqlite:///db/x.db", tmp_path) == f"sqlite:///{tmp_path}/db/x.db"
    assert absolute_tracking_uri("sqlite:////abs/x.db", tmp_path) == "sqlite:////abs/x.db"
    assert absolute_tracking_uri("http://127.0.0.1:5000", tmp_path) == "http://127.0.0.1:5000"
