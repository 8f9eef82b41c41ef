"""The filter language: MLflow's AND-chains parse as MLflow reads them; OR and parentheses on top.

The expected results below were checked one by one against MLflow 3.17 (its parser plus its SQL
store, which rejects some operators only when it builds the query). Where Runstone deliberately
differs, the test says so in its name.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import runstone.search
from runstone.errors import InvalidParameterValue
from runstone.search import (
    And,
    Comparison,
    Entity,
    Expr,
    Op,
    Or,
    SearchKind,
    parse_filter,
)
from runstone.search.lexer import Kind, tokenize

RUNS = SearchKind.RUNS
EXPERIMENTS = SearchKind.EXPERIMENTS
REGISTERED_MODELS = SearchKind.REGISTERED_MODELS
MODEL_VERSIONS = SearchKind.MODEL_VERSIONS


def shape(expr: Expr | None) -> object:
    """The AST without positions: (entity, key, op, value) leaves, ("AND"|"OR", ...) nodes."""
    if expr is None or isinstance(expr, Comparison):
        return None if expr is None else (expr.entity.value, expr.key, expr.op.value, expr.value)
    return ("AND" if isinstance(expr, And) else "OR", *(shape(term) for term in expr.terms))


def typed(obj: object) -> object:
    """``obj`` with every leaf paired with its type, so that 1 and 1.0 compare unequal."""
    if isinstance(obj, tuple):
        return tuple(typed(item) for item in obj)
    return (type(obj).__name__, obj)


def assert_parses(text: str, kind: SearchKind, expected: object) -> None:
    assert typed(shape(parse_filter(text, kind))) == typed(expected)


def rejection(text: str, kind: SearchKind) -> str:
    with pytest.raises(InvalidParameterValue) as info:
        parse_filter(text, kind)
    return info.value.message


# --------------------------------------------------------------------------------------------
# search_runs
# --------------------------------------------------------------------------------------------

RUNS_ACCEPTED: list[tuple[str, object]] = [
    ("metrics.acc > 0.9", ("metric", "acc", ">", 0.9)),
    ("metrics.acc > 1", ("metric", "acc", ">", 1.0)),
    ("metrics.acc >= -1", ("metric", "acc", ">=", -1.0)),
    ("metrics.acc < 1e3", ("metric", "acc", "<", 1000.0)),
    ("metrics.acc <= 1.5E-3", ("metric", "acc", "<=", 0.0015)),
    ("metrics.acc = .5", ("metric", "acc", "=", 0.5)),
    ("metrics.acc != 5.", ("metric", "acc", "!=", 5.0)),
    ("metrics.acc > -.5", ("metric", "acc", ">", -0.5)),
    ("metrics.acc > 01", ("metric", "acc", ">", 1.0)),
    ("metrics.acc>1", ("metric", "acc", ">", 1.0)),
    ("metric.acc > 1", ("metric", "acc", ">", 1.0)),
    ("metrics.`my metric` > 1", ("metric", "my metric", ">", 1.0)),
    ('metrics."my metric" > 1', ("metric", "my metric", ">", 1.0)),
    ("metrics.'acc' > 1", ("metric", "acc", ">", 1.0)),
    ("`metrics`.acc > 1", ("metric", "acc", ">", 1.0)),
    ("`metric`.`acc` > 1", ("metric", "acc", ">", 1.0)),
    ("metrics.a.b.c > 1", ("metric", "a.b.c", ">", 1.0)),
    ("metrics.1acc > 1", ("metric", "1acc", ">", 1.0)),
    ("metrics.é > 1", ("metric", "é", ">", 1.0)),
    ("metrics.`a-b` > 1", ("metric", "a-b", ">", 1.0)),
    ("metrics.`` > 1", ("metric", "", ">", 1.0)),
    ("params.lr = '0.1'", ("param", "lr", "=", "0.1")),
    ('params.lr = "0.1"', ("param", "lr", "=", "0.1")),
    ("param.lr != 'a'", ("param", "lr", "!=", "a")),
    ("parameter.lr LIKE '%a'", ("param", "lr", "LIKE", "%a")),
    ("parameters.lr ilike '%a'", ("param", "lr", "ILIKE", "%a")),
    ("params.lr Like 'a_%'", ("param", "lr", "LIKE", "a_%")),
    ("params.lr IS NULL", ("param", "lr", "IS NULL", None)),
    ("params.lr is not null", ("param", "lr", "IS NOT NULL", None)),
    ("params.a='b'AND params.c='d'", ("AND", ("param", "a", "=", "b"), ("param", "c", "=", "d"))),
    ("tags.mlflow.runName = 'x'", ("tag", "mlflow.runName", "=", "x")),
    ("tags.\"mlflow.runName\" = 'x'", ("tag", "mlflow.runName", "=", "x")),
    ("tags.`mlflow.runName` = 'x'", ("tag", "mlflow.runName", "=", "x")),
    ("tag.k Is Not Null", ("tag", "k", "IS NOT NULL", None)),
    ("tags.`a b` = ''", ("tag", "a b", "=", "")),
    ("tags.k = 'a\"b'", ("tag", "k", "=", 'a"b')),
    ('tags.k = "x\'s"', ("tag", "k", "=", "x's")),
    ("attributes.status = 'FAILED'", ("attribute", "status", "=", "FAILED")),
    ("attribute.status != 'RUNNING'", ("attribute", "status", "!=", "RUNNING")),
    ("attr.status ILIKE 'run%'", ("attribute", "status", "ILIKE", "run%")),
    ("run.user_id = 'u'", ("attribute", "user_id", "=", "u")),
    ("status = 'FAILED'", ("attribute", "status", "=", "FAILED")),
    ("artifact_uri LIKE 's3://%'", ("attribute", "artifact_uri", "LIKE", "s3://%")),
    ("attributes.run_id IN ('a','b')", ("attribute", "run_id", "IN", ("a", "b"))),
    ("run_id in ('a')", ("attribute", "run_id", "IN", ("a",))),
    ("run_id IN('a', \"b\",)", ("attribute", "run_id", "IN", ("a", "b"))),
    ("attributes.run_id NOT IN ( 'a' )", ("attribute", "run_id", "NOT IN", ("a",))),
    ("run_id not in ('')", ("attribute", "run_id", "NOT IN", ("",))),
    ("attributes.run_id LIKE 'a%'", ("attribute", "run_id", "LIKE", "a%")),
    ("attributes.run_name = 'x'", ("attribute", "run_name", "=", "x")),
    ("attributes.`run name` = 'x'", ("attribute", "run_name", "=", "x")),
    ("attributes.\"Run name\" = 'x'", ("attribute", "run_name", "=", "x")),
    ("`Run Name` = 'x'", ("attribute", "run_name", "=", "x")),
    ("attributes.start_time > 1", ("attribute", "start_time", ">", 1)),
    ("attributes.start_time > 1.5", ("attribute", "start_time", ">", 1.5)),
    ("attributes.start_time > 1e3", ("attribute", "start_time", ">", 1000.0)),
    ("attributes.`start_time` <= -1", ("attribute", "start_time", "<=", -1)),
    ("created > 1", ("attribute", "start_time", ">", 1)),
    ("attributes.Created = 1", ("attribute", "start_time", "=", 1)),
    ("end_time != 0", ("attribute", "end_time", "!=", 0)),
    ("datasets.name = 'd'", ("dataset", "name", "=", "d")),
    ("dataset.digest LIKE 'ab%'", ("dataset", "digest", "LIKE", "ab%")),
    ("datasets.context IN ('train','eval')", ("dataset", "context", "IN", ("train", "eval"))),
    ("datasets.`name` NOT IN ('a')", ("dataset", "name", "NOT IN", ("a",))),
    (
        "metrics.acc > 1 AND params.lr = '0.1'",
        ("AND", ("metric", "acc", ">", 1.0), ("param", "lr", "=", "0.1")),
    ),
    (
        "metrics.acc > 1 and metrics.acc < 2 AnD tags.t != 'z'",
        (
            "AND",
            ("metric", "acc", ">", 1.0),
            ("metric", "acc", "<", 2.0),
            ("tag", "t", "!=", "z"),
        ),
    ),
    (
        "tags.k IS NULL AND metrics.a > 1",
        ("AND", ("tag", "k", "IS NULL", None), ("metric", "a", ">", 1.0)),
    ),
]

RUNS_REJECTED: list[str] = [
    "metrics.acc > '1'",
    'metrics.acc = "1"',
    "metrics.acc LIKE 1",
    "metrics.acc IS NULL",
    "metrics.acc IN (1,2)",
    "metrics.acc >> 1",
    "metrics.acc == 1",
    "metrics.acc <> 1",
    "metrics.acc > +1",
    "metrics.acc > - 1",
    "metrics.acc > 0x10",
    "metrics.acc > 1e",
    "metrics.acc > 1e+3",
    "metrics.acc > 1_000",
    "metrics.acc > 1.2.3",
    "metrics.acc > NaN",
    "metrics.acc > 1AND params.a = 'b'",
    "metrics.acc",
    "metrics.acc >",
    "metrics.a-b > 1",
    "metrics.a:b > 1",
    "metrics.a$b > 1",
    "metrics .acc > 1",
    "metrics.`a`b > 1",
    '"metrics".acc > 1',
    "'metrics'.acc > 1",
    "PARAMS.lr = 'a'",
    "foo.bar = 'x'",
    "params.lr = 0.1",
    "params.lr = abc",
    "params.lr NOT NULL",
    "params.lr IN ('a')",
    "params.lr < 'a'",
    "params.a NOT LIKE 'a'",
    "params.a RLIKE 'a'",
    "params.a = NULL",
    "params.a IS 'x'",
    "params.a = 'b' 'c'",
    "tags.k = `x`",
    "tags.k = 'unterminated",
    "tags.k = 'x' || 'y'",
    "attributes.status IN ('A','B')",
    "attributes.run_name IN ('a')",
    "attributes.run_id IN ()",
    "attributes.run_id IN (1,2)",
    "attributes.run_id IN ('a', b)",
    "attributes.run_id IN ('a',,'b')",
    "attributes.run_id IN 'a'",
    "attributes.run_id IN ('a'",
    "attributes.run_id NOTIN ('a')",
    "attributes.run_id < 'a'",
    "attributes.run_id = 1",
    "attributes.\"run Name\" = 'x'",
    "attributes.START_TIME > 1",
    "Attributes.start_time > 1",
    "attributes.start_time > '1'",
    "attributes.start_time LIKE 1",
    "attributes.start_time IN (1)",
    "attributes.end_time IS NULL",
    "attributes.experiment_id = '0'",
    "attributes.lifecycle_stage = 'active'",
    "datasets.name > 'a'",
    "datasets.foo = 'x'",
    "datasets.NAME = 'x'",
    "datasets.name = 1",
    "datasets.name IS NULL",
    "metrics.acc > 1;",
    "metrics.acc > 1; params.a = 'b'",
    "metrics.acc > 1 -- comment",
    "NOT metrics.acc > 1",
    "metrics.acc NOT > 1",
    ".acc > 1",
]


@pytest.mark.parametrize(("text", "expected"), RUNS_ACCEPTED)
def test_runs_filter_parses_like_mlflow(text: str, expected: object) -> None:
    assert_parses(text, RUNS, expected)


@pytest.mark.parametrize("text", RUNS_REJECTED)
def test_runs_filter_rejected_by_mlflow_is_rejected(text: str) -> None:
    assert rejection(text, RUNS).startswith(f'Invalid filter "{text}": at position ')


# --------------------------------------------------------------------------------------------
# search_experiments
# --------------------------------------------------------------------------------------------

EXPERIMENTS_ACCEPTED: list[tuple[str, object]] = [
    ("name = 'x'", ("attribute", "name", "=", "x")),
    ('name = "x"', ("attribute", "name", "=", "x")),
    ("name != 'x'", ("attribute", "name", "!=", "x")),
    ("name LIKE 'x%'", ("attribute", "name", "LIKE", "x%")),
    ("name ILIKE 'EXP%'", ("attribute", "name", "ILIKE", "EXP%")),
    ("attribute.name = 'x'", ("attribute", "name", "=", "x")),
    ("attribute.`name` = 'x'", ("attribute", "name", "=", "x")),
    ("`name` = 'x'", ("attribute", "name", "=", "x")),
    ("\"name\" = 'x'", ("attribute", "name", "=", "x")),
    ("name = 'it''s'", ("attribute", "name", "=", "it''s")),
    ("name = 'a\\'b'", ("attribute", "name", "=", "a\\'b")),
    ("experiment_id = '1'", ("attribute", "experiment_id", "=", "1")),
    ('experiment_id = "1"', ("attribute", "experiment_id", "=", "1")),
    ("experiment_id = ' 1'", ("attribute", "experiment_id", "=", "1")),
    ("experiment_id = '-1'", ("attribute", "experiment_id", "=", "-1")),
    ("experiment_id != '7'", ("attribute", "experiment_id", "!=", "7")),
    ("experiment_id IN ('1','2')", ("attribute", "experiment_id", "IN", ("1", "2"))),
    ("experiment_id NOT IN ('01')", ("attribute", "experiment_id", "NOT IN", ("1",))),
    ("creation_time > 1", ("attribute", "creation_time", ">", 1)),
    ("creation_time >= 0", ("attribute", "creation_time", ">=", 0)),
    ("creation_time = 1", ("attribute", "creation_time", "=", 1)),
    ("creation_time != 1", ("attribute", "creation_time", "!=", 1)),
    ("creation_time < 1", ("attribute", "creation_time", "<", 1)),
    ("creation_time <= 1", ("attribute", "creation_time", "<=", 1)),
    ("last_update_time > -5", ("attribute", "last_update_time", ">", -5)),
    ("attribute.last_update_time < 100", ("attribute", "last_update_time", "<", 100)),
    ("tags.k = 'v'", ("tag", "k", "=", "v")),
    ("tag.k = 'v'", ("tag", "k", "=", "v")),
    ("tags.`a b` = 'v'", ("tag", "a b", "=", "v")),
    ("tags.mlflow.note = 'v'", ("tag", "mlflow.note", "=", "v")),
    ("tags.k != 'v'", ("tag", "k", "!=", "v")),
    ("tags.k LIKE 'v%'", ("tag", "k", "LIKE", "v%")),
    ("tags.k ILIKE 'v%'", ("tag", "k", "ILIKE", "v%")),
    ("tags.k IS NULL", ("tag", "k", "IS NULL", None)),
    ("tags.k IS NOT NULL", ("tag", "k", "IS NOT NULL", None)),
    (
        "name = 'x' AND tags.k = 'v'",
        ("AND", ("attribute", "name", "=", "x"), ("tag", "k", "=", "v")),
    ),
    (
        "name = 'x' and creation_time > 1 AND tags.k IS NULL",
        (
            "AND",
            ("attribute", "name", "=", "x"),
            ("attribute", "creation_time", ">", 1),
            ("tag", "k", "IS NULL", None),
        ),
    ),
    (
        "name LIKE '%a%' AND experiment_id IN ('1','2') AND last_update_time >= 10",
        (
            "AND",
            ("attribute", "name", "LIKE", "%a%"),
            ("attribute", "experiment_id", "IN", ("1", "2")),
            ("attribute", "last_update_time", ">=", 10),
        ),
    ),
]

EXPERIMENTS_REJECTED: list[str] = [
    "name IN ('a','b')",
    "name NOT IN ('a')",
    "name > 'a'",
    "name IS NULL",
    "name = 1",
    "name = x",
    "attributes.name = 'x'",
    "attr.name = 'x'",
    "'name' = 'x'",
    "experiment_id = 1",
    "experiment_id = 'abc'",
    "experiment_id = '1.5'",
    "experiment_id LIKE '1%'",
    "experiment_id ILIKE '1%'",
    "experiment_id > '1'",
    "experiment_id IN ('1','x')",
    "experiment_id IN (1,2)",
    "experiment_id IS NULL",
    "creation_time > 1.5",
    "creation_time > 1e3",
    "creation_time > '1'",
    "creation_time LIKE 1",
    "creation_time IN (1)",
    "creation_time IS NULL",
    "lifecycle_stage = 'active'",
    "artifact_location = 'x'",
    "tags.k IN ('a')",
    "tags.k > 'v'",
    "tags.k = 1",
    "metrics.a > 1",
    "params.a = 'x'",
    "metric.a > 1",
    "datasets.name = 'x'",
    "run.name = 'x'",
    "foo.name = 'x'",
]


@pytest.mark.parametrize(("text", "expected"), EXPERIMENTS_ACCEPTED)
def test_experiments_filter_parses_like_mlflow(text: str, expected: object) -> None:
    assert_parses(text, EXPERIMENTS, expected)


@pytest.mark.parametrize("text", EXPERIMENTS_REJECTED)
def test_experiments_filter_rejected_by_mlflow_is_rejected(text: str) -> None:
    assert rejection(text, EXPERIMENTS).startswith(f'Invalid filter "{text}": at position ')


# --------------------------------------------------------------------------------------------
# registry searches
# --------------------------------------------------------------------------------------------

REGISTRY_ACCEPTED: list[tuple[SearchKind, str, object]] = [
    (REGISTERED_MODELS, "name = 'm'", ("attribute", "name", "=", "m")),
    (REGISTERED_MODELS, "name ILIKE 'm%'", ("attribute", "name", "ILIKE", "m%")),
    (REGISTERED_MODELS, "name IN ('a','b')", ("attribute", "name", "IN", ("a", "b"))),
    (REGISTERED_MODELS, "attribute.name NOT IN ('a')", ("attribute", "name", "NOT IN", ("a",))),
    (REGISTERED_MODELS, "tags.k LIKE 'v%'", ("tag", "k", "LIKE", "v%")),
    (REGISTERED_MODELS, "tag.`a b` != 'v'", ("tag", "a b", "!=", "v")),
    (
        REGISTERED_MODELS,
        "name = 'a' AND tags.k = 'v'",
        ("AND", ("attribute", "name", "=", "a"), ("tag", "k", "=", "v")),
    ),
    (MODEL_VERSIONS, "name = 'm'", ("attribute", "name", "=", "m")),
    (MODEL_VERSIONS, "run_id IN ('a','b')", ("attribute", "run_id", "IN", ("a", "b"))),
    (MODEL_VERSIONS, "run_id NOT IN ('a')", ("attribute", "run_id", "NOT IN", ("a",))),
    (MODEL_VERSIONS, "run_id LIKE 'r%'", ("attribute", "run_id", "LIKE", "r%")),
    (MODEL_VERSIONS, "source_path = 's3://x'", ("attribute", "source_path", "=", "s3://x")),
    (MODEL_VERSIONS, "source_path LIKE 's3://%'", ("attribute", "source_path", "LIKE", "s3://%")),
    (MODEL_VERSIONS, "version_number = 1", ("attribute", "version_number", "=", 1)),
    (MODEL_VERSIONS, "version_number >= -1", ("attribute", "version_number", ">=", -1)),
    (MODEL_VERSIONS, "version_number != '3'", ("attribute", "version_number", "!=", 3)),
    (MODEL_VERSIONS, "version_number = ' 2'", ("attribute", "version_number", "=", 2)),
    (MODEL_VERSIONS, "attribute.version_number > 2", ("attribute", "version_number", ">", 2)),
    (MODEL_VERSIONS, "tags.mlflow.x ILIKE 'v'", ("tag", "mlflow.x", "ILIKE", "v")),
    (MODEL_VERSIONS, "name = 'C:\\dir\\'", ("attribute", "name", "=", "C:\\dir\\")),
    (
        MODEL_VERSIONS,
        "name = 'a' AND version_number > 1 AND tags.k = 'v'",
        (
            "AND",
            ("attribute", "name", "=", "a"),
            ("attribute", "version_number", ">", 1),
            ("tag", "k", "=", "v"),
        ),
    ),
]

REGISTRY_REJECTED: list[tuple[SearchKind, str]] = [
    (REGISTERED_MODELS, "name > 'a'"),
    (REGISTERED_MODELS, "name IS NULL"),
    (REGISTERED_MODELS, "name = 1"),
    (REGISTERED_MODELS, "attributes.name = 'm'"),
    (REGISTERED_MODELS, "tags.k IS NULL"),
    (REGISTERED_MODELS, "tags.k IN ('a')"),
    (REGISTERED_MODELS, "run_id = 'x'"),
    (REGISTERED_MODELS, "version_number = 1"),
    (REGISTERED_MODELS, "creation_timestamp > 1"),
    (REGISTERED_MODELS, "metrics.a > 1"),
    (MODEL_VERSIONS, "name > 'a'"),
    (MODEL_VERSIONS, "name IS NULL"),
    (MODEL_VERSIONS, "name = 1"),
    (MODEL_VERSIONS, "run_id > 'r'"),
    (MODEL_VERSIONS, "source_path IN ('a')"),
    (MODEL_VERSIONS, "source = 'x'"),
    (MODEL_VERSIONS, "version_number = 1.0"),
    (MODEL_VERSIONS, "version_number = 1.5"),
    (MODEL_VERSIONS, "version_number = 'abc'"),
    (MODEL_VERSIONS, "version_number = '1.0'"),
    (MODEL_VERSIONS, "version_number LIKE 1"),
    (MODEL_VERSIONS, "version_number IN ('1')"),
    (MODEL_VERSIONS, "current_stage = 'Production'"),
    (MODEL_VERSIONS, "creation_timestamp > 1"),
    (MODEL_VERSIONS, "tags.k IS NOT NULL"),
    (MODEL_VERSIONS, "tags.k > 'a'"),
]


@pytest.mark.parametrize(("kind", "text", "expected"), REGISTRY_ACCEPTED)
def test_registry_filter_parses_like_mlflow(kind: SearchKind, text: str, expected: object) -> None:
    assert_parses(text, kind, expected)


@pytest.mark.parametrize(("kind", "text"), REGISTRY_REJECTED)
def test_registry_filter_rejected_by_mlflow_is_rejected(kind: SearchKind, text: str) -> None:
    assert rejection(text, kind).startswith(f'Invalid filter "{text}": at position ')


# --------------------------------------------------------------------------------------------
# structure: empty filters, AND quirks, OR and parentheses
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t", "AND", "and AND"])
@pytest.mark.parametrize("kind", list(SearchKind))
def test_no_filter_parses_to_none(text: str | None, kind: SearchKind) -> None:
    assert parse_filter(text, kind) is None


def test_single_comparison_is_returned_bare_with_its_position() -> None:
    assert parse_filter("  metrics.acc > 1", RUNS) == Comparison(
        Entity.METRIC, "acc", Op.GT, 1.0, position=2
    )


def test_and_chain_records_each_comparison_position() -> None:
    expr = parse_filter("metrics.a > 1 AND tags.b = 'x'", RUNS)
    assert isinstance(expr, And)
    assert [term.position for term in expr.terms if isinstance(term, Comparison)] == [0, 18]


@pytest.mark.parametrize(
    "text",
    [
        "AND metrics.a > 1 AND metrics.b > 2",
        "metrics.a > 1 AND metrics.b > 2 AND",
        "metrics.a > 1 AND AND AND metrics.b > 2",
        "metrics.a > 1 metrics.b > 2",
    ],
)
def test_and_may_repeat_lead_trail_or_be_left_out_as_in_mlflow(text: str) -> None:
    assert_parses(text, RUNS, ("AND", ("metric", "a", ">", 1.0), ("metric", "b", ">", 2.0)))


def test_or_binds_looser_than_and() -> None:
    assert_parses(
        "metrics.a > 1 AND metrics.b > 2 OR tags.t = 'x' AND params.p = 'y'",
        RUNS,
        (
            "OR",
            ("AND", ("metric", "a", ">", 1.0), ("metric", "b", ">", 2.0)),
            ("AND", ("tag", "t", "=", "x"), ("param", "p", "=", "y")),
        ),
    )


def test_parentheses_group_an_or_inside_an_and() -> None:
    assert_parses(
        "metrics.a > 1 AND (tags.t = 'x' or params.p IS NULL)",
        RUNS,
        (
            "AND",
            ("metric", "a", ">", 1.0),
            ("OR", ("tag", "t", "=", "x"), ("param", "p", "IS NULL", None)),
        ),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(metrics.a > 1)", ("metric", "a", ">", 1.0)),
        ("((metrics.a > 1))", ("metric", "a", ">", 1.0)),
        (
            "(metrics.a > 1 AND metrics.b > 2) AND metrics.c > 3",
            (
                "AND",
                ("metric", "a", ">", 1.0),
                ("metric", "b", ">", 2.0),
                ("metric", "c", ">", 3.0),
            ),
        ),
        (
            "metrics.a > 1 OR (metrics.b > 2 OR metrics.c > 3)",
            ("OR", ("metric", "a", ">", 1.0), ("metric", "b", ">", 2.0), ("metric", "c", ">", 3.0)),
        ),
    ],
)
def test_redundant_parentheses_and_nested_same_operators_flatten(
    text: str, expected: object
) -> None:
    assert_parses(text, RUNS, expected)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (EXPERIMENTS, "name = 'x' OR name = 'y'"),
        (REGISTERED_MODELS, "(name = 'a' OR name = 'b') AND tags.k = 'v'"),
        (MODEL_VERSIONS, "version_number = 1 OR run_id IN ('r')"),
    ],
)
def test_or_and_parentheses_work_for_every_kind(kind: SearchKind, text: str) -> None:
    assert parse_filter(text, kind) is not None


@pytest.mark.parametrize(
    ("text", "position", "expected"),
    [
        ("metrics.a > 1 OR", 16, "expected an identifier, found the end of the filter"),
        ("OR metrics.a > 1", 0, "expected an identifier, found 'OR'"),
        ("metrics.a > 1 AND OR metrics.b > 1", 18, "expected a comparison after AND, found 'OR'"),
        ("(metrics.a > 1 AND)", 18, "expected a comparison after AND, found ')'"),
        ("(metrics.a > 1", 14, "expected AND, OR or ')', found the end of the filter"),
        ("metrics.a > 1)", 13, "expected AND, OR or the end of the filter, found ')'"),
        ("()", 1, "expected an identifier, found ')'"),
        ("NOT (metrics.a > 1)", 0, "expected an identifier, found 'NOT'"),
        ("metrics.a > 1 AND NOT metrics.b > 1", 18, "expected a comparison after AND, found 'NOT'"),
    ],
)
def test_malformed_boolean_structure_is_rejected_at_its_position(
    text: str, position: int, expected: str
) -> None:
    assert rejection(text, RUNS) == f'Invalid filter "{text}": at position {position}, {expected}'


def test_deeply_nested_parentheses_are_rejected_not_crashing() -> None:
    assert "nest deeper than" in rejection("(" * 5000 + "metrics.a > 1" + ")" * 5000, RUNS)


# --------------------------------------------------------------------------------------------
# values and quoting
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("params.p = 'it''s'", "it''s"),
        ("params.p = 'a\\'b'", "a\\'b"),
        ('params.p = "a""b"', 'a""b'),
        ('params.p = "a\\"b"', 'a\\"b'),
        ("params.p = 'C:\\dir\\'", "C:\\dir\\"),
        ("params.p = 'a\\nb'", "a\\nb"),
        ("params.p = ''''", "''"),
    ],
)
def test_quoted_values_are_kept_verbatim_as_mlflow_does(text: str, value: str) -> None:
    assert_parses(text, RUNS, ("param", "p", "=", value))


def test_backslash_before_a_closing_quote_swallows_it_as_in_mlflow() -> None:
    assert "unterminated quote" in rejection("params.a = 'x\\' AND params.b = 'y'", RUNS)


def test_in_list_items_are_kept_verbatim_unlike_mlflow_which_unescapes_them() -> None:
    assert_parses(
        "run_id IN ('a\\'b', 'it''s')", RUNS, ("attribute", "run_id", "IN", ("a\\'b", "it''s"))
    )


def test_backticked_key_keeps_doubled_backticks() -> None:
    assert_parses("tags.`a``b` = 'x'", RUNS, ("tag", "a``b", "=", "x"))


def test_quoted_key_may_touch_the_operator() -> None:
    assert_parses("tags.`k`ILIKE'v'", RUNS, ("tag", "k", "ILIKE", "v"))


def test_keyword_like_keys_parse_although_mlflow_rejects_some() -> None:
    assert_parses(
        "metrics.from > 1 AND params.in = 'x' AND parameters.1a = 'y'",
        RUNS,
        ("AND", ("metric", "from", ">", 1.0), ("param", "in", "=", "x"), ("param", "1a", "=", "y")),
    )


def test_operator_keywords_are_case_insensitive_for_experiments_too() -> None:
    # MLflow's experiment store compares 'like' / 'in' case-sensitively and rejects them.
    assert_parses(
        "tags.k like 'v' AND experiment_id in ('1')",
        EXPERIMENTS,
        ("AND", ("tag", "k", "LIKE", "v"), ("attribute", "experiment_id", "IN", ("1",))),
    )


def test_extra_spaces_inside_is_not_null_are_accepted_unlike_mlflow() -> None:
    assert_parses("tags.k IS  NOT   NULL", RUNS, ("tag", "k", "IS NOT NULL", None))


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (REGISTERED_MODELS, "`name` = 'm'", ("attribute", "name", "=", "m")),
        (MODEL_VERSIONS, "attribute.\"name\" = 'm'", ("attribute", "name", "=", "m")),
        (EXPERIMENTS, "`tags`.k = 'v'", ("tag", "k", "=", "v")),
        (MODEL_VERSIONS, "`attribute`.run_id = 'r'", ("attribute", "run_id", "=", "r")),
    ],
)
def test_quoting_is_uniform_across_kinds_unlike_mlflow(
    kind: SearchKind, text: str, expected: object
) -> None:
    assert_parses(text, kind, expected)


@pytest.mark.parametrize("text", ["metrics. acc > 1", "metrics. > 1", "tags. = 'x'"])
def test_missing_bare_key_after_prefix_is_rejected_unlike_mlflow(text: str) -> None:
    assert "expected a key after" in rejection(text, RUNS)


# --------------------------------------------------------------------------------------------
# error messages
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (
            RUNS,
            "metrics.acc >> 1",
            "Invalid filter \"metrics.acc >> 1\": at position 13, expected a value, found '>'",
        ),
        (
            RUNS,
            "metrics.acc > '1'",
            "Invalid filter \"metrics.acc > '1'\": at position 14, expected a number, "
            "found string '1'",
        ),
        (
            RUNS,
            "params.lr = abc",
            'Invalid filter "params.lr = abc": at position 12, expected a quoted string, '
            "found 'abc'",
        ),
        (
            RUNS,
            "metrics.acc LIKE 1",
            'Invalid filter "metrics.acc LIKE 1": at position 12, expected one of '
            "= != < <= > >= for metric 'acc', found 'LIKE'",
        ),
        (
            RUNS,
            "status IN ('a')",
            "Invalid filter \"status IN ('a')\": at position 7, expected one of "
            "= != LIKE ILIKE for attribute 'status', found 'IN'",
        ),
        (
            RUNS,
            "attributes.foo = 'x'",
            "Invalid filter \"attributes.foo = 'x'\": at position 11, expected an attribute key "
            "(artifact_uri, end_time, run_id, run_name, start_time, status, user_id), found 'foo'",
        ),
        (
            EXPERIMENTS,
            "metrics.a > 1",
            'Invalid filter "metrics.a > 1": at position 0, expected an entity prefix '
            "(attribute, tag, tags), found 'metrics'",
        ),
        (
            EXPERIMENTS,
            "experiment_id = 'abc'",
            "Invalid filter \"experiment_id = 'abc'\": at position 16, expected an integer, "
            "found string 'abc'",
        ),
        (
            EXPERIMENTS,
            "creation_time > 1.5",
            'Invalid filter "creation_time > 1.5": at position 16, expected an integer, '
            "found '1.5'",
        ),
        (
            RUNS,
            "run_id IN ()",
            "Invalid filter \"run_id IN ()\": at position 11, expected a non-empty list, found ')'",
        ),
        (
            RUNS,
            "run_id IN 'a'",
            "Invalid filter \"run_id IN 'a'\": at position 10, expected a parenthesised list of "
            "quoted strings, found string 'a'",
        ),
        (
            RUNS,
            "tags.k IS NOT 'x'",
            "Invalid filter \"tags.k IS NOT 'x'\": at position 14, expected NULL, found string 'x'",
        ),
        (
            RUNS,
            "params.a NOT LIKE 'x'",
            "Invalid filter \"params.a NOT LIKE 'x'\": at position 13, expected IN, found 'LIKE'",
        ),
        (
            RUNS,
            "tags.k = 'open",
            "Invalid filter \"tags.k = 'open\": at position 9, unterminated quote '",
        ),
        (
            RUNS,
            "metrics.a > 1AND",
            "Invalid filter \"metrics.a > 1AND\": at position 12, invalid number '1AND'",
        ),
        (
            RUNS,
            "metrics.a > 1;",
            "Invalid filter \"metrics.a > 1;\": at position 13, unexpected character ';'",
        ),
        (
            RUNS,
            "metrics.a >\n'x'",
            "Invalid filter \"metrics.a >\\n'x'\": at position 12, expected a number, "
            "found string 'x'",
        ),
    ],
)
def test_error_message_names_filter_position_expected_and_found(
    kind: SearchKind, text: str, message: str
) -> None:
    assert rejection(text, kind) == message


def test_error_message_of_a_huge_filter_stays_short() -> None:
    text = " AND ".join(f"metrics.m{i} > {i}" for i in range(400)) + " AND metrics.x >"
    message = rejection(text, RUNS)
    assert len(message) < 500
    assert "\n" not in message
    assert message.endswith(
        f"at position {len(text)}, expected a value, found the end of the filter"
    )


def test_errors_are_invalid_parameter_value_with_http_400() -> None:
    with pytest.raises(InvalidParameterValue) as info:
        parse_filter("metrics.acc LIKE 1", RUNS)
    assert info.value.code == "INVALID_PARAMETER_VALUE"
    assert info.value.http_status == 400


def test_kind_may_be_given_as_its_string_value() -> None:
    assert_parses("name = 'x'", SearchKind("experiments"), ("attribute", "name", "=", "x"))


# --------------------------------------------------------------------------------------------
# the tokenizer
# --------------------------------------------------------------------------------------------


def test_tokenizer_records_each_token_offset_and_kind() -> None:
    tokens = tokenize("metrics.`a b`>=1.5 AND run_id IN ('x', \"y\")")
    assert [(t.kind, t.text, t.pos) for t in tokens] == [
        (Kind.NAME, "metrics.`a b`", 0),
        (Kind.OP, ">=", 13),
        (Kind.NUMBER, "1.5", 15),
        (Kind.WORD, "AND", 19),
        (Kind.WORD, "run_id", 23),
        (Kind.WORD, "IN", 30),
        (Kind.LPAREN, "(", 33),
        (Kind.STRING, "'x'", 34),
        (Kind.COMMA, ",", 37),
        (Kind.QUOTED, '"y"', 39),
        (Kind.RPAREN, ")", 42),
        (Kind.EOF, "", 43),
    ]
    assert (tokens[0].prefix, tokens[0].value, tokens[0].key_pos) == ("metrics", "a b", 8)


# --------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------

_KEY_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="`", blacklist_categories=("Cs",)), max_size=20
)
_VALUE_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="'", blacklist_categories=("Cs",)), max_size=20
).filter(lambda text: not text.endswith("\\"))
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
_COMPARISONS = st.one_of(
    st.tuples(
        st.just("metrics"), _KEY_TEXT, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), _FLOATS
    ),
    st.tuples(
        st.sampled_from(["params", "tags"]),
        _KEY_TEXT,
        st.sampled_from(["=", "!=", "LIKE", "ILIKE"]),
        _VALUE_TEXT,
    ),
)
_ENTITY = {"metrics": Entity.METRIC, "params": Entity.PARAM, "tags": Entity.TAG}


def _render(prefix: str, key: str, op: str, value: float | str) -> str:
    # MLflow's number syntax has no '+' in exponents: 1e+16 is written 1e16.
    literal = repr(value).replace("e+", "e") if isinstance(value, float) else f"'{value}'"
    return f"{prefix}.`{key}` {op} {literal}"


@given(
    st.lists(_COMPARISONS, min_size=2, max_size=8), st.sampled_from([" AND ", " and ", "  AND\n"])
)
def test_and_chain_of_valid_comparisons_parses_into_an_and_of_the_same_length(
    comparisons: list[tuple[str, str, str, float | str]], joiner: str
) -> None:
    text = joiner.join(_render(*comparison) for comparison in comparisons)
    expr = parse_filter(text, RUNS)
    assert isinstance(expr, And)
    assert [
        (t.entity, t.key, t.op.value, t.value) for t in expr.terms if isinstance(t, Comparison)
    ] == [(_ENTITY[prefix], key, op, value) for prefix, key, op, value in comparisons]
    assert all(
        text.startswith(f"{p}.", t.position)
        for t, (p, *_) in zip(expr.terms, comparisons, strict=True)
        if isinstance(t, Comparison)
    )


@given(_KEY_TEXT, _VALUE_TEXT, st.sampled_from(["`", '"']))
def test_any_quoted_key_and_string_value_round_trip(key: str, value: str, quote: str) -> None:
    if quote == '"':  # inside double quotes, '"' and a final backslash would need escaping
        key = key.replace('"', "").rstrip("\\")
    expr = parse_filter(f"tags.{quote}{key}{quote} = '{value}'", RUNS)
    assert expr == Comparison(Entity.TAG, key, Op.EQ, value, position=0)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_integer_timestamps_stay_integers(value: int) -> None:
    assert parse_filter(f"attributes.start_time >= {value}", RUNS) == Comparison(
        Entity.ATTRIBUTE, "start_time", Op.GE, value
    )


def _error_of(text: str, kind: SearchKind) -> str | None:
    try:
        parse_filter(text, kind)
    except InvalidParameterValue as exc:
        return exc.message
    return None


_PIECES = [*"metrics.acgs_ \n><=!'\"`(),-15eE\\", "AND ", " OR ", "NOT ", "IN ", "IS ", "NULL"]
_LANGUAGE_LIKE_TEXT = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)


@given(st.one_of(st.text(max_size=40), _LANGUAGE_LIKE_TEXT))
def test_any_text_either_parses_or_raises_a_one_line_invalid_parameter_value(text: str) -> None:
    for kind in SearchKind:
        message = _error_of(text, kind)
        assert message is None or "\n" not in message


def test_or_is_exported_for_stores_to_match() -> None:
    assert isinstance(parse_filter("tags.a = 'x' OR tags.b = 'y'", RUNS), Or)


def test_search_package_exports_a_sorted_complete_all() -> None:
    exported = runstone.search.__all__
    assert exported == sorted(exported)
    assert set(exported) >= {"parse_filter", "parse_order_by", "SearchKind", "Comparison", "Expr"}
    assert all(hasattr(runstone.search, name) for name in exported)
