from __future__ import annotations

import math

import numpy as np
import pytest

from runstone.entities import Metric
from runstone.errors import InvalidParameterValue, NotFound
from runstone.store.sql import SqlStore


def _history(store: SqlStore, run_id: str, key: str) -> list[tuple[int, int, float]]:
    return [(m.step, m.timestamp, m.value) for m in store.get_metric_history(run_id, key)]


def test_history_returns_every_point_in_timestamp_step_value_order(
    store: SqlStore, run_id: str
) -> None:
    store.log_batch(run_id, metrics=[Metric("m", 3.0, 30, 3), Metric("m", 1.0, 10, 1)])
    store.log_metric(run_id, Metric("m", 2.0, 20, 2))
    store.log_metric(run_id, Metric("m", 0.5, 20, 2))
    assert _history(store, run_id, "m") == [(1, 10, 1.0), (2, 20, 0.5), (2, 20, 2.0), (3, 30, 3.0)]


def test_exact_duplicate_points_are_no_ops(store: SqlStore, run_id: str) -> None:
    batch = [Metric("m", float(i), 1000 + i, i) for i in range(50)]
    store.log_batch(run_id, metrics=batch)
    store.log_batch(run_id, metrics=batch)  # a replayed request
    store.log_metric(run_id, batch[10])
    store.log_batch(run_id, metrics=[batch[3], batch[3]])
    assert len(store.get_metric_history(run_id, "m")) == 50
    (summary,) = store.get_metric_summaries(run_id)
    assert summary.count == 50


def test_same_step_with_a_different_value_is_a_new_point(store: SqlStore, run_id: str) -> None:
    store.log_metric(run_id, Metric("m", 1.0, 5, 1))
    store.log_metric(run_id, Metric("m", 2.0, 5, 1))
    store.log_metric(run_id, Metric("m", 1.0, 6, 1))
    assert len(store.get_metric_history(run_id, "m")) == 3


def test_nan_and_infinities_round_trip(store: SqlStore, run_id: str) -> None:
    store.log_batch(
        run_id,
        metrics=[
            Metric("nan", math.nan, 1, 0),
            Metric("inf", math.inf, 1, 0),
            Metric("ninf", -math.inf, 1, 0),
        ],
    )
    store.log_metric(run_id, Metric("nan", math.nan, 1, 0))  # NaN equals NaN for duplicates
    assert len(store.get_metric_history(run_id, "nan")) == 1
    assert math.isnan(store.get_metric_history(run_id, "nan").to_list()[0].value)
    assert store.get_metric_history(run_id, "inf").to_list()[0].value == math.inf
    assert store.get_metric_history(run_id, "ninf").to_list()[0].value == -math.inf
    latest = store.get_run(run_id).data.metrics
    assert math.isnan(latest["nan"].value)
    assert latest["inf"].value == math.inf
    assert latest["ninf"].value == -math.inf


def test_steps_and_timestamps_are_int64(store: SqlStore, run_id: str) -> None:
    big = 2**62 + 12345
    store.log_batch(run_id, metrics=[Metric("m", 1.0, big, -big), Metric("m", 2.0, big + 1, big)])
    assert _history(store, run_id, "m") == [(-big, big, 1.0), (big, big + 1, 2.0)]
    assert store.get_run(run_id).data.metrics["m"] == Metric("m", 2.0, big + 1, big)


def test_latest_value_is_max_step_then_timestamp_then_value(store: SqlStore, run_id: str) -> None:
    store.log_batch(run_id, metrics=[Metric("m", 9.0, 100, 1), Metric("m", 1.0, 50, 5)])
    store.log_metric(run_id, Metric("m", 3.0, 60, 5))
    store.log_metric(run_id, Metric("m", 2.0, 60, 5))
    store.log_metric(run_id, Metric("m", 0.0, 999, 4))  # later timestamp, smaller step
    assert store.get_run(run_id).data.metrics["m"] == Metric("m", 3.0, 60, 5)


