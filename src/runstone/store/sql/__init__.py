"""The SQL store: SQLAlchemy Core over SQLite, PostgreSQL and MySQL/MariaDB."""

from runstone.store.sql.store import SqlStore

__all__ = ["SqlStore"]
