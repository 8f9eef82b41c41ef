"""The fluent API, as a training script uses it, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

import runstone
from runstone.client import fluent
from runstone.entities import Dataset, RunStatus
from runstone.errors import InvalidParameterValue

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def test_a_run_logs_and_finishes(tracking: str) -> None:
    runstone.set_experiment("fluent")
    with runstone.start_run(run_name="train", tags={"team": "x"}, description="notes") as run:
        runstone.log_param("lr", 0.01)
        runstone.log_params({"bs": 32, "opt": "adam"})
        for step in range(1500):
            runstone.log_metric("loss", 1 / (step + 1), step=step)
        runstone.log_metrics({"acc": 0.9, "f1": 0.8}, step=10)
        runstone.set_tag("phase", "fit")
        runstone.set_tags({"a": 1})
        runstone.log_input(Dataset("d", "1", "local", "/data"), context="train")
    stored = runstone.get_run(run.info.run_id)
    assert stored.info.status is RunStatus.FINISHED
    assert stored.info.end_time is not None
    assert stored.data.params == {"lr": "0.01", "bs": "32", "opt": "adam"}
    assert stored.data.metrics["loss"].step == 1499
    assert stored.data.metrics["f1"].step == 10
    tags = stored.data.tags
    assert tags["team"] == "x"
    assert tags["phase"] == "fit"
    assert tags["mlflow.note.content"] == "notes"
    assert tags["mlflow.runName"] == "train"
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.user"]
    assert stored.info.user_id == tags["mlflow.user"]
    assert stored.inputs.dataset_inputs[0].tags[0].value == "train"
    assert runstone.active_run() is None
    last = runstone.last_active_run()
    assert last is not None
    assert last.info.run_id == run.info.run_id


def test_exceptions_fail_the_run_and_interrupts_kill_it(tracking: str) -> None:
    with pytest.raises(ZeroDivisionError), runstone.start_run() as failed:
        _ = 1 / 0
    with pytest.raises(KeyboardInterrupt), runstone.start_run() as killed:
        raise KeyboardInterrupt
    assert runstone.get_run(failed.info.run_id).info.status is RunStatus.FAILED
    assert runstone.get_run(killed.info.run_id).info.status is RunStatus.KILLED


def test_nested_runs_record_their_parent(tracking: str) -> None:
    with runstone.start_run() as parent:
        with pytest.raises(InvalidParameterValue, match="already active"):
            runstone.start_run()
        with runstone.start_run(nested=True) as child:
            runstone.log_metric("inner", 1.0)
            assert runstone.active_run() is child
        assert runstone.active_run() is parent
    child_run = runstone.get_run(child.info.run_id)
    assert child_run.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert child_run.data.metrics["inner"].value == 1.0


def test_resuming_a_run_continues_it(tracking: str) -> None:
    with runstone.start_run() as first:
        runstone.log_metric("m", 1.0, step=0)
    with runstone.start_run(run_id=first.info.run_id) as again:
        assert runstone.get_run(again.info.run_id).info.status is RunStatus.RUNNING
        runstone.log_metric("m", 2.0, step=1)
    resumed = runstone.get_run(first.info.run_id)
    assert resumed.info.status is RunStatus.FINISHED
    assert resumed.data.metrics["m"].value == 2.0


def test_environment_chooses_experiment_and_run(
    tracking: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with runstone.start_run() as launched:
        pass
    fluent.reset()
    monkeypatch.setenv("RUNSTONE_TRACKING_URI", tracking)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "from-env")
    with runstone.start_run() as run:
        pass
    experiment = runstone.get_experiment(run.info.experiment_id)
    assert experiment.name == "from-env"
    fluent.reset()
    monkeypatch.setenv("RUNSTONE_RUN_ID", launched.info.run_id)
    with runstone.start_run() as joined:
        runstone.log_param("joined", "yes")
    assert joined.info.run_id == launched.info.run_id
    assert runstone.get_run(launched.info.run_id).data.params == {"joined": "yes"}


def test_logging_without_a_run_starts_one(tracking: str) -> None:
    runstone.log_metric("auto", 3.0)
    current = runstone.active_run()
    assert current is not None
    runstone.end_run()
    assert runstone.get_run(current.info.run_id).data.metrics["auto"].value == 3.0
    assert current.info.experiment_id == "0"


def test_threads_log_to_their_own_runs(tracking: str) -> None:
    run_ids: dict[int, str] = {}

    def work(n: int) -> None:
        with runstone.start_run(run_name=f"t{n}") as run:
            run_ids[n] = run.info.run_id
            for step in range(200):
                runstone.log_metric("x", float(n), step=step)

    with runstone.start_run() as main_run:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert runstone.active_run() is main_run
    assert len(set(run_ids.values())) == 4
    for n, run_id in run_ids.items():
        run = runstone.get_run(run_id)
        assert run.data.metrics["x"].value == float(n)
        assert "mlflow.parentRunId" not in run.data.tags
        with runstone.RunstoneClient(tracking) as client:
            assert len(client.get_metric_history(run_id, "x")) == 200


def test_search_runs_returns_a_dataframe_or_a_list(tracking: str) -> None:
    runstone.set_experiment("search")
    for i in range(3):
        with runstone.start_run(run_name=f"r{i}"):
            runstone.log_metric("score", float(i))
            runstone.log_param("i", i)
    frame = runstone.search_runs(
        filter_string="metrics.score >= 1", order_by=["metrics.score DESC"]
    )
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["params.i"]) == ["2", "1"]
    assert list(frame.columns[:6]) == [
        "run_id",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
    ]
    assert {"metrics.score", "tags.mlflow.runName"} <= set(frame.columns)
    listed = runstone.search_runs(output_format="list")
    assert sorted(r.info.run_name for r in listed) == ["r0", "r1", "r2"]
    by_name = runstone.search_runs(experiment_names=["search"], output_format="list")
    assert len(by_name) == 3


def test_set_experiment_refuses_a_deleted_one(tracking: str) -> None:
    experiment = runstone.set_experiment("short-lived")
    assert runstone.set_experiment("short-lived").experiment_id == experiment.experiment_id
    with runstone.RunstoneClient(tracking) as client:
        client.delete_experiment(experiment.experiment_id)
    with pytest.raises(InvalidParameterValue, match="deleted"):
        runstone.set_experiment("short-lived")


def test_system_metrics_are_logged_while_the_run_is_active(
    tracking: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fluent.reset()
    monkeypatch.setenv("RUNSTONE_TRACKING_URI", tracking)
    monkeypatch.setenv("RUNSTONE_SYSTEM_METRICS_SAMPLING_INTERVAL", "0.05")
    deadline = time.monotonic() + 20
    with runstone.start_run(log_system_metrics=True) as run:
        while time.monotonic() < deadline:
            runstone.flush()
            if (
                "system/cpu_utilization_percentage"
                in runstone.get_run(run.info.run_id).data.metrics
            ):
                break
            time.sleep(0.05)
    metrics = runstone.get_run(run.info.run_id).data.metrics
    assert 0 <= metrics["system/cpu_utilization_percentage"].value <= 100
    assert metrics["system/system_memory_usage_megabytes"].value > 0
    assert "system/disk_usage_percentage" in metrics
