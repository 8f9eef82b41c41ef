from __future__ import annotations

from collections.abc import Iterator

import pytest

import runstone
from runstone.client import fluent
from runstone.client.client import RunstoneClient


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
