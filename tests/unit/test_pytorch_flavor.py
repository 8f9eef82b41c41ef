"""The pytorch flavor: whole modules and state dicts, the python_function face, and loading
weights saved on a GPU on a CPU-only machine. (MLflow in both directions: tests/compat.)"""

from __future__ import annotations

import importlib.metadata
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from runstone.errors import AlreadyExists, InvalidParameterValue, NotFound
from runstone.models import pyfunc
from runstone.models.spec import ModelSpec

torch = pytest.importorskip("torch", reason="torch is the pytorch extra (pinned in dev)")
np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

from runstone.models.flavors import pytorch as flavor  # noqa: E402
from tests.unit.torch_models import DropoutNet, TinyRegressor, TupleOutput  # noqa: E402

FEATURES = [[1.0, 0.0], [2.0, 1.0], [-1.0, 0.5]]
EXPECTED = [[0.75], [-0.75], [-1.25]]  # 0.5 * a - 2 * b + 0.25


@pytest.fixture
def frame() -> Any:
    return pd.DataFrame(FEATURES, columns=["a", "b"], index=[10, 11, 12])


def _mlmodel(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((path / "MLmodel").read_text())
    return doc


def test_round_trip_whole_model(tmp_path: Path) -> None:
    model = TinyRegressor()
    spec = flavor.save_model(model, tmp_path / "m")
    assert (tmp_path / "m/data/model.pth").is_file()
    assert (tmp_path / "m/data/pickle_module_info.txt").read_text() == "pickle"
    assert spec.flavors["pytorch"] == {
        "model_data": "data",
        "pytorch_version": torch.__version__,
        "code": None,
    }
    block = spec.flavors["python_function"]
    assert block["loader_module"] == "mlflow.pytorch"
    assert block["data"] == "data"
    assert block["pickle_module_name"] == "pickle"
    assert block["config"] == {"device": None}
    assert _mlmodel(tmp_path / "m")["flavors"] == spec.flavors

    loaded = flavor.load_model(tmp_path / "m")
    assert isinstance(loaded, TinyRegressor)
    assert not loaded.training
    with torch.no_grad():
        assert loaded(torch.tensor(FEATURES)).tolist() == EXPECTED


def test_loaded_model_is_in_eval_mode(tmp_path: Path) -> None:
    flavor.save_model(DropoutNet(), tmp_path / "m")
    ones = np.ones((4, 8), dtype=np.float32)
    # Dropout in training mode would zero about half of these and double the rest.
    assert (pyfunc.load_model(tmp_path / "m").predict(ones) == ones).all()


def test_pyfunc_predict_dataframe_and_ndarray(tmp_path: Path, frame: Any) -> None:
    flavor.save_model(TinyRegressor(), tmp_path / "m")
    model = pyfunc.load_model(tmp_path / "m")
    # A DataFrame of doubles runs as float32 and comes back as a DataFrame with the same index.
    predicted = model.predict(frame)
    assert isinstance(predicted, pd.DataFrame)
    assert list(predicted.index) == [10, 11, 12]
    assert predicted[0].tolist() == [row[0] for row in EXPECTED]
    array = model.predict(np.array(FEATURES, dtype=np.float32))
    assert isinstance(array, np.ndarray)
    assert array.tolist() == EXPECTED
    # Read-only arrays (pandas copy-on-write, np.broadcast_to) are copied, not shared.
    frozen = np.array(FEATURES, dtype=np.float32)
    frozen.flags.writeable = False
    assert model.predict(frozen).tolist() == EXPECTED


def test_pyfunc_params_and_device(tmp_path: Path) -> None:
    flavor.save_model(TinyRegressor(), tmp_path / "m")
    wrapper = flavor._load_pyfunc(str(tmp_path / "m/data"), {"device": None})
    assert wrapper.device == "cpu"
    features = np.array(FEATURES, dtype=np.float32)
    # Other params go to forward() as keyword arguments, as in MLflow.
    assert wrapper.predict(features, {"scale": 2.0}).tolist() == [[2 * v[0]] for v in EXPECTED]
    assert wrapper.predict(features, {"device": "cpu"}).tolist() == EXPECTED
    with pytest.raises(InvalidParameterValue, match="model_config"):
        wrapper.predict(features, {"device": "meta"})
    # The model directory itself (not only its data directory) is accepted too.
    from_root = flavor._load_pyfunc(str(tmp_path / "m"), {"device": "cpu"})
    assert from_root.predict(features).tolist() == EXPECTED
    assert isinstance(from_root.get_raw_model(), TinyRegressor)


def test_pyfunc_rejects_what_it_cannot_run(tmp_path: Path) -> None:
    flavor.save_model(TinyRegressor(), tmp_path / "m")
    model = pyfunc.load_model(tmp_path / "m")
    with pytest.raises(InvalidParameterValue, match="DataFrame or a numpy ndarray"):
        model.predict([[1.0, 2.0]])
    with pytest.raises(InvalidParameterValue, match="numeric"):
        model.predict(pd.DataFrame({"a": ["x"], "b": ["y"]}))
    flavor.save_model(TupleOutput(), tmp_path / "t")
    with pytest.raises(InvalidParameterValue, match="one tensor"):
        pyfunc.load_model(tmp_path / "t").predict(np.ones((1, 2), dtype=np.float32))


def test_signature_inferred_from_example(tmp_path: Path, frame: Any) -> None:
    spec = flavor.save_model(TinyRegressor(), tmp_path / "df", input_example=frame)
    assert spec.signature is not None
    assert [c["name"] for c in yaml.safe_load(spec.signature["inputs"])] == ["a", "b"]
    assert yaml.safe_load(spec.signature["outputs"])[0]["type"] == "float"
    assert spec.saved_input_example_info is not None
    assert spec.saved_input_example_info["type"] == "dataframe"
    # The signature's input schema now checks requests: a missing column fails clearly.
    with pytest.raises(InvalidParameterValue, match="'b'"):
        pyfunc.load_model(tmp_path / "df").predict(pd.DataFrame({"a": [1.0]}))

    tensor_example = torch.tensor(FEATURES)  # saved as the array it holds
    spec = flavor.save_model(TinyRegressor(), tmp_path / "t", input_example=tensor_example)
    assert spec.signature is not None
    inputs = yaml.safe_load(spec.signature["inputs"])
    assert inputs == [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]
    assert pyfunc.load_model(tmp_path / "t").predict(tensor_example.numpy()).tolist() == EXPECTED

    spec = flavor.save_model(
        TinyRegressor(), tmp_path / "none", input_example=frame, signature=False
    )
    assert spec.signature is None


def test_code_paths_are_copied_and_importable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "rs_code_path_net.py").write_text(
        "import torch\n\n\n"
        "class Doubler(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x * 2\n"
    )
    monkeypatch.setattr(sys, "path", [str(source), *sys.path])
    import rs_code_path_net

    spec = flavor.save_model(
        rs_code_path_net.Doubler(), tmp_path / "m", code_paths=[source / "rs_code_path_net.py"]
    )
    assert spec.flavors["pytorch"]["code"] == "code"
    assert spec.flavors["python_function"]["code"] == "code"
    assert (tmp_path / "m/code/rs_code_path_net.py").is_file()

    # Elsewhere: the class is importable only from the model's own code directory.
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(source)])
    monkeypatch.delitem(sys.modules, "rs_code_path_net")
    ones = np.ones((1, 3), dtype=np.float32)
    assert flavor.load_model(tmp_path / "m")(torch.ones(1, 3)).tolist() == [[2.0, 2.0, 2.0]]
    monkeypatch.delitem(sys.modules, "rs_code_path_net")
    assert pyfunc.load_model(tmp_path / "m").predict(ones).tolist() == [[2.0, 2.0, 2.0]]


