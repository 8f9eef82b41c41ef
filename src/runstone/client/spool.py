"""The durable spool: batches the store could not take wait on local disk, in order.

One folder per tracking URI, holding numbered segment files of JSON lines, one batch a line.
Each line is written with a single ``write`` and ``fsync``ed before the logger moves on, so a
batch is either wholly on disk or (cut by a crash mid-write) an unparsable last line that is
skipped — it was never acknowledged. Delivery reads segments oldest first and deletes each once
all its batches are stored; a crash in between re-sends some batches, which the store ignores
(duplicate points, equal params and tags change nothing).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from runstone.entities import Metric, Param, RunTag

SEGMENT_BATCHES = 1000  # a new segment file after this many batches


@dataclass(frozen=True, slots=True)
class SpooledBatch:
    run_id: str
    metrics: list[Metric]
    params: list[Param]
    tags: list[RunTag]

    def to_line(self) -> bytes:
        record = {
            "run_id": self.run_id,
            "metrics": [[m.key, m.value, m.timestamp, m.step] for m in self.metrics],
            "params": [[p.key, p.value] for p in self.params],
            "tags": [[t.key, t.value] for t in self.tags],
        }
        return (json.dumps(record, separators=(",", ":")) + "\n").encode()

    @staticmethod
    def from_line(line: bytes) -> SpooledBatch:
        record = json.loads(line)
        return SpooledBatch(
            record["run_id"],
            [Metric(k, float(v), int(ts), int(step)) for k, v, ts, step in record["metrics"]],
            [Param(k, v) for k, v in record["params"]],
            [RunTag(k, v) for k, v in record["tags"]],
        )


def spool_folder(root: Path, tracking_uri: str) -> Path:
    digest = hashlib.sha256(tracking_uri.encode()).hexdigest()[:16]
    return root / digest


class Spool:
    """Append-only, ordered, crash-safe storage of batches for one tracking URI."""

    def __init__(self, folder: Path, tracking_uri: str) -> None:
        self.folder = folder
        self._tracking_uri = tracking_uri
        self._lock = threading.Lock()

    def _segments(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("*.jsonl"))

    def __bool__(self) -> bool:
        return bool(self._segments())

    def pending(self) -> int:
        """Batches waiting (complete lines in every segment)."""
        return sum(1 for segment in self._segments() for _ in _batches(segment))

    def append(self, batch: SpooledBatch) -> None:
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / "TRACKING_URI").write_text(self._tracking_uri + "\n")
            segment = self._writable_segment()
            with open(segment, "ab") as out:
                out.write(batch.to_line())
                out.flush()
                os.fsync(out.fileno())

    def _writable_segment(self) -> Path:
        segments = self._segments()
        if segments and sum(1 for _ in _batches(segments[-1])) < SEGMENT_BATCHES:
            return segments[-1]
        number = int(segments[-1].stem) + 1 if segments else 1
        return self.folder / f"{number:012d}.jsonl"

    def deliver(self, send: Callable[[SpooledBatch], None]) -> int:
        """Send every spooled batch, oldest first; stop at the first failure (re-raised).

        Returns how many batches were sent.
        """
        sent = 0
        with self._lock:
            for segment in self._segments():
                for batch in _batches(segment):
                    send(batch)
                    sent += 1
                segment.unlink()
        return sent


def _batches(segment: Path) -> Iterator[SpooledBatch]:
    try:
        lines = segment.read_bytes().splitlines(keepends=True)
    except FileNotFoundError:
        return
    for line in lines:
        if not line.endswith(b"\n"):
            return  # cut short by a crash while being written: never acknowledged
        yield SpooledBatch.from_line(line)


def as_batch(
    run_id: str, metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
) -> SpooledBatch:
    return SpooledBatch(run_id, list(metrics), list(params), list(tags))
