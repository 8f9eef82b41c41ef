"""A live Runstone server on a random loopback port, over a fresh SQLite store per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runstone.testing import serve

API = "/api/2.0/mlflow"


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    with serve(tmp_path / "store", artifacts_destination=str(tmp_path / "artifacts")) as url:
        yield url


@pytest.fixture
def http(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=30) as client:
        yield client


@pytest.fixture
def experiment_id(http: httpx.Client) -> str:
    response = http.post(f"{API}/experiments/create", json={"name": "server-tests"})
    assert response.status_code == 200, response.text
    return str(response.json()["experiment_id"])


@pytest.fixture
def run_id(http: httpx.Client, experiment_id: str) -> str:
    response = http.post(
        f"{API}/runs/create", json={"experiment_id": experiment_id, "start_time": 1000}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["run"]["info"]["run_id"])
