"""Parsed searches (``runstone.search``) turned into SQLAlchemy conditions and orderings.

Every comparison on a metric, param, tag or dataset is an ``EXISTS`` on its table, so ``AND``,
``OR`` and parentheses compose freely, and a missing value never matches a comparison (only the
``IS NULL`` checks see it).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, cast, exists, false, or_, select, true
from sqlalchemy.sql.elements import KeyedColumnElement

from runstone.errors import InvalidParameterValue
from runstone.search.ast import And, Comparison, Entity, Expr, Op, OrderBy
from runstone.store.sql.metrics import to_db
from runstone.store.sql.tables import (
    datasets,
    experiment_tags,
    experiments,
    metric_summaries,
    params,
    run_input_tags,
    run_inputs,
    run_tags,
    runs,
)

Condition = ColumnElement[bool]
DATASET_CONTEXT_TAG = "mlflow.data.context"

_RUN_ATTRIBUTES: dict[str, KeyedColumnElement[Any]] = {
    "run_id": runs.c.run_uuid,
    "run_name": runs.c.name,
    "status": runs.c.status,
    "user_id": runs.c.user_id,
    "artifact_uri": runs.c.artifact_uri,
    "start_time": runs.c.start_time,
    "end_time": runs.c.end_time,
}

_EXPERIMENT_ATTRIBUTES: dict[str, KeyedColumnElement[Any]] = {
    "name": experiments.c.name,
    "experiment_id": experiments.c.experiment_id,
    "creation_time": experiments.c.creation_time,
    "last_update_time": experiments.c.last_update_time,
}


_OPERATORS: dict[Op, Callable[[Any, Any], Any]] = {
    Op.EQ: operator.eq,
    Op.NE: operator.ne,
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
    Op.LIKE: lambda column, value: column.like(value),
    Op.ILIKE: lambda column, value: column.ilike(value),
    Op.IN: lambda column, values: column.in_(list(values)),
    Op.NOT_IN: lambda column, values: column.not_in(list(values)),
}


def compare(column: ColumnElement[Any], op: Op, value: Any) -> Condition:
    apply = _OPERATORS.get(op)
    if apply is None:
        raise InvalidParameterValue(f"Operator {op.value!r} cannot be used here.")
    condition: Condition = apply(column, value)
    return condition


def combine(expr: Expr, leaf: Callable[[Comparison], Condition]) -> Condition:
    if isinstance(expr, Comparison):
        return leaf(expr)
    parts = [combine(term, leaf) for term in expr.terms]
    return and_(*parts) if isinstance(expr, And) else or_(*parts)


def _key_value_exists(table: Any, owner: ColumnElement[Any], cmp: Comparison) -> Condition:
    """A key/value table (params, tags): the NULL checks test presence, the rest the value."""
    owner_col = table.c.run_uuid if "run_uuid" in table.c else table.c.experiment_id
    present = select(table.c.key).where(owner_col == owner).where(table.c.key == cmp.key)
    if cmp.op is Op.IS_NULL:
        return ~exists(present)
    if cmp.op is Op.IS_NOT_NULL:
        return exists(present)
    return exists(present.where(compare(table.c.value, cmp.op, cmp.value)))


# -- runs --------------------------------------------------------------------------------------


def run_condition(expr: Expr | None) -> Condition | None:
    return None if expr is None else combine(expr, _run_leaf)


def _run_leaf(cmp: Comparison) -> Condition:
    match cmp.entity:
        case Entity.METRIC:
            value = to_db(float(cmp.value))  # type: ignore[arg-type]
            return exists(
                select(metric_summaries.c.key)
                .where(metric_summaries.c.run_uuid == runs.c.run_uuid)
                .where(metric_summaries.c.key == cmp.key)
                .where(compare(metric_summaries.c.last_value, cmp.op, value))
            )
        case Entity.PARAM:
            return _key_value_exists(params, runs.c.run_uuid, cmp)
        case Entity.TAG:
            return _key_value_exists(run_tags, runs.c.run_uuid, cmp)
        case Entity.DATASET:
            return _dataset_condition(cmp)
        case Entity.ATTRIBUTE:
            return compare(attribute(_RUN_ATTRIBUTES, cmp.key), cmp.op, cmp.value)
    raise InvalidParameterValue(f"Runs cannot be filtered on {cmp.entity.value} values.")


def _dataset_condition(cmp: Comparison) -> Condition:
    if cmp.key == "context":
        return exists(
            select(run_input_tags.c.key)
            .where(run_input_tags.c.run_uuid == runs.c.run_uuid)
            .where(run_input_tags.c.key == DATASET_CONTEXT_TAG)
            .where(compare(run_input_tags.c.value, cmp.op, cmp.value))
        )
    column = datasets.c.name if cmp.key == "name" else datasets.c.digest
    return exists(
        select(run_inputs.c.run_uuid)
        .join(datasets, datasets.c.dataset_uuid == run_inputs.c.dataset_uuid)
        .where(run_inputs.c.run_uuid == runs.c.run_uuid)
        .where(compare(column, cmp.op, cmp.value))
    )


def attribute(columns: dict[str, KeyedColumnElement[Any]], key: str) -> KeyedColumnElement[Any]:
    column = columns.get(key)
    if column is None:
        raise InvalidParameterValue(
            f"Unknown attribute {key!r}; expected one of {sorted(columns)}."
        )
    return column


def order_runs(query: Select[Any], order: Sequence[OrderBy]) -> Select[Any]:
    """Apply ``order`` with MLflow's rules: missing values last, NaN after numbers, then the
    tiebreaks ``start_time DESC`` (unless ordered on already) and ``run_id``."""
    clauses: list[Any] = []
    for i, item in enumerate(order):
        if item.entity is Entity.ATTRIBUTE:
            column = attribute(_RUN_ATTRIBUTES, item.key)
            clauses += [column.is_(None), column if item.ascending else column.desc()]
            continue
        table = {Entity.METRIC: metric_summaries, Entity.PARAM: params, Entity.TAG: run_tags}.get(
            item.entity
        )
        if table is None:
            raise InvalidParameterValue(f"Runs cannot be ordered by {item.entity.value} values.")
        joined = table.alias(f"order_{i}")
        query = query.outerjoin(
            joined, and_(joined.c.run_uuid == runs.c.run_uuid, joined.c.key == item.key)
        )
        value = joined.c.last_value if item.entity is Entity.METRIC else joined.c.value
        clauses += [
            joined.c.run_uuid.is_(None),
            value.is_(None),
            value if item.ascending else value.desc(),
        ]
    if not any(o.entity is Entity.ATTRIBUTE and o.key == "start_time" for o in order):
        clauses.append(runs.c.start_time.desc())
    clauses.append(runs.c.run_uuid)
    return query.order_by(*clauses)


# -- experiments -------------------------------------------------------------------------------


def experiment_condition(expr: Expr | None) -> Condition | None:
    return None if expr is None else combine(expr, _experiment_leaf)


def _experiment_leaf(cmp: Comparison) -> Condition:
    if cmp.entity is Entity.TAG:
        return _key_value_exists(experiment_tags, experiments.c.experiment_id, cmp)
    if cmp.entity is not Entity.ATTRIBUTE:
        raise InvalidParameterValue(f"Experiments cannot be filtered on {cmp.entity.value} values.")
    if cmp.key == "experiment_id":
        return _experiment_id_condition(cmp)
    return compare(attribute(_EXPERIMENT_ATTRIBUTES, cmp.key), cmp.op, cmp.value)


def _experiment_id_condition(cmp: Comparison) -> Condition:
    """Experiment ids are strings on the wire and integers in the table."""
    column = experiments.c.experiment_id
    if cmp.op in (Op.LIKE, Op.ILIKE):
        return compare(cast(column, String), cmp.op, cmp.value)
    values = cmp.value if isinstance(cmp.value, tuple) else (str(cmp.value),)
    numbers = [int(x) for x in values if x.isdigit() and x.isascii()]
    if cmp.op in (Op.EQ, Op.IN):
        return column.in_(numbers) if numbers else false()
    if cmp.op in (Op.NE, Op.NOT_IN):
        return column.not_in(numbers) if numbers else true()
    return compare(cast(column, String), cmp.op, cmp.value)


def experiment_ordering(order: Sequence[OrderBy]) -> list[Any]:
    if not order:
        return [experiments.c.creation_time.desc(), experiments.c.experiment_id]
    clauses: list[Any] = []
    for item in order:
        if item.entity is not Entity.ATTRIBUTE:
            raise InvalidParameterValue("Experiments can only be ordered by attributes.")
        column = attribute(_EXPERIMENT_ATTRIBUTES, item.key)
        clauses.append(column if item.ascending else column.desc())
    if not any(o.key == "experiment_id" for o in order):
        clauses.append(experiments.c.experiment_id)
    return clauses
