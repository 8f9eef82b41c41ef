"""What people do with the mlflow client, unchanged, against `runstone server`."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param, RunTag, ViewType  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402


def test_fluent_run_with_params_metrics_and_tags(tracking_uri: str) -> None:
    experiment = mlflow.set_experiment("compat")
    with mlflow.start_run(run_name="first") as run:
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"depth": 3, "optimizer": "adam"})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8}, step=4)
        mlflow.set_tag("team", "vision")
        mlflow.set_tags({"stage": "dev", "seed": "42"})
    fetched = MlflowClient().get_run(run.info.run_id)
    assert fetched.info.experiment_id == experiment.experiment_id
    assert fetched.info.run_name == "first"
    assert fetched.info.status == "FINISHED"
    assert fetched.info.end_time is not None
    assert fetched.data.params == {"lr": "0.01", "depth": "3", "optimizer": "adam"}
    assert fetched.data.metrics == {"loss": 0.2, "acc": 0.9, "f1": 0.8}
    assert fetched.data.tags["team"] == "vision"
    assert fetched.data.tags["seed"] == "42"
    assert fetched.data.tags["mlflow.runName"] == "first"
    history = MlflowClient().get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4]
    assert history[-1].value == pytest.approx(0.2)


def test_set_experiment_creates_then_reuses(tracking_uri: str) -> None:
    first = mlflow.set_experiment("reused")
    second = mlflow.set_experiment("reused")
    assert first.experiment_id == second.experiment_id
    assert mlflow.get_experiment_by_name("reused").name == "reused"


def test_nested_runs_record_their_parent(tracking_uri: str) -> None:
    mlflow.set_experiment("nested")
    with mlflow.start_run() as parent, mlflow.start_run(nested=True) as child:
        mlflow.log_metric("x", 1)
    child_run = MlflowClient().get_run(child.info.run_id)
    assert child_run.data.tags["mlflow.parentRunId"] == parent.info.run_id
    children = mlflow.search_runs(
        experiment_names=["nested"],
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
        output_format="list",
    )
    assert [r.info.run_id for r in children] == [child.info.run_id]


def test_client_log_batch_and_tag_deletion(tracking_uri: str) -> None:
    client = MlflowClient()
    exp_id = client.create_experiment("batch")
    run = client.create_run(exp_id)
    metrics = [Metric("m", float(i), 1700000000000 + i, i) for i in range(1000)]
    client.log_batch(
        run.info.run_id,
        metrics=metrics,
        params=[Param("p", "1")],
        tags=[RunTag("t", "x"), RunTag("gone", "y")],
    )
    client.delete_tag(run.info.run_id, "gone")
    fetched = client.get_run(run.info.run_id)
    assert fetched.data.metrics == {"m": 999.0}
    assert "gone" not in fetched.data.tags
    assert len(client.get_metric_history(run.info.run_id, "m")) == 1000
    with pytest.raises(MlflowException) as info:
        client.delete_tag(run.info.run_id, "never-set")
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_nan_and_infinity_survive_the_round_trip(tracking_uri: str) -> None:
    client = MlflowClient()
    run = client.create_run(client.create_experiment("nan"))
    client.log_metric(run.info.run_id, "n", float("nan"), step=0)
    client.log_metric(run.info.run_id, "i", float("inf"), step=0)
    values = client.get_run(run.info.run_id).data.metrics
    assert math.isnan(values["n"])
    assert values["i"] == math.inf


def test_search_runs_filters_orders_pages_and_returns_data_frames(tracking_uri: str) -> None:
    client = MlflowClient()
    exp_id = client.create_experiment("search")
    for i in range(12):
        run = client.create_run(
            exp_id, run_name=f"r{i:02d}", tags={"kind": "even" if i % 2 == 0 else "odd"}
        )
        client.log_param(run.info.run_id, "i", str(i))
        client.log_metric(run.info.run_id, "score", float(i))
    found = client.search_runs(
        [exp_id], "metrics.score >= 4 and tags.kind = 'even'", order_by=["metrics.score DESC"]
    )
    assert [r.info.run_name for r in found] == ["r10", "r08", "r06", "r04"]
    page = client.search_runs([exp_id], max_results=5, order_by=["params.i ASC"])
    assert len(page) == 5
    assert page.token
    rest = client.search_runs([exp_id], max_results=50, page_token=page.token)
    assert len(rest) == 7
    frame = mlflow.search_runs([exp_id], filter_string="params.i = '3'")
    assert list(frame["params.i"]) == ["3"]
    assert list(frame["metrics.score"]) == [3.0]
    everything = mlflow.search_runs([exp_id], max_results=100)
    assert len(everything) == 12


def test_search_experiments_filters_and_view_types(tracking_uri: str) -> None:
    client = MlflowClient()
    keep = client.create_experiment("alpha-keep", tags={"owner": "ada"})
    drop = client.create_experiment("alpha-drop")
    client.delete_experiment(drop)
    names = [e.name for e in client.search_experiments(filter_string="name LIKE 'alpha%'")]
    assert names == ["alpha-keep"]
    deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY)
    assert [e.experiment_id for e in deleted] == [drop]
    tagged = client.search_experiments(filter_string="tags.owner = 'ada'")
    assert [e.experiment_id for e in tagged] == [keep]
    client.restore_experiment(drop)
    assert client.get_experiment(drop).lifecycle_stage == "active"


def test_delete_and_restore_runs(tracking_uri: str) -> None:
    client = MlflowClient()
    exp_id = client.create_experiment("lifecycle")
    run = client.create_run(exp_id)
    client.delete_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    assert client.search_runs([exp_id]) == []
    assert len(client.search_runs([exp_id], run_view_type=ViewType.ALL)) == 1
    client.restore_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"


def test_errors_come_back_as_mlflow_exceptions(tracking_uri: str) -> None:
    client = MlflowClient()
    with pytest.raises(MlflowException) as missing:
        client.get_run("0" * 32)
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    client.create_experiment("dup")
    with pytest.raises(MlflowException) as taken:
        client.create_experiment("dup")
    assert taken.value.error_code == "RESOURCE_ALREADY_EXISTS"
    run = client.create_run("0")
    client.log_param(run.info.run_id, "p", "1")
    with pytest.raises(MlflowException) as changed:
        client.log_param(run.info.run_id, "p", "2")
    assert changed.value.error_code == "INVALID_PARAMETER_VALUE"


def test_artifacts_go_through_the_proxy(tracking_uri: str, tmp_path: Path) -> None:
    mlflow.set_experiment("artifacts")
    folder = tmp_path / "outputs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha")
    (folder / "sub" / "b.json").write_text('{"b": 1}')
    single = tmp_path / "model.bin"
    single.write_bytes(b"\x00\x01" * 1000)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(single))
        mlflow.log_artifacts(str(folder), artifact_path="outputs")
        mlflow.log_text("hello", "notes/hello.txt")
        mlflow.log_dict({"k": [1, 2]}, "config.json")
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")
    client = MlflowClient()
    top = {f.path: f.is_dir for f in client.list_artifacts(run.info.run_id)}
    assert top == {"config.json": False, "model.bin": False, "notes": True, "outputs": True}
    nested = [f.path for f in client.list_artifacts(run.info.run_id, "outputs/sub")]
    assert nested == ["outputs/sub/b.json"]
    local = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="outputs", dst_path=str(tmp_path / "dl")
    )
    assert (Path(local) / "a.txt").read_text() == "alpha"
    assert (Path(local) / "sub" / "b.json").read_text() == '{"b": 1}'
    assert mlflow.artifacts.load_text(f"{run.info.artifact_uri}/notes/hello.txt") == "hello"
    assert mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/config.json") == {"k": [1, 2]}
    downloaded = client.download_artifacts(run.info.run_id, "model.bin", str(tmp_path))
    assert Path(downloaded).read_bytes() == single.read_bytes()


def test_log_input_records_the_dataset(tracking_uri: str) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"x": [1, 2, 3], "y": [0, 1, 0]})
    dataset = mlflow.data.from_pandas(frame, source="s3://bucket/train.csv", name="train")
    mlflow.set_experiment("inputs")
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training")
    inputs = MlflowClient().get_run(run.info.run_id).inputs.dataset_inputs
    assert len(inputs) == 1
    assert inputs[0].dataset.name == "train"
    assert inputs[0].dataset.digest == dataset.digest
    assert {t.key: t.value for t in inputs[0].tags} == {"mlflow.data.context": "training"}


def test_end_run_with_a_failed_status(tracking_uri: str) -> None:
    mlflow.set_experiment("status")
    run = mlflow.start_run()
    mlflow.end_run(status="FAILED")
    assert MlflowClient().get_run(run.info.run_id).info.status == "FAILED"
