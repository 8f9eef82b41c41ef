"""MLflow 3 logged models (mlflow-compat.md §1.12) and ``runs/outputs``, which links them to
the run that produced them. An MLflow 3 client's ``log_model`` needs all of these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runstone.errors import InvalidParameterValue
from runstone.server import authorization as authz
from runstone.server.api import Api, Call, JsonDict, page_result
from runstone.server.authorization import EDIT, MANAGE, READ
from runstone.wire import encode
from runstone.wire import logged_model_messages as lm
from runstone.wire import messages as m

api = Api()
# Linking models to a run changes the run, and needs to see the models.
_LOG_OUTPUTS = authz.all_of(authz.run(EDIT), authz.output_models(READ))


def _pairs(items: Sequence[m.KeyValue], field: str) -> dict[str, str]:
    result = {}
    for i, item in enumerate(items):
        if not item.key:
            raise InvalidParameterValue(f"Missing value for required parameter '{field}[{i}].key'.")
        result[item.key] = item.value or ""
    return result


@api.route(
    "POST",
    "/logged-models",
    lm.CreateLoggedModel,
    rule=authz.experiment(EDIT),
    response="GetLoggedModelResponse",
)
def create_logged_model(call: Call, msg: lm.CreateLoggedModel) -> JsonDict:
    """Create a logged model (status PENDING) whose files go to its ``artifact_uri``."""
    model = call.ctx.store.create_logged_model(
        msg.experiment_id or "",
        name=msg.name or None,
        source_run_id=msg.source_run_id or None,
        tags=_pairs(msg.tags, "tags"),
        params=_pairs(msg.params, "params"),
        model_type=msg.model_type,
    )
    return {"model": encode.logged_model(model)}


@api.route(
    "POST",
    "/logged-models/search",
    m.SearchLoggedModels,
    rule=authz.SEARCH,
    response="SearchLoggedModelsResponse",
)
def search_logged_models(call: Call, msg: m.SearchLoggedModels) -> JsonDict:
    """Logged models of some experiments matching a filter, newest first, a page at a time."""
    if msg.datasets:
        raise InvalidParameterValue("Searching logged models by dataset is not supported.")
    page = call.ctx.store.search_logged_models(
        msg.experiment_ids,
        filter_string=msg.filter or None,
        max_results=lm.LOGGED_MODELS_PAGE if msg.max_results is None else msg.max_results,
        order_by=[_order_clause(o) for o in msg.order_by],
        page_token=msg.page_token or None,
        reader=authz.reader(),
    )
    models = [encode.logged_model(x) for x in page.items]
    return page_result("models", models, page.next_page_token)


def _order_clause(item: dict[str, Any]) -> str:
    field = item.get("field_name") or item.get("fieldName")
    if not isinstance(field, str) or not field:
        raise InvalidParameterValue("Missing value for required parameter 'order_by.field_name'.")
    if item.get("dataset_name") or item.get("datasetName"):
        raise InvalidParameterValue("Ordering logged models by a dataset is not supported.")
    ascending = item.get("ascending", True)
    return f"{field} {'ASC' if ascending is not False else 'DESC'}"


@api.route(
    "GET",
    "/logged-models/{model_id}",
    lm.LoggedModelId,
    rule=authz.logged_model(READ),
    response="GetLoggedModelResponse",
)
def get_logged_model(call: Call, msg: lm.LoggedModelId) -> JsonDict:
    """One logged model."""
    return {"model": encode.logged_model(call.ctx.store.get_logged_model(msg.model_id or ""))}


@api.route(
    "PATCH",
    "/logged-models/{model_id}",
    lm.FinalizeLoggedModel,
    rule=authz.logged_model(EDIT),
    response="GetLoggedModelResponse",
)
def finalize_logged_model(call: Call, msg: lm.FinalizeLoggedModel) -> JsonDict:
    """Set the model's final status once its files are uploaded (or failed to)."""
    assert msg.status is not None  # required
    model = call.ctx.store.finalize_logged_model(msg.model_id or "", msg.status)
    return {"model": encode.logged_model(model)}


@api.route(
    "DELETE",
    "/logged-models/{model_id}",
    lm.LoggedModelId,
    rule=authz.logged_model(MANAGE),
    response="Empty",
)
def delete_logged_model(call: Call, msg: lm.LoggedModelId) -> JsonDict:
    """Delete a logged model (its files stay where they are)."""
    call.ctx.store.delete_logged_model(msg.model_id or "")
    return {}


@api.route(
    "PATCH",
    "/logged-models/{model_id}/tags",
    lm.SetLoggedModelTags,
    rule=authz.logged_model(EDIT),
    response="GetLoggedModelResponse",
)
def set_logged_model_tags(call: Call, msg: lm.SetLoggedModelTags) -> JsonDict:
    """Set (or replace) tags of a logged model."""
    store = call.ctx.store
    model_id = msg.model_id or ""
    store.set_logged_model_tags(model_id, _pairs(msg.tags, "tags"))
    return {"model": encode.logged_model(store.get_logged_model(model_id))}


@api.route(
    "DELETE",
    "/logged-models/{model_id}/tags/{tag_key}",
    lm.DeleteLoggedModelTag,
    rule=authz.logged_model(EDIT),
    response="Empty",
)
def delete_logged_model_tag(call: Call, msg: lm.DeleteLoggedModelTag) -> JsonDict:
    """Remove a tag of a logged model."""
    call.ctx.store.delete_logged_model_tag(msg.model_id or "", msg.tag_key or "")
    return {}


@api.route(
    "POST",
    "/logged-models/{model_id}/params",
    lm.LogLoggedModelParams,
    rule=authz.logged_model(EDIT),
    response="Empty",
)
def log_logged_model_params(call: Call, msg: lm.LogLoggedModelParams) -> JsonDict:
    """Log params of a logged model (write-once, as for runs)."""
    call.ctx.store.log_logged_model_params(msg.model_id or "", _pairs(msg.params, "params"))
    return {}


@api.route("POST", "/runs/outputs", m.LogOutputs, rule=_LOG_OUTPUTS, response="Empty")
def log_outputs(call: Call, msg: m.LogOutputs) -> JsonDict:
    """Record the logged models a run produced, each at a step."""
    outputs = []
    for i, item in enumerate(msg.models):
        model_id = item.get("model_id") or item.get("modelId")
        if not isinstance(model_id, str) or not model_id:
            raise InvalidParameterValue(
                f"Missing value for required parameter 'models[{i}].model_id'."
            )
        step = item.get("step", 0)
        try:
            number = int(step)
        except (TypeError, ValueError):
            raise InvalidParameterValue(f"Invalid value {step!r} for models[{i}].step.") from None
        if isinstance(step, bool) or (isinstance(step, float) and not step.is_integer()):
            raise InvalidParameterValue(f"Invalid value {step!r} for models[{i}].step.")
        outputs.append((model_id, number))
    call.ctx.store.log_outputs(msg.the_run_id, outputs)
    return {}
