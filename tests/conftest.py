"""Fixtures shared by every test: a clean environment and real databases."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.databases import BACKENDS, Backend


@pytest.fixture(autouse=True)
def _clean_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No RUNSTONE_* or MLFLOW_* variable of the developer's shell leaks into a test, and no
    test spools into the developer's home folder."""
    for name in list(os.environ):
        if name.startswith(("RUNSTONE_", "MLFLOW_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RUNSTONE_SPOOL_DIR", str(tmp_path_factory.mktemp("spool")))


@pytest.fixture(params=list(BACKENDS), ids=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Backend:
    chosen = BACKENDS[request.param]
    chosen.require()
    return chosen


@pytest.fixture
def database_uri(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database of each backend (SQLite file, PostgreSQL, MariaDB)."""
    with backend.fresh_database(tmp_path_factory.mktemp("db")) as uri:
        yield uri
