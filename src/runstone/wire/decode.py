"""Turning an HTTP request into a validated message, with MLflow's rules and error messages.

- ``GET`` reads the query string (a repeated key is a list); a ``GET`` without a query string
  reads a JSON body instead. Every other method reads a JSON body; no body means ``{}``.
- ``POST`` and ``PUT`` must say ``Content-Type: application/json``.
- A body that is a JSON string holding JSON is accepted (some clients double-encode).
- A field may be spelled ``max_results`` or ``maxResults``, not both.
- A required field that is absent or empty is "Missing value for required parameter".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, get_origin

import orjson
from pydantic import ValidationError

from runstone.entities import Metric
from runstone.errors import InvalidParameterValue
from runstone.wire.messages import Message

M = TypeVar("M", bound=Message)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def decode_request(
    model: type[M],
    method: str,
    query: Iterable[tuple[str, str]],
    body: bytes,
    content_type: str | None,
    path_params: Mapping[str, str] | None = None,
) -> M:
    """The message of a request; ``path_params`` (segments of the URL such as a model id)
    take precedence over fields of the same name in the query or body."""
    if method == "GET":
        pairs = list(query)
        data = _from_query(model, pairs) if pairs else _from_body(body)
    else:
        if method in ("POST", "PUT"):
            check_json_content_type(content_type)
        data = _from_body(body)
    if path_params:
        data = {**data, **path_params}
    return validate(model, data)


def check_json_content_type(content_type: str | None) -> None:
    if not content_type:
        raise InvalidParameterValue(
            "Content-Type header is missing; send the request body as application/json."
        )
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        raise InvalidParameterValue(f"Content-Type must be application/json, not {content_type!r}.")


def validate(model: type[M], data: dict[str, Any]) -> M:
    _refuse_double_spelling(model, data)
    try:
        message = model.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc) from None
    for name in model.required:
        if _missing(message, name):
            raise InvalidParameterValue(
                f"Missing value for required parameter '{name}'. "
                "See the API docs for more information about request parameters."
            )
    return message


def _missing(message: Message, name: str) -> bool:
    value = getattr(message, name)
    if name == "run_id" and not value:
        value = getattr(message, "run_uuid", None)
    return value is None or value in ("", [])


def _from_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = orjson.loads(body)
        if isinstance(data, str):  # a JSON string holding the JSON object
            data = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameterValue(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise InvalidParameterValue(
            f"The request body must be a JSON object, not {type(data).__name__}."
        )
    return data  # orjson itself refuses nesting deeper than 1024 levels


def _from_query(model: type[Message], pairs: list[tuple[str, str]]) -> dict[str, Any]:
    lists = {
        name for name, field in model.model_fields.items() if get_origin(field.annotation) is list
    }
    lists |= {model.model_fields[name].alias or name for name in lists}
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in lists:
            data.setdefault(key, []).append(value)
        elif key in data:
            raise InvalidParameterValue(f"Parameter '{key}' was given more than once.")
        else:
            data[key] = value
    return data


def _refuse_double_spelling(model: type[Message], data: dict[str, Any]) -> None:
    for name, field in model.model_fields.items():
        alias = field.alias
        if alias and alias != name and name in data and alias in data:
            raise InvalidParameterValue(
                f"Parameter '{name}' was given twice, as '{name}' and as '{alias}'."
            )


def _invalid(exc: ValidationError) -> InvalidParameterValue:
    first = exc.errors(include_url=False)[0]
    where = _location(first["loc"])
    given = first.get("input")
    shown = repr(given) if len(repr(given)) <= 60 else repr(given)[:57] + "..."
    message = first["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return InvalidParameterValue(f"Invalid value {shown} for parameter '{where}': {message}.")


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


_PLAIN = (int, float)
_DOUBLE_WORDS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def metrics_from_json(items: list[Any], field: str = "metrics") -> list[Metric]:
    """The ``metrics`` of a log-batch as Metric tuples, fast.

    A batch holds up to 1,000 metrics; validating each through a model costs more than storing
    it, so plain numbers take a direct path. Strings are converted as MLflow's parser does
    (``"NaN"``, ``"Infinity"``, numeric strings; int64 as strings); booleans are refused. The
    store checks the rest (names, ranges).
    """
    out: list[Metric] = []
    append = out.append
    for i, item in enumerate(items):
        if type(item) is not dict:
            raise InvalidParameterValue(
                f"Invalid value for parameter '{field}[{i}]': expected an object."
            )
        key = item.get("key")
        value = item.get("value")
        timestamp = item.get("timestamp")
        step = item.get("step", 0)
        if (
            type(key) is str
            and type(value) in _PLAIN
            and type(timestamp) is int
            and type(step) is int
            and key
        ):
            append(Metric(key, value, timestamp, step))  # type: ignore[arg-type]
            continue
        where = f"{field}[{i}]"
        for name, given in (("key", key), ("value", value), ("timestamp", timestamp)):
            if given is None or given == "":
                raise InvalidParameterValue(
                    f"Missing value for required parameter '{where}.{name}'."
                )
        if not isinstance(key, str):
            raise InvalidParameterValue(
                f"Invalid value {key!r} for parameter '{where}.key': expected a string."
            )
        append(
            Metric(
                key,
                _double(value, f"{where}.value"),
                _int64(timestamp, f"{where}.timestamp"),
                0 if step is None else _int64(step, f"{where}.step"),
            )
        )
    return out


def _double(value: Any, where: str) -> float:
    if type(value) in _PLAIN:
        return float(value)
    if isinstance(value, str):
        if value in _DOUBLE_WORDS:
            return _DOUBLE_WORDS[value]
        try:
            return float(value)
        except ValueError:
            pass
    raise InvalidParameterValue(
        f"Invalid value {value!r} for parameter '{where}': expected a number."
    )


def _int64(value: Any, where: str) -> int:
    if (type(value) is float and value.is_integer()) or (
        isinstance(value, str) and value.lstrip("-").isdigit()
    ):
        value = int(value)
    if type(value) is not int or not INT64_MIN <= value <= INT64_MAX:
        raise InvalidParameterValue(
            f"Invalid value {value!r} for parameter '{where}': expected a 64-bit integer."
        )
    return value
