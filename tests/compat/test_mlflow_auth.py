"""The official mlflow client against `runstone server --auth`, authenticated the ways users
configure it: MLFLOW_TRACKING_USERNAME/PASSWORD (Basic) and MLFLOW_TRACKING_TOKEN (Bearer)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runstone.store.sql.auth import AuthStore
from runstone.testing import serve

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402

PASSWORD = "a long password 1"


@pytest.fixture
def secured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """A server with --auth and one user, alice; yields its URL and a token of hers."""
    uri = f"sqlite:///{tmp_path / 'runstone.db'}"
    store = AuthStore.open(uri)
    try:
        store.create_user("alice", PASSWORD)
        token, _ = store.create_token("alice", "compat")
    finally:
        store.close()
    for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with serve(uri, auth=True, artifacts_destination=str(tmp_path / "artifacts")) as url:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
        mlflow.set_tracking_uri(url)
        try:
            yield url, token
        finally:
            while mlflow.active_run() is not None:
                mlflow.end_run()
            mlflow.set_tracking_uri(None)


def _log_a_run(name: str) -> None:
    experiment = mlflow.set_experiment(name)
    with mlflow.start_run() as run:
        mlflow.log_param("lr", 0.1)
        mlflow.log_metric("loss", 0.5, step=1)
        mlflow.log_text("hello", "notes/hello.txt")
    fetched = MlflowClient().get_run(run.info.run_id)
    assert fetched.info.experiment_id == experiment.experiment_id
    assert fetched.data.params == {"lr": "0.1"}
    assert fetched.data.metrics == {"loss": 0.5}
    assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/notes/hello.txt") == "hello"


def test_username_and_password(secured: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)
    _log_a_run("with-password")


def test_token(secured: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", secured[1])
    _log_a_run("with-token")


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"MLFLOW_TRACKING_USERNAME": "alice", "MLFLOW_TRACKING_PASSWORD": "not her password"},
        {"MLFLOW_TRACKING_TOKEN": "rs_pat_not-a-real-token"},
    ],
)
def test_missing_or_wrong_credentials_are_refused(
    secured: tuple[str, str], monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(MlflowException) as caught:
        MlflowClient().create_experiment("refused")
    assert "401" in str(caught.value) or "not authenticated" in str(caught.value).lower()
