"""Runstone's artifact proxy side by side with MLflow's: a large file up and down, through the
official mlflow client.

Both servers run on this machine, each on a fresh SQLite file and an artifacts folder, with
``--workers 1``, serving artifacts (runs get ``mlflow-artifacts:/`` URIs, so every byte goes
through the server):

    runstone server --backend-store-uri sqlite:///…/runstone.db --artifacts-destination …/artifacts
    mlflow server   --backend-store-uri sqlite:///…/mlflow.db   --artifacts-destination …/artifacts

Measured, 5 rounds alternating between the servers, on one file of random bytes (1 GB; its
listed size and the SHA-256 of every downloaded copy are checked outside the clocks):

1. upload: ``MlflowClient(tracking_uri=url).log_artifact(run_id, path, "round-N")`` (MB/s);
2. download: ``MlflowClient.download_artifacts(run_id, "round-N/<file>", dst)`` (MB/s);
3. info rows: the same with Runstone's own client (``runstone.RunstoneClient(url)``);
4. the peak RSS of each server's process tree (every descendant summed, psutil, sampled every
   50 ms in a thread) during the transfers, its growth over the RSS just before each transfer,
   and the tree's idle RSS and USS before the first one.

The two servers share the machine's memory, and on some virtual machines (the Firecracker VM
these figures were first taken on) growing the page cache costs about 2 s of kernel CPU per GB: a
server that keeps each upload cached slows itself and the one measured after it, and one that
keeps its page cache small speeds both up. Compare rounds from one run only, and look at the
CPU seconds per GB (below the table), which move less than the rates.

Usage: ``python bench/artifact_bench.py [--quick] [--size-mb N] [--rounds N]
[--targets runstone,mlflow]``. The table goes to stdout, progress to stderr, the figures to
``bench/results/artifact_bench-<time>.json`` and each server's output to
``bench/results/artifact_bench-<time>-<server>.log``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import logging
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from benchlib import RESULTS_DIR, progress, source_revision, timestamp, verdict, write_results
from server_bench import (
    HOST,
    MLF,
    RS,
    TARGETS,
    CheckFailed,
    Scale,
    Server,
    ServerFailed,
    Side,
    Target,
    available,
    clean_environment,
    describe,
    interleaved,
    package_version,
    print_table,
    scan_log,
    step,
)

MB = 1_000_000  # sizes and rates are decimal: 1 GB = 1,000 MB
CHUNK = 8 * 2**20
SAMPLE_S = 0.05

# The targets of the artifact issue: Runstone's speed over MLflow's, its own floor, its memory.
TARGET_RATIO = 3.0
TARGET_MB_S = 200.0
TARGET_RSS_MIB = 200.0

WORKLOADS = ("upload", "download", "rs_upload", "rs_download")


def mlflow_proxy_command(folder: Path, port: int, workers: int) -> list[str]:
    """``mlflow server`` proxying artifacts (its default ``--serve-artifacts``) into a folder;
    without ``--default-artifact-root`` its runs get ``mlflow-artifacts:/`` URIs."""
    return [
        str(Path(sys.executable).parent / "mlflow"),
        "server",
        "--backend-store-uri",
        f"sqlite:///{folder / 'mlflow.db'}",
        "--artifacts-destination",
        str(folder / "artifacts"),
        "--serve-artifacts",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def _nothing_to_populate(*_: Any) -> None:
    return None


# server_bench's targets (their probes too), except that MLflow proxies its artifacts rather
# than handing clients a local folder that they would write to themselves.
ARTIFACT_TARGETS = {
    "runstone": replace(TARGETS["runstone"], populate=_nothing_to_populate),
    "mlflow": replace(
        TARGETS["mlflow"], command=mlflow_proxy_command, populate=_nothing_to_populate
    ),
}


# -- the file ----------------------------------------------------------------------------------


def make_file(path: Path, size: int) -> str:
    """``size`` random bytes at ``path``; their SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(CHUNK, left))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- memory ------------------------------------------------------------------------------------


