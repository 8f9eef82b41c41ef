"""The ``python_function`` (pyfunc) flavor: one ``predict(data, params)`` for every model.

Every flavor also writes a ``python_function`` block into ``MLmodel`` naming a *loader module*;
:func:`load_model` imports it and calls its ``_load_pyfunc(path)``, so a scoring server or a
batch job can call any model the same way. The blocks are written with MLflow's keys
(mlflow-compat.md §5.3) so a model Runstone saves loads in ``mlflow.pyfunc.load_model`` and the
other way round.

Loader modules named ``mlflow.*`` are MLflow's; for the flavors Runstone implements itself
(:data:`LOADER_ALIASES`) Runstone's loader is used instead, so MLflow need not be installed.
Runstone therefore *writes* MLflow's names (``mlflow.pyfunc.model``, ``mlflow.sklearn``): the
files stay portable, and Runstone maps them back when it loads.

Security: a custom :class:`PythonModel` is stored with cloudpickle, and loading a pickle runs
code chosen by whoever wrote the file. Only load models from sources you trust.
cloudpickle, numpy and pandas are imported only where needed, to keep this import cheap.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import shutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Final, NamedTuple

from runstone.errors import AlreadyExists, InvalidParameterValue, NotImplementedFeature
from runstone.models import examples
from runstone.models.environment import (
    capture_requirements,
    current_python_version,
    installed_version,
    write_environment,
)
from runstone.models.layout import CONDA_ENV_FILE, PYTHON_ENV_FILE, directory_size
from runstone.models.schema_enforce import double_columns, enforce_params, enforce_schema
from runstone.models.signature import ModelSignature, infer_signature
from runstone.models.spec import ModelSpec

FLAVOR_NAME: Final = "python_function"
PYTHON_MODEL_FILE: Final = "python_model.pkl"
ARTIFACTS_DIR: Final = "artifacts"
CODE_DIR: Final = "code"
DATA_DIR: Final = "data"
# What MLflow writes as the loader of a custom PythonModel; Runstone writes it too.
PYTHON_MODEL_LOADER: Final = "mlflow.pyfunc.model"
# MLflow loader modules that Runstone implements itself, and the Runstone module that does.
LOADER_ALIASES: Final[Mapping[str, str]] = {
    PYTHON_MODEL_LOADER: "runstone.models.pyfunc",
    "mlflow.sklearn": "runstone.models.flavors.sklearn",
    "mlflow.pytorch": "runstone.models.flavors.pytorch",
}

_log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------ PythonModel


class PredictTypeHints(NamedTuple):
    """What MLflow's pyfunc wrapper reads from ``python_model.predict_type_hints``.

    Runstone does not convert inputs by type hint; the empty hints let MLflow pass the data
    through unchanged when it loads a Runstone model.
    """

    input: Any = None
    output: Any = None


class PythonModelContext:
    """What :meth:`PythonModel.load_context` and ``predict`` receive: the local paths of the
    model's artifacts (by the names given at save time) and its ``model_config``."""

    def __init__(
        self, artifacts: Mapping[str, str], model_config: Mapping[str, Any] | None = None
    ) -> None:
        self._artifacts = dict(artifacts)
        self._model_config = dict(model_config or {})

    @property
    def artifacts(self) -> dict[str, str]:
        return self._artifacts

    @property
    def model_config(self) -> dict[str, Any]:
        return self._model_config


class PythonModel:
    """Base class of a custom model: subclass it and implement ``predict``.

    ``predict`` may take the context first, ``predict(self, context, model_input, params=None)``,
    or not, ``predict(self, model_input, params=None)``; the loader looks at the signature, as
    MLflow 3 does. Override :meth:`load_context` to open artifacts once, at load time, rather
    than on every call.
    """

    def load_context(self, context: PythonModelContext) -> None:
        """Called once after loading, before the first ``predict``; does nothing by default."""

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement predict().")

    @property
    def predict_type_hints(self) -> PredictTypeHints:
        return PredictTypeHints()


