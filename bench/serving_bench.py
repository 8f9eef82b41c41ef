"""The model scoring server: ``runstone models serve`` beside ``mlflow models serve``.

One logistic-regression model (scikit-learn, trained on the iris data set, saved once with
``mlflow.sklearn.save_model`` in cloudpickle format with a signature) is served from the same
directory by both commands, on this machine, with the same worker count (default 1):

    runstone models serve -m DIR -h 127.0.0.1 -p P -w 1 -t 60 --env-manager local
    mlflow models serve   -m DIR -h 127.0.0.1 -p P -w 1 -t 60 --env-manager local

Before anything is timed, both servers must answer the one-row request and a 30-row request
with the predictions the model gives in this process. Then, Runstone and MLflow interleaved
round by round (both servers running all along):

1. one client, one keep-alive connection (``http.client``): one-row ``dataframe_split``
   requests to ``POST /invocations`` one after the other; p50 and p99 latency and requests/s;
2. 8 client processes, each with its own keep-alive connection, sending the same request as
   fast as answers come for a fixed time; total successful requests/s and errors;
3. cold start: from spawning the command to the first 200 on ``GET /ping`` (polled every
   10 ms), median of 3 starts per server, alternating;
4. (info) RSS of the server's process tree after a start and its peak (VmHWM) after the load,
   server and client CPU per request.

Usage: ``python bench/serving_bench.py [--quick] [--workers N] [--clients N]
[--targets runstone,mlflow]``. The table goes to stdout, progress to stderr, the figures to
``bench/results/serving_bench-<time>.json`` and each server's output to
``bench/results/serving_bench-<time>-<server>.log``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import psutil

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
from server_bench import BIN, HOST, MLF, RS, describe, free_port, print_table, scan_log

REQUEST_TIMEOUT_S = 60  # the servers' -t, and the client's socket timeout
CHECK_ROWS = 30

# The targets of the models issue: Runstone's speed over MLflow's, and Runstone's cold start.
TARGET_RATIO = 5.0
TARGET_COLD_START_S = 1.5


@dataclass(frozen=True)
class Scale:
    rounds: int = 3  # interleaved rounds per server, for each load
    sequential_requests: int = 1_000  # per round
    warmup_requests: int = 50  # per round and connection, untimed
    clients: int = 8
    concurrent_s: float = 10.0  # per round
    cold_starts: int = 3
    workers: int = 1
    start_timeout_s: float = 120.0

    def quick(self) -> Scale:
        return replace(self, rounds=2, sequential_requests=200, concurrent_s=3.0, cold_starts=1)


class ServerFailed(RuntimeError):
    """A server did not start, or stopped answering."""


class CheckFailed(AssertionError):
    """A server answered something other than the model's predictions."""


# -- the model ---------------------------------------------------------------------------------


@dataclass
class Model:
    path: Path
    columns: list[str]
    one_row: bytes  # the timed request body
    check_body: bytes  # CHECK_ROWS rows, to compare predictions
    expected_one: list[Any]
    expected_check: list[Any]


