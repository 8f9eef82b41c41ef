"""Real databases for tests: a new SQLite file, PostgreSQL database or MariaDB database each.

PostgreSQL (127.0.0.1:5432, user postgres, trust) and MariaDB (127.0.0.1:3306, root, no
password) are the machine's own servers. Where one is not running, its tests skip with the
reason, except under CI (``CI=true``), where they fail instead.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MYSQL_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; under CI it must run (.ci/run starts it)")
    pytest.skip(message)


@dataclass(frozen=True)
class Backend:
    name: str
    host: str | None = None
    port: int | None = None

    def require(self) -> None:
        if self.host is not None and self.port is not None:
            require_service(self.name, self.host, self.port)

    @contextmanager
    def fresh_database(self, tmp: Path) -> Iterator[str]:
        if self.name == "sqlite":
            yield f"sqlite:///{tmp / 'runstone.db'}"
            return
        db_name = f"rs_test_{uuid.uuid4().hex[:16]}"
        admin = create_engine(
            PG_ADMIN if self.name == "postgresql" else MYSQL_ADMIN, isolation_level="AUTOCOMMIT"
        )
        try:
            with admin.connect() as conn:
                if self.name == "postgresql":
                    conn.execute(text(f'CREATE DATABASE "{db_name}"'))
                else:
                    conn.execute(text(f"CREATE DATABASE `{db_name}` CHARACTER SET utf8mb4"))
            if self.name == "postgresql":
                yield f"postgresql://postgres@127.0.0.1:5432/{db_name}"
            else:
                yield f"mysql://root@127.0.0.1:3306/{db_name}"
        finally:
            with admin.connect() as conn:
                if self.name == "postgresql":
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
                else:
                    conn.execute(text(f"DROP DATABASE IF EXISTS `{db_name}`"))
            admin.dispose()


BACKENDS: dict[str, Backend] = {
    "sqlite": Backend("sqlite"),
    "postgresql": Backend("postgresql", "127.0.0.1", 5432),
    "mysql": Backend("mysql", "127.0.0.1", 3306),
}
