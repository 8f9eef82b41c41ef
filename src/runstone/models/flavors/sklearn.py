"""The ``sklearn`` flavor: scikit-learn estimators saved as ``model.skops`` or ``model.pkl``.

Files are laid out as MLflow lays them out (mlflow-compat.md §5.4), so a model saved here
loads with ``mlflow.sklearn.load_model`` and ``mlflow.pyfunc.load_model``, and one MLflow saved
loads here. For that reason the ``python_function`` block names ``loader_module:
mlflow.sklearn`` — MLflow can only resolve its own module name — and
:func:`runstone.models.pyfunc.load_model` maps that name to this module, so Runstone never needs
MLflow installed to load it.

Security: loading a pickle or cloudpickle file runs code chosen by whoever wrote it; only load
models you trust. skops (the default when installed) refuses types it does not trust, which is
why saving checks the file loads with the trusted types recorded in ``MLmodel`` — though that
list is read from the model itself, so it protects against accidents, not against a crafted file.

scikit-learn, skops and cloudpickle are imported inside the functions that need them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pickle
import shutil
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from runstone.errors import InvalidParameterValue, NotFound
from runstone.models import examples, pyfunc
from runstone.models.signature import ModelSignature
from runstone.models.spec import ModelSpec

FLAVOR_NAME: Final = "sklearn"
SERIALIZATION_FORMAT_SKOPS: Final = "skops"
SERIALIZATION_FORMAT_PICKLE: Final = "pickle"
SERIALIZATION_FORMAT_CLOUDPICKLE: Final = "cloudpickle"
SERIALIZATION_FORMATS: Final = (
    SERIALIZATION_FORMAT_SKOPS,
    SERIALIZATION_FORMAT_PICKLE,
    SERIALIZATION_FORMAT_CLOUDPICKLE,
)
SKOPS_MODEL_FILE: Final = "model.skops"
PICKLE_MODEL_FILE: Final = "model.pkl"
# The loader module written in the python_function block: MLflow's name, for portability.
PYFUNC_LOADER_MODULE: Final = "mlflow.sklearn"
# Estimator methods a python_function block may name as its predict_fn.
PREDICT_FNS: Final = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "predict_joint_log_proba",
    "decision_function",
    "score",
)


def default_serialization_format() -> str:
    """``skops`` when it is installed (it loads without running arbitrary code), else
    ``cloudpickle``."""
    if importlib.util.find_spec("skops") is not None:
        return SERIALIZATION_FORMAT_SKOPS
    return SERIALIZATION_FORMAT_CLOUDPICKLE


def _estimators(sk_model: Any) -> list[Any]:
    """The estimator and the estimators nested in it (pipeline steps, meta-estimators)."""
    objects = [sk_model]
    get_params = getattr(sk_model, "get_params", None)
    if callable(get_params):
        # A broken custom get_params only costs a requirement pin or the array shortcut.
        with contextlib.suppress(Exception):
            objects += [v for v in get_params(deep=True).values() if hasattr(v, "get_params")]
    return objects


def _estimator_modules(sk_model: Any) -> list[str]:
    """The modules of the estimator and of the estimators nested in it, so a pipeline with an
    xgboost step pins xgboost too."""
    return [
        klass.__module__
        for obj in _estimators(sk_model)
        for klass in type(obj).__mro__
        if klass is not object
    ]


# scikit-learn's estimators that select or compute columns by name: given an array instead of
# the DataFrame, they fail or see other columns.
_BY_COLUMN_NAME: Final = frozenset({"ColumnTransformer", "FunctionTransformer"})


def _same_on_arrays(sk_model: Any) -> bool:
    """Whether an array of the fitted features predicts what their DataFrame predicts: every
    estimator in the model is scikit-learn's own and none reads columns by name. Estimators
    of other packages (xgboost, lightgbm, a user's class) may use the names, so they always
    get the DataFrame."""
    return all(
        type(obj).__module__.startswith("sklearn.") and type(obj).__name__ not in _BY_COLUMN_NAME
        for obj in _estimators(sk_model)
    )


def _dump(sk_model: Any, file_path: Path, fmt: str, trusted: list[str] | None) -> None:
    if fmt == SERIALIZATION_FORMAT_SKOPS:
        import skops.io  # type: ignore[import-untyped]

        skops.io.dump(sk_model, file_path)
        untrusted = set(skops.io.get_untrusted_types(file=file_path)) - set(trusted or ())
        if untrusted:
            file_path.unlink()
            raise InvalidParameterValue(
                "The model holds types skops does not trust: "
                f"{', '.join(sorted(untrusted))}. If you trust them, pass them as "
                "skops_trusted_types; otherwise save with serialization_format='cloudpickle'."
            )
        return
    with open(file_path, "wb") as handle:
        if fmt == SERIALIZATION_FORMAT_PICKLE:
            pickle.dump(sk_model, handle, protocol=pickle.DEFAULT_PROTOCOL)
        else:
            import cloudpickle  # type: ignore[import-untyped]

            # The default protocol, not the newest: older Pythons can read the file too.
            cloudpickle.dump(sk_model, handle, protocol=pickle.DEFAULT_PROTOCOL)


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    serialization_format: str | None = None,
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    pip_requirements: str | os.PathLike[str] | Iterable[str] | None = None,
    extra_pip_requirements: str | os.PathLike[str] | Iterable[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    code_paths: Iterable[str | os.PathLike[str]] | None = None,
    skops_trusted_types: Iterable[str] | None = None,
    pyfunc_predict_fn: str = "predict",
) -> ModelSpec:
    """Save a scikit-learn estimator to a new local directory in MLflow's layout.

    ``serialization_format`` is ``skops`` (the default when skops is installed), ``cloudpickle``
    (the default otherwise) or ``pickle``. With skops, every type the file holds beyond skops'
    defaults must be listed in ``skops_trusted_types``, which is recorded in ``MLmodel`` for the
    loader. Without a ``signature``, one is inferred from ``input_example`` and the estimator's
    prediction on it; ``signature=False`` saves none. Returns the written ``MLmodel``.
    """
    import sklearn  # type: ignore[import-untyped]

    fmt = serialization_format or default_serialization_format()
    if fmt not in SERIALIZATION_FORMATS:
        raise InvalidParameterValue(
            f"Unknown serialization_format {fmt!r}: expected one of "
            f"{', '.join(SERIALIZATION_FORMATS)}."
        )
    if pyfunc_predict_fn not in PREDICT_FNS:
        raise InvalidParameterValue(
            f"Unknown pyfunc_predict_fn {pyfunc_predict_fn!r}: expected one of "
            f"{', '.join(PREDICT_FNS)}."
        )
    trusted = None if skops_trusted_types is None else list(skops_trusted_types)
    root = pyfunc.prepare_model_dir(path)
    try:
        spec = ModelSpec(metadata=None if metadata is None else dict(metadata))
        if input_example is not None:
            examples.save_input_example(spec, root, input_example)
        code = pyfunc.copy_code_paths(root, code_paths)
        model_file = SKOPS_MODEL_FILE if fmt == SERIALIZATION_FORMAT_SKOPS else PICKLE_MODEL_FILE
        _dump(sk_model, root / model_file, fmt, trusted)
        if hasattr(sk_model, pyfunc_predict_fn):
            pyfunc.add_pyfunc_flavor(
                spec,
                PYFUNC_LOADER_MODULE,
                code=code,
                model_path=model_file,
                predict_fn=pyfunc_predict_fn,
            )
        spec.add_flavor(
            FLAVOR_NAME,
            pickled_model=model_file,
            sklearn_version=sklearn.__version__,
            serialization_format=fmt,
            code=code,
            skops_trusted_types=trusted,
        )
        if signature is None and input_example is not None:
            signature = examples.infer_signature_from_example(
                input_example, getattr(sk_model, pyfunc_predict_fn)
            )
        extra = {
            SERIALIZATION_FORMAT_SKOPS: ["skops"],
            SERIALIZATION_FORMAT_CLOUDPICKLE: ["cloudpickle"],
        }.get(fmt, [])
        return pyfunc.finish_model(
            spec,
            root,
            signature=signature if isinstance(signature, ModelSignature) else None,
            modules=["sklearn", *extra, *_estimator_modules(sk_model)],
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
        )
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _read_file(file_path: Path, fmt: str, trusted: list[str] | None) -> Any:
    """Deserialize one model file; pickle formats run code from the file (trusted models only)."""
    if fmt not in SERIALIZATION_FORMATS:
        raise InvalidParameterValue(
            f"Unknown serialization_format {fmt!r} in the sklearn flavor of {str(file_path)!r}."
        )
    if not file_path.is_file():
        raise NotFound(f"Could not find the sklearn model file {str(file_path)!r}.")
    if fmt == SERIALIZATION_FORMAT_SKOPS:
        import skops.io

        return skops.io.load(file_path, trusted=trusted)
    with open(file_path, "rb") as handle:
        if fmt == SERIALIZATION_FORMAT_PICKLE:
            return pickle.load(handle)
        import cloudpickle

        return cloudpickle.load(handle)


def load_model(path: str | os.PathLike[str]) -> Any:
    """The scikit-learn estimator of a local model directory (Runstone's or MLflow's).

    Reads skops, cloudpickle and pickle files; a flavor without ``serialization_format`` is
    pickle, as MLflow assumes. Only load models you trust.
    """
    root = Path(path)
    conf = ModelSpec.load(root).flavor(FLAVOR_NAME)
    model_file = conf.get("pickled_model")
    if not isinstance(model_file, str):
        raise InvalidParameterValue(
            f"Invalid MLmodel at {str(root)!r}: the sklearn flavor has no pickled_model."
        )
    pyfunc._add_code_path(root, conf.get("code"))
    fmt = conf.get("serialization_format") or SERIALIZATION_FORMAT_PICKLE
    return _read_file(root / model_file, fmt, conf.get("skops_trusted_types"))


# Below this many rows, scikit-learn's per-call inspection of a DataFrame (dtypes, feature
# names) costs more than the prediction itself: about 0.4 ms of a 0.55 ms one-row predict.
SMALL_FRAME_ROWS: Final = 1_000
# A model fitted on a DataFrame warns when given an array: the names were checked here instead.
_UNNAMED_WARNING: Final = "X does not have valid feature names"
_names_checked = threading.Lock()  # warnings.catch_warnings changes process-wide state


def _is_dataframe(data: Any) -> bool:
    kind = type(data)
    return kind.__name__ == "DataFrame" and kind.__module__.startswith("pandas")


class SklearnPyfunc:
    """The ``python_function`` face of an estimator: ``predict(data, params=None)``.

    ``params`` is accepted for the common interface; estimators take no per-call options.
    The other predict methods of :data:`PREDICT_FNS` are exposed for ``predict_fn``.

    A small DataFrame whose columns are exactly the features the estimator was fitted on (same
    names, same order; or, for an estimator fitted without names, the same number) and whose
    values are all numeric is handed over as the array scikit-learn would have made of it: the
    same numbers, without scikit-learn's per-call DataFrame inspection, which dominates the cost
    of scoring one row. Not to a model with an estimator that may read the columns' names
    (see :func:`_same_on_arrays`). Anything else is passed through as given. The scoring
    server's numeric lane skips the DataFrame altogether: see :meth:`matrix_predictor`.
    """

    def __init__(self, sk_model: Any) -> None:
        self.sk_model = sk_model
        names = getattr(sk_model, "feature_names_in_", None)
        self._names: list[str] | None = None if names is None else [str(n) for n in names]
        count = getattr(sk_model, "n_features_in_", None)
        self._n_features = count if isinstance(count, int) else None
        self._same_on_arrays = _same_on_arrays(sk_model)
        self._lane_columns: list[str] = []  # set by matrix_predictor

    def get_raw_model(self) -> Any:
        return self.sk_model

    def _fitted_on(self, columns: list[Any]) -> bool:
        """Whether an array of these columns can stand in for their DataFrame: the estimator
        reads no names (:func:`_same_on_arrays`) and was fitted on the same names in the same
        order or, fitted without names, on as many columns."""
        if not self._same_on_arrays:
            return False
        if self._names is not None:
            return columns == self._names
        return self._n_features is not None and len(columns) == self._n_features

    def _features(self, data: Any) -> tuple[Any, bool]:
        """``data`` as the estimator's input, and whether it is an array standing in for a
        DataFrame whose column names were checked against the estimator's."""
        if not _is_dataframe(data) or len(data) > SMALL_FRAME_ROWS:
            return data, False
        if not self._fitted_on(data.columns.tolist()):
            return data, False
        values = data.to_numpy()  # one dtype for all columns: object when any is not numeric
        if values.dtype.kind not in "fiub":
            return data, False
        return values, self._names is not None

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        features, names_checked = self._features(data)
        return self._predict_array(features) if names_checked else self.sk_model.predict(features)

    def _predict_array(self, values: Any) -> Any:
        """``predict`` of an array standing in for a DataFrame of the fitted feature names.

        scikit-learn warns that the array has no names; they were checked here, so that one
        warning is silenced. No cheaper way is correct: scikit-learn has no option to skip the
        check, and a filter installed once would be process-wide. ``catch_warnings`` changes
        process-wide state too, hence the lock; it costs about 8 µs of a 100 µs one-row call.
        """
        with _names_checked, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_UNNAMED_WARNING, category=UserWarning)
            return self.sk_model.predict(values)

    def matrix_predictor(self, predict_fn: str, columns: list[str]) -> Callable[..., Any] | None:
        """The scoring server's numeric lane: :meth:`predict_matrix`, when float64 arrays of
        ``columns`` (the model's all-double input schema, in order) can go to the estimator's
        ``predict`` as they are (remembered for large tables); None otherwise, and for another
        ``predict_fn``."""
        if predict_fn != "predict" or not self._fitted_on(columns):
            return None
        self._lane_columns = columns
        return self.predict_matrix

    def predict_matrix(self, values: Any, params: dict[str, Any] | None = None) -> Any:
        """``predict`` of a float64 array of the ``matrix_predictor`` columns: what
        :meth:`predict` would give for the DataFrame of it, without building that DataFrame
        (a large one goes to scikit-learn as the DataFrame, as :meth:`predict` sends it)."""
        if len(values) > SMALL_FRAME_ROWS:
            import pandas as pd  # optional heavy dependency

            return self.predict(pd.DataFrame(values, columns=self._lane_columns, copy=False))
        if self._names is None:
            return self.sk_model.predict(values)
        return self._predict_array(values)

    def __getattr__(self, name: str) -> Any:
        if name not in PREDICT_FNS or name.startswith("__"):
            raise AttributeError(name)
        method = getattr(self.sk_model, name)

        def call(data: Any, params: dict[str, Any] | None = None) -> Any:
            return method(data)  # estimators take no per-call params

        return call


def _load_pyfunc(path: str, model_config: Mapping[str, Any] | None = None) -> SklearnPyfunc:
    """The loader for ``loader_module: mlflow.sklearn``: ``path`` is the model directory, or
    (as MLflow allows) the model file itself, its ``MLmodel`` being in the same directory."""
    given = Path(path)
    root = given.parent if given.is_file() else given
    spec = ModelSpec.load(root)
    if spec.has_flavor(FLAVOR_NAME):
        conf = spec.flavor(FLAVOR_NAME)
        fmt = conf.get("serialization_format") or SERIALIZATION_FORMAT_PICKLE
        trusted = conf.get("skops_trusted_types")
    else:
        fmt, trusted = SERIALIZATION_FORMAT_PICKLE, None
    if given.is_file():
        model_file = given
    else:
        model_path = spec.flavor(pyfunc.FLAVOR_NAME).get("model_path")
        if not isinstance(model_path, str):
            raise InvalidParameterValue(
                f"Invalid MLmodel at {str(root)!r}: the python_function flavor has no model_path."
            )
        model_file = root / model_path
    return SklearnPyfunc(_read_file(model_file, fmt, trusted))