def save_model(folder: Path, serialization_format: str) -> Model:
    """Train a logistic regression on iris and save it once with mlflow (both servers serve
    this directory)."""
    import mlflow.sklearn  # bench-only dependency
    from mlflow.models import infer_signature
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    features, labels = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=1000).fit(features, labels)
    path = folder / "model"
    mlflow.sklearn.save_model(
        model,
        str(path),
        serialization_format=serialization_format,
        signature=infer_signature(features, model.predict(features)),
        pip_requirements=[f"scikit-learn=={version('scikit-learn')}"],
    )
    columns = [str(c) for c in features.columns]
    one = features.iloc[[0]]
    check = features.iloc[:: len(features) // CHECK_ROWS][:CHECK_ROWS]

    def body(frame: Any) -> bytes:
        split = {"columns": columns, "data": frame.to_numpy().tolist()}
        return json.dumps({"dataframe_split": split}).encode()

    return Model(
        path=path,
        columns=columns,
        one_row=body(one),
        check_body=body(check),
        expected_one=model.predict(one).tolist(),
        expected_check=model.predict(check).tolist(),
    )


# -- the servers -------------------------------------------------------------------------------


def runstone_command(model: Path, port: int, workers: int) -> list[str]:
    return [
        str(BIN / "runstone"),
        *("models", "serve", "-m", str(model), "-h", HOST, "-p", str(port)),
        *("-w", str(workers), "-t", str(REQUEST_TIMEOUT_S), "--env-manager", "local"),
    ]


def mlflow_command(model: Path, port: int, workers: int) -> list[str]:
    return [
        str(BIN / "mlflow"),
        *("models", "serve", "-m", str(model), "-h", HOST, "-p", str(port)),
        *("-w", str(workers), "-t", str(REQUEST_TIMEOUT_S), "--env-manager", "local"),
    ]


COMMANDS: dict[str, Callable[[Path, int, int], list[str]]] = {
    RS: runstone_command,
    MLF: mlflow_command,
}
PROBES = {RS: ["runstone", "models", "serve", "--help"], MLF: ["mlflow", "models", "--help"]}


def ping_status(port: int) -> int | None:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", "/ping")
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


class Server(ProcessTree):
    """One scoring-server command (and its descendants), started and stopped on demand."""

    def __init__(
        self, name: str, model: Path, env: dict[str, str], scale: Scale, log_path: Path
    ) -> None:
        self.name, self.model, self.env, self.log_path = name, model, env, log_path
        self.workers, self.timeout = scale.workers, scale.start_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self) -> float:
        """Spawn the command; seconds from spawning until ``GET /ping`` answers 200 (polled
        every 10 ms)."""
        self.port = free_port()
        argv = COMMANDS[self.name](self.model, self.port, self.workers)
        with self.log_path.open("ab") as log:
            log.write(f"\n### {' '.join(argv)}\n".encode())
            log.flush()
            spawned = time.perf_counter()
            self.proc = subprocess.Popen(
                argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as a whole
            )
        last = None
        while True:
            code = self.proc.poll()
            if code is not None:
                self.proc = None
                raise ServerFailed(
                    f"{self.name} exited with status {code} before GET /ping answered; "
                    f"its output ends:\n{self.log_tail()}"
                )
            last = ping_status(self.port)
            if last == 200:
                return time.perf_counter() - spawned
            if time.perf_counter() - spawned > self.timeout:
                self.stop()
                raise ServerFailed(
                    f"{self.name}: no 200 on GET /ping after {self.timeout:g} s (last status "
                    f"{last}); its output ends:\n{self.log_tail()}"
                )
            time.sleep(0.01)

    def memory(self) -> dict[str, Any]:
        """RSS now and peak RSS (Linux VmHWM) summed over the tree, and each process's."""
        rss = peak = 0
        processes = []
        for proc in self.tree():
            try:
                now = proc.memory_info().rss
                cmd = " ".join(proc.cmdline())[:160]
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            hwm = _vm_hwm(proc.pid) or now
            rss, peak = rss + now, peak + hwm
            processes.append({"cmd": cmd, "rss_mib": now / 2**20, "peak_mib": hwm / 2**20})
        return {"rss_mib": rss / 2**20, "peak_mib": peak / 2**20, "processes": processes}

    def stop(self, grace_s: float = 15.0) -> dict[str, Any]:
        """SIGTERM to the process group; SIGKILL to it if the server has not exited after
        ``grace_s`` or descendants are left 5 s after."""
        if self.proc is None:
            return {}
        proc, tree = self.proc, self.tree()
        started = time.perf_counter()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
            exit_s: float | None = time.perf_counter() - started
        except subprocess.TimeoutExpired:
            exit_s = None
        _, alive = psutil.wait_procs(tree[1:], timeout=5 if exit_s is not None else 0.1)
        if exit_s is None or alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        self.proc = None
        return {"exit_s": exit_s, "killed": exit_s is None or bool(alive)}


