"""The python_function flavor: custom PythonModels, loader modules, predict-time checks, and
model directories (their round trips with the official MLflow are in tests/compat)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from runstone.errors import AlreadyExists, InvalidParameterValue, NotFound, NotImplementedFeature
from runstone.models import ModelSpec, infer_signature
from runstone.models.pyfunc import PythonModel, PythonModelContext, load_model, save_model

pd = pytest.importorskip("pandas")


class AddArtifact(PythonModel):
    """Adds the number stored in the ``offset`` artifact, read once in load_context."""

    def load_context(self, context: PythonModelContext) -> None:
        self.offset = float(Path(context.artifacts["offset"]).read_text())
        # MLflow's context gives None when the model has no config, Runstone's an empty dict.
        self.scale = (context.model_config or {}).get("scale", 1)

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        return (model_input["x"] + self.offset) * self.scale


class NoContext(PythonModel):
    """MLflow 3's context-free form of predict, using params."""

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:  # type: ignore[override]
        factor = (params or {}).get("factor", 1)
        return model_input["x"] * factor


@pytest.fixture
def offset_file(tmp_path: Path) -> Path:
    path = tmp_path / "offset.txt"
    path.write_text("10")
    return path


def frame(**columns: list[Any]) -> Any:
    return pd.DataFrame(columns)


def test_custom_model_with_artifacts_and_config(tmp_path: Path, offset_file: Path) -> None:
    spec = save_model(
        tmp_path / "m",
        python_model=AddArtifact(),
        artifacts={"offset": str(offset_file)},
        model_config={"scale": 2},
        metadata={"team": "a"},
    )
    conf = spec.flavors["python_function"]
    assert conf["loader_module"] == "mlflow.pyfunc.model"
    assert conf["python_model"] == "python_model.pkl"
    assert conf["artifacts"] == {
        "offset": {"path": "artifacts/offset.txt", "uri": str(offset_file)}
    }
    assert conf["config"] == {"scale": 2}
    assert conf["env"] == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    assert conf["code"] is None
    assert conf["streamable"] is False
    for name in (
        "MLmodel",
        "python_model.pkl",
        "requirements.txt",
        "python_env.yaml",
        "conda.yaml",
    ):
        assert (tmp_path / "m" / name).is_file()
    assert any(
        r.startswith("cloudpickle==") for r in (tmp_path / "m/requirements.txt").read_text().split()
    )

    model = load_model(tmp_path / "m")
    assert model.metadata.metadata == {"team": "a"}
    assert list(model.predict(frame(x=[1.0, 2.0]))) == [22.0, 24.0]
    # A model_config given at load time overrides the saved one.
    assert list(load_model(tmp_path / "m", model_config={"scale": 3}).predict(frame(x=[0.0]))) == [
        30.0
    ]
    assert isinstance(model.unwrap_python_model(), AddArtifact)


def test_predict_without_context_gets_params(tmp_path: Path) -> None:
    save_model(
        tmp_path / "m", python_model=NoContext(), input_example=(frame(x=[1]), {"factor": 1})
    )
    model = load_model(tmp_path / "m")
    assert list(model.predict(frame(x=[1, 2]), params={"factor": 3})) == [3, 6]
    # Without a params schema, params are dropped (with a warning), as in MLflow.
    save_model(tmp_path / "n", python_model=NoContext())
    assert list(load_model(tmp_path / "n").predict(frame(x=[1]), params={"factor": 3})) == [1]


def test_signature_is_enforced_at_predict(tmp_path: Path) -> None:
    example = frame(x=[1.0, 2.0])
    save_model(tmp_path / "m", python_model=NoContext(), signature=infer_signature(example))
    model = load_model(tmp_path / "m")
    # Integers are widened to the double the signature says.
    assert list(model.predict(frame(x=[1, 2]))) == [1.0, 2.0]
    with pytest.raises(InvalidParameterValue, match="'x'"):
        model.predict(frame(y=[1.0]))
    with pytest.raises(InvalidParameterValue, match="'x'"):
        model.predict(frame(x=["a"]))


