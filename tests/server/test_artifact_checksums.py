"""Checksummed writes (hashed on a thread beside the writing one) in a local repository."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from pathlib import Path

import pytest

from runstone.artifacts import ArtifactRepo
from runstone.errors import DataLoss


def _chunks(count: int, size: int = 300_000) -> list[bytes]:
    return [bytes([n % 256]) * size for n in range(count)]


def _sha256(chunks: list[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def test_chunks_of_any_size_are_hashed_in_order(tmp_path: Path) -> None:
    repo = ArtifactRepo.from_uri(str(tmp_path))
    chunks = [b"a", b"b" * 3_000_000, b"", b"c" * 700_001, *_chunks(9)]
    digest = _sha256(chunks)
    assert repo.write_stream("m/model.bin", iter(chunks), digest) == digest
    assert (tmp_path / "m" / "model.bin").read_bytes() == b"".join(chunks)
    assert repo.recorded_sha256("m/model.bin") in (digest, None)  # None: no xattrs here


def test_a_wrong_checksum_stores_nothing_and_keeps_the_old_file(tmp_path: Path) -> None:
    repo = ArtifactRepo.from_uri(str(tmp_path))
    repo.write_bytes("model.bin", b"old")
    with pytest.raises(DataLoss):
        repo.write_stream("model.bin", iter(_chunks(8)), "0" * 64)
    assert (tmp_path / "model.bin").read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.bin"]  # no temporary file left


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_can_write_with_a_checksum(tmp_path: Path) -> None:
    repo = ArtifactRepo.from_uri(str(tmp_path))
    chunks = _chunks(6)
    digest = _sha256(chunks)
    repo.write_stream("parent.bin", iter(chunks), digest)  # the parent's hashing threads exist
    pid = os.fork()
    if pid == 0:  # the child: its parent's threads are gone; a write must not wait for them
        try:
            repo.write_stream("child.bin", iter(chunks), digest)
        finally:
            os._exit(0)
    deadline = time.monotonic() + 60
    while (waited := os.waitpid(pid, os.WNOHANG)) == (0, 0) and time.monotonic() < deadline:
        time.sleep(0.02)
    if waited == (0, 0):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child's checksummed write hung")
    assert (tmp_path / "child.bin").read_bytes() == b"".join(chunks)
