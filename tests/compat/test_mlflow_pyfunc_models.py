"""Custom python_function models shared with the official MLflow in both directions: saved by
one, loaded and predicting identically in the other, with the same MLmodel."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from runstone.models import ModelSpec
from runstone.models.pyfunc import load_model, save_model
from tests.unit.test_pyfunc import AddArtifact, NoContext, frame

pytest.importorskip("pandas")


@pytest.fixture
def offset_file(tmp_path: Path) -> Path:
    path = tmp_path / "offset.txt"
    path.write_text("10")
    return path


@pytest.fixture
def mlflow_pyfunc() -> Any:
    with warnings.catch_warnings():  # mlflow warns about its own internals at import
        warnings.simplefilter("ignore")
        pytest.importorskip("mlflow")
        import mlflow.pyfunc

    return mlflow.pyfunc


def _quiet(call: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


@pytest.mark.filterwarnings("ignore::UserWarning")  # mlflow's advice on type hints
def test_runstone_model_loads_in_mlflow(
    tmp_path: Path, offset_file: Path, mlflow_pyfunc: Any
) -> None:
    save_model(
        tmp_path / "m",
        python_model=AddArtifact(),
        artifacts={"offset": str(offset_file)},
        input_example=frame(x=[1.0]),
    )
    theirs = _quiet(mlflow_pyfunc.load_model, str(tmp_path / "m"))
    assert list(_quiet(theirs.predict, frame(x=[1.0, 2.0]))) == [11.0, 12.0]
    save_model(
        tmp_path / "n", python_model=NoContext(), input_example=(frame(x=[1]), {"factor": 1})
    )
    theirs = _quiet(mlflow_pyfunc.load_model, str(tmp_path / "n"))
    assert list(_quiet(theirs.predict, frame(x=[2]), params={"factor": 2})) == [4]


def _mlflow_model_class(mlflow_pyfunc: Any) -> type:
    return _quiet(_define_mlflow_model_class, mlflow_pyfunc)  # its type-hint checks warn


def _define_mlflow_model_class(mlflow_pyfunc: Any) -> type:
    class MlflowAdd(mlflow_pyfunc.PythonModel):  # type: ignore[misc,name-defined]
        def load_context(self, context: Any) -> None:
            self.offset = float(Path(context.artifacts["offset"]).read_text())

        # No type hints: MLflow would validate inputs against them.
        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
            return model_input["x"] + self.offset

    return MlflowAdd


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_mlflow_model_loads_in_runstone(
    tmp_path: Path, offset_file: Path, mlflow_pyfunc: Any
) -> None:
    model_class = _mlflow_model_class(mlflow_pyfunc)
    _quiet(
        mlflow_pyfunc.save_model,
        str(tmp_path / "m"),
        python_model=model_class(),
        artifacts={"offset": str(offset_file)},
        input_example=frame(x=[1.0]),
    )
    ours = load_model(tmp_path / "m")
    assert ours.signature is not None
    assert list(ours.predict(frame(x=[1.0, 2.0]))) == [11.0, 12.0]


def _mlmodel(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((path / "MLmodel").read_text())
    return doc


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_mlmodel_matches_mlflow(tmp_path: Path, offset_file: Path, mlflow_pyfunc: Any) -> None:
    example = frame(x=[1.0, 2.0])
    kwargs: dict[str, Any] = {
        "artifacts": {"offset": str(offset_file)},
        "input_example": example,
        "model_config": {"scale": 1},
        "metadata": {"k": "v"},
    }
    _quiet(
        mlflow_pyfunc.save_model,
        str(tmp_path / "theirs"),
        python_model=_mlflow_model_class(mlflow_pyfunc)(),
        **kwargs,
    )
    save_model(tmp_path / "ours", python_model=AddArtifact(), **kwargs)
    theirs, ours = _mlmodel(tmp_path / "theirs"), _mlmodel(tmp_path / "ours")
    # Runstone is not an MLflow version, so it leaves mlflow_version out (ModelSpec's rule).
    assert set(theirs) - {"mlflow_version"} == set(ours)
    for key in ("flavors", "signature", "saved_input_example_info", "metadata", "prompts"):
        assert ours[key] == theirs[key], key
    for name in ("input_example.json", "serving_input_example.json"):
        assert json.loads((tmp_path / "ours" / name).read_text()) == json.loads(
            (tmp_path / "theirs" / name).read_text()
        )
    assert ModelSpec.load(tmp_path / "ours").to_dict() == ours
