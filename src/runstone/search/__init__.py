"""The search language of Runstone: filter strings and order_by clauses -> an AST.

MLflow's filter grammar (AND-joined comparisons) plus ``OR`` and parentheses; see
:func:`parse_filter` and :func:`parse_order_by`. Parsing does no I/O; stores translate the AST.
"""

from __future__ import annotations

from runstone.search.ast import And, Comparison, Entity, Expr, Op, Or, OrderBy, Value
from runstone.search.grammar import SearchKind
from runstone.search.parser import parse_filter, parse_order_by

__all__ = [
    "And",
    "Comparison",
    "Entity",
    "Expr",
    "Op",
    "Or",
    "OrderBy",
    "SearchKind",
    "Value",
    "parse_filter",
    "parse_order_by",
]
