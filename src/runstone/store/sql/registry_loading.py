"""Registry rows -> RegisteredModel / ModelVersion entities, many at a time.

A page of models costs one query for the models plus one each for their tags, their aliases,
and their latest versions with those versions' tags, whatever the page size (per 500 models);
a page of versions one query for the versions plus one each for their tags and aliases. The
newest version in each stage of every model is kept in ``model_stage_latest``, refreshed by
every write that creates, deletes or moves a version, so reading it is a key lookup however
many versions a model has.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Row,
    Select,
    and_,
    any_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    null,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from runstone.entities import ModelStage, ModelVersion, ModelVersionStatus, RegisteredModel
from runstone.errors import NotFound
from runstone.store.sql.common import IN_CHUNK, chunked
from runstone.store.sql.filters import Condition
from runstone.store.sql.tables import (
    model_stage_latest,
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)

# The order stages are listed in by ``latest_versions`` and ``get_latest_versions``.
STAGE_ORDER: tuple[ModelStage, ...] = tuple(ModelStage)
VersionKey = tuple[int, int]
_STAGES = {stage.value: stage for stage in ModelStage}
_STATUSES = {status.name: status for status in ModelVersionStatus}
_STAGE_RANK = {stage.value: rank for rank, stage in enumerate(STAGE_ORDER)}

# A version row: the model's name, then every column of the version in table order
# (version_entity unpacks them by position).
VERSION_ROWS: Select[Any] = select(registered_models.c.name, *model_versions.c).join(
    registered_models, registered_models.c.model_key == model_versions.c.model_key
)


# -- versions -------------------------------------------------------------------------------------
# Pages of thousands of versions are read here, so rows are unpacked as tuples (not read by
# attribute name), entities are built with positional arguments, and statements that run on
# every search are built once.


def version_entity(
    name: str, row: Sequence[Any], tags: dict[str, str], aliases: Sequence[str]
) -> ModelVersion:
    """The version in ``row``, a row of :data:`VERSION_ROWS` (whose column order this unpacks)."""
    (_, _, number, created, updated, user, stage, description, source) = row[:9]
    (run_id, run_link, model_id, status, message) = row[9:14]
    return ModelVersion(
        name,
        str(number),
        created,
        updated,
        _STAGES[stage],
        description,
        user,
        source,
        run_id or "",
        run_link or "",
        model_id or "",
        _STATUSES[status],
        message or "",
        tags,
        tuple(sorted(aliases)) if aliases else (),
    )


def load_versions(conn: Connection, rows: Sequence[Sequence[Any]]) -> list[ModelVersion]:
    """Versions for rows of :data:`VERSION_ROWS`, in their order, with tags and aliases."""
    pairs = [(row[1], row[2]) for row in rows]
    tags = version_tags(conn, pairs)
    aliases = version_aliases(conn, pairs)
    return [
        version_entity(row[0], row, tags.get(pair) or {}, aliases.get(pair, ()))
        for row, pair in zip(rows, pairs, strict=True)
    ]


def version_tags(conn: Connection, pairs: Sequence[VersionKey]) -> dict[VersionKey, dict[str, str]]:
    result: dict[VersionKey, dict[str, str]] = defaultdict(dict)
    for model_key, version, key, value in _of_versions(conn, VERSION_TAGS, pairs):
        result[(model_key, version)][key] = value
    return result


def version_aliases(conn: Connection, pairs: Sequence[VersionKey]) -> dict[VersionKey, list[str]]:
    result: dict[VersionKey, list[str]] = defaultdict(list)
    for model_key, version, alias in _of_versions(conn, VERSION_ALIASES, pairs):
        result[(model_key, version)].append(alias)
    return result


def _of_versions(
    conn: Connection, query: Select[Any], pairs: Sequence[VersionKey]
) -> Iterable[Sequence[Any]]:
    """The rows of ``query`` (over one table whose first columns are model_key and version)
    that belong to the versions ``pairs`` names.

    Plain integer IN lists of model keys, each narrowed to the range of versions wanted from
    those models, read the rows through the primary key; rows of other versions are dropped
    here (binding thousands of row values costs more, as SQLAlchemy renders each one, than
    reading the few extra rows a range may hold). PostgreSQL takes many pairs at once as two
    arrays joined through ``unnest`` instead: its planner needs seconds for thousands of IN
    values. (Not for a few: it expects a hundred rows from ``unnest`` and may scan the
    whole table for them.)
    """
    if not pairs:
        return ()
    table = query.get_final_froms()[0]
    if conn.dialect.name == "postgresql" and len(pairs) > IN_CHUNK:
        keys, numbers = (list(column) for column in zip(*pairs, strict=True))
        wanted = (
            func.unnest(
                cast(bindparam("keys", keys), ARRAY(BigInteger)),
                cast(bindparam("numbers", numbers), ARRAY(BigInteger)),
            )
            .table_valued("model_key", "version")
            .render_derived()
        )
        return conn.execute(
            query.join(
                wanted,
                and_(table.c.model_key == wanted.c.model_key, table.c.version == wanted.c.version),
            )
        ).all()
    wanted_pairs = set(pairs)
    by_model: dict[int, list[int]] = defaultdict(list)
    for model_key, number in pairs:
        by_model[model_key].append(number)
    found: list[Sequence[Any]] = []
    for part in chunked(sorted(by_model)):
        low = min(min(by_model[k]) for k in part)
        high = max(max(by_model[k]) for k in part)
        rows = conn.execute(
            query.where(table.c.model_key.in_(part)).where(table.c.version.between(low, high))
        ).all()
        found += [row for row in rows if (row[0], row[1]) in wanted_pairs]
    return found


def load_models(conn: Connection, rows: Sequence[Row[Any]]) -> list[RegisteredModel]:
    """Models for rows of ``registered_models``, in their order, with tags, aliases and the
    newest version in each stage (listed in stage order: None, Staging, Production, Archived)."""
    keys = [row.model_key for row in rows]
    tags: dict[int, dict[str, str]] = defaultdict(dict)
    aliases: dict[int, dict[str, int]] = defaultdict(dict)
    latest: dict[int, dict[int, Sequence[Any]]] = defaultdict(dict)
    newest_tags: dict[VersionKey, dict[str, str]] = defaultdict(dict)
    queries = _model_page_queries(conn.dialect.name)
    for part in chunked(keys):
        bound = {"keys": json.dumps(part) if queries.keys_as_json else list(part)}
        for model_key, key, value in conn.execute(queries.tags, bound).all():
            tags[model_key][key] = value
        for model_key, alias, number in conn.execute(queries.aliases, bound).all():
            aliases[model_key][alias] = number
        for version_row in conn.execute(queries.latest, bound).all():
            model_key, number, key = version_row[1], version_row[2], version_row[14]
            latest[model_key].setdefault(number, version_row)
            if key is not None:
                newest_tags[(model_key, number)][key] = version_row[15]
    version_aliases: dict[VersionKey, list[str]] = defaultdict(list)
    for model_key, named in aliases.items():
        for alias, number in named.items():
            version_aliases[(model_key, number)].append(alias)
    return [
        RegisteredModel(
            row.name,
            row.creation_timestamp,
            row.last_updated_timestamp,
            row.description,
            row.user_id,
            tags[row.model_key],
            {a: str(n) for a, n in sorted(aliases[row.model_key].items())},
            tuple(
                version_entity(
                    row.name,
                    version,
                    newest_tags.get((version[1], version[2])) or {},
                    version_aliases.get((version[1], version[2]), ()),
                )
                for version in sorted(
                    latest[row.model_key].values(), key=lambda r: _STAGE_RANK[r[6]]
                )
            ),
        )
        for row in rows
    ]


def refresh_latest(conn: Connection, model_key: int) -> None:
    """Recompute the model's rows of ``model_stage_latest`` (the newest version in each stage),
    inside the write that changed its versions (which holds the model's row lock)."""
    mv = model_versions.c
    conn.execute(delete(model_stage_latest).where(model_stage_latest.c.model_key == model_key))
    newest = (
        select(mv.model_key, mv.current_stage, func.max(mv.version))
        .where(mv.model_key == model_key)
        .group_by(mv.model_key, mv.current_stage)
    )
    conn.execute(insert(model_stage_latest).from_select(["model_key", "stage", "version"], newest))


def latest_versions(conn: Connection, model_key: int) -> list[Row[Any]]:
    """Rows of :data:`VERSION_ROWS`: the model's newest version in each stage, in stage order."""
    latest = model_stage_latest.c
    rows = conn.execute(
        VERSION_ROWS.join(
            model_stage_latest,
            and_(
                latest.model_key == model_versions.c.model_key,
                latest.version == model_versions.c.version,
            ),
        ).where(latest.model_key == model_key)
    ).all()
    return sorted(rows, key=lambda r: _STAGE_RANK[r[6]])


VERSION_TAGS = select(
    model_version_tags.c.model_key,
    model_version_tags.c.version,
    model_version_tags.c.key,
    model_version_tags.c.value,
)
VERSION_ALIASES = select(
    registered_model_aliases.c.model_key,
    registered_model_aliases.c.version,
    registered_model_aliases.c.alias,
)


@dataclass(frozen=True, slots=True)
class _ModelPageQueries:
    """What a page of models loads, per chunk of model keys bound as ``keys``."""

    tags: Select[Any]
    aliases: Select[Any]
    # The newest version of each stage, one row per tag (key and value NULL for none).
    # Shaped like VERSION_ROWS but without the model's name (the caller has it): a join less.
    latest: Select[Any]
    keys_as_json: bool  # bind ``keys`` as a JSON array (SQLite), else as a list


@functools.cache
def _model_page_queries(dialect: str) -> _ModelPageQueries:
    """Built once per kind of database, with the keys bound as ONE parameter where the
    database allows: SQLAlchemy's expanding IN renders and binds every key on its own, which
    costs more than these queries do (PostgreSQL: 1.7 against 0.7 ms for a hundred keys).
    PostgreSQL gets ``= ANY(:keys)`` with an array, SQLite ``IN (SELECT value FROM
    json_each(:keys))`` with a JSON array; MySQL keeps the expanding IN."""

    def of_keys(column: ColumnElement[Any]) -> Condition:
        if dialect == "postgresql":
            return column == any_(bindparam("keys", type_=ARRAY(BigInteger)))
        if dialect == "sqlite":
            listed = func.json_each(bindparam("keys")).table_valued("value")
            return column.in_(select(listed.c.value))
        return column.in_(bindparam("keys", expanding=True))

    tags, aliases, newest = (
        registered_model_tags.c,
        registered_model_aliases.c,
        model_stage_latest.c,
    )
    versions, version_tags = model_versions.c, model_version_tags.c
    return _ModelPageQueries(
        tags=select(tags.model_key, tags.key, tags.value).where(of_keys(tags.model_key)),
        aliases=select(aliases.model_key, aliases.alias, aliases.version).where(
            of_keys(aliases.model_key)
        ),
        latest=select(null().label("name"), *versions, version_tags.key, version_tags.value)
        .join(
            model_stage_latest,
            and_(newest.model_key == versions.model_key, newest.version == versions.version),
        )
        .where(of_keys(newest.model_key))
        .outerjoin(
            model_version_tags,
            and_(
                version_tags.model_key == versions.model_key,
                version_tags.version == versions.version,
            ),
        ),
        keys_as_json=dialect == "sqlite",
    )


def load_model(conn: Connection, model_key: int) -> RegisteredModel:
    row = conn.execute(
        select(registered_models).where(registered_models.c.model_key == model_key)
    ).first()
    if row is None:  # only when a model made under an idempotency key was deleted since
        raise NotFound("The registered model made by this request no longer exists")
    return load_models(conn, [row])[0]