class PeakRss:
    """Samples the RSS of a server's process tree (summed) every ``SAMPLE_S`` in a thread."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def tree_rss(self) -> int:
        total = 0
        for proc in self.server.tree():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                total += proc.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.tree_rss())
            self.samples += 1
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.tree_rss())


# -- the workloads -----------------------------------------------------------------------------


class Bench:
    """The file, its digest, and where downloads go."""

    def __init__(self, source: Path, digest: str, scratch: Path) -> None:
        self.source, self.digest, self.scratch = source, digest, scratch
        self.size = source.stat().st_size
        self.runstone_clients: dict[str, Any] = {}

    def runstone_client(self, side: Side) -> Any:
        import runstone  # imported after the environment is cleaned

        if side.name not in self.runstone_clients:
            self.runstone_clients[side.name] = runstone.RunstoneClient(side.server.url)
        return self.runstone_clients[side.name]


def disk_rate(bench: Bench, repeats: int = 3) -> list[float]:
    """MB/s of copying the file within the scratch folder's disk, with an fsync at the end (what
    a server that makes each upload durable before answering cannot beat); ``repeats`` times."""
    rates = []
    target = bench.scratch / "disk-check.bin"
    for _ in range(repeats):
        start = time.perf_counter()
        with bench.source.open("rb") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, 2**20)
            out.flush()
            os.fsync(out.fileno())
        rates.append(bench.size / MB / (time.perf_counter() - start))
        target.unlink()
    return rates


def setup(side: Side) -> None:
    """An experiment and a run whose artifacts go through the server's proxy."""
    client = side.client
    exp = step(
        "MlflowClient.create_experiment('artifact-bench')",
        lambda: client.create_experiment("artifact-bench"),
    )
    run = step(f"MlflowClient.create_run({exp!r})", lambda: client.create_run(exp))
    side.ids["run_id"] = run.info.run_id
    side.ids["artifact_uri"] = run.info.artifact_uri
    if not run.info.artifact_uri.startswith("mlflow-artifacts:"):
        raise CheckFailed(
            f"{side.name}: the run's artifact_uri is {run.info.artifact_uri!r}, not an "
            "mlflow-artifacts: URI: the transfers would not go through the server"
        )


def measured(side: Side, bench: Bench, fn: Callable[[], Any]) -> dict[str, Any]:
    """Wall time, MB/s, server CPU and peak RSS of ``fn()`` moving the bench file once."""
    sampler = PeakRss(side.server)
    before = sampler.tree_rss()
    server_cpu = side.server.cpu_s()
    client_cpu = time.process_time()
    with sampler:
        start = time.perf_counter()
        fn()
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rate": bench.size / MB / seconds,
        "server_cpu_s": side.server.cpu_s() - server_cpu,
        "client_cpu_s": time.process_time() - client_cpu,
        "rss_before_mib": before / 2**20,
        "peak_rss_mib": sampler.peak / 2**20,
        "rss_samples": sampler.samples,
    }


def folder(kind: str, r: int) -> str:
    return f"{kind}-round-{r}"


def check_listed(side: Side, bench: Bench, artifact_dir: str) -> None:
    """The server lists the uploaded file with its full size (asked through the mlflow client)."""
    run_id = side.ids["run_id"]
    listed = step(
        f"MlflowClient.list_artifacts({run_id!r}, {artifact_dir!r})",
        lambda: side.client.list_artifacts(run_id, artifact_dir),
    )
    got = [(f.path, f.file_size) for f in listed]
    want = [(f"{artifact_dir}/{bench.source.name}", bench.size)]
    if got != want:
        raise CheckFailed(f"{side.name}: after the upload, list_artifacts gave {got}, not {want}")


def check_copy(side: Side, bench: Bench, local: str, what: str) -> None:
    path = Path(local)
    try:
        if path.stat().st_size != bench.size or sha256_of(path) != bench.digest:
            raise CheckFailed(
                f"{side.name}: {what} wrote {path.stat().st_size:,} bytes to {local} that differ "
                f"from the {bench.size:,} uploaded"
            )
    finally:
        shutil.rmtree(bench.scratch / "dst", ignore_errors=True)


def round_upload(side: Side, bench: Bench, r: int) -> dict[str, Any]:
    run_id, where = side.ids["run_id"], folder("mlflow", r)
    sample = measured(
        side,
        bench,
        lambda: step(
            f"MlflowClient.log_artifact({run_id!r}, <{bench.size:,} bytes>, {where!r})",
            lambda: side.client.log_artifact(run_id, str(bench.source), where),
        ),
    )
    check_listed(side, bench, where)
    return sample


