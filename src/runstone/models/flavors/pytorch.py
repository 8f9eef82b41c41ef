"""The ``pytorch`` flavor: ``torch.nn.Module`` objects saved whole with ``torch.save``, and
state dicts saved on their own.

Files are laid out as MLflow lays them out, so a model saved here loads with
``mlflow.pytorch.load_model`` and ``mlflow.pyfunc.load_model``, and one MLflow saved loads here:
the module goes to ``data/model.pth``, the name of the pickle module that wrote it to
``data/pickle_module_info.txt`` (the pyfunc loader is handed ``data/`` alone, so the name must
live there too), and ``MLmodel`` records ``model_data``, ``pytorch_version`` and ``code``. As
with the sklearn flavor, the ``python_function`` block names MLflow's loader, ``mlflow.pytorch``,
which :func:`runstone.models.pyfunc.load_model` maps to this module. A state dict is a directory
holding ``state_dict.pth`` and nothing else, as ``mlflow.pytorch.save_state_dict`` writes it.

MLflow's own default pickle module, ``mlflow.pytorch.pickle_module``, is read here with the
standard unpickler (what that module uses to read), so MLflow need not be installed. MLflow saves
in its ``pt2`` (``torch.export``) format by default; such a ``data/model.pt2`` loads here too,
though Runstone saves only the whole-module format.

Security: a whole module is a pickle, and ``torch.load`` must unpickle it with
``weights_only=False``, which runs code chosen by whoever wrote the file; only load models you
trust. State dicts are only tensors and plain containers, so they load with
``weights_only=True``, which refuses anything else.

Weights saved on a GPU load on a CPU-only machine: when no ``map_location`` is given and CUDA is
not available, tensors are mapped to the CPU (:func:`default_map_location`).

torch, numpy and pandas are imported inside the functions that need them.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import os
import pickle
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from runstone.errors import AlreadyExists, InvalidParameterValue, NotFound
from runstone.models import examples, pyfunc
from runstone.models.layout import write_text_atomic
from runstone.models.signature import ModelSignature
from runstone.models.spec import ModelSpec

FLAVOR_NAME: Final = "pytorch"
# The model's subdirectory: the pytorch flavor's model_data and the python_function block's data.
MODEL_DATA_DIR: Final = pyfunc.DATA_DIR
MODEL_FILE: Final = "model.pth"
EXPORTED_MODEL_FILE: Final = "model.pt2"
PICKLE_MODULE_INFO_FILE: Final = "pickle_module_info.txt"
STATE_DICT_FILE: Final = "state_dict.pth"
# The loader module written in the python_function block: MLflow's name, for portability.
PYFUNC_LOADER_MODULE: Final = "mlflow.pytorch"
CPU_DEVICE: Final = "cpu"
# Pickle modules named in pickle_module_info.txt that are read with another module: MLflow's
# default writes with cloudpickle and reads with the standard unpickler.
_PICKLE_MODULE_READERS: Final[Mapping[str, str]] = {"mlflow.pytorch.pickle_module": "pickle"}

_log = logging.getLogger(__name__)


def default_map_location(map_location: Any = None) -> Any:
    """``map_location`` when given; otherwise ``"cpu"`` when CUDA is not available (so weights
    saved on a GPU still load), else None (tensors go back to the device they were saved from)."""
    if map_location is not None:
        return map_location
    import torch

    return None if torch.cuda.is_available() else CPU_DEVICE


def _module_modules(pytorch_model: Any) -> list[str]:
    """The modules of the model's class and of its submodules' classes, so a model built from
    another library's layers pins that library too."""
    modules: list[str] = []
    for submodule in pytorch_model.modules():
        modules.extend(klass.__module__ for klass in type(submodule).__mro__ if klass is not object)
    return modules


def _as_example(input_example: Any) -> Any:
    """A tensor example as the numpy array it holds; the pyfunc face takes arrays, not tensors."""
    import torch

    if isinstance(input_example, torch.Tensor):
        return input_example.detach().cpu().numpy()
    return input_example


