"""The model registry: registered models, versions, stages, tags and aliases (compat §1.11).

Every endpoint is served with MLflow's exact method: GET for reads, PATCH for updates and DELETE
(with a JSON body) for removals. The one check made here rather than in the store is where a new
version's ``source`` may point: the server reads what a source names when it serves the model,
so a client must not be able to aim it at ``/etc``, another bucket or an internal URL.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from runstone.errors import InvalidParameterValue
from runstone.server import auth
from runstone.server import authorization as authz
from runstone.server.api import Api, Call, JsonDict, page_result
from runstone.server.authorization import EDIT, MANAGE, READ
from runstone.server.idempotency import idempotency_key
from runstone.wire import encode
from runstone.wire import registry_messages as rm
from runstone.wire.messages import KeyValue

api = Api()

_LOGICAL_SCHEMES = ("runs", "models")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


# A new version needs EDIT on its model, and READ on the run and logged model it comes from.
_CREATE_VERSION = authz.all_of(
    authz.registered_model(EDIT), authz.optional_run(READ), authz.optional_logged_model(READ)
)


def _tags(items: list[KeyValue]) -> dict[str, str]:
    return {t.key or "": t.value or "" for t in items}


# -- registered models ---------------------------------------------------------------------------


@api.route(
    "POST",
    "/registered-models/create",
    rm.CreateRegisteredModel,
    rule=authz.SIGNED_IN,
    response="GetRegisteredModelResponse",
)
def create_registered_model(call: Call, msg: rm.CreateRegisteredModel) -> JsonDict:
    """Register a model name; an Idempotency-Key header makes a retried create answer the same."""
    model = call.ctx.store.create_registered_model(
        msg.name or "",
        tags=_tags(msg.tags),
        description=msg.description,
        idempotency_key=idempotency_key(call.headers),
    )
    auth.on_created("registered_model", model.name)  # with --auth, the creator gets MANAGE
    return {"registered_model": encode.registered_model(model)}


@api.route(
    "GET",
    "/registered-models/get",
    rm.RegisteredModelName,
    rule=authz.registered_model(READ),
    response="GetRegisteredModelResponse",
)
def get_registered_model(call: Call, msg: rm.RegisteredModelName) -> JsonDict:
    """One registered model with its tags, aliases and newest version per stage."""
    model = call.ctx.store.get_registered_model(msg.name or "")
    return {"registered_model": encode.registered_model(model)}


@api.route(
    "POST",
    "/registered-models/rename",
    rm.RenameRegisteredModel,
    rule=authz.registered_model(EDIT),
    response="GetRegisteredModelResponse",
)
def rename_registered_model(call: Call, msg: rm.RenameRegisteredModel) -> JsonDict:
    """Give a registered model (and its versions) a new name."""
    model = call.ctx.store.rename_registered_model(msg.name or "", msg.new_name or "")
    return {"registered_model": encode.registered_model(model)}


@api.route(
    "PATCH",
    "/registered-models/update",
    rm.UpdateRegisteredModel,
    rule=authz.registered_model(EDIT),
    response="GetRegisteredModelResponse",
)
def update_registered_model(call: Call, msg: rm.UpdateRegisteredModel) -> JsonDict:
    """Replace a registered model's description (absent means empty, as in MLflow)."""
    model = call.ctx.store.update_registered_model(msg.name or "", msg.description or "")
    return {"registered_model": encode.registered_model(model)}


@api.route(
    "DELETE",
    "/registered-models/delete",
    rm.RegisteredModelName,
    rule=authz.registered_model(MANAGE),
    response="Empty",
)
def delete_registered_model(call: Call, msg: rm.RegisteredModelName) -> JsonDict:
    """Delete a registered model with all its versions, tags and aliases."""
    call.ctx.store.delete_registered_model(msg.name or "")
    return {}


@api.route(
    "GET",
    "/registered-models/search",
    rm.SearchRegisteredModels,
    rule=authz.SEARCH,
    response="SearchRegisteredModelsResponse",
)
def search_registered_models(call: Call, msg: rm.SearchRegisteredModels) -> JsonDict:
    """Registered models matching a filter, in order, one page at a time."""
    page = call.ctx.store.search_registered_models(
        filter_string=msg.filter,
        max_results=msg.max_results,
        order_by=msg.order_by,
        page_token=msg.page_token,
        reader=authz.reader(),
    )
    return page_result(
        "registered_models",
        [encode.registered_model(model) for model in page.items],
        page.next_page_token,
    )


