"""``runstone.pyfunc``: custom models, and any model loaded through one ``predict`` interface.

MLflow's module of the same name, with the same verbs: ``save_model`` writes a local
directory, ``log_model`` logs a model to the tracking server (optionally registering it), and
``load_model`` loads any model — from a local path, ``runs:/``, ``models:/`` (a logged model's
id, a registered version by number, stage, ``latest`` or alias), ``mlflow-artifacts:/`` or
``s3://`` — as a :class:`PyFuncModel` with ``predict(data, params=None)``.

Loading runs the model's pickled code: load only models you trust.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from runstone.client import models as _client_models
from runstone.client.models import ModelInfo
from runstone.models.pyfunc import (
    PyFuncModel,
    PythonModel,
    PythonModelContext,
    save_model,
)
from runstone.models.pyfunc import load_model as _load_local

__all__ = [
    "ModelInfo",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "load_model",
    "log_model",
    "save_model",
]


def _save(python_model: Any, path: str | os.PathLike[str], **kwargs: Any) -> Any:
    return save_model(path, python_model=python_model, **kwargs)


def log_model(name: str | None = None, python_model: Any = None, **kwargs: Any) -> ModelInfo:
    """Log a custom model — a :class:`PythonModel`, or ``loader_module`` + ``data_path`` — as
    a logged model of the active run and return where it went.

    Options: ``registered_model_name`` (also register it), ``params``, ``tags``,
    ``model_type``, ``step``, and :func:`save_model`'s (``artifacts``, ``signature``,
    ``input_example``, ``code_paths``, ``pip_requirements``…).
    """
    return _client_models.log_model(_save, python_model, name=name, **kwargs)


def load_model(
    model_uri: str | os.PathLike[str],
    dst_path: str | None = None,
    model_config: Mapping[str, Any] | None = None,
) -> PyFuncModel:
    """The model at ``model_uri`` behind ``predict(data, params=None)``; a remote model is
    downloaded into ``dst_path`` (default: a new temporary directory) first."""
    return _load_local(_client_models.local_model_dir(model_uri, dst_path), model_config)
