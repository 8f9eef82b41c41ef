"""Turning stored runs into :class:`Run` entities, many at a time."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY

from runstone.entities import LoggedModelOutput, Metric, Run, RunData, RunInputs, RunOutputs
from runstone.store.sql.common import chunked, run_info_from_row, run_row
from runstone.store.sql.inputs import inputs_by_run
from runstone.store.sql.metrics import from_db
from runstone.store.sql.tables import metric_summaries, params, run_outputs, run_tags, runs

_COLUMNS: dict[str, tuple[Any, ...]] = {
    "runs": tuple(runs.c),
    "params": (params.c.run_uuid, params.c.key, params.c.value),
    "tags": (run_tags.c.run_uuid, run_tags.c.key, run_tags.c.value),
    "metrics": (
        metric_summaries.c.run_uuid,
        metric_summaries.c.key,
        metric_summaries.c.last_value,
        metric_summaries.c.last_timestamp,
        metric_summaries.c.last_step,
    ),
    "outputs": (run_outputs.c.run_uuid, run_outputs.c.model_id, run_outputs.c.step),
}


@cache
def _by_run_ids(what: str, postgresql: bool) -> Select[Any]:
    """Rows of ``what`` for a list of run ids, built once per dialect.

    PostgreSQL takes the ids as one array parameter (``= ANY(:ids)``), which keeps the statement
    cacheable; elsewhere an expanding ``IN`` list.
    """
    columns = _COLUMNS[what]
    run_uuid = columns[0].table.c.run_uuid
    if postgresql:
        condition = run_uuid == any_(bindparam("ids", type_=ARRAY(String)))
    else:
        condition = run_uuid.in_(bindparam("ids", expanding=True))
    return select(*columns).where(condition)


def load_run(conn: Connection, run_id: str) -> Run:
    run_row(conn, run_id)  # raises NotFound with the run's id
    return load_runs(conn, [run_id])[0]


def load_runs(conn: Connection, run_ids: Sequence[str]) -> list[Run]:
    """Full runs for ``run_ids``, in that order: six queries per 500 runs, whatever their size."""
    if not run_ids:
        return []
    postgresql = conn.dialect.name == "postgresql"
    infos = {}
    params_of: dict[str, dict[str, str]] = {run_id: {} for run_id in run_ids}
    tags_of: dict[str, dict[str, str]] = {run_id: {} for run_id in run_ids}
    metrics_of: dict[str, dict[str, Metric]] = {run_id: {} for run_id in run_ids}
    outputs_of: dict[str, list[LoggedModelOutput]] = {run_id: [] for run_id in run_ids}
    for part in chunked(run_ids):
        ids = {"ids": list(part)}
        for row in conn.execute(_by_run_ids("runs", postgresql), ids).all():
            infos[row.run_uuid] = run_info_from_row(row)
        for run_id, key, value in conn.execute(_by_run_ids("params", postgresql), ids).all():
            params_of[run_id][key] = value
        for run_id, key, value in conn.execute(_by_run_ids("tags", postgresql), ids).all():
            tags_of[run_id][key] = value
        rows = conn.execute(_by_run_ids("metrics", postgresql), ids).all()
        for run_id, key, last, ts, step in rows:
            metrics_of[run_id][key] = Metric(key, from_db(last), ts, step)
        rows = conn.execute(_by_run_ids("outputs", postgresql), ids).all()
        for run_id, model_id, step in sorted(rows, key=lambda r: (r[2], r[1])):
            outputs_of[run_id].append(LoggedModelOutput(model_id, step))
    inputs = inputs_by_run(conn, run_ids)
    return [
        Run(
            infos[run_id],
            RunData(metrics_of[run_id], params_of[run_id], tags_of[run_id]),
            RunInputs(inputs.get(run_id, ())),
            RunOutputs(tuple(outputs_of[run_id])),
        )
        for run_id in run_ids
        if run_id in infos
    ]
