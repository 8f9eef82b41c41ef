"""``runstone runs``: every command against a real SQLite store, tables and JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from runstone import RunstoneClient
from runstone.cli import output
from runstone.client import paging
from runstone.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag
from tests.cli_helpers import Outcome, assert_one_line_error, invoke, local

STARTED = 1_700_000_000_000
ENDED = STARTED + 65_000
MISSING_RUN = "0123456789abcdef0123456789abcdef"


class Setup(NamedTuple):
    uri: str
    client: RunstoneClient
    experiment_id: str
    finished: str  # a finished run with params, metrics, tags and an input
    running: str  # a bare running run


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    uri = f"sqlite:///{tmp_path / 'cli.db'}"
    client = RunstoneClient(uri)
    exp_id = client.create_experiment("runs")
    done = client.create_run(exp_id, start_time=STARTED, run_name="train", tags={"team": "cv"})
    run_id = done.info.run_id
    client.log_batch(
        run_id,
        metrics=[
            Metric("loss", 0.5, STARTED + 1, 1),
            Metric("loss", 0.25, STARTED + 2, 2),
            Metric("odd", float("nan"), STARTED + 3, 0),
        ],
        params=[Param("lr", "0.01"), Param("prompt", "p" * 300)],
        tags=[RunTag("note", "[red]not markup[/red]")],
        synchronous=True,
    )
    data = Dataset("mnist", "d1g3st", "local", "/data/mnist")
    client.log_inputs(run_id, [DatasetInput(data, (InputTag("mlflow.data.context", "train"),))])
    client.set_terminated(run_id, end_time=ENDED)
    other = client.create_run(exp_id, start_time=STARTED + 1000, run_name="eval")
    yield Setup(uri, client, exp_id, run_id, other.info.run_id)
    client.close()


def runs(s: Setup, *args: str) -> Outcome:
    return invoke("runs", *args, "--tracking-uri", s.uri)


def runs_json(s: Setup, *args: str) -> Any:
    outcome = runs(s, *args, "--json")
    assert outcome.exit_code == 0, outcome
    return json.loads(outcome.stdout)


# -- list / search ---------------------------------------------------------------------------


def test_list_table(setup: Setup) -> None:
    outcome = runs(setup, "list", "--experiment-id", setup.experiment_id)
    assert outcome.exit_code == 0, outcome
    lines = outcome.stdout.splitlines()
    assert lines[0].split() == [
        "Run",
        "ID",
        "Name",
        "Status",
        "Start",
        "time",
        "End",
        "time",
        "Stage",
    ]
    running = [setup.running, "eval", "RUNNING", *local(STARTED + 1000).split(), "active"]
    finished = [setup.finished, "train", "FINISHED", *local(STARTED).split()]
    assert lines[2].split() == running
    assert lines[3].split() == [*finished, *local(ENDED).split(), "active"]


def test_list_json_is_mlflow_runs(setup: Setup) -> None:
    found = runs_json(setup, "list", "--experiment-id", setup.experiment_id)
    assert [r["info"]["run_id"] for r in found] == [setup.running, setup.finished]
    running, finished = found
    assert set(running) == {"info", "data", "inputs"}
    assert "end_time" not in running["info"]
    assert finished["info"]["status"] == "FINISHED"
    assert finished["info"]["end_time"] == ENDED
    assert finished["data"]["params"][0] == {"key": "lr", "value": "0.01"}


def test_search_is_an_alias_of_list(setup: Setup) -> None:
    args = ("--experiment-id", setup.experiment_id)
    assert runs(setup, "search", *args).stdout == runs(setup, "list", *args).stdout


def test_list_filter_order_by_and_max_results(setup: Setup) -> None:
    args = ("list", "--experiment-id", setup.experiment_id)
    filtered = runs_json(setup, *args, "--filter", "params.lr = '0.01'")
    assert [r["info"]["run_id"] for r in filtered] == [setup.finished]
    oldest = runs_json(setup, *args, "--order-by", "start_time ASC", "--max-results", "1")
    assert [r["info"]["run_id"] for r in oldest] == [setup.finished]


def test_list_pages_through_everything(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", 1)
    found = runs_json(setup, "list", "--experiment-id", setup.experiment_id)
    assert {r["info"]["run_id"] for r in found} == {setup.running, setup.finished}


def test_list_views(setup: Setup) -> None:
    setup.client.delete_run(setup.running)
    args = ("list", "--experiment-id", setup.experiment_id)
    deleted = runs_json(setup, *args, "-v", "deleted_only")
    assert [(r["info"]["run_id"], r["info"]["lifecycle_stage"]) for r in deleted] == [
        (setup.running, "deleted")
    ]
    assert len(runs_json(setup, *args, "--view", "all")) == 2
    assert len(runs_json(setup, *args)) == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--experiment-id", "999"), "No Experiment with id=999 exists."),
        (("--experiment-id", "x"), "'x'"),
        (("--experiment-id", "1", "--filter", "params.lr ="), "Invalid filter"),
        (("--experiment-id", "1", "-v", "gone"), "Invalid view 'gone'"),
    ],
)
def test_list_bad_input_is_one_line(setup: Setup, args: tuple[str, ...], fragment: str) -> None:
    assert_one_line_error(runs(setup, "list", *args), fragment)


# -- describe --------------------------------------------------------------------------------


def test_describe_table_shows_everything(setup: Setup) -> None:
    outcome = runs(setup, "describe", "--run-id", setup.finished)
    assert outcome.exit_code == 0, outcome
    text = outcome.stdout
    for expected in (
        setup.finished,
        "FINISHED",
        local(STARTED),
        local(ENDED),
        "Params:",
        "0.01",
        "p" * (output.MAX_CELL - 1) + "…",
        "Metrics (latest values):",
        "0.25",
        "nan",
        "Tags:",
        "[red]not markup[/red]",
        "Inputs:",
        "mnist",
        "d1g3st",
        "mlflow.data.context=train",
    ):
        assert expected in text, expected
    assert "p" * 300 not in text
    assert "0.5 " not in text  # only the latest value of a metric


def test_describe_of_a_bare_run_says_none(setup: Setup) -> None:
    text = runs(setup, "describe", "--run-id", setup.running).stdout
    for section in ("Params: none", "Metrics (latest values): none", "Inputs: none"):
        assert section in text


def test_describe_json(setup: Setup) -> None:
    run = runs_json(setup, "describe", "--run-id", setup.finished)
    info = run["info"]
    assert info == {
        "run_id": setup.finished,
        "run_name": "train",
        "experiment_id": setup.experiment_id,
        "user_id": "",
        "status": "FINISHED",
        "start_time": STARTED,
        "end_time": ENDED,
        "artifact_uri": info["artifact_uri"],
        "lifecycle_stage": "active",
    }
    assert run["data"]["metrics"] == [
        {"key": "loss", "value": 0.25, "timestamp": STARTED + 2, "step": 2},
        {"key": "odd", "value": "NaN", "timestamp": STARTED + 3, "step": 0},
    ]
    assert run["data"]["params"] == [
        {"key": "lr", "value": "0.01"},
        {"key": "prompt", "value": "p" * 300},
    ]
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["team"] == "cv"
    assert tags["note"] == "[red]not markup[/red]"
    assert run["inputs"] == {
        "dataset_inputs": [
            {
                "tags": [{"key": "mlflow.data.context", "value": "train"}],
                "dataset": {
                    "name": "mnist",
                    "digest": "d1g3st",
                    "source_type": "local",
                    "source": "/data/mnist",
                },
            }
        ]
    }


@pytest.mark.parametrize("run_id", [MISSING_RUN, "nope"])
def test_describe_unknown_is_one_line(setup: Setup, run_id: str) -> None:
    assert_one_line_error(runs(setup, "describe", "--run-id", run_id), run_id)


def test_describe_unknown_from_a_subprocess_has_no_traceback(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'sub.db'}"
    args = ("runs", "describe", "--run-id", MISSING_RUN, "--tracking-uri", uri)
    proc = subprocess.run(
        [sys.executable, "-m", "runstone", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("Error: ")
    assert proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr


# -- delete / restore ------------------------------------------------------------------------


def test_delete_then_restore(setup: Setup) -> None:
    deleted = runs(setup, "delete", "--run-id", setup.finished)
    assert (deleted.exit_code, deleted.stdout) == (0, f"Run {setup.finished} deleted.\n")
    assert setup.client.get_run(setup.finished).info.lifecycle_stage == "deleted"
    restored = runs(setup, "restore", "--run-id", setup.finished)
    assert (restored.exit_code, restored.stdout) == (0, f"Run {setup.finished} restored.\n")
    assert setup.client.get_run(setup.finished).info.lifecycle_stage == "active"
    assert runs_json(setup, "delete", "--run-id", setup.running) == {}
    assert runs_json(setup, "restore", "--run-id", setup.running) == {}


@pytest.mark.parametrize("command", ["delete", "restore"])
def test_delete_and_restore_unknown_are_one_line(setup: Setup, command: str) -> None:
    assert_one_line_error(runs(setup, command, "--run-id", MISSING_RUN), MISSING_RUN)
