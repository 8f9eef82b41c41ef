"""``runstone.pytorch``: PyTorch modules and state dicts as models, with MLflow's verbs.

``save_model`` writes a local directory in MLflow's layout, ``log_model`` logs a module to the
tracking server (optionally registering it), and ``load_model`` returns the module from any
model URI (local path, ``runs:/``, ``models:/``, ``mlflow-artifacts:/``, ``s3://``…), mapped
to the CPU when no GPU is there. ``log_state_dict`` / ``load_state_dict`` do the same for
weights alone, which is the safer way to share them: whole modules are pickles and run code
when loaded, so load only modules you trust.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from runstone.client import fluent
from runstone.client import models as _client_models
from runstone.client.models import ModelInfo
from runstone.models.flavors.pytorch import load_model as _load_local
from runstone.models.flavors.pytorch import load_state_dict as _load_local_state_dict
from runstone.models.flavors.pytorch import save_model, save_state_dict

__all__ = [
    "ModelInfo",
    "load_model",
    "load_state_dict",
    "log_model",
    "log_state_dict",
    "save_model",
    "save_state_dict",
]


def log_model(pytorch_model: Any, name: str | None = None, **kwargs: Any) -> ModelInfo:
    """Log ``pytorch_model`` (a whole ``torch.nn.Module``) as a logged model of the active run
    and return where it went.

    Options: ``registered_model_name`` (also register it), ``params``, ``tags``,
    ``model_type``, ``step``, and :func:`save_model`'s (``signature``, ``input_example``,
    ``pickle_module``, ``pip_requirements``, ``code_paths``…).
    """
    return _client_models.log_model(save_model, pytorch_model, name=name, **kwargs)


def load_model(
    model_uri: str | os.PathLike[str], dst_path: str | None = None, **kwargs: Any
) -> Any:
    """The module saved at ``model_uri``, in eval mode; ``kwargs`` (``map_location``…) go to
    the local loader."""
    return _load_local(_client_models.local_model_dir(model_uri, dst_path), **kwargs)


def log_state_dict(state_dict: Any, artifact_path: str, **kwargs: Any) -> None:
    """Log a state dict as ``<artifact_path>/state_dict.pth`` among the active run's
    artifacts; ``kwargs`` go to ``torch.save``."""
    with tempfile.TemporaryDirectory(prefix="runstone-state-dict-") as tmp:
        save_state_dict(state_dict, tmp, **kwargs)
        fluent.log_artifacts(tmp, artifact_path)


def load_state_dict(
    state_dict_uri: str | os.PathLike[str], map_location: Any = None, **kwargs: Any
) -> dict[str, Any]:
    """The state dict logged at ``state_dict_uri`` (a folder holding ``state_dict.pth``)."""
    local = _client_models.local_model_dir(state_dict_uri)
    return _load_local_state_dict(local, map_location=map_location, **kwargs)
