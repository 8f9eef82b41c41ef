"""PyTorch model directories shared with the official MLflow in both directions: models saved
by ``mlflow.pytorch.save_model`` load and predict in Runstone, and Runstone's load in
``mlflow.pytorch.load_model`` and ``mlflow.pyfunc.load_model``; state dicts likewise."""

from __future__ import annotations

import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from runstone.models import pyfunc

mlflow = pytest.importorskip("mlflow", reason="the mlflow client is a dev dependency")
torch = pytest.importorskip("torch", reason="torch is the pytorch extra (pinned in dev)")
np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

from runstone.models.flavors import pytorch as flavor  # noqa: E402
from tests.unit.torch_models import TinyRegressor  # noqa: E402

# mlflow warns about its own internals (pickle caution, type hints) while saving and loading.
pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

FEATURES = [[1.0, 0.0], [2.0, 1.0], [-1.0, 0.5]]


@pytest.fixture
def mlflow_pytorch() -> ModuleType:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import mlflow.pyfunc
        import mlflow.pytorch
    return mlflow


@pytest.fixture
def frame() -> Any:
    return pd.DataFrame(FEATURES, columns=["a", "b"])


@pytest.fixture
def model() -> Any:
    return TinyRegressor()


def _quiet(call: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


def _expected(model: Any) -> list[list[float]]:
    with torch.no_grad():
        result: list[list[float]] = model(torch.tensor(FEATURES)).tolist()
    return result


def _mlmodel(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((path / "MLmodel").read_text())
    return doc


def test_mlflow_saved_model_loads_in_runstone(
    tmp_path: Path, mlflow_pytorch: ModuleType, model: Any, frame: Any
) -> None:
    _quiet(
        mlflow_pytorch.pytorch.save_model,
        model,
        str(tmp_path / "m"),
        serialization_format="pickle",
        input_example=frame,
    )
    loaded = flavor.load_model(tmp_path / "m")
    assert isinstance(loaded, TinyRegressor)
    with torch.no_grad():
        assert loaded(torch.tensor(FEATURES)).tolist() == _expected(model)
    predicted = pyfunc.load_model(tmp_path / "m").predict(frame)
    theirs = _quiet(mlflow_pytorch.pyfunc.load_model, str(tmp_path / "m")).predict(frame)
    pd.testing.assert_frame_equal(predicted, theirs)
    assert predicted.to_numpy().tolist() == _expected(model)


@pytest.mark.slow
def test_mlflow_exported_pt2_model_loads_in_runstone(
    tmp_path: Path, mlflow_pytorch: ModuleType, model: Any
) -> None:
    """MLflow's default format outside Databricks: torch.export's pt2 archive."""
    features = np.array(FEATURES, dtype=np.float32)
    _quiet(mlflow_pytorch.pytorch.save_model, model, str(tmp_path / "m"), input_example=features)
    assert (tmp_path / "m/data/model.pt2").is_file()
    predicted = _quiet(pyfunc.load_model(tmp_path / "m").predict, features)
    assert predicted.tolist() == _expected(model)
    exported = _quiet(flavor.load_model, tmp_path / "m")
    assert exported(torch.tensor(FEATURES)).tolist() == _expected(model)


def test_runstone_saved_model_loads_in_mlflow(
    tmp_path: Path, mlflow_pytorch: ModuleType, model: Any, frame: Any
) -> None:
    flavor.save_model(model, tmp_path / "m", input_example=frame)
    native = _quiet(mlflow_pytorch.pytorch.load_model, str(tmp_path / "m"))
    assert isinstance(native, TinyRegressor)
    with torch.no_grad():
        assert native(torch.tensor(FEATURES)).tolist() == _expected(model)
    generic = _quiet(mlflow_pytorch.pyfunc.load_model, str(tmp_path / "m"))
    theirs = _quiet(generic.predict, frame)
    ours = pyfunc.load_model(tmp_path / "m").predict(frame)
    pd.testing.assert_frame_equal(ours, theirs)
    # Without a (column) signature, arrays go straight to the model and come back as arrays.
    flavor.save_model(model, tmp_path / "bare")
    bare = _quiet(mlflow_pytorch.pyfunc.load_model, str(tmp_path / "bare"))
    features = np.array(FEATURES, dtype=np.float32)
    assert _quiet(bare.predict, features).tolist() == _expected(model)


def test_mlmodel_matches_mlflow(
    tmp_path: Path, mlflow_pytorch: ModuleType, model: Any, frame: Any
) -> None:
    # With MLflow's pickle module, even pickle_module_name and pickle_module_info.txt agree.
    pickle_module = mlflow_pytorch.pytorch.pickle_module
    kwargs = {"input_example": frame, "metadata": {"k": "v"}}
    _quiet(
        mlflow_pytorch.pytorch.save_model,
        model,
        str(tmp_path / "theirs"),
        serialization_format="pickle",
        pickle_module=pickle_module,
        **kwargs,
    )
    flavor.save_model(model, tmp_path / "ours", pickle_module=pickle_module, **kwargs)
    theirs, ours = _mlmodel(tmp_path / "theirs"), _mlmodel(tmp_path / "ours")
    # Runstone is not an MLflow version, so it leaves mlflow_version out (ModelSpec's rule).
    assert set(theirs) - {"mlflow_version"} == set(ours)
    for key in ("flavors", "saved_input_example_info", "metadata", "model_id"):
        assert ours[key] == theirs[key], key
    assert ours["signature"]["inputs"] == theirs["signature"]["inputs"]
    for name in ("pickle_module_info.txt", "model.pth"):
        assert (tmp_path / "ours/data" / name).is_file()
    assert sorted(p.name for p in (tmp_path / "ours/data").iterdir()) == sorted(
        p.name for p in (tmp_path / "theirs/data").iterdir()
    )
    assert (tmp_path / "ours/data/pickle_module_info.txt").read_text() == (
        tmp_path / "theirs/data/pickle_module_info.txt"
    ).read_text()
    # And that model loads in Runstone, through MLflow's pickle module's standard unpickler.
    assert flavor.load_model(tmp_path / "ours")(torch.tensor(FEATURES)).tolist() == _expected(model)


def test_state_dicts_both_ways(tmp_path: Path, mlflow_pytorch: ModuleType, model: Any) -> None:
    state = model.state_dict()
    _quiet(mlflow_pytorch.pytorch.save_state_dict, state, str(tmp_path / "theirs"))
    flavor.save_state_dict(state, tmp_path / "ours")
    assert sorted(p.name for p in (tmp_path / "ours").iterdir()) == sorted(
        p.name for p in (tmp_path / "theirs").iterdir()
    )
    from_theirs = flavor.load_state_dict(tmp_path / "theirs")
    from_ours = _quiet(mlflow_pytorch.pytorch.load_state_dict, str(tmp_path / "ours"))
    for loaded in (from_theirs, from_ours):
        assert loaded.keys() == state.keys()
        assert all(torch.equal(loaded[k], state[k]) for k in state)
