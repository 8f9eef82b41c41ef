from __future__ import annotations

import pytest

from runstone.entities import LifecycleStage, Metric, Param, RunStatus, RunTag
from runstone.errors import InvalidParameterValue, NotFound
from runstone.store.sql import SqlStore


def test_created_run_has_mlflow_shape(store: SqlStore, experiment_id: str) -> None:
    run = store.create_run(
        experiment_id, user_id="ada", start_time=1234, tags={"t": "1"}, run_name="first"
    )
    info = run.info
    assert len(info.run_id) == 32
    assert all(ch in "0123456789abcdef" for ch in info.run_id)
    assert info.experiment_id == experiment_id
    assert info.run_name == "first"
    assert info.user_id == "ada"
    assert info.status is RunStatus.RUNNING
    assert info.start_time == 1234
    assert info.end_time is None
    assert info.lifecycle_stage is LifecycleStage.ACTIVE
    assert info.artifact_uri.endswith(f"/{experiment_id}/{info.run_id}/artifacts")
    assert run.data.tags == {"t": "1", "mlflow.runName": "first"}
    assert store.get_run(info.run_id) == run


def test_run_without_a_name_gets_a_generated_one(store: SqlStore, experiment_id: str) -> None:
    run = store.create_run(experiment_id)
    adjective, noun, number = run.info.run_name.split("-")
    assert adjective
    assert noun
    assert 0 <= int(number) < 1000
    assert run.data.tags["mlflow.runName"] == run.info.run_name


def test_run_name_from_tag_is_used(store: SqlStore, experiment_id: str) -> None:
    run = store.create_run(experiment_id, tags=[RunTag("mlflow.runName", "tagged")])
    assert run.info.run_name == "tagged"


def test_conflicting_run_name_and_tag_are_rejected(store: SqlStore, experiment_id: str) -> None:
    with pytest.raises(InvalidParameterValue, match="runName"):
        store.create_run(experiment_id, run_name="a", tags={"mlflow.runName": "b"})


def test_run_in_unknown_experiment_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        store.create_run("12345")


def test_unknown_run_is_not_found_and_bad_id_is_invalid(store: SqlStore) -> None:
    with pytest.raises(NotFound, match="Run with id=0123456789abcdef0123456789abcdef not found"):
        store.get_run("0123456789abcdef0123456789abcdef")
    with pytest.raises(InvalidParameterValue, match="run_id"):
        store.get_run("../etc/passwd")


def test_update_run_info_changes_only_given_fields(store: SqlStore, run_id: str) -> None:
    info = store.update_run_info(run_id, status=RunStatus.FINISHED, end_time=5000)
    assert info.status is RunStatus.FINISHED
    assert info.end_time == 5000
    assert info.run_name == store.get_run(run_id).info.run_name
    renamed = store.update_run_info(run_id, run_name="renamed")
    assert renamed.run_name == "renamed"
    assert renamed.status is RunStatus.FINISHED
    assert store.get_run(run_id).data.tags["mlflow.runName"] == "renamed"


def test_setting_the_run_name_tag_renames_the_run(store: SqlStore, run_id: str) -> None:
    store.set_tag(run_id, "mlflow.runName", "via-tag")
    assert store.get_run(run_id).info.run_name == "via-tag"


def test_deleted_run_refuses_writes_until_restored(store: SqlStore, run_id: str) -> None:
    store.delete_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED
    with pytest.raises(InvalidParameterValue, match="must be in the 'active' state"):
        store.log_param(run_id, "p", "1")
    with pytest.raises(InvalidParameterValue, match="active"):
        store.set_tag(run_id, "t", "1")
    store.restore_run(run_id)
    store.log_param(run_id, "p", "1")
    assert store.get_run(run_id).data.params == {"p": "1"}


def test_tags_upsert_and_delete(store: SqlStore, run_id: str) -> None:
    store.set_tag(run_id, "k", "1")
    store.set_tag(run_id, "k", "2")
    assert store.get_run(run_id).data.tags["k"] == "2"
    store.delete_tag(run_id, "k")
    assert "k" not in store.get_run(run_id).data.tags
    with pytest.raises(NotFound, match="No tag with name: k"):
        store.delete_tag(run_id, "k")


def test_params_are_write_once(store: SqlStore, run_id: str) -> None:
    store.log_param(run_id, "lr", "0.1")
    store.log_param(run_id, "lr", "0.1")  # same value again is fine
    with pytest.raises(InvalidParameterValue, match="Changing param values is not allowed"):
        store.log_param(run_id, "lr", "0.2")
    assert store.get_run(run_id).data.params == {"lr": "0.1"}


def test_long_param_and_tag_values_are_truncated_like_mlflow(store: SqlStore, run_id: str) -> None:
    store.log_param(run_id, "long", "p" * 7000)
    store.set_tag(run_id, "long", "t" * 9000)
    data = store.get_run(run_id).data
    assert data.params["long"] == "p" * 6000
    assert data.tags["long"] == "t" * 8000


