"""Runs: create, read, update, search, delete/restore, and logging params, metrics, tags and
dataset inputs."""

from __future__ import annotations

import json

from runstone.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag, ViewType
from runstone.errors import InvalidParameterValue, NotImplementedFeature
from runstone.server import authorization as authz
from runstone.server.api import Api, Call, JsonDict, page_result
from runstone.server.authorization import EDIT, MANAGE, READ
from runstone.server.idempotency import idempotency_key
from runstone.wire import encode
from runstone.wire import messages as m
from runstone.wire.decode import metrics_from_json

api = Api()

LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history"
_LOGGED_MODEL_KEYS = ("artifact_path", "flavors", "utc_time_created", "run_id")


@api.route(
    "POST", "/runs/create", m.CreateRun, rule=authz.experiment(EDIT), response="GetRunResponse"
)
def create_run(call: Call, msg: m.CreateRun) -> JsonDict:
    """Start a run; an Idempotency-Key header makes a retried create return the same run."""
    run = call.ctx.store.create_run(
        msg.experiment_id or "",
        user_id=msg.user_id or "",
        start_time=msg.start_time,
        tags=[RunTag(t.key or "", t.value or "") for t in msg.tags],
        run_name=msg.run_name or None,
        idempotency_key=idempotency_key(call.headers),
    )
    return {"run": encode.run(run)}


@api.route("GET", "/runs/get", m.GetRun, rule=authz.run(READ), response="GetRunResponse")
def get_run(call: Call, msg: m.GetRun) -> JsonDict:
    """One run: info, latest metrics, params, tags and inputs."""
    return {"run": encode.run(call.ctx.store.get_run(msg.the_run_id))}


@api.route("POST", "/runs/update", m.UpdateRun, rule=authz.run(EDIT), response="UpdateRunResponse")
def update_run(call: Call, msg: m.UpdateRun) -> JsonDict:
    """Change a run's status, end time or name (only the fields given)."""
    info = call.ctx.store.update_run_info(
        msg.the_run_id, status=msg.status, end_time=msg.end_time, run_name=msg.run_name
    )
    return {"run_info": encode.run_info(info)}


@api.route("POST", "/runs/delete", m.RunId, rule=authz.run(MANAGE), response="Empty")
def delete_run(call: Call, msg: m.RunId) -> JsonDict:
    """Soft-delete a run."""
    call.ctx.store.delete_run(msg.the_run_id)
    return {}


@api.route("POST", "/runs/restore", m.RunId, rule=authz.run(MANAGE), response="Empty")
def restore_run(call: Call, msg: m.RunId) -> JsonDict:
    """Bring a deleted run back."""
    call.ctx.store.restore_run(msg.the_run_id)
    return {}


@api.route("POST", "/runs/set-tag", m.SetTag, rule=authz.run(EDIT), response="Empty")
def set_tag(call: Call, msg: m.SetTag) -> JsonDict:
    """Set (or replace) a run tag; ``mlflow.runName`` renames the run."""
    call.ctx.store.set_tag(msg.the_run_id, msg.key or "", msg.value or "")
    return {}


@api.route(
    ("POST", "DELETE"), "/runs/delete-tag", m.DeleteTag, rule=authz.run(EDIT), response="Empty"
)
def delete_tag(call: Call, msg: m.DeleteTag) -> JsonDict:
    """Remove a run tag."""
    call.ctx.store.delete_tag(msg.the_run_id, msg.key or "")
    return {}


@api.route("POST", "/runs/log-parameter", m.LogParam, rule=authz.run(EDIT), response="Empty")
def log_param(call: Call, msg: m.LogParam) -> JsonDict:
    """Log a param (write-once: the same value again is fine, another one is refused)."""
    call.ctx.store.log_param(msg.the_run_id, msg.key or "", msg.value or "")
    return {}


