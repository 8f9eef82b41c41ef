"""Runstone's fluent client side by side with MLflow's: what ``log_metric`` costs the caller.

Both clients log to a fresh SQLite file through their fluent API (``set_tracking_uri``,
``set_experiment``, ``start_run``, ``log_metric(key, value, step=i)``), in the same process,
one after the other; every measurement gets its own temporary directory and database:

1. per call: each ``log_metric`` call timed with ``time.perf_counter_ns()``; median, p99 and
   mean, less the timer's own cost (measured in the same loop iterations);
2. end to end: points/s for single ``log_metric`` calls followed by a flush, until everything
   is in SQLite (checked by reading the metric history back);
3. Runstone's ``synchronous=True`` per call, for context.

Runstone is measured before MLflow is imported; its end-to-end run is then repeated with
MLflow imported (a bigger heap for the cyclic GC to walk), as an info row.

MLflow runs in its default synchronous mode and, as a second column, with
``MLFLOW_ENABLE_ASYNC_LOGGING=true`` (flushed with ``mlflow.flush_async_logging()``).

Usage: ``python bench/client_bench.py [--quick]``. The table goes to stdout, progress to stderr,
and the figures to ``bench/results/client_bench-<time>.json``. The temporary directories are
removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

import runstone
from benchlib import progress, rate, ratio, source_revision, verdict, write_results

METRIC_KEY = "loss"
EXPERIMENT = "client-bench"

# The targets of the client issue, for Runstone's default (non-blocking) mode.
TARGET_CALL_US = 5.0  # median cost of one log_metric call to the caller
TARGET_POINTS_PER_S = 200_000  # single log_metric calls, then flush, until stored

RS, RS_SYNC, MLF, MLF_ASYNC = "Runstone", "Runstone sync", "MLflow", "MLflow async"
RS_HEAVY = "Runstone, mlflow imported"  # the same client in a process with a bigger heap


@dataclass(frozen=True)
class Scale:
    calls: int = 200_000  # Runstone log_metric calls timed one by one
    sync_calls: int = 5_000  # the same, Runstone synchronous=True
    mlflow_calls: int = 2_000  # the same, MLflow synchronous (about 4 ms each)
    mlflow_async_calls: int = 2_000  # the same, MLflow async (flushing them takes ~20 s)
    points: int = 1_000_000  # Runstone log_metric calls, then flush, end to end
    mlflow_points: int = 20_000  # MLflow synchronous logs at most this many...
    mlflow_async_points: int = 5_000  # ...MLflow async at most this many (~100 stored/s)...
    mlflow_seconds: float = 60.0  # ...and neither makes a new call after this long
    seed: int = 20240601

    def quick(self) -> Scale:
        return replace(
            self,
            calls=self.calls // 10,
            sync_calls=self.sync_calls // 10,
            mlflow_calls=self.mlflow_calls // 10,
            mlflow_async_calls=self.mlflow_async_calls // 10,
            points=self.points // 10,
            mlflow_points=self.mlflow_points // 10,
            mlflow_async_points=self.mlflow_async_points // 10,
            mlflow_seconds=self.mlflow_seconds / 10,
        )


# -- the two clients behind one small interface ------------------------------------------------

LogMetric = Callable[..., Any]  # log_metric(key, value, step=i)


class Client:
    """One fluent client under test, pointed at a fresh SQLite file per measurement."""

    name = ""

    @contextlib.contextmanager
    def run(self, db: Path) -> Iterator[str]:
        """Track to ``db``, start a run, yield its id; end the run and let go of the database."""
        raise NotImplementedError

    def log_metric(self) -> LogMetric:
        raise NotImplementedError

    def flush(self) -> None:
        raise NotImplementedError

    def history_len(self, db: Path, run_id: str, key: str) -> int:
        """How many points of ``key`` the run has in the SQLite file (after a flush)."""
        raise NotImplementedError


class RunstoneSide(Client):
    """Runstone's fluent API; ``synchronous=True`` on every call for the sync variant."""

    def __init__(self, synchronous: bool = False, name: str | None = None) -> None:
        self.synchronous = synchronous
        self.name = name or (RS_SYNC if synchronous else RS)

    @contextlib.contextmanager
    def run(self, db: Path) -> Iterator[str]:
        runstone.set_tracking_uri(f"sqlite:///{db}")
        try:
            runstone.set_experiment(EXPERIMENT)
            with runstone.start_run(run_name=self.name) as active:
                yield str(active.info.run_id)
        finally:
            # Setting the tracking URI again closes the client: flush, stop its logging
            # thread, close the database. The next use opens a new one.
            runstone.set_tracking_uri(runstone.get_tracking_uri())

    def log_metric(self) -> LogMetric:
        if self.synchronous:  # a C-level partial: ~0.1 µs on calls of ~100 µs and more
            return functools.partial(runstone.log_metric, synchronous=True)
        return runstone.log_metric  # exactly what a training loop calls

    def flush(self) -> None:
        runstone.flush()

    def history_len(self, db: Path, run_id: str, key: str) -> int:
        client = runstone.RunstoneClient(f"sqlite:///{db}")  # a new connection to the file
        try:
            return len(client.store.get_metric_history(run_id, key))
        finally:
            client.close()


