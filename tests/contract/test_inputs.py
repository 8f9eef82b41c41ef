from __future__ import annotations

import pytest

from runstone.entities import Dataset, DatasetInput, InputTag
from runstone.errors import InvalidParameterValue
from runstone.store.sql import SqlStore


def _input(name: str, digest: str, **tags: str) -> DatasetInput:
    ds = Dataset(
        name, digest, "local", f"/data/{name}", schema='{"cols": []}', profile='{"rows": 3}'
    )
    return DatasetInput(ds, tuple(InputTag(k, v) for k, v in tags.items()))


def test_inputs_are_read_back_in_logged_order(store: SqlStore, run_id: str) -> None:
    first = _input("a", "1", context="train")
    second = _input("b", "2")
    store.log_inputs(run_id, [first, second])
    assert store.get_run(run_id).inputs.dataset_inputs == (first, second)


def test_logging_the_same_dataset_again_adds_only_new_tags(store: SqlStore, run_id: str) -> None:
    store.log_inputs(run_id, [_input("a", "1", context="train")])
    store.log_inputs(run_id, [_input("a", "1", context="eval", extra="x")])
    (only,) = store.get_run(run_id).inputs.dataset_inputs
    assert {t.key: t.value for t in only.tags} == {"context": "train", "extra": "x"}


def test_datasets_are_shared_between_runs_of_an_experiment(
    store: SqlStore, experiment_id: str, run_id: str
) -> None:
    other = store.create_run(experiment_id).info.run_id
    store.log_inputs(run_id, [_input("a", "1")])
    store.log_inputs(other, [_input("a", "1")])
    assert store.get_run(other).inputs.dataset_inputs[0].dataset.name == "a"


@pytest.mark.parametrize(
    ("dataset", "field"),
    [
        (Dataset("", "d", "local", "s"), "datasets[0].dataset.name"),
        (Dataset("n" * 501, "d", "local", "s"), "datasets[0].dataset.name"),
        (Dataset("n", "d" * 37, "local", "s"), "datasets[0].dataset.digest"),
        (Dataset("n", "d", "local", "s" * 65536), "datasets[0].dataset.source"),
    ],
)
def test_bad_datasets_are_rejected(
    store: SqlStore, run_id: str, dataset: Dataset, field: str
) -> None:
    with pytest.raises(InvalidParameterValue, match=field.replace("[", r"\[").replace("]", r"\]")):
        store.log_inputs(run_id, [DatasetInput(dataset)])
    assert store.get_run(run_id).inputs.dataset_inputs == ()