@api.route("POST", "/runs/log-metric", m.LogMetric, rule=authz.run(EDIT), response="Empty")
def log_metric(call: Call, msg: m.LogMetric) -> JsonDict:
    """Log one metric point."""
    point = Metric(msg.key or "", msg.value, msg.timestamp, msg.step or 0)  # type: ignore[arg-type]
    call.ctx.store.log_metric(msg.the_run_id, point)
    return {}


@api.route("POST", "/runs/log-batch", m.LogBatch, rule=authz.run(EDIT), response="Empty")
def log_batch(call: Call, msg: m.LogBatch) -> JsonDict:
    """Log metrics, params and tags in one transaction: all or nothing."""
    metrics = metrics_from_json(msg.metrics)
    params = [Param(_key(p.key, "params", i), p.value or "") for i, p in enumerate(msg.params)]
    tags = [RunTag(_key(t.key, "tags", i), t.value or "") for i, t in enumerate(msg.tags)]
    call.ctx.store.log_batch(msg.the_run_id, metrics=metrics, params=params, tags=tags)
    return {}


def _key(key: str | None, field: str, index: int) -> str:
    if not key:
        raise InvalidParameterValue(f"Missing value for required parameter '{field}[{index}].key'.")
    return key


@api.route("POST", "/runs/log-inputs", m.LogInputs, rule=authz.run(EDIT), response="Empty")
def log_inputs(call: Call, msg: m.LogInputs) -> JsonDict:
    """Record the datasets a run used."""
    if msg.models:
        raise NotImplementedFeature("Logged models as run inputs are not supported yet.")
    inputs = []
    for i, item in enumerate(msg.datasets):
        ds = item.dataset
        if ds is None:
            raise InvalidParameterValue(
                f"Missing value for required parameter 'datasets[{i}].dataset'."
            )
        dataset = Dataset(
            name=ds.name or "",
            digest=ds.digest or "",
            source_type=ds.source_type or "",
            source=ds.source or "",
            schema=ds.schema_,
            profile=ds.profile,
        )
        tags = tuple(InputTag(t.key or "", t.value or "") for t in item.tags)
        inputs.append(DatasetInput(dataset, tags))
    call.ctx.store.log_inputs(msg.the_run_id, inputs)
    return {}


@api.route("POST", "/runs/log-model", m.LogModel, rule=authz.run(EDIT), response="Empty")
def log_model(call: Call, msg: m.LogModel) -> JsonDict:
    """Record a logged model (MLflow 2's flow) in the run's ``mlflow.log-model.history`` tag."""
    try:
        model = json.loads(msg.model_json or "")
    except ValueError:
        raise InvalidParameterValue("model_json is not valid JSON.") from None
    if not isinstance(model, dict) or any(k not in model for k in _LOGGED_MODEL_KEYS):
        raise InvalidParameterValue(
            "model_json must be a JSON object with " + ", ".join(_LOGGED_MODEL_KEYS) + "."
        )
    summary = {
        k: model[k]
        for k in ("run_id", "artifact_path", "utc_time_created", "model_uuid", "flavors")
        if k in model
    }
    store = call.ctx.store
    store.append_to_json_list_tag(msg.the_run_id, LOG_MODEL_HISTORY_TAG, summary)
    return {}


@api.route("POST", "/runs/search", m.SearchRuns, rule=authz.SEARCH, response="SearchRunsResponse")
def search_runs(call: Call, msg: m.SearchRuns) -> JsonDict:
    """Runs of some experiments matching a filter, in order, one page at a time."""
    page = call.ctx.store.search_runs(
        msg.experiment_ids,
        filter_string=msg.filter,
        run_view_type=msg.run_view_type or ViewType.ACTIVE_ONLY,
        max_results=msg.max_results,
        order_by=msg.order_by,
        page_token=msg.page_token,
        reader=authz.reader(),
    )
    return page_result("runs", [encode.run(r) for r in page.items], page.next_page_token)
