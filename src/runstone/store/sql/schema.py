"""Schema versions: upgrade, inspect, and check before use.

Migrations run under a lock that only one process can hold (an immediate transaction on
SQLite, an advisory lock on PostgreSQL, a named lock on MySQL), so several processes opening a
new store at once migrate it exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from runstone.errors import InvalidState

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision in migrations/versions (a test checks it against Alembic's own view).
# Kept as a constant so that opening an up-to-date store does not load Alembic at all.
HEAD_REVISION = "0006"

_LOCK_NAME = "runstone_schema_migration"
_PG_LOCK_KEY = 0x52554E53544F4E45 & 0x7FFFFFFFFFFFFFFF  # "RUNSTONE", as a bigint


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config  # Alembic loads only when a migration runs

    cfg = Config()
    cfg.set_main_option("script_location", str(files("runstone.store.sql") / "migrations"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return HEAD_REVISION


def alembic_head_revision() -> str:
    """The head as Alembic finds it by reading every migration script (slow; for tests)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            return None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to ``revision``; at head, also fill in what migrations leave to the store's
    own code (registered models' summaries), in the same transaction."""
    from alembic import command

    from runstone.store.sql.registry_loading import fill_missing_summaries

    with engine.connect() as conn, _migration_lock(conn):
        command.upgrade(alembic_config(conn), revision)
        if conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION:
            fill_missing_summaries(conn)
        conn.commit()


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with engine.connect() as conn, _migration_lock(conn):
        command.downgrade(alembic_config(conn), revision)
        conn.commit()


def ensure_schema(engine: Engine, auto_migrate: bool) -> None:
    """Make sure the schema is at head before the store serves anything.

    A SQLite file, or any empty database, is brought to head when ``auto_migrate`` is on. A
    PostgreSQL or MySQL database on an older revision is left alone: upgrading a shared
    database is an operator's decision, taken with ``runstone db upgrade``.
    """
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    if current is None and _has_user_tables(engine):
        raise InvalidState(
            "The database has tables but no Runstone schema version; it is not a Runstone "
            "store (or was created by another tool)."
        )
    if auto_migrate and (engine.dialect.name == "sqlite" or current is None):
        upgrade(engine)
        return
    raise InvalidState(
        f"The database schema is at revision {current or 'none'}, this Runstone needs {head}. "
        f"Run `runstone db upgrade <database URI>` first."
    )


def _has_user_tables(engine: Engine) -> bool:
    names = set(inspect(engine).get_table_names()) - {"alembic_version"}
    return bool(names)


@contextmanager
def _migration_lock(conn: Connection) -> Iterator[None]:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()
    elif dialect == "mysql":
        conn.execute(text("SELECT GET_LOCK(:n, 600)"), {"n": _LOCK_NAME})
        conn.commit()
        try:
            yield
        finally:
            conn.rollback()
            conn.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": _LOCK_NAME})
            conn.commit()
    else:
        # SQLite: the migration runs inside one BEGIN IMMEDIATE transaction on this connection.
        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        yield
