"""System metrics of the machine a run trains on, sampled by a background thread (opt-in).

Names, units and aggregation are MLflow's (``mlflow.system_metrics``), so runs logged by either
client chart and compare alike:

- keys are ``system/<name>``, or ``system/<node_id>/<name>`` when a node id is given;
- a megabyte is 10**6 bytes; the disk is the one holding the root directory;
- each logged value is the mean of the samples since the last log, rounded to one decimal,
  except the network counters, which count from the sampler's start and are logged as they stand.

GPU metrics (``gpu_<i>_...``) come from NVML, read through ``pynvml`` (the optional extra
``runstone[gpu]``); without it, or without an NVIDIA driver, they are left out silently.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, Protocol

import psutil  # a small C extension with no dependencies: fine to load with this module

from runstone.entities.metric import Metric

_logger = logging.getLogger(__name__)

PREFIX = "system/"
_MB = 1e6
# Counters since the sampler started: MLflow logs their latest value rather than a mean.
_CUMULATIVE = frozenset({"network_receive_megabytes", "network_transmit_megabytes"})


class Collector(Protocol):
    """A source of system metrics: ``sample()`` maps unprefixed names to current values."""

    def sample(self) -> dict[str, float]: ...


class CpuCollector:
    """CPU utilisation (% since the previous sample) and system memory in use."""

    def __init__(self) -> None:
        psutil.cpu_percent()  # the first call only sets psutil's baseline (and returns 0.0)

    def sample(self) -> dict[str, float]:
        memory = psutil.virtual_memory()
        return {
            "cpu_utilization_percentage": psutil.cpu_percent(),
            "system_memory_usage_megabytes": memory.used / _MB,
            "system_memory_usage_percentage": memory.used / memory.total * 100,
        }


class DiskCollector:
    """Usage of the file system holding ``path`` (the root, as in MLflow)."""

    def __init__(self, path: str = os.sep) -> None:
        self._path = path

    def sample(self) -> dict[str, float]:
        usage = psutil.disk_usage(self._path)
        return {
            "disk_usage_percentage": usage.percent,
            "disk_usage_megabytes": usage.used / _MB,
            "disk_available_megabytes": usage.free / _MB,
        }


class NetworkCollector:
    """Megabytes received and sent since this collector was made (psutil counts since boot)."""

    def __init__(self) -> None:
        self._received, self._sent = self._counters()

    @staticmethod
    def _counters() -> tuple[int, int]:
        counters = psutil.net_io_counters()
        return (0, 0) if counters is None else (counters.bytes_recv, counters.bytes_sent)

    def sample(self) -> dict[str, float]:
        received, sent = self._counters()
        return {
            "network_receive_megabytes": (received - self._received) / _MB,
            "network_transmit_megabytes": (sent - self._sent) / _MB,
        }


class NvidiaGpuCollector:
    """Utilisation, memory and power of each NVIDIA GPU; build it with :meth:`detect`."""

    def __init__(self, nvml: Any, handles: Sequence[Any]) -> None:
        self._nvml = nvml
        self._handles = list(handles)

    @classmethod
    def detect(cls) -> NvidiaGpuCollector | None:
        """A collector over every GPU NVML sees, or None when pynvml or the driver is missing."""
        try:
            # Imported here rather than at the top: nvidia-ml-py is optional (runstone[gpu]) and
            # only this collector needs it, so machines without a GPU never load it.
            import pynvml  # type: ignore[import-untyped, import-not-found, unused-ignore]
        except ImportError:
            return None
        try:
            pynvml.nvmlInit()
            count = pynvml.nvmlDeviceGetCount()
            handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except pynvml.NVMLError as exc:
            _logger.debug("No GPU metrics: NVML is unavailable (%s)", exc)
            return None
        return cls(pynvml, handles) if handles else None

    def sample(self) -> dict[str, float]:
        values: dict[str, float] = {}
        for index, handle in enumerate(self._handles):
            for read in (self._memory, self._utilization, self._power):
                try:  # a GPU may not report everything (power, on some boards): keep the rest
                    values.update(read(handle, f"gpu_{index}_"))
                except self._nvml.NVMLError as exc:
                    _logger.debug("GPU %d: %s failed (%s)", index, read.__name__, exc)
        return values

    def _memory(self, handle: Any, prefix: str) -> dict[str, float]:
        memory = self._nvml.nvmlDeviceGetMemoryInfo(handle)
        return {
            f"{prefix}memory_usage_percentage": memory.used / memory.total * 100,
            f"{prefix}memory_usage_megabytes": memory.used / _MB,
        }

    def _utilization(self, handle: Any, prefix: str) -> dict[str, float]:
        rates = self._nvml.nvmlDeviceGetUtilizationRates(handle)
        return {f"{prefix}utilization_percentage": float(rates.gpu)}

    def _power(self, handle: Any, prefix: str) -> dict[str, float]:
        milliwatts = self._nvml.nvmlDeviceGetPowerUsage(handle)
        limit = self._nvml.nvmlDeviceGetEnforcedPowerLimit(handle)
        return {
            f"{prefix}power_usage_watts": milliwatts / 1000,
            f"{prefix}power_usage_percentage": milliwatts / limit * 100,
        }


def default_collectors() -> list[Collector]:
    """CPU and memory, disk and network, and NVIDIA GPUs when NVML is available."""
    collectors: list[Collector] = [CpuCollector(), DiskCollector(), NetworkCollector()]
    gpu = NvidiaGpuCollector.detect()
    if gpu is not None:
        collectors.append(gpu)
    return collectors


def aggregate(samples: Iterable[dict[str, float]]) -> dict[str, float]:
    """Means rounded to one decimal, and the latest value of cumulative counters, per name."""
    series: dict[str, list[float]] = {}
    for sample in samples:
        for name, value in sample.items():
            series.setdefault(name, []).append(value)
    return {
        name: values[-1] if name in _CUMULATIVE else round(sum(values) / len(values), 1)
        for name, values in series.items()
    }


class SystemMetricsSampler:
    """Samples system metrics every ``interval_s`` seconds and hands batches to ``log``.

    After each ``samples_per_log`` samples, ``log`` gets one :class:`Metric` per name, all with
    the same timestamp and step; the step counts the batches from ``first_step``. The samples of
    an interval cut short by :meth:`stop` are dropped, as in MLflow. An exception from ``log``
    or a collector never ends the thread: the first one is kept in :attr:`error` and logged as a
    warning, and sampling goes on.
    """

    def __init__(
        self,
        log: Callable[[Sequence[Metric]], None],
        interval_s: float = 10.0,
        samples_per_log: int = 1,
        node_id: str | None = None,
        *,
        collectors: Sequence[Collector] | None = None,
        first_step: int = 0,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, not {interval_s!r}")
        if samples_per_log < 1:
            raise ValueError(f"samples_per_log must be at least 1, not {samples_per_log!r}")
        self.interval_s = interval_s
        self.samples_per_log = samples_per_log
        self.prefix = PREFIX + (f"{node_id}/" if node_id else "")
        self.error: Exception | None = None
        self._log = log
        self._collectors = None if collectors is None else list(collectors)
        self._step = first_step
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the daemon thread; the default collectors' baselines are taken now."""
        if self._thread is not None:
            raise RuntimeError("a SystemMetricsSampler can be started only once")
        if self._collectors is None:
            self._collectors = default_collectors()
        self._thread = threading.Thread(
            target=self._run, name="runstone-system-metrics", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling and wait for the thread (at most one ``log`` call in progress)."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def __enter__(self) -> SystemMetricsSampler:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        while True:
            samples: list[dict[str, float]] = []
            for _ in range(self.samples_per_log):
                if self._stopping.wait(self.interval_s):
                    return
                samples.append(self._sample())
            self._publish(aggregate(samples))

    def _sample(self) -> dict[str, float]:
        values: dict[str, float] = {}
        for collector in self._collectors or ():
            try:
                values.update(collector.sample())
            except Exception as exc:
                self._record(exc, f"{type(collector).__name__}.sample()")
        return values

    def _publish(self, values: dict[str, float]) -> None:
        if not values:
            return
        now = time.time_ns() // 1_000_000
        step = self._step
        self._step += 1
        batch = [Metric(self.prefix + name, value, now, step) for name, value in values.items()]
        try:
            self._log(batch)
        except Exception as exc:
            self._record(exc, "logging them")

    def _record(self, exc: Exception, where: str) -> None:
        if self.error is not None:
            return
        self.error = exc
        _logger.warning(
            "System metrics: %s failed; sampling goes on, later errors are not reported",
            where,
            exc_info=exc,
        )
