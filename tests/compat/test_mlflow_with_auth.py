"""A representative slice of the official mlflow client's flows against `runstone server --auth`:
tracking, artifacts, search and the registry, once per way the client authenticates
(MLFLOW_TRACKING_USERNAME/PASSWORD, and MLFLOW_TRACKING_TOKEN with a personal access token made
by the auth store or over REST)."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from tests.compat import test_mlflow_auth

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402

PASSWORD = test_mlflow_auth.PASSWORD
secured = test_mlflow_auth.secured  # the --auth server with alice and a token of hers


def _rest_token(url: str) -> str:
    """A personal access token alice makes for herself over REST with her password."""
    basic = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    response = httpx.post(
        f"{url}/api/2.0/runstone/tokens/create",
        json={"name": "rest-made"},
        headers={"Authorization": f"Basic {basic}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    assert isinstance(token, str)
    return token


@pytest.fixture(params=["password", "store-token", "rest-token"])
def signed_in(
    request: pytest.FixtureRequest,
    secured: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    url, store_token = secured
    if request.param == "password":
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)
    elif request.param == "store-token":
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", store_token)
    else:
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", _rest_token(url))
    return str(request.param)


def test_tracking_artifacts_search_and_registry(signed_in: str, tmp_path: Path) -> None:
    client = MlflowClient()
    experiment = mlflow.set_experiment(f"auth-{signed_in}")
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    (folder / "weights.bin").write_bytes(b"\x00\x01")
    with mlflow.start_run(run_name="first") as run:
        mlflow.log_params({"lr": 0.1, "layers": 3})
        mlflow.log_metrics({"loss": 0.5, "acc": 0.9}, step=1)
        mlflow.log_metric("loss", 0.25, step=2)
        mlflow.set_tag("team", "vision")
        mlflow.log_dict({"a": 1}, "config/params.json")
        mlflow.log_artifacts(str(folder), "model")
    run_id = run.info.run_id

    fetched = client.get_run(run_id)
    assert fetched.data.params == {"lr": "0.1", "layers": "3"}
    assert fetched.data.metrics == {"loss": 0.25, "acc": 0.9}
    assert fetched.data.tags["team"] == "vision"
    history = client.get_metric_history(run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(1, 0.5), (2, 0.25)]

    found = mlflow.search_runs(
        [experiment.experiment_id], filter_string="metrics.loss < 0.3", output_format="list"
    )
    assert [r.info.run_id for r in found] == [run_id]
    names = [e.name for e in client.search_experiments(filter_string="name LIKE 'auth-%'")]
    assert f"auth-{signed_in}" in names

    listed = {f.path for f in client.list_artifacts(run_id, "model")}
    assert listed == {"model/MLmodel", "model/weights.bin"}
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/config/params.json") == {"a": 1}
    local = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="model", dst_path=str(tmp_path / "down")
    )
    assert (Path(local) / "weights.bin").read_bytes() == b"\x00\x01"

    name = f"model-{signed_in}"
    version = mlflow.register_model(f"runs:/{run_id}/model", name)
    assert version.version == "1"
    client.set_registered_model_alias(name, "champion", "1")
    champion = client.get_model_version_by_alias(name, "champion")
    assert (champion.version, champion.run_id) == ("1", run_id)
    models = client.search_registered_models(filter_string=f"name = '{name}'")
    assert [m.name for m in models] == [name]
    uri = client.get_model_version_download_uri(name, "1")
    downloaded = mlflow.artifacts.download_artifacts(uri, dst_path=str(tmp_path / "registry"))
    assert (Path(downloaded) / "MLmodel").read_text() == "flavors: {}\n"
