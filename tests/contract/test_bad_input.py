"""Bad input gets INVALID_PARAMETER_VALUE or RESOURCE_DOES_NOT_EXIST naming the field, and the
store is left exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runstone.entities import Dataset, DatasetInput, Metric, Param, RunTag, ViewType
from runstone.errors import InvalidParameterValue, NotFound, RunstoneError
from runstone.store.sql import SqlStore

GHOST_RUN = "0" * 32

Call = Callable[[SqlStore, str, str], Any]

CASES: list[tuple[str, Call, type[RunstoneError], str]] = [
    (
        "empty experiment name",
        lambda s, e, r: s.create_experiment(""),
        InvalidParameterValue,
        "experiment name",
    ),
    (
        "long experiment name",
        lambda s, e, r: s.create_experiment("n" * 501),
        InvalidParameterValue,
        "experiment name",
    ),
    (
        "non-string experiment name",
        lambda s, e, r: s.create_experiment(5),
        InvalidParameterValue,
        "experiment name",
    ),
    (
        "long artifact location",
        lambda s, e, r: s.create_experiment("x", "s3://" + "a" * 2048),
        InvalidParameterValue,
        "artifact_location",
    ),
    (
        "bad experiment tag key",
        lambda s, e, r: s.create_experiment("x", tags={"bad|key": "v"}),
        InvalidParameterValue,
        "experiment tag key",
    ),
    (
        "rename to blank",
        lambda s, e, r: s.rename_experiment(e, " "),
        InvalidParameterValue,
        "experiment name",
    ),
    ("unknown experiment", lambda s, e, r: s.rename_experiment("424242", "y"), NotFound, "424242"),
    (
        "non-numeric experiment id",
        lambda s, e, r: s.get_experiment("exp-1"),
        InvalidParameterValue,
        "experiment_id",
    ),
    ("run in unknown experiment", lambda s, e, r: s.create_run("424242"), NotFound, "424242"),
    (
        "long run name",
        lambda s, e, r: s.create_run(e, run_name="r" * 251),
        InvalidParameterValue,
        "run_name",
    ),
    (
        "bad run tag key",
        lambda s, e, r: s.create_run(e, tags={"": "v"}),
        InvalidParameterValue,
        "tags[0].key",
    ),
    (
        "negative start time",
        lambda s, e, r: s.create_run(e, start_time=-5),
        InvalidParameterValue,
        "start_time",
    ),
    ("unknown run", lambda s, e, r: s.log_param(GHOST_RUN, "p", "v"), NotFound, GHOST_RUN),
    (
        "malformed run id",
        lambda s, e, r: s.log_param("not a run id", "p", "v"),
        InvalidParameterValue,
        "run_id",
    ),
    (
        "bad param key",
        lambda s, e, r: s.log_param(r, "a b/../c", "v"),
        InvalidParameterValue,
        "params[0].key",
    ),
    (
        "non-string param value",
        lambda s, e, r: s.log_param(r, "p", 3),
        InvalidParameterValue,
        "params[0].value",
    ),
    (
        "changed param",
        lambda s, e, r: s.log_param(r, "fixed", "other"),
        InvalidParameterValue,
        "fixed",
    ),
    (
        "text metric value",
        lambda s, e, r: s.log_metric(r, Metric("m", "0.5", 1, 0)),
        InvalidParameterValue,
        "metrics[0].value",
    ),
    (
        "bool metric value",
        lambda s, e, r: s.log_metric(r, Metric("m", False, 1, 0)),
        InvalidParameterValue,
        "metrics[0].value",
    ),
    (
        "float step",
        lambda s, e, r: s.log_metric(r, Metric("m", 1.0, 1, 0.5)),
        InvalidParameterValue,
        "metrics[0].step",
    ),
    (
        "long metric key",
        lambda s, e, r: s.log_metric(r, Metric("m" * 251, 1.0, 1, 0)),
        InvalidParameterValue,
        "metrics[0].key",
    ),
    (
        "one bad metric among good ones",
        lambda s, e, r: s.log_batch(
            r, metrics=[Metric("m", 1.0, 1, i) for i in range(5)] + [Metric("m", None, 1, 9)]
        ),
        InvalidParameterValue,
        "metrics[5].value",
    ),
    (
        "bad tag in a good batch",
        lambda s, e, r: s.log_batch(
            r,
            metrics=[Metric("m", 1.0, 1, 0)],
            params=[Param("q", "1")],
            tags=[RunTag("ok", "1"), RunTag("", "2")],
        ),
        InvalidParameterValue,
        "tags[1].key",
    ),
    (
        "bad dataset",
        lambda s, e, r: s.log_inputs(r, [DatasetInput(Dataset("d", "", "local", "src"))]),
        InvalidParameterValue,
        "dataset.digest",
    ),
    ("missing run tag", lambda s, e, r: s.delete_tag(r, "never-set"), NotFound, "never-set"),
    (
        "missing experiment tag",
        lambda s, e, r: s.delete_experiment_tag(e, "never-set"),
        NotFound,
        "never-set",
    ),
    (
        "bad filter",
        lambda s, e, r: s.search_runs([e], "metrics.m >> 1"),
        InvalidParameterValue,
        "position",
    ),
    (
        "bad order",
        lambda s, e, r: s.search_runs([e], order_by=["metrics.m SIDEWAYS"]),
        InvalidParameterValue,
        "SIDEWAYS",
    ),
]


def _snapshot(store: SqlStore) -> Any:
    experiments = store.search_experiments(view_type=ViewType.ALL)
    runs = store.search_runs([e.experiment_id for e in experiments], run_view_type=ViewType.ALL)
    histories = {
        (run.info.run_id, key): store.get_metric_history(run.info.run_id, key).values.tolist()
        for run in runs
        for key in run.data.metrics
    }
    return experiments.items, runs.items, histories


@pytest.mark.parametrize(
    ("call", "error", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_rejected_naming_the_field_and_changes_nothing(
    store: SqlStore, call: Call, error: type[RunstoneError], field: str
) -> None:
    exp_id = store.create_experiment("existing", tags={"keep": "me"})
    run_id = store.create_run(exp_id, run_name="existing").info.run_id
    store.log_batch(
        run_id,
        metrics=[Metric("m", 0.5, 10, 1)],
        params=[Param("fixed", "1")],
        tags=[RunTag("t", "v")],
    )
    before = _snapshot(store)
    with pytest.raises(error) as raised:
        call(store, exp_id, run_id)
    assert field in raised.value.message
    assert raised.value.code == error.code
    assert _snapshot(store) == before
