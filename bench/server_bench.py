"""Runstone's tracking server side by side with MLflow's, both driven by the official mlflow client.

Both servers run on this machine, each on a fresh SQLite file, with ``--workers 1``; every
request comes from ``mlflow.MlflowClient(tracking_uri="http://127.0.0.1:<port>")`` (mlflow
3.17.2, the ``bench`` extra). Measured, Runstone and MLflow interleaved round by round:

1. ``log_batch`` of 1,000 points of one metric into one run (points/s);
2. single ``log_metric`` calls (calls/s);
3. ``create_run`` (runs/s);
4. ``search_runs`` with a filter and an order_by over 10,000 runs (median time);
5. ``get_metric_history`` of the 100,000 points that (1) wrote (median time);
6. 8 client processes logging batches at once (total points/s);
7. cold start: from spawning the server to the first 200 on ``GET /health``;
8. idle RSS of the server's process tree (every descendant summed).

Info rows time the same requests for 1, 4 and 5 as raw HTTP (``requests`` with a JSON body,
no mlflow entities), which shows how much of a figure is the client's own work.

Usage: ``python bench/server_bench.py [--quick] [--targets runstone,mlflow] [--workers N]``
(``--workers`` of both servers, default 1). The table goes to stdout, progress to stderr, the
figures to ``bench/results/server_bench-<time>.json`` and each server's output to
``bench/results/server_bench-<time>-<server>.log``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import logging
import multiprocessing
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import requests

from benchlib import (
    RESULTS_DIR,
    ProcessTree,
    progress,
    ratio,
    source_revision,
    timestamp,
    verdict,
    write_results,
)
from runstone.entities import Metric as RsMetric
from runstone.entities import Param as RsParam
from runstone.entities import RunTag as RsRunTag
from runstone.store.sql.store import SqlStore

RS, MLF = "Runstone", "MLflow"
BIN = Path(sys.executable).parent  # the venv that runs the bench has both commands
API = "/api/2.0/mlflow"
HOST = "127.0.0.1"

HISTORY_KEY = "loss"
SINGLE_KEY = "single"
CONCURRENT_KEY = "concurrent"
SEARCH_FILTER = "metrics.m1 > 0.5 and params.p1 = 'x'"
SEARCH_ORDER = ["metrics.m1"]
SEARCH_MAX_RESULTS = 1000
HISTORY_PAGE = 25_000  # the page size mlflow's client asks get-history for
N_PARAMS = N_METRICS = 5
BASE_TIME_MS = 1_700_000_000_000

# The targets of the server issue: Runstone's speed over MLflow's, and Runstone's cold start.
TARGET_LOG_BATCH = 20.0
TARGET_SEARCH = TARGET_HISTORY = 10.0
TARGET_SINGLE = 2.0
TARGET_COLD_START_S = 1.0


@dataclass(frozen=True)
class Scale:
    batch: int = 1_000  # points per log_batch call
    log_batch_rounds: int = 5  # log_batch: rounds, alternating between the servers...
    log_batch_batches: int = 20  # ...of this many batches: 100,000 points, then read back
    raw_batches: int = 10  # raw-HTTP log_batch (info), batches per round
    single_rounds: int = 5
    single_calls: int = 200  # log_metric calls per round
    create_rounds: int = 5
    create_runs: int = 60  # create_run calls per round
    runs: int = 10_000  # runs searched
    search_repeats: int = 7  # timed searches per server (after one warm-up), median reported
    history_repeats: int = 3  # timed history reads per server (after one warm-up)
    workers: int = 8  # concurrent client processes...
    concurrent_rounds: int = 3
    concurrent_batches: int = 3  # ...each logging this many batches per round
    cold_starts: int = 3  # starts on a fresh database per server (the first one then restarted)
    start_timeout_s: float = 120.0
    server_workers: int = 1  # --workers of both servers
    seed: int = 20240601

    def quick(self) -> Scale:
        return replace(
            self,
            log_batch_rounds=3,
            log_batch_batches=4,
            raw_batches=3,
            single_rounds=3,
            single_calls=50,
            create_rounds=3,
            create_runs=20,
            runs=self.runs // 10,
            search_repeats=5,
            history_repeats=3,
            concurrent_rounds=2,
            concurrent_batches=1,
            cold_starts=1,
        )

    @property
    def history_points(self) -> int:
        return self.log_batch_rounds * self.log_batch_batches * self.batch


class ServerFailed(RuntimeError):
    """A server did not start, or died."""


class CheckFailed(AssertionError):
    """A server answered, but not what was written to it."""


# -- the data ----------------------------------------------------------------------------------


@dataclass
class Dataset:
    """Everything the workloads write, generated up front (never inside a timed region)."""

    scale: Scale

    def __post_init__(self) -> None:
        s = self.scale
        rng = np.random.default_rng(s.seed)
        self.names = [f"run-{i:05d}" for i in range(s.runs)]
        self.run_metrics = rng.random((s.runs, N_METRICS))
        self.run_params = [
            ["x" if i % 10 == 0 else f"v{i % 97}"]
            + [f"p{j}-{int(rng.integers(0, 50))}" for j in range(2, N_PARAMS + 1)]
            for i in range(s.runs)
        ]
        self.run_tags = [{"team": f"team-{i % 7}", "cohort": f"c{i % 3}"} for i in range(s.runs)]
        self.history_values = rng.random(s.history_points)
        self.single_values = rng.random(s.single_rounds * s.single_calls).tolist()

    def expected_search(self) -> list[str]:
        """The names ``search_runs(SEARCH_FILTER, order_by=SEARCH_ORDER)`` must return."""
        m1 = self.run_metrics[:, 0]
        hits = [i for i in range(self.scale.runs) if self.run_params[i][0] == "x" and m1[i] > 0.5]
        hits.sort(key=lambda i: m1[i])
        return [self.names[i] for i in hits[:SEARCH_MAX_RESULTS]]


# -- populating the searched runs (not timed) --------------------------------------------------


def populate_runstone(db: Path, experiment_id: str, artifact_location: str, data: Dataset) -> None:
    """Through Runstone's own SqlStore on the server's file (WAL: the server keeps running)."""
    del artifact_location  # runs take it from their experiment
    store = SqlStore(f"sqlite:///{db}")
    try:
        for i, name in enumerate(data.names):
            tags = [RsRunTag(k, v) for k, v in data.run_tags[i].items()]
            run = store.create_run(experiment_id, "bench", BASE_TIME_MS + i, tags, name)
            metrics = [
                RsMetric(f"m{j + 1}", float(v), BASE_TIME_MS + i, 0)
                for j, v in enumerate(data.run_metrics[i])
            ]
            params = [RsParam(f"p{j + 1}", p) for j, p in enumerate(data.run_params[i])]
            store.log_batch(run.info.run_id, metrics, params, [])
    finally:
        store.close()


def populate_mlflow(db: Path, experiment_id: str, artifact_location: str, data: Dataset) -> None:
    """Rows written straight into MLflow's tables, laid out as its SQL store writes them.

    MLflow's server manages 30-60 create_run/s here (each commit is a rollback-journal fsync)
    and each run needs a log_batch too, so 10,000 runs through it would take five minutes or
    more; what is searched is the same either way, and the bench checks that both servers
    return exactly the expected runs in the expected order.
    """
    runs, tags, params, metrics = [], [], [], []
    for i, name in enumerate(data.names):
        run_id = uuid.uuid4().hex
        stamp = BASE_TIME_MS + i
        runs.append(
            (
                run_id,
                name,
                "UNKNOWN",
                "",
                "",
                "bench",
                "RUNNING",
                stamp,
                None,
                "",
                "active",
                f"{artifact_location}/{run_id}/artifacts",
                int(experiment_id),
                None,
            )
        )
        tags.append(("mlflow.runName", name, run_id))
        tags += [(k, v, run_id) for k, v in data.run_tags[i].items()]
        params += [(f"p{j + 1}", p, run_id) for j, p in enumerate(data.run_params[i])]
        metrics += [
            (f"m{j + 1}", float(v), stamp, run_id, 0, 0) for j, v in enumerate(data.run_metrics[i])
        ]
    conn = sqlite3.connect(db, timeout=60)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
                "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
                "artifact_uri, experiment_id, deleted_time) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                runs,
            )
            conn.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", tags)
            conn.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", params)
            conn.executemany(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                metrics,
            )
            conn.executemany(
                "INSERT INTO latest_metrics (key, value, timestamp, run_uuid, step, is_nan) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                metrics,
            )
    finally:
        conn.close()


# -- the servers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One server under test: how to start it on a folder and port, and how to fill its file."""

    name: str
    db_file: str
    command: Callable[[Path, int, int], list[str]]  # (folder, port, workers) -> argv
    populate: Callable[[Path, str, str, Dataset], None]
    probe: list[str] = field(default_factory=list)  # must exit 0 for the target to be measured