def _vm_hwm(pid: int) -> int | None:
    """Peak resident set size of a process in bytes (Linux), or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


# -- the client --------------------------------------------------------------------------------


class Client:
    """One keep-alive connection posting one pre-encoded body to /invocations."""

    HEADERS: ClassVar[dict[str, str]] = {"Content-Type": "application/json"}

    def __init__(self, port: int, body: bytes) -> None:
        self.body = body
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)

    def invoke(self) -> tuple[int, bytes]:
        """Status and body; (0, error text) when the connection failed (it is reopened on
        the next call)."""
        try:
            self.conn.request("POST", "/invocations", self.body, self.HEADERS)
            resp = self.conn.getresponse()
            return resp.status, resp.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            return 0, describe(exc).encode()

    def close(self) -> None:
        self.conn.close()


def predictions(name: str, status: int, answer: bytes, what: str) -> list[Any]:
    if status != 200:
        raise CheckFailed(f"{name}: {what} answered {status}: {answer[:500]!r}")
    try:
        found = json.loads(answer)["predictions"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckFailed(f"{name}: {what} answered {answer[:500]!r}: {describe(exc)}") from exc
    if not isinstance(found, list):
        raise CheckFailed(f"{name}: {what}: predictions is not a list: {answer[:500]!r}")
    return found


def check_server(server: Server, model: Model) -> bytes:
    """Both requests must give the model's own predictions; returns the one-row answer's bytes
    (every timed answer must equal them)."""
    client = Client(server.port, model.check_body)
    got = predictions(server.name, *client.invoke(), f"the {CHECK_ROWS}-row request")
    if got != model.expected_check:
        raise CheckFailed(
            f"{server.name}: {CHECK_ROWS}-row predictions {got} differ from the model's "
            f"{model.expected_check}"
        )
    client.close()
    client = Client(server.port, model.one_row)
    status, answer = client.invoke()
    client.close()
    got = predictions(server.name, status, answer, "the one-row request")
    if got != model.expected_one:
        raise CheckFailed(
            f"{server.name}: one-row predictions {got} differ from the model's {model.expected_one}"
        )
    return answer


def percentiles_ms(latencies_ns: Sequence[int]) -> dict[str, float | None]:
    if not latencies_ns:
        return {"p50_ms": None, "p99_ms": None, "mean_ms": None}
    values = np.asarray(latencies_ns, dtype=np.float64) / 1e6
    return {
        "p50_ms": float(np.percentile(values, 50)),
        "p99_ms": float(np.percentile(values, 99)),
        "mean_ms": float(values.mean()),
    }


def sequential_round(server: Server, body: bytes, expected: bytes, scale: Scale) -> dict:
    """``scale.sequential_requests`` requests one after the other on one connection."""
    client = Client(server.port, body)
    for _ in range(scale.warmup_requests):
        client.invoke()
    latencies, errors, first_error = [], 0, None
    cpu_before, clock = server.cpu_s(), time.perf_counter_ns
    started = clock()
    for _ in range(scale.sequential_requests):
        t0 = clock()
        status, answer = client.invoke()
        latencies.append(clock() - t0)
        if status != 200 or answer != expected:
            errors += 1
            first_error = first_error or f"{status}: {answer[:300]!r}"
    seconds = (clock() - started) / 1e9
    server_cpu = server.cpu_s() - cpu_before
    client.close()
    ok = scale.sequential_requests - errors
    return {
        "requests": scale.sequential_requests,
        "errors": errors,
        "first_error": first_error,
        "seconds": seconds,
        "rps": ok / seconds,
        **percentiles_ms(latencies),
        "server_cpu_ms_per_request": 1000 * server_cpu / max(ok, 1),
        "latencies_ms": [round(x / 1e6, 4) for x in latencies],
    }


def _client_process(
    port: int, body: bytes, expected: bytes, seconds: float, warmup: int, barrier: Any, out: Any
) -> None:
    """One of the concurrent clients: warm its connection, wait for the others, then send
    requests for ``seconds``; puts its counts, CPU time and latencies on ``out``."""
    client = Client(port, body)
    for _ in range(warmup):
        client.invoke()
    barrier.wait()
    clock = time.perf_counter_ns
    cpu_before, started = time.process_time(), clock()
    deadline = started + int(seconds * 1e9)
    latencies, ok, errors, first_error = [], 0, 0, None
    while (t0 := clock()) < deadline:
        status, answer = client.invoke()
        latencies.append(clock() - t0)
        if status == 200 and answer == expected:
            ok += 1
        else:
            errors += 1
            first_error = first_error or f"{status}: {answer[:300]!r}"
    out.put(
        {
            "ok": ok,
            "errors": errors,
            "first_error": first_error,
            "seconds": (clock() - started) / 1e9,
            "cpu_s": time.process_time() - cpu_before,
            "latencies_ns": latencies,
        }
    )
    client.close()


def concurrent_round(server: Server, body: bytes, expected: bytes, scale: Scale) -> dict:
    """``scale.clients`` processes, released together, for ``scale.concurrent_s`` seconds."""
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(scale.clients + 1), ctx.Queue()
    args = (server.port, body, expected, scale.concurrent_s, scale.warmup_requests, barrier, out)
    workers = [ctx.Process(target=_client_process, args=args) for _ in range(scale.clients)]
    for worker in workers:
        worker.start()
    try:
        barrier.wait(timeout=120)
    except Exception as exc:  # threading.BrokenBarrierError: a client died while warming up
        for worker in workers:
            worker.kill()
        raise ServerFailed(f"{server.name}: the client processes did not get ready") from exc
    cpu_before, started = server.cpu_s(), time.perf_counter()
    results = [out.get(timeout=scale.concurrent_s + REQUEST_TIMEOUT_S + 30) for _ in workers]
    wall = time.perf_counter() - started
    server_cpu = server.cpu_s() - cpu_before
    for worker in workers:
        worker.join(timeout=10)
    ok = sum(r["ok"] for r in results)
    seconds = max(r["seconds"] for r in results)
    latencies = [x for r in results for x in r["latencies_ns"]]
    return {
        "clients": scale.clients,
        "ok": ok,
        "errors": sum(r["errors"] for r in results),
        "first_error": next((r["first_error"] for r in results if r["first_error"]), None),
        "seconds": seconds,
        "rps": ok / seconds,
        **percentiles_ms(latencies),
        "server_cpu_cores": server_cpu / wall,
        "server_cpu_ms_per_request": 1000 * server_cpu / max(ok, 1),
        "client_cpu_cores": sum(r["cpu_s"] for r in results) / wall,
        "per_client_ok": [r["ok"] for r in results],
    }


# -- the phases --------------------------------------------------------------------------------


def load_phase(
    names: list[str], model: Model, env: dict[str, str], scale: Scale, stamp: str
) -> dict[str, Any]:
    """Start every server, check its predictions, then the interleaved rounds."""
    result: dict[str, Any] = {name: {} for name in names}
    servers: dict[str, Server] = {}
    try:
        for name in names:
            log = RESULTS_DIR / f"serving_bench-{stamp}-{name.lower()}.log"
            server = Server(name, model.path, env, scale, log)
            result[name]["log"] = str(log)
            progress(f"{name}: starting `{' '.join(COMMANDS[name](model.path, 0, scale.workers))}`")
            try:
                result[name]["first_start_s"] = server.start()
            except ServerFailed as exc:
                result[name]["error"] = str(exc)
                progress(f"!! {exc}")
                continue
            result[name]["idle_memory"] = server.memory()
            try:
                result[name]["answer"] = check_server(server, model).decode()
            except CheckFailed as exc:
                result[name]["error"] = str(exc)
                progress(f"!! {exc}")
                server.stop()
                continue
            progress(
                f"{name}: up in {result[name]['first_start_s']:.2f} s, predictions match the model"
            )
            servers[name] = server
        live = [n for n in names if n in servers]
        loads: list[tuple[str, Callable[..., dict]]] = [
            ("sequential", sequential_round),
            ("concurrent", concurrent_round),
        ]
        for load, fn in loads:
            for name in live:
                result[name][load] = []
            for r in range(scale.rounds):
                # ABBA order, so that neither server always goes first
                for name in live if r % 2 == 0 else live[::-1]:
                    server = servers[name]
                    expected = result[name]["answer"].encode()
                    sample = fn(server, model.one_row, expected, scale)
                    result[name][load].append(sample)
                    progress(
                        f"{load} round {r + 1}/{scale.rounds}, {name}: {sample['rps']:,.0f} req/s, "
                        f"p50 {sample['p50_ms']:.2f} ms, p99 {sample['p99_ms']:.2f} ms, "
                        f"{sample['errors']} errors"
                    )
        for name in live:
            result[name]["loaded_memory"] = servers[name].memory()
    finally:
        for name, server in servers.items():
            result[name]["stop"] = server.stop()
            result[name]["log_scan"] = scan_log(server.log_path)
    return result


def cold_start_phase(
    names: list[str], model: Model, env: dict[str, str], scale: Scale, stamp: str
) -> dict[str, Any]:
    """``scale.cold_starts`` starts per server, alternating; each stopped after its first 200."""
    result: dict[str, Any] = {name: {"seconds": [], "rss_mib": []} for name in names}
    for i in range(scale.cold_starts):
        for name in names if i % 2 == 0 else names[::-1]:
            log = RESULTS_DIR / f"serving_bench-{stamp}-{name.lower()}.log"
            server = Server(name, model.path, env, scale, log)
            try:
                seconds = server.start()
                result[name]["rss_mib"].append(server.memory()["rss_mib"])
            except ServerFailed as exc:
                result[name]["error"] = str(exc)
                continue
            finally:
                server.stop()
            result[name]["seconds"].append(seconds)
            progress(f"cold start {i + 1}/{scale.cold_starts}, {name}: {seconds:.2f} s")
    for entry in result.values():
        entry["median_s"] = float(np.median(entry["seconds"])) if entry["seconds"] else None
    return result


# -- the report --------------------------------------------------------------------------------


def _median(samples: list[dict[str, Any]] | None, key: str) -> float | None:
    values = [s[key] for s in samples or [] if s.get(key) is not None]
    return float(np.median(values)) if values else None


def _pooled(samples: list[dict[str, Any]] | None) -> dict[str, float | None]:
    """p50/p99 over every sequential request of every round (the rounds are the same load)."""
    latencies = [x for s in samples or [] for x in s["latencies_ms"]]
    return percentiles_ms([int(x * 1e6) for x in latencies])


def summarize(result: dict[str, Any], names: list[str]) -> dict[str, dict[str, Any]]:
    summary: dict[str, dict[str, Any]] = {}
    for name in names:
        load = result["load"].get(name, {})
        seq, conc = load.get("sequential"), load.get("concurrent")
        cold = result["cold_start"].get(name, {})
        summary[name] = {
            **_pooled(seq),
            "seq_rps": _median(seq, "rps"),
            "seq_errors": sum(s["errors"] for s in seq or []),
            "conc_rps": _median(conc, "rps"),
            "conc_p50_ms": _median(conc, "p50_ms"),
            "conc_p99_ms": _median(conc, "p99_ms"),
            "conc_errors": sum(s["errors"] for s in conc or []),
            "cold_s": cold.get("median_s"),
            "first_start_s": load.get("first_start_s"),
            "idle_rss_mib": (load.get("idle_memory") or {}).get("rss_mib"),
            "peak_rss_mib": (load.get("loaded_memory") or {}).get("peak_mib"),
            "seq_server_cpu_ms": _median(seq, "server_cpu_ms_per_request"),
            "conc_server_cpu_ms": _median(conc, "server_cpu_ms_per_request"),
            "conc_server_cores": _median(conc, "server_cpu_cores"),
            "conc_client_cores": _median(conc, "client_cpu_cores"),
        }
    return summary


# (label, summary key, number format, how the sides compare, target): "rate" compares
# Runstone / MLflow, "time" MLflow / Runstone (both > 1 favour Runstone), "" not at all.
RowSpec = tuple[str, str, str, str, str]


def row_specs(clients: int) -> list[RowSpec]:
    ms, cores = "{:.2f} ms", "{:.2f}"
    return [
        ("/invocations p50, 1 client, one row", "p50_ms", ms, "time", "ratio"),
        ("/invocations p99, 1 client, one row", "p99_ms", ms, "time", ""),
        ("requests/s, 1 client (keep-alive)", "seq_rps", "{:,.0f}/s", "rate", "ratio"),
        (f"requests/s, {clients} client processes", "conc_rps", "{:,.0f}/s", "rate", "ratio"),
        (f"  p50 with {clients} clients (info)", "conc_p50_ms", ms, "time", ""),
        (f"  p99 with {clients} clients (info)", "conc_p99_ms", ms, "time", ""),
        ("  failed or wrong answers, 1 client", "seq_errors", "{:,d}", "", ""),
        (f"  failed or wrong answers, {clients} clients", "conc_errors", "{:,d}", "", ""),
        ("cold start, spawn to first 200 on /ping", "cold_s", "{:.2f} s", "time", "cold"),
        ("  first start of this run (info)", "first_start_s", "{:.2f} s", "time", ""),
        ("RSS after start, process tree (info)", "idle_rss_mib", "{:,.0f} MiB", "time", ""),
        ("peak RSS after the loads (VmHWM, info)", "peak_rss_mib", "{:,.0f} MiB", "time", ""),
        ("server CPU per request, 1 client (info)", "seq_server_cpu_ms", ms, "time", ""),
        (f"server CPU per request, {clients} clients (info)", "conc_server_cpu_ms", ms, "time", ""),
        (f"server CPU, {clients} clients (cores, info)", "conc_server_cores", cores, "", ""),
        (f"client CPU, {clients} clients (cores, info)", "conc_client_cores", cores, "", ""),
    ]


def table_rows(summary: dict[str, dict[str, Any]], clients: int) -> list[tuple[str, ...]]:
    rs, mlf = summary.get(RS, {}), summary.get(MLF, {})
    rows = []
    for label, key, fmt, compare, target in row_specs(clients):
        a, b = rs.get(key), mlf.get(key)
        better = None
        if compare and a and b:
            better = a / b if compare == "rate" else b / a
        target_cell = ""
        if target == "ratio":
            met = None if better is None else better >= TARGET_RATIO
            target_cell = f">= {TARGET_RATIO:g}x " + ("n/a" if met is None else verdict(met))
        elif target == "cold":
            met = None if a is None else a < TARGET_COLD_START_S
            target_cell = f"< {TARGET_COLD_START_S:g} s " + ("n/a" if met is None else verdict(met))
        rows.append(
            (
                label,
                "n/a" if a is None else fmt.format(a),
                "n/a" if b is None else fmt.format(b),
                "" if better is None else ratio(better),
                target_cell,
            )
        )
    return rows


def print_report(report: dict[str, Any]) -> None:
    res, scale = report["result"], report["scale"]
    print()
    print(
        f"== runstone models serve vs mlflow models serve: logistic regression (iris, "
        f"{report['serialization_format']}), -w {scale['workers']}, one-row dataframe_split"
    )
    print_table(
        ("metric", RS, MLF, "Runstone better by", "target"),
        table_rows(res["summary"], scale["clients"]),
    )
    print()
    for name in report["targets"]:
        load = res["load"].get(name, {})
        cold = res["cold_start"].get(name, {})
        for where, message in [("start", load.get("error")), ("cold start", cold.get("error"))]:
            if message:
                print(f"!! {name} {where}: {message}")
        for load_name in ("sequential", "concurrent"):
            for sample in load.get(load_name, []):
                if sample.get("first_error"):
                    first = sample["first_error"]
                    print(f"!! {name} {load_name}: {sample['errors']} bad answers; first: {first}")
                    break
        scan = load.get("log_scan") or {}
        if scan.get("tracebacks") or any(str(k).startswith("5") for k in scan.get("non_2xx", {})):
            print(f"!! {name} server log: {scan} (see {load.get('log')})")
        if (load.get("stop") or {}).get("killed"):
            print(f"!! {name}: did not stop within 15 s of SIGTERM (killed)")
    answers = {n: res["load"].get(n, {}).get("answer") for n in report["targets"]}
    if all(answers.values()) and len(set(answers.values())) > 1:
        listed = ", ".join(f"{n} {a!r}" for n, a in answers.items())
        print(f"one-row answers (same predictions, different bytes): {listed}")
    print(
        f"mlflow {report['mlflow_version']}, scikit-learn {report['sklearn_version']}; Runstone "
        f"{report['runstone_version']} ({report['runstone_revision']}); Python "
        f"{report['python']}, {report['cpus']} CPUs; whole run {report['seconds']:.0f} s; "
        f"load average {report['load_average_before'][0]:.2f} before, "
        f"{report['load_average_after'][0]:.2f} after (1 min)."
    )
    print(
        f"1 client: {scale['rounds']} rounds x {scale['sequential_requests']:,} requests per "
        f"server, p50/p99 over all of them, req/s the median round; {scale['clients']} clients: "
        f"{scale['rounds']} rounds x {scale['concurrent_s']:g} s, median round; rounds alternate "
        f"between the servers (ABBA). Cold start: median of {scale['cold_starts']} per server.\n"
        "Better by: Runstone's rate / MLflow's, or MLflow's time / Runstone's; > 1 favours "
        "Runstone. Memory and CPU cover each command's whole process tree."
    )


# -- main --------------------------------------------------------------------------------------


def server_environment() -> dict[str, str]:
    """This environment without MLFLOW_* / RUNSTONE_* variables, telemetry off, and this venv's
    bin first on PATH (``mlflow models serve`` runs ``uvicorn`` by name)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "RUNSTONE_"))}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["PYTHONUNBUFFERED"] = "1"
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    return env


