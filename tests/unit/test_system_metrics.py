"""The system-metrics sampler: MLflow's names and units, real psutil readings, real threads."""

from __future__ import annotations

import logging
import sys
import threading
import time
import types
from collections.abc import Callable, Sequence
from typing import Any

import psutil
import pytest

from runstone.client import system_metrics
from runstone.client.system_metrics import (
    CpuCollector,
    DiskCollector,
    NetworkCollector,
    NvidiaGpuCollector,
    SystemMetricsSampler,
    aggregate,
    default_collectors,
)
from runstone.entities.metric import Metric

INTERVAL = 0.05
DEADLINE = 10.0  # generous: the suite runs under pytest-xdist on a busy machine

# The names of mlflow/system_metrics/metrics/{cpu,disk,network}_monitor.py (MLflow 3.17).
MLFLOW_NAMES = {
    "cpu_utilization_percentage",
    "system_memory_usage_megabytes",
    "system_memory_usage_percentage",
    "disk_usage_percentage",
    "disk_usage_megabytes",
    "disk_available_megabytes",
    "network_receive_megabytes",
    "network_transmit_megabytes",
}
# gpu_monitor.py, per GPU index.
MLFLOW_GPU_NAMES = {
    "gpu_{i}_memory_usage_percentage",
    "gpu_{i}_memory_usage_megabytes",
    "gpu_{i}_utilization_percentage",
    "gpu_{i}_power_usage_watts",
    "gpu_{i}_power_usage_percentage",
}


class Recorder:
    """A ``log`` callback that keeps every batch and lets a test wait for some."""

    def __init__(self, fail: Callable[[int], bool] = lambda call: False) -> None:
        self.batches: list[list[Metric]] = []
        self.calls = 0
        self._fail = fail
        self._changed = threading.Condition()

    def __call__(self, metrics: Sequence[Metric]) -> None:
        with self._changed:
            self.calls += 1
            call = self.calls
            self._changed.notify_all()
        if self._fail(call):
            raise RuntimeError(f"log call {call} failed")
        with self._changed:
            self.batches.append(list(metrics))
            self._changed.notify_all()

    def wait_for(self, batches: int) -> list[list[Metric]]:
        with self._changed:
            done = self._changed.wait_for(lambda: len(self.batches) >= batches, DEADLINE)
        assert done, f"{len(self.batches)} batches logged, expected {batches}"
        return self.batches[:batches]


class Counting:
    """A fake collector returning the next values of given series on each sample."""

    def __init__(self, **series: Sequence[float]) -> None:
        self._series = {name: iter(values) for name, values in series.items()}

    def sample(self) -> dict[str, float]:
        return {name: next(values) for name, values in self._series.items()}


class Failing:
    def __init__(self) -> None:
        self.called = threading.Event()

    def sample(self) -> dict[str, float]:
        self.called.set()
        raise OSError("sensor gone")


@pytest.fixture
def no_pynvml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # `import pynvml` raises ImportError


def by_key(batch: Sequence[Metric]) -> dict[str, float]:
    return {metric.key: metric.value for metric in batch}


@pytest.mark.usefixtures("no_pynvml")
def test_default_metrics_have_mlflow_names_and_plausible_values() -> None:
    recorder = Recorder()
    with SystemMetricsSampler(recorder, interval_s=INTERVAL):
        [batch] = recorder.wait_for(1)
    values = by_key(batch)
    assert set(values) == {f"system/{name}" for name in MLFLOW_NAMES}

    memory = psutil.virtual_memory()
    disk = psutil.disk_usage("/")
    assert 0 <= values["system/cpu_utilization_percentage"] <= 100
    assert 0 < values["system/system_memory_usage_megabytes"] <= memory.total / 1e6
    assert 0 < values["system/system_memory_usage_percentage"] <= 100
    assert 0 <= values["system/disk_usage_percentage"] <= 100
    assert 0 < values["system/disk_usage_megabytes"] <= disk.total / 1e6
    assert 0 <= values["system/disk_available_megabytes"] <= disk.total / 1e6
    # Megabytes are 10**6 bytes, rounded to one decimal like MLflow's means.
    assert values["system/disk_usage_megabytes"] == pytest.approx(disk.used / 1e6, rel=0.05)
    assert values["system/disk_usage_megabytes"] == round(values["system/disk_usage_megabytes"], 1)
    assert 0 <= values["system/network_receive_megabytes"] < 1000  # since start, not since boot
    assert 0 <= values["system/network_transmit_megabytes"] < 1000


def test_node_id_goes_between_system_and_the_name() -> None:
    recorder = Recorder()
    with SystemMetricsSampler(
        recorder, INTERVAL, node_id="node_0", collectors=[DiskCollector()]
    ) as sampler:
        [batch] = recorder.wait_for(1)
    assert sampler.prefix == "system/node_0/"
    assert {m.key for m in batch} == {
        "system/node_0/disk_usage_percentage",
        "system/node_0/disk_usage_megabytes",
        "system/node_0/disk_available_megabytes",
    }