def runstone_command(folder: Path, port: int, workers: int) -> list[str]:
    return [
        str(BIN / "runstone"),
        "server",
        "--backend-store-uri",
        f"sqlite:///{folder / 'runstone.db'}",
        "--artifacts-destination",
        str(folder / "artifacts"),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def mlflow_command(folder: Path, port: int, workers: int) -> list[str]:
    return [
        str(BIN / "mlflow"),
        "server",
        "--backend-store-uri",
        f"sqlite:///{folder / 'mlflow.db'}",
        "--default-artifact-root",
        str(folder / "artifacts"),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


TARGETS = {
    "runstone": Target(
        RS,
        "runstone.db",
        runstone_command,
        populate_runstone,
        [str(BIN / "runstone"), "server", "--help"],
    ),
    "mlflow": Target(
        MLF, "mlflow.db", mlflow_command, populate_mlflow, [str(BIN / "mlflow"), "--version"]
    ),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def health_status(port: int) -> int | None:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


class Server(ProcessTree):
    """One server process (and its descendants) on a folder; started and stopped on demand."""

    def __init__(self, target: Target, folder: Path, env: dict[str, str], scale: Scale) -> None:
        self.target, self.folder, self.env = target, folder, env
        self.timeout, self.workers = scale.start_timeout_s, scale.server_workers
        self.log_path = folder / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.spawned_at = 0.0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def db(self) -> Path:
        return self.folder / self.target.db_file

    def start(self) -> float:
        """Spawn the server; seconds from spawning until ``GET /health`` answers 200."""
        self.spawn()
        return self.wait_healthy()

    def spawn(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        argv = self.target.command(self.folder, self.port, self.workers)
        with self.log_path.open("ab") as log:
            log.write(f"\n### {' '.join(argv)}\n".encode())
            log.flush()
            self.spawned_at = time.perf_counter()
            self.proc = subprocess.Popen(
                argv,
                cwd=self.folder,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: nothing it leaves can escape
            )

    def wait_healthy(self) -> float:
        """Poll ``GET /health`` every 5 ms; seconds from spawning until it answers 200."""
        assert self.proc is not None
        last = None
        while True:
            code = self.proc.poll()
            if code is not None:
                raise ServerFailed(
                    f"{self.target.name} exited with status {code} before GET /health "
                    f"answered; its output ends:\n{self.log_tail()}"
                )
            last = health_status(self.port)
            if last == 200:
                return time.perf_counter() - self.spawned_at
            if time.perf_counter() - self.spawned_at > self.timeout:
                self.stop()
                raise ServerFailed(
                    f"{self.target.name}: no 200 on GET /health after {self.timeout:g} s "
                    f"(last status {last}); its output ends:\n{self.log_tail()}"
                )
            time.sleep(0.005)

    def wait_idle(self, max_s: float = 90.0, window_s: float = 1.0) -> float:
        """Wait until the process tree uses under 5% of a core over ``window_s`` (it may still be
        starting helpers after /health answers); seconds from spawning until then."""
        deadline = time.perf_counter() + max_s
        before = self.cpu_s()
        while time.perf_counter() < deadline:
            time.sleep(window_s)
            now = self.cpu_s()
            if now - before < 0.05 * window_s:
                break
            before = now
        return time.perf_counter() - self.spawned_at

    def memory(self) -> dict[str, Any]:
        """RSS and USS summed over the process and all its descendants."""
        rss = uss = 0
        commands = []
        for proc in self.tree():
            try:
                info = proc.memory_full_info()
                commands.append(" ".join(proc.cmdline())[:160])
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            rss += info.rss
            uss += info.uss
        return {
            "rss_mib": rss / 2**20,
            "uss_mib": uss / 2**20,
            "processes": len(commands),
            "commands": commands,
        }

    def stop(self, grace_s: float = 15.0) -> dict[str, Any]:
        """SIGTERM to the server process; SIGKILL to its process group if the process is still
        there after ``grace_s``, or any descendant 5 s after the process exited.

        Records how long the main process took to exit and which descendants outlived it
        (both servers should take their workers down with them).
        """
        if self.proc is None:
            return {}
        proc, tree = self.proc, self.tree()
        started = time.perf_counter()
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
            exit_s: float | None = time.perf_counter() - started
        except subprocess.TimeoutExpired:
            exit_s = None
        _, alive = psutil.wait_procs(tree[1:], timeout=5 if exit_s is not None else 0.1)
        left = []
        for child in alive:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                left.append(" ".join(child.cmdline())[:160])
        if exit_s is None or alive:  # the group spawn() created still has members: ours
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            psutil.wait_procs(alive, timeout=5)
        self.proc = None
        return {"exit_s": exit_s, "killed": exit_s is None, "left_running": left}


ACCESS_LINE = re.compile(r'"(GET|POST|PUT|PATCH|DELETE|HEAD) ([^ ?"]+)[^"]*" (\d{3})')


def scan_log(path: Path) -> dict[str, Any]:
    """Non-2xx answers (from access-log lines) and tracebacks in a server's output."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return {}
    statuses: Counter[str] = Counter()
    for method, route, status in ACCESS_LINE.findall(text):
        if not status.startswith("2"):
            statuses[f"{status} {method} {route}"] += 1
    return {
        "non_2xx": dict(statuses.most_common()),
        "tracebacks": text.count("Traceback (most recent call last)"),
        "error_lines": sum(1 for line in text.splitlines() if " ERROR" in line),
    }


# -- the client side ---------------------------------------------------------------------------


def describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 1500 else text[:1500] + " …"


class Side:
    """One running server, the official client pointed at it, and what the workloads made there."""

    def __init__(self, server: Server, mlflow: Any) -> None:
        self.server = server
        self.name = server.target.name
        self.mlflow = mlflow
        self.client = mlflow.MlflowClient(tracking_uri=server.url)
        self.http = requests.Session()
        self.ids: dict[str, Any] = {}
        self.samples: dict[str, list[dict[str, Any]]] = {}
        self.errors: dict[str, str] = {}
        self.history_points = 0  # points the log_batch workload got into the history run

    def post(self, path: str, body: bytes) -> Any:
        resp = self.http.post(
            self.server.url + API + path, data=body, headers={"Content-Type": "application/json"}
        )
        return self._json(resp, f"POST {API}{path}", body)

    def get(self, path: str, params: dict[str, Any]) -> Any:
        resp = self.http.get(self.server.url + API + path, params=params)
        return self._json(resp, f"GET {API}{path}", repr(params).encode())

    @staticmethod
    def _json(resp: requests.Response, what: str, body: bytes) -> Any:
        if resp.status_code != 200:
            raise CheckFailed(
                f"{what} answered {resp.status_code}: {resp.text[:500]!r} "
                f"(request body starts {body[:300]!r})"
            )
        return resp.json()


def timed_block(side: Side, fn: Callable[[], Any]) -> tuple[dict[str, float], Any]:
    """Wall time of ``fn()``, and the client's and the server's CPU time spent meanwhile."""
    server_cpu = side.server.cpu_s()
    client_cpu = time.process_time()
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    client_cpu = time.process_time() - client_cpu
    server_cpu = side.server.cpu_s() - server_cpu
    return {"seconds": seconds, "client_cpu_s": client_cpu, "server_cpu_s": server_cpu}, out


def step(what: str, fn: Callable[[], Any]) -> Any:
    """``fn()``, with ``what`` it was named in the exception if it fails."""
    try:
        return fn()
    except Exception as exc:
        raise CheckFailed(f"{what}: {describe(exc)}") from exc


def setup(side: Side, data: Dataset) -> None:
    """Experiments and runs the workloads use, the fluent-API check, the 10,000 searched runs."""
    client, scale = side.client, data.scale
    exp = step(
        "MlflowClient.create_experiment('server-bench')",
        lambda: client.create_experiment("server-bench"),
    )
    side.ids["create_experiment"] = step(
        "MlflowClient.create_experiment('server-bench-create-run')",
        lambda: client.create_experiment("server-bench-create-run"),
    )
    names = ["history-run", "raw-run", "single-run"] + [f"worker-{k}" for k in range(scale.workers)]
    run_ids = [
        step(
            f"MlflowClient.create_run({exp!r}, run_name={name!r})",
            lambda n=name: client.create_run(exp, run_name=n).info.run_id,
        )
        for name in names
    ]
    side.ids["history_run"], side.ids["raw_run"], side.ids["single_run"] = run_ids[:3]
    side.ids["worker_runs"] = run_ids[3:]
    fluent_check(side)
    search_exp = step(
        f"MlflowClient.create_experiment('search-{scale.runs}')",
        lambda: client.create_experiment(f"search-{scale.runs}"),
    )
    side.ids["search_experiment"] = search_exp
    location = step(
        f"MlflowClient.get_experiment({search_exp!r})",
        lambda: client.get_experiment(search_exp).artifact_location,
    )
    populate = side.server.target.populate
    seconds, _ = timed(
        lambda: step(
            f"populating {side.server.db.name}",
            lambda: populate(side.server.db, search_exp, location, data),
        )
    )
    side.ids["populate_s"] = seconds


def fluent_check(side: Side) -> None:
    """The fluent API once end to end (not timed); a failure is reported, not fatal."""
    mlflow = side.mlflow
    try:
        with contextlib.redirect_stdout(sys.stderr):  # mlflow prints "View run ..." links
            mlflow.set_tracking_uri(side.server.url)
            mlflow.set_experiment("server-bench-fluent")
            with mlflow.start_run(run_name="fluent") as active:
                mlflow.log_param("alpha", "0.5")
                mlflow.log_params({"beta": "2", "gamma": "x"})
                mlflow.log_metric("acc", 0.75, step=3)
                mlflow.log_metrics({"loss": 0.25, "lr": 0.01}, step=4)
                mlflow.set_tag("team", "bench")
                mlflow.set_tags({"cohort": "c1"})
        run = side.client.get_run(active.info.run_id)
        want = {"alpha": "0.5", "beta": "2", "gamma": "x"}
        problems = []
        if run.data.params != want:
            problems.append(f"params {run.data.params} != {want}")
        if run.data.metrics != {"acc": 0.75, "loss": 0.25, "lr": 0.01}:
            problems.append(f"metrics {run.data.metrics}")
        if run.data.tags.get("team") != "bench" or run.data.tags.get("cohort") != "c1":
            problems.append(f"tags {run.data.tags}")
        if run.info.status != "FINISHED" or not run.info.end_time:
            problems.append(f"status {run.info.status}, end_time {run.info.end_time}")
        if problems:
            raise CheckFailed("fluent run read back wrong: " + "; ".join(problems))
    except Exception as exc:
        side.errors["fluent check"] = describe(exc)
        progress(f"  {side.name}: fluent check failed: {describe(exc)}")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


# -- the workloads: one round (or repetition) on one side --------------------------------------


def round_log_batch(side: Side, data: Dataset, r: int) -> dict[str, Any]:
    from mlflow.entities import Metric  # bench-only dependency, imported after the env is set

    s = data.scale
    first = r * s.log_batch_batches * s.batch
    batches = []
    for b in range(s.log_batch_batches):
        steps = range(first + b * s.batch, first + (b + 1) * s.batch)
        batches.append(
            [Metric(HISTORY_KEY, float(data.history_values[i]), BASE_TIME_MS + i, i) for i in steps]
        )
    run_id, log_batch = side.ids["history_run"], side.client.log_batch

    def work() -> None:
        for batch in batches:
            log_batch(run_id, metrics=batch)
            side.history_points += len(batch)

    figures, _ = timed_block(side, work)
    points = s.log_batch_batches * s.batch
    return figures | {"count": points, "rate": points / figures["seconds"]}


def round_raw_log_batch(side: Side, data: Dataset, r: int) -> dict[str, Any]:
    s = data.scale
    run_id = side.ids["raw_run"]
    first = r * s.raw_batches * s.batch
    bodies = []
    for b in range(s.raw_batches):
        steps = range(first + b * s.batch, first + (b + 1) * s.batch)
        metrics = [
            {
                "key": HISTORY_KEY,
                "value": float(data.history_values[i % len(data.history_values)]),
                "timestamp": BASE_TIME_MS + i,
                "step": i,
            }
            for i in steps
        ]
        bodies.append(json.dumps({"run_id": run_id, "metrics": metrics}).encode())

    def work() -> None:
        for body in bodies:
            side.post("/runs/log-batch", body)

    figures, _ = timed_block(side, work)
    points = s.raw_batches * s.batch
    return figures | {"count": points, "rate": points / figures["seconds"]}


def round_log_metric(side: Side, data: Dataset, r: int) -> dict[str, Any]:
    s = data.scale
    run_id, log_metric = side.ids["single_run"], side.client.log_metric
    first = r * s.single_calls
    values = data.single_values[first : first + s.single_calls]
    latencies = [0.0] * s.single_calls
    clock = time.perf_counter

    def work() -> None:
        for i, value in enumerate(values):
            t0 = clock()
            log_metric(run_id, SINGLE_KEY, value, step=first + i)
            latencies[i] = clock() - t0

    figures, _ = timed_block(side, work)
    return figures | {
        "count": s.single_calls,
        "rate": s.single_calls / figures["seconds"],
        "median_ms": statistics.median(latencies) * 1000,
    }


def round_create_run(side: Side, data: Dataset, r: int) -> dict[str, Any]:
    s = data.scale
    exp, create_run = side.ids["create_experiment"], side.client.create_run
    latencies = [0.0] * s.create_runs
    clock = time.perf_counter

    def work() -> None:
        for i in range(s.create_runs):
            t0 = clock()
            create_run(exp, run_name=f"cr-{r}-{i}")
            latencies[i] = clock() - t0

    figures, _ = timed_block(side, work)
    return figures | {
        "count": s.create_runs,
        "rate": s.create_runs / figures["seconds"],
        "median_ms": statistics.median(latencies) * 1000,
    }


def check_names(side: Side, got: list[str], want: list[str]) -> None:
    if got != want:
        diff = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
        raise CheckFailed(
            f"search_runs({SEARCH_FILTER!r}, order_by={SEARCH_ORDER}) on {side.name} returned "
            f"{len(got)} runs, expected {len(want)}; first difference at index {diff}: "
            f"{got[diff] if diff is not None else '-'} vs {want[diff] if diff is not None else '-'}"
        )


def search_once(side: Side, want: list[str]) -> dict[str, Any]:
    from mlflow.entities import ViewType  # bench-only dependency

    exp = side.ids["search_experiment"]
    figures, runs = timed_block(
        side,
        lambda: side.client.search_runs(
            [exp], SEARCH_FILTER, ViewType.ACTIVE_ONLY, SEARCH_MAX_RESULTS, SEARCH_ORDER
        ),
    )
    check_names(side, [run.info.run_name for run in runs], want)
    return figures | {"count": len(runs)}


def raw_search_once(side: Side, want: list[str]) -> dict[str, Any]:
    body = json.dumps(
        {
            "experiment_ids": [side.ids["search_experiment"]],
            "filter": SEARCH_FILTER,
            "run_view_type": "ACTIVE_ONLY",
            "max_results": SEARCH_MAX_RESULTS,
            "order_by": SEARCH_ORDER,
        }
    ).encode()
    figures, answer = timed_block(side, lambda: side.post("/runs/search", body))
    check_names(side, [run["info"]["run_name"] for run in answer.get("runs", [])], want)
    return figures | {"count": len(answer.get("runs", []))}


def history_once(side: Side, data: Dataset, check: bool) -> dict[str, Any]:
    run_id = side.ids["history_run"]
    figures, points = timed_block(side, lambda: side.client.get_metric_history(run_id, HISTORY_KEY))
    if check:
        steps = np.array([m.step for m in points])
        values = np.array([m.value for m in points])
        check_history(side, steps, values, data)
    return figures | {"count": len(points)}


def raw_history(side: Side, run_id: str, key: str) -> list[dict[str, Any]]:
    """Every page of get-history, as mlflow's client asks for it (25,000 points a page)."""
    points: list[dict[str, Any]] = []
    token = None
    while True:
        params: dict[str, Any] = {"run_id": run_id, "metric_key": key}
        params["max_results"] = HISTORY_PAGE
        if token:
            params["page_token"] = token
        answer = side.get("/metrics/get-history", params)
        points += answer.get("metrics", [])
        token = answer.get("next_page_token")
        if not token:
            return points


def raw_history_once(side: Side, data: Dataset, check: bool) -> dict[str, Any]:
    run_id = side.ids["history_run"]
    figures, points = timed_block(side, lambda: raw_history(side, run_id, HISTORY_KEY))
    if check:
        steps = np.array([int(p.get("step", 0)) for p in points])
        values = np.array([float(p["value"]) for p in points])
        check_history(side, steps, values, data)
    return figures | {"count": len(points)}


def check_history(side: Side, steps: np.ndarray, values: np.ndarray, data: Dataset) -> None:
    n = side.history_points
    if len(steps) != n:
        raise CheckFailed(f"get_metric_history on {side.name}: {len(steps)} points, wrote {n}")
    order = np.argsort(steps, kind="stable")
    steps, values = steps[order], values[order]
    if not np.array_equal(steps, np.arange(n)):
        raise CheckFailed(f"get_metric_history on {side.name}: steps are not 0..{n - 1}")
    if not np.allclose(values, data.history_values[:n], rtol=1e-12, atol=0):
        bad = int(np.sum(~np.isclose(values, data.history_values[:n], rtol=1e-12, atol=0)))
        raise CheckFailed(f"get_metric_history on {side.name}: {bad} values differ")


# -- concurrent clients: a pool of processes that import mlflow once ---------------------------

_WORKER: dict[str, Any] = {}  # in each worker process: the barrier every round waits on


def _worker_init(barrier: Any) -> None:
    _WORKER["barrier"] = barrier
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    import mlflow  # noqa: F401  # the slow part, done once per worker process


def _worker_round(task: tuple[str, str, int, int, int, int, float]) -> dict[str, Any]:
    """One worker's share of a round: build its batches, wait for everyone, log them."""
    url, run_id, worker, first_step, batches, batch, timeout = task
    error = None
    try:
        import mlflow
        from mlflow.entities import Metric

        client = mlflow.MlflowClient(tracking_uri=url)
        values = np.random.default_rng(worker * 1_000_003 + first_step).random(batches * batch)
        payload = [
            [
                Metric(CONCURRENT_KEY, float(values[b * batch + j]), BASE_TIME_MS + s, s)
                for j, s in enumerate(range(first_step + b * batch, first_step + (b + 1) * batch))
            ]
            for b in range(batches)
        ]
    except Exception as exc:
        error = describe(exc)
    _WORKER["barrier"].wait(timeout)
    start = time.monotonic()
    points = 0
    if error is None:
        try:
            for metrics in payload:
                client.log_batch(run_id, metrics=metrics)
                points += len(metrics)
        except Exception as exc:
            error = describe(exc)
    return {
        "worker": worker,
        "points": points,
        "start": start,
        "end": time.monotonic(),
        "error": error,
    }


class WorkerPool:
    """``workers`` spawned processes that stay up across rounds and servers."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Pool | None = None
        self._barrier: Any = None

    def run(self, tasks: list[tuple[str, str, int, int, int, int, float]]) -> tuple[float, list]:
        """Run one task per worker, all released at once; wall seconds from release to the end."""
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._barrier = ctx.Barrier(self.workers + 1)
            self._pool = ctx.Pool(self.workers, _worker_init, (self._barrier,))
        timeout = tasks[0][-1]
        pending = self._pool.map_async(_worker_round, tasks, chunksize=1)
        try:
            self._barrier.wait(timeout)
        except Exception:
            self.close()
            raise
        released = time.monotonic()
        results = pending.get(timeout)
        return max(r["end"] for r in results) - released, results

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def round_concurrent(side: Side, data: Dataset, r: int, pool: WorkerPool) -> dict[str, Any]:
    s = data.scale
    per_worker = s.concurrent_batches * s.batch
    tasks = [
        (side.server.url, run_id, k, r * per_worker, s.concurrent_batches, s.batch, 600.0)
        for k, run_id in enumerate(side.ids["worker_runs"])
    ]
    server_cpu = side.server.cpu_s()
    wall, results = pool.run(tasks)
    server_cpu = side.server.cpu_s() - server_cpu
    errors = [f"worker {x['worker']}: {x['error']}" for x in results if x["error"]]
    points = sum(x["points"] for x in results)
    side.ids.setdefault("worker_points", [0] * s.workers)
    for x in results:
        side.ids["worker_points"][x["worker"]] += x["points"]
    if errors:
        raise CheckFailed(f"{len(errors)} of {len(results)} workers failed; " + errors[0])
    return {"seconds": wall, "server_cpu_s": server_cpu, "count": points, "rate": points / wall}


def count_runs(side: Side, experiment_id: str) -> int:
    """Runs in an experiment, paging through runs/search."""
    count, token = 0, None
    while True:
        request: dict[str, Any] = {"experiment_ids": [experiment_id], "max_results": 1000}
        if token:
            request["page_token"] = token
        answer = side.post("/runs/search", json.dumps(request).encode())
        count += len(answer.get("runs", []))
        token = answer.get("next_page_token")
        if not token:
            return count


def check_writes(side: Side) -> None:
    """Everything the write workloads had acknowledged must read back (not timed)."""

    def done(workload: str) -> int | None:
        if workload in side.errors:
            return None
        return sum(x["count"] for x in side.samples.get(workload, []))

    checks: list[tuple[str, int | None, Callable[[], int], str]] = [
        (
            "log_metric",
            done("log_metric"),
            lambda: len(raw_history(side, side.ids["single_run"], SINGLE_KEY)),
            f"points of {SINGLE_KEY!r} in the log_metric run",
        ),
        (
            "raw_log_batch",
            done("raw_log_batch"),
            lambda: len(raw_history(side, side.ids["raw_run"], HISTORY_KEY)),
            f"points of {HISTORY_KEY!r} in the raw log-batch run",
        ),
        (
            "create_run",
            done("create_run"),
            lambda: count_runs(side, side.ids["create_experiment"]),
            "runs in the create_run experiment",
        ),
    ]
    acknowledged = side.ids.get("worker_points", [])
    for k, run_id in enumerate(side.ids["worker_runs"]):
        want = None if "concurrent" in side.errors or not acknowledged else acknowledged[k]
        checks.append(
            (
                "concurrent",
                want,
                lambda r=run_id: len(raw_history(side, r, CONCURRENT_KEY)),
                f"points of {CONCURRENT_KEY!r} in worker {k}'s run",
            )
        )
    for workload, want, read, what in checks:
        if want is None or f"{workload} check" in side.errors:
            continue
        try:
            got = read()
        except Exception as exc:
            side.errors[f"{workload} check"] = describe(exc)
            continue
        if got != want:
            side.errors[f"{workload} check"] = f"{got} {what}, {want} were acknowledged"
        if f"{workload} check" in side.errors:
            progress(f"  {side.name}: {workload} check: {side.errors[f'{workload} check']}")


# -- orchestration -----------------------------------------------------------------------------


def interleaved(
    sides: list[Side], workload: str, rounds: int, fn: Callable[[Side, int], dict[str, Any]]
) -> None:
    """``rounds`` rounds of ``fn`` on every side, the order alternating from round to round."""
    for r in range(rounds):
        order = sides if r % 2 == 0 else sides[::-1]
        for side in order:
            if workload in side.errors:
                continue
            try:
                side.samples.setdefault(workload, []).append(fn(side, r))
            except Exception as exc:
                side.errors[workload] = describe(exc)
                progress(f"  {side.name}: {workload} failed: {describe(exc)}")
    for side in sides:
        samples = side.samples.get(workload, [])
        if samples and workload not in side.errors:
            progress(f"  {side.name}: {summary_line(samples)}")


def summary_line(samples: list[dict[str, Any]]) -> str:
    n = len(samples)
    if "rate" in samples[0]:
        return f"median {statistics.median(x['rate'] for x in samples):,.1f}/s of {n} rounds"
    return f"median {statistics.median(x['seconds'] for x in samples) * 1000:,.1f} ms of {n}"


def warm_then_repeat(
    sides: list[Side],
    workload: str,
    repeats: int,
    once: Callable[[Side, bool], dict[str, Any]],
) -> None:
    """One checked warm-up call per side (not reported), then ``repeats`` interleaved ones."""
    for side in sides:
        if workload in side.errors:
            continue
        try:
            once(side, True)
        except Exception as exc:
            side.errors[workload] = describe(exc)
            progress(f"  {side.name}: {workload} failed: {describe(exc)}")
    interleaved(sides, workload, repeats, lambda side, _r: once(side, False))


def throughput_phase(
    targets: list[Target], data: Dataset, env: dict[str, str], tmp: Path, mlflow: Any, stamp: str
) -> dict[str, Any]:
    s = data.scale
    out: dict[str, Any] = {}
    sides: list[Side] = []
    servers: list[Server] = []
    pool = WorkerPool(s.workers)
    try:
        # All servers are spawned first: one is populated while the others still start.
        progress("starting " + ", ".join(t.name for t in targets) + " on fresh files")
        for target in targets:
            server = Server(target, tmp / "throughput" / target.name.lower(), env, s)
            server.spawn()
            servers.append(server)
        for server in servers:
            entry: dict[str, Any] = out.setdefault(server.target.name, {})
            try:
                entry["start_s"] = server.wait_healthy()
            except ServerFailed as exc:
                entry["error"] = describe(exc)
                progress(f"  {describe(exc)}")
                continue
            side = Side(server, mlflow)
            progress(f"{server.target.name}: setup, populating {s.runs:,} runs")
            try:
                setup(side, data)
            except Exception as exc:
                entry["error"] = f"setup failed: {describe(exc)}"
                entry["errors"] = side.errors
                progress(f"  {entry['error']}")
                continue
            progress(f"  populated in {side.ids['populate_s']:.1f} s")
            sides.append(side)
        for side in sides:  # nothing may still be starting up while the clocks run
            out[side.name]["idle_after_s"] = side.server.wait_idle()
            out[side.name]["idle_memory"] = side.server.memory()
        want = data.expected_search()
        progress(f"log_batch: {s.log_batch_rounds} x {s.log_batch_batches} batches of {s.batch:,}")
        interleaved(
            sides, "log_batch", s.log_batch_rounds, lambda x, r: round_log_batch(x, data, r)
        )
        progress(f"raw HTTP log-batch (info): {s.log_batch_rounds} x {s.raw_batches} batches")
        interleaved(
            sides, "raw_log_batch", s.log_batch_rounds, lambda x, r: round_raw_log_batch(x, data, r)
        )
        progress(f"log_metric: {s.single_rounds} x {s.single_calls} calls")
        interleaved(sides, "log_metric", s.single_rounds, lambda x, r: round_log_metric(x, data, r))
        progress(f"create_run: {s.create_rounds} x {s.create_runs} runs")
        interleaved(sides, "create_run", s.create_rounds, lambda x, r: round_create_run(x, data, r))
        progress(f"search_runs over {s.runs:,} runs ({len(want)} match): {s.search_repeats} each")
        warm_then_repeat(sides, "search", s.search_repeats, lambda x, _c: search_once(x, want))
        progress("raw HTTP runs/search (info)")
        warm_then_repeat(
            sides, "raw_search", s.search_repeats, lambda x, _c: raw_search_once(x, want)
        )
        progress(f"get_metric_history of {s.history_points:,} points: {s.history_repeats} each")
        warm_then_repeat(sides, "history", s.history_repeats, lambda x, c: history_once(x, data, c))
        progress("raw HTTP metrics/get-history (info)")
        warm_then_repeat(
            sides, "raw_history", s.history_repeats, lambda x, c: raw_history_once(x, data, c)
        )
        progress(
            f"{s.workers} concurrent client processes: {s.concurrent_rounds} rounds of "
            f"{s.concurrent_batches} batches each"
        )
        interleaved(
            sides,
            "concurrent",
            s.concurrent_rounds,
            lambda x, r: round_concurrent(x, data, r, pool),
        )
        progress("checking that every acknowledged write reads back")
        for side in sides:
            check_writes(side)
    finally:
        pool.close()
        for side in sides:
            out[side.name] |= {
                "memory_after": side.server.memory(),
                "samples": side.samples,
                "errors": side.errors,
                "history_points": side.history_points,
                "populate_s": side.ids.get("populate_s"),
            }
        for server in servers:
            entry = out[server.target.name]
            entry["stop"] = server.stop()
            kept = RESULTS_DIR / f"server_bench-{stamp}-{server.target.name.lower()}.log"
            with contextlib.suppress(OSError):
                RESULTS_DIR.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(server.log_path, kept)
                entry["log"] = str(kept)
            entry["log_scan"] = scan_log(server.log_path)
    return out


def cold_start_phase(
    targets: list[Target], scale: Scale, env: dict[str, str], tmp: Path
) -> dict[str, Any]:
    """Start on a fresh file, wait until idle, read the RSS, stop; the first time also start
    again on the same file and stop."""
    out: dict[str, Any] = {
        t.name: {"fresh_s": [], "idle_after_s": [], "restart_s": [], "idle": [], "stops": []}
        for t in targets
    }
    for rep in range(scale.cold_starts):
        for target in targets if rep % 2 == 0 else targets[::-1]:
            entry = out[target.name]
            if "error" in entry:
                continue
            server = Server(target, tmp / "cold" / f"{target.name.lower()}-{rep}", env, scale)
            try:
                fresh = server.start()
                settled = server.wait_idle()
                idle = server.memory()
                entry["stops"].append(server.stop())
                if rep == 0:  # a restart on the same file, once (info)
                    entry["restart_s"].append(server.start())
                    entry["stops"].append(server.stop())
            except ServerFailed as exc:
                entry["error"] = describe(exc)
                progress(f"  {describe(exc)}")
                server.stop()
                continue
            entry["fresh_s"].append(fresh)
            entry["idle_after_s"].append(settled)
            entry["idle"].append(idle)
            again = f", restart {entry['restart_s'][0]:.2f} s" if rep == 0 else ""
            progress(
                f"  {target.name}: fresh start {fresh:.2f} s (idle after {settled:.1f} s)"
                f"{again}, idle RSS {idle['rss_mib']:,.0f} MiB in {idle['processes']} processes"
            )
    return out


# -- the report --------------------------------------------------------------------------------


def median_of(samples: list[dict[str, Any]], key: str) -> float | None:
    values = [x[key] for x in samples if key in x]
    return statistics.median(values) if values else None


def _rate(x: float | None, unit: str) -> str:
    return "n/a" if x is None else f"{x:,.0f} {unit}" if x >= 100 else f"{x:,.1f} {unit}"


def _ms(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 1000:,.1f} ms" if x < 10 else f"{x:,.2f} s"


def _mib(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f} MiB"


def table_rows(report: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    res, s = report["result"], Scale(**report["scale"])
    tp, cold = res["throughput"], res["cold_start"]

    def samples(name: str, workload: str) -> list[dict[str, Any]]:
        entry = tp.get(name, {})
        if workload in entry.get("errors", {}):
            return []
        return entry.get("samples", {}).get(workload, [])

    def speed(label: str, workload: str, unit: str, target: float | None) -> tuple:
        rs, mlf = (
            median_of(samples(RS, workload), "rate"),
            median_of(samples(MLF, workload), "rate"),
        )
        better = rs / mlf if rs and mlf else None
        goal = (
            ""
            if target is None
            else f">= {target:g}x" + (f" {verdict(better >= target)}" if better is not None else "")
        )
        return (label, _rate(rs, unit), _rate(mlf, unit), fmt_ratio(better), goal)

    def latency(label: str, workload: str, target: float | None) -> tuple:
        rs = median_of(samples(RS, workload), "seconds")
        mlf = median_of(samples(MLF, workload), "seconds")
        better = mlf / rs if rs and mlf else None
        goal = (
            ""
            if target is None
            else f">= {target:g}x" + (f" {verdict(better >= target)}" if better is not None else "")
        )
        return (label, _ms(rs), _ms(mlf), fmt_ratio(better), goal)

    def call_ms(label: str, workload: str) -> tuple:
        rs = median_of(samples(RS, workload), "median_ms")
        mlf = median_of(samples(MLF, workload), "median_ms")
        cells = ["n/a" if x is None else f"{x:,.2f} ms" for x in (rs, mlf)]
        return (label, *cells, fmt_ratio(mlf / rs if rs and mlf else None), "")

    def cold_row(label: str, key: str, with_target: bool) -> tuple:
        rs = statistics.median(cold[RS][key]) if cold.get(RS, {}).get(key) else None
        mlf = statistics.median(cold[MLF][key]) if cold.get(MLF, {}).get(key) else None
        goal = ""
        if with_target:
            goal = f"< {TARGET_COLD_START_S:g} s" + (
                f" {verdict(rs < TARGET_COLD_START_S)}" if rs is not None else ""
            )
        return (label, _ms(rs), _ms(mlf), fmt_ratio(mlf / rs if rs and mlf else None), goal)

    def memory_row(label: str, values: dict[str, dict[str, Any] | None], key: str) -> tuple:
        rs, mlf = values.get(RS), values.get(MLF)
        a = rs[key] if rs else None
        b = mlf[key] if mlf else None
        cell_rs = _mib(a) + (f" ({rs['processes']} proc)" if rs else "")
        cell_mlf = _mib(b) + (f" ({mlf['processes']} proc)" if mlf else "")
        return (label, cell_rs, cell_mlf, f"{b / a:,.1f}x" if a and b else "n/a", "")

    def idle_median(name: str) -> dict[str, Any] | None:
        idle = cold.get(name, {}).get("idle") or []
        if not idle:
            return None
        return {
            "rss_mib": statistics.median(x["rss_mib"] for x in idle),
            "uss_mib": statistics.median(x["uss_mib"] for x in idle),
            "processes": idle[0]["processes"],
        }

    idle = {RS: idle_median(RS), MLF: idle_median(MLF)}
    after = {name: tp.get(name, {}).get("memory_after") for name in (RS, MLF)}
    b = f"{s.batch:,}"
    return [
        speed(f"log_batch ({b} points/call)", "log_batch", "pts/s", TARGET_LOG_BATCH),
        speed("  raw HTTP, same JSON (info)", "raw_log_batch", "pts/s", None),
        speed("log_metric, single calls", "log_metric", "calls/s", TARGET_SINGLE),
        call_ms("  median call (info)", "log_metric"),
        speed("create_run", "create_run", "runs/s", TARGET_SINGLE),
        call_ms("  median call (info)", "create_run"),
        latency(f"search_runs over {s.runs:,} runs", "search", TARGET_SEARCH),
        latency("  raw HTTP (info)", "raw_search", None),
        latency(f"get_metric_history, {s.history_points:,} points", "history", TARGET_HISTORY),
        latency("  raw HTTP, same pages (info)", "raw_history", None),
        speed(f"{s.workers} concurrent clients, log_batch", "concurrent", "pts/s", None),
        cold_row("cold start to /health 200 (fresh DB)", "fresh_s", True),
        cold_row("  until the process tree is idle (info)", "idle_after_s", False),
        cold_row("  restart on the same DB (info)", "restart_s", False),
        memory_row("idle RSS, process tree", idle, "rss_mib"),
        memory_row("  idle USS (info)", idle, "uss_mib"),
        memory_row("  RSS after the workloads (info)", after, "rss_mib"),
    ]


def fmt_ratio(x: float | None) -> str:
    return "n/a" if x is None else ratio(x)


PER_POINT = ("log_batch", "concurrent")  # CPU per point; the other workloads per call
PER_REQUEST = ("search", "history")  # one call of these is one figure


def per_unit(x: dict[str, Any], key: str, workload: str) -> float:
    """A sample's ``key`` (seconds) per point or call."""
    return float(x[key]) / (1 if workload in PER_REQUEST else x["count"])


def cpu_rows(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Server and client CPU per point or call (medians of the rounds), and the ceiling: the
    ratio Runstone would reach if its server took no time at all, i.e. MLflow's wall time over
    the client's own CPU time for the same work (the smaller of the two sides' figures)."""
    tp = report["result"]["throughput"]
    rows = []
    for workload in ("log_batch", "log_metric", "create_run", "search", "history", "concurrent"):
        cells, client_min = [], None
        for name in (RS, MLF):
            samples = tp.get(name, {}).get("samples", {}).get(workload, [])
            if not samples or workload in tp.get(name, {}).get("errors", {}):
                cells.append("n/a")
                continue
            server = statistics.median(per_unit(x, "server_cpu_s", workload) for x in samples)
            text = f"server {server * 1e6:,.1f}"
            if "client_cpu_s" in samples[0]:
                client = statistics.median(per_unit(x, "client_cpu_s", workload) for x in samples)
                text += f", client {client * 1e6:,.1f}"
                client_min = client if client_min is None else min(client, client_min)
            cells.append(f"{text} µs/{'point' if workload in PER_POINT else 'call'}")
        mlf = tp.get(MLF, {}).get("samples", {}).get(workload, [])
        ceiling = "n/a"
        if mlf and client_min:
            wall = statistics.median(per_unit(x, "seconds", workload) for x in mlf)
            ceiling = f"{wall / client_min:,.1f}x"
        rows.append((workload, cells[0], cells[1], ceiling))
    return rows


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    rows = [tuple(header), *[tuple(r) for r in rows]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def print_report(report: dict[str, Any]) -> None:
    res = report["result"]
    print()
    workers = report["scale"]["server_workers"]
    print(
        f"== runstone server vs mlflow server, SQLite, --workers {workers}, official mlflow client"
    )
    print_table(("metric", "Runstone", "MLflow", "ratio", "target"), table_rows(report))
    print()
    print("CPU time per point / call (medians of rounds; info):")
    print_table(("workload", "Runstone", "MLflow", "ceiling"), cpu_rows(report))
    print(
        "ceiling: the ratio a server taking no time at all would reach through this client "
        "(MLflow's time / the client's CPU time)."
    )
    print()
    problems = []
    for name in (RS, MLF):
        tp = res["throughput"].get(name, {})
        cold = res["cold_start"].get(name, {})
        if name in res.get("skipped", {}):
            problems.append(f"{name}: not measured: {res['skipped'][name]}")
            continue
        for where, message in [("start", tp.get("error")), ("cold start", cold.get("error"))]:
            if message:
                problems.append(f"{name} {where}: {message}")
        for workload, message in tp.get("errors", {}).items():
            problems.append(f"{name} {workload}: {message}")
        stops = [tp.get("stop", {}), *cold.get("stops", [])]
        left = Counter(c for stop in stops for c in stop.get("left_running", []))
        if left:
            problems.append(
                f"{name}: {sum(left.values())} descendant process(es) outlived SIGTERM to the "
                f"server process in {sum(1 for x in stops if x.get('left_running'))} of "
                f"{len(stops)} stops (the bench killed them): "
                + "; ".join(f"{n}x {c}" for c, n in left.most_common(3))
            )
        if any(stop.get("killed") for stop in stops):
            problems.append(f"{name}: did not exit within 15 s of SIGTERM (SIGKILLed)")
        scan = tp.get("log_scan", {})
        if scan.get("tracebacks") or any(k.startswith("5") for k in scan.get("non_2xx", {})):
            problems.append(f"{name} server log: {scan} (see {tp.get('log')})")
        elif scan.get("non_2xx"):
            print(f"{name} answered non-2xx (expected ones included): {scan['non_2xx']}")
    for line in problems:
        print(f"!! {line}")
    print(
        f"\nmlflow {report['mlflow_version']} client for both; Runstone "
        f"{report['runstone_version']} ({report['runstone_revision']}); Python "
        f"{report['python']}, {report['cpus']} CPUs; whole run {report['seconds']:.0f} s; "
        f"load average {report['load_average_before'][0]:.1f} before, "
        f"{report['load_average_after'][0]:.1f} after (1 min)."
    )
    print(
        "ratio: Runstone's speed over MLflow's (rates: Runstone/MLflow; times, RSS: "
        "MLflow/Runstone), so > 1 favours Runstone.\nRates are medians of rounds that alternate "
        "between the servers; times are medians of repetitions after a warm-up.\nPopulated runs "
        "and the 8 workers' imports are outside every clock; each server's CPU is its whole "
        "process tree."
    )


# -- main --------------------------------------------------------------------------------------


def clean_environment() -> dict[str, str]:
    """Drop every MLFLOW_* / RUNSTONE_* variable; return the servers' environment."""
    for key in list(os.environ):
        if key.startswith(("MLFLOW_", "RUNSTONE_")):
            del os.environ[key]
    server_env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", PYTHONUNBUFFERED="1")
    # The client: no telemetry, and a failed request is reported at once rather than retried
    # with backoff for minutes (mlflow retries 5xx and 429 seven times by default).
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "300"
    return server_env


def available(target: Target, env: dict[str, str]) -> str | None:
    """None if the target's command works, else why not."""
    try:
        done = subprocess.run(
            target.probe, env=env, capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return describe(exc)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip()[-300:]
        return f"`{' '.join(target.probe)}` exited {done.returncode}: {said}"
    return None


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller workload, for a smoke run")
    parser.add_argument(
        "--workers", type=int, default=1, help="--workers of both servers (default 1)"
    )
    parser.add_argument(
        "--targets",
        default="runstone,mlflow",
        help="comma-separated servers to measure, of: runstone, mlflow (default both)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    scale = replace(Scale().quick() if args.quick else Scale(), server_workers=args.workers)
    names = [n.strip().lower() for n in args.targets.split(",") if n.strip()]
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        raise SystemExit(f"unknown target(s) {unknown}; choose from {sorted(TARGETS)}")
    env = clean_environment()
    try:
        import mlflow  # bench-only dependency; imported once the environment is clean
    except ImportError as exc:
        raise SystemExit(
            "MLflow is not installed; run `make bench` or `pip install -e '.[bench,server]'`."
        ) from exc
    for logger in ("mlflow", "alembic", "urllib3"):
        logging.getLogger(logger).setLevel(logging.WARNING)

    started = time.perf_counter()
    stamp = timestamp()
    report: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "scale": asdict(scale),
        "runstone_version": package_version("runstone"),
        "runstone_revision": source_revision(),
        "mlflow_version": package_version("mlflow"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "backend": "sqlite",
        "client_env": {k: v for k, v in os.environ.items() if k.startswith("MLFLOW_")},
    }
    targets, skipped = [], {}
    for name in names:
        target = TARGETS[name]
        why = available(target, env)
        if why is None:
            targets.append(target)
        else:
            skipped[target.name] = why
            progress(f"{target.name}: skipped: {why}")
    data = Dataset(scale)
    with tempfile.TemporaryDirectory(prefix="rs_server_bench_") as tmp:
        result: dict[str, Any] = {"skipped": skipped}
        result["throughput"] = throughput_phase(targets, data, env, Path(tmp), mlflow, stamp)
        progress(f"cold starts: {scale.cold_starts} per server, fresh DB then restart")
        result["cold_start"] = cold_start_phase(targets, scale, env, Path(tmp))
    report["result"] = result
    report["seconds"] = time.perf_counter() - started
    report["load_average_after"] = os.getloadavg()
    print_report(report)
    write_results("server_bench", report, stamp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