@api.route(
    ("POST", "GET"),
    "/registered-models/get-latest-versions",
    rm.GetLatestVersions,
    rule=authz.registered_model(READ),
    response="SearchModelVersionsResponse",
)
def get_latest_versions(call: Call, msg: rm.GetLatestVersions) -> JsonDict:
    """The newest version in each of the given stages (every stage when none is given)."""
    versions = call.ctx.store.get_latest_versions(msg.name or "", msg.stages or None)
    return page_result("model_versions", [encode.model_version(mv) for mv in versions], None)


@api.route(
    "POST",
    "/registered-models/set-tag",
    rm.SetRegisteredModelTag,
    rule=authz.registered_model(EDIT),
    response="Empty",
)
def set_registered_model_tag(call: Call, msg: rm.SetRegisteredModelTag) -> JsonDict:
    """Set (or replace) a registered model tag."""
    call.ctx.store.set_registered_model_tag(msg.name or "", msg.key or "", msg.value or "")
    return {}


@api.route(
    "DELETE",
    "/registered-models/delete-tag",
    rm.DeleteRegisteredModelTag,
    rule=authz.registered_model(EDIT),
    response="Empty",
)
def delete_registered_model_tag(call: Call, msg: rm.DeleteRegisteredModelTag) -> JsonDict:
    """Remove a registered model tag."""
    call.ctx.store.delete_registered_model_tag(msg.name or "", msg.key or "")
    return {}


@api.route(
    "POST",
    "/registered-models/alias",
    rm.SetRegisteredModelAlias,
    rule=authz.registered_model(EDIT),
    response="Empty",
)
def set_registered_model_alias(call: Call, msg: rm.SetRegisteredModelAlias) -> JsonDict:
    """Point an alias at a version (moving it if it named another one)."""
    call.ctx.store.set_registered_model_alias(msg.name or "", msg.alias or "", msg.version or "")
    return {}


@api.route(
    "DELETE",
    "/registered-models/alias",
    rm.RegisteredModelAlias,
    rule=authz.registered_model(EDIT),
    response="Empty",
)
def delete_registered_model_alias(call: Call, msg: rm.RegisteredModelAlias) -> JsonDict:
    """Remove an alias."""
    call.ctx.store.delete_registered_model_alias(msg.name or "", msg.alias or "")
    return {}


@api.route(
    "GET",
    "/registered-models/alias",
    rm.RegisteredModelAlias,
    rule=authz.registered_model(READ),
    response="GetModelVersionResponse",
)
def get_model_version_by_alias(call: Call, msg: rm.RegisteredModelAlias) -> JsonDict:
    """The version an alias names."""
    version = call.ctx.store.get_model_version_by_alias(msg.name or "", msg.alias or "")
    return {"model_version": encode.model_version(version)}


# -- model versions ------------------------------------------------------------------------------


@api.route(
    "POST",
    "/model-versions/create",
    rm.CreateModelVersion,
    rule=_CREATE_VERSION,
    response="GetModelVersionResponse",
)
def create_model_version(call: Call, msg: rm.CreateModelVersion) -> JsonDict:
    """Add a version to a registered model. The source must be a ``runs:/`` or ``models:/`` URI
    or a location inside the server's artifact storage; an Idempotency-Key header makes a
    retried create answer with the version the first attempt made."""
    source = checked_source(call, msg.source or "", msg.run_id or None)
    version = call.ctx.store.create_model_version(
        msg.name or "",
        source,
        run_id=msg.run_id or None,
        tags=_tags(msg.tags),
        run_link=msg.run_link or None,
        description=msg.description,
        model_id=msg.model_id or None,
        user_id=msg.user_id or "",
        idempotency_key=idempotency_key(call.headers),
    )
    return {"model_version": encode.model_version(version)}


@api.route(
    "GET",
    "/model-versions/get",
    rm.ModelVersionRef,
    rule=authz.registered_model(READ),
    response="GetModelVersionResponse",
)
def get_model_version(call: Call, msg: rm.ModelVersionRef) -> JsonDict:
    """One model version."""
    version = call.ctx.store.get_model_version(msg.name or "", msg.version or "")
    return {"model_version": encode.model_version(version)}


@api.route(
    "PATCH",
    "/model-versions/update",
    rm.UpdateModelVersion,
    rule=authz.registered_model(EDIT),
    response="GetModelVersionResponse",
)
def update_model_version(call: Call, msg: rm.UpdateModelVersion) -> JsonDict:
    """Replace a version's description (absent means empty, as in MLflow)."""
    version = call.ctx.store.update_model_version(
        msg.name or "", msg.version or "", msg.description or ""
    )
    return {"model_version": encode.model_version(version)}


@api.route(
    "DELETE",
    "/model-versions/delete",
    rm.ModelVersionRef,
    rule=authz.registered_model(MANAGE),
    response="Empty",
)
def delete_model_version(call: Call, msg: rm.ModelVersionRef) -> JsonDict:
    """Delete a version; its number is never given to another one."""
    call.ctx.store.delete_model_version(msg.name or "", msg.version or "")
    return {}


