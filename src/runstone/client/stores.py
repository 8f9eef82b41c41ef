"""Opening the store a tracking URI names.

Each kind of store has a factory that imports its implementation inside itself, so that
``import runstone`` stays light: SQLAlchemy and the database drivers load only when a database
store is first used.
"""

from __future__ import annotations

from collections.abc import Callable

from runstone.config import RestSettings, StoreSettings
from runstone.store.base import Store
from runstone.uri import StoreKind, TrackingUri, parse_tracking_uri


def _sql_store(uri: TrackingUri, original: str) -> Store:
    from runstone.store.sql import SqlStore  # heavy: SQLAlchemy, numpy, the DB driver

    return SqlStore(original, settings=StoreSettings.from_env())


def _rest_store(uri: TrackingUri, original: str) -> Store:
    from runstone.store.rest import RestStore  # httpx and numpy load only for a server URI

    return RestStore(original, settings=RestSettings.from_env())


_FACTORIES: dict[StoreKind, Callable[[TrackingUri, str], Store]] = {
    StoreKind.SQLITE: _sql_store,
    StoreKind.POSTGRESQL: _sql_store,
    StoreKind.MYSQL: _sql_store,
    StoreKind.REST: _rest_store,
}


def open_store(tracking_uri: str) -> Store:
    parsed = parse_tracking_uri(tracking_uri)
    return _FACTORIES[parsed.kind](parsed, tracking_uri)
