"""`runstone run` as a user runs it: real processes, a real SQLite store, real git and uv.

Each test writes a small project into its own folder and runs it with ``python -m runstone
run``; the project's command joins the run through ``runstone.start_run()`` and logs a metric,
so each test can check that the parameters, tags, status and the command's own logging are all
in one run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import runstone.projects
from runstone.client.client import RunstoneClient
from runstone.config import find_uv
from runstone.entities import Run
from tests.cli_helpers import assert_one_line_error, invoke

RUNSTONE = [sys.executable, "-m", "runstone"]
DEADLINE_S = 60.0

MLPROJECT = """\
name: tracked
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      n: int
    command: "python train.py --alpha {alpha} --n {n}"
  fail:
    command: "python -c 'import sys; sys.exit(3)'"
  wait:
    command: "python wait.py"
"""

TRAIN = """\
import argparse
from pathlib import Path

import runstone

Path(__file__).with_name("executed").write_text("yes")
parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float)
parser.add_argument("--n", type=int)
args, _ = parser.parse_known_args()
with runstone.start_run():
    runstone.log_metric("double_n", 2 * args.n)
    runstone.log_metric("version", float(Path(__file__).with_name("VERSION").read_text()))
"""

# Joins the run, says so with its pid, then waits for a "go" file (at most a minute).
WAIT = """\
import os
import time
from pathlib import Path

import runstone

here = Path(__file__).parent
with runstone.start_run():
    (here / "started").write_text(str(os.getpid()))
    deadline = time.monotonic() + 60
    while not (here / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    runstone.log_metric("waited", 1.0)
"""


def write_project(folder: Path, version: str = "1") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "MLproject").write_text(MLPROJECT)
    (folder / "train.py").write_text(TRAIN)
    (folder / "wait.py").write_text(WAIT)
    (folder / "VERSION").write_text(version)
    return folder


@pytest.fixture
def child_env(tmp_path: Path) -> dict[str, str]:
    """The environment of `runstone run`: none of the developer's settings, a private cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNSTONE_", "MLFLOW_"))}
    env["RUNSTONE_PROJECTS_CACHE_DIR"] = str(tmp_path / "cache")
    env["RUNSTONE_SPOOL_DIR"] = str(tmp_path / "spool")
    return env


@pytest.fixture
def run_cli(
    tmp_path: Path, child_env: dict[str, str]
) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str, timeout: float = DEADLINE_S) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*RUNSTONE, "run", *args],
            cwd=tmp_path,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run


def stored_run(store: Path, run_id: str) -> Run:
    with RunstoneClient(str(store)) as client:
        return client.get_run(run_id)


