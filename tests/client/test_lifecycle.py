"""A training process ending in every way: its runs get the status that tells the truth."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runstone.client.client import RunstoneClient
from runstone.entities import RunStatus

PRELUDE = """
import sys, time
import runstone
runstone.set_tracking_uri(sys.argv[1])
run = runstone.start_run()
print(run.info.run_id, flush=True)
"""


Launch = Callable[[str], tuple[subprocess.Popen[str], str, str]]


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launch]:
    """Start a training script (PRELUDE + body); returns the process, the URI and its run id."""
    procs: list[subprocess.Popen[str]] = []

    def start(body: str) -> tuple[subprocess.Popen[str], str, str]:
        uri = f"sqlite:///{tmp_path / 'runs.db'}"
        script = tmp_path / "train.py"
        script.write_text(PRELUDE + textwrap.dedent(body))
        proc = subprocess.Popen(
            [sys.executable, str(script), uri],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        assert proc.stdout is not None
        run_id = proc.stdout.readline().strip()
        assert run_id, proc.communicate()[1]
        return proc, uri, run_id

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()  # reaps it and closes the pipes


def _status(uri: str, run_id: str) -> RunStatus:
    with RunstoneClient(uri) as client:
        return client.get_run(run_id).info.status


def test_normal_exit_without_end_run_finishes_the_run(launch: Launch) -> None:
    proc, uri, run_id = launch("runstone.log_metric('m', 1.0)\n")
    assert proc.wait(timeout=60) == 0
    assert _status(uri, run_id) is RunStatus.FINISHED
    with RunstoneClient(uri) as client:
        assert client.get_run(run_id).data.metrics["m"].value == 1.0


def test_uncaught_exception_fails_the_run(launch: Launch) -> None:
    proc, uri, run_id = launch("raise RuntimeError('diverged')\n")
    assert proc.wait(timeout=60) == 1
    assert _status(uri, run_id) is RunStatus.FAILED


def test_sigterm_kills_the_run(launch: Launch) -> None:
    body = """
    print("ready", flush=True)
    while True:
        runstone.log_metric("m", 1.0)
        time.sleep(0.01)
    """
    proc, uri, run_id = launch(body)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == -signal.SIGTERM
    assert _status(uri, run_id) is RunStatus.KILLED


@pytest.mark.slow
def test_sigkill_after_flush_loses_nothing_that_was_flushed(launch: Launch) -> None:
    body = """
    for step in range(5000):
        runstone.log_metric("loss", float(step), step=step)
    runstone.flush()
    print("flushed", flush=True)
    step = 5000
    while True:
        runstone.log_metric("loss", float(step), step=step)
        step += 1
    """
    proc, uri, run_id = launch(body)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "flushed"
    proc.kill()
    proc.wait(timeout=60)
    with RunstoneClient(uri) as client:
        steps = [m.step for m in client.get_metric_history(run_id, "loss")]
    assert steps[:5000] == list(range(5000))
    assert steps == list(range(len(steps)))  # whatever else arrived is complete and in order
    assert _status(uri, run_id) is RunStatus.RUNNING  # a killed process cannot say more
