"""Runstone's SqlStore side by side with MLflow's SqlAlchemyStore, on SQLite and PostgreSQL.

Both stores get the same workload in the same process, one after the other:

1. write: one metric key, batches of 1,000 points through ``log_batch`` into one run
   (Runstone writes all points; MLflow, far slower, a prefix bounded in points and time);
2. history: ``get_metric_history`` of that metric, everything each side wrote;
3. chart: a 1,000-point downsampled read of that metric;
4. search: ``search_runs`` with a metric and a param filter, ordered by a metric, over runs
   that each have 5 params and 5 metrics.

Usage: ``python bench/store_bench.py [--backends sqlite,postgresql] [--quick]``. The table goes
to stdout, progress to stderr, and the figures to ``bench/results/store_bench-<time>.json``.
Every SQLite file and PostgreSQL database it makes (``rs_bench_*``) is removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, text

from benchlib import progress, rate, ratio, source_revision, verdict, write_results
from runstone.entities import Metric, Param, ViewType
from runstone.store.sql.store import SqlStore

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN_URL = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/postgres"

METRIC_KEY = "loss"
SEARCH_FILTER = "metrics.m1 > 0.5 and params.p1 = 'x'"
SEARCH_ORDER = ["metrics.m1"]
SEARCH_MAX_RESULTS = 1000
N_PARAMS = N_METRICS = 5

# The targets of the storage issue, for Runstone's figures.
TARGET_WRITE_POINTS_PER_S = 500_000
TARGET_HISTORY_S = 1.0
TARGET_SEARCH_MS = 100.0
TARGET_CHART_MS = 50.0


@dataclass(frozen=True)
class Scale:
    points: int = 1_000_000  # points Runstone writes (and reads back)
    batch: int = 1_000  # points per log_batch call
    mlflow_points: int = 100_000  # MLflow writes at most this many...
    mlflow_write_s: float = 60.0  # ...and stops starting new batches after this long
    runs: int = 10_000  # runs searched
    mlflow_populate_s: float = 900.0  # bound on populating MLflow's runs
    repeats: int = 20  # timed repetitions of search and chart reads (median reported)
    history_repeats: int = 3  # timed full history reads (median reported)
    chart_points: int = 1_000
    seed: int = 20240601

    def quick(self) -> Scale:
        return replace(
            self,
            points=self.points // 10,
            mlflow_points=self.mlflow_points // 10,
            mlflow_write_s=self.mlflow_write_s / 10,
            runs=self.runs // 10,
            mlflow_populate_s=self.mlflow_populate_s / 10,
        )


# -- the two stores behind one small interface -------------------------------------------------


class Side:
    """One store under test. Subclasses adapt entity types and method names."""

    name = ""

    def __init__(self, store: Any) -> None:
        self.store = store

    def create_experiment(self, name: str) -> str:
        return str(self.store.create_experiment(name))

    def create_run(self, experiment_id: str, start_time: int, name: str) -> str:
        raise NotImplementedError

    def metrics(self, key: str, steps: list[int], stamps: list[int], values: list[float]) -> list:
        raise NotImplementedError

    def row(self, values: Sequence[float], params: Sequence[str], stamp: int) -> tuple[list, list]:
        raise NotImplementedError

    def log_batch(self, run_id: str, metrics: list, params: list) -> None:
        self.store.log_batch(run_id, metrics=metrics, params=params, tags=[])

    def history_len(self, run_id: str, key: str) -> int:
        return len(self.store.get_metric_history(run_id, key))

    def search_m1(self, experiment_id: str) -> list[float]:
        raise NotImplementedError

    def chart_len(self, run_id: str, key: str, max_points: int) -> int:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class RunstoneSide(Side):
    name = "Runstone"

    def create_run(self, experiment_id: str, start_time: int, name: str) -> str:
        run = self.store.create_run(experiment_id, "bench", start_time, None, name)
        return str(run.info.run_id)

    def metrics(self, key: str, steps: list[int], stamps: list[int], values: list[float]) -> list:
        return [Metric(key, v, t, s) for s, t, v in zip(steps, stamps, values, strict=True)]

    def row(self, values: Sequence[float], params: Sequence[str], stamp: int) -> tuple[list, list]:
        metrics = [Metric(f"m{i + 1}", v, stamp, 0) for i, v in enumerate(values)]
        return metrics, [Param(f"p{i + 1}", p) for i, p in enumerate(params)]

    def search_m1(self, experiment_id: str) -> list[float]:
        page = self.store.search_runs(
            [experiment_id], SEARCH_FILTER, ViewType.ACTIVE_ONLY, SEARCH_MAX_RESULTS, SEARCH_ORDER
        )
        return [run.data.metrics["m1"].value for run in page.items]

    def chart_len(self, run_id: str, key: str, max_points: int) -> int:
        (history,) = self.store.get_metric_history_sampled([run_id], key, max_points=max_points)
        return len(history)

    def history_objects_len(self, run_id: str, key: str) -> int:
        """The same read, then every point made a Metric object (what MLflow returns)."""
        return len(self.store.get_metric_history(run_id, key).to_list())

    def close(self) -> None:
        self.store.close()


class MlflowSide(Side):
    name = "MLflow"

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        from mlflow.entities import Metric as MlflowMetric  # bench-only dependency
        from mlflow.entities import Param as MlflowParam
        from mlflow.entities import ViewType as MlflowViewType

        self._metric, self._param, self._view = MlflowMetric, MlflowParam, MlflowViewType

    def create_run(self, experiment_id: str, start_time: int, name: str) -> str:
        run = self.store.create_run(experiment_id, "bench", start_time, [], name)
        return str(run.info.run_id)

    def metrics(self, key: str, steps: list[int], stamps: list[int], values: list[float]) -> list:
        cls = self._metric
        return [cls(key, v, t, s) for s, t, v in zip(steps, stamps, values, strict=True)]

    def row(self, values: Sequence[float], params: Sequence[str], stamp: int) -> tuple[list, list]:
        metrics = [self._metric(f"m{i + 1}", v, stamp, 0) for i, v in enumerate(values)]
        return metrics, [self._param(f"p{i + 1}", p) for i, p in enumerate(params)]

    def search_m1(self, experiment_id: str) -> list[float]:
        runs = self.store.search_runs(
            [experiment_id],
            SEARCH_FILTER,
            self._view.ACTIVE_ONLY,
            max_results=SEARCH_MAX_RESULTS,
            order_by=SEARCH_ORDER,
        )
        return [run.data.metrics["m1"] for run in runs]

    def chart_len(self, run_id: str, key: str, max_points: int) -> int:
        # What MLflow's GetMetricHistoryBulkInterval handler calls (start/end step unset): NTILE
        # buckets over the run's rows, first row of each bucket plus the last row, all in SQL.
        return len(
            self.store.get_metric_history_bulk_interval(
                run_ids=[run_id],
                metric_key=key,
                max_results=max_points,
                start_step=None,
                end_step=None,
            )
        )

    def close(self) -> None:
        self.store.engine.dispose()
        type(self.store)._engine_map.pop(self.store.db_uri, None)


def open_mlflow(db_uri: str, artifact_root: str) -> MlflowSide:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # read when mlflow is imported
    try:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore  # bench-only
    except ImportError as exc:
        raise SystemExit(
            "MLflow is not installed; run `make bench` or `pip install -e '.[bench]'`."
        ) from exc
    for name in ("alembic", "mlflow"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return MlflowSide(SqlAlchemyStore(db_uri, artifact_root))


# -- databases ---------------------------------------------------------------------------------


def pg_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1.0):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Databases:
    runstone_url: str
    mlflow_url: str
    analyze_urls: tuple[str, ...] = ()  # PostgreSQL: databases to ANALYZE before re-searching

    def analyze(self) -> None:
        """What autovacuum does on its own after many inserts (it is off on some servers)."""
        for url in self.analyze_urls:
            engine = create_engine(url, isolation_level="AUTOCOMMIT")
            try:
                with engine.connect() as conn:
                    conn.execute(text("ANALYZE"))
            finally:
                engine.dispose()


def pg_setting(name: str) -> str:
    admin = create_engine(PG_ADMIN_URL)
    try:
        with admin.connect() as conn:
            return str(conn.execute(text(f"SHOW {name}")).scalar())
    finally:
        admin.dispose()


@contextlib.contextmanager
def fresh_databases(backend: str, tmp: Path) -> Iterator[Databases]:
    """A new, empty database for each side."""
    if backend == "sqlite":
        yield Databases(f"sqlite:///{tmp / 'runstone.db'}", f"sqlite:///{tmp / 'mlflow.db'}")
        return
    stem = f"rs_bench_{uuid.uuid4().hex[:12]}"
    names = [f"{stem}_runstone", f"{stem}_mlflow"]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        urls = tuple(f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{n}" for n in names)
        yield Databases(urls[0], urls[1], urls)
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the workload ------------------------------------------------------------------------------


@dataclass
class Workload:
    """The data both stores get: one long metric, and the rows of the searched runs."""

    scale: Scale
    base_time: int = field(default_factory=lambda: time.time_ns() // 1_000_000)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.scale.seed)
        self.values = rng.random(self.scale.points)
        self.run_metrics = rng.random((self.scale.runs, N_METRICS)).tolist()
        self.run_params = [
            ["x" if i % 10 == 0 else f"v{i % 97}"]
            + [f"p{j}-{int(rng.integers(0, 50))}" for j in range(2, N_PARAMS + 1)]
            for i in range(self.scale.runs)
        ]

    def batch(self, start: int) -> tuple[list[int], list[int], list[float]]:
        stop = min(start + self.scale.batch, self.scale.points)
        steps = list(range(start, stop))
        return steps, [self.base_time + s for s in steps], self.values[start:stop].tolist()


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def repeat_ms(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float], Any]:
    fn()  # warm-up: caches, statement compilation, connection pool
    samples = []
    result = None
    for _ in range(repeats):
        seconds, result = timed(fn)
        samples.append(seconds * 1000)
    return statistics.median(samples), samples, result


def write_metric(
    side: Side, run_id: str, work: Workload, max_points: int, max_seconds: float
) -> dict[str, Any]:
    """Batches of points into one run until ``max_points`` or ``max_seconds``; only the
    ``log_batch`` calls are timed, not building the entities."""
    spent, written, next_report = 0.0, 0, time.perf_counter() + 10
    while written < max_points and spent < max_seconds:
        steps, stamps, values = work.batch(written)
        batch = side.metrics(METRIC_KEY, steps, stamps, values)
        seconds, _ = timed(lambda b=batch: side.log_batch(run_id, b, []))
        spent += seconds
        written += len(batch)
        if time.perf_counter() > next_report:
            progress(f"  {side.name}: {written:,} points written, {written / spent:,.0f} points/s")
            next_report = time.perf_counter() + 10
    return {"points": written, "seconds": spent, "points_per_s": written / spent}


def read_history(side: Side, run_id: str, expected: int, repeats: int) -> dict[str, Any]:
    samples = []
    for _ in range(repeats):
        seconds, n = timed(lambda: side.history_len(run_id, METRIC_KEY))
        if n != expected:
            raise AssertionError(f"{side.name} read {n} points back, wrote {expected}")
        samples.append(seconds)
    median = statistics.median(samples)
    result = {"points": expected, "seconds": median, "samples_s": samples}
    result["points_per_s"] = expected / median
    if isinstance(side, RunstoneSide):
        seconds, _ = timed(lambda: side.history_objects_len(run_id, METRIC_KEY))
        result["seconds_with_metric_objects"] = seconds
    return result


def chart_read(side: Side, run_id: str, of_points: int, scale: Scale) -> dict[str, Any]:
    median, samples, n = repeat_ms(
        lambda: side.chart_len(run_id, METRIC_KEY, scale.chart_points), scale.repeats
    )
    return {"ms": median, "samples_ms": samples, "points_returned": n, "of_points": of_points}


def populate(side: Side, work: Workload, max_seconds: float) -> dict[str, Any]:
    """One run per row: ``create_run``, then one ``log_batch`` with its params and metrics."""
    experiment_id = side.create_experiment("search-bench")
    start = time.perf_counter()
    done, next_report = 0, start + 15
    for i in range(work.scale.runs):
        if time.perf_counter() - start > max_seconds:
            progress(f"  {side.name}: stopped populating after {max_seconds:.0f} s at {done} runs")
            break
        stamp = work.base_time + i
        run_id = side.create_run(experiment_id, stamp, f"run-{i}")
        metrics, params = side.row(work.run_metrics[i], work.run_params[i], stamp)
        side.log_batch(run_id, metrics, params)
        done += 1
        if time.perf_counter() > next_report:
            elapsed = time.perf_counter() - start
            progress(f"  {side.name}: {done:,}/{work.scale.runs:,} runs ({done / elapsed:,.0f}/s)")
            next_report = time.perf_counter() + 15
    seconds = time.perf_counter() - start
    return {"experiment_id": experiment_id, "runs": done, "seconds": seconds}


def search(side: Side, experiment_id: str, repeats: int) -> dict[str, Any]:
    median, samples, m1 = repeat_ms(lambda: side.search_m1(experiment_id), repeats)
    return {"ms": median, "samples_ms": samples, "results": len(m1), "m1": m1}


# -- one backend -------------------------------------------------------------------------------


def bench_backend(backend: str, scale: Scale) -> dict[str, Any]:
    work = Workload(scale)
    with tempfile.TemporaryDirectory(prefix="rs_bench_") as tmp_name:
        tmp = Path(tmp_name)
        with fresh_databases(backend, tmp) as dbs:
            rs_root = (tmp / "rs-artifacts").as_uri()
            rs = RunstoneSide(SqlStore(dbs.runstone_url, artifact_root=rs_root))
            try:
                mlf = open_mlflow(dbs.mlflow_url, (tmp / "mlflow-artifacts").as_uri())
                try:
                    result = run_workload(backend, rs, mlf, work, dbs)
                finally:
                    mlf.close()
            finally:
                rs.close()
    if backend == "postgresql":
        result["server"] = {
            "version": pg_setting("server_version"),
            "autovacuum": pg_setting("autovacuum"),
        }
    return result


def run_workload(
    backend: str, rs: RunstoneSide, mlf: MlflowSide, work: Workload, dbs: Databases
) -> dict[str, Any]:
    scale = work.scale
    result: dict[str, Any] = {name: {} for name in ("write", "history", "chart", "populate")}
    metric_runs = {}
    for side, points, seconds in (
        (rs, scale.points, float("inf")),
        (mlf, min(scale.mlflow_points, scale.points), scale.mlflow_write_s),
    ):
        progress(f"{backend}: {side.name} writing up to {points:,} points of {METRIC_KEY!r}")
        experiment_id = side.create_experiment("metric-bench")
        run_id = side.create_run(experiment_id, work.base_time, "long-metric")
        metric_runs[side.name] = run_id
        result["write"][side.name] = write_metric(side, run_id, work, points, seconds)
    for side in (rs, mlf):
        written = result["write"][side.name]["points"]
        progress(f"{backend}: {side.name} reading {written:,} points back")
        run_id = metric_runs[side.name]
        result["history"][side.name] = read_history(side, run_id, written, scale.history_repeats)
        progress(f"{backend}: {side.name} chart reads ({scale.repeats} + 1 warm-up)")
        result["chart"][side.name] = chart_read(side, run_id, written, scale)
    searches: dict[str, Any] = {}
    for side, seconds in ((rs, float("inf")), (mlf, scale.mlflow_populate_s)):
        progress(f"{backend}: {side.name} populating {scale.runs:,} runs")
        result["populate"][side.name] = populate(side, work, seconds)
        progress(f"{backend}: {side.name} search_runs ({scale.repeats} + 1 warm-up)")
        experiment_id = result["populate"][side.name]["experiment_id"]
        searches[side.name] = search(side, experiment_id, scale.repeats)
    result["search"] = searches
    if dbs.analyze_urls:
        progress(f"{backend}: ANALYZE both databases, then search_runs again")
        dbs.analyze()
        result["search_analyzed"] = {
            side.name: search(side, result["populate"][side.name]["experiment_id"], scale.repeats)
            for side in (rs, mlf)
        }
    found = [result[k] for k in ("search", "search_analyzed") if k in result]
    same_runs = result["populate"][rs.name]["runs"] == result["populate"][mlf.name]["runs"]
    same_found = all(f[rs.name]["m1"] == f[mlf.name]["m1"] for f in found)
    result["search_results_agree"] = same_runs and same_found
    for per_side in found:
        for figures in per_side.values():
            del figures["m1"]
    result["targets"] = check_targets(result, scale)
    return result


def check_targets(result: dict[str, Any], scale: Scale) -> dict[str, bool]:
    rs = RunstoneSide.name
    return {
        "write": result["write"][rs]["points_per_s"] >= TARGET_WRITE_POINTS_PER_S,
        # The target is for 1M points: scaled runs (--quick) are held to a scaled limit.
        "history": result["history"][rs]["seconds"] < TARGET_HISTORY_S * scale.points / 1_000_000,
        "search": result["search"][rs]["ms"] < TARGET_SEARCH_MS,
        "search_analyzed": "search_analyzed" not in result
        or result["search_analyzed"][rs]["ms"] < TARGET_SEARCH_MS,
        "chart": result["chart"][rs]["ms"] < TARGET_CHART_MS,
    }


# -- the report --------------------------------------------------------------------------------


def table_rows(res: dict[str, Any], scale: Scale) -> list[tuple[str, str, str, str, str]]:
    rs, mlf = RunstoneSide.name, MlflowSide.name
    ok = res["targets"]
    w, h, c, s, p = (res[k] for k in ("write", "history", "chart", "search", "populate"))
    history_limit = TARGET_HISTORY_S * scale.points / 1_000_000
    return [
        (
            "write, log_batch of 1,000 points",
            rate(w[rs]["points_per_s"]),
            f">= {TARGET_WRITE_POINTS_PER_S:,}/s {verdict(ok['write'])}",
            rate(w[mlf]["points_per_s"]),
            ratio(w[rs]["points_per_s"] / w[mlf]["points_per_s"]),
        ),
        ("  points written", f"{w[rs]['points']:,}", "", f"{w[mlf]['points']:,}", ""),
        (
            "history read, all points written (s)",
            f"{h[rs]['seconds']:.3f} s",
            f"< {history_limit:g} s {verdict(ok['history'])}",
            f"{h[mlf]['seconds']:.3f} s",
            "(other N)",
        ),
        (
            "history read rate",
            rate(h[rs]["points_per_s"]),
            "",
            rate(h[mlf]["points_per_s"]),
            ratio(h[rs]["points_per_s"] / h[mlf]["points_per_s"]),
        ),
        (
            "  Runstone incl. Metric objects (info)",
            f"{h[rs]['seconds_with_metric_objects']:.3f} s",
            "",
            "",
            "",
        ),
        (
            f"search_runs median of {scale.repeats} (ms)",
            f"{s[rs]['ms']:.1f} ms",
            f"< {TARGET_SEARCH_MS:g} ms {verdict(ok['search'])}",
            f"{s[mlf]['ms']:.1f} ms",
            ratio(s[mlf]["ms"] / s[rs]["ms"]),
        ),
        *_analyzed_search_row(res, scale),
        (
            "  runs searched / runs found",
            f"{p[rs]['runs']:,} / {s[rs]['results']}",
            "",
            f"{p[mlf]['runs']:,} / {s[mlf]['results']}",
            "",
        ),
        (
            "  populate: create_run + log_batch (info)",
            f"{p[rs]['runs'] / p[rs]['seconds']:,.0f} runs/s",
            "",
            f"{p[mlf]['runs'] / p[mlf]['seconds']:,.0f} runs/s",
            ratio((p[rs]["runs"] / p[rs]["seconds"]) / (p[mlf]["runs"] / p[mlf]["seconds"])),
        ),
        (
            f"chart read, {scale.chart_points:,} pts, median (ms)",
            f"{c[rs]['ms']:.1f} ms",
            f"< {TARGET_CHART_MS:g} ms {verdict(ok['chart'])}",
            f"{c[mlf]['ms']:.1f} ms",
            ratio(c[mlf]["ms"] / c[rs]["ms"]),
        ),
        (
            "  points returned / points in series",
            f"{c[rs]['points_returned']:,} / {c[rs]['of_points']:,}",
            "",
            f"{c[mlf]['points_returned']:,} / {c[mlf]['of_points']:,}",
            "",
        ),
    ]


def _analyzed_search_row(res: dict[str, Any], scale: Scale) -> list[tuple[str, str, str, str, str]]:
    if "search_analyzed" not in res:
        return []
    s = res["search_analyzed"]
    rs, mlf = RunstoneSide.name, MlflowSide.name
    return [
        (
            f"  same, after ANALYZE, median of {scale.repeats} (ms)",
            f"{s[rs]['ms']:.1f} ms",
            f"< {TARGET_SEARCH_MS:g} ms {verdict(res['targets']['search_analyzed'])}",
            f"{s[mlf]['ms']:.1f} ms",
            ratio(s[mlf]["ms"] / s[rs]["ms"]),
        )
    ]


def print_report(report: dict[str, Any]) -> None:
    scale = Scale(**report["scale"])
    header = ("metric", "Runstone", "target (Runstone)", "MLflow", "Runstone better by")
    for backend, res in report["backends"].items():
        print()
        if "skipped" in res:
            print(f"== {backend}: skipped ({res['skipped']})")
            continue
        server = res.get("server")
        about = (
            f" (server {server['version']}, autovacuum {server['autovacuum']})" if server else ""
        )
        print(f"== {backend}{about}")
        rows = [header, *table_rows(res, scale)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        for i, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
            ]
            print("  ".join(cells).rstrip())
            if i == 0:
                print("  ".join("-" * w for w in widths))
        if not res["search_results_agree"]:
            print("  !! the two stores' search results differ (run counts or m1 order)")
    print()
    print(
        f"MLflow {report['mlflow_version']}, Runstone {report['runstone_version']} "
        f"({report['runstone_revision']}); "
        f"whole run {report['seconds']:.0f} s."
    )
    print(
        "History: Runstone returns numpy columns; MLflow a list of Metric objects (the "
        "'incl. Metric objects' row\nmakes Runstone's result the same shape). Chart read: "
        "Runstone get_metric_history_sampled (min/max per\nstep bucket), MLflow "
        "SqlAlchemyStore.get_metric_history_bulk_interval, which its GetMetricHistoryBulkInterval"
        "\nhandler calls (NTILE buckets in SQL, first row of each). MLflow wrote fewer points, "
        "so its history and\nchart reads scan fewer rows: compare history by rate. PostgreSQL "
        "searches run twice: as populated,\nand after an ANALYZE (what autovacuum would do)."
    )


# -- main --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backends",
        default="sqlite,postgresql",
        help="comma-separated: sqlite, postgresql (default: both)",
    )
    parser.add_argument("--quick", action="store_true", help="everything 10x smaller")
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(args.backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backends: {', '.join(sorted(unknown))}")
    return args


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
        "backends": {},
    }
    for backend in args.backends:
        if backend == "postgresql" and not pg_reachable():
            report["backends"][backend] = {"skipped": f"nothing listens on {PG_HOST}:{PG_PORT}"}
            progress(f"{backend}: skipped, nothing listens on {PG_HOST}:{PG_PORT}")
            continue
        report["backends"][backend] = bench_backend(backend, scale)
    report["seconds"] = time.perf_counter() - started
    print_report(report)
    write_results("store_bench", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
