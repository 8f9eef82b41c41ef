"""Hostile filters and order_by clauses are refused quickly, before the database sees them."""

from __future__ import annotations

import contextlib
import time

import pytest

from runstone.errors import InvalidParameterValue
from runstone.search import SearchKind, parse_filter, parse_order_by
from runstone.search.parser import (
    MAX_COMPARISONS,
    MAX_FILTER_LENGTH,
    MAX_ORDER_BY_CLAUSES,
    MAX_ORDER_BY_LENGTH,
)

RUNS = SearchKind("runs")


def refused(text: str) -> str:
    started = time.monotonic()
    with pytest.raises(InvalidParameterValue) as caught:
        parse_filter(text, RUNS)
    assert time.monotonic() - started < 2
    message = str(caught.value)
    assert len(message) < 500  # the filter is quoted, cut short
    return message


def chain(joiner: str, count: int) -> str:
    return joiner.join(f"metrics.m{i} > {i}" for i in range(count))


@pytest.mark.parametrize("joiner", [" AND ", " OR ", " "])
def test_a_chain_of_comparisons_up_to_the_cap_parses(joiner: str) -> None:
    assert parse_filter(chain(joiner, MAX_COMPARISONS), RUNS) is not None


@pytest.mark.parametrize("joiner", [" AND ", " OR "])
def test_one_comparison_over_the_cap_is_refused(joiner: str) -> None:
    message = refused(chain(joiner, MAX_COMPARISONS + 1))
    assert f"more than {MAX_COMPARISONS} comparisons" in message


def test_ten_thousand_ands_are_refused_by_length_or_count() -> None:
    assert "Invalid filter" in refused(chain(" AND ", 10_000))


def test_a_filter_over_the_length_cap_is_refused_before_parsing() -> None:
    text = "params.p = '" + "x" * MAX_FILTER_LENGTH + "'"
    assert f"longer than {MAX_FILTER_LENGTH} characters" in refused(text)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 60_000 + "metrics.a > 1" + ")" * 60_000,
        "(" * MAX_FILTER_LENGTH,
        "AND " * 16_000,
        "params.a IN (" + ",".join(["'x'"] * 16_000) + ")",
        "metrics.a > 1 " + "OR (" * 10_000,
    ],
)
def test_pathological_filters_are_refused_fast(text: str) -> None:
    started = time.monotonic()
    with contextlib.suppress(InvalidParameterValue):  # "AND AND ..." is no filter at all
        parse_filter(text, RUNS)
    assert time.monotonic() - started < 2


def test_a_filter_exactly_at_the_length_cap_is_accepted() -> None:
    text = "params.p = '" + "x" * (MAX_FILTER_LENGTH - len("params.p = ''")) + "'"
    assert len(text) == MAX_FILTER_LENGTH
    assert parse_filter(text, RUNS) is not None


def test_too_many_order_by_clauses_are_refused() -> None:
    clauses = [f"metrics.m{i}" for i in range(MAX_ORDER_BY_CLAUSES + 1)]
    with pytest.raises(InvalidParameterValue, match=f"more than {MAX_ORDER_BY_CLAUSES} clauses"):
        parse_order_by(clauses, RUNS)
    assert len(parse_order_by(clauses[:MAX_ORDER_BY_CLAUSES], RUNS)) == MAX_ORDER_BY_CLAUSES


def test_an_over_long_order_by_clause_is_refused() -> None:
    clause = "params.`" + "k" * MAX_ORDER_BY_LENGTH + "`"
    with pytest.raises(InvalidParameterValue, match=f"longer than {MAX_ORDER_BY_LENGTH}"):
        parse_order_by([clause], RUNS)