def test_summary_keeps_min_max_and_count_ignoring_nan(store: SqlStore, run_id: str) -> None:
    store.log_batch(
        run_id, metrics=[Metric("m", v, i, i) for i, v in enumerate([3.0, -2.0, math.nan, 7.5])]
    )
    store.log_metric(run_id, Metric("m", 1.0, 10, 10))
    (summary,) = store.get_metric_summaries(run_id)
    assert (summary.min_value, summary.max_value, summary.count) == (-2.0, 7.5, 5)
    assert (summary.last_step, summary.last_value) == (10, 1.0)


def test_many_single_point_writes_are_all_kept(store: SqlStore, run_id: str) -> None:
    for i in range(600):
        store.log_metric(run_id, Metric("m", float(i), i, i))
    history = store.get_metric_history(run_id, "m")
    assert history.steps.tolist() == list(range(600))
    assert history.values.tolist() == [float(i) for i in range(600)]


def test_late_points_with_old_steps_are_merged_into_the_history(
    store: SqlStore, run_id: str
) -> None:
    store.log_batch(run_id, metrics=[Metric("m", float(i), 1000 + i, i) for i in range(0, 100, 2)])
    store.log_batch(run_id, metrics=[Metric("m", float(i), 1000 + i, i) for i in range(1, 100, 2)])
    history = store.get_metric_history(run_id, "m")
    assert history.steps.tolist() == list(range(100))


def test_history_pages_cover_all_points_once(store: SqlStore, run_id: str) -> None:
    store.log_batch(run_id, metrics=[Metric("m", float(i), i, i) for i in range(25)])
    steps: list[int] = []
    token = None
    while True:
        page = store.get_metric_history(run_id, "m", max_results=10, page_token=token)
        steps += page.steps.tolist()
        token = page.next_page_token
        if token is None:
            break
    assert steps == list(range(25))


def test_history_of_unknown_key_is_empty_and_of_unknown_run_not_found(
    store: SqlStore, run_id: str
) -> None:
    assert len(store.get_metric_history(run_id, "nothing")) == 0
    with pytest.raises(NotFound):
        store.get_metric_history("a" * 32, "m")


def test_sampled_read_keeps_spikes_first_and_last(store: SqlStore, run_id: str) -> None:
    rng = np.random.default_rng(7)
    values = rng.normal(size=5000)
    values[1234] = 100.0
    values[4321] = -100.0
    points = [Metric("m", float(v), 1000 + i, i) for i, v in enumerate(values)]
    for start in range(0, 5000, 1000):
        store.log_batch(run_id, metrics=points[start : start + 1000])
    (sampled,) = store.get_metric_history_sampled([run_id], "m", max_points=200)
    assert len(sampled) <= 200
    steps = sampled.steps.tolist()
    assert steps == sorted(steps)
    assert steps[0] == 0
    assert steps[-1] == 4999
    assert 1234 in steps
    assert 4321 in steps
    assert sampled.values.max() == 100.0
    assert sampled.values.min() == -100.0


def test_sampled_read_zooms_into_a_step_range(store: SqlStore, run_id: str) -> None:
    store.log_batch(run_id, metrics=[Metric("m", float(i), i, i) for i in range(1000)])
    (zoomed,) = store.get_metric_history_sampled(
        [run_id], "m", max_points=1000, start_step=100, end_step=199
    )
    assert zoomed.steps.tolist() == list(range(100, 200))


def test_sampled_read_covers_several_runs(store: SqlStore, experiment_id: str) -> None:
    run_ids = []
    for r in range(3):
        run_id = store.create_run(experiment_id).info.run_id
        store.log_batch(run_id, metrics=[Metric("m", float(r), i, i) for i in range(10)])
        run_ids.append(run_id)
    result = store.get_metric_history_sampled(run_ids, "m", max_points=100)
    assert [h.run_id for h in result] == run_ids
    assert [h.values[0] for h in result] == [0.0, 1.0, 2.0]
    assert all(m.run_id == run_ids[1] for m in result[1])


