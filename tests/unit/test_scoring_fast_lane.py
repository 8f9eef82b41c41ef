"""The scoring server's numeric lane: a one-table JSON request of plain numbers for a
scikit-learn model with an all-double schema is scored as a float64 array, without pandas.

Every answer must be byte for byte the one the general path (DataFrame, schema enforcement,
``PyFuncModel.predict``) gives, which these tests get by building the app's parser without
matrices; everything that does not fit the lane must take the general path."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from runstone.models.pyfunc import PyFuncModel, PythonModel, load_model
from runstone.models.pyfunc import save_model as save_pyfunc_model
from runstone.models.signature import ColSpec, DataType, ModelSignature, Schema, infer_signature
from runstone.serving.app import ScoringApp
from runstone.serving.payload import DoubleMatrix, PayloadParser

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")

from sklearn.datasets import load_diabetes, load_iris  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from runstone.models.flavors import sklearn as flavor  # noqa: E402

JSON = "application/json"
IRIS_X, IRIS_Y = load_iris(return_X_y=True, as_frame=True)
DIABETES_X, DIABETES_Y = load_diabetes(return_X_y=True, as_frame=True)
IRIS = [str(c) for c in IRIS_X.columns]


def _fit(kind: str) -> tuple[Any, Any]:
    """An estimator and the DataFrame its signature is inferred from."""
    if kind == "frame":
        return LogisticRegression(max_iter=1000).fit(IRIS_X, IRIS_Y), IRIS_X
    if kind == "array":
        return LogisticRegression(max_iter=1000).fit(IRIS_X.to_numpy(), IRIS_Y), IRIS_X
    if kind == "pipeline":
        pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        return pipeline.fit(IRIS_X, IRIS_Y), IRIS_X
    return LinearRegression().fit(DIABETES_X, DIABETES_Y), DIABETES_X  # float predictions


def _save(folder: Path, estimator: Any, frame: Any, **kwargs: Any) -> PyFuncModel:
    named = hasattr(estimator, "feature_names_in_")
    output = estimator.predict(frame if named else frame.to_numpy())
    signature = kwargs.pop("signature", None) or infer_signature(frame, output)
    flavor.save_model(estimator, folder, signature=signature, **kwargs)
    return load_model(folder)


MODEL_KINDS = ("frame", "array", "pipeline", "regressor")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[PyFuncModel, Any]]:
    root = tmp_path_factory.mktemp("lane")
    out = {}
    for kind in MODEL_KINDS:
        estimator, frame = _fit(kind)
        out[kind] = (_save(root / kind, estimator, frame), frame)
    return out


def apps(model: PyFuncModel) -> tuple[ScoringApp, ScoringApp]:
    """The app as served (lane on when the model takes matrices) and one forced onto the
    general path: the same model, a parser that never gives matrices."""
    lane = ScoringApp(model)
    general = ScoringApp(model)
    general.parser = PayloadParser(model.signature.inputs if model.signature else None)
    return lane, general


def split_body(columns: list[Any], rows: list[list[Any]], **extra: Any) -> bytes:
    return orjson.dumps({"dataframe_split": {"columns": columns, "data": rows, **extra}})


def rows_of(frame: Any, count: int, with_ints: bool = False) -> list[list[Any]]:
    values = frame.to_numpy()
    rows = [values[i % len(values)].tolist() for i in range(count)]
    if with_ints:  # whole numbers as JSON ints, e.g. 5 for 5.0, in every other cell
        rows = [[round(v) if j % 2 else v for j, v in enumerate(row)] for row in rows]
    return rows


def same_answer(lane: ScoringApp, general: ScoringApp, body: bytes) -> tuple[int, bytes, bytes]:
    answer = lane.invoke(body, JSON)
    assert answer == general.invoke(body, JSON)
    return answer


# ------------------------------------------------------------------------ the lane is taken


# A large table goes to scikit-learn as a DataFrame on both paths, and an estimator fitted on
# an array warns about its names (as it does when served today).
@pytest.mark.filterwarnings("ignore:X has feature names:UserWarning")
@pytest.mark.parametrize("kind", MODEL_KINDS)
@pytest.mark.parametrize("count", [1, 2, 50, flavor.SMALL_FRAME_ROWS + 1])
@pytest.mark.parametrize("with_ints", [False, True])
def test_lane_answers_byte_for_byte_as_the_general_path(
    models: dict[str, tuple[PyFuncModel, Any]], kind: str, count: int, with_ints: bool
) -> None:
    model, frame = models[kind]
    assert model.takes_matrices
    lane, general = apps(model)
    columns = [str(c) for c in frame.columns]
    body = split_body(columns, rows_of(frame, count, with_ints))
    assert isinstance(lane.parser.parse(body, JSON).data, DoubleMatrix)
    assert not isinstance(general.parser.parse(body, JSON).data, DoubleMatrix)
    status, _, answer = same_answer(lane, general, body)
    assert status == 200
    assert len(orjson.loads(answer)["predictions"]) == count


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_lane_builds_no_dataframe_and_silences_only_the_names_warning(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    estimator, frame = _fit(kind)
    body = split_body([str(c) for c in frame.columns], rows_of(frame, 3))
    built: list[int] = []
    original = pd.DataFrame.__init__

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(1)
        original(self, *args, **kwargs)

    calls: list[int] = []
    predict_matrix = flavor.SklearnPyfunc.predict_matrix

    def spy(self: Any, values: Any, params: Any = None) -> Any:
        calls.append(len(values))
        return predict_matrix(self, values, params)

    monkeypatch.setattr(pd.DataFrame, "__init__", counting_init)
    monkeypatch.setattr(flavor.SklearnPyfunc, "predict_matrix", spy)
    lane = ScoringApp(_save(tmp_path / "m", estimator, frame))
    built.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status, _, _ = lane.invoke(body, JSON)
    assert status == 200
    assert calls == [3]
    assert built == []
    assert [str(w.message) for w in caught] == []


def test_params_are_enforced_on_the_lane_as_on_the_general_path(tmp_path: Path) -> None:
    estimator, frame = _fit("frame")
    signature = infer_signature(frame, estimator.predict(frame), params={"threshold": 0.5})
    model = _save(tmp_path / "m", estimator, frame, signature=signature)
    assert model.takes_matrices
    lane, general = apps(model)
    rows = rows_of(frame, 2)
    for params in ({"threshold": 0.7}, {"threshold": "high"}, {"other": 1}, None):
        extra = {} if params is None else {"params": params}
        body = orjson.dumps({"dataframe_split": {"columns": IRIS, "data": rows}, **extra})
        assert isinstance(lane.parser.parse(body, JSON).data, DoubleMatrix)
        status, _, _ = same_answer(lane, general, body)
        assert status == (400 if params == {"threshold": "high"} else 200)


# -------------------------------------------------------------- requests that are not taken


ROW = [5.1, 3.5, 1.4, 0.2]


@pytest.mark.parametrize(
    "body",
    [
        split_body(IRIS, [[5.1, True, 1.4, 0.2]]),  # bool is an int to Python, not to the lane
        split_body(IRIS, [[5.1, None, 1.4, 0.2]]),
        split_body(IRIS, [[5.1, "3.5", 1.4, 0.2]]),
        split_body(IRIS, [[5.1, [3.5], 1.4, 0.2]]),
        split_body(IRIS, [[5.1, 3.5, 1.4]]),
        split_body(IRIS, [ROW, 5.0]),
        split_body(list(reversed(IRIS)), [ROW]),
        split_body([*IRIS, "extra"], [[*ROW, 1.0]]),
        split_body(IRIS[:3], [ROW[:3]]),
        split_body(IRIS, [ROW], index=[7]),
        split_body(IRIS, []),
        orjson.dumps({"dataframe_records": [dict(zip(IRIS, ROW, strict=True))]}),
        orjson.dumps({"inputs": [ROW]}),
        orjson.dumps({"instances": [ROW]}),
    ],
)
def test_other_requests_take_the_general_path(
    models: dict[str, tuple[PyFuncModel, Any]], body: bytes
) -> None:
    lane, general = apps(models["frame"][0])
    try:
        data = lane.parser.parse(body, JSON).data
    except Exception:  # a bad request: the same 400 below
        data = None
    assert not isinstance(data, DoubleMatrix)
    same_answer(lane, general, body)


class Doubler(PythonModel):
    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return model_input.sum(axis=1) * 2


def test_models_that_do_not_fit_the_lane_never_get_matrices(tmp_path: Path) -> None:
    estimator, frame = _fit("frame")
    optional = Schema([ColSpec(DataType.DOUBLE, name, required=name != IRIS[-1]) for name in IRIS])
    not_double = Schema(
        [ColSpec(DataType.FLOAT if n == IRIS[0] else DataType.DOUBLE, n) for n in IRIS]
    )
    renamed = Schema([ColSpec(DataType.DOUBLE, f"x{i}") for i in range(4)])
    cases: dict[str, Callable[[Path], PyFuncModel]] = {
        "optional column": lambda p: _save(p, estimator, frame, signature=ModelSignature(optional)),
        "float column": lambda p: _save(p, estimator, frame, signature=ModelSignature(not_double)),
        "other names": lambda p: _save(p, estimator, frame, signature=ModelSignature(renamed)),
        "predict_proba": lambda p: _save(p, estimator, frame, pyfunc_predict_fn="predict_proba"),
        "custom model": lambda p: (
            save_pyfunc_model(p, python_model=Doubler(), signature=infer_signature(frame)),
            load_model(p),
        )[1],
    }
    for name, make in cases.items():
        model = make(tmp_path / name.replace(" ", "_"))
        assert not model.takes_matrices, name
        lane, general = apps(model)
        columns = model.signature.inputs.input_names() if model.signature else IRIS
        body = split_body(columns, rows_of(frame, 3, with_ints=True))
        assert not isinstance(lane.parser.parse(body, JSON).data, DoubleMatrix), name
        same_answer(lane, general, body)


def test_predict_matrix_of_a_model_off_the_lane_is_its_dataframe_predict(tmp_path: Path) -> None:
    save_pyfunc_model(tmp_path / "m", python_model=Doubler(), signature=infer_signature(IRIS_X))
    model = load_model(tmp_path / "m")
    values = IRIS_X.to_numpy()[:5]
    expected = model.predict(pd.DataFrame(values, columns=IRIS))
    assert model.predict_matrix(values).tolist() == expected.tolist()


@pytest.mark.parametrize("count", [1, 50])
def test_a_model_that_selects_columns_by_name_is_always_given_its_dataframe(
    tmp_path: Path, count: int
) -> None:
    """A ColumnTransformer picking columns by name fails on an array: neither the lane nor
    the small-table array shortcut may hand it one."""
    from sklearn.compose import ColumnTransformer

    picked = ColumnTransformer([("scaled", StandardScaler(), IRIS[:2])], remainder="drop")
    estimator = make_pipeline(picked, LogisticRegression(max_iter=1000)).fit(IRIS_X, IRIS_Y)
    model = _save(tmp_path / "m", estimator, IRIS_X)
    assert not model.takes_matrices
    status, _, body = ScoringApp(model).invoke(split_body(IRIS, rows_of(IRIS_X, count)), JSON)
    assert status == 200, body
    expected = estimator.predict(IRIS_X.iloc[[i % len(IRIS_X) for i in range(count)]])
    assert orjson.loads(body)["predictions"] == expected.tolist()