def _takes_context(method: Any) -> bool:
    """Whether ``predict`` expects the context first: a parameter named ``context``, or two
    parameters besides ``params`` (MLflow's rule, so a model behaves the same in both)."""
    parameters = inspect.signature(method).parameters
    names = [name for name in parameters if name not in ("self", "params")]
    return "context" in parameters or len(names) == 2


def _accepts_params(method: Any) -> bool:
    try:
        parameters = inspect.signature(method).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return "params" in parameters  # not **kwargs: sklearn pipelines forward those to steps


class _PythonModelWrapper:
    """Adapts a loaded :class:`PythonModel` (or MLflow's) to ``predict(data, params)``."""

    def __init__(self, python_model: Any, context: PythonModelContext) -> None:
        self.python_model = python_model
        self.context = context
        method = python_model.predict  # its signature is read once, not on every call
        self._params, self._context = _accepts_params(method), _takes_context(method)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        kwargs = {"params": params} if self._params else {}
        if self._context:
            return self.python_model.predict(self.context, data, **kwargs)
        return self.python_model.predict(data, **kwargs)


def _load_pyfunc(path: str, model_config: Mapping[str, Any] | None = None) -> _PythonModelWrapper:
    """The loader of ``loader_module: mlflow.pyfunc.model``: unpickle, then ``load_context``.

    Runs the pickled code: only for models you trust.
    """
    import cloudpickle  # type: ignore[import-untyped]

    root = Path(path)
    conf = ModelSpec.load(root).flavor(FLAVOR_NAME)
    if conf.get("model_code_path"):
        raise NotImplementedFeature(
            f"The model at {path!r} is a model-from-code (model_code_path); Runstone cannot load "
            "that form yet. Load it with mlflow.pyfunc.load_model."
        )
    if conf.get("python_model_compression"):
        raise NotImplementedFeature(
            f"The model at {path!r} uses a compressed python_model "
            f"({conf['python_model_compression']}); Runstone cannot load that form yet."
        )
    saved_version = conf.get("cloudpickle_version")
    if saved_version and saved_version != cloudpickle.__version__:
        _log.warning(
            "model saved with cloudpickle %s, running %s: it may not load correctly",
            saved_version,
            cloudpickle.__version__,
        )
    with open(root / conf.get("python_model", PYTHON_MODEL_FILE), "rb") as handle:
        python_model = cloudpickle.load(handle)
    artifacts = {
        name: str(root / info["path"]) for name, info in (conf.get("artifacts") or {}).items()
    }
    context = PythonModelContext(artifacts, model_config)
    python_model.load_context(context)
    return _PythonModelWrapper(python_model, context)


# ------------------------------------------------------------------------------ PyFuncModel


