"""Reading metrics back: full histories, chart reads and per-key summaries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from runstone.entities import MetricHistory, MetricSummary
from runstone.errors import InvalidParameterValue
from runstone.store import validation as v
from runstone.store.paging import decode_page_token, next_token
from runstone.store.sql.common import StoreParts, distinct, run_row
from runstone.store.sql.metrics import as_history, read_chart, read_history, summary_from_row
from runstone.store.sql.tables import metric_summaries

MAX_SAMPLED_RUNS = 100
MAX_SAMPLED_POINTS = 25000


class HistoryPart(StoreParts):
    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> MetricHistory:
        """All points of ``key`` in ``run_id`` (a page of them when ``max_results`` is given)."""
        v.check_string(key, "metric_key")
        if max_results is not None:
            v.check_max_results(max_results, v.INT64_MAX)
        offset = decode_page_token(page_token)
        with self._db.read() as conn:
            run_row(conn, run_id)
            points = read_history(conn, run_id, key)
        if max_results is None:
            return as_history(run_id, key, points.take(slice(offset, None)))
        page = points.take(slice(offset, offset + max_results))
        token = next_token(offset, max_results, len(points) - offset)
        return as_history(run_id, key, page, token)

    def get_metric_history_sampled(
        self,
        run_ids: Sequence[str],
        key: str,
        max_points: int = 1000,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[MetricHistory]:
        """For charts: per run, at most ``max_points`` points in step order, spikes kept.

        ``start_step``/``end_step`` (inclusive) narrow the read to a zoomed-in range, and the
        points are re-sampled within it, so zooming in shows finer detail.
        """
        ids = distinct(run_ids)
        if not 1 <= len(ids) <= MAX_SAMPLED_RUNS:
            raise InvalidParameterValue(
                f"run_ids must name between 1 and {MAX_SAMPLED_RUNS} runs, got {len(ids)}."
            )
        v.check_string(key, "metric_key")
        v.check_max_results(max_points, MAX_SAMPLED_POINTS, "max_results")
        if start_step is not None and end_step is not None and start_step > end_step:
            raise InvalidParameterValue(
                f"start_step ({start_step}) must not be greater than end_step ({end_step})."
            )
        result = []
        with self._db.read() as conn:
            for run_id in ids:
                run_row(conn, run_id)
                points = read_chart(conn, run_id, key, start_step, end_step, max_points)
                result.append(as_history(run_id, key, points))
        return result

    def get_metric_summaries(self, run_id: str) -> list[MetricSummary]:
        """Per metric key of the run: the latest point, min, max and number of points."""
        with self._db.read() as conn:
            run_row(conn, run_id)
            rows = conn.execute(
                select(metric_summaries)
                .where(metric_summaries.c.run_uuid == run_id)
                .order_by(metric_summaries.c.key)
            )
            return [summary_from_row(r) for r in rows]
