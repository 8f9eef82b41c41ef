"""Turning an HTTP request into a validated message, with MLflow's rules and error messages.

- ``GET`` reads the query string (a repeated key is a list); a ``GET`` without a query string
  reads a JSON body instead. Every other method reads a JSON body; no body means ``{}``.
- ``POST`` and ``PUT`` must say ``Content-Type: application/json``.
- A body that is a JSON string holding JSON is accepted (some clients double-encode).
- A field may be spelled ``max_results`` or ``maxResults``, not both.
- A required field that is absent or empty is "Missing value for required parameter".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, get_origin

import orjson
from pydantic import ValidationError

from runstone.errors import InvalidParameterValue
from runstone.wire.messages import Message

M = TypeVar("M", bound=Message)

MAX_JSON_DEPTH = 64


def decode_request(
    model: type[M],
    method: str,
    query: Iterable[tuple[str, str]],
    body: bytes,
    content_type: str | None,
) -> M:
    if method == "GET":
        pairs = list(query)
        data = _from_query(model, pairs) if pairs else _from_body(body)
    else:
        if method in ("POST", "PUT"):
            check_json_content_type(content_type)
        data = _from_body(body)
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
    _check_depth(data)
    return data


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


def _check_depth(data: Any) -> None:
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidParameterValue(f"The request body nests deeper than {MAX_JSON_DEPTH}.")
        if isinstance(item, dict):
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)


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
