"""Non-blocking logging: calls append to a bounded queue, one background thread sends batches.

When the store is unreachable (or answers "try later"), the sender retries with backoff for
``spool_after_s``; past that it appends batches to the durable spool and training goes on.
While anything is spooled, new batches queue up behind it, so order is kept; the sender tries
the store again every few seconds and at every ``flush()``, and delivers the spool in order.

The caller's cost is an append to a deque (well under a microsecond). The sender wakes when a
batch's worth is waiting or every ``flush_interval_s``, takes everything queued, groups it per
run in the order it was logged, and sends ``log_batch`` calls within MLflow's limits. ``flush()``
puts a marker in the queue and waits until the sender has passed it, so it returns only when
everything logged before it is stored; it then raises the first error the sender met (naming the
run and what failed). ``close()`` flushes and stops the thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from runstone.client.spool import Spool, SpooledBatch, as_batch
from runstone.entities import Metric, Param, RunTag
from runstone.errors import RunstoneError

log = logging.getLogger(__name__)

MAX_METRICS = 1000
MAX_PARAMS = 100
MAX_TAGS = 100
MAX_ITEMS = 1000

SendBatch = Callable[[str, Sequence[Metric], Sequence[Param], Sequence[RunTag]], None]

# Failures worth waiting out: the store may answer later (HTTP 5xx, 429, timeouts, a database
# that is down, locked or read-only).
_TRANSIENT_CODES = {
    "TEMPORARILY_UNAVAILABLE",
    "REQUEST_LIMIT_EXCEEDED",
    "RESOURCE_EXHAUSTED",
    "DEADLINE_EXCEEDED",
    "INTERNAL_ERROR",
}
PROBE_INTERVAL_S = 5.0


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, RunstoneError):
        return exc.code in _TRANSIENT_CODES
    return isinstance(exc, OSError)  # ConnectionError and TimeoutError included


class BackgroundLoggingError(RunstoneError):
    """What the background sender could not store, raised at the next flush()."""

    def __init__(self, message: str, cause: BaseException) -> None:
        super().__init__(message)
        self.cause = cause
        self.code = getattr(cause, "code", "INTERNAL_ERROR")  # type: ignore[misc]


@dataclass(slots=True)
class _Batch:
    run_id: str
    metrics: list[Metric] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    tags: list[RunTag] = field(default_factory=list)
    param_values: dict[str, str] = field(default_factory=dict)
    others: int = 0  # params and tags

    def size(self) -> int:
        return len(self.metrics) + self.others

    def accepts(self, item: Metric | Param | RunTag) -> bool:
        if self.size() >= MAX_ITEMS:
            return False
        if isinstance(item, Metric):
            return len(self.metrics) < MAX_METRICS
        if isinstance(item, Param):
            # one batch must not carry two values for one key; the store judges the second
            seen = self.param_values.get(item.key)
            return len(self.params) < MAX_PARAMS and (seen is None or seen == item.value)
        return len(self.tags) < MAX_TAGS

    def add(self, item: Metric | Param | RunTag) -> None:
        if isinstance(item, Metric):
            self.metrics.append(item)
        elif isinstance(item, Param):
            if item.key not in self.param_values:
                self.param_values[item.key] = item.value
                self.params.append(item)
                self.others += 1
        else:
            self.tags.append(item)
            self.others += 1


Queued = Metric | tuple[str, Metric | Param | RunTag]  # a metric carries its run id itself


def batches(items: Sequence[Queued]) -> Iterator[_Batch]:
    """Group queued items per run, in logging order, into batches within MLflow's limits.

    Items of one run keep their relative order across batches; a param or tag logged after a
    metric is never sent before it. Metrics, by far the most numerous, take a short path.
    """
    open_batches: dict[str, _Batch] = {}
    for entry in items:
        if type(entry) is Metric:
            run_id, item = entry.run_id or "", entry
        else:
            run_id, item = entry  # type: ignore[misc,assignment]
        batch = open_batches.get(run_id)
        if type(item) is Metric and batch is not None:
            metrics = batch.metrics
            if len(metrics) < MAX_METRICS and len(metrics) + batch.others < MAX_ITEMS:
                metrics.append(item)
                continue
        if batch is not None and not batch.accepts(item):
            yield batch
            batch = None
        if batch is None:
            batch = open_batches[run_id] = _Batch(run_id)
        batch.add(item)
    yield from open_batches.values()


class BatchLogger:
    def __init__(
        self,
        send: SendBatch,
        flush_interval_s: float = 1.0,
        max_queue: int = 100_000,
        wake_at: int = MAX_METRICS,
        spool: Spool | None = None,
        spool_after_s: float = 10.0,
    ) -> None:
        self._send = send
        self._spool = spool
        self._spool_after_s = spool_after_s
        self._spooling = bool(spool)  # left over from an earlier process: deliver it first
        self._last_probe = 0.0
        self._interval = flush_interval_s
        self._max_queue = max_queue
        self._wake_at = wake_at
        self._queue: deque[Queued | threading.Event] = deque()
        self._wakeup = threading.Event()
        self._space = threading.Condition()
        self._closed = False
        self._error: BackgroundLoggingError | None = None
        self._thread = threading.Thread(target=self._run, name="runstone-logger", daemon=True)
        self._thread.start()

    # -- the caller's side (hot path) --------------------------------------------------------

    def put_metric(self, metric: Metric) -> None:
        """Queue a metric whose ``run_id`` is set: one object, no wrapper (the hottest path)."""
        queue = self._queue
        queue.append(metric)
        size = len(queue)
        if size >= self._wake_at and not self._wakeup.is_set():
            self._wakeup.set()
        if size >= self._max_queue:
            self._wait_for_space()

    def put(self, run_id: str, item: Metric | Param | RunTag) -> None:
        queue = self._queue
        queue.append((run_id, item))
        size = len(queue)
        if size >= self._wake_at and not self._wakeup.is_set():
            self._wakeup.set()
        if size >= self._max_queue:
            self._wait_for_space()

    def _wait_for_space(self) -> None:
        """Backpressure: a caller outrunning the store waits instead of growing memory."""
        with self._space:
            while len(self._queue) >= self._max_queue and self._thread.is_alive():
                self._wakeup.set()
                self._space.wait(timeout=self._interval)

    def flush(self, timeout: float | None = None) -> None:
        """Return once everything logged before this call is stored; raise what failed."""
        if self._thread.is_alive():
            marker = threading.Event()
            self._queue.append(marker)
            self._wakeup.set()
            if not marker.wait(timeout):
                raise TimeoutError("Flushing logged values took longer than the timeout.")
        self.raise_error()

    def raise_error(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def close(self, timeout: float | None = None) -> None:
        if not self._closed:
            self._closed = True
            self._wakeup.set()
            self._thread.join(timeout)
        self.raise_error()

    # -- the sender --------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wakeup.wait(self._interval)
            self._wakeup.clear()
            self._drain()
            if self._closed:
                self._drain()
                return

    def _drain(self) -> None:
        while self._queue:
            items: list[Queued] = []
            markers: list[threading.Event] = []
            while self._queue and not markers:
                entry = self._queue.popleft()
                if isinstance(entry, threading.Event):
                    markers.append(entry)
                else:
                    items.append(entry)
            with self._space:
                self._space.notify_all()
            if self._spooling:
                self._probe(force=bool(markers))
            self._send_all(items)
            for marker in markers:
                marker.set()

    def _send_all(self, items: Sequence[Queued]) -> None:
        for batch in batches(items):
            if self._spooling and self._spool is not None:
                self._spool.append(as_batch(batch.run_id, batch.metrics, batch.params, batch.tags))
                continue
            try:
                self._send_retrying(batch)
            except Exception as exc:
                if is_transient(exc) and self._spool is not None:
                    self._start_spooling(exc)
                    self._spool.append(
                        as_batch(batch.run_id, batch.metrics, batch.params, batch.tags)
                    )
                    continue
                if self._error is None:  # kept for the caller's next flush()
                    what = (
                        f"{len(batch.metrics)} metrics, {len(batch.params)} params and "
                        f"{len(batch.tags)} tags"
                    )
                    message = f"Logging {what} to run {batch.run_id} failed: {exc}"
                    self._error = BackgroundLoggingError(message, exc)

    def _send_retrying(self, batch: _Batch) -> None:
        """Send, retrying transient failures with backoff for up to ``spool_after_s``."""
        deadline = time.monotonic() + (self._spool_after_s if self._spool is not None else 0.0)
        delay = 0.05
        while True:
            try:
                self._send(batch.run_id, batch.metrics, batch.params, batch.tags)
                return
            except Exception as exc:
                if not is_transient(exc) or time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def _start_spooling(self, exc: BaseException) -> None:
        self._spooling = True
        self._last_probe = time.monotonic()
        where = self._spool.folder if self._spool is not None else "?"
        log.warning(
            "Runstone: the tracking store is unavailable (%s); keeping logged values "
            "in %s until it is back.",
            exc,
            where,
        )

    def _probe(self, force: bool) -> None:
        """Try to deliver the spool (every few seconds, or now when a flush asks)."""
        now = time.monotonic()
        if self._spool is None or (not force and now - self._last_probe < PROBE_INTERVAL_S):
            return
        self._last_probe = now
        try:
            sent = self._spool.deliver(self._send_spooled)
        except Exception:  # transient: still unavailable; try again later
            return
        self._spooling = False
        if sent:
            log.warning("Runstone: delivered %d spooled batches to the tracking store.", sent)

    def _send_spooled(self, batch: SpooledBatch) -> None:
        try:
            self._send(batch.run_id, batch.metrics, batch.params, batch.tags)
        except Exception as exc:
            if is_transient(exc):
                raise  # the store is still away: stop, keep the rest spooled
            if self._error is None:  # refused for good (e.g. a changed param): report, go on
                message = f"A spooled batch for run {batch.run_id} was refused: {exc}"
                self._error = BackgroundLoggingError(message, exc)

    @property
    def spooling(self) -> bool:
        """True while batches wait in the spool for the store to come back."""
        return self._spooling
