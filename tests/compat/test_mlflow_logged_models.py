"""MLflow 3 logged models: the mlflow client's ``log_model`` and loading, against
`runstone server`."""

from __future__ import annotations

import pytest

mlflow = pytest.importorskip("mlflow")
np = pytest.importorskip("numpy")
linear_model = pytest.importorskip("sklearn.linear_model")
pytest.importorskip("skops")

import warnings  # noqa: E402
from types import ModuleType  # noqa: E402

from mlflow import MlflowClient  # noqa: E402

# mlflow warns about its own type hints (and pydantic/sklearn internals) while importing and
# logging its flavors; none of it concerns the server under test.
pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def _flavors() -> tuple[ModuleType, ModuleType]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import mlflow.pyfunc
        import mlflow.sklearn
    return mlflow.pyfunc, mlflow.sklearn


def test_sklearn_log_register_and_load(tracking_uri: str) -> None:
    pyfunc, sklearn_flavor = _flavors()
    features = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]])
    labels = np.array([0, 1, 0, 1])
    model = linear_model.LogisticRegression().fit(features, labels)

    experiment_id = mlflow.set_experiment("logged-models").experiment_id
    with mlflow.start_run() as run:
        mlflow.log_param("C", 1.0)
        info = sklearn_flavor.log_model(
            model, name="model", registered_model_name="clf", input_example=features[:2]
        )
    assert info.model_id.startswith("m-")
    assert str(info.registered_model_version) == "1"

    loaded = pyfunc.load_model("models:/clf/1")
    assert list(loaded.predict(features)) == list(model.predict(features))
    again = sklearn_flavor.load_model(info.model_uri)
    assert list(again.predict(features)) == list(model.predict(features))

    found = mlflow.search_logged_models(experiment_ids=[experiment_id], output_format="list")
    assert [m.model_id for m in found] == [info.model_id]
    (logged,) = found
    assert logged.name == "model"
    assert logged.source_run_id == run.info.run_id
    assert str(logged.status) in ("READY", "LoggedModelStatus.READY")

    client = MlflowClient()
    by_name = mlflow.search_logged_models(
        experiment_ids=[experiment_id], filter_string="name = 'model'", output_format="list"
    )
    assert [m.model_id for m in by_name] == [info.model_id]
    version = client.get_model_version("clf", "1")
    # (the 3.18 client's ModelVersion.from_proto does not read model_id back; the source says it)
    assert version.source == f"models:/{info.model_id}"
    fetched = client.get_logged_model(info.model_id)
    assert fetched.tags["mlflow.modelVersions"] == '[{"name": "clf", "version": "1"}]'


def test_models_logged_by_each_client_load_in_the_other(tracking_uri: str) -> None:
    import runstone
    import runstone.pyfunc
    import runstone.sklearn
    from runstone.client import fluent

    pyfunc, sklearn_flavor = _flavors()
    features = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]])
    model = linear_model.LogisticRegression().fit(features, np.array([0, 1, 0, 1]))
    expected = list(model.predict(features))

    fluent.reset()
    runstone.set_tracking_uri(tracking_uri)
    try:
        with runstone.start_run() as ours:
            by_runstone = runstone.sklearn.log_model(
                model, "ours", registered_model_name="ours", input_example=features[:2]
            )
        # Runstone's logged model, read by mlflow through every URI form it knows
        for uri in (by_runstone.model_uri, "models:/ours/1", f"runs:/{ours.info.run_id}/ours"):
            assert list(pyfunc.load_model(uri).predict(features)) == expected, uri
        assert list(sklearn_flavor.load_model(by_runstone.model_uri).predict(features)) == expected
        assert MlflowClient().get_logged_model(by_runstone.model_id).name == "ours"

        # mlflow's logged model, read by Runstone
        mlflow.set_experiment("theirs")
        with mlflow.start_run() as theirs:
            by_mlflow = sklearn_flavor.log_model(
                model, name="theirs", registered_model_name="theirs"
            )
        for uri in (by_mlflow.model_uri, "models:/theirs/1", f"runs:/{theirs.info.run_id}/theirs"):
            assert list(runstone.pyfunc.load_model(uri).predict(features)) == expected, uri
            assert list(runstone.sklearn.load_model(uri).predict(features)) == expected, uri
    finally:
        fluent.reset()
