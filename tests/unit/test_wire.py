"""Request decoding and response encoding of the REST contract (runstone.wire)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from runstone.entities import Metric, MetricHistory, RunStatus, ViewType
from runstone.errors import InvalidParameterValue
from runstone.wire import encode
from runstone.wire import messages as m
from runstone.wire.decode import decode_request, metrics_from_json, validate


def test_plain_metrics_take_the_fast_path() -> None:
    items = [
        {"key": "loss", "value": 0.5, "timestamp": 10, "step": 2},
        {"key": "n", "value": 3, "timestamp": 1},
    ]
    assert metrics_from_json(items) == [Metric("loss", 0.5, 10, 2), Metric("n", 3, 1, 0)]


def test_metric_strings_are_converted_as_mlflow_does() -> None:
    [nan, inf, neg, num] = metrics_from_json(
        [
            {"key": "a", "value": "NaN", "timestamp": "5", "step": "-1"},
            {"key": "a", "value": "Infinity", "timestamp": 5.0},
            {"key": "a", "value": "-Infinity", "timestamp": 5},
            {"key": "a", "value": "1e3", "timestamp": 5, "step": None},
        ]
    )
    assert math.isnan(nan.value)
    assert (nan.timestamp, nan.step) == (5, -1)
    assert inf.value == math.inf
    assert neg.value == -math.inf
    assert (num.value, num.step) == (1000.0, 0)


@pytest.mark.parametrize(
    ("item", "where"),
    [
        ({"value": 1, "timestamp": 1}, "metrics[0].key"),
        ({"key": "a", "timestamp": 1}, "metrics[0].value"),
        ({"key": "a", "value": 1}, "metrics[0].timestamp"),
        ({"key": "a", "value": True, "timestamp": 1}, "metrics[0].value"),
        ({"key": "a", "value": "abc", "timestamp": 1}, "metrics[0].value"),
        ({"key": "a", "value": 1, "timestamp": 1.5}, "metrics[0].timestamp"),
        ({"key": 5, "value": 1, "timestamp": 1}, "metrics[0].key"),
    ],
)
def test_bad_metrics_name_the_field(item: dict[str, object], where: str) -> None:
    with pytest.raises(
        InvalidParameterValue, match=rf"'{where.replace('[', '.').replace(']', '.')}'"
    ):
        metrics_from_json([item])


def test_enums_by_name_or_number_and_unknown_names_refused() -> None:
    assert validate(m.UpdateRun, {"run_id": "r", "status": "finished"}).status is RunStatus.FINISHED
    assert validate(m.UpdateRun, {"run_id": "r", "status": 4}).status is RunStatus.FAILED
    assert validate(m.SearchRuns, {"runViewType": "ALL"}).run_view_type is ViewType.ALL
    with pytest.raises(InvalidParameterValue, match="status"):
        validate(m.UpdateRun, {"run_id": "r", "status": "BOGUS"})


def test_get_requests_read_lists_from_repeated_keys() -> None:
    msg = decode_request(
        m.GetMetricHistoryBulkInterval,
        "GET",
        [("run_ids", "a"), ("run_ids", "b"), ("metric_key", "m"), ("max_results", "5")],
        b"",
        None,
    )
    assert msg.run_ids == ["a", "b"]
    assert msg.max_results == 5
    with pytest.raises(InvalidParameterValue, match="more than once"):
        decode_request(m.GetRun, "GET", [("run_id", "a"), ("run_id", "b")], b"", None)


def test_deeply_nested_bodies_are_refused() -> None:
    body = b'{"a":' * 2000 + b"1" + b"}" * 2000
    with pytest.raises(InvalidParameterValue, match="not valid JSON"):
        decode_request(m.LogBatch, "POST", [], body, "application/json")


def test_history_encoding_writes_non_finite_values_as_strings() -> None:
    history = MetricHistory(
        "r", "m", np.array([0, 1, 2]), np.array([5, 6, 7]), np.array([1.5, math.nan, -math.inf])
    )
    assert [p["value"] for p in encode.history_points(history)] == [1.5, "NaN", "-Infinity"]
    assert encode.history_points(history, with_run_id=True)[0] == {
        "key": "m",
        "value": 1.5,
        "timestamp": 5,
        "step": 0,
        "run_id": "r",
    }