class MlflowSide(Client):
    """MLflow's fluent API; ``MLFLOW_ENABLE_ASYNC_LOGGING=true`` for the async variant."""

    def __init__(self, asynchronous: bool = False) -> None:
        self.asynchronous = asynchronous
        self.name = MLF_ASYNC if asynchronous else MLF
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # read when mlflow is imported
        try:
            import mlflow  # bench-only dependency
        except ImportError as exc:
            raise SystemExit(
                "MLflow is not installed; run `make bench` or `pip install -e '.[bench]'`."
            ) from exc
        for logger in ("alembic", "mlflow"):
            logging.getLogger(logger).setLevel(logging.WARNING)
        self.mlflow = mlflow

    @contextlib.contextmanager
    def run(self, db: Path) -> Iterator[str]:
        mlflow = self.mlflow
        saved = os.environ.get("MLFLOW_ENABLE_ASYNC_LOGGING")
        os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "true" if self.asynchronous else "false"
        uri = f"sqlite:///{db}"
        mlflow.set_tracking_uri(uri)
        try:
            mlflow.set_experiment(EXPERIMENT)
            with mlflow.start_run(run_name=self.name.replace(" ", "-")) as active:
                yield str(active.info.run_id)
        finally:
            if saved is None:
                os.environ.pop("MLFLOW_ENABLE_ASYNC_LOGGING", None)
            else:
                os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = saved
            self._dispose(uri)

    @staticmethod
    def _dispose(uri: str) -> None:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
        from mlflow.tracking._tracking_service.utils import _get_store

        store = _get_store(uri)
        if isinstance(store, SqlAlchemyStore):
            store.engine.dispose()
            SqlAlchemyStore._engine_map.pop(store.db_uri, None)

    def log_metric(self) -> LogMetric:
        return self.mlflow.log_metric  # async or not: the environment variable decides

    def flush(self) -> None:
        if self.asynchronous:
            self.mlflow.flush_async_logging()

    def history_len(self, db: Path, run_id: str, key: str) -> int:
        client = self.mlflow.MlflowClient(f"sqlite:///{db}")
        return len(client.get_metric_history(run_id, key))


# -- the measurements --------------------------------------------------------------------------


def values_for(n: int, seed: int) -> list[float]:
    return np.random.default_rng(seed).random(n).tolist()


def per_call(client: Client, db: Path, calls: int, seed: int) -> dict[str, Any]:
    """``calls`` log_metric calls, each timed on its own, then a flush (not timed per call).

    Every iteration reads the clock three times: t0, t1, call, t2. ``t1 - t0`` is the timer's
    own cost (one ``perf_counter_ns()`` call and a store), ``t2 - t1`` the call plus that same
    cost; the median timer cost is subtracted from the call figures.
    """
    values = values_for(calls, seed)
    with client.run(db) as run_id:
        log, clock = client.log_metric(), time.perf_counter_ns
        timed, timer = [0] * calls, [0] * calls
        key = METRIC_KEY
        start = clock()
        for i in range(calls):
            value = values[i]
            t0 = clock()
            t1 = clock()
            log(key, value, step=i)
            t2 = clock()
            timer[i] = t1 - t0
            timed[i] = t2 - t1
        loop_s = (clock() - start) / 1e9
        flush_start = clock()
        client.flush()
        flush_s = (clock() - flush_start) / 1e9
        stored = client.history_len(db, run_id, METRIC_KEY)
    if stored != calls:
        raise AssertionError(f"{client.name} stored {stored} points of {calls} logged")
    return summarize(np.asarray(timed), np.asarray(timer)) | {
        "calls": calls,
        "loop_s": loop_s,
        "flush_s": flush_s,
        "stored": stored,
    }


