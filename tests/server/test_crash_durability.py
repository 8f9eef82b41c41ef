"""Killing the server (SIGKILL) in the middle of a stream of writes loses nothing acknowledged
and leaves nothing half-written."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.server.processes import free_port, start_server, stop

CLIENTS = 8
BATCH = 50

# One client: logs batch after batch into its own run; after each 200 it appends the batch
# number to its "acked" file (flushed), so the test knows exactly what was acknowledged.
CLIENT = r"""
import os, sys, time, httpx
url, run_id, acked_path, stop_path = sys.argv[1:5]
batch = 0
with open(acked_path, "a") as acked, httpx.Client(base_url=url, timeout=5) as http:
    while not os.path.exists(stop_path):
        metrics = [
            {"key": "loss", "value": j, "timestamp": 1000 + batch, "step": batch * BATCH + j}
            for j in range(BATCH)
        ]
        params = [{"key": f"p{batch}", "value": "v"}]
        body = {"run_id": run_id, "metrics": metrics, "params": params}
        try:
            response = http.post("/api/2.0/mlflow/runs/log-batch", json=body)
        except httpx.TransportError:
            time.sleep(0.05)  # the server is down: try the same batch again
            continue
        if response.status_code == 200:
            acked.write(f"{batch}\n")
            acked.flush()
            batch += 1
        elif response.status_code >= 500:
            time.sleep(0.05)
        else:
            sys.exit(f"unexpected answer {response.status_code}: {response.text}")
""".replace("BATCH", str(BATCH))


@pytest.mark.slow
def test_sigkill_during_concurrent_log_batch_loses_no_acknowledged_point(tmp_path: Path) -> None:
    port = free_port()
    store = tmp_path / "store"
    proc, url = start_server(["--backend-store-uri", str(store)], cwd=tmp_path, port=port)
    clients: list[subprocess.Popen[bytes]] = []
    stop_file = tmp_path / "stop"
    try:
        with httpx.Client(base_url=url) as http:
            exp = http.post("/api/2.0/mlflow/experiments/create", json={"name": "crash"}).json()
            run_ids = [
                http.post(
                    "/api/2.0/mlflow/runs/create",
                    json={"experiment_id": exp["experiment_id"], "start_time": 1},
                ).json()["run"]["info"]["run_id"]
                for _ in range(CLIENTS)
            ]
        for i, run_id in enumerate(run_ids):
            clients.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        CLIENT,
                        url,
                        run_id,
                        str(tmp_path / f"acked{i}"),
                        str(stop_file),
                    ]
                )
            )
        _wait_for_acks(tmp_path, minimum=5)
        proc.kill()  # SIGKILL: no shutdown, no flush, mid-transaction
        stop(proc)
        acked_at_kill = _acked(tmp_path)
        proc, url = start_server(["--backend-store-uri", str(store)], cwd=tmp_path, port=port)
        _wait_for_acks(tmp_path, minimum=acked_at_kill + CLIENTS * 3)
    finally:
        stop_file.touch()
        for client in clients:
            client.wait(timeout=60)
        stop(proc)
    assert all(c.returncode == 0 for c in clients)

    db = sqlite3.connect(store / "runstone.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    proc, url = start_server(["--backend-store-uri", str(store)], cwd=tmp_path, port=port)
    try:
        with httpx.Client(base_url=url) as http:
            for i, run_id in enumerate(run_ids):
                acked = {int(n) for n in (tmp_path / f"acked{i}").read_text().split()}
                history = http.get(
                    "/api/2.0/mlflow/metrics/get-history",
                    params={"run_id": run_id, "metric_key": "loss"},
                ).json()["metrics"]
                steps_by_batch: dict[int, set[int]] = {}
                for point in history:
                    steps_by_batch.setdefault(point["step"] // BATCH, set()).add(point["step"])
                # Every acknowledged batch is there, whole; no batch is there in part.
                assert acked <= set(steps_by_batch)
                assert all(len(steps) == BATCH for steps in steps_by_batch.values())
                params = http.get("/api/2.0/mlflow/runs/get", params={"run_id": run_id}).json()[
                    "run"
                ]["data"]["params"]
                assert {f"p{n}" for n in acked} <= {p["key"] for p in params}
    finally:
        stop(proc)


def _acked(folder: Path) -> int:
    return sum(len(p.read_text().split()) for p in folder.glob("acked*"))


def _wait_for_acks(folder: Path, minimum: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while _acked(folder) < minimum:
        assert time.monotonic() < deadline, f"only {_acked(folder)} batches acknowledged"
        time.sleep(0.05)
