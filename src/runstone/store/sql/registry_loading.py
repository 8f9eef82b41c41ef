"""Registry rows -> RegisteredModel / ModelVersion entities, many at a time.

A page of models is one read of their rows: each keeps a JSON summary of its tags, aliases
and latest versions, rewritten by every write that changes them. A page of versions costs
one query for the versions plus one each for their tags and aliases. The newest version in
each stage of every model is kept in ``model_stage_latest``, refreshed by every write that
creates, deletes or moves a version, so reading it is a key lookup however many versions a
model has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Connection,
    Row,
    Select,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    null,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import KeyedColumnElement

from runstone.entities import ModelStage, ModelVersion, ModelVersionStatus, RegisteredModel
from runstone.errors import NotFound
from runstone.store.sql.common import IN_CHUNK, chunked, collector_paused
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


# -- models ---------------------------------------------------------------------------------------
# Each model's row keeps a summary of its children, one JSON text: ``[tags, aliases, latest]``,
# tags an object, aliases an object of version numbers, and latest the newest version in each
# stage, in stage order, each as the columns of a :data:`VERSION_ROWS` row after the name
# (the name left null) with the version's tags object appended. The database builds it from
# the child tables (:func:`_summary_sources`), and every registry write that changes a model's
# tags, aliases or versions rewrites it in its transaction (:func:`refresh_summaries`), so a
# page of models is one read of one table however many children they have. A NULL summary
# (a store migrated from before summaries, not yet filled in) is built when read.

_MODEL_COLUMNS = (
    registered_models.c.name,
    registered_models.c.description,
    registered_models.c.user_id,
    registered_models.c.creation_timestamp,
    registered_models.c.last_updated_timestamp,
    registered_models.c.model_key,
    registered_models.c.summary,
)


def models_query(
    where: Sequence[Condition],
    order: Sequence[tuple[KeyedColumnElement[Any], bool]] = (),
    limit: int | None = None,
    offset: int = 0,
) -> Select[Any]:
    """The statement :func:`read_models` runs: the models matching ``where`` (conditions on
    ``registered_models``), sorted by ``order`` ((column of registered_models, ascending)
    pairs) and cut to ``offset`` and ``limit``."""
    clauses = [column if ascending else column.desc() for column, ascending in order]
    query = select(*_MODEL_COLUMNS).where(*where).order_by(*clauses)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return query


def read_models(conn: Connection, query: Select[Any]) -> list[RegisteredModel]:
    """The models a :func:`models_query` statement finds, in its order, each with its tags,
    aliases and the newest version in each stage (in stage order: None, Staging, Production,
    Archived)."""
    with collector_paused():
        rows = conn.execute(query).all()
        missing = [row[5] for row in rows if row[6] is None]
        built = build_summaries(conn, missing) if missing else {}
        return [_model_entity(row, built) for row in rows]


def load_model(conn: Connection, model_key: int) -> RegisteredModel:
    where = [registered_models.c.model_key == model_key]
    models = read_models(conn, models_query(where))
    if not models:  # only when a model made under an idempotency key was deleted since
        raise NotFound("The registered model made by this request no longer exists")
    return models[0]


def refresh_summaries(conn: Connection, model_keys: Sequence[int]) -> None:
    """Rewrite the summaries of these models from their child rows: inside the write that
    changed them, which holds the models' row locks."""
    built = build_summaries(conn, model_keys)
    if built:
        conn.execute(
            update(registered_models)
            .where(registered_models.c.model_key == bindparam("the_key"))
            .values(summary=bindparam("the_summary")),
            [{"the_key": key, "the_summary": text} for key, text in built.items()],
        )


def fill_missing_summaries(conn: Connection) -> int:
    """Build every summary that is NULL (after a migration from before summaries); how many."""
    query = select(registered_models.c.model_key).where(registered_models.c.summary.is_(None))
    keys = list(conn.execute(query).scalars())
    for part in chunked(keys):
        refresh_summaries(conn, part)
    return len(keys)


