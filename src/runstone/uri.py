"""Pure parsing of the URIs Runstone accepts. Nothing here touches a file or the network."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from runstone.errors import InvalidParameterValue

LOCAL_DB_FILE = "runstone.db"
LOCAL_ARTIFACTS_DIR = "artifacts"


class StoreKind(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"
    MYSQL = "mysql"
    REST = "rest"


# scheme (before any "+driver") -> (kind, the SQLAlchemy driver Runstone uses)
_DB_SCHEMES: dict[str, tuple[StoreKind, str]] = {
    "sqlite": (StoreKind.SQLITE, "sqlite"),
    "postgresql": (StoreKind.POSTGRESQL, "postgresql+psycopg"),
    "postgres": (StoreKind.POSTGRESQL, "postgresql+psycopg"),
    "mysql": (StoreKind.MYSQL, "mysql+pymysql"),
    "mariadb": (StoreKind.MYSQL, "mysql+pymysql"),
}


@dataclass(frozen=True, slots=True)
class TrackingUri:
    """Where tracking data lives.

    ``url`` is the SQLAlchemy URL for database kinds and the server's base URL for REST.
    ``local_dir`` is set when the URI named a plain folder (the embedded default): the database
    is ``<dir>/runstone.db`` and artifacts go to ``<dir>/artifacts``.
    """

    kind: StoreKind
    url: str
    local_dir: Path | None = None

    @property
    def is_database(self) -> bool:
        return self.kind is not StoreKind.REST


def parse_tracking_uri(uri: str) -> TrackingUri:
    """Classify a tracking URI: a database URL, a server URL, or a local folder."""
    text = uri.strip()
    if not text:
        raise InvalidParameterValue("The tracking URI is empty.")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.netloc:
            raise InvalidParameterValue(f"Tracking URI {uri!r} has no host.")
        return TrackingUri(StoreKind.REST, text.rstrip("/"))
    if scheme == "file" or not scheme or _is_windows_drive(text):
        return local_tracking_uri(Path(parts.path if scheme == "file" else text))
    return _database_uri(text, scheme, parts.netloc, uri)


def local_tracking_uri(directory: Path) -> TrackingUri:
    directory = directory.expanduser().absolute()
    url = f"sqlite:///{directory / LOCAL_DB_FILE}"
    return TrackingUri(StoreKind.SQLITE, url, local_dir=directory)


def _database_uri(text: str, scheme: str, netloc: str, original: str) -> TrackingUri:
    base, _, driver = scheme.partition("+")
    known = _DB_SCHEMES.get(base)
    if known is None:
        supported = "sqlite:, postgresql:, mysql:, http(s): or a folder path"
        raise InvalidParameterValue(
            f"Unsupported tracking URI scheme {scheme!r} in {original!r}; use {supported}."
        )
    kind, default_driver = known
    if kind is StoreKind.SQLITE:
        if netloc:
            raise InvalidParameterValue(
                f"SQLite URI {original!r} must look like sqlite:///relative.db or "
                "sqlite:////absolute/path.db"
            )
        return TrackingUri(kind, text)
    sa_scheme = f"{base}+{driver}" if driver else default_driver
    if base == "postgres":
        sa_scheme = "postgresql+" + (driver or "psycopg")
    if base == "mariadb":
        sa_scheme = "mysql+" + (driver or "pymysql")
    parts = urlsplit(text)
    return TrackingUri(kind, urlunsplit((sa_scheme, *parts[1:])))


def file_uri_path(uri: str) -> str | None:
    """The local path a ``file:`` URI names, percent-decoded; None when ``uri`` is not a
    ``file:`` URI (a plain path, or another scheme). A ``file:`` URI naming a host other than
    ``localhost`` is refused: Runstone never reaches another machine's files this way."""
    parts = urlsplit(uri)
    if parts.scheme.lower() != "file":
        return None
    if parts.netloc not in ("", "localhost"):
        raise InvalidParameterValue(
            f"URI {uri!r} names a remote host: a file: URI must not name a host."
        )
    return unquote(parts.path)


def _is_windows_drive(text: str) -> bool:
    return len(text) > 2 and text[1] == ":" and text[0].isalpha() and text[2] in "\\/"


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL, or None for an in-memory database."""
    rest = url.split(":///", 1)[1] if ":///" in url else ""
    rest = rest.split("?", 1)[0]
    if not rest or rest == ":memory:":
        return None
    return Path(rest)