def all_runs(store: Path) -> list[Run]:
    if not store.exists():
        return []
    with RunstoneClient(str(store)) as client:
        experiments = [e.experiment_id for e in client.search_experiments().items]
        return list(client.search_runs(experiments).items)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def git(*args: str, cwd: Path) -> str:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    done = subprocess.run(
        ["git", *identity, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


# -- folders ---------------------------------------------------------------------------------


def test_folder_project_is_one_tracked_run(
    tmp_path: Path, run_cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    project = write_project(tmp_path / "project")
    done = run_cli(
        str(project),
        *("-P", "n=3", "-P", "note=x; touch pwned"),
        *("--run-name", "first", "--experiment-name", "projects"),
        "--tracking-uri",
        "store",  # relative to `runstone run`'s folder, not the project's
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().splitlines()[-1]
    run = stored_run(tmp_path / "store", run_id)
    assert run.info.status.name == "FINISHED"
    assert run.info.run_name == "first"
    assert run.data.params == {"alpha": "0.5", "n": "3", "note": "x; touch pwned"}
    tags = run.data.tags
    assert tags["mlflow.source.type"] == "PROJECT"
    assert tags["mlflow.source.name"] == str(project)
    assert tags["mlflow.project.entryPoint"] == "main"
    assert tags["mlflow.project.env"] == "local"
    assert tags["mlflow.runName"] == "first"
    assert tags["mlflow.user"]
    assert run.data.metrics["double_n"].value == 6.0  # the command logged into this very run
    assert [r.info.run_id for r in all_runs(tmp_path / "store")] == [run_id]
    assert not (tmp_path / "pwned").exists()
    assert not (project / "pwned").exists()


def test_failing_command_ends_failed(
    tmp_path: Path, run_cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    project = write_project(tmp_path / "project")
    done = run_cli(str(project), "-e", "fail", "--tracking-uri", str(tmp_path / "store"))
    assert done.returncode == 1
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: Run "), done.stderr
    assert "exit status 3" in error
    (run,) = all_runs(tmp_path / "store")
    assert run.info.status.name == "FAILED"
    assert run.info.end_time is not None


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["-e", "nope"], ["Entry point 'nope'", "declared: 'main', 'fail', 'wait'"]),
        ([], ["needs the parameter 'n'"]),
        (["-P", "n=abc"], ["'n'", "integer", "'abc'"]),
        (["-P", "n=1", "--env-manager", "conda"], ["--env-manager conda"]),
        (["-P", "n=1", "--env-manager", "pip"], ["Unknown environment manager 'pip'"]),
    ],
    ids=["missing-entry-point", "missing-param", "wrong-type", "wrong-manager", "bad-manager"],
)
def test_bad_input_is_one_line_and_runs_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    fragments: list[str],
) -> None:
    project = write_project(tmp_path / "project")
    monkeypatch.setenv("RUNSTONE_PROJECTS_CACHE_DIR", str(tmp_path / "cache"))
    outcome = invoke("run", str(project), *args, "--tracking-uri", str(tmp_path / "store"))
    assert_one_line_error(outcome, *fragments)
    assert all_runs(tmp_path / "store") == []  # no run created, so none left RUNNING
    assert not (project / "executed").exists()


# -- git -------------------------------------------------------------------------------------


@pytest.mark.parametrize("manager", ["local", pytest.param("uv", marks=pytest.mark.slow)])
def test_git_project_subdirectory_at_a_pinned_commit(
    tmp_path: Path, run_cli: Callable[..., subprocess.CompletedProcess[str]], manager: str
) -> None:
    if manager == "uv" and find_uv() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("uv is not installed")
        pytest.skip("uv is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    git("init", "--quiet", "--initial-branch", "trunk", cwd=repo)
    project = write_project(repo / "sub" / "project", version="1")
    if manager == "uv":  # a python_env.yaml project: uv builds its environment
        (project / "python_env.yaml").write_text('python: "3.11"\ndependencies: []\n')
    git("add", ".", cwd=repo)
    git("commit", "--quiet", "-m", "one", cwd=repo)
    pinned = git("rev-parse", "HEAD", cwd=repo)
    (repo / "sub" / "project" / "VERSION").write_text("2")
    git("commit", "--quiet", "-am", "two", cwd=repo)

    uri = f"{repo.as_uri()}#sub/project"
    store = str(tmp_path / "store")
    done = run_cli(
        uri, "-v", pinned, "-P", "n=1", "--env-manager", manager, "--tracking-uri", store
    )
    assert done.returncode == 0, done.stderr
    run = stored_run(tmp_path / "store", done.stdout.strip().splitlines()[-1])
    assert run.info.status.name == "FINISHED"
    assert run.data.metrics["version"].value == 1.0  # the pinned commit ran, not the head
    assert run.data.params == {"alpha": "0.5", "n": "1"}
    tags = run.data.tags
    assert tags["mlflow.project.env"] == manager
    assert tags["mlflow.source.git.commit"] == pinned
    assert tags["mlflow.source.git.repoURL"] == tags["mlflow.gitRepoURL"]
    assert tags["mlflow.source.git.repoURL"].endswith("repo")
    assert tags["mlflow.source.type"] == "PROJECT"
    assert not (repo / "sub" / "project" / "executed").exists()  # ran in a checkout


# -- detached and interrupted runs -----------------------------------------------------------


def test_detach_returns_at_once_and_the_status_follows(
    tmp_path: Path, run_cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    project = write_project(tmp_path / "project")
    store = tmp_path / "store"
    done = run_cli(str(project), "-e", "wait", "--detach", "--tracking-uri", str(store))
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    assert stored_run(store, run_id).info.status.name == "RUNNING"  # the command still waits
    wait_for((project / "started").exists, "the command to start")
    (project / "go").write_text("")
    wait_for(lambda: stored_run(store, run_id).info.status.name == "FINISHED", "FINISHED")
    assert stored_run(store, run_id).data.metrics["waited"].value == 1.0
    assert (tmp_path / "cache" / "logs" / f"{run_id}.log").is_file()


def test_sigterm_to_runstone_run_kills_the_command_and_marks_killed(
    tmp_path: Path, child_env: dict[str, str]
) -> None:
    project = write_project(tmp_path / "project")
    store = tmp_path / "store"
    proc = subprocess.Popen(
        [*RUNSTONE, "run", str(project), "-e", "wait", "--tracking-uri", str(store)],
        cwd=tmp_path,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for((project / "started").exists, "the command to start")
        child_pid = int((project / "started").read_text())
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=DEADLINE_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "KILLED" in stderr.decode()
    (run,) = all_runs(store)
    assert run.info.status.name == "KILLED"
    wait_for(lambda: not _alive(child_pid), "the command to be gone")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has ended: only its parent has not collected it yet
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


# -- the Python API --------------------------------------------------------------------------


def test_python_api_runs_and_cancels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, child_env: dict[str, str]
) -> None:
    for name in ("RUNSTONE_PROJECTS_CACHE_DIR", "RUNSTONE_SPOOL_DIR"):
        monkeypatch.setenv(name, child_env[name])
    project = write_project(tmp_path / "project")
    store = str(tmp_path / "store")
    finished = runstone.projects.run(
        str(project), parameters={"n": 4}, env_manager="local", tracking_uri=store
    )
    assert finished.wait() is True
    assert finished.get_status() == "FINISHED"
    assert stored_run(tmp_path / "store", finished.run_id).data.metrics["double_n"].value == 8

    with pytest.raises(runstone.projects.RunFailed) as failed:
        runstone.projects.run(str(project), entry_point="fail", tracking_uri=store)
    assert stored_run(tmp_path / "store", failed.value.run_id).info.status.name == "FAILED"

    detached = runstone.projects.run(
        str(project), entry_point="wait", synchronous=False, tracking_uri=store
    )
    wait_for((project / "started").exists, "the command to start")
    detached.cancel()
    assert detached.wait() is False
    assert detached.get_status() == "KILLED"


# -- uv --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_uv_environment_is_built_once_and_reused(
    tmp_path: Path, run_cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    if find_uv() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("uv is not installed")
        pytest.skip("uv is not installed")
    project = write_project(tmp_path / "project")
    (project / "python_env.yaml").write_text(
        textwrap.dedent(
            """\
            python: "3.11"
            dependencies:
              - pyyaml
            """
        )
    )
    (project / "train.py").write_text(
        "import sys, yaml, runstone\n"
        "with runstone.start_run():\n"
        "    runstone.set_tag('interpreter', sys.executable)\n"
        "    runstone.log_metric('double_n', 2)\n"
    )
    store = str(tmp_path / "store")
    timings = []
    runs = []
    for _ in range(2):
        started = time.monotonic()
        done = run_cli(str(project), "--env-manager", "uv", "-P", "n=1", "--tracking-uri", store)
        timings.append(time.monotonic() - started)
        assert done.returncode == 0, done.stderr
        runs.append((done.stderr, stored_run(tmp_path / "store", done.stdout.split()[-1])))
    print(f"uv project run: first {timings[0]:.1f} s (built), second {timings[1]:.1f} s (reused)")
    (first_log, first), (second_log, second) = runs
    assert "Building the uv environment" in first_log
    assert "Building" not in second_log
    assert "using the cached uv environment" in second_log
    envs = tmp_path / "cache" / "envs"
    assert len([p for p in envs.iterdir() if p.is_symlink()]) == 1  # one environment, reused
    interpreter = first.data.tags["interpreter"]
    assert interpreter == second.data.tags["interpreter"]
    assert interpreter.startswith(str(envs))
    assert first.data.tags["mlflow.project.env"] == "uv"
    assert second.info.status.name == "FINISHED"


# -- the example -----------------------------------------------------------------------------

EXAMPLE = Path(__file__).parents[2] / "examples" / "sklearn_project"


@pytest.mark.slow
def test_sklearn_example_runs_under_local(
    tmp_path: Path, run_cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    store = tmp_path / "store"
    done = run_cli(
        str(EXAMPLE), "--env-manager", "local", "-P", "alpha=0.3", "--tracking-uri", str(store)
    )
    assert done.returncode == 0, done.stderr
    assert "logged the model at models:/" in done.stdout
    run = stored_run(store, done.stdout.split()[-1])
    assert run.info.status.name == "FINISHED"
    assert run.data.params == {"alpha": "0.3", "l1_ratio": "0.1", "max_iter": "100"}
    assert {"rmse", "mae", "r2"} <= set(run.data.metrics)


@pytest.mark.slow
def test_sklearn_example_runs_under_uv(
    tmp_path: Path, run_cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    if find_uv() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("uv is not installed")
        pytest.skip("uv is not installed")
    store = tmp_path / "store"
    args = ("--env-manager", "uv", "-P", "max_iter=50", "--tracking-uri", str(store))
    # The first build on a machine downloads scikit-learn into uv's cache; later ones reuse it.
    done = run_cli(str(EXAMPLE), *args, timeout=900)
    assert done.returncode == 0, done.stderr
    run = stored_run(store, done.stdout.split()[-1])
    assert run.info.status.name == "FINISHED"
    assert run.data.tags["mlflow.project.env"] == "uv"
    assert {"rmse", "mae", "r2"} <= set(run.data.metrics)
