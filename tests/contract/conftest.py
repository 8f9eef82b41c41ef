from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runstone.store.base import TrackingStore
from runstone.store.sql import SqlStore
from tests.databases import BACKENDS

# Every SQL backend, and "rest": a RestStore talking to a live server (over a fresh SQLite
# file) in this process. Tests of SQL internals (migrations, SQLite concurrency) take
# `database_uri` instead, so they run on the SQL backends only.
STORES = [*BACKENDS, "rest"]


@pytest.fixture
def artifact_root(tmp_path: Path) -> str:
    """Where the store under contract puts artifacts (a server accepts locations below it)."""
    return (tmp_path / "artifacts").as_uri()


@pytest.fixture(params=STORES)
def store(
    request: pytest.FixtureRequest, artifact_root: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrackingStore]:
    """The store under contract, on a fresh database of each backend or behind a server."""
    if request.param == "rest":
        yield from _rest_store(tmp_path_factory.mktemp("db") / "runstone.db", artifact_root)
        return
    backend = BACKENDS[request.param]
    backend.require()
    with backend.fresh_database(tmp_path_factory.mktemp("db")) as uri:
        opened = SqlStore(uri, artifact_root=artifact_root)
        yield opened
        opened.close()


def _rest_store(db_file: Path, artifact_root: str) -> Iterator[TrackingStore]:
    from runstone.store.rest import RestStore  # the server side needs the [server] extra
    from runstone.testing import serve

    with serve(f"sqlite:///{db_file}", default_artifact_root=artifact_root) as url:
        opened = RestStore(url)
        yield opened
        opened.close()


@pytest.fixture
def experiment_id(store: TrackingStore) -> str:
    return store.create_experiment("contract")


@pytest.fixture
def run_id(store: TrackingStore, experiment_id: str) -> str:
    return store.create_run(experiment_id, user_id="tester", start_time=1000).info.run_id
