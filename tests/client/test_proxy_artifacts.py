"""Artifacts of runs on a tracking server that serves them (``mlflow-artifacts:/`` URIs): the
client uploads and downloads through the server's artifact proxy, a real server on loopback."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import runstone
from runstone.client import fluent
from runstone.client.client import RunstoneClient
from runstone.config import RestSettings
from runstone.errors import DataLoss, InvalidParameterValue, NotFound
from runstone.store.rest import RestStore
from runstone.testing import serve
from runstone.wire.http import make_http_client

PROXY = "/api/2.0/mlflow-artifacts/"


@pytest.fixture
def destination(tmp_path: Path) -> Path:
    return tmp_path / "served-artifacts"


@pytest.fixture
def url(tmp_path: Path, destination: Path) -> Iterator[str]:
    with serve(tmp_path / "store", artifacts_destination=str(destination)) as served:
        yield served


@pytest.fixture
def client(url: str) -> Iterator[RunstoneClient]:
    with RunstoneClient(tracking_uri=url) as opened:
        yield opened


@pytest.fixture
def run_id(client: RunstoneClient) -> str:
    experiment_id = client.create_experiment("proxied")
    return client.create_run(experiment_id).info.run_id


def _run_folder(client: RunstoneClient, run_id: str, destination: Path) -> Path:
    """Where the server keeps ``run_id``'s artifacts on its disk."""
    uri = client.get_run(run_id).info.artifact_uri
    assert uri.startswith("mlflow-artifacts:/")
    return destination.joinpath(*uri.removeprefix("mlflow-artifacts:").strip("/").split("/"))