class PyFuncModel:
    """A loaded model behind one interface: ``predict(data, params=None)``.

    When the model has a signature, inputs are checked and converted to it and params are
    checked against its params schema before the model sees them, so a bad request fails with
    one clear :class:`InvalidParameterValue` instead of deep inside the model. Params the
    signature does not declare are dropped with a warning, as MLflow drops them.
    """

    def __init__(self, metadata: ModelSpec, impl: Any, predict_fn: str = "predict") -> None:
        self._metadata = metadata
        self._impl = impl
        self._predict = getattr(impl, predict_fn)
        self._takes_params = _accepts_params(self._predict)  # inspected once, not per call
        raw = metadata.signature
        self._signature = None if raw is None else ModelSignature.from_dict(raw)
        # The numeric lane: float64 arrays of an all-double table, for an impl that takes them.
        columns = None if self._signature is None else double_columns(self._signature.inputs)
        lane = getattr(impl, "matrix_predictor", None)
        self._matrix = lane(predict_fn, columns) if lane is not None and columns else None
        self._matrix_columns = columns
        self.takes_matrices = self._matrix is not None  # whether predict_matrix skips pandas

    @property
    def metadata(self) -> ModelSpec:
        return self._metadata

    @property
    def signature(self) -> ModelSignature | None:
        return self._signature

    def unwrap_python_model(self) -> Any:
        """The user's :class:`PythonModel` object, for a custom model."""
        if not isinstance(self._impl, _PythonModelWrapper):
            raise InvalidParameterValue("This model was not saved from a PythonModel.")
        return self._impl.python_model

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        signature = self._signature
        if signature is not None and signature.inputs is not None:
            data = enforce_schema(data, signature.inputs)
        # As in MLflow, params reach the model only when its signature declares them.
        checked = enforce_params(params, None if signature is None else signature.params) or None
        if self._takes_params:
            return self._predict(data, params=checked)
        if checked:
            _log.warning("the model's %s() takes no params; ignoring them", self._predict.__name__)
        return self._predict(data)

    def predict_matrix(self, values: Any, params: Mapping[str, Any] | None = None) -> Any:
        """``predict`` of a float64 ``(rows, columns)`` array of a table of the signature's
        columns, all required doubles, in order (what enforcement makes of such a table):
        given as is to an impl whose ``matrix_predictor`` took them, else as that DataFrame."""
        if self._matrix is None:
            import pandas as pd  # optional heavy dependency

            frame = pd.DataFrame(values, columns=self._matrix_columns, copy=False)
            return self.predict(frame, params)
        signature = self._signature
        checked = enforce_params(params, None if signature is None else signature.params) or None
        return self._matrix(values, params=checked)

    def __repr__(self) -> str:
        loader = self._metadata.flavors.get(FLAVOR_NAME, {}).get("loader_module")
        return f"<PyFuncModel loader_module={loader!r} run_id={self._metadata.run_id!r}>"


def _import_loader(loader_module: str, flavors: Iterable[str]) -> ModuleType:
    """The module for ``loader_module``: Runstone's own for the aliased MLflow names."""
    name = LOADER_ALIASES.get(loader_module, loader_module)
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        package = "mlflow" if name.startswith("mlflow.") else name.split(".", 1)[0]
        raise NotImplementedFeature(
            f"Cannot load the model's python_function flavor: its loader_module {loader_module!r} "
            f"is not importable ({exc}); the model's flavors are {', '.join(sorted(flavors))}. "
            f"Runstone has its own loader only for "
            f"{', '.join(sorted(LOADER_ALIASES))}; install the package that provides "
            f"{loader_module!r} (pip install {package}) to load this model."
        ) from exc


def _add_code_path(root: Path, code: object) -> None:
    """Put a model's saved code directory first on ``sys.path`` so its pickles can import it."""
    if not code:
        return
    code_dir = str((root / str(code)).resolve())
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)


def load_model(
    path: str | os.PathLike[str], model_config: Mapping[str, Any] | None = None
) -> PyFuncModel:
    """Load a local model directory through its ``python_function`` flavor.

    ``model_config`` is merged over the config saved with the model. Loading may run pickled
    code (custom models, pickle-format sklearn models): only load models you trust.
    """
    root = Path(path)
    spec = ModelSpec.load(root)
    conf = spec.flavor(FLAVOR_NAME)
    loader_module = conf.get("loader_module")
    if not isinstance(loader_module, str) or not loader_module:
        raise InvalidParameterValue(
            f"Invalid MLmodel at {str(root)!r}: the python_function flavor has no loader_module."
        )
    _add_code_path(root, conf.get("code"))  # first: the loader module may live there
    module = _import_loader(loader_module, spec.flavors)
    data_path = root / conf["data"] if conf.get("data") else root
    config = {**(conf.get("config") or {}), **(model_config or {})}
    if config:
        impl = module._load_pyfunc(str(data_path), config)
    else:
        impl = module._load_pyfunc(str(data_path))
    return PyFuncModel(spec, impl, predict_fn=conf.get("predict_fn") or "predict")


# ----------------------------------------------------------------------- saving (shared)


def prepare_model_dir(path: str | os.PathLike[str]) -> Path:
    """Create the model directory; an existing non-empty one is refused, never overwritten."""
    root = Path(path)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise AlreadyExists(f"Path {str(root)!r} already exists and is not an empty directory.")
    root.mkdir(parents=True, exist_ok=True)
    return root


