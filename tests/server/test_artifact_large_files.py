"""Files larger than the write-behind step (written to disk and dropped from the page cache in
steps as they stream) arrive whole both ways through the proxy, ranges included."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runstone.artifacts.files import WRITE_BEHIND
from runstone.wire.http import SHA256_HEADER

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
MB = 1024 * 1024
SIZE = 2 * WRITE_BEHIND + 5 * MB + 7  # three steps, the last one partial


def _chunks() -> Iterator[bytes]:
    """SIZE bytes, each MB different, the same on every call."""
    base = hashlib.sha256(b"large").digest() * (MB // 32)
    sent = 0
    number = 0
    while sent < SIZE:
        chunk = (number.to_bytes(8, "big") + base[8:])[: SIZE - sent]
        sent += len(chunk)
        number += 1
        yield chunk


def _sha256() -> str:
    digest = hashlib.sha256()
    for chunk in _chunks():
        digest.update(chunk)
    return digest.hexdigest()


@pytest.mark.slow
def test_a_file_of_several_write_behind_steps_goes_up_and_down_whole(http: httpx.Client) -> None:
    target = f"{PROXY}/big/model.bin"
    expected = _sha256()
    stored = http.put(target, content=_chunks(), headers={SHA256_HEADER: expected})
    assert stored.status_code == 200, stored.text
    assert stored.headers[SHA256_HEADER] == expected

    got = hashlib.sha256()
    size = 0
    with http.stream("GET", target) as response:
        assert response.headers[SHA256_HEADER] == expected
        for piece in response.iter_bytes():
            got.update(piece)
            size += len(piece)
    assert size == SIZE
    assert got.hexdigest() == expected

    # A range across a step boundary, read after the pages before it were dropped.
    start, end = WRITE_BEHIND - 3, 2 * WRITE_BEHIND + 3
    whole = b"".join(_chunks())
    ranged = http.get(target, headers={"Range": f"bytes={start}-{end - 1}"})
    assert ranged.status_code == 206
    assert ranged.content == whole[start:end]
    listed = http.get(PROXY, params={"path": "big"})
    assert listed.json()["files"] == [{"path": "model.bin", "is_dir": False, "file_size": SIZE}]


@pytest.mark.slow
def test_a_large_upload_with_a_wrong_checksum_stores_nothing(
    http: httpx.Client, tmp_path: Path
) -> None:
    target = f"{PROXY}/big/corrupt.bin"
    wrong = hashlib.sha256(os.urandom(8)).hexdigest()
    answer = http.put(target, content=_chunks(), headers={SHA256_HEADER: wrong})
    assert answer.status_code == 500
    assert answer.json()["error_code"] == "DATA_LOSS"
    assert http.get(target).status_code == 404
    assert [files for _, _, files in os.walk(tmp_path / "artifacts") if files] == []
