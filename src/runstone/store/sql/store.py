"""SqlStore: the tracking store and model registry over a SQL database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import InterfaceError, OperationalError

from runstone.config import StoreSettings
from runstone.store.base import RegistryStore, Store, TrackingStore
from runstone.store.sql.engine import Database, unavailable
from runstone.store.sql.experiments import ExperimentsPart
from runstone.store.sql.history import HistoryPart
from runstone.store.sql.logged_models import LoggedModelsPart
from runstone.store.sql.registry import RegistryPart
from runstone.store.sql.runs import RunsPart
from runstone.store.sql.schema import ensure_schema
from runstone.uri import parse_tracking_uri, sqlite_path


class SqlStore(ExperimentsPart, RunsPart, HistoryPart, RegistryPart, LoggedModelsPart):
    """Experiments, runs, params, tags, metrics, inputs and the model registry in SQLite,
    PostgreSQL or MySQL.

    ``uri`` is a tracking URI: ``sqlite:///file.db``, ``postgresql://…``, ``mysql://…`` or a
    folder. ``artifact_root`` is where new experiments put their artifacts (default: an
    ``artifacts`` folder next to a SQLite file, else ``./runstone/artifacts``).
    """

    def __init__(
        self,
        uri: str,
        artifact_root: str | None = None,
        settings: StoreSettings | None = None,
    ) -> None:
        parsed = parse_tracking_uri(uri)
        if not parsed.is_database:
            raise ValueError(f"SqlStore needs a database URI, not {uri!r}")
        self._settings = settings or StoreSettings()
        self._db = Database(parsed.url, self._settings)
        self._artifact_root = artifact_root or _default_artifact_root(parsed.url)
        try:
            ensure_schema(self._db.engine, self._settings.auto_migrate)
            self._ensure_default_experiment()
        except (OperationalError, InterfaceError) as exc:
            self._db.dispose()
            raise unavailable(exc) from exc
        except BaseException:
            self._db.dispose()
            raise

    @property
    def dialect(self) -> str:
        return self._db.dialect

    def close(self) -> None:
        self._db.dispose()


def _default_artifact_root(url: str) -> str:
    path = sqlite_path(url) if url.startswith("sqlite") else None
    folder = (
        path.absolute().parent / "artifacts"
        if path
        else Path.cwd().absolute() / "runstone" / "artifacts"
    )
    return folder.as_uri()


if TYPE_CHECKING:  # mypy proves SqlStore fulfils the contract
    _conforms: type[TrackingStore] = SqlStore
    _registry: type[RegistryStore] = SqlStore
    _store: type[Store] = SqlStore