def copy_into(root: Path, source: str | os.PathLike[str], subdir: str) -> str:
    """Copy a file or directory to ``root/subdir/<name>``; returns that relative path."""
    src = Path(source)
    if not src.exists():
        raise InvalidParameterValue(f"Cannot copy {str(src)!r} into the model: it does not exist.")
    dest = root / subdir / src.name
    if dest.exists():
        raise InvalidParameterValue(
            f"Two files named {src.name!r} would be copied into the model's {subdir}/ directory."
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dest)
    else:
        shutil.copy2(src, dest)
    return f"{subdir}/{src.name}"


def copy_code_paths(root: Path, code_paths: Iterable[str | os.PathLike[str]] | None) -> str | None:
    """Copy ``code_paths`` under ``code/``; the flavor's ``code`` value (None when none)."""
    if code_paths is None:
        return None
    for code_path in code_paths:
        copy_into(root, code_path, CODE_DIR)
    return CODE_DIR


def add_pyfunc_flavor(
    spec: ModelSpec,
    loader_module: str,
    *,
    data: str | None = None,
    code: str | None = None,
    model_config: Mapping[str, Any] | None = None,
    **params: Any,
) -> dict[str, Any]:
    """Add the ``python_function`` block; ``code``, ``data`` and ``config`` only when set,
    like MLflow. Returns the block so a caller can add keys to it."""
    conf: dict[str, Any] = {
        **params,
        "loader_module": loader_module,
        "python_version": current_python_version(),
        "env": {"conda": CONDA_ENV_FILE, "virtualenv": PYTHON_ENV_FILE},
    }
    if code:
        conf["code"] = code
    if data:
        conf["data"] = data
    if model_config:
        conf["config"] = dict(model_config)
    spec.flavors[FLAVOR_NAME] = conf
    return conf


def finish_model(
    spec: ModelSpec,
    root: Path,
    *,
    signature: ModelSignature | None,
    modules: Iterable[str],
    pip_requirements: str | os.PathLike[str] | Iterable[str] | None,
    extra_pip_requirements: str | os.PathLike[str] | Iterable[str] | None,
) -> ModelSpec:
    """Write the environment files and ``MLmodel``: the last step of every ``save_model``."""
    if signature is not None:
        spec.signature = signature.to_dict()
    requirements = capture_requirements(
        modules, pip_requirements=pip_requirements, extra_pip_requirements=extra_pip_requirements
    )
    write_environment(root, requirements)
    spec.model_size_bytes = directory_size(root)
    spec.save(root)
    return spec


# --------------------------------------------------------------------------- save_model


