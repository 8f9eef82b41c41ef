"""Engines and transactions for the three databases Runstone supports.

SQLite gets WAL, a busy timeout, foreign keys, durable commits and ``BEGIN IMMEDIATE`` for
writers, so that several processes can log into one file without "database is locked" reaching
anyone. PostgreSQL and MySQL run at READ COMMITTED and every writer locks the row it extends.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from runstone.config import StoreSettings
from runstone.errors import InvalidParameterValue, TemporarilyUnavailable
from runstone.uri import parse_tracking_uri, sqlite_path

T = TypeVar("T")

_WRITE_ATTEMPTS = 8

# Errors a writer may simply try again: SQLite busy, deadlocks, serialization failures,
# lock-wait timeouts and dropped connections.
_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03", "08006", "08003"}
_TRANSIENT_MYSQL_CODES = {1205, 1213, 2006, 2013}


def create_store_engine(url: str, settings: StoreSettings) -> Engine:
    sa_url = make_url(url)
    backend = sa_url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, settings.sqlite_busy_timeout_s)
    if backend == "mysql":
        query = dict(sa_url.query)
        query.setdefault("charset", "utf8mb4")
        sa_url = sa_url.set(query=query)
        engine = create_engine(
            sa_url,
            isolation_level="READ COMMITTED",
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_recycle=3600,
        )
        event.listen(engine, "connect", _mysql_on_connect)
        return engine
    if backend == "postgresql":
        return create_engine(
            sa_url,
            isolation_level="READ COMMITTED",
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            # psycopg parses ``json`` results itself (a registry page arrives as JSON built
            # by the database), with the standard library's parser unless told otherwise.
            json_deserializer=orjson.loads,
        )
    raise InvalidParameterValue(f"Unsupported database {backend!r}.")


@contextmanager
def engine_for(uri: str, settings: StoreSettings | None = None) -> Iterator[Engine]:
    """An engine for the database a tracking URI names, disposed of afterwards."""
    parsed = parse_tracking_uri(uri)
    if not parsed.is_database:
        raise InvalidParameterValue(f"{uri!r} is not a database URI.")
    engine = create_store_engine(parsed.url, settings or StoreSettings())
    try:
        yield engine
    finally:
        engine.dispose()


def _sqlite_engine(url: str, busy_timeout_s: float) -> Engine:
    path = sqlite_path(url)
    if path is None:
        raise InvalidParameterValue(
            "An in-memory SQLite database cannot be shared; give a file path."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Pooled connections hold no transaction between checkouts, so they pin no WAL snapshot.
    engine = create_engine(url, connect_args={"timeout": busy_timeout_s})
    event.listen(engine, "connect", partial(_sqlite_on_connect, busy_timeout_s))
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(busy_timeout_s: float, dbapi_conn: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module; `_sqlite_on_begin` issues BEGIN.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = FULL")  # a commit is on disk before we answer
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA case_sensitive_like = ON")  # LIKE is case-sensitive, as in MLflow
    cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def _mysql_on_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # Lets the Default experiment be stored with id 0, as MLflow numbers it.
    cur.execute("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_AUTO_VALUE_ON_ZERO')")
    # MariaDB cuts JSON aggregates (a registry page's tags and versions) at this length, 1 MiB
    # by default; unbounded, they are bounded by max_allowed_packet (16 MiB and up).
    cur.execute("SET SESSION group_concat_max_len = 4294967295")
    cur.close()


def is_transient(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:  # the server closed it; the pool now holds fresh ones
        return True
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in _TRANSIENT_SQLSTATES:
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _TRANSIENT_MYSQL_CODES:
        return True
    message = str(orig).lower()
    return isinstance(exc, OperationalError) and (
        "database is locked" in message or "database table is locked" in message
    )


def unavailable(exc: DBAPIError) -> TemporarilyUnavailable:
    """The database could not be reached or written (down, locked, read-only, full): callers
    may try again later, and the client keeps what it logged meanwhile."""
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    return TemporarilyUnavailable(f"The database is unavailable: {detail}")


class Database:
    """An engine plus the two ways Runstone touches it: a read, and a retried write."""

    def __init__(self, url: str, settings: StoreSettings) -> None:
        self.engine = create_store_engine(url, settings)
        self.dialect = self.engine.dialect.name
        self._write_engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.dialect == "sqlite"
            else self.engine
        )
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except (OperationalError, InterfaceError) as exc:
            raise unavailable(exc) from exc

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction; retry it whole if the database says "try again"."""
        return self._retried(work, self._write_engine.begin)

    def write_statement(self, work: Callable[[Connection], T]) -> T:
        """Run ``work``, which executes ONE statement, with no explicit transaction around it:
        the statement is its own transaction, and costs a single round trip (no BEGIN and
        COMMIT). Retried like :meth:`write`."""
        return self._retried(work, self._autocommit.connect)

    def _retried(self, work: Callable[[Connection], T], open_connection: Callable[[], Any]) -> T:
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                with open_connection() as conn:
                    return work(conn)
            except DBAPIError as exc:
                if not is_transient(exc) or attempt == _WRITE_ATTEMPTS - 1:
                    if is_transient(exc) or isinstance(exc, (OperationalError, InterfaceError)):
                        raise unavailable(exc) from exc
                    raise
                time.sleep(min(2.0, 0.01 * 2**attempt) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()
