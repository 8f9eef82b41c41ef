"""The parsed form of a search filter and of order_by clauses.

A filter is a tree of :class:`Comparison` leaves joined by :class:`And` / :class:`Or`. Keys are
already normalised: entity aliases (``metric``, ``param``, ``attr``, ``run`` …) are folded into
one :class:`Entity`, attribute aliases (``created``, ``Run name`` …) into their canonical column
name, and
values have their final Python type (``float`` for metrics, ``int`` for numeric attributes, ``str``
otherwise, a tuple of ``str`` for ``IN`` lists, ``None`` for the NULL checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Entity(StrEnum):
    METRIC = "metric"
    PARAM = "param"
    TAG = "tag"
    ATTRIBUTE = "attribute"
    DATASET = "dataset"


class Op(StrEnum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    LIKE = "LIKE"
    ILIKE = "ILIKE"
    IN = "IN"
    NOT_IN = "NOT IN"
    IS_NULL = "IS NULL"
    IS_NOT_NULL = "IS NOT NULL"


Value = str | float | int | tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Comparison:
    entity: Entity
    key: str
    op: Op
    value: Value
    position: int = 0  # offset of the comparison in the filter text, for error messages


@dataclass(frozen=True, slots=True)
class And:
    terms: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    terms: tuple[Expr, ...]


Expr = Comparison | And | Or


@dataclass(frozen=True, slots=True)
class OrderBy:
    entity: Entity
    key: str
    ascending: bool = True
