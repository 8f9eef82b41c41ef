"""Logging and fetching models: a flavor's local save → a logged model's files → a registry
version, and any model URI → a local model directory.

``runstone.sklearn.log_model`` and its siblings all go through :func:`log_model` here, so every
flavor logs the same way, in MLflow 3's order: a PENDING logged model linked to the active run,
the model saved to a temporary folder with the model's id in its ``MLmodel``, the folder
uploaded to the model's own location, the model finalized READY (UPLOAD_FAILED if anything
broke), and — when asked — a new version of a registered model whose source is
``models:/<model_id>``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from runstone.client import fluent
from runstone.client.client import RunstoneClient
from runstone.entities import LoggedModel, LoggedModelOutput, LoggedModelStatus
from runstone.errors import InvalidParameterValue
from runstone.models.spec import ModelSpec
from runstone.uri import file_uri_path

_log = logging.getLogger(__name__)

DEFAULT_NAME = "model"


@dataclass(frozen=True)
class ModelInfo:
    """What ``log_model`` returns: where the model is and what its ``MLmodel`` says.

    ``model_uri`` (``models:/<model_id>``) loads it with any flavor's ``load_model``.
    """

    model_id: str
    name: str
    model_uri: str
    artifact_path: str
    run_id: str | None
    flavors: dict[str, dict[str, Any]]
    utc_time_created: str
    model_uuid: str | None = None
    signature: dict[str, Any] | None = None
    saved_input_example_info: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    registered_model_version: str | None = None


def _stamp(local_dir: Path, model: LoggedModel, run_id: str | None) -> ModelSpec:
    """Write the logged model's identity into the saved ``MLmodel`` (as MLflow 3 does:
    ``artifact_path`` is the model's location, ``model_uuid`` its id)."""
    spec = ModelSpec.load(local_dir)
    spec.model_id = model.model_id
    spec.model_uuid = model.model_id
    spec.artifact_path = model.artifact_uri
    spec.run_id = run_id
    spec.save(local_dir)
    return spec


def log_model(
    save: Callable[..., Any],
    model: Any,
    *,
    name: str | None = None,
    artifact_path: str | None = None,
    registered_model_name: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    **save_kwargs: Any,
) -> ModelInfo:
    """Log ``model`` with a flavor's ``save(model, path, **save_kwargs)``.

    The model joins the active run, if there is one (its params are copied to the model, as
    MLflow does), else the current experiment. ``artifact_path`` is MLflow 2's name for
    ``name``. With ``registered_model_name``, a version of that model is registered (the model
    is created on first use) with ``tags``.
    """
    if name and artifact_path and name != artifact_path:
        raise InvalidParameterValue(
            "Give the model's name once: artifact_path is the old name of name."
        )
    name = name or artifact_path or DEFAULT_NAME
    client = fluent._client()
    active = fluent.active_run()
    run_id = active.info.run_id if active is not None else None
    experiment_id = active.info.experiment_id if active else fluent._current_experiment_id()
    all_params: dict[str, Any] = dict(params or {})
    if run_id is not None:
        client.flush()  # params logged in the background so far belong to the model too
        all_params.update(client.get_run(run_id).data.params)
    logged = client.create_logged_model(
        experiment_id, name, run_id, tags=tags, params=all_params, model_type=model_type
    )
    try:
        if run_id is not None:
            client.log_outputs(run_id, [LoggedModelOutput(logged.model_id, step)])
        with tempfile.TemporaryDirectory(prefix="runstone-model-") as tmp:
            local_dir = Path(tmp, "model")
            save(model, local_dir, **save_kwargs)
            spec = _stamp(local_dir, logged, run_id)
            client.log_model_artifacts(logged.model_id, local_dir)
    except BaseException:
        client.finalize_logged_model(logged.model_id, LoggedModelStatus.UPLOAD_FAILED)
        raise
    logged = client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    version = None
    if registered_model_name is not None:
        version = fluent.register_model(
            f"models:/{logged.model_id}", registered_model_name, tags=tags
        ).version
    return ModelInfo(
        model_id=logged.model_id,
        name=logged.name,
        model_uri=f"models:/{logged.model_id}",
        artifact_path=logged.artifact_uri,
        run_id=run_id,
        flavors=spec.flavors,
        utc_time_created=spec.utc_time_created,
        model_uuid=spec.model_uuid,
        signature=spec.signature,
        saved_input_example_info=spec.saved_input_example_info,
        metadata=spec.metadata,
        params=dict(logged.params),
        tags=dict(logged.tags),
        registered_model_version=version,
    )


def _local_path(model_uri: str) -> Path | None:
    """The directory a plain path or ``file:`` URI names; None for any other URI."""
    local = file_uri_path(model_uri)
    if local is not None:
        return Path(local)
    parts = urlsplit(model_uri)
    if not parts.scheme or (len(parts.scheme) == 1 and os.name == "nt"):  # C:\... on Windows
        return Path(model_uri)
    return None


def local_model_dir(
    model_uri: str | os.PathLike[str],
    dst_path: str | None = None,
    client: RunstoneClient | None = None,
) -> str:
    """A local directory holding the model at ``model_uri``.

    A local path (or ``file:`` URI) is used where it is; anything else — ``runs:/``,
    ``models:/`` (a logged model's id, a registered version by number, stage, ``latest`` or
    alias), ``mlflow-artifacts:/``, ``s3://``… — is downloaded into ``dst_path`` (a new
    temporary directory by default) through ``client`` (default: the fluent API's, so the
    tracking URI set there applies).
    """
    uri = os.fspath(model_uri)
    local = _local_path(uri)
    if local is not None:
        if not local.is_dir():
            raise InvalidParameterValue(f"No model directory at {str(local)!r}.")
        return str(local)
    client = client or fluent._client()
    if dst_path is None:
        dst_path = tempfile.mkdtemp(prefix="runstone-model-")
    return client.download_artifacts(artifact_uri=uri, dst_path=dst_path)
