"""What each search accepts, as tables: entity prefixes, keys, value types, operators, sort keys.

The parser is the same for every kind of search; only the :class:`Schema` differs. The tables
restate MLflow's search grammar (see ``mlflow-compat.md`` section 3). Adding a searchable column
means adding a row here, not a branch in the parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum, auto

from runstone.search.ast import Entity, Op


class SearchKind(StrEnum):
    RUNS = "runs"
    EXPERIMENTS = "experiments"
    REGISTERED_MODELS = "registered_models"
    MODEL_VERSIONS = "model_versions"
    LOGGED_MODELS = "logged_models"


class ValueType(Enum):
    """How the literal on the right of an operator is read, and the Python type it becomes."""

    STRING = auto()  # 'quoted' or "quoted" -> str, kept verbatim
    NUMBER = auto()  # unquoted number -> float (metrics)
    TIMESTAMP = auto()  # unquoted number -> int, or float when written with '.' or an exponent
    INTEGER = auto()  # unquoted integer -> int; a fraction or exponent is rejected
    INTEGER_OR_QUOTED = auto()  # unquoted integer, or a quoted string int() accepts -> int
    EXPERIMENT_ID = auto()  # quoted string int() accepts -> its canonical decimal str


VALUE_DESCRIPTIONS: Mapping[ValueType, str] = {
    ValueType.STRING: "a quoted string",
    ValueType.NUMBER: "a number",
    ValueType.TIMESTAMP: "a number",
    ValueType.INTEGER: "an integer",
    ValueType.INTEGER_OR_QUOTED: "an integer",
    ValueType.EXPERIMENT_ID: "a quoted integer string",
}

EQUALITY = frozenset({Op.EQ, Op.NE})
NUMERIC_OPS = EQUALITY | {Op.LT, Op.LE, Op.GT, Op.GE}
PATTERN_OPS = EQUALITY | {Op.LIKE, Op.ILIKE}
LIST_OPS = frozenset({Op.IN, Op.NOT_IN})
NULL_OPS = frozenset({Op.IS_NULL, Op.IS_NOT_NULL})

# Operators in the order error messages list them.
OP_ORDER: tuple[Op, ...] = tuple(Op)


@dataclass(frozen=True, slots=True)
class Field:
    """A searchable key (or every key of an open entity such as metrics)."""

    value: ValueType
    ops: frozenset[Op]


@dataclass(frozen=True, slots=True)
class Schema:
    """Everything one kind of search accepts.

    ``open`` entities take any key (metric, param and tag names are the user's); ``closed``
    entities take a fixed set of canonical keys, and ``aliases`` maps alternative attribute
    spellings to them. A filter without a prefix names an attribute.
    """

    kind: SearchKind
    prefixes: Mapping[str, Entity]
    open: Mapping[Entity, Field]
    closed: Mapping[Entity, Mapping[str, Field]]
    aliases: Mapping[str, str] = field(default_factory=dict)
    order_prefixes: Mapping[str, Entity] = field(default_factory=dict)
    order_open: frozenset[Entity] = frozenset()
    order_keys: Mapping[str, str] = field(default_factory=dict)


def _same(*keys: str) -> dict[str, str]:
    return {key: key for key in keys}


_STRING = Field(ValueType.STRING, PATTERN_OPS)
_STRING_LIST = Field(ValueType.STRING, PATTERN_OPS | LIST_OPS)
_NULLABLE_STRING = Field(ValueType.STRING, PATTERN_OPS | NULL_OPS)

_RUN_PREFIXES: Mapping[str, Entity] = {
    "metric": Entity.METRIC,
    "metrics": Entity.METRIC,
    "param": Entity.PARAM,
    "params": Entity.PARAM,
    "parameter": Entity.PARAM,
    "parameters": Entity.PARAM,
    "tag": Entity.TAG,
    "tags": Entity.TAG,
    "attribute": Entity.ATTRIBUTE,
    "attributes": Entity.ATTRIBUTE,
    "attr": Entity.ATTRIBUTE,
    "run": Entity.ATTRIBUTE,
    "dataset": Entity.DATASET,
    "datasets": Entity.DATASET,
}

_REGISTRY_PREFIXES: Mapping[str, Entity] = {
    "attribute": Entity.ATTRIBUTE,
    "tag": Entity.TAG,
    "tags": Entity.TAG,
}

RUNS = Schema(
    kind=SearchKind.RUNS,
    prefixes=_RUN_PREFIXES,
    open={
        Entity.METRIC: Field(ValueType.NUMBER, NUMERIC_OPS),
        Entity.PARAM: _NULLABLE_STRING,
        Entity.TAG: _NULLABLE_STRING,
    },
    closed={
        Entity.ATTRIBUTE: {
            "run_id": _STRING_LIST,
            "run_name": _STRING,
            "status": _STRING,
            "user_id": _STRING,
            "artifact_uri": _STRING,
            "start_time": Field(ValueType.TIMESTAMP, NUMERIC_OPS),
            "end_time": Field(ValueType.TIMESTAMP, NUMERIC_OPS),
        },
        Entity.DATASET: {key: _STRING_LIST for key in ("name", "digest", "context")},
    },
    aliases={
        "created": "start_time",
        "Created": "start_time",
        "run name": "run_name",
        "Run name": "run_name",
        "Run Name": "run_name",
    },
    order_prefixes={k: v for k, v in _RUN_PREFIXES.items() if v is not Entity.DATASET},
    order_open=frozenset({Entity.METRIC, Entity.PARAM, Entity.TAG}),
    order_keys={
        **_same("run_id", "run_name", "status", "user_id", "artifact_uri"),
        **_same("start_time", "end_time"),
        "created": "start_time",
        "Created": "start_time",
    },
)

EXPERIMENTS = Schema(
    kind=SearchKind.EXPERIMENTS,
    prefixes=_REGISTRY_PREFIXES,
    open={Entity.TAG: _NULLABLE_STRING},
    closed={
        Entity.ATTRIBUTE: {
            "name": _STRING,
            "experiment_id": Field(ValueType.EXPERIMENT_ID, EQUALITY | LIST_OPS),
            "creation_time": Field(ValueType.INTEGER, NUMERIC_OPS),
            "last_update_time": Field(ValueType.INTEGER, NUMERIC_OPS),
        },
    },
    order_prefixes={"attribute": Entity.ATTRIBUTE},
    order_keys=_same("name", "experiment_id", "creation_time", "last_update_time"),
)

REGISTERED_MODELS = Schema(
    kind=SearchKind.REGISTERED_MODELS,
    prefixes=_REGISTRY_PREFIXES,
    open={Entity.TAG: Field(ValueType.STRING, PATTERN_OPS)},
    closed={Entity.ATTRIBUTE: {"name": _STRING_LIST}},
    order_keys={
        **_same("name", "last_updated_timestamp"),
        "timestamp": "last_updated_timestamp",
    },
)

MODEL_VERSIONS = Schema(
    kind=SearchKind.MODEL_VERSIONS,
    prefixes=_REGISTRY_PREFIXES,
    open={Entity.TAG: Field(ValueType.STRING, PATTERN_OPS)},
    closed={
        Entity.ATTRIBUTE: {
            "name": _STRING_LIST,
            "run_id": _STRING_LIST,
            "source_path": _STRING,  # the model version's ``source``
            "version_number": Field(ValueType.INTEGER_OR_QUOTED, NUMERIC_OPS),
        },
    },
    order_prefixes={"attribute": Entity.ATTRIBUTE},
    order_keys=_same("name", "version_number", "creation_timestamp", "last_updated_timestamp"),
)

_LOGGED_MODEL_TIMES = {
    "creation_timestamp": "creation_timestamp_ms",
    "creation_timestamp_ms": "creation_timestamp_ms",
    "creation_time": "creation_timestamp_ms",
    "last_updated_timestamp": "last_updated_timestamp_ms",
    "last_updated_timestamp_ms": "last_updated_timestamp_ms",
}

# What Runstone searches of logged models so far: equality on their string attributes and
# tags, sorting by those attributes and the timestamps (MLflow also filters on metrics,
# params and datasets there; not yet here).
LOGGED_MODELS = Schema(
    kind=SearchKind.LOGGED_MODELS,
    prefixes={**_REGISTRY_PREFIXES, "attributes": Entity.ATTRIBUTE},
    open={Entity.TAG: Field(ValueType.STRING, EQUALITY)},
    closed={
        Entity.ATTRIBUTE: {
            key: Field(ValueType.STRING, EQUALITY)
            for key in ("name", "source_run_id", "model_type", "status", "model_id")
        },
    },
    order_prefixes={"attribute": Entity.ATTRIBUTE, "attributes": Entity.ATTRIBUTE},
    order_keys={
        **_same("name", "source_run_id", "model_type", "status", "model_id"),
        **_LOGGED_MODEL_TIMES,
    },
)

SCHEMAS: Mapping[SearchKind, Schema] = {
    schema.kind: schema
    for schema in (RUNS, EXPERIMENTS, REGISTERED_MODELS, MODEL_VERSIONS, LOGGED_MODELS)
}