def test_requirements_pin_torch(tmp_path: Path) -> None:
    flavor.save_model(TinyRegressor(), tmp_path / "m")
    requirements = (tmp_path / "m/requirements.txt").read_text().split("\n")
    # pinned to the installed distribution's version (torch.__version__ may add a build label)
    assert f"torch=={importlib.metadata.version('torch')}" in requirements
    assert not any(r.startswith("pickle") for r in requirements)  # the standard library

    flavor.save_model(TinyRegressor(), tmp_path / "x", extra_pip_requirements=["einops==0.8"])
    assert (tmp_path / "x/requirements.txt").read_text().split("\n")[-1] == "einops==0.8"
    flavor.save_model(TinyRegressor(), tmp_path / "p", pip_requirements=["torch"])
    assert (tmp_path / "p/requirements.txt").read_text() == "torch"


# ------------------------------------------------------------------------------ map_location


def test_default_map_location(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert flavor.default_map_location() == "cpu"
    assert flavor.default_map_location("meta") == "meta"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert flavor.default_map_location() is None
    assert flavor.default_map_location("cpu") == "cpu"


@pytest.fixture
def torch_load_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every torch.load call's keyword arguments; the load itself still happens."""
    calls: list[dict[str, Any]] = []
    real_load = torch.load

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    return calls


def test_loading_passes_map_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, torch_load_calls: list[dict[str, Any]]
) -> None:
    flavor.save_model(TinyRegressor(), tmp_path / "m")
    flavor.save_state_dict(TinyRegressor().state_dict(), tmp_path / "s")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    flavor.load_model(tmp_path / "m")
    flavor.load_state_dict(tmp_path / "s")
    assert [c["map_location"] for c in torch_load_calls] == ["cpu", "cpu"]
    # Whole modules are pickles (weights_only=False); state dicts are weights only.
    assert [c["weights_only"] for c in torch_load_calls] == [False, True]
    assert torch_load_calls[0]["pickle_module"] is pickle

    torch_load_calls.clear()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    flavor.load_model(tmp_path / "m")
    flavor.load_state_dict(tmp_path / "s", map_location="cpu")
    assert [c["map_location"] for c in torch_load_calls] == [None, "cpu"]


