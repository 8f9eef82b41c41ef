"""``runstone.pytorch``: modules and state dicts logged to a run and loaded back by URI, on a
SQLite store and through a live server."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import runstone

torch = pytest.importorskip("torch")

import runstone.pyfunc  # noqa: E402
import runstone.pytorch  # noqa: E402
from tests.unit.torch_models import TinyRegressor  # noqa: E402


def test_log_a_module_and_load_it_by_uri(fluent_uri: str) -> None:
    model = TinyRegressor()
    inputs = np.array([[1.0, 2.0], [0.5, -1.0]], dtype=np.float32)
    expected = model(torch.from_numpy(inputs)).detach().numpy()
    with runstone.start_run() as run:
        info = runstone.pytorch.log_model(model, "net", registered_model_name="net")
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/net", "models:/net/1"):
        loaded = runstone.pytorch.load_model(uri)
        assert not loaded.training, uri
        np.testing.assert_allclose(loaded(torch.from_numpy(inputs)).detach().numpy(), expected)
    frame = pd.DataFrame(inputs, columns=["a", "b"])
    predicted = runstone.pyfunc.load_model(info.model_uri).predict(frame)
    np.testing.assert_allclose(predicted.to_numpy(), expected)


def test_log_a_state_dict_and_load_it_by_uri(fluent_uri: str) -> None:
    model = TinyRegressor()
    with runstone.start_run() as run:
        runstone.pytorch.log_state_dict(model.state_dict(), "weights")
    loaded = runstone.pytorch.load_state_dict(f"runs:/{run.info.run_id}/weights")
    assert sorted(loaded) == ["linear.bias", "linear.weight"]
    fresh = TinyRegressor()
    with torch.no_grad():
        fresh.linear.weight.zero_()
    fresh.load_state_dict(loaded)
    assert torch.equal(fresh.linear.weight, model.linear.weight)
