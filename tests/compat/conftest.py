"""The official mlflow client (mlflow-skinny, pinned in the dev extra) against a live server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runstone.testing import serve

mlflow = pytest.importorskip("mlflow", reason="the mlflow client is a dev dependency")


@pytest.fixture
def tracking_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A live Runstone server; the mlflow client points at it the way users do: by env var."""
    with serve(tmp_path / "store", artifacts_destination=str(tmp_path / "artifacts")) as url:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        mlflow.set_tracking_uri(url)
        try:
            yield url
        finally:
            while mlflow.active_run() is not None:
                mlflow.end_run()
            mlflow.set_tracking_uri(None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # mlflow itself calls pandas in ways pandas announces it will change; not our code.
    for item in items:
        item.add_marker(pytest.mark.filterwarnings("ignore::FutureWarning:mlflow"))
        item.add_marker(pytest.mark.filterwarnings("ignore:Starting with pandas version 4.0"))
