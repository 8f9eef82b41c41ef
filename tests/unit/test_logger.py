"""The background batch logger, with a recording sender in place of a store."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from runstone.client.logger import BackgroundLoggingError, BatchLogger, batches
from runstone.entities import Metric, Param, RunTag
from runstone.errors import InvalidParameterValue


class Recorder:
    def __init__(self, fail_on: str | None = None, delay_s: float = 0.0) -> None:
        self.sent: list[tuple[str, list[Metric], list[Param], list[RunTag]]] = []
        self.fail_on = fail_on
        self.delay_s = delay_s

    def __call__(
        self,
        run_id: str,
        metrics: Sequence[Metric],
        params: Sequence[Param],
        tags: Sequence[RunTag],
    ) -> None:
        time.sleep(self.delay_s)
        if self.fail_on is not None and any(p.key == self.fail_on for p in params):
            raise InvalidParameterValue(f"param {self.fail_on} refused")
        self.sent.append((run_id, list(metrics), list(params), list(tags)))


def test_batches_respect_mlflows_limits_and_keep_order() -> None:
    items = [("r", Metric("m", float(i), 1, i)) for i in range(2500)]
    out = list(batches(items))
    assert [len(b.metrics) for b in out] == [1000, 1000, 500]
    steps = [m.step for b in out for m in b.metrics]
    assert steps == list(range(2500))


def test_batches_split_params_and_tags_at_100() -> None:
    items = [("r", Param(f"p{i}", "v")) for i in range(250)] + [
        ("r", RunTag(f"t{i}", "v")) for i in range(150)
    ]
    out = list(batches(items))
    assert all(len(b.params) <= 100 and len(b.tags) <= 100 for b in out)
    assert sum(len(b.params) for b in out) == 250
    assert sum(len(b.tags) for b in out) == 150


def test_a_second_value_for_a_param_goes_in_a_later_batch() -> None:
    items = [("r", Param("p", "1")), ("r", Param("p", "1")), ("r", Param("p", "2"))]
    out = list(batches(items))
    assert [[p.value for p in b.params] for b in out] == [["1"], ["2"]]


def test_runs_are_batched_separately() -> None:
    items = [("a", Metric("m", 1.0, 1, 0)), ("b", Metric("m", 2.0, 1, 0)), ("a", RunTag("t", "x"))]
    out = {b.run_id: b for b in batches(items)}
    assert len(out["a"].metrics) == 1
    assert len(out["a"].tags) == 1
    assert len(out["b"].metrics) == 1


def test_flush_returns_after_everything_before_it_is_sent() -> None:
    recorder = Recorder(delay_s=0.01)
    logger = BatchLogger(recorder, flush_interval_s=60)
    for i in range(3000):
        logger.put("r", Metric("m", float(i), 1, i))
    logger.flush()
    assert sum(len(m) for _, m, _, _ in recorder.sent) == 3000
    logger.close()


def test_the_interval_sends_without_a_flush() -> None:
    recorder = Recorder()
    logger = BatchLogger(recorder, flush_interval_s=0.05)
    logger.put("r", Metric("m", 1.0, 1, 0))
    deadline = time.monotonic() + 10
    while not recorder.sent and time.monotonic() < deadline:
        time.sleep(0.01)
    assert recorder.sent
    logger.close()


def test_a_failure_is_raised_once_at_flush_and_other_batches_still_go() -> None:
    recorder = Recorder(fail_on="bad")
    logger = BatchLogger(recorder, flush_interval_s=60)
    logger.put("r1", Param("bad", "x"))
    logger.put("r2", Param("good", "y"))
    with pytest.raises(BackgroundLoggingError, match="run r1 failed: param bad refused") as err:
        logger.flush()
    assert err.value.code == "INVALID_PARAMETER_VALUE"
    assert [run for run, *_ in recorder.sent] == ["r2"]
    logger.flush()
    logger.close()


def test_a_full_queue_makes_the_caller_wait_instead_of_growing() -> None:
    release = threading.Event()
    sizes: list[int] = []

    def slow(run_id: str, metrics: Sequence[Metric], *_: object) -> None:
        release.wait(10)
        sizes.append(len(metrics))

    logger = BatchLogger(slow, flush_interval_s=60, max_queue=100, wake_at=10)
    done = threading.Event()

    def producer() -> None:
        for i in range(500):
            logger.put("r", Metric("m", float(i), 1, i))
        done.set()

    thread = threading.Thread(target=producer)
    thread.start()
    time.sleep(0.2)
    assert not done.is_set()  # blocked: the sender is stuck and the queue is full
    release.set()
    thread.join(10)
    logger.flush()
    assert sum(sizes) == 500
    logger.close()


def test_close_sends_what_is_left() -> None:
    recorder = Recorder()
    logger = BatchLogger(recorder, flush_interval_s=60)
    logger.put("r", RunTag("t", "v"))
    logger.close()
    assert recorder.sent == [("r", [], [], [RunTag("t", "v")])]