def test_steps_count_batches_and_timestamps_are_now() -> None:
    recorder = Recorder()
    before = time.time_ns() // 1_000_000
    with SystemMetricsSampler(recorder, INTERVAL, collectors=[CpuCollector()]):
        batches = recorder.wait_for(3)
    after = time.time_ns() // 1_000_000
    assert [{m.step for m in batch} for batch in batches] == [{0}, {1}, {2}]
    stamps = [{m.timestamp for m in batch} for batch in batches]
    assert all(len(stamp) == 1 for stamp in stamps)
    flat = [stamp.pop() for stamp in stamps]
    assert before <= flat[0] <= flat[1] <= flat[2] <= after
    assert all(m.run_id is None for batch in batches for m in batch)


def test_first_step_resumes_a_run() -> None:
    recorder = Recorder()
    with SystemMetricsSampler(recorder, INTERVAL, collectors=[Counting(x=[1, 2])], first_step=7):
        [batch] = recorder.wait_for(1)
    assert batch == [Metric("system/x", 1.0, batch[0].timestamp, 7)]


def test_stop_returns_mid_interval() -> None:
    recorder = Recorder()
    sampler = SystemMetricsSampler(recorder, interval_s=30.0, collectors=[CpuCollector()])
    sampler.start()
    assert sampler.running
    started = time.monotonic()
    sampler.stop()
    assert time.monotonic() - started < 1.0
    assert not sampler.running
    assert recorder.calls == 0  # the unfinished interval's samples are dropped, as in MLflow


def test_samples_per_log_averages_and_keeps_counters_as_they_stand() -> None:
    recorder = Recorder()
    fake = Counting(
        cpu_utilization_percentage=[10, 20, 30, 41, 50, 60],
        network_receive_megabytes=[1.04, 2.06, 3.5, 4.25, 5, 6],
    )
    with SystemMetricsSampler(recorder, INTERVAL, samples_per_log=2, collectors=[fake]):
        first, second = recorder.wait_for(2)
    assert by_key(first) == {
        "system/cpu_utilization_percentage": 15.0,
        "system/network_receive_megabytes": 2.06,  # the latest value, unrounded
    }
    assert by_key(second) == {
        "system/cpu_utilization_percentage": 35.5,
        "system/network_receive_megabytes": 4.25,
    }
    assert [first[0].step, second[0].step] == [0, 1]


def test_aggregate_rounds_means_to_one_decimal() -> None:
    assert aggregate([{"a": 1.0, "b": 3.0}, {"a": 1.25}]) == {"a": 1.1, "b": 3.0}
    assert aggregate([]) == {}


def test_network_counts_from_the_collectors_start() -> None:
    collector = NetworkCollector()
    sample = collector.sample()
    assert set(sample) == {"network_receive_megabytes", "network_transmit_megabytes"}
    assert all(0 <= value < 100 for value in sample.values())


def test_no_gpu_collector_without_pynvml(no_pynvml: None) -> None:
    assert NvidiaGpuCollector.detect() is None
    assert not any(isinstance(c, NvidiaGpuCollector) for c in default_collectors())


def test_no_gpu_here_is_skipped_silently(caplog: pytest.LogCaptureFixture) -> None:
    """This machine has no GPU: whether pynvml is installed or not, detection finds none."""
    with caplog.at_level(logging.INFO, logger=system_metrics.__name__):
        assert NvidiaGpuCollector.detect() is None
    assert caplog.records == []


class FakeNVMLError(Exception):
    pass


def fake_pynvml(gpus: int = 2, init_fails: bool = False, no_power: bool = False) -> Any:
    """A stand-in for the pynvml module with the calls the GPU collector makes."""

    def init() -> None:
        if init_fails:
            raise FakeNVMLError("NVML Shared Library Not Found")

    def power(handle: int) -> int:
        if no_power:
            raise FakeNVMLError("Not Supported")
        return 150_000 + handle * 1000  # milliwatts

    ns = types.SimpleNamespace
    return types.SimpleNamespace(
        NVMLError=FakeNVMLError,
        nvmlInit=init,
        nvmlDeviceGetCount=lambda: gpus,
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetMemoryInfo=lambda h: ns(used=2e9 * (h + 1), total=8e9, free=8e9 - 2e9),
        nvmlDeviceGetUtilizationRates=lambda h: ns(gpu=42 + h, memory=10),
        nvmlDeviceGetPowerUsage=power,
        nvmlDeviceGetEnforcedPowerLimit=lambda h: 300_000,
    )


@pytest.fixture
def install_pynvml(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def install(**options: Any) -> None:
        monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml(**options))

    return install


