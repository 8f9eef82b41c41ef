from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from runstone.store.sql.points import Points, downsample


def _points(values: list[float], steps: list[int] | None = None) -> Points:
    n = len(values)
    return Points(
        np.array(steps if steps is not None else range(n), dtype=np.int64),
        np.arange(n, dtype=np.int64),
        np.array(values, dtype=np.float64),
    )


def test_short_series_come_back_whole() -> None:
    pts = _points([1.0, 2.0, 3.0])
    assert downsample(pts, 10) is pts


def test_spikes_survive_heavy_downsampling() -> None:
    values = np.zeros(1_000_000)
    values[123_457] = 50.0
    values[876_543] = -50.0
    out = downsample(_points(values.tolist()), 1000)
    assert len(out) <= 1000
    assert 123_457 in out.steps
    assert 876_543 in out.steps
    assert out.steps[0] == 0
    assert out.steps[-1] == 999_999


def test_nan_only_buckets_still_give_a_point() -> None:
    out = downsample(_points([float("nan")] * 100), 10)
    assert 0 < len(out) <= 10


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=400
    ),
    max_points=st.integers(min_value=4, max_value=100),
)
def test_downsample_is_a_bounded_ordered_subset_keeping_extremes(
    values: list[float], max_points: int
) -> None:
    pts = _points(values)
    out = downsample(pts, max_points)
    assert len(out) <= max_points if len(pts) > max_points else out is pts
    assert np.all(np.diff(out.steps) > 0)
    assert set(out.steps.tolist()) <= set(pts.steps.tolist())
    finite = pts.values[~np.isnan(pts.values)]
    if len(finite):
        kept = out.values[~np.isnan(out.values)]
        assert kept.max() == finite.max()
        assert kept.min() == finite.min()


def test_tiny_budgets_give_evenly_spaced_points() -> None:
    out = downsample(_points([float(i) for i in range(100)]), 3)
    assert out.steps.tolist() == [0, 49, 99]
