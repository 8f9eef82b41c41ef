"""Metric reads: full histories (paged), chart reads downsampled on the server, summaries."""

from __future__ import annotations

from runstone.errors import InvalidParameterValue
from runstone.server import authorization as authz
from runstone.server.api import Api, Call, JsonDict
from runstone.server.authorization import READ
from runstone.wire import encode
from runstone.wire import messages as m

api = Api()

MAX_INTERVAL_RUNS = 100
DEFAULT_INTERVAL_POINTS = 2500
MAX_BULK_POINTS = 25000
UI_ONLY = ("/ajax-api/2.0/mlflow",)  # read-only routes the web UI uses, outside MLflow's API


@api.route(
    "GET",
    "/metrics/get-history",
    m.GetMetricHistory,
    rule=authz.run(READ),
    response="GetMetricHistoryResponse",
)
def get_metric_history(call: Call, msg: m.GetMetricHistory) -> JsonDict:
    """Every point of one metric of one run, oldest first (paged when max_results is given)."""
    history = call.ctx.store.get_metric_history(
        msg.the_run_id, msg.metric_key or "", msg.max_results, msg.page_token
    )
    result: JsonDict = {}
    if len(history):
        result["metrics"] = encode.history_points(history)
    if history.next_page_token:
        result["next_page_token"] = history.next_page_token
    return result


@api.route(
    "GET",
    "/metrics/get-history-bulk-interval",
    m.GetMetricHistoryBulkInterval,
    rule=authz.runs(READ, "run_ids"),
    response="GetMetricHistoryBulkResponse",
)
def get_history_bulk_interval(call: Call, msg: m.GetMetricHistoryBulkInterval) -> JsonDict:
    """For charts: per run, at most max_results points over a step range, spikes kept.

    MLflow allows up to 2,500 points and a range with both ends or none; Runstone also serves
    up to 25,000 points and a range open on one side (as its store's downsampled read does).
    """
    if len(msg.run_ids) > MAX_INTERVAL_RUNS:
        raise InvalidParameterValue(
            f"run_ids may name at most {MAX_INTERVAL_RUNS} runs, got {len(msg.run_ids)}."
        )
    limit = DEFAULT_INTERVAL_POINTS if msg.max_results is None else msg.max_results
    histories = call.ctx.store.get_metric_history_sampled(
        msg.run_ids, msg.metric_key or "", limit, msg.start_step, msg.end_step
    )
    points = [p for h in histories for p in encode.history_points(h, with_run_id=True)]
    return {"metrics": points} if points else {}


@api.route(
    "GET",
    "/metrics/get-history-bulk",
    m.GetMetricHistoryBulk,
    prefixes=("/ajax-api/2.0/mlflow",),
    rule=authz.runs(READ, "run_id"),
    response="GetMetricHistoryBulkResponse",
)
def get_history_bulk(call: Call, msg: m.GetMetricHistoryBulk) -> JsonDict:
    """The UI's read of whole histories of several runs (up to 25,000 points each)."""
    if len(msg.run_id) > MAX_INTERVAL_RUNS:
        raise InvalidParameterValue(
            f"run_id may name at most {MAX_INTERVAL_RUNS} runs, got {len(msg.run_id)}."
        )
    limit = MAX_BULK_POINTS if msg.max_results is None else msg.max_results
    if not 1 <= limit <= MAX_BULK_POINTS:
        raise InvalidParameterValue(
            f"max_results must be between 1 and {MAX_BULK_POINTS}, got {limit}."
        )
    points: list[JsonDict] = []
    for run_id in dict.fromkeys(msg.run_id):
        history = call.ctx.store.get_metric_history(run_id, msg.metric_key or "", limit)
        points.extend(encode.history_points(history, with_run_id=True))
    return {"metrics": points} if points else {}


@api.route(
    "GET",
    "/runs/metric-summaries",
    m.GetMetricSummaries,
    prefixes=("/ajax-api/2.0/mlflow",),
    rule=authz.run(READ),
    response="GetMetricSummariesResponse",
)
def get_metric_summaries(call: Call, msg: m.GetMetricSummaries) -> JsonDict:
    """Per metric of a run: latest point, min, max and count (for tables and sparklines)."""
    summaries = call.ctx.store.get_metric_summaries(msg.the_run_id)
    return {"summaries": [encode.metric_summary(s) for s in summaries]} if summaries else {}
