"""Checks every store applies before it writes anything, with MLflow's limits.

Each check raises :class:`InvalidParameterValue` naming the field (``metrics[3].value``,
``experiment name``…) and the value, so the same message reaches a REST client and a
local caller.
"""

from __future__ import annotations

import numbers
import posixpath
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from runstone.entities import DatasetInput, Metric, Param, RunTag
from runstone.entities.metric import is_number
from runstone.errors import InvalidParameterValue

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_RUN_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
MAX_RUN_NAME_LENGTH = 250
MAX_USER_ID_LENGTH = 256
MAX_ARTIFACT_LOCATION_LENGTH = 2048
MAX_BATCH_METRICS = 1000
MAX_BATCH_PARAMS = 100
MAX_BATCH_TAGS = 100
MAX_BATCH_ITEMS = 1000
MAX_SEARCH_RESULTS = 50000
MAX_DATASET_NAME = 500
MAX_DATASET_DIGEST = 36
MAX_DATASET_SOURCE_TYPE = 36
MAX_DATASET_SOURCE = 65535
MAX_DATASET_SCHEMA = 1_048_575
MAX_DATASET_PROFILE = 16_777_215
MAX_INPUT_TAG_KEY = 255
MAX_INPUT_TAG_VALUE = 500
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_KEY_RE = re.compile(r"^[\w/.\- :]+$")
_PLAIN_NUMBERS = {float, int}
_ID_RE = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def invalid(field: str, value: object, why: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid value {_short(value)} for {field}: {why}.")


def key_problem(key: object) -> str | None:
    """Why ``key`` is not a valid metric, param or tag name, or None when it is."""
    if not isinstance(key, str):
        return "expected a string"
    if not key:
        return "must not be empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"longer than {MAX_KEY_LENGTH} characters ({len(key)})"
    if not _KEY_RE.match(key):
        return (
            "names may only contain letters, digits, underscores, dashes, periods, "
            "spaces, colons and slashes"
        )
    norm = posixpath.normpath(key)
    if norm != key or norm == "." or norm.startswith(("..", "/")):
        return "names must be a normalised relative path"
    return None


def check_key(key: object, field: str) -> str:
    """Metric, param and tag names: non-empty, at most 250 characters, a safe path."""
    problem = key_problem(key)
    if problem is not None:
        raise invalid(field, key, problem)
    return key  # type: ignore[return-value]


def check_string(value: object, field: str, max_length: int | None = None) -> str:
    if not isinstance(value, str):
        raise invalid(field, value, "expected a string")
    if max_length is not None and len(value) > max_length:
        raise invalid(field, value, f"longer than {max_length} characters ({len(value)})")
    return value


def check_int64(value: object, field: str, minimum: int = INT64_MIN) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise invalid(field, value, "expected an integer")
    number = int(value)
    if not minimum <= number <= INT64_MAX:
        raise invalid(field, value, f"must be between {minimum} and {INT64_MAX}")
    return number


def check_experiment_name(name: object) -> str:
    if not isinstance(name, str):
        raise invalid("experiment name", name, "expected a string")
    if not name.strip():
        raise invalid("experiment name", name, "must not be empty")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise invalid(
            "experiment name",
            name,
            f"longer than {MAX_EXPERIMENT_NAME_LENGTH} characters ({len(name)})",
        )
    return name


def check_experiment_id(experiment_id: object) -> int:
    """SQL stores number experiments; an id that is not a number names no experiment."""
    text = str(experiment_id) if isinstance(experiment_id, int) else experiment_id
    if not isinstance(text, str) or not text.isdigit() or not text.isascii():
        raise invalid("experiment_id", experiment_id, "expected an integer experiment id")
    number = int(text)
    if number > 2**31 - 1:
        raise invalid("experiment_id", experiment_id, "out of range")
    return number


def check_run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not _ID_RE.match(run_id):
        raise invalid("run_id", run_id, "expected a run id (32 hexadecimal characters)")
    return run_id


def check_max_results(max_results: object, limit: int, field: str = "max_results") -> int:
    value = check_int64(max_results, field)
    if not 1 <= value <= limit:
        raise invalid(field, value, f"must be between 1 and {limit}")
    return value


def check_metric(metric: Metric, field: str) -> None:
    check_key(metric.key, f"{field}.key")
    if not is_number(metric.value):
        raise invalid(f"{field}.value", metric.value, "expected a number")
    check_int64(metric.timestamp, f"{field}.timestamp", minimum=0)
    check_int64(metric.step, f"{field}.step")


@dataclass(frozen=True, slots=True)
class MetricColumns:
    """A checked batch of metrics, as columns."""

    keys: Sequence[str]
    steps: Sequence[int]
    timestamps: Sequence[int]
    values: Sequence[float]

    def __len__(self) -> int:
        return len(self.keys)


def check_metrics(metrics: Sequence[Metric]) -> MetricColumns:
    """Check a batch and return it as columns.

    Plain ints and floats are checked a column at a time; anything else (numpy scalars, a bad
    value) falls back to checking metric by metric, which names the first bad field
    (``metrics[3].value``).
    """
    if metrics and set(map(type, metrics)) == {Metric}:
        keys, values, timestamps, steps, _ = zip(*metrics, strict=True)  # transposed in C
        columns = MetricColumns(keys, steps, timestamps, values)
    else:
        columns = MetricColumns(
            [m.key for m in metrics],
            [m.step for m in metrics],
            [m.timestamp for m in metrics],
            [m.value for m in metrics],
        )
    if not _plainly_valid(columns):
        for i, metric in enumerate(metrics):
            check_metric(metric, f"metrics[{i}]")
        columns = MetricColumns(
            columns.keys,
            [int(s) for s in columns.steps],
            [int(t) for t in columns.timestamps],
            [float(x) for x in columns.values],
        )
    return columns


def _plainly_valid(columns: MetricColumns) -> bool:
    if not columns.keys:
        return True
    try:
        keys = set(columns.keys)
    except TypeError:  # an unhashable key
        return False
    if any(key_problem(key) is not None for key in keys):
        return False
    if not set(map(type, columns.values)) <= _PLAIN_NUMBERS:
        return False
    if set(map(type, columns.steps)) != {int} or set(map(type, columns.timestamps)) != {int}:
        return False
    return (
        min(columns.timestamps) >= 0
        and max(columns.timestamps) <= INT64_MAX
        and min(columns.steps) >= INT64_MIN
        and max(columns.steps) <= INT64_MAX
    )


def truncate_or_check(value: object, field: str, limit: int, truncate: bool) -> str:
    text = check_string(value, field)
    if len(text) <= limit:
        return text
    if truncate:
        return text[:limit]
    raise invalid(field, text, f"longer than {limit} characters ({len(text)})")


def check_batch_sizes(
    metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
) -> None:
    counts = (
        ("metrics", len(metrics), MAX_BATCH_METRICS),
        ("params", len(params), MAX_BATCH_PARAMS),
        ("tags", len(tags), MAX_BATCH_TAGS),
    )
    for name, count, limit in counts:
        if count > limit:
            raise InvalidParameterValue(
                f"A batch logging request can have at most {limit} {name}, got {count}."
            )
    total = len(metrics) + len(params) + len(tags)
    if total > MAX_BATCH_ITEMS:
        raise InvalidParameterValue(
            f"A batch logging request can have at most {MAX_BATCH_ITEMS} metrics, params and "
            f"tags in all, got {total}."
        )


def check_dataset_input(item: DatasetInput, field: str) -> None:
    ds = item.dataset
    check_string(ds.name, f"{field}.dataset.name", MAX_DATASET_NAME)
    if not ds.name:
        raise invalid(f"{field}.dataset.name", ds.name, "must not be empty")
    check_string(ds.digest, f"{field}.dataset.digest", MAX_DATASET_DIGEST)
    if not ds.digest:
        raise invalid(f"{field}.dataset.digest", ds.digest, "must not be empty")
    check_string(ds.source_type, f"{field}.dataset.source_type", MAX_DATASET_SOURCE_TYPE)
    check_string(ds.source, f"{field}.dataset.source", MAX_DATASET_SOURCE)
    if ds.schema is not None:
        check_string(ds.schema, f"{field}.dataset.schema", MAX_DATASET_SCHEMA)
    if ds.profile is not None:
        check_string(ds.profile, f"{field}.dataset.profile", MAX_DATASET_PROFILE)
    for j, tag in enumerate(item.tags):
        check_string(tag.key, f"{field}.tags[{j}].key", MAX_INPUT_TAG_KEY)
        if not tag.key:
            raise invalid(f"{field}.tags[{j}].key", tag.key, "must not be empty")
        check_string(tag.value, f"{field}.tags[{j}].value", MAX_INPUT_TAG_VALUE)


# -- the model registry ---------------------------------------------------------------------------

MAX_MODEL_NAME_LENGTH = 256
MAX_REGISTRY_TAG_KEY_LENGTH = 250
MAX_REGISTRY_TAG_VALUE_LENGTH = 100_000
MAX_DESCRIPTION_LENGTH = 5000
MAX_SOURCE_LENGTH = 500
MAX_RUN_LINK_LENGTH = 500
MAX_MODEL_ID_LENGTH = 64
MAX_ALIAS_LENGTH = 255
MAX_REGISTERED_MODELS_PAGE = 1000
MAX_MODEL_VERSIONS_PAGE = 200_000
_ALIAS_RE = re.compile(r"^[\w\-]*$")
_RESERVED_ALIAS_RE = re.compile(r"^(latest|v\d+)$", re.IGNORECASE)
# Characters that change how a name looks without showing: controls, format characters
# (zero-width, bidi overrides), line and paragraph separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def check_model_name(name: object, field: str = "name") -> str:
    """A registered model's name: non-empty, no ``/`` or ``:``, at most 256 characters.

    Names are compared exactly as stored, so two models must never look alike: a name must be
    in Unicode NFC form, must not start or end with whitespace, and must not hold invisible
    characters (controls, zero-width or bidi marks).
    """
    if not isinstance(name, str):
        raise invalid(field, name, "expected a string")
    if not name.strip():
        raise invalid(field, name, "a registered model name must not be empty")
    if len(name) > MAX_MODEL_NAME_LENGTH:
        raise invalid(field, name, f"longer than {MAX_MODEL_NAME_LENGTH} characters ({len(name)})")
    if "/" in name or ":" in name:
        raise invalid(field, name, "a registered model name must not contain '/' or ':'")
    if name != name.strip():
        raise invalid(field, name, "a registered model name must not start or end with spaces")
    if any(unicodedata.category(ch) in _INVISIBLE_CATEGORIES for ch in name):
        raise invalid(field, name, "a registered model name must not hold invisible characters")
    if unicodedata.normalize("NFC", name) != name:
        raise invalid(field, name, "a registered model name must be in Unicode NFC form")
    if name in (".", ".."):
        raise invalid(field, name, "a registered model name must not be a path segment")
    return name


def check_version(version: object, field: str = "version") -> int:
    """A version number, given as a positive int or its decimal string."""
    if isinstance(version, str) and version.isascii() and version.strip().isdigit():
        number = int(version.strip())
    elif isinstance(version, int) and not isinstance(version, bool):
        number = version
    else:
        raise invalid(field, version, "expected a version number (a positive integer)")
    if not 1 <= number <= INT64_MAX:
        raise invalid(field, version, "expected a version number (a positive integer)")
    return number


def check_alias(alias: object, field: str = "alias") -> str:
    """An alias: letters, digits, ``_`` and ``-``, at most 255; ``latest`` and ``v<N>`` are
    reserved because ``models:/name@latest`` and version URIs would be ambiguous."""
    if not isinstance(alias, str):
        raise invalid(field, alias, "expected a string")
    if not alias:
        raise invalid(field, alias, "an alias must not be empty")
    if len(alias) > MAX_ALIAS_LENGTH:
        raise invalid(field, alias, f"longer than {MAX_ALIAS_LENGTH} characters ({len(alias)})")
    if not _ALIAS_RE.match(alias):
        raise invalid(field, alias, "an alias may only contain letters, digits, '_' and '-'")
    if _RESERVED_ALIAS_RE.match(alias):
        raise invalid(field, alias, "'latest' and 'v<number>' are reserved alias names")
    return alias


def check_registry_tag(key: object, value: object, field: str = "tag") -> tuple[str, str]:
    """A registered model or model version tag: a safe key and a value of up to 100,000."""
    check_key(key, f"{field} key")
    if value is None:
        value = ""
    text = check_string(value, f"{field} value", MAX_REGISTRY_TAG_VALUE_LENGTH)
    return key, text  # type: ignore[return-value]


def check_description(description: object, field: str = "description") -> str:
    if description is None:
        return ""
    return check_string(description, field, MAX_DESCRIPTION_LENGTH)


def check_model_source(source: object, field: str = "source") -> str:
    """A model version's source: a non-empty URI or path without ``..`` segments or NUL.

    Whether the location may be used (inside the artifact roots) is the server's check."""
    text = check_string(source, field, MAX_SOURCE_LENGTH)
    if not text.strip():
        raise invalid(field, text, "must not be empty")
    if "\x00" in text:
        raise invalid(field, text, "must not contain NUL characters")
    decoded = text
    for _ in range(3):  # raw, percent-encoded and double-encoded ".."
        if ".." in decoded.replace("\\", "/").split("/"):
            raise invalid(field, text, "must not contain '..' segments")
        decoded = unquote(decoded)
    return text
