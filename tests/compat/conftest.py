"""The official mlflow client (mlflow-skinny, pinned in the dev extra) against a live server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runstone.store.sql.auth import AuthStore
from runstone.testing import serve
from runstone.uri import LOCAL_DB_FILE

mlflow = pytest.importorskip("mlflow", reason="the mlflow client is a dev dependency")


ADMIN_PASSWORD = "compat suite password"


@pytest.fixture(params=["open", "auth"])
def tracking_uri(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A live Runstone server; the mlflow client points at it the way users do: by env var.

    Every compat test runs twice: against an open server, and against `--auth` with the
    client signed in through MLFLOW_TRACKING_USERNAME/PASSWORD (as an admin: which user may
    do what is tests/security's subject; here it is that every call authenticates).
    """
    for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    store = tmp_path / "store"
    options: dict[str, object] = {"artifacts_destination": str(tmp_path / "artifacts")}
    if request.param == "auth":
        store.mkdir()
        auth = AuthStore.open(f"sqlite:///{store / LOCAL_DB_FILE}")
        try:
            auth.create_user("admin", ADMIN_PASSWORD, is_admin=True)
        finally:
            auth.close()
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN_PASSWORD)
        options["auth"] = True
    with serve(store, **options) as url:
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
