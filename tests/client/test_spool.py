"""The store goes away mid-run: logging goes on, and every point arrives exactly once."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from runstone.client.client import RunstoneClient
from runstone.client.spool import Spool, SpooledBatch
from runstone.entities import Metric, Param, RunTag


@pytest.fixture
def impatient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give up on a locked SQLite file fast, and spool soon."""
    monkeypatch.setenv("RUNSTONE_SQLITE_BUSY_TIMEOUT_SECONDS", "0.05")
    monkeypatch.setenv("RUNSTONE_SPOOL_AFTER_SECONDS", "0.2")
    monkeypatch.setenv("RUNSTONE_FLUSH_INTERVAL_SECONDS", "0.1")


def _points(start: int, stop: int) -> list[tuple[int, float]]:
    return [(step, float(step) / 7) for step in range(start, stop)]


@pytest.mark.slow
@pytest.mark.usefixtures("impatient")
def test_a_locked_database_spools_then_delivers_every_point_once(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    with RunstoneClient(f"sqlite:///{db}") as client:
        run_id = client.create_run(client.create_experiment("outage")).info.run_id
        for step, value in _points(0, 1000):
            client.log_metric(run_id, "loss", value, step=step)
        client.flush()

        blocker = sqlite3.connect(db, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # the database now refuses every writer
        for step, value in _points(1000, 4000):
            client.log_metric(run_id, "loss", value, step=step)
        client.log_param(run_id, "during", "outage")
        client.flush()  # returns: what could not be stored is safe in the spool
        assert client.logger.spooling
        assert client.spool.pending() > 0
        blocker.rollback()
        blocker.close()

        for step, value in _points(4000, 4500):
            client.log_metric(run_id, "loss", value, step=step)
        client.flush()  # the store is back: the spool goes first, in order
        assert not client.logger.spooling
        assert client.spool.pending() == 0
        history = client.get_metric_history(run_id, "loss")
        assert [(m.step, m.value) for m in history] == _points(0, 4500)
        summary = client.store.get_metric_summaries(run_id)[0]
        assert summary.count == 4500
        assert client.get_run(run_id).data.params == {"during": "outage"}


def test_a_spool_left_by_an_earlier_process_is_delivered_by_sync(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'runs.db'}"
    with RunstoneClient(uri) as client:
        run_id = client.create_run(client.create_experiment("later")).info.run_id
        batches = [
            SpooledBatch(run_id, [Metric("m", 1.0, 10, 0)], [Param("p", "1")], []),
            SpooledBatch(run_id, [Metric("m", 2.0, 20, 1)], [], [RunTag("t", "x")]),
        ]
        for batch in batches:
            client.spool.append(batch)
        client.spool.append(batches[0])  # a batch spooled twice is still stored once
        assert client.sync() == 3
        assert client.sync() == 0
        run = client.get_run(run_id)
        assert run.data.params == {"p": "1"}
        assert run.data.tags["t"] == "x"
        assert [m.step for m in client.get_metric_history(run_id, "m")] == [0, 1]


def test_a_new_client_delivers_the_spool_before_its_own_batches(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'runs.db'}"
    with RunstoneClient(uri) as first:
        run_id = first.create_run(first.create_experiment("order")).info.run_id
        first.spool.append(SpooledBatch(run_id, [Metric("m", 1.0, 10, 0)], [], []))
    with RunstoneClient(uri) as second:
        second.log_metric(run_id, "m", 2.0, timestamp=20, step=1)
        second.flush()
        assert [m.value for m in second.get_metric_history(run_id, "m")] == [1.0, 2.0]
        assert second.spool.pending() == 0


def test_a_line_torn_by_a_crash_is_not_delivered(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", "sqlite:///x.db")
    spool.append(SpooledBatch("r", [Metric("m", float("nan"), 1, 0)], [], []))
    segment = next((tmp_path / "spool").glob("*.jsonl"))
    with open(segment, "ab") as out:
        out.write(b'{"run_id": "r", "metr')  # the crash happened here
    received: list[SpooledBatch] = []
    assert spool.deliver(received.append) == 1
    assert received[0].metrics[0].key == "m"
    assert not spool


def test_spool_keeps_order_across_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("runstone.client.spool.SEGMENT_BATCHES", 3)
    spool = Spool(tmp_path / "spool", "uri")
    for i in range(10):
        spool.append(SpooledBatch("r", [Metric("m", float(i), 1, i)], [], []))
    assert len(list((tmp_path / "spool").glob("*.jsonl"))) == 4
    assert spool.pending() == 10
    received: list[int] = []
    spool.deliver(lambda b: received.append(b.metrics[0].step))
    assert received == list(range(10))


def test_runstone_sync_delivers_the_spool(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from runstone.cli.main import cli

    uri = f"sqlite:///{tmp_path / 'runs.db'}"
    with RunstoneClient(uri) as client:
        run_id = client.create_run(client.create_experiment("cli")).info.run_id
        client.spool.append(SpooledBatch(run_id, [Metric("m", 1.0, 10, 0)], [], []))
    result = CliRunner().invoke(cli, ["sync", "--tracking-uri", uri, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"delivered": 1, "pending": 0}
    with RunstoneClient(uri) as client:
        assert client.get_run(run_id).data.metrics["m"].value == 1.0
