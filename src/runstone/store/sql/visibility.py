"""Which experiments and registered models a user may read, as SQL conditions for searches.

A search made for a signed-in user who is not an admin is narrowed by one of these conditions,
in the same query, so paging stays right and no page is read twice. A grant of READ or more
makes a resource readable; without a grant the server's default permission decides. With a
readable default the condition excludes the resources the user was explicitly refused (a
``NOT IN`` over their NO_PERMISSIONS grants); with an unreadable default it keeps only those
they were granted (an ``IN`` over their readable grants). Both subqueries read the grant
table's ``user_id`` index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, select

from runstone.store.sql.auth_entities import Permission
from runstone.store.sql.tables import auth_experiment_permissions, auth_registered_model_permissions

_READABLE = [p.name for p in Permission if p.can_read]


@dataclass(frozen=True, slots=True)
class Reader:
    """Who a search is for: a user who is not an admin, and the server's default permission."""

    user_id: int
    default: Permission


def readable_experiments(column: ColumnElement[Any], reader: Reader) -> ColumnElement[bool]:
    """A condition on ``column`` (an experiment id) keeping what ``reader`` may read."""
    table = auth_experiment_permissions
    return _readable(column, table, table.c.experiment_id, reader)


def readable_models(column: ColumnElement[Any], reader: Reader) -> ColumnElement[bool]:
    """A condition on ``column`` (a registered model's key) keeping what ``reader`` may read."""
    table = auth_registered_model_permissions
    return _readable(column, table, table.c.model_key, reader)


def _readable(
    column: ColumnElement[Any], table: Table, key: ColumnElement[Any], reader: Reader
) -> ColumnElement[bool]:
    mine = table.c.user_id == reader.user_id
    if reader.default.can_read:
        refused = select(key).where(mine, table.c.permission.not_in(_READABLE))
        return column.not_in(refused)
    granted = select(key).where(mine, table.c.permission.in_(_READABLE))
    return column.in_(granted)