def available(name: str, env: dict[str, str]) -> str | None:
    """None if the server's command answers --help, else why not."""
    argv = [str(BIN / PROBES[name][0]), *PROBES[name][1:]]
    try:
        done = subprocess.run(
            argv, check=False, env=env, capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return describe(exc)
    if done.returncode != 0:
        return f"`{' '.join(argv)}` exited {done.returncode}: {(done.stderr or done.stdout)[-300:]}"
    return None


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 rounds of 200 requests and of 3 s, 1 cold start"
    )
    parser.add_argument("--workers", type=int, default=1, help="-w of both servers (default 1)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument(
        "--serialization-format",
        choices=("cloudpickle", "pickle", "skops"),
        default="cloudpickle",
        help="how mlflow.sklearn.save_model writes the model (default cloudpickle)",
    )
    parser.add_argument(
        "--targets",
        default="runstone,mlflow",
        help="comma-separated servers to measure, of: runstone, mlflow (default both)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    scale = replace(
        Scale().quick() if args.quick else Scale(), workers=args.workers, clients=args.clients
    )
    by_key = {"runstone": RS, "mlflow": MLF}
    keys = [k.strip().lower() for k in args.targets.split(",") if k.strip()]
    if not keys or any(k not in by_key for k in keys):
        raise SystemExit(f"--targets: choose from {sorted(by_key)}")
    env = server_environment()
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    started = time.perf_counter()
    stamp = timestamp()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "scale": asdict(scale),
        "serialization_format": args.serialization_format,
        "runstone_version": package_version("runstone"),
        "runstone_revision": source_revision(),
        "mlflow_version": package_version("mlflow"),
        "sklearn_version": package_version("scikit-learn"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
    }
    names = []
    result: dict[str, Any] = {"skipped": {}}
    for key in keys:
        why = available(by_key[key], env)
        if why is None:
            names.append(by_key[key])
        else:
            result["skipped"][by_key[key]] = why
            progress(f"{by_key[key]}: skipped: {why}")
    report["targets"] = names
    with tempfile.TemporaryDirectory(prefix="rs_serving_bench_") as tmp:
        try:
            model = save_model(Path(tmp), args.serialization_format)
        except ImportError as exc:
            raise SystemExit(
                f"{describe(exc)}; run `make bench` or `pip install -e '.[bench,server,sklearn]'`."
            ) from exc
        progress(f"model saved with mlflow.sklearn.save_model to {model.path}")
        result["load"] = load_phase(names, model, env, scale, stamp)
        progress(f"cold starts: {scale.cold_starts} per server, alternating")
        result["cold_start"] = cold_start_phase(names, model, env, scale, stamp)
    result["summary"] = summarize(result, names)
    report["result"] = result
    report["seconds"] = time.perf_counter() - started
    report["load_average_after"] = os.getloadavg()
    print_report(report)
    write_results("serving_bench", report, stamp)
    failed = [n for n in names if result["load"].get(n, {}).get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