def test_gpu_collector_uses_mlflow_names_and_units(install_pynvml: Callable[..., None]) -> None:
    install_pynvml(gpus=2)
    collector = NvidiaGpuCollector.detect()
    assert collector is not None
    sample = collector.sample()
    assert set(sample) == {name.format(i=i) for i in (0, 1) for name in MLFLOW_GPU_NAMES}
    assert sample["gpu_0_memory_usage_megabytes"] == 2000.0
    assert sample["gpu_0_memory_usage_percentage"] == 25.0
    assert sample["gpu_0_utilization_percentage"] == 42.0
    assert sample["gpu_0_power_usage_watts"] == 150.0
    assert sample["gpu_0_power_usage_percentage"] == 50.0
    assert sample["gpu_1_memory_usage_megabytes"] == 4000.0
    assert sample["gpu_1_utilization_percentage"] == 43.0


def test_gpu_collector_skips_readings_a_board_lacks(install_pynvml: Callable[..., None]) -> None:
    install_pynvml(gpus=1, no_power=True)
    collector = NvidiaGpuCollector.detect()
    assert collector is not None
    assert set(collector.sample()) == {
        "gpu_0_memory_usage_percentage",
        "gpu_0_memory_usage_megabytes",
        "gpu_0_utilization_percentage",
    }


@pytest.mark.parametrize("options", [{"init_fails": True}, {"gpus": 0}])
def test_no_gpu_collector_when_nvml_finds_nothing(
    install_pynvml: Callable[..., None], options: dict[str, Any]
) -> None:
    install_pynvml(**options)
    assert NvidiaGpuCollector.detect() is None


def test_injected_gpu_collector_is_logged_under_mlflow_keys(
    install_pynvml: Callable[..., None],
) -> None:
    install_pynvml(gpus=1)
    gpu = NvidiaGpuCollector.detect()
    assert gpu is not None
    recorder = Recorder()
    with SystemMetricsSampler(recorder, INTERVAL, node_id="n1", collectors=[gpu]):
        [batch] = recorder.wait_for(1)
    assert by_key(batch) == {
        "system/n1/gpu_0_memory_usage_percentage": 25.0,
        "system/n1/gpu_0_memory_usage_megabytes": 2000.0,
        "system/n1/gpu_0_utilization_percentage": 42.0,
        "system/n1/gpu_0_power_usage_watts": 150.0,
        "system/n1/gpu_0_power_usage_percentage": 50.0,
    }


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == system_metrics.__name__ and r.levelno >= 30]


def test_a_failing_log_is_kept_and_sampling_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder(fail=lambda call: call <= 2)
    with SystemMetricsSampler(recorder, INTERVAL, collectors=[DiskCollector()]) as sampler:
        batches = recorder.wait_for(2)
        assert sampler.running
    assert isinstance(sampler.error, RuntimeError)
    assert str(sampler.error) == "log call 1 failed"
    assert [batch[0].step for batch in batches] == [2, 3]  # failed calls still used their steps
    assert len(warnings_of(caplog)) == 1


def test_a_failing_collector_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder()
    with SystemMetricsSampler(recorder, INTERVAL, collectors=[Failing(), Counting(x=[1, 2, 3])]):
        batches = recorder.wait_for(3)
    assert [by_key(batch) for batch in batches] == [{"system/x": v} for v in (1.0, 2.0, 3.0)]
    assert len(warnings_of(caplog)) == 1


def test_stop_from_the_log_callback_ends_sampling() -> None:
    holder: list[SystemMetricsSampler] = []
    recorder = Recorder()

    def log(metrics: Sequence[Metric]) -> None:
        holder[0].stop()  # from the sampler's own thread: must not try to join itself
        recorder(metrics)

    sampler = SystemMetricsSampler(log, INTERVAL, collectors=[Counting(x=[1, 2, 3])])
    holder.append(sampler)
    sampler.start()
    recorder.wait_for(1)
    sampler.stop()
    assert sampler.error is None
    assert recorder.calls == 1


def test_start_twice_and_bad_arguments_are_refused() -> None:
    sampler = SystemMetricsSampler(Recorder(), INTERVAL, collectors=[])
    sampler.start()
    with pytest.raises(RuntimeError):
        sampler.start()
    sampler.stop()
    with pytest.raises(ValueError, match="interval_s"):
        SystemMetricsSampler(Recorder(), 0)
    with pytest.raises(ValueError, match="samples_per_log"):
        SystemMetricsSampler(Recorder(), samples_per_log=0)


def test_nothing_is_logged_when_no_collector_reports() -> None:
    recorder = Recorder()
    failing = Failing()
    with SystemMetricsSampler(recorder, INTERVAL, collectors=[failing]) as sampler:
        assert failing.called.wait(DEADLINE)
    assert isinstance(sampler.error, OSError)
    assert recorder.calls == 0
