"""Several processes log into one SQLite file at once: no error reaches them, nothing is lost."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from runstone.entities import Metric
from runstone.store.sql import SqlStore

PROCESSES = 8
POINTS = 10_000
SINGLES = 500  # logged one point per transaction, the rest in batches of 50


def _log_points(uri: str, run_id: str, key: str, errors: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        store = SqlStore(uri)
        points = [Metric(key, float(i), 1_000_000 + i, i) for i in range(POINTS)]
        for p in points[:SINGLES]:
            store.log_metric(run_id, p)
        for start in range(SINGLES, POINTS, 50):
            store.log_batch(run_id, metrics=points[start : start + 50])
        store.close()
    except BaseException as exc:
        errors.put(f"{type(exc).__name__}: {exc}")
        raise


@pytest.mark.slow
def test_eight_processes_log_ten_thousand_points_each_into_one_file(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'shared.db'}"
    store = SqlStore(uri)
    exp_id = store.create_experiment("concurrent")
    own_runs = [store.create_run(exp_id).info.run_id for _ in range(PROCESSES // 2)]
    shared_run = store.create_run(exp_id).info.run_id
    # half the processes each log into their own run, half share one run (distinct keys)
    jobs = [(run_id, "m") for run_id in own_runs] + [
        (shared_run, f"m{i}") for i in range(PROCESSES // 2)
    ]
    ctx = multiprocessing.get_context("spawn")
    errors = ctx.Queue()
    procs = [
        ctx.Process(target=_log_points, args=(uri, run_id, key, errors)) for run_id, key in jobs
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
    reported = [errors.get_nowait() for _ in range(errors.qsize())] if not errors.empty() else []
    assert reported == []
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    for run_id, key in jobs:
        history = store.get_metric_history(run_id, key)
        assert history.steps.tolist() == list(range(POINTS))
        assert history.values.tolist() == [float(i) for i in range(POINTS)]
        summary = {s.key: s for s in store.get_metric_summaries(run_id)}[key]
        assert summary.count == POINTS
    store.close()
