from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import runstone
from runstone.client import fluent
from runstone.client.client import RunstoneClient
from runstone.testing import serve


@pytest.fixture
def client(database_uri: str) -> Iterator[RunstoneClient]:
    opened = RunstoneClient(database_uri)
    yield opened
    opened.close()


@pytest.fixture
def tracking(database_uri: str) -> Iterator[str]:
    """The fluent API pointed at a fresh database; every run it started is ended afterwards."""
    fluent.reset()
    runstone.set_tracking_uri(database_uri)
    yield database_uri
    fluent.reset()


@pytest.fixture(params=["sqlite", "server"])
def tracking_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLite store, or a live server over one (which serves artifacts)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    with serve(tmp_path / "store", artifacts_destination=str(tmp_path / "served")) as url:
        yield url


@pytest.fixture
def fluent_uri(tracking_uri: str) -> Iterator[str]:
    """The fluent API pointed at ``tracking_uri``."""
    fluent.reset()
    runstone.set_tracking_uri(tracking_uri)
    yield tracking_uri
    fluent.reset()
