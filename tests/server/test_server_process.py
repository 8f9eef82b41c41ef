"""`runstone server` as a process: options, store preparation, several workers."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from runstone.store.sql import schema
from runstone.store.sql.engine import engine_for
from tests.server.processes import RUNSTONE, start_server, stop


def test_server_help_uses_mlflow_option_names() -> None:
    result = subprocess.run(
        [*RUNSTONE, "server", "--help"], capture_output=True, text=True, check=True
    )
    for option in (
        "--backend-store-uri",
        "--default-artifact-root",
        "--artifacts-destination",
        "--serve-artifacts / --no-serve-artifacts",
        "--host",
        "--port",
        "--workers",
        "--allowed-hosts",
        "--cors-allowed-origins",
    ):
        assert option in result.stdout


def test_server_starts_on_the_embedded_store_and_creates_it(tmp_path: Path) -> None:
    proc, url = start_server([], cwd=tmp_path)
    try:
        response = httpx.post(f"{url}/api/2.0/mlflow/experiments/search", json={"max_results": 5})
        assert [e["name"] for e in response.json()["experiments"]] == ["Default"]
        assert (tmp_path / "runstone" / "runstone.db").is_file()
        location = response.json()["experiments"][0]["artifact_location"]
        assert location == "mlflow-artifacts:/0"
    finally:
        stop(proc)


def test_without_serving_artifacts_experiments_point_at_the_folder(tmp_path: Path) -> None:
    store = tmp_path / "s"
    proc, url = start_server(
        ["--backend-store-uri", f"sqlite:///{store}.db", "--no-serve-artifacts"], cwd=tmp_path
    )
    try:
        created = httpx.post(f"{url}/api/2.0/mlflow/experiments/create", json={"name": "e"})
        exp = httpx.get(
            f"{url}/api/2.0/mlflow/experiments/get",
            params={"experiment_id": created.json()["experiment_id"]},
        ).json()["experiment"]
        assert exp["artifact_location"] == f"{tmp_path / 'artifacts'}/1"
        proxy = httpx.get(f"{url}/api/2.0/mlflow-artifacts/artifacts")
        assert proxy.status_code == 503
    finally:
        stop(proc)


@pytest.mark.parametrize("backend", ["postgresql", "mysql"], indirect=True)
def test_outdated_server_database_stops_the_start_with_the_upgrade_command(
    database_uri: str, tmp_path: Path
) -> None:
    with engine_for(database_uri) as engine:
        schema.upgrade(engine, "0001")
        assert schema.current_revision(engine) != schema.head_revision()
        with engine.begin() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM experiments")).scalar() == 0
    result = subprocess.run(
        [*RUNSTONE, "server", "--backend-store-uri", database_uri, "--port", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "runstone db upgrade" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_keep_alive_requests_stay_fast_with_several_workers(tmp_path: Path) -> None:
    """uvicorn's multi-process mode has been seen adding ~45 ms per keep-alive request."""
    proc, url = start_server(["--workers", "2"], cwd=tmp_path)
    try:
        with httpx.Client(base_url=url) as client:
            client.get("/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
            times = []
            for _ in range(40):
                started = time.perf_counter()
                response = client.get(
                    "/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}
                )
                times.append(time.perf_counter() - started)
                assert response.status_code == 200
        assert statistics.median(times) < 0.025, f"median {statistics.median(times):.3f} s"
    finally:
        stop(proc)


def test_a_bad_backend_uri_is_one_readable_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [*RUNSTONE, "server", "--backend-store-uri", "bogus://x", "--port", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error:")
    assert "Traceback" not in result.stderr
    assert sys.executable
