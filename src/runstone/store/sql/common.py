"""Helpers every part of the SQL store shares: clocks, row lookups, row -> entity."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, Table, bindparam, select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from runstone.config import StoreSettings
from runstone.entities import Experiment, LifecycleStage, RunInfo, RunStatus
from runstone.errors import InvalidParameterValue, NotFound
from runstone.store.sql.engine import Database
from runstone.store.sql.tables import experiment_tags, experiments, runs
from runstone.store.validation import check_experiment_id, check_run_id

T = TypeVar("T")

# SQLite allows 32766 bound parameters; stay well below for IN lists.
IN_CHUNK = 500


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large result becomes entities.

    Building tens of thousands of rows, dicts and entities makes the collector run full
    collections that walk every object in the process, costing as much as the query itself;
    the objects made here hold no reference cycles, so nothing is lost by not collecting
    while they are built. Left alone if the collector is already off (another thread's pause,
    or the application's choice); the collector is never switched on by this if it was off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def chunked(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def experiment_row(
    conn: Connection, experiment_id: str | int, for_update: bool = False, shared: bool = False
) -> Row[Any]:
    number = check_experiment_id(experiment_id)
    query = select(experiments).where(experiments.c.experiment_id == number)
    if for_update:
        query = query.with_for_update(read=shared)
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"No Experiment with id={experiment_id} exists.")
    return row


def active_experiment_row(
    conn: Connection, experiment_id: str | int, shared: bool = False
) -> Row[Any]:
    """The experiment, locked (``shared``: only against change), which must be active."""
    row = experiment_row(conn, experiment_id, for_update=True, shared=shared)
    if row.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidParameterValue(
            f"The experiment {row.experiment_id} must be in the 'active' state; "
            f"it is {row.lifecycle_stage!r}."
        )
    return row


def experiment_from_row(row: Row[Any], tags: dict[str, str]) -> Experiment:
    return Experiment(
        experiment_id=str(row.experiment_id),
        name=row.name,
        artifact_location=row.artifact_location,
        lifecycle_stage=LifecycleStage(row.lifecycle_stage),
        creation_time=row.creation_time,
        last_update_time=row.last_update_time,
        tags=tags,
    )


def experiment_tags_by_id(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    result: dict[int, dict[str, str]] = {i: {} for i in ids}
    for part in chunked(ids):
        query = select(experiment_tags).where(experiment_tags.c.experiment_id.in_(part))
        for row in conn.execute(query):
            result[row.experiment_id][row.key] = row.value
    return result


_RUN_BY_ID = select(runs).where(runs.c.run_uuid == bindparam("run_id"))
_RUN_BY_ID_LOCKED = _RUN_BY_ID.with_for_update()


def run_row(conn: Connection, run_id: str, for_update: bool = False) -> Row[Any]:
    check_run_id(run_id)
    query = _RUN_BY_ID_LOCKED if for_update else _RUN_BY_ID
    row = conn.execute(query, {"run_id": run_id}).first()
    if row is None:
        raise run_not_found(run_id)
    return row


def run_not_found(run_id: str) -> NotFound:
    return NotFound(f"Run with id={run_id} not found")


def require_active_run(run_id: str, lifecycle_stage: str) -> None:
    if lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidParameterValue(
            f"The run {run_id} must be in the 'active' state. Current state is {lifecycle_stage}."
        )


def active_run_row(conn: Connection, run_id: str) -> Row[Any]:
    """The run, locked for this transaction, which must not be deleted."""
    row = run_row(conn, run_id, for_update=True)
    require_active_run(run_id, row.lifecycle_stage)
    return row


def run_info_from_row(row: Row[Any]) -> RunInfo:
    return run_info_from_values(row._mapping)


def run_info_from_values(values: Mapping[Any, Any]) -> RunInfo:
    return RunInfo(
        run_id=values["run_uuid"],
        experiment_id=str(values["experiment_id"]),
        run_name=values["name"],
        user_id=values["user_id"],
        status=RunStatus[values["status"]],
        start_time=values["start_time"],
        end_time=values["end_time"],
        artifact_uri=values["artifact_uri"],
        lifecycle_stage=LifecycleStage(values["lifecycle_stage"]),
    )


def distinct(items: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(items))


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key_columns: Sequence[str],
    update_columns: Sequence[str],
) -> None:
    """Insert ``rows``, overwriting ``update_columns`` of rows whose key already exists."""
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "mysql":
        my_stmt = mysql_insert(table).values(list(rows))
        conn.execute(
            my_stmt.on_duplicate_key_update({c: my_stmt.inserted[c] for c in update_columns})
        )
        return
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(table).values(list(rows))
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=list(key_columns),
            set_={c: stmt.excluded[c] for c in update_columns},
        )
    )


class StoreParts:
    """What every part (mixin) of :class:`SqlStore` can use."""

    _db: Database
    _settings: StoreSettings
    _artifact_root: str
