from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runstone.store.sql import SqlStore


@pytest.fixture
def store(database_uri: str, tmp_path: Path) -> Iterator[SqlStore]:
    """The store under contract, on a fresh database of each backend."""
    opened = SqlStore(database_uri, artifact_root=(tmp_path / "artifacts").as_uri())
    yield opened
    opened.close()


@pytest.fixture
def experiment_id(store: SqlStore) -> str:
    return store.create_experiment("contract")


@pytest.fixture
def run_id(store: SqlStore, experiment_id: str) -> str:
    return store.create_run(experiment_id, user_id="tester", start_time=1000).info.run_id
