from __future__ import annotations

import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # numpy is loaded by the stores that build histories, not by `import runstone`
    import numpy as np
    import numpy.typing as npt

    Int64Array = npt.NDArray[np.int64]
    Float64Array = npt.NDArray[np.float64]
else:
    Int64Array = Float64Array = Any


class Metric(NamedTuple):
    """One logged point. ``run_id`` is set where a result mixes runs (bulk history reads).

    A named tuple rather than a frozen dataclass: training loops create millions of these, and
    a frozen dataclass costs four times as much to build (about 1 µs against 0.25 µs here).
    """

    key: str
    value: float
    timestamp: int
    step: int = 0
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """What a store keeps per (run, key) for search and sort: the latest point and aggregates.

    "Latest" is the point with the largest step, then the largest timestamp, then the largest
    value, as in MLflow. ``min_value``/``max_value`` ignore NaN and are NaN when every value is.
    """

    key: str
    last_value: float
    last_timestamp: int
    last_step: int
    min_value: float
    max_value: float
    count: int

    def latest(self) -> Metric:
        return Metric(self.key, self.last_value, self.last_timestamp, self.last_step)


@dataclass(frozen=True, slots=True)
class MetricHistory:
    """Points of one metric of one run, held as columns (numpy arrays of equal length).

    Histories of millions of points stay cheap: nothing is turned into :class:`Metric` objects
    until somebody iterates. ``next_page_token`` is set when the read was paged and more follow.
    """

    run_id: str
    key: str
    steps: Int64Array
    timestamps: Int64Array
    values: Float64Array
    next_page_token: str | None = None

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Metric]:
        n = len(self.steps)
        rows = zip(
            repeat(self.key, n),
            self.values.tolist(),
            self.timestamps.tolist(),
            self.steps.tolist(),
            repeat(self.run_id, n),
            strict=True,
        )
        return map(Metric._make, rows)

    def to_list(self) -> list[Metric]:
        return list(self)


def is_number(value: object) -> bool:
    """True for real numbers (numpy's included) but not bools: the metric values MLflow accepts."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