def test_files_folders_and_objects_round_trip(
    client: RunstoneClient, run_id: str, destination: Path, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    tree = tmp_path / "outputs"
    (tree / "sub" / "deeper").mkdir(parents=True)
    (tree / "a.csv").write_text("x,y\n1,2\n")
    (tree / "sub" / "b.txt").write_text("b")
    (tree / "sub" / "deeper" / "c d.bin").write_bytes(b"\x00\x01")
    client.log_artifact(run_id, tmp_path / "notes.txt")
    client.log_artifact(run_id, tmp_path / "notes.txt", artifact_path="copies/of")
    client.log_artifacts(run_id, tree, artifact_path="outputs")
    client.log_text(run_id, "some text", "texts/t.txt")
    client.log_dict(run_id, {"a": 1, "b": [1, 2]}, "config.json")
    client.log_dict(run_id, {"a": 1}, "config.yaml")

    top = {f.path: f for f in client.list_artifacts(run_id)}
    assert set(top) == {"notes.txt", "copies", "outputs", "texts", "config.json", "config.yaml"}
    assert top["outputs"].is_dir
    assert top["outputs"].file_size is None
    assert top["notes.txt"].file_size == 5
    assert [f.path for f in client.list_artifacts(run_id, "outputs")] == [
        "outputs/a.csv",
        "outputs/sub",
    ]
    deeper = client.list_artifacts(run_id, "outputs/sub/deeper")
    assert [(f.path, f.is_dir, f.file_size) for f in deeper] == [
        ("outputs/sub/deeper/c d.bin", False, 2)
    ]
    assert client.list_artifacts(run_id, "notes.txt") == []
    assert client.list_artifacts(run_id, "missing") == []

    folder = Path(client.download_artifacts(run_id, "outputs", str(tmp_path / "dl")))
    assert folder == tmp_path / "dl" / "outputs"
    assert (folder / "a.csv").read_text() == "x,y\n1,2\n"
    assert (folder / "sub" / "b.txt").read_text() == "b"
    assert (folder / "sub" / "deeper" / "c d.bin").read_bytes() == b"\x00\x01"
    config = Path(client.download_artifacts(run_id, "config.json", str(tmp_path / "c")))
    assert json.loads(config.read_text()) == {"a": 1, "b": [1, 2]}
    everything = Path(client.download_artifacts(run_id, "", str(tmp_path / "all")))
    assert (everything / "copies" / "of" / "notes.txt").read_text() == "hello"
    assert (everything / "texts" / "t.txt").read_text() == "some text"
    with pytest.raises(NotFound):
        client.download_artifacts(run_id, "nope.txt", str(tmp_path / "n"))

    # The files are on the server's disk, under its artifacts destination.
    stored = _run_folder(client, run_id, destination)
    assert stored.is_relative_to(destination)
    assert (stored / "notes.txt").read_text() == "hello"
    assert (stored / "outputs" / "sub" / "deeper" / "c d.bin").read_bytes() == b"\x00\x01"
    assert (stored / "config.yaml").read_text().strip() == "a: 1"


def test_deleting_through_the_proxy(client: RunstoneClient, run_id: str, destination: Path) -> None:
    repo = client.artifact_repo(run_id)
    repo.write_bytes("keep.txt", b"k")
    repo.write_bytes("drop/a.txt", b"a")
    repo.write_bytes("drop/sub/b.txt", b"b")
    repo.delete_artifacts("drop")
    assert [f.path for f in client.list_artifacts(run_id)] == ["keep.txt"]
    assert not (_run_folder(client, run_id, destination) / "drop").exists()
    repo.delete_artifacts()
    assert client.list_artifacts(run_id) == []


def _write_random(path: Path, size: int) -> str:
    """A file of ``size`` random bytes, written in chunks; its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        remaining = size
        while remaining:
            chunk = os.urandom(min(remaining, 1 << 20))
            digest.update(chunk)
            out.write(chunk)
            remaining -= len(chunk)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def test_a_large_file_round_trips(
    client: RunstoneClient, run_id: str, destination: Path, tmp_path: Path
) -> None:
    size = 50 * 1024 * 1024 + 7
    expected = _write_random(tmp_path / "big.bin", size)
    client.log_artifact(run_id, tmp_path / "big.bin", artifact_path="blobs")
    stored = _run_folder(client, run_id, destination) / "blobs" / "big.bin"
    assert stored.stat().st_size == size
    assert _sha256(stored) == expected
    (info,) = client.list_artifacts(run_id, "blobs")
    assert info.file_size == size
    local = Path(client.download_artifacts(run_id, "blobs/big.bin", str(tmp_path / "dl")))
    assert local.stat().st_size == size
    assert _sha256(local) == expected
    with client.artifact_repo(run_id).open_artifact("blobs/big.bin") as stream:
        assert len(stream.read(1000)) == 1000


def test_unsafe_paths_are_refused_before_any_artifact_request(
    url: str, tmp_path: Path, destination: Path
) -> None:
    artifact_requests: list[str] = []

    def record(request: httpx.Request) -> None:
        if PROXY in request.url.path:
            artifact_requests.append(f"{request.method} {request.url}")

    http = make_http_client(RestSettings())
    http.event_hooks["request"].append(record)
    (tmp_path / "f.txt").write_text("x")
    with http, RunstoneClient(url, store=RestStore(url, client=http)) as client:
        run_id = client.create_run(client.create_experiment("e")).info.run_id
        assert client.artifact_http()[0] is http  # one pool for tracking and artifacts
        for attempt in (
            lambda: client.log_artifact(run_id, tmp_path / "f.txt", "../../../outside"),
            lambda: client.log_artifacts(run_id, tmp_path, "a/../../b"),
            lambda: client.log_text(run_id, "x", "%2e%2e/%2e%2e/x.txt"),
            lambda: client.log_dict(run_id, {}, "/etc/x.json"),
            lambda: client.list_artifacts(run_id, ".."),
            lambda: client.download_artifacts(run_id, "../..", str(tmp_path / "dl")),
        ):
            with pytest.raises(InvalidParameterValue):
                attempt()
        assert artifact_requests == []
        client.log_artifact(run_id, tmp_path / "f.txt", "inside")
        assert artifact_requests == [
            f"PUT {url}{PROXY}artifacts/{_relative_root(client, run_id)}/inside/f.txt"
        ]
    assert not (tmp_path / "outside").exists()
    assert not any(path.name == "outside" for path in destination.rglob("*"))


def _relative_root(client: RunstoneClient, run_id: str) -> str:
    return client.get_run(run_id).info.artifact_uri.removeprefix("mlflow-artifacts:/")


def test_the_fluent_api_logs_through_the_proxy(url: str, destination: Path, tmp_path: Path) -> None:
    (tmp_path / "model.txt").write_text("weights")
    fluent.reset()
    try:
        runstone.set_tracking_uri(url)
        with runstone.start_run() as run:
            runstone.log_artifact(tmp_path / "model.txt", artifact_path="model")
            runstone.log_text("done", "status.txt")
            runstone.log_param("p", 1)
            artifact_uri = runstone.get_artifact_uri()
    finally:
        fluent.reset()
    assert artifact_uri.startswith("mlflow-artifacts:/")
    with RunstoneClient(url) as client:
        names = {f.path for f in client.list_artifacts(run.info.run_id)}
        assert names == {"model", "status.txt"}
        assert client.get_run(run.info.run_id).data.params == {"p": "1"}
        stored = _run_folder(client, run.info.run_id, destination)
    assert (stored / "model" / "model.txt").read_text() == "weights"
    assert (stored / "status.txt").read_text() == "done"


def test_a_local_store_cannot_reach_a_proxy_uri(url: str, tmp_path: Path) -> None:
    with RunstoneClient(url) as remote:
        run_id = remote.create_run(remote.create_experiment("e")).info.run_id
        proxied = remote.get_run(run_id).info.artifact_uri
    with RunstoneClient(str(tmp_path / "local")) as local:
        with pytest.raises(InvalidParameterValue, match="tracking URI must be an http"):
            local.artifact_repo_for_uri(proxied)
        # A direct http(s) proxy URL works from any client.
        direct = f"{url}{PROXY}artifacts/{proxied.removeprefix('mlflow-artifacts:/')}"
        local.artifact_repo_for_uri(direct).write_bytes("direct.txt", b"d")
    with RunstoneClient(url) as remote:
        assert [f.path for f in remote.list_artifacts(run_id)] == ["direct.txt"]


def test_a_download_that_does_not_match_the_recorded_checksum_is_refused(
    client: RunstoneClient, run_id: str, destination: Path, tmp_path: Path
) -> None:
    source = tmp_path / "weights.bin"
    source.write_bytes(os.urandom(3 * 1024 * 1024))
    client.log_artifact(run_id, source)
    stored = _run_folder(client, run_id, destination) / "weights.bin"
    with open(stored, "r+b") as damaged:  # bit rot on the server's disk, same inode
        damaged.seek(1024 * 1024)
        damaged.write(b"\xff\xfe")
    target = tmp_path / "downloads"
    target.mkdir()
    with pytest.raises(DataLoss, match="checksum"):
        client.download_artifacts(run_id, "weights.bin", str(target))
    assert list(target.rglob("*")) == []  # nothing half-verified is left behind


def test_transfers_report_every_byte_to_a_progress_function(
    client: RunstoneClient, run_id: str, tmp_path: Path
) -> None:
    import threading

    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 5))
    (tree / "sub" / "b.bin").write_bytes(os.urandom(1000))
    total = 3 * 1024 * 1024 + 5 + 1000
    moved = [0]
    lock = threading.Lock()

    def report(size: int) -> None:
        with lock:
            moved[0] += size

    repo = client.artifact_repo(run_id)
    repo.log_artifacts(tree, "tree", progress=report)
    assert moved[0] == total
    assert repo.size_of("tree") == total
    moved[0] = 0
    repo.download_artifacts("tree", str(tmp_path / "back"), progress=report)
    assert moved[0] == total


def test_a_progress_bar_only_on_a_terminal_and_for_large_transfers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from runstone.client import progress

    monkeypatch.setattr(progress, "interactive", lambda: False)
    with progress.transfer_progress("Uploading x", 10**9) as report:
        assert report is None  # nobody would see it
    monkeypatch.setattr(progress, "interactive", lambda: True)
    with progress.transfer_progress("Uploading x", 10) as report:
        assert report is None  # too small to bother
    with progress.transfer_progress("Uploading x", 10**9) as report:
        assert report is not None
        report(1024)
