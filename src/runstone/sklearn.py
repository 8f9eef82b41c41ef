"""``runstone.sklearn``: scikit-learn estimators as models, with MLflow's verbs.

``save_model`` writes a local directory (skops by default when installed), ``log_model`` logs
the estimator to the tracking server (optionally registering it) and ``load_model`` returns
the estimator from any model URI (local path, ``runs:/``, ``models:/``, ``mlflow-artifacts:/``,
``s3://``…). Files are MLflow's layout: ``mlflow.sklearn`` reads them and the other way round.

Pickle and cloudpickle files run code when loaded: load only models you trust.
"""

from __future__ import annotations

import os
from typing import Any

from runstone.client import models as _client_models
from runstone.client.models import ModelInfo
from runstone.models.flavors.sklearn import load_model as _load_local
from runstone.models.flavors.sklearn import save_model

__all__ = ["ModelInfo", "load_model", "log_model", "save_model"]


def log_model(sk_model: Any, name: str | None = None, **kwargs: Any) -> ModelInfo:
    """Log ``sk_model`` as a logged model of the active run and return where it went.

    Options: ``registered_model_name`` (also register it), ``params``, ``tags``,
    ``model_type``, ``step``, and :func:`save_model`'s (``signature``, ``input_example``,
    ``serialization_format``, ``pip_requirements``, ``code_paths``…).
    """
    return _client_models.log_model(save_model, sk_model, name=name, **kwargs)


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Any:
    """The estimator saved at ``model_uri``."""
    return _load_local(_client_models.local_model_dir(model_uri, dst_path))
