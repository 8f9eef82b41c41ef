"""Metric points stored as chunks, and the summary row kept per (run, key).

A chunk holds up to a few thousand points of one (run, key) packed into one blob (see
``points.py``), plus a sketch of a few dozen of them for chart reads. A batch becomes one new
chunk, or is merged into the last chunk while that one is small, so logging a point at a time
does not leave a row per point behind. The summary row (latest point, min, max, count) is what
search, sort and run pages read; it changes in the same transaction as the chunk.

Exact duplicates (same step, timestamp and value; NaN equal to NaN) are dropped, so a replayed
batch changes nothing. Writers hold the run's row lock (``active_run_row``), so the updates of
one run never interleave.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import (
    Connection,
    Executable,
    Row,
    and_,
    bindparam,
    insert,
    select,
    text,
    update,
)

from runstone.entities import MetricHistory, MetricSummary
from runstone.store.sql.common import require_active_run, run_not_found
from runstone.store.sql.points import Points, downsample, pack, sketch, unpack
from runstone.store.sql.tables import metric_chunks, metric_summaries, runs
from runstone.store.validation import MetricColumns

CODEC_PACKED_LE = 0
MERGE_BELOW = 512  # a last chunk smaller than this absorbs the next small batch
CHUNK_MAX = 4096  # ...as long as the merged chunk stays at most this big
RAW_READ_FACTOR = 8  # chart reads decode every point while there are at most 8x as many as asked
DBL_MAX = sys.float_info.max


# -- values in the summary table (MySQL stores neither NaN nor infinities) ----------------------


def to_db(value: float) -> float | None:
    if math.isnan(value):
        return None
    if math.isinf(value):
        return DBL_MAX if value > 0 else -DBL_MAX
    return value


def from_db(value: float | None) -> float:
    if value is None:
        return math.nan
    if value >= DBL_MAX:
        return math.inf
    if value <= -DBL_MAX:
        return -math.inf
    return float(value)


def summary_from_row(row: Row[Any]) -> MetricSummary:
    return MetricSummary(
        key=row.key,
        last_value=from_db(row.last_value),
        last_timestamp=row.last_timestamp,
        last_step=row.last_step,
        min_value=from_db(row.min_value),
        max_value=from_db(row.max_value),
        count=row.n_points,
    )


# -- writing -----------------------------------------------------------------------------------

# Built once: logging is the hottest path, and a prebuilt statement skips SQLAlchemy's per-call
# construction and cache-key work.
# Locks the run (its row only, where the database can say so) and reads the summaries of the
# batch's keys in one round trip.
_LOCK_RUN_READ_SUMMARIES = (
    select(runs.c.lifecycle_stage, metric_summaries)
    .select_from(
        runs.outerjoin(
            metric_summaries,
            and_(
                metric_summaries.c.run_uuid == runs.c.run_uuid,
                metric_summaries.c.key.in_(bindparam("keys", expanding=True)),
            ),
        )
    )
    .where(runs.c.run_uuid == bindparam("run_id"))
    .with_for_update(of=runs)
)
_LOCK_RUN = (
    select(runs.c.lifecycle_stage).where(runs.c.run_uuid == bindparam("run_id")).with_for_update()
)
_READ_SUMMARIES = (
    select(metric_summaries)
    .where(metric_summaries.c.run_uuid == bindparam("run_id"))
    .where(metric_summaries.c.key.in_(bindparam("keys", expanding=True)))
)
_INSERT_SUMMARY = insert(metric_summaries)
_UPDATE_SUMMARY = (
    update(metric_summaries)
    .where(metric_summaries.c.run_uuid == bindparam("b_run_id"))
    .where(metric_summaries.c.key == bindparam("b_key"))
)
_LAST_CHUNK = (
    select(metric_chunks.c.chunk_id, metric_chunks.c.n_points, metric_chunks.c.points)
    .where(metric_chunks.c.run_uuid == bindparam("run_id"))
    .where(metric_chunks.c.key == bindparam("key"))
    .order_by(metric_chunks.c.chunk_id.desc())
    .limit(1)
)
_INSERT_CHUNK = insert(metric_chunks)
_UPDATE_CHUNK = update(metric_chunks).where(metric_chunks.c.chunk_id == bindparam("b_chunk_id"))
_CHUNK_COLUMNS = (
    "run_uuid",
    "key",
    "codec",
    "n_points",
    "min_step",
    "max_step",
    "points",
    "sketch",
)
_SUMMARY_COLUMNS = (
    "last_step",
    "last_timestamp",
    "last_value",
    "min_value",
    "max_value",
    "n_points",
)
# PostgreSQL: the common case, a new chunk and an updated summary, in one round trip (a data-
# modifying CTE always runs to completion, referenced or not).
_PG_INSERT_CHUNK_UPDATE_SUMMARY = (
    update(metric_summaries)
    .where(metric_summaries.c.run_uuid == bindparam("b_run_id"))
    .where(metric_summaries.c.key == bindparam("b_key"))
    .values({c: bindparam(f"s_{c}") for c in _SUMMARY_COLUMNS})
    .add_cte(
        insert(metric_chunks)
        .values({c: bindparam(f"c_{c}") for c in _CHUNK_COLUMNS})
        .cte("new_chunk")
    )
)


# PostgreSQL, the hot path (a batch of new points of one key, extending its step range): the
# summary upsert and the chunk insert in ONE statement, run outside an explicit transaction,
# so a batch costs one round trip instead of four (BEGIN, lock and read, write, COMMIT).
# - The run is locked FOR SHARE and must be active, as the other writers lock it (a delete
#   waits, then this finds nothing to do).
# - The summary row is only updated while the batch starts after its last step: then the
#   batch's latest point is the new latest, min/max fold in (LEAST/GREATEST skip NULL = NaN),
#   and no stored point can repeat. The chunk is inserted only if the summary was written.
# - When nothing was written (unknown or deleted run, a batch reaching back into stored steps,
#   a concurrent writer that got there first) the caller takes the general path, which reads
#   under a lock, drops duplicates and raises the right error.
_PG_APPEND_NEW_POINTS = text(
    """