def save_model(
    pytorch_model: Any,
    path: str | os.PathLike[str],
    *,
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    pip_requirements: str | os.PathLike[str] | Iterable[str] | None = None,
    extra_pip_requirements: str | os.PathLike[str] | Iterable[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    code_paths: Iterable[str | os.PathLike[str]] | None = None,
    pickle_module: ModuleType | None = None,
    **kwargs: Any,
) -> ModelSpec:
    """Save a ``torch.nn.Module`` to a new local directory in MLflow's layout.

    The whole module is written with ``torch.save`` using ``pickle_module`` (the standard
    ``pickle`` by default; any module with ``Pickler`` and ``Unpickler``, such as
    ``mlflow.pytorch.pickle_module`` to capture classes defined in ``__main__``); ``kwargs`` go
    to ``torch.save``. The model's class must be importable where it is loaded: from an installed
    package, or from ``code_paths``, which are copied in and put on ``sys.path`` at load time.

    Without a ``signature``, one is inferred from ``input_example`` (a DataFrame, an array or a
    tensor) and the model's output for it on the CPU; ``signature=False`` saves none. Returns
    the written ``MLmodel``.
    """
    import torch

    if not isinstance(pytorch_model, torch.nn.Module):
        raise InvalidParameterValue(
            f"pytorch_model must be a torch.nn.Module (got {type(pytorch_model).__name__})."
        )
    pickler = pickle_module or pickle
    input_example = _as_example(input_example)
    root = pyfunc.prepare_model_dir(path)
    try:
        spec = ModelSpec(metadata=None if metadata is None else dict(metadata))
        if input_example is not None:
            examples.save_input_example(spec, root, input_example)
        code = pyfunc.copy_code_paths(root, code_paths)
        data_dir = root / MODEL_DATA_DIR
        data_dir.mkdir()
        write_text_atomic(data_dir / PICKLE_MODULE_INFO_FILE, pickler.__name__)
        torch.save(pytorch_model, data_dir / MODEL_FILE, pickle_module=pickler, **kwargs)
        spec.add_flavor(
            FLAVOR_NAME,
            model_data=MODEL_DATA_DIR,
            pytorch_version=str(torch.__version__),
            code=code,
        )
        # The device is chosen at load time (model_config), as MLflow does; None means the CPU.
        pyfunc.add_pyfunc_flavor(
            spec,
            PYFUNC_LOADER_MODULE,
            data=MODEL_DATA_DIR,
            code=code,
            model_config={"device": None},
            pickle_module_name=pickler.__name__,
        )
        if signature is None and input_example is not None:
            wrapper = PytorchPyfunc(pytorch_model, CPU_DEVICE)
            signature = examples.infer_signature_from_example(input_example, wrapper.predict)
        return pyfunc.finish_model(
            spec,
            root,
            signature=signature if isinstance(signature, ModelSignature) else None,
            modules=["torch", pickler.__name__, *_module_modules(pytorch_model)],
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
        )
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _pickle_module(data_dir: Path) -> ModuleType:
    """The module that reads ``data_dir/model.pth``: the one ``pickle_module_info.txt`` names
    (MLflow's default read as plain pickle), or ``pickle`` when the file is absent."""
    info = data_dir / PICKLE_MODULE_INFO_FILE
    name = info.read_text(encoding="utf-8").strip() if info.is_file() else "pickle"
    name = _PICKLE_MODULE_READERS.get(name, name)
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise NotFound(
            f"Cannot import {name!r}, the pickle module the PyTorch model at {str(data_dir)!r} "
            f"was saved with ({exc}); install it to load the model."
        ) from exc


def _load_exported(model_file: Path, device: Any) -> Any:
    """A ``torch.export`` (pt2) model; its weights cannot move, so the device is only checked."""
    import torch

    module = torch.export.load(model_file).module()
    if device is not None:
        wanted = torch.device(device).type
        for tensor in itertools.chain(module.parameters(), module.buffers()):
            if tensor.device.type != wanted:
                raise InvalidParameterValue(
                    f"The exported (pt2) PyTorch model at {str(model_file)!r} holds weights on "
                    f"{tensor.device.type!r} and cannot be moved to {wanted!r}; save it from a "
                    f"model on {wanted!r}."
                )
    return module


def _load_data(data_path: Path, map_location: Any, device: Any = None, **kwargs: Any) -> Any:
    """The module in a flavor's data directory (or in one ``.pth`` file), in eval mode.

    Unpickles with ``weights_only=False``: only for models you trust.
    """
    import torch

    if data_path.is_file():
        model_file = data_path
    elif (data_path / MODEL_FILE).is_file():
        model_file = data_path / MODEL_FILE
    elif (data_path / EXPORTED_MODEL_FILE).is_file():
        return _load_exported(data_path / EXPORTED_MODEL_FILE, device)
    else:
        raise NotFound(
            f"Could not find a PyTorch model file ({MODEL_FILE} or {EXPORTED_MODEL_FILE}) in "
            f"{str(data_path)!r}."
        )
    if "pickle_module" not in kwargs:
        kwargs["pickle_module"] = _pickle_module(model_file.parent)
    kwargs.setdefault("weights_only", False)
    location = default_map_location(device if map_location is None else map_location)
    model = torch.load(model_file, map_location=location, **kwargs)
    model.eval()
    if device is not None:
        model.to(device)
    return model


def load_model(path: str | os.PathLike[str], map_location: Any = None, **kwargs: Any) -> Any:
    """The ``torch.nn.Module`` of a local model directory (Runstone's or MLflow's), in eval mode.

    ``map_location`` and ``kwargs`` go to ``torch.load``; without ``map_location``, weights are
    mapped to the CPU when CUDA is not available. Loading unpickles the saved module: only load
    models you trust.
    """
    import torch

    root = Path(path)
    conf = ModelSpec.load(root).flavor(FLAVOR_NAME)
    model_data = conf.get("model_data")
    if not isinstance(model_data, str) or not model_data:
        raise InvalidParameterValue(
            f"Invalid MLmodel at {str(root)!r}: the pytorch flavor has no model_data."
        )
    saved_version = conf.get("pytorch_version")
    if saved_version and saved_version != torch.__version__:
        _log.warning(
            "model saved with torch %s, running %s: it may not load correctly",
            saved_version,
            torch.__version__,
        )
    pyfunc._add_code_path(root, conf.get("code"))
    return _load_data(root / model_data, map_location, **kwargs)


# ---------------------------------------------------------------------------- state dicts


def save_state_dict(state_dict: Any, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Write ``state_dict`` to ``path/state_dict.pth`` (the directory is created), as
    ``mlflow.pytorch.save_state_dict`` does; ``kwargs`` go to ``torch.save``. An existing
    ``state_dict.pth`` is refused, never overwritten. Returns the file's path."""
    import torch

    # A module passed by mistake would save fine and then fail to load as weights.
    if not isinstance(state_dict, dict):
        raise InvalidParameterValue(
            f"state_dict must be a dict (got {type(state_dict).__name__}); pass "
            "model.state_dict(), or save the module itself with save_model."
        )
    root = Path(path)
    if root.exists() and not root.is_dir():
        raise AlreadyExists(f"Path {str(root)!r} already exists and is not a directory.")
    target = root / STATE_DICT_FILE
    if target.exists():
        raise AlreadyExists(f"A state dict already exists at {str(target)!r}.")
    root.mkdir(parents=True, exist_ok=True)
    torch.save(state_dict, target, **kwargs)
    return target


def load_state_dict(
    path: str | os.PathLike[str], map_location: Any = None, **kwargs: Any
) -> dict[str, Any]:
    """The state dict in ``path/state_dict.pth`` (or in the file ``path`` itself).

    Loads with ``weights_only=True`` (tensors and plain containers only) unless ``kwargs`` says
    otherwise; without ``map_location``, tensors are mapped to the CPU when CUDA is not available.
    """
    import torch

    given = Path(path)
    state_file = given if given.is_file() else given / STATE_DICT_FILE
    if not state_file.is_file():
        raise NotFound(f"Could not find a state dict at {str(state_file)!r}.")
    kwargs.setdefault("weights_only", True)
    loaded = torch.load(state_file, map_location=default_map_location(map_location), **kwargs)
    if not isinstance(loaded, dict):
        raise InvalidParameterValue(
            f"{str(state_file)!r} holds a {type(loaded).__name__}, not a state dict."
        )
    return loaded


# ------------------------------------------------------------------------------ pyfunc face


class PytorchPyfunc:
    """The ``python_function`` face of a module: ``predict(data, params=None)``.

    A DataFrame goes in as a float32 tensor of its values and comes back as a DataFrame with
    the same index; an array goes in as the tensor sharing its data and dtype and comes back as
    an array. The model runs on ``device`` without gradients. Other ``params`` are passed to
    the model's ``forward`` as keyword arguments; a ``device`` param must name the device the
    model was loaded on, since the device is chosen at load time
    (``model_config={"device": ...}``), as in MLflow.
    """

    def __init__(self, pytorch_model: Any, device: str = CPU_DEVICE) -> None:
        self.pytorch_model = pytorch_model
        self.device = device

    def get_raw_model(self) -> Any:
        return self.pytorch_model

    def _input(self, data: Any) -> Any:
        import numpy as np

        if examples.is_instance(data, "pandas", "DataFrame"):
            try:
                values = data.to_numpy(dtype=np.float32)
            except (TypeError, ValueError) as exc:
                raise InvalidParameterValue(
                    f"The PyTorch model takes numeric DataFrame columns: {exc}"
                ) from exc
        elif isinstance(data, np.ndarray):
            values = data
        else:
            raise InvalidParameterValue(
                f"The PyTorch model takes a pandas DataFrame or a numpy ndarray, not "
                f"{type(data).__name__}."
            )
        # torch shares the array's memory; a read-only one (pandas copy-on-write) is copied.
        return values if values.flags.writeable else values.copy()

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        import torch

        forward_kwargs = dict(params or {})
        device = forward_kwargs.pop("device", None)
        if device is not None and torch.device(device) != torch.device(self.device):
            raise InvalidParameterValue(
                f"The model is loaded on {self.device!r}, not {device!r}: choose the device at "
                f"load time, with model_config={{'device': {device!r}}}."
            )
        values = self._input(data)
        with torch.no_grad():
            output = self.pytorch_model(torch.from_numpy(values).to(self.device), **forward_kwargs)
        if not isinstance(output, torch.Tensor):
            raise InvalidParameterValue(
                f"The PyTorch model must return one tensor to be used through python_function; "
                f"it returned {type(output).__name__}."
            )
        predictions = output.detach().to(CPU_DEVICE).numpy()
        if examples.is_instance(data, "pandas", "DataFrame"):
            import pandas as pd

            return pd.DataFrame(predictions, index=data.index)
        return predictions


def _load_pyfunc(path: str, model_config: Mapping[str, Any] | None = None) -> PytorchPyfunc:
    """The loader for ``loader_module: mlflow.pytorch``: ``path`` is the model's data directory
    (what MLflow hands over), a model file, or the model directory itself.

    ``model_config["device"]`` picks the device (the CPU when absent or None). Unpickles the
    saved module: only for models you trust.
    """
    given = Path(path)
    device = str((model_config or {}).get("device") or CPU_DEVICE)
    if (given / "MLmodel").is_file():
        spec = ModelSpec.load(given)
        model_data = spec.flavor(FLAVOR_NAME).get("model_data") or MODEL_DATA_DIR
        pyfunc._add_code_path(given, spec.flavor(FLAVOR_NAME).get("code"))
        given = given / str(model_data)
    return PytorchPyfunc(_load_data(given, None, device=device), device)
