"""Request messages of MLflow's model registry API (mlflow-compat.md §1.11), as pydantic models.

The same rules as :mod:`runstone.wire.messages`: MLflow's snake_case names or their lowerCamel
spelling, every field optional here and the ones a request must carry listed in ``required``.
(Lists default through ``Field(default_factory=list)``: ruff cannot see that these classes are
pydantic models, which copy a ``[]`` default anyway.)

``version`` is a string in MLflow's proto, but clients send numbers too (and JavaScript may
send ``3.0``), so a whole number is taken and turned into its decimal string; whether the text
names a version at all is the store's check, with the store's message. ``stage`` stays a string
for the same reason: the store parses it in any letter case and refuses the rest.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from runstone.wire.messages import Int64, KeyValue, Message


def _version_text(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a version number, not a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        raise ValueError("expected a whole version number")
    return value


def _strict_bool(value: Any) -> Any:
    """JSON true/false, or (in a query string) the words ``true``/``false``: MLflow refuses
    anything else rather than guess what ``"yes"`` or ``1`` meant."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError("expected true or false")


Version = Annotated[str, BeforeValidator(_version_text)]
Bool = Annotated[bool, BeforeValidator(_strict_bool)]

# Page sizes MLflow's proto gives these searches when a request names none.
REGISTERED_MODELS_PAGE = 100
MODEL_VERSIONS_PAGE = 200_000


# -- registered models ---------------------------------------------------------------------------


class CreateRegisteredModel(Message):
    required = ("name",)
    name: str | None = None
    tags: list[KeyValue] = Field(default_factory=list)
    description: str | None = None
    deployment_job_id: str | None = None


class RegisteredModelName(Message):
    """registered-models/get and registered-models/delete."""

    required = ("name",)
    name: str | None = None


class RenameRegisteredModel(Message):
    required = ("name", "new_name")
    name: str | None = None
    new_name: str | None = None


class UpdateRegisteredModel(Message):
    required = ("name",)
    name: str | None = None
    description: str | None = None
    deployment_job_id: str | None = None


class SearchRegisteredModels(Message):
    filter: str | None = None
    max_results: Int64 = REGISTERED_MODELS_PAGE
    order_by: list[str] = Field(default_factory=list)
    page_token: str | None = None


class GetLatestVersions(Message):
    required = ("name",)
    name: str | None = None
    stages: list[str] = Field(default_factory=list)


class SetRegisteredModelTag(Message):
    required = ("name", "key")
    name: str | None = None
    key: str | None = None
    value: str | None = None


class DeleteRegisteredModelTag(Message):
    required = ("name", "key")
    name: str | None = None
    key: str | None = None


class SetRegisteredModelAlias(Message):
    required = ("name", "alias", "version")
    name: str | None = None
    alias: str | None = None
    version: Version | None = None


class RegisteredModelAlias(Message):
    """registered-models/alias with DELETE (remove it) and GET (the version it names)."""

    required = ("name", "alias")
    name: str | None = None
    alias: str | None = None


# -- model versions ------------------------------------------------------------------------------


class CreateModelVersion(Message):
    required = ("name", "source")
    name: str | None = None
    source: str | None = None
    run_id: str | None = None
    tags: list[KeyValue] = Field(default_factory=list)
    run_link: str | None = None
    description: str | None = None
    model_id: str | None = None
    # Not in MLflow's message (whose server ignores it): Runstone's client names the user as
    # runs/create does, so a version registered over REST records who made it, as locally.
    user_id: str | None = None


class ModelVersionRef(Message):
    """model-versions/get and model-versions/delete."""

    required = ("name", "version")
    name: str | None = None
    version: Version | None = None


class GetModelVersionDownloadUri(Message):
    # Neither field is required in MLflow's proto; the store reports what is missing.
    name: str | None = None
    version: Version | None = None


class UpdateModelVersion(Message):
    required = ("name", "version")
    name: str | None = None
    version: Version | None = None
    description: str | None = None


class SearchModelVersions(Message):
    filter: str | None = None
    max_results: Int64 = MODEL_VERSIONS_PAGE
    order_by: list[str] = Field(default_factory=list)
    page_token: str | None = None


class TransitionModelVersionStage(Message):
    required = ("name", "version", "stage")
    name: str | None = None
    version: Version | None = None
    stage: str | None = None
    archive_existing_versions: Bool = False


class SetModelVersionTag(Message):
    required = ("name", "version", "key")
    name: str | None = None
    version: Version | None = None
    key: str | None = None
    value: str | None = None


class DeleteModelVersionTag(Message):
    required = ("name", "version", "key")
    name: str | None = None
    version: Version | None = None
    key: str | None = None
