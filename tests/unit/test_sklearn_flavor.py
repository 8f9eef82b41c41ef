"""The sklearn flavor: skops, cloudpickle and pickle files, the python_function face, and
model directories (their round trips with the official MLflow are in tests/compat)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from runstone.errors import InvalidParameterValue
from runstone.models import pyfunc
from runstone.models.flavors import sklearn as flavor

pytest.importorskip("sklearn")
pd = pytest.importorskip("pandas")

from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


class ConstantClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A custom estimator: skops does not trust its type by default."""

    def fit(self, X: Any, y: Any) -> ConstantClassifier:
        self.classes_ = sorted(set(y))
        return self

    def predict(self, X: Any) -> list[Any]:
        return [self.classes_[0]] * len(X)


@pytest.fixture
def data() -> tuple[Any, list[int]]:
    X = pd.DataFrame({"a": [0.0, 1.0, 1.0, 0.0], "b": [1.0, 0.0, 1.0, 0.0]})
    return X, [0, 1, 1, 0]


@pytest.fixture
def model(data: tuple[Any, list[int]]) -> Any:
    X, y = data
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)


def _mlmodel(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((path / "MLmodel").read_text())
    return doc


@pytest.mark.parametrize(
    ("fmt", "file_name"),
    [("skops", "model.skops"), ("cloudpickle", "model.pkl"), ("pickle", "model.pkl")],
)
def test_round_trip(
    tmp_path: Path, model: Any, data: tuple[Any, list[int]], fmt: str, file_name: str
) -> None:
    X, _ = data
    spec = flavor.save_model(model, tmp_path / "m", serialization_format=fmt)
    assert (tmp_path / "m" / file_name).is_file()
    conf = spec.flavors["sklearn"]
    assert conf["pickled_model"] == file_name
    assert conf["serialization_format"] == fmt
    assert conf["code"] is None
    assert conf["skops_trusted_types"] is None
    import sklearn

    assert conf["sklearn_version"] == sklearn.__version__
    assert spec.flavors["python_function"]["loader_module"] == "mlflow.sklearn"
    assert spec.flavors["python_function"]["model_path"] == file_name
    requirements = (tmp_path / "m/requirements.txt").read_text().split("\n")
    assert any(r.startswith("scikit-learn==") for r in requirements)
    if fmt != "pickle":
        assert any(r.startswith(f"{fmt}==") for r in requirements)

    loaded = flavor.load_model(tmp_path / "m")
    assert list(loaded.predict(X)) == list(model.predict(X))
    generic = pyfunc.load_model(tmp_path / "m")
    assert list(generic.predict(X)) == list(model.predict(X))


def test_default_format_is_skops_when_installed(tmp_path: Path, model: Any) -> None:
    pytest.importorskip("skops")
    assert flavor.save_model(model, tmp_path / "m").flavors["sklearn"]["serialization_format"] == (
        "skops"
    )


def test_predict_fn_and_example_signature(
    tmp_path: Path, model: Any, data: tuple[Any, list[int]]
) -> None:
    X, _ = data
    spec = flavor.save_model(
        model, tmp_path / "m", input_example=X, pyfunc_predict_fn="predict_proba"
    )
    assert spec.signature is not None
    assert spec.flavors["python_function"]["predict_fn"] == "predict_proba"
    probabilities = pyfunc.load_model(tmp_path / "m").predict(X)
    assert probabilities.shape == (4, 2)
    with pytest.raises(InvalidParameterValue, match="'a'"):
        pyfunc.load_model(tmp_path / "m").predict(pd.DataFrame({"b": [1.0]}))


def test_skops_untrusted_types_need_consent(tmp_path: Path, data: tuple[Any, list[int]]) -> None:
    pytest.importorskip("skops")
    X, y = data
    custom = ConstantClassifier().fit(X, y)
    with pytest.raises(InvalidParameterValue, match="ConstantClassifier"):
        flavor.save_model(custom, tmp_path / "m", serialization_format="skops")
    assert not (tmp_path / "m").exists()
    trusted = [f"{__name__}.ConstantClassifier"]
    spec = flavor.save_model(
        custom, tmp_path / "m", serialization_format="skops", skops_trusted_types=trusted
    )
    assert spec.flavors["sklearn"]["skops_trusted_types"] == trusted
    assert flavor.load_model(tmp_path / "m").predict(X) == [0, 0, 0, 0]


def test_bad_arguments(tmp_path: Path, model: Any) -> None:
    with pytest.raises(InvalidParameterValue, match="serialization_format"):
        flavor.save_model(model, tmp_path / "a", serialization_format="joblib")
    with pytest.raises(InvalidParameterValue, match="pyfunc_predict_fn"):
        flavor.save_model(model, tmp_path / "b", pyfunc_predict_fn="transform")


# ------------------------------------------------------- small DataFrames skip sklearn's checks


def test_small_frames_with_the_fitted_columns_predict_as_sklearn_does(
    data: tuple[Any, list[int]], model: Any
) -> None:
    X, _ = data
    face = flavor.SklearnPyfunc(model)
    features, checked = face._features(X)
    assert checked
    assert features.tolist() == X.to_numpy().tolist()
    assert list(face.predict(X)) == list(model.predict(X))  # and no feature-name warning


def test_frames_that_differ_from_the_fit_go_to_sklearn_unchanged(
    data: tuple[Any, list[int]], model: Any
) -> None:
    X, _ = data
    face = flavor.SklearnPyfunc(model)
    for other in (
        X[["b", "a"]],  # another order: sklearn's own error must still say so
        X.assign(a=["x", "y", "z", "w"]),  # not numeric
        X.rename(columns={"a": "A"}),
        pd.concat([X] * (flavor.SMALL_FRAME_ROWS // 4 + 1), ignore_index=True),  # large
    ):
        features, checked = face._features(other)
        assert features is other
        assert not checked
    with pytest.raises(ValueError, match="feature names"):
        face.predict(X[["b", "a"]])


def test_estimators_fitted_on_arrays_take_frames_by_position(
    data: tuple[Any, list[int]],
) -> None:
    X, y = data
    unnamed = LogisticRegression().fit(X.to_numpy(), y)
    face = flavor.SklearnPyfunc(unnamed)
    # sklearn itself would warn that X has feature names; by position the numbers are the same
    assert list(face.predict(X)) == list(unnamed.predict(X.to_numpy()))
    one_column = X[["a"]]
    assert face._features(one_column) == (one_column, False)  # not the fitted width
