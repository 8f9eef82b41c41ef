"""No request makes the server fetch a URL a client chose, or touch storage outside its roots.

A tiny HTTP listener stands in for an internal service (a cloud metadata endpoint, an admin
page); every location a client can hand the server points at it or at a place outside the
configured roots, and the listener must see no connection at all.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runstone.testing import serve
from tests.server.test_artifact_safety import _outside_files

API = "/api/2.0/mlflow"


class Listener:
    """Accepts connections on a free loopback port and counts them."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    with (
        serve(tmp_path / "store", artifacts_destination=str(tmp_path / "artifacts")) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        yield http


def outside_locations(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/latest/meta-data",
        f"https://127.0.0.1:{port}/x",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        f"ftp://127.0.0.1:{port}/x",
        "file:///etc",
        "file:///etc/passwd",
        f"file://127.0.0.1:{port}/etc",
        "/etc",
        "s3://other-bucket/x",
        "gs://other-bucket/x",
        f"mlflow-artifacts://127.0.0.1:{port}/x",
        f"http://localhost:{port}/models/m",
    ]


def refused(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_experiment_locations_outside_the_roots_are_refused_without_a_fetch(
    client: httpx.Client, listener: Listener, tmp_path: Path
) -> None:
    before = _outside_files(tmp_path)
    for i, location in enumerate(outside_locations(listener.port)):
        name = f"ssrf-{i}"
        refused(
            client.post(
                f"{API}/experiments/create", json={"name": name, "artifact_location": location}
            )
        )
        missing = client.get(f"{API}/experiments/get-by-name", params={"experiment_name": name})
        assert missing.status_code == 404
    assert listener.connections == 0
    assert _outside_files(tmp_path) == before


def test_model_version_sources_outside_the_roots_are_refused_without_a_fetch(
    client: httpx.Client, listener: Listener, tmp_path: Path
) -> None:
    before = _outside_files(tmp_path)
    assert client.post(f"{API}/registered-models/create", json={"name": "m"}).status_code == 200
    for source in outside_locations(listener.port):
        refused(client.post(f"{API}/model-versions/create", json={"name": "m", "source": source}))
    versions = client.get(f"{API}/model-versions/search", params={"filter": "name='m'"}).json()
    assert versions.get("model_versions", []) == []
    assert listener.connections == 0
    assert _outside_files(tmp_path) == before


def test_user_urls_stored_as_metadata_are_never_fetched(
    client: httpx.Client, listener: Listener
) -> None:
    """Dataset sources, tags and run inputs may name URLs: the server records them, and does
    not open them, not even when they are read back or searched."""
    url = f"http://127.0.0.1:{listener.port}/data.csv"
    experiment = client.post(f"{API}/experiments/create", json={"name": "datasets"}).json()
    run = client.post(
        f"{API}/runs/create", json={"experiment_id": experiment["experiment_id"], "start_time": 1}
    ).json()["run"]["info"]
    dataset = {
        "name": "d",
        "digest": "abc",
        "source_type": "http",
        "source": f'{{"url": "{url}"}}',
    }
    inputs = {"run_id": run["run_id"], "datasets": [{"dataset": dataset, "tags": []}]}
    assert client.post(f"{API}/runs/log-inputs", json=inputs).status_code == 200
    tag = {"run_id": run["run_id"], "key": "mlflow.source.name", "value": url}
    assert client.post(f"{API}/runs/set-tag", json=tag).status_code == 200
    assert client.get(f"{API}/runs/get", params={"run_id": run["run_id"]}).status_code == 200
    searched = client.post(
        f"{API}/runs/search", json={"experiment_ids": [experiment["experiment_id"]]}
    )
    assert searched.status_code == 200
    listed = client.get(f"{API}/artifacts/list", params={"run_id": run["run_id"]})
    assert listed.status_code == 200
    assert listener.connections == 0


def test_an_artifact_path_that_looks_like_a_url_stays_in_the_store(
    client: httpx.Client, listener: Listener, tmp_path: Path
) -> None:
    before = _outside_files(tmp_path)
    for path in (f"http://127.0.0.1:{listener.port}/x", f"//127.0.0.1:{listener.port}/x"):
        response = client.get("/api/2.0/mlflow-artifacts/artifacts", params={"path": path})
        assert response.status_code in (200, 400, 404), response.text
        got = client.get(f"/api/2.0/mlflow-artifacts/artifacts/{path}")
        assert got.status_code in (400, 404), got.text
    assert listener.connections == 0
    assert _outside_files(tmp_path) == before