def test_params_schema_from_example_gives_defaults_and_checks(tmp_path: Path) -> None:
    spec = save_model(
        tmp_path / "m", python_model=NoContext(), input_example=(frame(x=[1.0]), {"factor": 2})
    )
    assert spec.saved_input_example_info is not None
    assert spec.saved_input_example_info["params"] == "true"
    stored = json.loads((tmp_path / "m/input_example.json").read_text())
    assert stored == {"inputs": {"columns": ["x"], "data": [[1.0]]}, "params": {"factor": 2}}
    model = load_model(tmp_path / "m")
    assert model.signature is not None
    assert model.signature.params is not None
    assert list(model.predict(frame(x=[1.0]))) == [2.0]  # the default
    assert list(model.predict(frame(x=[1.0]), params={"factor": 5})) == [5.0]
    with pytest.raises(InvalidParameterValue, match="factor"):
        model.predict(frame(x=[1.0]), params={"factor": "lots"})


def test_signature_false_saves_none(tmp_path: Path) -> None:
    spec = save_model(
        tmp_path / "m", python_model=NoContext(), input_example=frame(x=[1.0]), signature=False
    )
    assert spec.signature is None
    assert spec.saved_input_example_info is not None


def test_loader_module_form_with_data_and_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))  # loading prepends the code directory
    module = "runstone_test_loader_one"
    code = tmp_path / f"{module}.py"
    code.write_text(
        textwrap.dedent(
            """
            from pathlib import Path

            class _Model:
                def __init__(self, text):
                    self.text = text

                def predict(self, data, params=None):
                    return [self.text + str(v) for v in data]

            def _load_pyfunc(path):
                return _Model(Path(path).read_text())
            """
        )
    )
    data = tmp_path / "prefix.txt"
    data.write_text("p-")
    spec = save_model(
        tmp_path / "m", loader_module=module, data_path=data, code_paths=[code], model_config=None
    )
    conf = spec.flavors["python_function"]
    assert conf["loader_module"] == module
    assert conf["data"] == "data/prefix.txt"
    assert conf["code"] == "code"
    assert (tmp_path / "m/code" / code.name).is_file()
    try:
        assert load_model(tmp_path / "m").predict([1, 2]) == ["p-1", "p-2"]
    finally:
        sys.modules.pop(module, None)


def test_unimportable_loader_module_names_it(tmp_path: Path) -> None:
    save_model(tmp_path / "m", loader_module="no_such_flavor_module.loader")
    with pytest.raises(NotImplementedFeature, match="no_such_flavor_module") as info:
        load_model(tmp_path / "m")
    assert "pip install no_such_flavor_module" in str(info.value)
    assert "flavors are python_function" in str(info.value)


def test_model_without_pyfunc_flavor_is_not_found(tmp_path: Path) -> None:
    ModelSpec(flavors={"keras": {"keras_version": "3"}}).save(tmp_path)
    with pytest.raises(NotFound, match="keras"):
        load_model(tmp_path)


def test_save_refuses_bad_arguments_and_existing_directories(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match="exactly one"):
        save_model(tmp_path / "a")
    with pytest.raises(InvalidParameterValue, match="exactly one"):
        save_model(tmp_path / "a", python_model=NoContext(), loader_module="x")
    with pytest.raises(InvalidParameterValue, match="local files only"):
        save_model(tmp_path / "a", python_model=NoContext(), artifacts={"a": "s3://b/k"})
    assert not (tmp_path / "a").exists()  # a failed save leaves nothing behind
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken/file").write_text("x")
    with pytest.raises(AlreadyExists):
        save_model(tmp_path / "taken", python_model=NoContext())


def test_input_example_files(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    spec = save_model(tmp_path / "a", python_model=NoContext(), input_example=np.array([[1, 2]]))
    assert spec.saved_input_example_info == {
        "artifact_path": "input_example.json",
        "serving_input_path": "serving_input_example.json",
        "type": "ndarray",
    }
    assert json.loads((tmp_path / "a/input_example.json").read_text()) == [[1, 2]]
    assert json.loads((tmp_path / "a/serving_input_example.json").read_text()) == {
        "inputs": [[1, 2]]
    }
    save_model(
        tmp_path / "b", python_model=NoContext(), input_example=frame(x=[1.5]), signature=False
    )
    assert json.loads((tmp_path / "b/serving_input_example.json").read_text()) == {
        "dataframe_split": {"columns": ["x"], "data": [[1.5]]}
    }


def test_import_stays_light() -> None:
    code = (
        "import sys, runstone.models.pyfunc, runstone.models.flavors.sklearn; "
        "print(','.join(m for m in ('sklearn', 'pandas', 'cloudpickle', 'skops') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