def _copy_artifacts(root: Path, artifacts: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Copy local artifacts under ``artifacts/``; the flavor's ``artifacts`` block."""
    config: dict[str, dict[str, str]] = {}
    copied: dict[Path, str] = {}
    for name, uri in artifacts.items():
        local = uri[len("file://") :] if uri.startswith("file://") else uri
        if "://" in local:
            raise InvalidParameterValue(
                f"Artifact {name!r} is {uri!r}: save_model copies local files only; download it "
                "first (fetching remote artifacts is the client's job)."
            )
        source = Path(local).resolve()
        if source not in copied:
            copied[source] = copy_into(root, source, ARTIFACTS_DIR)
        config[name] = {"path": copied[source], "uri": uri}
    return config


def _streamable(python_model: Any) -> bool:
    """Whether the user's class (not a library base class) defines ``predict_stream``."""
    return any(
        "predict_stream" in vars(klass)
        for klass in type(python_model).__mro__
        if not klass.__module__.startswith(("mlflow.", "runstone."))
    )


def save_model(
    path: str | os.PathLike[str],
    python_model: Any = None,
    loader_module: str | None = None,
    data_path: str | os.PathLike[str] | None = None,
    artifacts: Mapping[str, str] | None = None,
    code_paths: Iterable[str | os.PathLike[str]] | None = None,
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    pip_requirements: str | os.PathLike[str] | Iterable[str] | None = None,
    extra_pip_requirements: str | os.PathLike[str] | Iterable[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    model_config: Mapping[str, Any] | None = None,
) -> ModelSpec:
    """Save a custom model to a new local directory in MLflow's pyfunc layout.

    Either ``python_model`` (a :class:`PythonModel`, pickled with cloudpickle, with
    ``artifacts`` copied in and handed back through the context), or ``loader_module`` (a
    module with ``_load_pyfunc(data_path)``, given ``data_path`` copied in). Without a
    ``signature``, one is inferred from ``input_example`` by running a ``python_model`` on it,
    as MLflow does; ``signature=False`` saves none. Returns the written ``MLmodel`` as a ModelSpec.
    """
    if (python_model is None) == (loader_module is None):
        raise InvalidParameterValue("Give exactly one of python_model and loader_module.")
    if python_model is not None and data_path is not None:
        raise InvalidParameterValue("data_path goes with loader_module; use artifacts instead.")
    if loader_module is not None and artifacts:
        raise InvalidParameterValue("artifacts go with python_model; use data_path instead.")
    if python_model is not None and not callable(getattr(python_model, "predict", None)):
        raise InvalidParameterValue(
            f"python_model must have a predict method (got {type(python_model).__name__})."
        )
    root = prepare_model_dir(path)
    try:
        spec = ModelSpec(metadata=None if metadata is None else dict(metadata))
        if input_example is not None:
            examples.save_input_example(spec, root, input_example)
        code = copy_code_paths(root, code_paths)
        if python_model is not None:
            conf = _save_python_model(root, spec, python_model, artifacts, model_config)
            # The class's own module (and its bases'): pins the package that defines it.
            modules = ["cloudpickle", *(k.__module__ for k in type(python_model).__mro__)]
        else:
            data = None if data_path is None else copy_into(root, data_path, DATA_DIR)
            conf = add_pyfunc_flavor(
                spec, str(loader_module), data=data, model_config=model_config, streamable=False
            )
            modules = [str(loader_module)]
        conf["code"] = code
        if signature is None and input_example is not None and python_model is not None:
            signature = _infer_python_model_signature(root, spec, python_model, input_example)
        return finish_model(
            spec,
            root,
            signature=signature if isinstance(signature, ModelSignature) else None,
            modules=modules,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
        )
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _save_python_model(
    root: Path,
    spec: ModelSpec,
    python_model: Any,
    artifacts: Mapping[str, str] | None,
    model_config: Mapping[str, Any] | None,
) -> dict[str, Any]:
    import cloudpickle

    try:
        with open(root / PYTHON_MODEL_FILE, "wb") as handle:
            cloudpickle.dump(python_model, handle)
    except Exception as exc:
        raise InvalidParameterValue(
            f"Cannot pickle the python_model {type(python_model).__name__}: {exc}"
        ) from exc
    params: dict[str, Any] = {
        "python_model": PYTHON_MODEL_FILE,
        "cloudpickle_version": installed_version("cloudpickle") or cloudpickle.__version__,
        "streamable": _streamable(python_model),
    }
    if artifacts:
        params["artifacts"] = _copy_artifacts(root, artifacts)
    return add_pyfunc_flavor(spec, PYTHON_MODEL_LOADER, model_config=model_config, **params)


def _infer_python_model_signature(
    root: Path, spec: ModelSpec, python_model: Any, example: Any
) -> ModelSignature | None:
    conf = spec.flavors[FLAVOR_NAME]
    artifacts = {name: str(root / info["path"]) for name, info in conf.get("artifacts", {}).items()}
    context = PythonModelContext(artifacts, conf.get("config"))
    try:
        python_model.load_context(context)
    except Exception as exc:  # the user's code: report, and save without output schema
        _log.warning("load_context failed while inferring the signature: %s", exc)
        data, params = examples.split_example(example)
        return infer_signature(data, None, params)
    wrapper = _PythonModelWrapper(python_model, context)
    return examples.infer_signature_from_example(example, wrapper.predict)
