"""Columns of metric points and the pure numpy work on them: packing, sketches, downsampling.

Nothing here touches the database; ``metrics.py`` stores and loads what this module packs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

SKETCH_SLICES = 16  # a chunk's sketch: its ends, and the min and max of each of 16 slices

_I8 = np.dtype("<i8")
_F8 = np.dtype("<f8")
_NAN_BITS = int(np.array([math.nan]).view(np.int64)[0])
_INT64 = np.iinfo(np.int64)

IntArray = np.ndarray[Any, np.dtype[np.int64]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(slots=True)
class Points:
    """Equal-length columns of points of one metric."""

    steps: IntArray
    timestamps: IntArray
    values: FloatArray

    def __len__(self) -> int:
        return len(self.steps)

    def take(self, index: Any) -> Points:
        return Points(self.steps[index], self.timestamps[index], self.values[index])

    @staticmethod
    def of(steps: Sequence[int], timestamps: Sequence[int], values: Sequence[float]) -> Points:
        return Points(
            np.array(steps, dtype=np.int64),
            np.array(timestamps, dtype=np.int64),
            np.array(values, dtype=np.float64),
        )

    @staticmethod
    def concat(parts: Sequence[Points]) -> Points:
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return Points.of([], [], [])
        return Points(
            np.concatenate([p.steps for p in parts]),
            np.concatenate([p.timestamps for p in parts]),
            np.concatenate([p.values for p in parts]),
        )

    def identities(self) -> list[tuple[int, int, int]]:
        """(step, timestamp, value bits) per point, every NaN folded into one bit pattern."""
        bits = self.values.view(np.int64)
        folded = np.where(np.isnan(self.values), _NAN_BITS, bits)
        return list(
            zip(self.steps.tolist(), self.timestamps.tolist(), folded.tolist(), strict=True)
        )

    def unique(self) -> Points:
        """Without repeated points (same step, timestamp and value), keeping the first of each."""
        if len(self) < 2 or bool(np.all(np.diff(self.steps) > 0)):
            return self
        first: dict[tuple[int, int, int], int] = {}
        for i, ident in enumerate(self.identities()):
            first.setdefault(ident, i)
        keep = list(first.values())
        return self if len(keep) == len(self) else self.take(np.array(keep, dtype=np.int64))

    def without(self, stored: Points) -> Points:
        """These points minus any that ``stored`` already holds."""
        if not len(stored):
            return self
        existing = set(stored.identities())
        keep = [i for i, ident in enumerate(self.identities()) if ident not in existing]
        return self.take(np.array(keep, dtype=np.int64))

    def in_range(self, start: int | None, end: int | None) -> Points:
        if start is None and end is None:
            return self
        lo = _INT64.min if start is None else start
        hi = _INT64.max if end is None else end
        return self.take((self.steps >= lo) & (self.steps <= hi))

    def by_step(self) -> Points:
        """Ordered by step, then timestamp, then value."""
        if _is_sorted(self.steps, self.timestamps, self.values):
            return self
        return self.take(np.lexsort((self.values, self.timestamps, self.steps)))

    def by_time(self) -> Points:
        """Ordered by timestamp, then step, then value (MLflow's history order)."""
        if _is_sorted(self.timestamps, self.steps, self.values):
            return self
        return self.take(np.lexsort((self.values, self.steps, self.timestamps)))

    def latest(self) -> int:
        """Index of the latest point: largest step, then timestamp, then value (NaN lowest)."""
        ranked = np.where(np.isnan(self.values), -np.inf, self.values)
        return int(np.lexsort((ranked, self.timestamps, self.steps))[-1])


def _is_sorted(first: Any, second: Any, third: Any) -> bool:
    if len(first) < 2:
        return True
    d1, d2, d3 = np.diff(first), np.diff(second), np.diff(third)
    return bool(np.all((d1 > 0) | ((d1 == 0) & ((d2 > 0) | ((d2 == 0) & (d3 >= 0))))))


# -- packing -----------------------------------------------------------------------------------


def pack(points: Points) -> bytes:
    """Steps, timestamps and values as one little-endian blob (24 bytes a point)."""
    return b"".join(
        (
            points.steps.astype(_I8, copy=False).tobytes(),
            points.timestamps.astype(_I8, copy=False).tobytes(),
            points.values.astype(_F8, copy=False).tobytes(),
        )
    )


def unpack(blob: bytes) -> Points:
    n = len(blob) // 24
    return Points(
        np.frombuffer(blob, dtype=_I8, count=n).astype(np.int64, copy=False),
        np.frombuffer(blob, dtype=_I8, count=n, offset=8 * n).astype(np.int64, copy=False),
        np.frombuffer(blob, dtype=_F8, count=n, offset=16 * n).astype(np.float64, copy=False),
    )


# -- reducing ----------------------------------------------------------------------------------


def _slice_extremes(values: FloatArray, starts: IntArray) -> tuple[IntArray, IntArray]:
    """Index of the first minimum and first maximum of each slice ``starts[i]:starts[i+1]``.

    NaN counts only where a slice holds nothing else.
    """
    n = len(values)
    positions = np.arange(n)
    sizes = np.diff(np.r_[starts, n])
    nan = np.isnan(values)
    low = np.where(nan, np.inf, values)
    high = np.where(nan, -np.inf, values)
    is_low = low == np.repeat(np.minimum.reduceat(low, starts), sizes)
    is_high = high == np.repeat(np.maximum.reduceat(high, starts), sizes)
    return (
        np.minimum.reduceat(np.where(is_low, positions, n), starts),
        np.minimum.reduceat(np.where(is_high, positions, n), starts),
    )


def sketch(points: Points) -> Points:
    """A few real points that keep a chunk's shape: its ends and each slice's extremes."""
    n = len(points)
    if n <= 2 * SKETCH_SLICES + 2:
        return points
    starts = np.linspace(0, n, SKETCH_SLICES + 1).astype(np.int64)[:-1]
    lows, highs = _slice_extremes(points.values, starts)
    return points.take(np.unique(np.concatenate([[0, n - 1], lows, highs])))


def downsample(points: Points, max_points: int) -> Points:
    """At most ``max_points`` points of a step-ordered series, keeping every spike.

    The step range is cut into equal buckets; each keeps its lowest and highest value (NaN only
    where a bucket has nothing else). The first and last points are always kept.
    """
    n = len(points)
    if n <= max_points:
        return points
    if max_points < 4:  # too few for first, last and a min/max pair: evenly spaced points
        return points.take(np.unique(np.linspace(0, n - 1, max_points).astype(np.int64)))
    buckets = max(1, (max_points - 2) // 2)
    lo, hi = int(points.steps[0]), int(points.steps[-1])
    width = float(hi) - float(lo) + 1.0
    offsets = points.steps.astype(np.float64) - float(lo)  # in floats: no int64 overflow
    bucket = np.clip(np.floor(offsets * buckets / width), 0, buckets - 1).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    lows, highs = _slice_extremes(points.values, starts)
    return points.take(np.unique(np.concatenate([[0, n - 1], lows, highs])))