@api.route(
    "GET",
    "/model-versions/search",
    rm.SearchModelVersions,
    rule=authz.SEARCH,
    response="SearchModelVersionsResponse",
)
def search_model_versions(call: Call, msg: rm.SearchModelVersions) -> JsonDict:
    """Model versions matching a filter, in order, one page at a time."""
    page = call.ctx.store.search_model_versions(
        filter_string=msg.filter,
        max_results=msg.max_results,
        order_by=msg.order_by,
        page_token=msg.page_token,
        reader=authz.reader(),
    )
    return page_result(
        "model_versions", [encode.model_version(mv) for mv in page.items], page.next_page_token
    )


@api.route(
    "POST",
    "/model-versions/transition-stage",
    rm.TransitionModelVersionStage,
    rule=authz.registered_model(EDIT),
    response="GetModelVersionResponse",
)
def transition_model_version_stage(call: Call, msg: rm.TransitionModelVersionStage) -> JsonDict:
    """Move a version to another stage, optionally archiving the others in that stage."""
    version = call.ctx.store.transition_model_version_stage(
        msg.name or "",
        msg.version or "",
        msg.stage or "",
        archive_existing_versions=msg.archive_existing_versions,
    )
    return {"model_version": encode.model_version(version)}


@api.route(
    "GET",
    "/model-versions/get-download-uri",
    rm.GetModelVersionDownloadUri,
    rule=authz.registered_model(READ),
    response="GetModelVersionDownloadUriResponse",
)
def get_model_version_download_uri(call: Call, msg: rm.GetModelVersionDownloadUri) -> JsonDict:
    """Where a version's files can be downloaded from."""
    uri = call.ctx.store.get_model_version_download_uri(msg.name or "", msg.version or "")
    return {"artifact_uri": uri}


@api.route(
    "POST",
    "/model-versions/set-tag",
    rm.SetModelVersionTag,
    rule=authz.registered_model(EDIT),
    response="Empty",
)
def set_model_version_tag(call: Call, msg: rm.SetModelVersionTag) -> JsonDict:
    """Set (or replace) a model version tag."""
    call.ctx.store.set_model_version_tag(
        msg.name or "", msg.version or "", msg.key or "", msg.value or ""
    )
    return {}


@api.route(
    "DELETE",
    "/model-versions/delete-tag",
    rm.DeleteModelVersionTag,
    rule=authz.registered_model(EDIT),
    response="Empty",
)
def delete_model_version_tag(call: Call, msg: rm.DeleteModelVersionTag) -> JsonDict:
    """Remove a model version tag."""
    call.ctx.store.delete_model_version_tag(msg.name or "", msg.version or "", msg.key or "")
    return {}


# -- where a source may point --------------------------------------------------------------------


def checked_source(call: Call, source: str, run_id: str | None) -> str:
    """``source`` if a new version may use it, else INVALID_PARAMETER_VALUE.

    ``runs:/<run_id>/<path>`` and ``models:/…`` name other registry or tracking records, which
    are resolved through the store and their own checked locations; they only have to be well
    formed (and a ``runs:/`` source must name the ``run_id`` given with it). Anything else is a
    storage location and must pass the artifact-root check that experiment locations pass.
    """
    match = _SCHEME.match(source)
    scheme = match.group(1).lower() if match else ""
    if scheme not in _LOGICAL_SCHEMES:
        return call.ctx.roots.check(source, "source")
    parts = urlsplit(source)
    if parts.netloc or not parts.path.startswith("/") or parts.query or parts.fragment:
        raise _bad_source(source, f"expected {scheme}:/<{_WHAT[scheme]}>[/<path>]")
    for form in (parts.path, unquote(parts.path), unquote(unquote(parts.path))):
        if "\x00" in form or "\\" in form:
            raise _bad_source(source, "NUL characters and backslashes are not allowed")
        if ".." in form.split("/"):
            raise _bad_source(source, "'..' segments are not allowed")
    first = parts.path.lstrip("/").split("/", 1)[0]
    if not first:
        raise _bad_source(source, f"it names no {_WHAT[scheme]}")
    if scheme == "runs" and run_id and first != run_id:
        raise _bad_source(source, f"it names run {first!r}, but run_id is {run_id!r}")
    return source


_WHAT = {"runs": "run_id", "models": "model"}


def _bad_source(source: str, why: str) -> InvalidParameterValue:
    shown = source if len(source) <= 120 else source[:117] + "..."
    return InvalidParameterValue(f"Invalid source {shown!r}: {why}.")
