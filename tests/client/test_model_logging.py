"""Logging models (``runstone.sklearn.log_model``, ``runstone.pyfunc.log_model``) and loading
them back by every kind of model URI, on a SQLite store and through a live server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import runstone
import runstone.pyfunc
import runstone.sklearn
from runstone.client.client import RunstoneClient
from runstone.client.models import local_model_dir
from runstone.entities import LoggedModelStatus
from runstone.errors import InvalidParameterValue, NotFound
from runstone.models import ModelSpec

sklearn_linear = pytest.importorskip("sklearn.linear_model")


def _fitted() -> tuple[Any, pd.DataFrame]:
    frame = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    model = sklearn_linear.LogisticRegression().fit(frame, [0, 0, 1, 1])
    return model, frame


class Doubler(runstone.pyfunc.PythonModel):
    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        return model_input * 2


def test_log_sklearn_model_in_a_run_and_load_it_by_every_uri(fluent_uri: str) -> None:
    model, frame = _fitted()
    expected = model.predict(frame)
    with runstone.start_run() as run:
        runstone.log_param("C", "1.0")
        info = runstone.sklearn.log_model(
            model, name="clf", input_example=frame.head(2), registered_model_name="fraud"
        )
    run_id = run.info.run_id
    assert info.model_uri == f"models:/{info.model_id}"
    assert (info.name, info.run_id, info.registered_model_version) == ("clf", run_id, "1")
    assert {"sklearn", "python_function"} <= set(info.flavors)
    assert info.signature is not None
    assert info.saved_input_example_info is not None

    client = RunstoneClient(fluent_uri)
    logged = client.get_logged_model(info.model_id)
    assert logged.status is LoggedModelStatus.READY
    assert (logged.source_run_id, logged.params) == (run_id, {"C": "1.0"})
    outputs = client.get_run(run_id).outputs.model_outputs
    assert [(o.model_id, o.step) for o in outputs] == [(info.model_id, 0)]
    version = client.get_model_version("fraud", 1)
    assert (version.source, version.model_id, version.run_id) == (
        info.model_uri,
        info.model_id,
        run_id,
    )
    client.set_registered_model_alias("fraud", "champion", 1)

    uris = [
        info.model_uri,
        f"runs:/{run_id}/clf",
        "models:/fraud/1",
        "models:/fraud/latest",
        "models:/fraud@champion",
        info.artifact_path,
    ]
    for uri in uris:
        loaded = runstone.sklearn.load_model(uri)
        np.testing.assert_array_equal(loaded.predict(frame), expected, err_msg=uri)
        pyfunc = runstone.pyfunc.load_model(uri)
        np.testing.assert_array_equal(pyfunc.predict(frame), expected, err_msg=uri)

    spec = ModelSpec.load(local_model_dir(info.model_uri))
    assert (spec.model_id, spec.model_uuid, spec.run_id) == (info.model_id, info.model_id, run_id)
    assert spec.artifact_path == logged.artifact_uri
    client.close()


def test_custom_pyfunc_model_logs_without_a_run(fluent_uri: str, tmp_path: Path) -> None:
    info = runstone.pyfunc.log_model("doubler", python_model=Doubler())
    assert info.run_id is None
    loaded = runstone.pyfunc.load_model(info.model_uri, dst_path=str(tmp_path / "here"))
    assert loaded.predict(pd.DataFrame({"x": [1, 2]}))["x"].tolist() == [2, 4]
    assert (tmp_path / "here" / "MLmodel").is_file()
    # registering the logged model afterwards links the version to it
    version = runstone.register_model(info.model_uri, "doubler")
    assert (version.model_id, version.run_id) == (info.model_id, "")


def test_registering_runs_uri_of_a_logged_model_registers_the_model(fluent_uri: str) -> None:
    model, frame = _fitted()
    with runstone.start_run() as run:
        info = runstone.sklearn.log_model(model, "clf")
    version = runstone.register_model(f"runs:/{run.info.run_id}/clf", "by-run")
    assert (version.source, version.model_id) == (info.model_uri, info.model_id)
    loaded = runstone.pyfunc.load_model("models:/by-run/1")
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))


def test_a_failed_save_marks_the_logged_model_failed(fluent_uri: str) -> None:
    model, _ = _fitted()
    with (
        runstone.start_run() as run,
        pytest.raises(InvalidParameterValue, match="serialization_format"),
    ):
        runstone.sklearn.log_model(model, "broken", serialization_format="parquet")
    client = RunstoneClient(fluent_uri)
    [output] = client.get_run(run.info.run_id).outputs.model_outputs
    failed = client.get_logged_model(output.model_id)
    assert failed.status is LoggedModelStatus.UPLOAD_FAILED
    client.close()


def test_the_latest_logged_model_of_a_name_wins_in_runs_uris(fluent_uri: str) -> None:
    model, frame = _fitted()
    with runstone.start_run() as run:
        runstone.pyfunc.log_model("m", python_model=Doubler(), step=1)
        runstone.sklearn.log_model(model, "m", step=5)
    loaded = runstone.pyfunc.load_model(f"runs:/{run.info.run_id}/m")
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))


def test_local_model_paths_and_bad_uris(fluent_uri: str, tmp_path: Path) -> None:
    model, frame = _fitted()
    target = tmp_path / "saved"
    runstone.sklearn.save_model(model, target)
    assert local_model_dir(target) == str(target)
    assert local_model_dir(target.as_uri()) == str(target)
    np.testing.assert_array_equal(
        runstone.sklearn.load_model(target.as_uri()).predict(frame), model.predict(frame)
    )
    with pytest.raises(InvalidParameterValue, match="No model directory"):
        local_model_dir(tmp_path / "missing")
    with pytest.raises(InvalidParameterValue, match="must not name a host"):
        local_model_dir("file://elsewhere/model")
    with pytest.raises(NotFound, match="no logged model with id 'nothing'"):
        runstone.pyfunc.load_model("models:/nothing")
    with pytest.raises(InvalidParameterValue, match="name once"):
        runstone.sklearn.log_model(model, name="a", artifact_path="b")
