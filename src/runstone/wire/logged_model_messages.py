"""Request messages of MLflow 3's logged-model API (mlflow-compat.md §1.12), as pydantic models.

``model_id`` and ``tag_key`` come from the URL path (``/logged-models/{model_id}``); the
server's router passes them in with the body's fields. ``runs/outputs`` and
``logged-models/search`` are :class:`runstone.wire.messages.LogOutputs` and
:class:`runstone.wire.messages.SearchLoggedModels`.
"""

from __future__ import annotations

from pydantic import Field

from runstone.wire.messages import KeyValue, Message

# The page size MLflow's proto gives logged-model searches when a request names none.
LOGGED_MODELS_PAGE = 50


class CreateLoggedModel(Message):
    required = ("experiment_id",)
    experiment_id: str | None = None
    name: str | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    params: list[KeyValue] = Field(default_factory=list)
    tags: list[KeyValue] = Field(default_factory=list)


class LoggedModelId(Message):
    """GET and DELETE ``/logged-models/{model_id}``."""

    required = ("model_id",)
    model_id: str | None = None


class FinalizeLoggedModel(Message):
    required = ("model_id", "status")
    model_id: str | None = None
    status: str | int | None = None


class SetLoggedModelTags(Message):
    required = ("model_id",)
    model_id: str | None = None
    tags: list[KeyValue] = Field(default_factory=list)


class DeleteLoggedModelTag(Message):
    required = ("model_id", "tag_key")
    model_id: str | None = None
    tag_key: str | None = None


class LogLoggedModelParams(Message):
    required = ("model_id",)
    model_id: str | None = None
    params: list[KeyValue] = Field(default_factory=list)