def round_download(side: Side, bench: Bench, r: int) -> dict[str, Any]:
    run_id, path = side.ids["run_id"], f"{folder('mlflow', r)}/{bench.source.name}"
    dst = bench.scratch / "dst"
    dst.mkdir(parents=True, exist_ok=True)
    out: list[str] = []
    sample = measured(
        side,
        bench,
        lambda: out.append(
            step(
                f"MlflowClient.download_artifacts({run_id!r}, {path!r})",
                lambda: side.client.download_artifacts(run_id, path, str(dst)),
            )
        ),
    )
    check_copy(side, bench, out[0], "MlflowClient.download_artifacts")
    return sample


def round_rs_upload(side: Side, bench: Bench, r: int) -> dict[str, Any]:
    client, run_id, where = bench.runstone_client(side), side.ids["run_id"], folder("runstone", r)
    sample = measured(
        side,
        bench,
        lambda: step(
            f"RunstoneClient.log_artifact({run_id!r}, <{bench.size:,} bytes>, {where!r})",
            lambda: client.log_artifact(run_id, str(bench.source), where),
        ),
    )
    check_listed(side, bench, where)
    return sample


def round_rs_download(side: Side, bench: Bench, r: int) -> dict[str, Any]:
    client, run_id = bench.runstone_client(side), side.ids["run_id"]
    path = f"{folder('runstone', r)}/{bench.source.name}"
    dst = bench.scratch / "dst"
    dst.mkdir(parents=True, exist_ok=True)
    out: list[str] = []
    sample = measured(
        side,
        bench,
        lambda: out.append(
            step(
                f"RunstoneClient.download_artifacts({run_id!r}, {path!r})",
                lambda: client.download_artifacts(run_id, path, str(dst)),
            )
        ),
    )
    check_copy(side, bench, out[0], "RunstoneClient.download_artifacts")
    return sample


ROUNDS: dict[str, Callable[[Side, Bench, int], dict[str, Any]]] = {
    "upload": round_upload,
    "download": round_download,
    "rs_upload": round_rs_upload,
    "rs_download": round_rs_download,
}


@contextlib.contextmanager
def running(targets: list[Target], env: dict[str, str], tmp: Path) -> Iterator[list[Server]]:
    """Every target's server, spawned at once, stopped however the block ends."""
    servers = []
    try:
        for target in targets:
            server = Server(target, tmp / target.name.lower(), env, Scale())
            server.spawn()
            servers.append(server)
        yield servers
    finally:
        for server in servers:
            server.stop()


def transfer_phase(
    targets: list[Target], bench: Bench, rounds: int, env: dict[str, str], tmp: Path, stamp: str
) -> dict[str, Any]:
    import mlflow  # bench-only dependency, imported after the environment is cleaned

    out: dict[str, Any] = {}
    sides: list[Side] = []
    progress("starting " + ", ".join(t.name for t in targets))
    with running(targets, env, tmp) as servers:
        try:
            for server in servers:
                entry: dict[str, Any] = out.setdefault(server.target.name, {})
                try:
                    entry["start_s"] = server.wait_healthy()
                    side = Side(server, mlflow)
                    setup(side)
                except (ServerFailed, CheckFailed) as exc:
                    entry["error"] = describe(exc)
                    progress(f"  {describe(exc)}")
                    continue
                sides.append(side)
            for side in sides:
                side.server.wait_idle()
                out[side.name]["idle_memory"] = side.server.memory()
            mb = bench.size / MB
            for workload, fn in ROUNDS.items():
                progress(f"{workload}: {rounds} rounds of {mb:,.0f} MB per server")
                interleaved(sides, workload, rounds, lambda x, r, fn=fn: fn(x, bench, r))
        finally:
            for client in bench.runstone_clients.values():
                client.close()
            for side in sides:
                out[side.name] |= {
                    "samples": side.samples,
                    "errors": side.errors,
                    "artifact_uri": side.ids.get("artifact_uri"),
                }
            for server in servers:
                entry = out.setdefault(server.target.name, {})
                entry["stop"] = server.stop()
                kept = RESULTS_DIR / f"artifact_bench-{stamp}-{server.target.name.lower()}.log"
                with contextlib.suppress(OSError):
                    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(server.log_path, kept)
                    entry["log"] = str(kept)
                entry["log_scan"] = scan_log(server.log_path)
    return out


# -- the report --------------------------------------------------------------------------------


def median_of(samples: list[dict[str, Any]] | None, key: str) -> float | None:
    return statistics.median(x[key] for x in samples) if samples else None


