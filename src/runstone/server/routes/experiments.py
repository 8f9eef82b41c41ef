"""Experiments: create, read, search, rename, delete/restore, tags."""

from __future__ import annotations

from runstone.entities import ViewType
from runstone.errors import NotFound
from runstone.server import auth
from runstone.server import authorization as authz
from runstone.server.api import Api, Call, JsonDict, page_result
from runstone.server.authorization import EDIT, MANAGE, READ
from runstone.server.idempotency import idempotency_key
from runstone.wire import encode
from runstone.wire import messages as m

api = Api()


@api.route(
    "POST",
    "/experiments/create",
    m.CreateExperiment,
    rule=authz.SIGNED_IN,
    response="CreateExperimentResponse",
)
def create_experiment(call: Call, msg: m.CreateExperiment) -> JsonDict:
    """Create an experiment; an Idempotency-Key header makes a retried create answer the same."""
    tags = {t.key or "": t.value or "" for t in msg.tags}
    location = call.ctx.roots.check(msg.artifact_location) if msg.artifact_location else None
    experiment_id = call.ctx.store.create_experiment(
        msg.name or "",
        artifact_location=location,
        tags=tags,
        idempotency_key=idempotency_key(call.headers),
    )
    auth.on_created("experiment", experiment_id)  # with --auth, the creator gets MANAGE
    return {"experiment_id": experiment_id}


@api.route(
    "GET",
    "/experiments/get",
    m.GetExperiment,
    rule=authz.experiment(READ),
    response="GetExperimentResponse",
)
def get_experiment(call: Call, msg: m.GetExperiment) -> JsonDict:
    """One experiment by id."""
    return {"experiment": encode.experiment(call.ctx.store.get_experiment(msg.experiment_id or ""))}


@api.route(
    "GET",
    "/experiments/get-by-name",
    m.GetExperimentByName,
    rule=authz.experiment_by_name(READ),
    response="GetExperimentResponse",
)
def get_experiment_by_name(call: Call, msg: m.GetExperimentByName) -> JsonDict:
    """One experiment by name (deleted ones included)."""
    found = call.ctx.store.get_experiment_by_name(msg.experiment_name or "")
    if found is None:
        raise NotFound(f"Could not find experiment with name '{msg.experiment_name}'")
    return {"experiment": encode.experiment(found)}


@api.route(
    ("POST", "GET"),
    "/experiments/search",
    m.SearchExperiments,
    rule=authz.SEARCH,
    response="SearchExperimentsResponse",
)
def search_experiments(call: Call, msg: m.SearchExperiments) -> JsonDict:
    """Experiments matching a filter, in order, one page at a time."""
    page = call.ctx.store.search_experiments(
        view_type=msg.view_type or ViewType.ACTIVE_ONLY,
        max_results=msg.max_results if msg.max_results is not None else 0,
        filter_string=msg.filter,
        order_by=msg.order_by,
        page_token=msg.page_token,
        reader=authz.reader(),
    )
    return page_result(
        "experiments", [encode.experiment(e) for e in page.items], page.next_page_token
    )


@api.route(
    "POST", "/experiments/update", m.UpdateExperiment, rule=authz.experiment(EDIT), response="Empty"
)
def update_experiment(call: Call, msg: m.UpdateExperiment) -> JsonDict:
    """Rename an experiment."""
    call.ctx.store.rename_experiment(msg.experiment_id or "", msg.new_name or "")
    return {}


@api.route(
    "POST", "/experiments/delete", m.ExperimentId, rule=authz.experiment(MANAGE), response="Empty"
)
def delete_experiment(call: Call, msg: m.ExperimentId) -> JsonDict:
    """Soft-delete an experiment and its runs."""
    call.ctx.store.delete_experiment(msg.experiment_id or "")
    return {}


@api.route(
    "POST", "/experiments/restore", m.ExperimentId, rule=authz.experiment(MANAGE), response="Empty"
)
def restore_experiment(call: Call, msg: m.ExperimentId) -> JsonDict:
    """Bring a deleted experiment back."""
    call.ctx.store.restore_experiment(msg.experiment_id or "")
    return {}


@api.route(
    "POST",
    "/experiments/set-experiment-tag",
    m.SetExperimentTag,
    rule=authz.experiment(EDIT),
    response="Empty",
)
def set_experiment_tag(call: Call, msg: m.SetExperimentTag) -> JsonDict:
    """Set (or replace) an experiment tag."""
    call.ctx.store.set_experiment_tag(msg.experiment_id or "", msg.key or "", msg.value or "")
    return {}


@api.route(
    ("POST", "DELETE"),
    "/experiments/delete-experiment-tag",
    m.DeleteExperimentTag,
    rule=authz.experiment(EDIT),
    response="Empty",
)
def delete_experiment_tag(call: Call, msg: m.DeleteExperimentTag) -> JsonDict:
    """Remove an experiment tag."""
    call.ctx.store.delete_experiment_tag(msg.experiment_id or "", msg.key or "")
    return {}
