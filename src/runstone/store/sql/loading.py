"""Turning stored runs into :class:`Run` entities, many at a time."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from runstone.entities import Metric, Run, RunData, RunInputs
from runstone.store.sql.common import chunked, run_info_from_row, run_row
from runstone.store.sql.inputs import inputs_by_run
from runstone.store.sql.metrics import from_db
from runstone.store.sql.tables import metric_summaries, params, run_tags, runs


def load_run(conn: Connection, run_id: str) -> Run:
    run_row(conn, run_id)  # raises NotFound with the run's id
    return load_runs(conn, [run_id])[0]


def load_runs(conn: Connection, run_ids: Sequence[str]) -> list[Run]:
    """Full runs for ``run_ids``, in that order: four queries per 500 runs, whatever their size."""
    if not run_ids:
        return []
    infos = {}
    data: dict[str, RunData] = {run_id: RunData() for run_id in run_ids}
    for part in chunked(run_ids):
        for row in conn.execute(select(runs).where(runs.c.run_uuid.in_(part))):
            infos[row.run_uuid] = run_info_from_row(row)
        for row in conn.execute(
            select(params.c.run_uuid, params.c.key, params.c.value).where(
                params.c.run_uuid.in_(part)
            )
        ):
            data[row.run_uuid].params[row.key] = row.value
        for row in conn.execute(
            select(run_tags.c.run_uuid, run_tags.c.key, run_tags.c.value).where(
                run_tags.c.run_uuid.in_(part)
            )
        ):
            data[row.run_uuid].tags[row.key] = row.value
        summary_cols = (
            metric_summaries.c.run_uuid,
            metric_summaries.c.key,
            metric_summaries.c.last_value,
            metric_summaries.c.last_timestamp,
            metric_summaries.c.last_step,
        )
        for row in conn.execute(select(*summary_cols).where(metric_summaries.c.run_uuid.in_(part))):
            data[row.run_uuid].metrics[row.key] = Metric(
                row.key, from_db(row.last_value), row.last_timestamp, row.last_step
            )
    inputs = inputs_by_run(conn, run_ids)
    return [
        Run(infos[run_id], data[run_id], RunInputs(inputs.get(run_id, ())))
        for run_id in run_ids
        if run_id in infos
    ]
