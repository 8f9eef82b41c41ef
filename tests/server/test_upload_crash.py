"""A server killed in the middle of a large proxied upload leaves the file absent or whole."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.processes import free_port, start_server, stop

MB = 1024 * 1024
SIZE_MB = 200
PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def _chunks(sent: list[int], started: threading.Event) -> Iterator[bytes]:
    base = os.urandom(MB - 16)
    for i in range(SIZE_MB):
        yield i.to_bytes(16, "big") + base
        sent[0] += MB
        if sent[0] >= 50 * MB:
            started.set()


@pytest.mark.slow
def test_sigkill_during_a_200_mb_upload_leaves_no_partial_file(tmp_path: Path) -> None:
    port = free_port()
    args = ["--backend-store-uri", str(tmp_path / "store")]
    proc, url = start_server(args, cwd=tmp_path, port=port)
    target = f"{PROXY}/1/run/artifacts/model.bin"
    try:
        sent, started = [0], threading.Event()
        outcome: list[object] = []

        def upload() -> None:
            try:
                with httpx.Client(base_url=url, timeout=60) as client:
                    outcome.append(client.put(target, content=_chunks(sent, started)))
            except httpx.HTTPError as exc:
                outcome.append(exc)

        uploader = threading.Thread(target=upload)
        uploader.start()
        assert started.wait(60), "the upload did not get going"
        proc.kill()  # SIGKILL, a quarter of the way through
        stop(proc)
        uploader.join(60)
        assert outcome
        assert isinstance(outcome[0], httpx.HTTPError), "the upload cannot have succeeded"

        proc, url = start_server(args, cwd=tmp_path, port=port)
        with httpx.Client(base_url=url, timeout=60) as client:
            listed = client.get(PROXY, params={"path": "1/run/artifacts"}).json()
            assert listed.get("files", []) == []  # absent: no partial file is visible
            assert client.get(target).status_code == 404

            # A retried upload succeeds, and what comes back is exactly what was sent.
            expected = hashlib.sha256()
            base = os.urandom(MB)

            def again() -> Iterator[bytes]:
                for i in range(SIZE_MB):
                    chunk = i.to_bytes(16, "big") + base[16:]
                    expected.update(chunk)
                    yield chunk

            assert client.put(target, content=again()).status_code == 200
            got = hashlib.sha256()
            size = 0
            with client.stream("GET", target) as response:
                for piece in response.iter_bytes():
                    got.update(piece)
                    size += len(piece)
            assert size == SIZE_MB * MB
            assert got.hexdigest() == expected.hexdigest()
    finally:
        stop(proc)