def test_weights_saved_on_a_gpu_load_on_the_cpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No CUDA here: the files are tagged as CUDA storages the way a GPU machine tags them."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with monkeypatch.context() as patch:
        patch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        flavor.save_model(TinyRegressor(), tmp_path / "m")
        flavor.save_state_dict(TinyRegressor().state_dict(), tmp_path / "s")
    with pytest.raises(RuntimeError, match="CUDA"):
        torch.load(tmp_path / "s/state_dict.pth")  # what a plain load does with such a file
    state = flavor.load_state_dict(tmp_path / "s")
    assert state["linear.bias"].device.type == "cpu"
    model = flavor.load_model(tmp_path / "m")
    assert next(model.parameters()).device.type == "cpu"
    features = np.array(FEATURES, dtype=np.float32)
    assert pyfunc.load_model(tmp_path / "m").predict(features).tolist() == EXPECTED


# ------------------------------------------------------------------------------ state dicts


def test_state_dict_round_trip(tmp_path: Path) -> None:
    state = TinyRegressor().state_dict()
    target = flavor.save_state_dict(state, tmp_path / "s")
    assert target == tmp_path / "s/state_dict.pth"
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["state_dict.pth"]
    loaded = flavor.load_state_dict(tmp_path / "s")
    assert loaded.keys() == state.keys()
    assert all(torch.equal(loaded[k], state[k]) for k in state)
    assert flavor.load_state_dict(target).keys() == state.keys()  # the file itself works too
    fresh = torch.nn.Module()
    fresh.linear = torch.nn.Linear(2, 1)
    fresh.load_state_dict(loaded)

    checkpoint = {"model": state, "epoch": 3, "loss": 0.5}
    flavor.save_state_dict(checkpoint, tmp_path / "c")
    assert flavor.load_state_dict(tmp_path / "c")["epoch"] == 3


def test_state_dict_refusals(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match="state_dict"):
        flavor.save_state_dict(TinyRegressor(), tmp_path / "s")
    flavor.save_state_dict({"w": torch.zeros(1)}, tmp_path / "s")
    with pytest.raises(AlreadyExists):
        flavor.save_state_dict({"w": torch.ones(1)}, tmp_path / "s")
    with pytest.raises(NotFound, match="state dict"):
        flavor.load_state_dict(tmp_path / "missing")
    # weights_only: a pickled module in place of weights is refused, not run.
    (tmp_path / "evil").mkdir()
    torch.save(TinyRegressor(), tmp_path / "evil/state_dict.pth")
    with pytest.raises(pickle.UnpicklingError):
        flavor.load_state_dict(tmp_path / "evil")


# ---------------------------------------------------------------------------------- errors


def test_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match=r"torch\.nn\.Module"):
        flavor.save_model(object(), tmp_path / "bad")
    assert not (tmp_path / "bad").exists()

    (tmp_path / "busy").mkdir()
    (tmp_path / "busy/file").write_text("x")
    with pytest.raises(AlreadyExists):
        flavor.save_model(TinyRegressor(), tmp_path / "busy")

    with pytest.raises(NotFound, match="MLmodel"):
        flavor.load_model(tmp_path / "nowhere")

    other = tmp_path / "other"
    other.mkdir()
    ModelSpec().add_flavor("sklearn", pickled_model="model.pkl").save(other)
    with pytest.raises(NotFound, match=r"'pytorch' flavor.*sklearn"):
        flavor.load_model(other)

    flavor.save_model(TinyRegressor(), tmp_path / "m")
    (tmp_path / "m/data/model.pth").unlink()
    with pytest.raises(NotFound, match=r"model\.pth"):
        flavor.load_model(tmp_path / "m")
    with pytest.raises(NotFound, match=r"model\.pth"):
        pyfunc.load_model(tmp_path / "m")


def test_mlflow_pickle_module_loads_without_mlflow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MLflow's default pickle module is read with the standard unpickler: no mlflow import."""
    flavor.save_model(TinyRegressor(), tmp_path / "m")
    (tmp_path / "m/data/pickle_module_info.txt").write_text("mlflow.pytorch.pickle_module")
    monkeypatch.setitem(sys.modules, "mlflow", None)  # makes `import mlflow` fail
    assert flavor.load_model(tmp_path / "m")(torch.tensor(FEATURES)).tolist() == EXPECTED

    (tmp_path / "m/data/pickle_module_info.txt").write_text("no_such_pickle_module")
    with pytest.raises(NotFound, match="no_such_pickle_module"):
        flavor.load_model(tmp_path / "m")
