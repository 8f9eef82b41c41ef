"""Registry reads: the two searches, single-row lookups and download URIs.

Turning rows into entities, many at a time, is :mod:`registry_loading`'s job.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Join,
    Row,
    Select,
    and_,
    exists,
    select,
)
from sqlalchemy.sql.elements import KeyedColumnElement

from runstone.entities import (
    ModelVersion,
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
from runstone.store.sql.common import collector_paused
from runstone.store.sql.filters import Condition, attribute, combine, compare
from runstone.store.sql.registry_loading import (
    VERSION_ALIASES,
    VERSION_ROWS,
    VERSION_TAGS,
    VersionKey,
    load_versions,
    models_query,
    read_models,
    version_entity,
)
from runstone.store.sql.tables import (
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)
from runstone.store.sql.visibility import Reader, readable_models

# Registered models tagged like this are prompts, which registry searches leave out unless
# the filter asks about the tag.
PROMPT_TAG = "mlflow.prompt.is_prompt"
# How many ``models:/`` hops a download URI may take before the chain is called a loop.
MAX_SOURCE_HOPS = 10

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


# -- searching registered models -----------------------------------------------------------------


def search_models(
    conn: Connection,
    filter_string: str | None,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
    reader: Reader | None = None,
) -> Page[RegisteredModel]:
    limit = v.check_max_results(max_results, v.MAX_REGISTERED_MODELS_PAGE)
    offset = decode_page_token(page_token)
    ordering = tuple(order_by or ())
    query = _models_search(filter_string, ordering, limit + 1, offset, reader)
    models = read_models(conn, query)
    return Page(tuple(models[:limit]), next_token(offset, limit, len(models)))


@functools.lru_cache(maxsize=256)
def _models_search(
    filter_string: str | None,
    order_by: tuple[str, ...],
    limit: int,
    offset: int,
    reader: Reader | None,
) -> Select[Any]:
    """The statement of one search, built once: parsing the filter and building the
    statement cost a tenth of what running it on a page of a hundred models does. (Invalid
    searches raise, and exceptions are not cached.)"""
    expr = parse_filter(filter_string, SearchKind.REGISTERED_MODELS)
    ordering = _model_ordering(parse_order_by(order_by, SearchKind.REGISTERED_MODELS))
    where: list[Condition] = []
    if expr is not None:
        where.append(combine(expr, _model_leaf))
    if not mentions_tag(expr, PROMPT_TAG):
        where.append(not_a_prompt(registered_models.c.model_key))
    if reader is not None:
        where.append(readable_models(registered_models.c.model_key, reader))
    return models_query(where, ordering, limit, offset)


def _model_leaf(cmp: Comparison) -> Condition:
    """A condition on ``registered_models``. Tag comparisons are uncorrelated IN subqueries
    (read once per search through the tag-key index, not probed once per model)."""
    if cmp.entity is Entity.TAG:
        table = registered_model_tags
        if cmp.key == PROMPT_TAG and cmp.op is Op.NE:
            # MLflow's clients add ``tags.`mlflow.prompt.is_prompt` != 'true'`` to every
            # registry search: a model without the tag is no prompt, so it must match.
            tagged = (
                select(table.c.model_key)
                .where(table.c.key == PROMPT_TAG, table.c.value == cmp.value)
                .correlate(None)
            )
            return registered_models.c.model_key.not_in(tagged)
        tagged = (
            select(table.c.model_key)
            .where(table.c.key == cmp.key, compare(table.c.value, cmp.op, cmp.value))
            .correlate(None)
        )
        return registered_models.c.model_key.in_(tagged)
    return compare(attribute(_MODEL_ATTRIBUTES, cmp.key), cmp.op, cmp.value)


def _model_ordering(order: Sequence[OrderBy]) -> list[tuple[KeyedColumnElement[Any], bool]]:
    """(column, ascending) pairs, ending with the name when the order does not name it."""
    pairs = [(attribute(_MODEL_ATTRIBUTES, item.key), item.ascending) for item in order]
    if not any(o.key == "name" for o in order):
        pairs.append((registered_models.c.name, True))
    return pairs


def mentions_tag(expr: Expr | None, key: str) -> bool:
    if expr is None:
        return False
    if isinstance(expr, Comparison):
        return expr.entity is Entity.TAG and expr.key == key
    return any(mentions_tag(term, key) for term in expr.terms)


def not_a_prompt(model_key: ColumnElement[Any]) -> Condition:
    """``model_key`` is no prompt's: an uncorrelated NOT IN, which databases evaluate once
    per query rather than once per row (prompts are few)."""
    table = registered_model_tags
    prompts = (
        select(table.c.model_key)
        .where(table.c.key == PROMPT_TAG, table.c.value == "true")
        .correlate(None)
    )
    return model_key.not_in(prompts)


# -- searching model versions --------------------------------------------------------------------


def search_versions(
    conn: Connection,
    filter_string: str | None,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
    reader: Reader | None = None,
) -> Page[ModelVersion]:
    """Versions of every model (prompts' versions only when the filter asks about the prompt
    tag; with ``reader``, only of models it may read), by default newest change first."""
    limit = v.check_max_results(max_results, v.MAX_MODEL_VERSIONS_PAGE)
    offset = decode_page_token(page_token)
    expr = parse_filter(filter_string, SearchKind.MODEL_VERSIONS)
    ordering = _version_ordering(parse_order_by(order_by, SearchKind.MODEL_VERSIONS))
    matches = None if expr is None else combine(expr, _version_leaf)
    hide_prompts = not mentions_tag(expr, PROMPT_TAG)
    query = _matching(VERSION_ROWS, matches, hide_prompts, reader)
    with collector_paused():
        rows = conn.execute(query.order_by(*ordering).limit(limit + 1).offset(offset)).all()
        token = next_token(offset, limit, len(rows))
        if offset or token:
            return Page(tuple(load_versions(conn, rows[:limit])), token)
        # Every match is on this page (the common case: one model's versions, or all of them):
        # their tags and aliases are read with the same conditions instead of naming thousands
        # of versions in IN lists.
        tags: dict[VersionKey, dict[str, str]] = defaultdict(dict)
        query = _matching(VERSION_TAGS, matches, hide_prompts, reader)
        for model_key, number, key, value in conn.execute(query).all():
            tags[(model_key, number)][key] = value
        aliases: dict[VersionKey, list[str]] = defaultdict(list)
        query = _matching(VERSION_ALIASES, matches, hide_prompts, reader)
        for model_key, number, alias in conn.execute(query).all():
            aliases[(model_key, number)].append(alias)
        return Page(
            tuple(
                version_entity(
                    row[0],
                    row,
                    tags.get((row[1], row[2])) or {},
                    aliases.get((row[1], row[2]), ()),
                )
                for row in rows
            )
        )


def _matching(
    query: Select[Any], matches: Condition | None, hide_prompts: bool, reader: Reader | None
) -> Select[Any]:
    """``query`` (over ``model_versions``, or another table with model_key and version
    columns) narrowed to the versions ``matches`` selects (a condition on ``model_versions``
    and ``registered_models``, joined in when needed), without prompts' versions if
    ``hide_prompts``, and only of models ``reader`` may read if given."""
    table = query.get_final_froms()[0]
    if isinstance(table, Join):  # VERSION_ROWS: model_versions joined to registered_models
        table = model_versions
    if hide_prompts:
        query = query.where(not_a_prompt(table.c.model_key))
    if reader is not None:
        query = query.where(readable_models(table.c.model_key, reader))
    if matches is None:
        return query
    if table is not model_versions:
        query = query.join_from(
            table,
            model_versions,
            and_(
                model_versions.c.model_key == table.c.model_key,
                model_versions.c.version == table.c.version,
            ),
        ).join(registered_models, registered_models.c.model_key == model_versions.c.model_key)
    return query.where(matches)


def _version_leaf(cmp: Comparison) -> Condition:
    if cmp.entity is Entity.TAG:
        if cmp.key == PROMPT_TAG:  # a model's tag, also set on its versions
            return _model_leaf(cmp)
        # An alias: the tags query of a search applies this condition over model_version_tags
        # itself, which must stay the outer query's table, not be correlated away.
        table = model_version_tags.alias("filtered_tags")
        return exists(
            select(table.c.key)
            .where(table.c.model_key == model_versions.c.model_key)
            .where(table.c.version == model_versions.c.version)
            .where(table.c.key == cmp.key)
            .where(compare(table.c.value, cmp.op, cmp.value))
        )
    return compare(attribute(_VERSION_ATTRIBUTES, cmp.key), cmp.op, cmp.value)


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
        column = attribute(_VERSION_ATTRIBUTES, item.key)
        clauses.append(column if item.ascending else column.desc())
    return clauses


# -- single rows, download URIs, errors ----------------------------------------------------------


def find_model(conn: Connection, name: str, for_update: bool = False) -> Row[Any] | None:
    """The model's key, as a row (``row.model_key``), or None."""
    query = select(registered_models.c.model_key).where(registered_models.c.name == name)
    if for_update:
        query = query.with_for_update()
    return conn.execute(query).first()


def model_row(conn: Connection, name: str, for_update: bool = False) -> Row[Any]:
    """The model's row (locked until commit with ``for_update``); NotFound if there is none."""
    row = find_model(conn, name, for_update)
    if row is None:
        raise model_not_found(name)
    return row


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