def _mb_s(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f} MB/s"


def _mib(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f} MiB"


def table_rows(report: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    res = report["result"]

    def samples(name: str, workload: str) -> list[dict[str, Any]]:
        entry = res.get(name, {})
        if workload in entry.get("errors", {}):
            return []
        return entry.get("samples", {}).get(workload, [])

    def speed(label: str, workload: str, with_target: bool) -> tuple[str, str, str, str, str]:
        rs, mlf = (
            median_of(samples(RS, workload), "rate"),
            median_of(samples(MLF, workload), "rate"),
        )
        better = rs / mlf if rs and mlf else None
        goal = ""
        if with_target:
            goal = f">= {TARGET_RATIO:g}x, >= {TARGET_MB_S:g} MB/s"
            if rs is not None:
                ok = rs >= TARGET_MB_S and (better is None or better >= TARGET_RATIO)
                goal += f" {verdict(ok)}"
        ratio_cell = "n/a" if better is None else f"{better:,.1f}x"
        return (label, _mb_s(rs), _mb_s(mlf), ratio_cell, goal)

    def peak_of(name: str, workloads: Sequence[str]) -> float | None:
        every = [x for w in workloads for x in samples(name, w)]
        return max(x["peak_rss_mib"] for x in every) if every else None

    def growth(name: str) -> float | None:
        every = [x for w in WORKLOADS for x in samples(name, w)]
        return max(x["peak_rss_mib"] - x["rss_before_mib"] for x in every) if every else None

    def memory(label: str, rs: float | None, mlf: float | None, target: bool) -> tuple:
        goal = ""
        if target:
            goal = f"< {TARGET_RSS_MIB:g} MiB" + (
                f" {verdict(rs < TARGET_RSS_MIB)}" if rs is not None else ""
            )
        ratio_cell = f"{mlf / rs:,.1f}x" if rs and mlf else "n/a"
        return (label, _mib(rs), _mib(mlf), ratio_cell, goal)

    idle = {name: res.get(name, {}).get("idle_memory") or {} for name in (RS, MLF)}
    return [
        speed("upload, mlflow client", "upload", True),
        speed("download, mlflow client", "download", True),
        speed("  upload, Runstone's client (info)", "rs_upload", False),
        speed("  download, Runstone's client (info)", "rs_download", False),
        memory(
            "peak RSS during transfers, tree", peak_of(RS, WORKLOADS), peak_of(MLF, WORKLOADS), True
        ),
        memory(
            "  during the mlflow client's (info)",
            peak_of(RS, ("upload", "download")),
            peak_of(MLF, ("upload", "download")),
            False,
        ),
        memory("  growth over RSS before each transfer (info)", growth(RS), growth(MLF), False),
        memory(
            "  idle RSS before (info)", idle[RS].get("rss_mib"), idle[MLF].get("rss_mib"), False
        ),
        memory(
            "  idle USS before (info)", idle[RS].get("uss_mib"), idle[MLF].get("uss_mib"), False
        ),
        (
            "  processes in the tree (info)",
            str(idle[RS].get("processes", "n/a")),
            str(idle[MLF].get("processes", "n/a")),
            "",
            "",
        ),
    ]


def cpu_rows(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Server and client CPU seconds per GB moved (medians of the rounds)."""
    rows = []
    for workload in WORKLOADS:
        cells = []
        for name in (RS, MLF):
            entry = report["result"].get(name, {})
            samples = entry.get("samples", {}).get(workload, [])
            if not samples or workload in entry.get("errors", {}):
                cells.append("n/a")
                continue
            gb = report["size_bytes"] / 1e9
            server = statistics.median(x["server_cpu_s"] for x in samples) / gb
            client = statistics.median(x["client_cpu_s"] for x in samples) / gb
            cells.append(f"server {server:,.2f}, client {client:,.2f} s/GB")
        rows.append((workload, cells[0], cells[1]))
    return rows


def print_report(report: dict[str, Any]) -> None:
    res = report["result"]
    print()
    print(
        f"== artifact proxy: runstone server vs mlflow server, a {report['size_bytes'] / MB:,.0f} "
        f"MB file, {report['rounds']} rounds, --workers 1"
    )
    print_table(("metric", "Runstone", "MLflow", "ratio", "target"), table_rows(report))
    print()
    disk = report.get("disk_copy_fsync_mb_s")
    if disk:
        print(
            f"The disk (info): copying the file with an fsync at the end: median "
            f"{statistics.median(disk):,.0f} MB/s of {len(disk)} (Runstone fsyncs each upload "
            "before answering; MLflow does not)."
        )
    print()
    print("CPU time per GB moved (medians of rounds; info):")
    print_table(("workload", "Runstone", "MLflow"), cpu_rows(report))
    print()
    problems = []
    for name in (RS, MLF):
        entry = res.get(name, {})
        if name in report.get("skipped", {}):
            problems.append(f"{name}: not measured: {report['skipped'][name]}")
            continue
        if entry.get("error"):
            problems.append(f"{name}: {entry['error']}")
        for workload, message in entry.get("errors", {}).items():
            problems.append(f"{name} {workload}: {message}")
        stop = entry.get("stop", {})
        if stop.get("killed") or stop.get("left_running"):
            problems.append(f"{name}: stop: {stop}")
        scan = entry.get("log_scan", {})
        if scan.get("tracebacks") or any(k.startswith("5") for k in scan.get("non_2xx", {})):
            problems.append(f"{name} server log: {scan} (see {entry.get('log')})")
        elif scan.get("non_2xx"):
            print(f"{name} answered non-2xx: {scan['non_2xx']}")
    for line in problems:
        print(f"!! {line}")
    print(
        f"\nmlflow {report['mlflow_version']} client; Runstone {report['runstone_version']} "
        f"({report['runstone_revision']}); Python {report['python']}, {report['cpus']} CPUs; "
        f"whole run {report['seconds']:.0f} s; load average "
        f"{report['load_average_before'][0]:.1f} before, "
        f"{report['load_average_after'][0]:.1f} after (1 min)."
    )
    print(
        "ratio: Runstone over MLflow (rates: Runstone/MLflow; RSS: MLflow/Runstone), so > 1 "
        "favours Runstone.\nRates are medians of rounds alternating between the servers; MB = "
        "10^6 bytes; RSS sums the server's whole process tree, sampled every 50 ms."
    )


# -- main --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 100 MB file, 2 rounds")
    parser.add_argument(
        "--size-mb", type=int, default=None, help="file size in MB (default 1000, quick 100)"
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help="rounds per server (default 5, quick 2)"
    )
    parser.add_argument(
        "--targets",
        default="runstone,mlflow",
        help="comma-separated servers to measure, of: runstone, mlflow (default both)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    size_mb = args.size_mb or (100 if args.quick else 1000)
    rounds = args.rounds or (2 if args.quick else 5)
    if size_mb < 1 or rounds < 1:
        raise SystemExit("--size-mb and --rounds must be at least 1")
    names = [n.strip().lower() for n in args.targets.split(",") if n.strip()]
    unknown = [n for n in names if n not in ARTIFACT_TARGETS]
    if unknown:
        raise SystemExit(f"unknown target(s) {unknown}; choose from {sorted(ARTIFACT_TARGETS)}")
    env = clean_environment()
    try:
        import mlflow  # noqa: F401 - bench-only dependency: fail early, with the fix
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
        "size_bytes": size_mb * MB,
        "rounds": rounds,
        "runstone_version": package_version("runstone"),
        "runstone_revision": source_revision(),
        "mlflow_version": package_version("mlflow"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "client_env": {k: v for k, v in os.environ.items() if k.startswith("MLFLOW_")},
    }
    targets, skipped = [], {}
    for name in names:
        target = ARTIFACT_TARGETS[name]
        why = available(target, env)
        if why is None:
            targets.append(target)
        else:
            skipped[target.name] = why
            progress(f"{target.name}: skipped: {why}")
    report["skipped"] = skipped
    with tempfile.TemporaryDirectory(prefix="rs_artifact_bench_") as tmp:
        scratch = Path(tmp) / "client"
        scratch.mkdir()
        progress(f"writing {size_mb:,} MB of random bytes")
        source = scratch / "payload.bin"
        bench = Bench(source, make_file(source, size_mb * MB), scratch)
        progress("the disk: copy + fsync of the file, 3 times")
        report["disk_copy_fsync_mb_s"] = disk_rate(bench)
        report["result"] = transfer_phase(targets, bench, rounds, env, Path(tmp), stamp)
    report["seconds"] = time.perf_counter() - started
    report["load_average_after"] = os.getloadavg()
    print_report(report)
    write_results("artifact_bench", report, stamp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
