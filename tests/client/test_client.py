"""RunstoneClient: every verb, on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import pytest

from runstone.client.client import RunstoneClient
from runstone.client.logger import BackgroundLoggingError
from runstone.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LifecycleStage,
    Metric,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from runstone.errors import InvalidParameterValue, NotFound

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def test_experiment_verbs(client: RunstoneClient) -> None:
    exp_id = client.create_experiment("exp", tags={"team": "a"})
    assert client.get_experiment(exp_id).tags == {"team": "a"}
    found = client.get_experiment_by_name("exp")
    assert found is not None
    assert found.experiment_id == exp_id
    client.rename_experiment(exp_id, "renamed")
    client.set_experiment_tag(exp_id, "n", 3)
    client.delete_experiment_tag(exp_id, "team")
    assert client.get_experiment(exp_id).tags == {"n": "3"}
    client.delete_experiment(exp_id)
    deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY)
    assert [e.name for e in deleted] == ["renamed"]
    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage is LifecycleStage.ACTIVE
    names = [e.name for e in client.search_experiments(filter_string="name = 'renamed'")]
    assert names == ["renamed"]


def test_background_logging_is_stored_by_flush(client: RunstoneClient) -> None:
    exp_id = client.create_experiment("bg")
    run_id = client.create_run(exp_id, run_name="r").info.run_id
    for step in range(2500):
        client.log_metric(run_id, "loss", 1 / (step + 1), step=step)
    client.log_param(run_id, "lr", 0.1)
    client.set_tag(run_id, "phase", "train")
    client.log_batch(run_id, metrics=[Metric("acc", 0.5, 1, 7)], params=[Param("bs", "32")])
    client.flush()
    run = client.get_run(run_id)
    assert run.data.params == {"lr": "0.1", "bs": "32"}
    assert run.data.tags["phase"] == "train"
    assert run.data.metrics["loss"].step == 2499
    assert run.data.metrics["acc"] == Metric("acc", 0.5, 1, 7)
    history = client.get_metric_history(run_id, "loss")
    assert [m.step for m in history] == list(range(2500))


def test_synchronous_calls_store_before_returning(client: RunstoneClient) -> None:
    run_id = client.create_run(client.create_experiment("sync")).info.run_id
    client.log_metric(run_id, "m", 1.5, step=2, synchronous=True)
    client.log_param(run_id, "p", "x", synchronous=True)
    client.set_tag(run_id, "t", "y", synchronous=True)
    stored = client.store.get_run(run_id)  # bypasses the client's flush
    assert stored.data.metrics["m"].value == 1.5
    assert stored.data.params == {"p": "x"}
    assert stored.data.tags["t"] == "y"


def test_background_failure_is_raised_at_the_next_flush(client: RunstoneClient) -> None:
    run_id = client.create_run(client.create_experiment("fail")).info.run_id
    client.log_param(run_id, "p", "1", synchronous=True)
    client.log_param(run_id, "p", "2")  # changing a param: the store refuses it
    with pytest.raises(BackgroundLoggingError, match="Changing param values") as err:
        client.flush()
    assert err.value.code == "INVALID_PARAMETER_VALUE"
    assert run_id in err.value.message
    client.flush()  # reported once
    assert client.get_run(run_id).data.params == {"p": "1"}


def test_synchronous_failures_raise_at_once(client: RunstoneClient) -> None:
    run_id = client.create_run(client.create_experiment("now")).info.run_id
    with pytest.raises(InvalidParameterValue, match="expected a number"):
        client.log_metric(run_id, "m", "high")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterValue, match="params"):
        client.log_param(run_id, "bad|key", 1, synchronous=True)
    with pytest.raises(NotFound):
        client.get_run("f" * 32)


def test_run_verbs(client: RunstoneClient) -> None:
    exp_id = client.create_experiment("runs")
    run = client.create_run(exp_id, start_time=5, tags={"a": 1}, run_name="first")
    run_id = run.info.run_id
    assert run.data.tags == {"a": "1", "mlflow.runName": "first"}
    client.update_run(run_id, name="second")
    client.log_metric(run_id, "m", math.nan, step=1)
    ended = client.set_terminated(run_id, "failed")
    assert ended.status is RunStatus.FAILED
    assert ended.end_time is not None
    assert ended.run_name == "second"
    assert math.isnan(client.get_run(run_id).data.metrics["m"].value)
    client.set_tag(run_id, "gone", "x")
    client.delete_tag(run_id, "gone")
    assert "gone" not in client.get_run(run_id).data.tags
    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED
    client.restore_run(run_id)
    assert [r.info.run_id for r in client.search_runs(exp_id, "attributes.status = 'FAILED'")] == [
        run_id
    ]
    with pytest.raises(InvalidParameterValue, match="Invalid run status"):
        client.set_terminated(run_id, "DONE")


def test_log_inputs_and_batches_of_tags(client: RunstoneClient) -> None:
    run_id = client.create_run(client.create_experiment("inputs")).info.run_id
    dataset = Dataset("mnist", "abc", "local", "/data/mnist")
    client.log_inputs(run_id, [DatasetInput(dataset, (InputTag("mlflow.data.context", "train"),))])
    client.log_batch(run_id, tags=[RunTag("a", "1"), RunTag("a", "2")])
    client.flush()
    run = client.get_run(run_id)
    assert run.inputs.dataset_inputs[0].dataset == dataset
    assert run.data.tags["a"] == "2"  # the later value wins


def test_paging_through_runs(client: RunstoneClient) -> None:
    exp_id = client.create_experiment("paging")
    created = {client.create_run(exp_id, start_time=i).info.run_id for i in range(7)}
    seen: list[str] = []
    token = None
    while True:
        page = client.search_runs([exp_id], max_results=3, page_token=token)
        seen += [r.info.run_id for r in page]
        token = page.next_page_token
        if token is None:
            break
    assert set(seen) == created
    assert len(seen) == 7
