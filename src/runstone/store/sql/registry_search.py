"""Registry reads: stored rows -> RegisteredModel / ModelVersion entities, the two searches,
single-row lookups and download URIs.

Entities are loaded many at a time: a page of models costs one query for the models plus one
each for their tags, aliases, latest versions and those versions' tags, whatever the page size
(per 500 models); a page of versions one query for the versions plus one each for their tags
and aliases (per few thousand versions). Nothing is ever loaded one model or version at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    cast,
    exists,
    func,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import KeyedColumnElement

from runstone.entities import (
    ModelStage,
    ModelVersion,
    ModelVersionStatus,
    Page,
    RegisteredModel,
)
from runstone.errors import InvalidParameterValue, NotFound
from runstone.search import (
    Comparison,
    Entity,
    Expr,
    Op,
    OrderBy,
    SearchKind,
    parse_filter,
    parse_order_by,
)
from runstone.store import validation as v
from runstone.store.paging import decode_page_token, next_token
from runstone.store.sql.common import chunked
from runstone.store.sql.filters import Condition, combine, compare
from runstone.store.sql.tables import (
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)

# Registered models tagged like this are prompts, which registry searches leave out unless
# the filter asks about the tag.
PROMPT_TAG = "mlflow.prompt.is_prompt"
# The order stages are listed in by ``latest_versions`` and ``get_latest_versions``.
STAGE_ORDER: tuple[ModelStage, ...] = tuple(ModelStage)
# How many ``models:/`` hops a download URI may take before the chain is called a loop.
MAX_SOURCE_HOPS = 10
# (model_key, version) pairs per tuple-IN query: two bound parameters each, well below
# SQLite's 32766 and PostgreSQL's 65535.
PAIR_CHUNK = 5000

VersionKey = tuple[int, int]
_STAGES = {stage.value: stage for stage in ModelStage}
_STATUSES = {status.name: status for status in ModelVersionStatus}

# A version row: the model's name and every column of the version.
VERSION_ROWS: Select[Any] = select(registered_models.c.name, model_versions).join(
    registered_models, registered_models.c.model_key == model_versions.c.model_key
)

_VERSION_ATTRIBUTES: dict[str, KeyedColumnElement[Any]] = {
    "name": registered_models.c.name,
    "run_id": model_versions.c.run_id,
    "source_path": model_versions.c.source,
    "version_number": model_versions.c.version,
    "creation_timestamp": model_versions.c.creation_timestamp,
    "last_updated_timestamp": model_versions.c.last_updated_timestamp,
}

_MODEL_ATTRIBUTES: dict[str, KeyedColumnElement[Any]] = {
    "name": registered_models.c.name,
    "last_updated_timestamp": registered_models.c.last_updated_timestamp,
}


# -- loading -------------------------------------------------------------------------------------


def version_entity(
    name: str, row: Row[Any], tags: dict[str, str], aliases: Iterable[str]
) -> ModelVersion:
    return ModelVersion(
        name=name,
        version=str(row.version),
        creation_timestamp=row.creation_timestamp,
        last_updated_timestamp=row.last_updated_timestamp,
        current_stage=_STAGES[row.current_stage],
        description=row.description,
        user_id=row.user_id,
        source=row.source,
        run_id=row.run_id or "",
        run_link=row.run_link or "",
        model_id=row.model_id or "",
        status=_STATUSES[row.status],
        status_message=row.status_message or "",
        tags=tags,
        aliases=tuple(sorted(aliases)),
    )


def load_versions(conn: Connection, rows: Sequence[Row[Any]]) -> list[ModelVersion]:
    """Versions for rows of :data:`VERSION_ROWS`, in their order, with tags and aliases."""
    pairs = [(row.model_key, row.version) for row in rows]
    tags = version_tags(conn, pairs)
    aliases = version_aliases(conn, pairs)
    return [
        version_entity(row.name, row, tags.get(pair, {}), aliases.get(pair, ()))
        for row, pair in zip(rows, pairs, strict=True)
    ]


def version_tags(conn: Connection, pairs: Sequence[VersionKey]) -> dict[VersionKey, dict[str, str]]:
    result: dict[VersionKey, dict[str, str]] = defaultdict(dict)
    table = model_version_tags
    query = select(table.c.model_key, table.c.version, table.c.key, table.c.value)
    for model_key, version, key, value in _of_versions(conn, query, table, pairs):
        result[(model_key, version)][key] = value
    return result


def version_aliases(conn: Connection, pairs: Sequence[VersionKey]) -> dict[VersionKey, list[str]]:
    result: dict[VersionKey, list[str]] = defaultdict(list)
    table = registered_model_aliases
    query = select(table.c.model_key, table.c.version, table.c.alias)
    for model_key, version, alias in _of_versions(conn, query, table, pairs):
        result[(model_key, version)].append(alias)
    return result


def _of_versions(
    conn: Connection, query: Select[Any], table: Table, pairs: Sequence[VersionKey]
) -> Iterator[Sequence[Any]]:
    """The rows of ``query`` (over ``table``) that belong to the versions ``pairs`` names.

    PostgreSQL takes all pairs at once as two arrays joined through ``unnest`` (its planner
    needs seconds for a few thousand row values in an IN list); the others take tuple-IN
    lists of :data:`PAIR_CHUNK` pairs.
    """
    if not pairs:
        return
    if conn.dialect.name == "postgresql":
        keys, numbers = (list(column) for column in zip(*pairs, strict=True))
        wanted = (
            func.unnest(
                cast(bindparam("keys", keys), ARRAY(BigInteger)),
                cast(bindparam("numbers", numbers), ARRAY(BigInteger)),
            )
            .table_valued("model_key", "version")
            .render_derived()
        )
        yield from conn.execute(
            query.join(
                wanted,
                and_(table.c.model_key == wanted.c.model_key, table.c.version == wanted.c.version),
            )
        ).all()
        return
    for part in chunked(pairs, PAIR_CHUNK):
        yield from conn.execute(
            query.where(tuple_(table.c.model_key, table.c.version).in_(part))
        ).all()


def load_models(conn: Connection, rows: Sequence[Row[Any]]) -> list[RegisteredModel]:
    """Models for rows of ``registered_models``, in their order, with tags, aliases and the
    newest version in each stage (listed in stage order: None, Staging, Production, Archived)."""
    names = {row.model_key: row.name for row in rows}
    tags: dict[int, dict[str, str]] = defaultdict(dict)
    aliases: dict[int, dict[str, int]] = defaultdict(dict)
    latest: dict[int, list[ModelVersion]] = defaultdict(list)
    for part in chunked(list(names)):
        query = select(registered_model_tags).where(registered_model_tags.c.model_key.in_(part))
        for row in conn.execute(query):
            tags[row.model_key][row.key] = row.value
        query = select(registered_model_aliases).where(
            registered_model_aliases.c.model_key.in_(part)
        )
        for row in conn.execute(query):
            aliases[row.model_key][row.alias] = row.version
        for model_key, version in _latest_versions(conn, part, names, aliases):
            latest[model_key].append(version)
    return [
        RegisteredModel(
            name=row.name,
            creation_timestamp=row.creation_timestamp,
            last_updated_timestamp=row.last_updated_timestamp,
            description=row.description,
            user_id=row.user_id,
            tags=tags[row.model_key],
            aliases={a: str(n) for a, n in sorted(aliases[row.model_key].items())},
            latest_versions=tuple(latest[row.model_key]),
        )
        for row in rows
    ]


def _latest_versions(
    conn: Connection,
    model_keys: Sequence[int],
    names: dict[int, str],
    aliases: dict[int, dict[str, int]],
) -> list[tuple[int, ModelVersion]]:
    newest = latest_per_stage(model_keys).subquery()
    query = select(model_versions).join(
        newest,
        and_(
            newest.c.model_key == model_versions.c.model_key,
            newest.c.version == model_versions.c.version,
        ),
    )
    rows = sorted(
        conn.execute(query).all(),
        key=lambda r: (r.model_key, STAGE_ORDER.index(ModelStage(r.current_stage))),
    )
    tags = version_tags(conn, [(r.model_key, r.version) for r in rows])
    return [
        (
            r.model_key,
            version_entity(
                names[r.model_key],
                r,
                tags.get((r.model_key, r.version), {}),
                [a for a, n in aliases[r.model_key].items() if n == r.version],
            ),
        )
        for r in rows
    ]


def latest_per_stage(model_keys: Sequence[int]) -> Select[Any]:
    """(model_key, current_stage, version) of the newest version in each stage of each model,
    read off the (model_key, current_stage, version) index."""
    mv = model_versions.c
    return (
        select(mv.model_key, mv.current_stage, func.max(mv.version).label("version"))
        .where(mv.model_key.in_(list(model_keys)))
        .group_by(mv.model_key, mv.current_stage)
    )


# -- searching registered models -----------------------------------------------------------------


def search_models(
    conn: Connection,
    filter_string: str | None,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> Page[RegisteredModel]:
    limit = v.check_max_results(max_results, v.MAX_REGISTERED_MODELS_PAGE)
    offset = decode_page_token(page_token)
    expr = parse_filter(filter_string, SearchKind.REGISTERED_MODELS)
    ordering = _model_ordering(parse_order_by(order_by, SearchKind.REGISTERED_MODELS))
    query = select(registered_models).order_by(*ordering).limit(limit + 1).offset(offset)
    if expr is not None:
        query = query.where(combine(expr, _model_leaf))
    if not mentions_tag(expr, PROMPT_TAG):
        query = query.where(~is_prompt(registered_models.c.model_key))
    rows = conn.execute(query).all()
    return Page(tuple(load_models(conn, rows[:limit])), next_token(offset, limit, len(rows)))


def _model_leaf(cmp: Comparison) -> Condition:
    if cmp.entity is Entity.TAG:
        table = registered_model_tags
        if cmp.key == PROMPT_TAG and cmp.op is Op.NE:
            # MLflow's clients add ``tags.`mlflow.prompt.is_prompt` != 'true'`` to every
            # registry search: a model without the tag is no prompt, so it must match.
            return ~exists(
                select(table.c.key)
                .where(table.c.model_key == registered_models.c.model_key)
                .where(table.c.key == PROMPT_TAG)
                .where(table.c.value == cmp.value)
            )
        return exists(
            select(table.c.key)
            .where(table.c.model_key == registered_models.c.model_key)
            .where(table.c.key == cmp.key)
            .where(compare(table.c.value, cmp.op, cmp.value))
        )
    return compare(_attribute(_MODEL_ATTRIBUTES, cmp.key, "Registered models"), cmp.op, cmp.value)


def _model_ordering(order: Sequence[OrderBy]) -> list[Any]:
    clauses: list[Any] = []
    for item in order:
        column = _attribute(_MODEL_ATTRIBUTES, item.key, "Registered models")
        clauses.append(column if item.ascending else column.desc())
    if not any(o.key == "name" for o in order):
        clauses.append(registered_models.c.name)
    return clauses


def mentions_tag(expr: Expr | None, key: str) -> bool:
    if expr is None:
        return False
    if isinstance(expr, Comparison):
        return expr.entity is Entity.TAG and expr.key == key
    return any(mentions_tag(term, key) for term in expr.terms)


def is_prompt(model_key: ColumnElement[Any]) -> Condition:
    table = registered_model_tags
    return exists(
        select(table.c.key)
        .where(table.c.model_key == model_key)
        .where(table.c.key == PROMPT_TAG)
        .where(table.c.value == "true")
    )


# -- searching model versions --------------------------------------------------------------------


def search_versions(
    conn: Connection,
    filter_string: str | None,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> Page[ModelVersion]:
    """Versions of every model (prompts' versions only when the filter asks about the prompt
    tag), by default newest change first."""
    limit = v.check_max_results(max_results, v.MAX_MODEL_VERSIONS_PAGE)
    offset = decode_page_token(page_token)
    expr = parse_filter(filter_string, SearchKind.MODEL_VERSIONS)
    ordering = _version_ordering(parse_order_by(order_by, SearchKind.MODEL_VERSIONS))
    query = VERSION_ROWS.order_by(*ordering).limit(limit + 1).offset(offset)
    if expr is not None:
        query = query.where(combine(expr, _version_leaf))
    if not mentions_tag(expr, PROMPT_TAG):
        query = query.where(~is_prompt(model_versions.c.model_key))
    rows = conn.execute(query).all()
    return Page(tuple(load_versions(conn, rows[:limit])), next_token(offset, limit, len(rows)))


def _version_leaf(cmp: Comparison) -> Condition:
    if cmp.entity is Entity.TAG:
        if cmp.key == PROMPT_TAG:  # a model's tag, also set on its versions
            return _model_leaf(cmp)
        table = model_version_tags
        return exists(
            select(table.c.key)
            .where(table.c.model_key == model_versions.c.model_key)
            .where(table.c.version == model_versions.c.version)
            .where(table.c.key == cmp.key)
            .where(compare(table.c.value, cmp.op, cmp.value))
        )
    return compare(_attribute(_VERSION_ATTRIBUTES, cmp.key, "Model versions"), cmp.op, cmp.value)


def _version_ordering(order: Sequence[OrderBy]) -> list[Any]:
    """``order``, then the default keys it does not name (so pages are stable):
    last_updated_timestamp DESC, name ASC, version_number DESC."""
    defaults = [
        OrderBy(Entity.ATTRIBUTE, "last_updated_timestamp", ascending=False),
        OrderBy(Entity.ATTRIBUTE, "name"),
        OrderBy(Entity.ATTRIBUTE, "version_number", ascending=False),
    ]
    named = {o.key for o in order}
    clauses: list[Any] = []
    for item in [*order, *(d for d in defaults if d.key not in named)]:
        column = _attribute(_VERSION_ATTRIBUTES, item.key, "Model versions")
        clauses.append(column if item.ascending else column.desc())
    return clauses


def _attribute(
    columns: dict[str, KeyedColumnElement[Any]], key: str, what: str
) -> KeyedColumnElement[Any]:
    column = columns.get(key)
    if column is None:
        raise InvalidParameterValue(f"{what} cannot be searched or ordered by {key!r}.")
    return column


# -- single rows, download URIs, errors ----------------------------------------------------------


def find_model(conn: Connection, name: str, for_update: bool = False) -> Row[Any] | None:
    query = select(registered_models).where(registered_models.c.name == name)
    if for_update:
        query = query.with_for_update()
    return conn.execute(query).first()


def model_row(conn: Connection, name: str, for_update: bool = False) -> Row[Any]:
    """The model's row (locked until commit with ``for_update``); NotFound if there is none."""
    row = find_model(conn, name, for_update)
    if row is None:
        raise model_not_found(name)
    return row