def build_summaries(conn: Connection, model_keys: Sequence[int]) -> dict[int, str]:
    """The summary text of each of these models (those that exist), from their child rows."""
    built: dict[int, str] = {}
    for part in chunked(list(model_keys)):
        for model_key, tags, aliases, latest in conn.execute(
            _summary_sources(conn.dialect.name, part)
        ):
            versions = _json(latest) or []
            for version in versions:
                version[14] = _json(version[14])
            versions.sort(key=_stage_rank)
            summary = [_json(tags), _json(aliases), versions]
            built[model_key] = orjson.dumps(summary).decode()
    return built


def _summary_sources(dialect: str, model_keys: Sequence[int]) -> Select[Any]:
    """(model_key, tags, aliases, latest versions) of each model in ``model_keys``, the last
    three JSON built by the database: tags as an object, aliases as an object of version
    numbers, the latest versions as an array of arrays shaped like rows of
    :data:`VERSION_ROWS` (the model's name left NULL) with the version's tags appended."""
    json = _JSON_FUNCTIONS.get(dialect, _MYSQL_JSON)
    tags, aliases, latest = (
        registered_model_tags.c,
        registered_model_aliases.c,
        model_stage_latest.c,
    )
    versions, version_tags = model_versions.c, model_version_tags.c
    model_key = registered_models.c.model_key
    of_version = select(json.object_of(version_tags.key, version_tags.value)).where(
        version_tags.model_key == versions.model_key, version_tags.version == versions.version
    )
    newest = (
        select(json.array_of(json.array(null(), *versions, of_version.scalar_subquery())))
        .select_from(model_stage_latest)
        .join(
            model_versions,
            and_(versions.model_key == latest.model_key, versions.version == latest.version),
        )
        .where(latest.model_key == model_key)
    )
    return select(
        model_key,
        select(json.object_of(tags.key, tags.value))
        .where(tags.model_key == model_key)
        .scalar_subquery(),
        select(json.object_of(aliases.alias, aliases.version))
        .where(aliases.model_key == model_key)
        .scalar_subquery(),
        newest.scalar_subquery(),
    ).where(model_key.in_(model_keys))


@dataclass(frozen=True, slots=True)
class _JsonFunctions:
    """One kind of database's names for JSON built from rows. The aggregates give NULL over
    no rows, except SQLite's."""

    array: Any  # values -> array
    array_of: Any  # aggregate: one value per row -> array
    object_of: Any  # aggregate: (key, value) per row -> object


_MYSQL_JSON = _JsonFunctions(func.json_array, func.json_arrayagg, func.json_objectagg)
_JSON_FUNCTIONS = {
    "sqlite": _JsonFunctions(func.json_array, func.json_group_array, func.json_group_object),
    "postgresql": _JsonFunctions(func.json_build_array, func.json_agg, func.json_object_agg),
}


def _json(value: Any) -> Any:
    """JSON the database built: text (SQLite, MySQL), already parsed (PostgreSQL's driver
    parses ``json``), or NULL (an aggregate over no rows: nothing)."""
    if isinstance(value, str):
        return orjson.loads(value)
    return value or {}


def _model_entity(row: Sequence[Any], built: dict[int, str]) -> RegisteredModel:
    name, description, user_id, created, updated, model_key, summary = row
    tags, named, versions = orjson.loads(built[model_key] if summary is None else summary)
    by_version: dict[int, list[str]] = {}
    for alias in sorted(named):
        by_version.setdefault(named[alias], []).append(alias)
    return RegisteredModel(
        name,
        created,
        updated,
        description,
        user_id,
        tags,
        {alias: str(named[alias]) for alias in sorted(named)},
        tuple([version_entity(name, v, v[14], by_version.get(v[2], ())) for v in versions]),
    )


def _stage_rank(version: Sequence[Any]) -> int:
    return _STAGE_RANK[version[6]]


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