def summarize(timed: np.ndarray, timer: np.ndarray) -> dict[str, Any]:
    """Percentiles of the raw call times and of the timer, and the call times less the timer."""
    quantiles = (50, 90, 99, 99.9)
    raw = dict(zip(quantiles, np.percentile(timed, quantiles).tolist(), strict=True))
    overhead = float(np.median(timer))
    return {
        "us": (raw[50] - overhead) / 1000,  # the headline: median call less median timer cost
        "p99_us": (raw[99] - overhead) / 1000,
        "p999_us": (raw[99.9] - overhead) / 1000,
        "mean_us": (float(timed.mean()) - overhead) / 1000,
        "max_us": (float(timed.max()) - overhead) / 1000,
        "timer_ns": overhead,
        "timer_p99_ns": float(np.percentile(timer, 99)),
        "raw_ns": {f"p{q:g}": v for q, v in raw.items()}
        | {"mean": float(timed.mean()), "max": float(timed.max())},
    }


def end_to_end(
    client: Client, db: Path, points: int, max_seconds: float, seed: int
) -> dict[str, Any]:
    """Single log_metric calls, then a flush; the clock stops when the flush returns.

    With a time bound (MLflow), the clock is read after every call and no call is made after
    the deadline; the points logged by then are flushed (inside the clock) and counted.
    """
    values = values_for(points, seed)
    with client.run(db) as run_id:
        log, clock, key = client.log_metric(), time.perf_counter, METRIC_KEY
        logged = points
        start = clock()
        if max_seconds == float("inf"):
            for i in range(points):
                log(key, values[i], step=i)
        else:
            deadline = start + max_seconds
            for i in range(points):
                log(key, values[i], step=i)
                if clock() > deadline:
                    logged = i + 1
                    break
        called = clock()
        client.flush()
        done = clock()
        stored = client.history_len(db, run_id, METRIC_KEY)
    if stored != logged:
        raise AssertionError(f"{client.name} stored {stored} points of {logged} logged")
    seconds = done - start
    return {
        "points": logged,
        "stored": stored,
        "seconds": seconds,
        "calls_s": called - start,
        "flush_s": done - called,
        "points_per_s": logged / seconds,
    }


@contextlib.contextmanager
def fresh_db(tmp: Path, section: str, side: str) -> Iterator[Path]:
    folder = tmp / section / side.lower().replace(" ", "-")
    folder.mkdir(parents=True)
    yield folder / ("runstone.db" if side.startswith(RS) else "mlflow.db")