def load_model(conn: Connection, model_key: int) -> RegisteredModel:
    row = conn.execute(
        select(registered_models).where(registered_models.c.model_key == model_key)
    ).first()
    if row is None:  # only when a model made under an idempotency key was deleted since
        raise NotFound("The registered model made by this request no longer exists")
    return load_models(conn, [row])[0]


def version_row(conn: Connection, name: str, number: int) -> Row[Any]:
    """The version's row of :data:`VERSION_ROWS`; NotFound if there is none."""
    query = VERSION_ROWS.where(registered_models.c.name == name).where(
        model_versions.c.version == number
    )
    row = conn.execute(query).first()
    if row is None:
        raise version_not_found(name, number)
    return row


def alias_row(conn: Connection, name: str, alias: str) -> Row[Any] | None:
    """The row of :data:`VERSION_ROWS` that the model's ``alias`` points at, if any."""
    aliases = registered_model_aliases
    query = VERSION_ROWS.join(
        aliases,
        (aliases.c.model_key == model_versions.c.model_key)
        & (aliases.c.version == model_versions.c.version),
    ).where(registered_models.c.name == name, aliases.c.alias == alias)
    return conn.execute(query).first()


def download_uri(conn: Connection, name: str, number: int) -> str:
    """The version's source, followed through the registry while it names another version
    (``models:/<name>/<version>`` or ``models:/<name>@<alias>``), at most
    :data:`MAX_SOURCE_HOPS` times and never in a circle."""
    seen: list[str] = []
    source = str(version_row(conn, name, number).source)
    while (target := _registry_target(source)) is not None:
        if source in seen or len(seen) >= MAX_SOURCE_HOPS:
            raise InvalidParameterValue(
                f"The source of model version (name={name}, version={number}) leads through "
                f"{' -> '.join([*seen, source])}, which does not end in a location (a loop, "
                f"or more than {MAX_SOURCE_HOPS} registry hops)."
            )
        seen.append(source)
        target_name, alias, target_number = target
        if alias is None:
            source = str(version_row(conn, target_name, target_number).source)
            continue
        row = alias_row(conn, target_name, alias)
        if row is None:
            raise alias_not_found(alias)
        source = str(row.source)
    return source


def _registry_target(source: str) -> tuple[str, str | None, int] | None:
    """``(name, alias, number)`` when ``source`` names a registered model version, by number
    (``models:/<name>/<number>``, alias None) or by alias (``models:/<name>@<alias>``);
    None for anything else, including a logged model's ``models:/<model_id>``."""
    if not source.startswith("models:/"):
        return None
    rest = source[len("models:/") :].strip("/")
    name, slash, number = rest.partition("/")
    if slash:
        if number.isascii() and number.isdigit():
            return name, None, int(number)
        return None
    name, at, alias = rest.rpartition("@")
    return (name, alias, 0) if at else None


def model_not_found(name: str) -> NotFound:
    return NotFound(f"Registered Model with name={name} not found")


def version_not_found(name: str, number: int) -> NotFound:
    return NotFound(f"Model Version (name={name}, version={number}) not found")


def alias_not_found(alias: str) -> NotFound:
    return NotFound(f"Registered model alias {alias} not found.")
