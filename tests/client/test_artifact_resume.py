"""A proxied download that breaks off half-way is resumed with a ``Range`` request, not started
over: a real server, and a loopback TCP relay between it and the client that cuts the
connection after a given number of bytes and keeps what the client sent."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runstone.client.client import RunstoneClient
from runstone.errors import TemporarilyUnavailable
from runstone.testing import serve

SIZE = 6 * 1024 * 1024 + 123
DOWNLOAD = "/api/2.0/mlflow-artifacts/artifacts/"


class CuttingRelay:
    """Relays loopback TCP connections to ``upstream``. The answer on each connection that
    carries a file download is cut off after the next of ``cuts`` bytes (while any are left).
    Every byte the client sent is kept, per connection."""

    def __init__(
        self,
        upstream: tuple[str, int],
        cuts: list[int],
        on_cut: Callable[[], object] | None = None,
    ) -> None:
        self.upstream = upstream
        self.cuts = list(cuts)
        self.on_cut = on_cut  # called at each cut, before the client sees the connection close
        self.cut = 0  # connections cut so far
        self.sent: list[bytearray] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._open: list[socket.socket] = [self._listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def downloads(self) -> list[str]:
        """The heads of the file downloads the client asked for, in order."""
        with self._lock:
            text = b"".join(self.sent).decode("latin-1")
        heads = text.split("\r\n\r\n")
        return [head for head in heads if head.startswith("GET " + DOWNLOAD)]

    def close(self) -> None:
        for sock in self._open:
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            sent = bytearray()
            with self._lock:
                self.sent.append(sent)
                self._open += [downstream, upstream]
            threading.Thread(target=self._forward, args=(downstream, upstream, sent)).start()
            threading.Thread(target=self._answer, args=(upstream, downstream, sent)).start()

    def _forward(self, downstream: socket.socket, upstream: socket.socket, sent: bytearray) -> None:
        with downstream, upstream, contextlib.suppress(OSError):  # either side may hang up
            while data := _recv(downstream):
                with self._lock:
                    sent += data
                upstream.sendall(data)

    def _answer(self, upstream: socket.socket, downstream: socket.socket, sent: bytearray) -> None:
        budget: int | None = None  # bytes this connection may still pass, once it is cut
        with downstream, upstream, contextlib.suppress(OSError):  # either side may hang up
            while data := _recv(upstream):
                with self._lock:
                    if budget is None and self.cuts and b"GET " + DOWNLOAD.encode() in sent:
                        budget = self.cuts.pop(0)
                if budget is not None and len(data) >= budget:
                    downstream.sendall(data[:budget])
                    if self.on_cut is not None:
                        self.on_cut()
                    downstream.shutdown(socket.SHUT_RDWR)
                    with self._lock:
                        self.cut += 1
                    return
                if budget is not None:
                    budget -= len(data)
                downstream.sendall(data)


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(256 * 1024)
    except OSError:
        return b""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with serve(tmp_path / "store", artifacts_destination=str(tmp_path / "served")) as url:
        yield url


@pytest.fixture
def payload(server: str, tmp_path: Path) -> tuple[str, bytes]:
    """A run whose artifact ``data/blob.bin`` (random bytes) was uploaded straight to the
    server; the run id and the bytes."""
    data = os.urandom(SIZE)
    local = tmp_path / "blob.bin"
    local.write_bytes(data)
    with RunstoneClient(tracking_uri=server) as client:
        run_id = client.create_run(client.create_experiment("resume")).info.run_id
        client.log_artifact(run_id, local, "data")
    return run_id, data


def _relay(
    server: str, cuts: list[int], on_cut: Callable[[], object] | None = None
) -> CuttingRelay:
    host, port = server.removeprefix("http://").split(":")
    return CuttingRelay((host, int(port)), cuts, on_cut)


def _offsets(relay: CuttingRelay) -> list[int | None]:
    """The first byte each download asked for (None: the whole file)."""
    found = [re.search(r"(?im)^range: bytes=(\d+)-\r?$", head) for head in relay.downloads()]
    return [int(match.group(1)) if match else None for match in found]


def _download(relay: CuttingRelay, run_id: str, out: Path) -> Path:
    try:
        with RunstoneClient(tracking_uri=relay.url) as client:
            return Path(client.download_artifacts(run_id, "data/blob.bin", str(out)))
    finally:
        relay.close()


def test_a_download_cut_half_way_resumes_from_the_bytes_received(
    server: str, payload: tuple[str, bytes], tmp_path: Path
) -> None:
    run_id, data = payload
    relay = _relay(server, cuts=[SIZE // 2])
    local = _download(relay, run_id, tmp_path / "out")
    assert relay.cut == 1  # the connection was really cut
    assert hashlib.sha256(local.read_bytes()).digest() == hashlib.sha256(data).digest()
    first, second = _offsets(relay)  # the whole file, then only the rest of it
    assert first is None
    assert second is not None
    assert 0 < second <= SIZE // 2
    assert os.listdir(tmp_path / "out" / "data") == ["blob.bin"]  # no temporary file left


def test_a_download_cut_again_and_again_resumes_each_time_from_further_on(
    server: str, payload: tuple[str, bytes], tmp_path: Path
) -> None:
    run_id, data = payload
    relay = _relay(server, cuts=[1024 * 1024] * 5)
    local = _download(relay, run_id, tmp_path / "out")
    assert relay.cut == 5
    assert local.read_bytes() == data
    offsets = _offsets(relay)
    assert offsets[0] is None
    assert len(offsets) == 6
    resumed = [offset for offset in offsets[1:] if offset is not None]
    assert resumed == sorted(resumed)
    assert len(set(resumed)) == 5
    assert resumed[0] > 0


def test_a_download_whose_resumes_keep_breaking_fails_and_leaves_no_file(
    server: str, payload: tuple[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "0")
    run_id, _ = payload
    relay = _relay(server, cuts=[SIZE // 2] + [0] * 50)  # then not one byte gets through
    out = tmp_path / "out"
    with pytest.raises(TemporarilyUnavailable):
        _download(relay, run_id, out)
    offsets = _offsets(relay)
    assert offsets[0] is None
    assert all(offset for offset in offsets[1:])
    assert not (out / "data").exists() or os.listdir(out / "data") == []


def test_a_file_replaced_before_the_resume_is_not_spliced_onto_the_old_one(
    server: str, payload: tuple[str, bytes], tmp_path: Path
) -> None:
    run_id, _ = payload
    newer = tmp_path / "newer" / "blob.bin"
    newer.parent.mkdir()
    newer.write_bytes(os.urandom(SIZE))  # the same size: only the content tells them apart

    def replace() -> None:
        with RunstoneClient(tracking_uri=server) as direct:
            direct.log_artifact(run_id, newer, "data")

    relay = _relay(server, cuts=[SIZE // 2], on_cut=replace)
    out = tmp_path / "out"
    with pytest.raises(TemporarilyUnavailable, match="changed on the server"):
        _download(relay, run_id, out)
    first, second = relay.downloads()
    assert "if-range:" not in first.lower()
    assert "if-range:" in second.lower()
    assert not (out / "data").exists() or os.listdir(out / "data") == []
    with RunstoneClient(tracking_uri=server) as client:  # downloaded again: the new file
        again = client.download_artifacts(run_id, "data/blob.bin", str(tmp_path / "again"))
    assert Path(again).read_bytes() == newer.read_bytes()
