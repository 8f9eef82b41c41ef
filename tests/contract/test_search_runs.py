from __future__ import annotations

import math

import pytest

from runstone.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    Metric,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from runstone.errors import InvalidParameterValue
from runstone.store.sql import SqlStore


@pytest.fixture
def runs(store: SqlStore, experiment_id: str) -> dict[str, str]:
    """Five runs with distinct metrics, params, tags and start times; name -> run_id."""
    spec = {
        "r1": (1.0, "a", "x", 100),
        "r2": (2.0, "b", "x", 200),
        "r3": (3.0, "a", "y", 300),
        "r4": (math.nan, "c", "y", 400),
        "r5": (None, "Apple", "z", 500),
    }
    ids = {}
    for name, (acc, p, t, start) in spec.items():
        run_id = store.create_run(
            experiment_id, user_id=f"user-{name}", start_time=start, run_name=name
        ).info.run_id
        metrics = [] if acc is None else [Metric("acc", acc, start, 0)]
        store.log_batch(run_id, metrics=metrics, params=[Param("p", p)], tags=[RunTag("t", t)])
        ids[name] = run_id
    return ids


def _names(
    store: SqlStore, experiment_id: str, flt: str | None = None, order: list[str] | None = None
) -> list[str]:
    return [r.info.run_name for r in store.search_runs([experiment_id], flt, order_by=order)]


def test_default_order_is_start_time_descending(
    store: SqlStore, experiment_id: str, runs: dict[str, str]
) -> None:
    assert _names(store, experiment_id) == ["r5", "r4", "r3", "r2", "r1"]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("metrics.acc > 1.5", {"r2", "r3"}),
        ("metrics.acc >= 1", {"r1", "r2", "r3"}),
        ("metrics.acc != 2", {"r1", "r3"}),
        ("metrics.acc = 3", {"r3"}),
        ("params.p = 'a'", {"r1", "r3"}),
        ("params.p != 'a'", {"r2", "r4", "r5"}),
        ("params.p LIKE 'A%'", {"r5"}),
        ("params.p ILIKE 'a%'", {"r1", "r3", "r5"}),
        ("tags.t = 'y' and metrics.acc < 10", {"r3"}),
        ("tags.missing IS NULL", {"r1", "r2", "r3", "r4", "r5"}),
        ("tags.t IS NOT NULL and params.p = 'c'", {"r4"}),
        ("attributes.run_name = 'r2'", {"r2"}),
        ("attributes.start_time > 250", {"r3", "r4", "r5"}),
        ("attributes.user_id LIKE 'user-r%' and attributes.start_time <= 100", {"r1"}),
        ("attributes.status = 'RUNNING'", {"r1", "r2", "r3", "r4", "r5"}),
        ("params.p = 'a' OR tags.t = 'z'", {"r1", "r3", "r5"}),
        ("(params.p = 'a' OR params.p = 'b') AND tags.t = 'x'", {"r1", "r2"}),
    ],
)
def test_filters_select_the_right_runs(
    store: SqlStore, experiment_id: str, runs: dict[str, str], flt: str, expected: set[str]
) -> None:
    assert set(_names(store, experiment_id, flt)) == expected


def test_filter_on_run_id_in_list(
    store: SqlStore, experiment_id: str, runs: dict[str, str]
) -> None:
    wanted = [runs["r1"], runs["r4"]]
    flt = f"attributes.run_id IN ('{wanted[0]}', '{wanted[1]}')"
    assert set(_names(store, experiment_id, flt)) == {"r1", "r4"}
    flt = f"attributes.run_id NOT IN ('{wanted[0]}')"
    assert set(_names(store, experiment_id, flt)) == {"r2", "r3", "r4", "r5"}


def test_order_by_metric_puts_nan_then_missing_last(
    store: SqlStore, experiment_id: str, runs: dict[str, str]
) -> None:
    assert _names(store, experiment_id, order=["metrics.acc"]) == ["r1", "r2", "r3", "r4", "r5"]
    assert _names(store, experiment_id, order=["metrics.acc DESC"]) == [
        "r3",
        "r2",
        "r1",
        "r4",
        "r5",
    ]