WITH summary AS (
    INSERT INTO metric_summaries
        (run_uuid, key, last_step, last_timestamp, last_value, min_value, max_value, n_points)
    SELECT CAST(:run_id AS VARCHAR), CAST(:key AS VARCHAR), CAST(:last_step AS BIGINT),
        CAST(:last_timestamp AS BIGINT), CAST(:last_value AS DOUBLE PRECISION),
        CAST(:min_value AS DOUBLE PRECISION), CAST(:max_value AS DOUBLE PRECISION),
        CAST(:n_points AS BIGINT)
    FROM runs
    WHERE runs.run_uuid = CAST(:run_id AS VARCHAR) AND runs.lifecycle_stage = 'active'
    FOR SHARE OF runs
    ON CONFLICT (run_uuid, key) DO UPDATE SET
        last_step = EXCLUDED.last_step,
        last_timestamp = EXCLUDED.last_timestamp,
        last_value = EXCLUDED.last_value,
        min_value = LEAST(metric_summaries.min_value, EXCLUDED.min_value),
        max_value = GREATEST(metric_summaries.max_value, EXCLUDED.max_value),
        n_points = metric_summaries.n_points + EXCLUDED.n_points
    WHERE metric_summaries.last_step < CAST(:min_step AS BIGINT)
    RETURNING 1
), chunk AS (
    INSERT INTO metric_chunks
        (run_uuid, key, codec, n_points, min_step, max_step, points, sketch)
    SELECT CAST(:run_id AS VARCHAR), CAST(:key AS VARCHAR), CAST(:codec AS SMALLINT),
        CAST(:n_points AS INTEGER), CAST(:min_step AS BIGINT), CAST(:max_step AS BIGINT),
        CAST(:points AS BYTEA), CAST(:sketch AS BYTEA)
    FROM summary
    RETURNING 1
)
SELECT count(*) FROM chunk
"""
)


def pg_append_new_points(conn: Connection, run_id: str, batch: MetricColumns) -> bool:
    """Store a batch of one key's new points in one statement (PostgreSQL, autocommit).

    Returns False, having written nothing, when the general path must handle the batch:
    several keys, a small batch (merged into the last chunk there), or anything the
    statement's conditions refuse.
    """
    if len(batch.keys) < MERGE_BELOW or batch.keys.count(batch.keys[0]) != len(batch.keys):
        return False
    points = Points.of(batch.steps, batch.timestamps, batch.values).unique()
    if len(points) < MERGE_BELOW:
        return False
    params = {"run_id": run_id, "key": batch.keys[0]}
    params.update(_chunk_values(points))
    params.update(_summary_values(points, None))
    return bool(conn.execute(_PG_APPEND_NEW_POINTS, params).scalar())


def append_metrics(conn: Connection, run_id: str, batch: MetricColumns) -> None:
    """Store a checked batch of one run's metrics, taking the run's lock first.

    Raises NotFound for an unknown run and InvalidParameterValue for a deleted one.
    """
    by_key = _split_by_key(batch)
    postgresql = conn.dialect.name == "postgresql"
    if postgresql:
        # Lock first, then read: at READ COMMITTED a statement that waited for the lock still
        # sees the joined summary rows as they were when it started, before the writer it
        # waited for committed. The next statement sees that writer's rows.
        stage = conn.execute(_LOCK_RUN, {"run_id": run_id}).scalar()
        if stage is None:
            raise run_not_found(run_id)
        require_active_run(run_id, stage)
        found = conn.execute(_READ_SUMMARIES, {"run_id": run_id, "keys": list(by_key)}).all()
    else:
        # MySQL's locking reads and SQLite's write lock see the latest rows: one statement.
        found = conn.execute(
            _LOCK_RUN_READ_SUMMARIES, {"run_id": run_id, "keys": list(by_key)}
        ).all()
        if not found:
            raise run_not_found(run_id)
        require_active_run(run_id, found[0].lifecycle_stage)
    summaries = {row.key: row for row in found if row.key is not None}
    for key, logged in by_key.items():
        summary = summaries.get(key)
        points = _new_points(conn, run_id, key, logged.unique(), summary)
        if not len(points):
            continue
        chunk_statement, chunk = _chunk_write(conn, run_id, key, points)
        summary_values = _summary_values(points, summary)
        if postgresql and chunk_statement is _INSERT_CHUNK and summary is not None:
            combined = {f"c_{c}": v for c, v in chunk.items()}
            combined.update({f"s_{c}": v for c, v in summary_values.items()})
            conn.execute(
                _PG_INSERT_CHUNK_UPDATE_SUMMARY, {"b_run_id": run_id, "b_key": key, **combined}
            )
            continue
        conn.execute(chunk_statement, chunk)
        if summary is None:
            conn.execute(_INSERT_SUMMARY, {"run_uuid": run_id, "key": key, **summary_values})
        else:
            conn.execute(_UPDATE_SUMMARY, {"b_run_id": run_id, "b_key": key, **summary_values})


def _new_points(
    conn: Connection, run_id: str, key: str, points: Points, summary: Row[Any] | None
) -> Points:
    """``points`` less those already stored; only batches reaching back into the stored step
    range (replays, late points) need to look."""
    if summary is None or int(points.steps.min()) > summary.last_step:
        return points
    lo, hi = int(points.steps.min()), int(points.steps.max())
    return points.without(_read_points(conn, run_id, key, lo, hi))


def _split_by_key(batch: MetricColumns) -> dict[str, Points]:
    everything = Points.of(batch.steps, batch.timestamps, batch.values)
    first = batch.keys[0]
    if batch.keys.count(first) == len(batch.keys):
        return {first: everything}
    index: dict[str, list[int]] = {}
    for i, key in enumerate(batch.keys):
        index.setdefault(key, []).append(i)
    return {key: everything.take(np.array(rows, dtype=np.int64)) for key, rows in index.items()}


def _chunk_write(
    conn: Connection, run_id: str, key: str, points: Points
) -> tuple[Executable, dict[str, Any]]:
    """How to store ``points``: merged into the last chunk while it is small, else a new one."""
    if len(points) < MERGE_BELOW:
        last = conn.execute(_LAST_CHUNK, {"run_id": run_id, "key": key}).first()
        if (
            last is not None
            and last.n_points < MERGE_BELOW
            and last.n_points + len(points) <= CHUNK_MAX
        ):
            merged = Points.concat([unpack(last.points), points])
            return _UPDATE_CHUNK, {"b_chunk_id": last.chunk_id, **_chunk_values(merged)}
    return _INSERT_CHUNK, {"run_uuid": run_id, "key": key, **_chunk_values(points)}


def _chunk_values(points: Points) -> dict[str, Any]:
    return {
        "codec": CODEC_PACKED_LE,
        "n_points": len(points),
        "min_step": int(points.steps.min()),
        "max_step": int(points.steps.max()),
        "points": pack(points),
        "sketch": pack(sketch(points)),
    }


def _summary_values(points: Points, old: Row[Any] | None) -> dict[str, Any]:
    """The summary after adding ``points`` to ``old`` (None for a new key)."""
    i = points.latest()
    last = (int(points.steps[i]), int(points.timestamps[i]), float(points.values[i]))
    known = points.values[~np.isnan(points.values)]
    lo = float(known.min()) if len(known) else math.nan
    hi = float(known.max()) if len(known) else math.nan
    count = len(points)
    if old is not None:
        previous = (old.last_step, old.last_timestamp, from_db(old.last_value))
        if _rank(previous) >= _rank(last):
            last = previous
        lo = float(np.fmin(lo, from_db(old.min_value)))
        hi = float(np.fmax(hi, from_db(old.max_value)))
        count += old.n_points
    return {
        "last_step": last[0],
        "last_timestamp": last[1],
        "last_value": to_db(last[2]),
        "min_value": to_db(lo),
        "max_value": to_db(hi),
        "n_points": count,
    }


def _rank(point: tuple[int, int, float]) -> tuple[int, int, float]:
    step, ts, value = point
    return step, ts, -math.inf if math.isnan(value) else value


# -- reading -----------------------------------------------------------------------------------


def _chunks_query(run_id: str, key: str, start: int | None, end: int | None, *columns: Any) -> Any:
    query = (
        select(*columns)
        .where(metric_chunks.c.run_uuid == run_id)
        .where(metric_chunks.c.key == key)
        .order_by(metric_chunks.c.chunk_id)
    )
    if end is not None:
        query = query.where(metric_chunks.c.min_step <= end)
    if start is not None:
        query = query.where(metric_chunks.c.max_step >= start)
    return query


def _check_codecs(rows: Sequence[Any]) -> None:
    for row in rows:
        if row.codec != CODEC_PACKED_LE:
            raise ValueError(f"Unknown metric chunk codec {row.codec}")


def _read_points(
    conn: Connection, run_id: str, key: str, start: int | None = None, end: int | None = None
) -> Points:
    query = _chunks_query(run_id, key, start, end, metric_chunks.c.codec, metric_chunks.c.points)
    rows = conn.execute(query).all()
    _check_codecs(rows)
    return Points.concat([unpack(r.points) for r in rows]).in_range(start, end)


def read_history(conn: Connection, run_id: str, key: str) -> Points:
    """Every point, ordered by timestamp, then step, then value (MLflow's history order)."""
    return _read_points(conn, run_id, key).by_time()


def read_chart(
    conn: Connection, run_id: str, key: str, start: int | None, end: int | None, max_points: int
) -> Points:
    """At most ``max_points`` points for a chart, in step order, every spike kept.

    Long series are drawn from the chunks' sketches (each slice's extremes, a few dozen real
    points per chunk) rather than from every point; short series and narrow zooms from all.
    """
    query = _chunks_query(
        run_id,
        key,
        start,
        end,
        metric_chunks.c.codec,
        metric_chunks.c.n_points,
        metric_chunks.c.sketch,
    )
    rows = conn.execute(query).all()
    _check_codecs(rows)
    if sum(r.n_points for r in rows) <= max_points * RAW_READ_FACTOR:
        points = _read_points(conn, run_id, key, start, end)
    else:
        points = Points.concat([unpack(r.sketch) for r in rows]).in_range(start, end)
    return downsample(points.by_step(), max_points)


def as_history(
    run_id: str, key: str, points: Points, next_page_token: str | None = None
) -> MetricHistory:
    return MetricHistory(
        run_id, key, points.steps, points.timestamps, points.values, next_page_token
    )
