"""Runs as a pandas DataFrame, with the columns MLflow's ``search_runs`` gives."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from runstone.entities import Run

_INFO_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def runs_frame(runs: Sequence[Run]) -> pd.DataFrame:
    rows = []
    for run in runs:
        info = run.info
        row: dict[str, object] = {
            "run_id": info.run_id,
            "experiment_id": info.experiment_id,
            "status": info.status.name,
            "artifact_uri": info.artifact_uri,
            "start_time": pd.to_datetime(info.start_time, unit="ms", utc=True),
            "end_time": (
                pd.to_datetime(info.end_time, unit="ms", utc=True)
                if info.end_time is not None
                else pd.NaT
            ),
        }
        row.update({f"metrics.{k}": m.value for k, m in run.data.metrics.items()})
        row.update({f"params.{k}": v for k, v in run.data.params.items()})
        row.update({f"tags.{k}": v for k, v in run.data.tags.items()})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=_columns(rows))
    return frame


def _columns(rows: list[dict[str, object]]) -> list[str]:
    extra = sorted({key for row in rows for key in row} - set(_INFO_COLUMNS))
    order = {"metrics": 0, "params": 1, "tags": 2}
    return [*_INFO_COLUMNS, *sorted(extra, key=lambda k: (order[k.split(".", 1)[0]], k))]