def test_order_by_param_then_start_time(
    store: SqlStore, experiment_id: str, runs: dict[str, str]
) -> None:
    # "Apple" < "a" < "b" < "c" in binary order; ties broken by start_time DESC
    assert _names(store, experiment_id, order=["params.p"]) == ["r5", "r3", "r1", "r2", "r4"]


def test_order_by_attribute(store: SqlStore, experiment_id: str, runs: dict[str, str]) -> None:
    assert _names(store, experiment_id, order=["attributes.start_time ASC"]) == [
        "r1",
        "r2",
        "r3",
        "r4",
        "r5",
    ]
    assert _names(store, experiment_id, order=["run_name DESC"]) == ["r5", "r4", "r3", "r2", "r1"]


def test_search_returns_full_runs(
    store: SqlStore, experiment_id: str, runs: dict[str, str]
) -> None:
    (found,) = store.search_runs([experiment_id], "attributes.run_name = 'r2'")
    assert found == store.get_run(runs["r2"])
    assert found.data.params == {"p": "b"}
    assert found.data.metrics["acc"].value == 2.0


def test_search_pages_cover_all_runs_once(
    store: SqlStore, experiment_id: str, runs: dict[str, str]
) -> None:
    seen: list[str] = []
    token = None
    while True:
        page = store.search_runs([experiment_id], max_results=2, page_token=token)
        seen += [r.info.run_name for r in page]
        token = page.next_page_token
        if token is None:
            break
    assert seen == ["r5", "r4", "r3", "r2", "r1"]


def test_view_type_selects_deleted_runs(
    store: SqlStore, experiment_id: str, runs: dict[str, str]
) -> None:
    store.delete_run(runs["r2"])
    assert "r2" not in _names(store, experiment_id)
    deleted = store.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_name for r in deleted] == ["r2"]
    assert len(store.search_runs([experiment_id], run_view_type=ViewType.ALL)) == 5


def test_search_spans_several_experiments_and_none_returns_nothing(
    store: SqlStore, experiment_id: str, runs: dict[str, str]
) -> None:
    other = store.create_experiment("other")
    store.create_run(other, run_name="elsewhere", start_time=50)
    assert len(store.search_runs([experiment_id, other])) == 6
    assert len(store.search_runs([])) == 0


def test_status_filter_follows_updates(
    store: SqlStore, experiment_id: str, runs: dict[str, str]
) -> None:
    store.update_run_info(runs["r1"], status=RunStatus.FAILED)
    assert _names(store, experiment_id, "attributes.status = 'FAILED'") == ["r1"]
    assert "r1" not in _names(store, experiment_id, "attributes.status != 'FAILED'")


def test_dataset_filters(store: SqlStore, experiment_id: str, runs: dict[str, str]) -> None:
    train = DatasetInput(
        Dataset("mnist", "d1", "local", "/data/mnist"), (InputTag("mlflow.data.context", "train"),)
    )
    evals = DatasetInput(
        Dataset("cifar", "d2", "local", "/data/cifar"), (InputTag("mlflow.data.context", "eval"),)
    )
    store.log_inputs(runs["r1"], [train])
    store.log_inputs(runs["r2"], [evals, train])
    assert set(_names(store, experiment_id, "datasets.name = 'mnist'")) == {"r1", "r2"}
    assert set(_names(store, experiment_id, "datasets.digest = 'd2'")) == {"r2"}
    assert set(_names(store, experiment_id, "datasets.context = 'eval'")) == {"r2"}


@pytest.mark.parametrize(
    "flt",
    ["metrics.acc > 'x'", "params.p = 1", "params.p >", "foo.bar = 'x'", "metrics.acc IS NULL"],
)
def test_bad_filters_are_invalid_parameter_values(
    store: SqlStore, experiment_id: str, flt: str
) -> None:
    with pytest.raises(InvalidParameterValue):
        store.search_runs([experiment_id], flt)


@pytest.mark.parametrize("max_results", [0, 50001])
def test_max_results_is_bounded(store: SqlStore, experiment_id: str, max_results: int) -> None:
    with pytest.raises(InvalidParameterValue, match="max_results"):
        store.search_runs([experiment_id], max_results=max_results)
