"""Idempotency keys: a create retried with the same key returns what the first attempt made.

A client that lost the answer to a create (a timeout, a dropped connection) cannot know whether
the run or experiment exists. Sent again with the same ``Idempotency-Key``, the create finds the
key, recorded in the same transaction as the first creation, and answers with that object.
Keys are kept for a day.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from runstone.store.sql.common import now_ms
from runstone.store.sql.engine import Database
from runstone.store.sql.tables import idempotency_keys

KEEP_MS = 24 * 3600 * 1000
_PURGE_CHANCE = 0.01  # old keys are purged by about one create in a hundred

T = TypeVar("T")


def once(
    db: Database,
    operation: str,
    key: str | None,
    create: Callable[[Connection], tuple[str, T]],
    load: Callable[[Connection, str], T],
) -> T:
    """Run ``create`` (which returns the new object's id and the object) at most once per key.

    Without a key it simply runs. With one, an earlier result is loaded instead; a concurrent
    twin that commits first makes this attempt roll back and load the twin's result.
    """
    if key is None:
        return db.write(create)[1]

    def work(conn: Connection) -> T:
        earlier = _recorded(conn, operation, key)
        if earlier is not None:
            return load(conn, earlier)
        made_id, made = create(conn)
        now = now_ms()
        conn.execute(
            insert(idempotency_keys).values(
                key=key, operation=operation, result=made_id, created_time=now
            )
        )
        if random.random() < _PURGE_CHANCE:
            conn.execute(
                delete(idempotency_keys).where(idempotency_keys.c.created_time < now - KEEP_MS)
            )
        return made

    try:
        return db.write(work)
    except IntegrityError:
        with db.read() as conn:
            earlier = _recorded(conn, operation, key)
            if earlier is None:
                raise
            return load(conn, earlier)


def recorded(db: Database, operation: str, key: str | None) -> str | None:
    """The result recorded for ``key``, if a create with it has committed."""
    if key is None:
        return None
    with db.read() as conn:
        return _recorded(conn, operation, key)


def _recorded(conn: Connection, operation: str, key: str) -> str | None:
    return conn.execute(
        select(idempotency_keys.c.result)
        .where(idempotency_keys.c.operation == operation)
        .where(idempotency_keys.c.key == key)
    ).scalar()