def test_sampled_read_validates_its_arguments(store: SqlStore, run_id: str) -> None:
    with pytest.raises(InvalidParameterValue, match="start_step"):
        store.get_metric_history_sampled([run_id], "m", start_step=5, end_step=1)
    with pytest.raises(InvalidParameterValue, match="run_ids"):
        store.get_metric_history_sampled([], "m")
    with pytest.raises(InvalidParameterValue, match="max_results"):
        store.get_metric_history_sampled([run_id], "m", max_points=0)


# -- large batches (on PostgreSQL they take the one-statement path) ---------------------------


def _big_batch(start: int, n: int = 1000, key: str = "big") -> list[Metric]:
    return [Metric(key, float(start + i) / 10, 5000 + start + i, start + i) for i in range(n)]


def test_large_batches_append_and_keep_summaries_exact(store: SqlStore, run_id: str) -> None:
    first = _big_batch(0)
    first[17] = Metric("big", math.nan, first[17].timestamp, first[17].step)
    store.log_batch(run_id, metrics=first)
    store.log_batch(run_id, metrics=_big_batch(1000))
    store.log_batch(run_id, metrics=[Metric("big", -5.0, 1, 2500 + i) for i in range(600)])
    history = store.get_metric_history(run_id, "big")
    assert len(history) == 2600
    (summary,) = store.get_metric_summaries(run_id)
    assert summary.count == 2600
    assert summary.min_value == -5.0
    assert summary.max_value == 199.9
    assert (summary.last_step, summary.last_value) == (3099, -5.0)
    assert store.get_run(run_id).data.metrics["big"].step == 3099


def test_replayed_and_overlapping_large_batches_store_each_point_once(
    store: SqlStore, run_id: str
) -> None:
    batch = _big_batch(0)
    store.log_batch(run_id, metrics=batch)
    store.log_batch(run_id, metrics=batch)  # an exact replay
    store.log_batch(run_id, metrics=_big_batch(500))  # half old, half new
    history = store.get_metric_history(run_id, "big")
    assert len(history) == 1500
    assert sorted(m.step for m in history) == list(range(1500))
    (summary,) = store.get_metric_summaries(run_id)
    assert summary.count == 1500
    assert summary.last_step == 1499


def test_large_batch_into_a_deleted_or_unknown_run_is_refused(store: SqlStore, run_id: str) -> None:
    store.delete_run(run_id)
    with pytest.raises(InvalidParameterValue, match="active"):
        store.log_batch(run_id, metrics=_big_batch(0))
    with pytest.raises(NotFound):
        store.log_batch("f" * 32, metrics=_big_batch(0))
    store.restore_run(run_id)
    assert len(store.get_metric_history(run_id, "big")) == 0
    assert store.get_metric_summaries(run_id) == []


def test_large_batches_of_several_keys_and_with_params_are_all_or_nothing(
    store: SqlStore, run_id: str
) -> None:
    mixed = _big_batch(0, 600, "a") + _big_batch(0, 300, "b")
    store.log_batch(run_id, metrics=mixed)
    with pytest.raises(InvalidParameterValue):
        store.log_batch(run_id, metrics=[*_big_batch(600, 600, "a"), Metric("bad key!", 1.0, 1, 1)])
    assert len(store.get_metric_history(run_id, "a")) == 600
    assert len(store.get_metric_history(run_id, "b")) == 300


def test_concurrent_replays_of_a_large_batch_store_it_once(store: SqlStore, run_id: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    batches = [_big_batch(i * 1000) for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda b: store.log_batch(run_id, metrics=b), batches * 3))
    history = store.get_metric_history(run_id, "big")
    assert sorted(m.step for m in history) == list(range(4000))
    (summary,) = store.get_metric_summaries(run_id)
    assert summary.count == 4000
    assert summary.last_step == 3999