def bench(scale: Scale, tmp: Path) -> dict[str, Any]:
    rs, rs_sync = RunstoneSide(), RunstoneSide(synchronous=True)
    result: dict[str, Any] = {"per_call": {}, "end_to_end": {}}

    def call_section(client: Client, calls: int) -> None:
        progress(f"{client.name}: {calls:,} log_metric calls, each timed")
        gc.collect()
        heap = len(gc.get_objects())
        with fresh_db(tmp, "per-call", client.name) as db:
            figures = per_call(client, db, calls, scale.seed)
        result["per_call"][client.name] = figures | {"gc_tracked_objects": heap}
        progress(
            f"  median {figures['us']:,.2f} µs, p99 {figures['p99_us']:,.2f} µs, "
            f"flush {figures['flush_s']:.2f} s"
        )

    def e2e_section(client: Client, points: int, max_seconds: float) -> None:
        bound = "" if max_seconds == float("inf") else f" (or {max_seconds:g} s)"
        progress(f"{client.name}: {points:,} log_metric calls{bound}, then flush")
        gc.collect()
        heap = len(gc.get_objects())
        with fresh_db(tmp, "end-to-end", client.name) as db:
            figures = end_to_end(client, db, points, max_seconds, scale.seed)
        result["end_to_end"][client.name] = figures | {"gc_tracked_objects": heap}
        progress(
            f"  {figures['points']:,} points in {figures['seconds']:.2f} s "
            f"({figures['points_per_s']:,.0f} points/s; flush {figures['flush_s']:.2f} s)"
        )

    # Runstone first, before MLflow is imported: the cyclic GC's full collections walk every
    # tracked object, and MLflow's import graph multiplies them. The same end-to-end run is
    # then repeated with MLflow imported (an info row), as in a process with a heavy heap.
    call_section(rs, scale.calls)
    e2e_section(rs, scale.points, float("inf"))
    call_section(rs_sync, scale.sync_calls)
    mlf, mlf_async = MlflowSide(), MlflowSide(asynchronous=True)
    e2e_section(RunstoneSide(name=RS_HEAVY), scale.points, float("inf"))
    call_section(mlf, scale.mlflow_calls)
    e2e_section(mlf, scale.mlflow_points, scale.mlflow_seconds)
    try:
        call_section(mlf_async, scale.mlflow_async_calls)
        e2e_section(mlf_async, scale.mlflow_async_points, scale.mlflow_seconds)
    except Exception as exc:  # the async column is a bonus; report it rather than stop
        progress(f"{MLF_ASYNC}: failed, left out: {exc!r}")
        result["mlflow_async_error"] = repr(exc)
        result["per_call"].pop(MLF_ASYNC, None)
        result["end_to_end"].pop(MLF_ASYNC, None)
    result["targets"] = {
        "per_call": result["per_call"][RS]["us"] <= TARGET_CALL_US,
        "end_to_end": result["end_to_end"][RS]["points_per_s"] >= TARGET_POINTS_PER_S,
    }
    return result


# -- the report --------------------------------------------------------------------------------


def _us(x: float) -> str:
    return f"{x / 1000:,.2f} ms" if x >= 1000 else f"{x:,.2f} µs"


Row = tuple[str, str, str, str, str, str, str]


def table_rows(res: dict[str, Any]) -> list[Row]:
    c, e, ok = res["per_call"], res["end_to_end"], res["targets"]
    rs, sync = c[RS], c[RS_SYNC]

    def time_row(label: str, field: str, target: str = "", base: dict[str, Any] = rs) -> Row:
        cells = []
        for other in (c.get(MLF), c.get(MLF_ASYNC)):
            if other is None:
                cells += ["n/a", ""]
            else:
                cells += [_us(other[field]), ratio(other[field] / base[field])]
        return (label, _us(base[field]), target, *cells)

    def e2e_cells(field: str, fmt: Callable[[Any], str], with_ratio: bool) -> list[str]:
        cells = []
        for name in (MLF, MLF_ASYNC):
            other = e.get(name)
            if other is None:
                cells += ["n/a", ""]
            else:
                better = e[RS]["points_per_s"] / other["points_per_s"]
                cells += [fmt(other[field]), ratio(better) if with_ratio else ""]
        return cells

    def count_cells(figures: dict[str, dict[str, Any]]) -> list[str]:
        cells = []
        for name in (MLF, MLF_ASYNC):
            cells += [f"{figures[name]['calls']:,}" if name in figures else "n/a", ""]
        return cells

    def split(f: dict[str, Any]) -> str:
        return f"{f['calls_s']:.2f} + {f['flush_s']:.2f} s"

    def timer(f: dict[str, Any]) -> str:
        return f"{f['timer_ns']:.0f} ns"

    return [
        time_row(
            "log_metric, one call, median",
            "us",
            f"<= {TARGET_CALL_US:g} µs {verdict(ok['per_call'])}",
        ),
        time_row("  p99", "p99_us"),
        time_row("  mean", "mean_us"),
        ("  calls timed", f"{rs['calls']:,}", "", *count_cells(c)),
        (
            "  timer cost subtracted (median)",
            timer(rs),
            "",
            *[x for n in (MLF, MLF_ASYNC) for x in ((timer(c[n]) if n in c else "n/a"), "")],
        ),
        (
            "log_metric x N, then flush",
            rate(e[RS]["points_per_s"]),
            f">= {TARGET_POINTS_PER_S:,}/s {verdict(ok['end_to_end'])}",
            *e2e_cells("points_per_s", rate, True),
        ),
        (
            "  same, with mlflow imported (info)",
            rate(e[RS_HEAVY]["points_per_s"]),
            "",
            "",
            "",
            "",
            "",
        ),
        (
            "  GC-tracked objects before / imported",
            f"{e[RS]['gc_tracked_objects']:,} / {e[RS_HEAVY]['gc_tracked_objects']:,}",
            "",
            "",
            "",
            "",
            "",
        ),
        (
            "  points logged = stored",
            f"{e[RS]['points']:,}",
            "",
            *e2e_cells("points", lambda x: f"{x:,}", False),
        ),
        (
            "  calls + flush (s)",
            split(e[RS]),
            "",
            *[x for n in (MLF, MLF_ASYNC) for x in ((split(e[n]) if n in e else "n/a"), "")],
        ),
        (
            "synchronous=True, one call, median (info)",
            _us(sync["us"]),
            "",
            _us(c[MLF]["us"]),
            ratio(c[MLF]["us"] / sync["us"]),
            "",
            "",
        ),
        ("  p99", _us(sync["p99_us"]), "", _us(c[MLF]["p99_us"]), "", "", ""),
        ("  calls timed", f"{sync['calls']:,}", "", f"{c[MLF]['calls']:,}", "", "", ""),
    ]