def test_log_batch_stores_everything(store: SqlStore, run_id: str) -> None:
    store.log_batch(
        run_id,
        metrics=[
            Metric("loss", 0.5, 100, 1),
            Metric("loss", 0.25, 200, 2),
            Metric("acc", 0.9, 150, 0),
        ],
        params=[Param("a", "1"), Param("b", "2")],
        tags=[RunTag("t", "x")],
    )
    data = store.get_run(run_id).data
    assert data.params == {"a": "1", "b": "2"}
    assert data.tags["t"] == "x"
    assert data.metrics["loss"] == Metric("loss", 0.25, 200, 2)
    assert data.metrics["acc"] == Metric("acc", 0.9, 150, 0)


def test_log_batch_is_all_or_nothing(store: SqlStore, run_id: str) -> None:
    store.log_param(run_id, "fixed", "1")
    with pytest.raises(InvalidParameterValue):
        store.log_batch(
            run_id,
            metrics=[Metric("m", 1.0, 1, 0)],
            params=[Param("new", "x"), Param("fixed", "2")],
            tags=[RunTag("t", "y")],
        )
    data = store.get_run(run_id).data
    assert data.params == {"fixed": "1"}
    assert "t" not in data.tags
    assert data.metrics == {}
    assert len(store.get_metric_history(run_id, "m")) == 0


@pytest.mark.parametrize(
    ("metrics", "params", "tags", "message"),
    [
        (1001, 0, 0, "at most 1000 metrics"),
        (0, 101, 0, "at most 100 params"),
        (0, 0, 101, "at most 100 tags"),
        (950, 60, 0, "at most 1000 metrics, params and tags"),
    ],
)
def test_log_batch_limits(
    store: SqlStore, run_id: str, metrics: int, params: int, tags: int, message: str
) -> None:
    with pytest.raises(InvalidParameterValue, match=message):
        store.log_batch(
            run_id,
            metrics=[Metric("m", float(i), 1, i) for i in range(metrics)],
            params=[Param(f"p{i}", "v") for i in range(params)],
            tags=[RunTag(f"t{i}", "v") for i in range(tags)],
        )
    assert store.get_run(run_id).data.params == {}


def test_duplicate_param_keys_with_different_values_in_one_batch_are_rejected(
    store: SqlStore, run_id: str
) -> None:
    with pytest.raises(InvalidParameterValue, match="Duplicate parameter key"):
        store.log_batch(run_id, params=[Param("a", "1"), Param("a", "2")])
    store.log_batch(run_id, params=[Param("a", "1"), Param("a", "1")])
    assert store.get_run(run_id).data.params == {"a": "1"}


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "must not be empty"),
        ("k" * 251, "longer than 250"),
        ("bad!key", "may only contain"),
        ("a/../b", "normalised"),
        ("/abs", "normalised"),
        ("a//b", "normalised"),
        ("..", "normalised"),
    ],
)
def test_bad_keys_are_rejected_naming_the_field(
    store: SqlStore, run_id: str, key: str, reason: str
) -> None:
    with pytest.raises(InvalidParameterValue, match=reason) as err:
        store.log_batch(run_id, metrics=[Metric("ok", 1.0, 1, 0)], params=[Param(key, "v")])
    assert "params[0].key" in err.value.message
    assert store.get_run(run_id).data.metrics == {}


def test_keys_with_allowed_punctuation_and_unicode_work(store: SqlStore, run_id: str) -> None:
    keys = ["a.b", "a/b", "a-b_c", "with space", "x:y", "größe", "résumé/val"]
    store.log_batch(run_id, params=[Param(k, "1") for k in keys])
    assert set(store.get_run(run_id).data.params) == set(keys)


@pytest.mark.parametrize("value", ["1.0", None, True, [1.0]])
def test_non_numeric_metric_values_are_rejected(
    store: SqlStore, run_id: str, value: object
) -> None:
    with pytest.raises(InvalidParameterValue, match=r"metrics\[0\]\.value"):
        store.log_metric(run_id, Metric("m", value, 1, 0))  # type: ignore[arg-type]
    assert store.get_run(run_id).data.metrics == {}


@pytest.mark.parametrize(
    ("timestamp", "step", "field"),
    [(-1, 0, "timestamp"), (1.5, 0, "timestamp"), (1, 2**63, "step"), (1, "3", "step")],
)
def test_bad_metric_timestamps_and_steps_are_rejected(
    store: SqlStore, run_id: str, timestamp: object, step: object, field: str
) -> None:
    with pytest.raises(InvalidParameterValue, match=rf"metrics\[0\]\.{field}"):
        store.log_metric(run_id, Metric("m", 1.0, timestamp, step))  # type: ignore[arg-type]


def test_writes_to_unknown_runs_are_not_found(store: SqlStore) -> None:
    ghost = "f" * 32
    with pytest.raises(NotFound):
        store.log_metric(ghost, Metric("m", 1.0, 1, 0))
    with pytest.raises(NotFound):
        store.set_tag(ghost, "t", "v")
    with pytest.raises(NotFound):
        store.update_run_info(ghost, status=RunStatus.FAILED)
