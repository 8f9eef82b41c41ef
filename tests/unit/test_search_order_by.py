"""order_by clauses: ``<identifier> [ASC|DESC]`` per clause, the sort keys MLflow allows per search.

Expected results were checked against MLflow 3.17 (its order_by parsers plus its SQL stores).
Defaults and tiebreaks are the stores' business, not the parser's.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runstone.errors import InvalidParameterValue
from runstone.search import Entity, OrderBy, SearchKind, parse_order_by

RUNS = SearchKind.RUNS
EXPERIMENTS = SearchKind.EXPERIMENTS
REGISTERED_MODELS = SearchKind.REGISTERED_MODELS
MODEL_VERSIONS = SearchKind.MODEL_VERSIONS

METRIC, PARAM, TAG, ATTRIBUTE = Entity.METRIC, Entity.PARAM, Entity.TAG, Entity.ATTRIBUTE


def rejection(clauses: list[str], kind: SearchKind) -> str:
    with pytest.raises(InvalidParameterValue) as info:
        parse_order_by(clauses, kind)
    return info.value.message


ACCEPTED: list[tuple[SearchKind, str, OrderBy]] = [
    (RUNS, "metrics.acc", OrderBy(METRIC, "acc", ascending=True)),
    (RUNS, "metrics.acc DESC", OrderBy(METRIC, "acc", ascending=False)),
    (RUNS, "metrics.acc desc", OrderBy(METRIC, "acc", ascending=False)),
    (RUNS, "metrics.acc Desc", OrderBy(METRIC, "acc", ascending=False)),
    (RUNS, "metrics.acc ASC", OrderBy(METRIC, "acc", ascending=True)),
    (RUNS, "metrics.acc asc", OrderBy(METRIC, "acc", ascending=True)),
    (RUNS, "metrics.acc  DESC", OrderBy(METRIC, "acc", ascending=False)),
    (RUNS, "metric.acc", OrderBy(METRIC, "acc")),
    (RUNS, "`metrics`.acc", OrderBy(METRIC, "acc")),
    (RUNS, "metrics.`my metric` DESC", OrderBy(METRIC, "my metric", ascending=False)),
    (RUNS, 'metrics."my metric" DESC', OrderBy(METRIC, "my metric", ascending=False)),
    (RUNS, "metrics.'my metric' DESC", OrderBy(METRIC, "my metric", ascending=False)),
    (RUNS, "metrics.`a-b`", OrderBy(METRIC, "a-b")),
    (RUNS, "params.lr", OrderBy(PARAM, "lr")),
    (RUNS, "param.lr DESC", OrderBy(PARAM, "lr", ascending=False)),
    (RUNS, "tags.mlflow.runName", OrderBy(TAG, "mlflow.runName")),
    (RUNS, "tags.`mlflow.runName` ASC", OrderBy(TAG, "mlflow.runName")),
    (RUNS, "attributes.start_time DESC", OrderBy(ATTRIBUTE, "start_time", ascending=False)),
    (RUNS, "attribute.end_time", OrderBy(ATTRIBUTE, "end_time")),
    (RUNS, "start_time", OrderBy(ATTRIBUTE, "start_time")),
    (RUNS, "end_time DESC", OrderBy(ATTRIBUTE, "end_time", ascending=False)),
    (RUNS, "created", OrderBy(ATTRIBUTE, "start_time")),
    (RUNS, "Created DESC", OrderBy(ATTRIBUTE, "start_time", ascending=False)),
    (RUNS, "attributes.created", OrderBy(ATTRIBUTE, "start_time")),
    (RUNS, "run_id", OrderBy(ATTRIBUTE, "run_id")),
    (RUNS, "run_name", OrderBy(ATTRIBUTE, "run_name")),
    (RUNS, "attr.run_name", OrderBy(ATTRIBUTE, "run_name")),
    (RUNS, "status", OrderBy(ATTRIBUTE, "status")),
    (RUNS, "user_id", OrderBy(ATTRIBUTE, "user_id")),
    (RUNS, "run.artifact_uri", OrderBy(ATTRIBUTE, "artifact_uri")),
    (EXPERIMENTS, "name", OrderBy(ATTRIBUTE, "name")),
    (EXPERIMENTS, "name DESC", OrderBy(ATTRIBUTE, "name", ascending=False)),
    (EXPERIMENTS, "name DeSc", OrderBy(ATTRIBUTE, "name", ascending=False)),
    (EXPERIMENTS, "experiment_id", OrderBy(ATTRIBUTE, "experiment_id")),
    (EXPERIMENTS, "experiment_id DESC", OrderBy(ATTRIBUTE, "experiment_id", ascending=False)),
    (EXPERIMENTS, "creation_time", OrderBy(ATTRIBUTE, "creation_time")),
    (EXPERIMENTS, "last_update_time DESC", OrderBy(ATTRIBUTE, "last_update_time", ascending=False)),
    (EXPERIMENTS, "attribute.name", OrderBy(ATTRIBUTE, "name")),
    (EXPERIMENTS, "`name`", OrderBy(ATTRIBUTE, "name")),
    (EXPERIMENTS, '"name" DESC', OrderBy(ATTRIBUTE, "name", ascending=False)),
    (REGISTERED_MODELS, "name", OrderBy(ATTRIBUTE, "name")),
    (REGISTERED_MODELS, "name DESC", OrderBy(ATTRIBUTE, "name", ascending=False)),
    (REGISTERED_MODELS, '"name" DESC', OrderBy(ATTRIBUTE, "name", ascending=False)),
    (REGISTERED_MODELS, "timestamp", OrderBy(ATTRIBUTE, "last_updated_timestamp")),
    (
        REGISTERED_MODELS,
        "timestamp desc",
        OrderBy(ATTRIBUTE, "last_updated_timestamp", ascending=False),
    ),
    (REGISTERED_MODELS, "last_updated_timestamp", OrderBy(ATTRIBUTE, "last_updated_timestamp")),
    (
        REGISTERED_MODELS,
        "last_updated_timestamp ASC",
        OrderBy(ATTRIBUTE, "last_updated_timestamp"),
    ),
    (MODEL_VERSIONS, "name", OrderBy(ATTRIBUTE, "name")),
    (MODEL_VERSIONS, "name DESC", OrderBy(ATTRIBUTE, "name", ascending=False)),
    (MODEL_VERSIONS, "version_number", OrderBy(ATTRIBUTE, "version_number")),
    (MODEL_VERSIONS, "version_number DESC", OrderBy(ATTRIBUTE, "version_number", ascending=False)),
    (
        MODEL_VERSIONS,
        "`version_number` DESC",
        OrderBy(ATTRIBUTE, "version_number", ascending=False),
    ),
    (MODEL_VERSIONS, "creation_timestamp", OrderBy(ATTRIBUTE, "creation_timestamp")),
    (
        MODEL_VERSIONS,
        "last_updated_timestamp DESC",
        OrderBy(ATTRIBUTE, "last_updated_timestamp", ascending=False),
    ),
    (MODEL_VERSIONS, "attribute.name", OrderBy(ATTRIBUTE, "name")),
]

REJECTED: list[tuple[SearchKind, str]] = [
    (RUNS, "metrics.acc DESCENDING"),
    (RUNS, "metrics.acc DESC NULLS LAST"),
    (RUNS, "metrics.acc DESC extra"),
    (RUNS, "metrics.acc,params.b"),
    (RUNS, "metrics.acc DESC, params.b"),
    (RUNS, "metrics.a-b"),
    (RUNS, "`run name`"),
    (RUNS, '"Run Name"'),
    (RUNS, "experiment_id"),
    (RUNS, "lifecycle_stage"),
    (RUNS, "foo"),
    (RUNS, "name"),
    (RUNS, "timestamp"),
    (RUNS, "datasets.name"),
    (RUNS, "dataset.digest"),
    (RUNS, "DESC"),
    (RUNS, ""),
    (RUNS, "   "),
    (EXPERIMENTS, "attributes.name"),
    (EXPERIMENTS, "tags.k"),
    (EXPERIMENTS, "tag.k"),
    (EXPERIMENTS, "metrics.a"),
    (EXPERIMENTS, "lifecycle_stage"),
    (EXPERIMENTS, "artifact_location"),
    (EXPERIMENTS, "timestamp"),
    (REGISTERED_MODELS, "TIMESTAMP"),
    (REGISTERED_MODELS, "creation_timestamp"),
    (REGISTERED_MODELS, "attribute.name"),
    (REGISTERED_MODELS, "attribute.timestamp"),
    (REGISTERED_MODELS, "tags.k"),
    (REGISTERED_MODELS, "description"),
    (MODEL_VERSIONS, "timestamp"),
    (MODEL_VERSIONS, "run_id"),
    (MODEL_VERSIONS, "source_path"),
    (MODEL_VERSIONS, "current_stage"),
    (MODEL_VERSIONS, "tags.name"),  # MLflow ignores the prefix and sorts by the attribute
]


@pytest.mark.parametrize(("kind", "clause", "expected"), ACCEPTED)
def test_order_by_clause_parses_like_mlflow(
    kind: SearchKind, clause: str, expected: OrderBy
) -> None:
    assert parse_order_by([clause], kind) == [expected]


@pytest.mark.parametrize(("kind", "clause"), REJECTED)
def test_order_by_clause_rejected_by_mlflow_is_rejected(kind: SearchKind, clause: str) -> None:
    assert rejection([clause], kind).startswith(f'Invalid order_by clause "{clause}": ')


@pytest.mark.parametrize("kind", list(SearchKind))
@pytest.mark.parametrize("clauses", [None, []])
def test_no_clauses_give_an_empty_list(kind: SearchKind, clauses: list[str] | None) -> None:
    assert parse_order_by(clauses, kind) == []


def test_clauses_keep_their_order() -> None:
    assert parse_order_by(["metrics.acc", "params.lr DESC", "created"], RUNS) == [
        OrderBy(METRIC, "acc"),
        OrderBy(PARAM, "lr", ascending=False),
        OrderBy(ATTRIBUTE, "start_time"),
    ]


@pytest.mark.parametrize(
    ("kind", "clauses"),
    [
        (RUNS, ["run_name", "tags.mlflow.runName"]),
        (RUNS, ["params.a", "tags.a", "metrics.a"]),
        (EXPERIMENTS, ["creation_time", "last_update_time"]),
        (REGISTERED_MODELS, ["name", "timestamp DESC"]),
        (MODEL_VERSIONS, ["name", "version_number DESC", "creation_timestamp"]),
    ],
)
def test_different_fields_may_be_combined(kind: SearchKind, clauses: list[str]) -> None:
    assert len(parse_order_by(clauses, kind)) == len(clauses)


@pytest.mark.parametrize(
    ("kind", "clauses"),
    [
        (RUNS, ["metrics.acc", "metrics.acc DESC"]),
        (RUNS, ["metrics.acc", "metric.acc"]),
        (RUNS, ["start_time", "created"]),
        (RUNS, ["start_time", "attributes.start_time"]),
        (REGISTERED_MODELS, ["timestamp", "last_updated_timestamp"]),
        (REGISTERED_MODELS, ["name", "name"]),
        (MODEL_VERSIONS, ["name", "attribute.name DESC"]),
        # MLflow's experiment store lets these through; the same field twice is an error here.
        (EXPERIMENTS, ["name", "name DESC"]),
        (EXPERIMENTS, ["name", "attribute.name"]),
    ],
)
def test_same_field_twice_is_rejected(kind: SearchKind, clauses: list[str]) -> None:
    assert "is already ordered by an earlier clause" in rejection(clauses, kind)


def test_a_metric_named_like_an_attribute_is_not_a_duplicate() -> None:
    # MLflow folds 'created' into start_time for every entity and rejects this pair.
    assert parse_order_by(["metrics.start_time", "metrics.created"], RUNS) == [
        OrderBy(METRIC, "start_time"),
        OrderBy(METRIC, "created"),
    ]


@pytest.mark.parametrize(
    ("kind", "clause", "expected"),
    [
        (RUNS, " metrics.acc DESC ", OrderBy(METRIC, "acc", ascending=False)),
        (REGISTERED_MODELS, "`name`", OrderBy(ATTRIBUTE, "name")),
        (REGISTERED_MODELS, "`timestamp`", OrderBy(ATTRIBUTE, "last_updated_timestamp")),
    ],
)
def test_padding_and_quoting_accepted_where_mlflow_rejects_them(
    kind: SearchKind, clause: str, expected: OrderBy
) -> None:
    assert parse_order_by([clause], kind) == [expected]


def test_a_single_string_is_taken_as_one_clause() -> None:
    assert parse_order_by("name DESC", EXPERIMENTS) == [OrderBy(ATTRIBUTE, "name", ascending=False)]


@pytest.mark.parametrize(
    ("kind", "clauses", "message"),
    [
        (
            RUNS,
            ["metrics.acc DESC extra"],
            'Invalid order_by clause "metrics.acc DESC extra": at position 17, '
            "expected the end of the clause, found 'extra'",
        ),
        (
            RUNS,
            ["metrics.acc DESCENDING"],
            'Invalid order_by clause "metrics.acc DESCENDING": at position 12, '
            "expected ASC, DESC or the end of the clause, found 'DESCENDING'",
        ),
        (
            RUNS,
            ["metrics.acc, params.b"],
            'Invalid order_by clause "metrics.acc, params.b": at position 11, '
            "expected ASC, DESC or the end of the clause, found ','",
        ),
        (
            RUNS,
            [""],
            'Invalid order_by clause "": at position 0, '
            "expected an identifier, found the end of the clause",
        ),
        (
            RUNS,
            ["datasets.name"],
            'Invalid order_by clause "datasets.name": at position 0, expected an entity prefix '
            "(metric, metrics, param, params, parameter, parameters, tag, tags, attribute, "
            "attributes, attr, run), found 'datasets'",
        ),
        (
            EXPERIMENTS,
            ["tags.k"],
            'Invalid order_by clause "tags.k": at position 0, expected an entity prefix '
            "(attribute), found 'tags'",
        ),
        (
            REGISTERED_MODELS,
            ["attribute.name"],
            'Invalid order_by clause "attribute.name": at position 0, expected no prefix, '
            "found 'attribute'",
        ),
        (
            REGISTERED_MODELS,
            ["creation_timestamp"],
            'Invalid order_by clause "creation_timestamp": at position 0, expected a sort key '
            "(last_updated_timestamp, name, timestamp), found 'creation_timestamp'",
        ),
        (
            RUNS,
            ["start_time", "created DESC"],
            'Invalid order_by clause "created DESC": '
            "attribute 'start_time' is already ordered by an earlier clause",
        ),
    ],
)
def test_error_message_names_clause_position_expected_and_found(
    kind: SearchKind, clauses: list[str], message: str
) -> None:
    assert rejection(clauses, kind) == message


_KEYS = st.text(
    alphabet=st.characters(blacklist_characters="`", blacklist_categories=("Cs",)), max_size=20
)


@given(
    st.lists(
        st.tuples(st.sampled_from(["metrics", "params", "tags"]), _KEYS, st.booleans()),
        max_size=6,
        unique_by=lambda item: (item[0], item[1]),
    )
)
def test_any_quoted_free_keys_round_trip_with_their_direction(
    items: list[tuple[str, str, bool]],
) -> None:
    entity = {"metrics": METRIC, "params": PARAM, "tags": TAG}
    clauses = [f"{prefix}.`{key}` {'ASC' if asc else 'desc'}" for prefix, key, asc in items]
    assert parse_order_by(clauses, RUNS) == [
        OrderBy(entity[prefix], key, ascending=asc) for prefix, key, asc in items
    ]


def _error_of(clause: str, kind: SearchKind) -> str | None:
    try:
        parse_order_by([clause], kind)
    except InvalidParameterValue as exc:
        return exc.message
    return None


@given(st.text(max_size=30))
def test_any_clause_text_either_parses_or_raises_a_one_line_error(clause: str) -> None:
    for kind in SearchKind:
        message = _error_of(clause, kind)
        assert message is None or "\n" not in message