def print_report(report: dict[str, Any]) -> None:
    res = report["result"]
    header = (
        "metric",
        "Runstone",
        "target (Runstone)",
        "MLflow",
        "Runstone better by",
        "MLflow async",
        "Runstone better by",
    )
    rows = [header, *table_rows(res)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    print()
    print("== sqlite, fluent log_metric(key, value, step=i)")
    for i, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    if "mlflow_async_error" in res:
        print(f"  !! MLflow async left out: {res['mlflow_async_error']}")
    print()
    print(
        f"MLflow {report['mlflow_version']}, Runstone {report['runstone_version']} "
        f"({report['runstone_revision']}), Python {report['python']}, {report['cpus']} CPUs; "
        f"whole run {report['seconds']:.0f} s."
    )
    print(
        "Per call: perf_counter_ns() around each call, less the median cost of an empty timer "
        "pair read in the same\niterations. Runstone and MLflow async return once the point is "
        "queued; MLflow (default) and sync rows\nonce it is in SQLite. The second 'synchronous' "
        "row's MLflow figure is MLflow's default mode again.\nEnd to end: the clock runs from "
        "the first call until the flush returns; Runstone logs every point,\nMLflow a prefix "
        "bounded in calls and time. Every side's points are read back from SQLite and counted."
        "\nRunstone runs before MLflow is imported; 'with mlflow imported' repeats its end-to-end "
        "run after\n(more GC-tracked objects for the cyclic GC's full collections to walk)."
        "\nMLflow async: MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS is "
        f"{report['mlflow_async_buffering_seconds'] or 'unset'} (unset, MLflow's default, each "
        "call\nbecomes its own log_batch, written by a pool of 10 threads)."
    )


# -- main --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="everything 10x smaller")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    scale = Scale().quick() if args.quick else Scale()
    started = time.perf_counter()
    report: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "scale": asdict(scale),
        "runstone_version": version("runstone"),
        "runstone_revision": source_revision(),
        "mlflow_version": version("mlflow"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "backend": "sqlite",
        # Unset by default: MLflow async then sends one log_batch per call (no merging).
        "mlflow_async_buffering_seconds": os.environ.get("MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS"),
    }
    with tempfile.TemporaryDirectory(prefix="rs_client_bench_") as tmp:
        report["result"] = bench(scale, Path(tmp))
    report["seconds"] = time.perf_counter() - started
    print_report(report)
    write_results("client_bench", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
