"""scikit-learn model directories shared with the official MLflow in both directions: saved by
one, loaded and predicting identically in the other, with the same MLmodel."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from runstone.models import pyfunc
from runstone.models.flavors import sklearn as flavor
from tests.unit.test_sklearn_flavor import _mlmodel, data, model

pytest.importorskip("sklearn")
__all__ = ["data", "model"]  # fixtures shared with the flavor's unit tests


@pytest.fixture
def mlflow_sklearn() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pytest.importorskip("mlflow")
        import mlflow.pyfunc
        import mlflow.sklearn

    return mlflow


def _quiet(call: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


@pytest.mark.parametrize("fmt", ["skops", "cloudpickle", "pickle"])
def test_mlflow_saved_model_loads_in_runstone(
    tmp_path: Path, model: Any, data: tuple[Any, list[int]], mlflow_sklearn: Any, fmt: str
) -> None:
    X, _ = data
    _quiet(
        mlflow_sklearn.sklearn.save_model,
        model,
        str(tmp_path / "m"),
        serialization_format=fmt,
        input_example=X,
    )
    assert list(flavor.load_model(tmp_path / "m").predict(X)) == list(model.predict(X))
    assert list(pyfunc.load_model(tmp_path / "m").predict(X)) == list(model.predict(X))


@pytest.mark.parametrize("fmt", ["skops", "cloudpickle"])
def test_runstone_saved_model_loads_in_mlflow(
    tmp_path: Path, model: Any, data: tuple[Any, list[int]], mlflow_sklearn: Any, fmt: str
) -> None:
    X, _ = data
    flavor.save_model(model, tmp_path / "m", serialization_format=fmt, input_example=X)
    native = _quiet(mlflow_sklearn.sklearn.load_model, str(tmp_path / "m"))
    assert list(native.predict(X)) == list(model.predict(X))
    generic = _quiet(mlflow_sklearn.pyfunc.load_model, str(tmp_path / "m"))
    assert list(_quiet(generic.predict, X)) == list(model.predict(X))


@pytest.mark.parametrize("fmt", ["skops", "cloudpickle"])
def test_mlmodel_matches_mlflow(
    tmp_path: Path, model: Any, data: tuple[Any, list[int]], mlflow_sklearn: Any, fmt: str
) -> None:
    X, _ = data
    kwargs = {"serialization_format": fmt, "input_example": X, "metadata": {"k": "v"}}
    _quiet(mlflow_sklearn.sklearn.save_model, model, str(tmp_path / "theirs"), **kwargs)
    flavor.save_model(model, tmp_path / "ours", **kwargs)
    theirs, ours = _mlmodel(tmp_path / "theirs"), _mlmodel(tmp_path / "ours")
    # Runstone is not an MLflow version, so it leaves mlflow_version out (ModelSpec's rule).
    assert set(theirs) - {"mlflow_version"} == set(ours)
    for key in ("flavors", "signature", "saved_input_example_info", "metadata", "model_id"):
        assert ours[key] == theirs[key], key
    assert (tmp_path / "ours/input_example.json").read_text() == (
        tmp_path / "theirs/input_example.json"
    ).read_text()
