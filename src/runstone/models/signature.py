"""Model signatures: what a model takes and returns, in MLflow's MLmodel format.

A signature travels inside the ``MLmodel`` file as ``signature: {inputs, outputs, params}`` whose
values are JSON *strings* (mlflow-compat §5.6). Models saved by MLflow must load here and ours
there, so the JSON produced by :meth:`ModelSignature.to_dict` is byte-for-byte what MLflow writes
for the same data: the same key names, key order and ``json.dumps`` separators.

pandas and numpy are optional heavy dependencies of this module: they are imported inside the
functions that inspect data, so ``import runstone.models.signature`` stays light. Enforcement of a
signature at predict time lives in :mod:`runstone.models.schema_enforce`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeAlias

from runstone.errors import InvalidParameterValue

_log = logging.getLogger(__name__)


class DataType(StrEnum):
    """MLflow's scalar column types; the value is the name written in the JSON."""

    BOOLEAN = "boolean"
    INTEGER = "integer"  # int32
    LONG = "long"  # int64
    FLOAT = "float"  # float32
    DOUBLE = "double"  # float64
    STRING = "string"
    BINARY = "binary"
    DATETIME = "datetime"


@dataclass(frozen=True)
class AnyType:
    """Accepts any value; MLflow writes it when it could not infer a type."""


@dataclass(frozen=True)
class SparkMLVector:
    """A Spark ML vector column; kept so that such signatures load and round-trip."""


@dataclass(frozen=True)
class Array:
    """A list whose items all have one type (MLflow 2.10+)."""

    items: ColType


@dataclass(frozen=True)
class Property:
    """One named field of an :class:`Object`."""

    name: str
    type: ColType
    required: bool = True


@dataclass(frozen=True)
class Object:
    """A JSON object with known fields; properties are kept sorted by name as MLflow does."""

    properties: tuple[Property, ...]

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.properties, key=lambda p: p.name))
        if len({p.name for p in ordered}) != len(ordered):
            raise InvalidParameterValue("object type: property names must be unique")
        object.__setattr__(self, "properties", ordered)


@dataclass(frozen=True)
class Map:
    """A JSON object with string keys and values of one type."""

    values: ColType


ColType: TypeAlias = DataType | Array | Object | Map | AnyType | SparkMLVector


def type_to_dict(t: ColType) -> dict[str, Any]:
    """The JSON object of a column type (without ``name``/``required``)."""
    if isinstance(t, DataType):
        return {"type": t.value}
    if isinstance(t, Array):
        return {"type": "array", "items": type_to_dict(t.items)}
    if isinstance(t, Object):
        props = {p.name: {**type_to_dict(p.type), "required": p.required} for p in t.properties}
        return {"type": "object", "properties": props}
    if isinstance(t, Map):
        return {"type": "map", "values": type_to_dict(t.values)}
    if isinstance(t, SparkMLVector):
        return {"type": "sparkml_vector"}
    return {"type": "any"}


def type_from_dict(d: Mapping[str, Any]) -> ColType:
    """Parse a column type from its JSON object; unknown names are an error, not ``any``."""
    name = d.get("type")
    if name == "array":
        return Array(type_from_dict(d["items"]))
    if name == "object":
        props = d.get("properties") or {}
        return Object(
            tuple(
                Property(k, type_from_dict(v), bool(v.get("required", True)))
                for k, v in props.items()
            )
        )
    if name == "map":
        return Map(type_from_dict(d["values"]))
    if name == "any":
        return AnyType()
    if name == "sparkml_vector":
        return SparkMLVector()
    try:
        return DataType(str(name))
    except ValueError:
        raise InvalidParameterValue(f"unknown signature type {name!r}") from None


def type_name(t: ColType) -> str:
    """A short human name for error messages: ``long``, ``array<double>``, ``object``."""
    if isinstance(t, Array):
        return f"array<{type_name(t.items)}>"
    if isinstance(t, Map):
        return f"map<{type_name(t.values)}>"
    return str(type_to_dict(t)["type"])


@dataclass(frozen=True)
class ColSpec:
    """One column of a column-based schema."""

    type: ColType
    name: str | None = None
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        d = type_to_dict(self.type)
        if self.name is not None:
            d["name"] = self.name
        d["required"] = self.required
        return d


@dataclass(frozen=True)
class TensorSpec:
    """One tensor of a tensor-based schema: a numpy dtype name and a shape (-1 = any size)."""

    dtype: str
    shape: tuple[int, ...]
    name: str | None = None

    def __post_init__(self) -> None:
        # Accept numpy dtypes too; store the name MLflow writes (``str``/``bytes`` if flexible).
        object.__setattr__(self, "dtype", dtype_name(self.dtype))
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))

    def to_dict(self) -> dict[str, Any]:
        spec = {"dtype": self.dtype, "shape": list(self.shape)}
        if self.name is None:
            return {"type": "tensor", "tensor-spec": spec}
        return {"name": self.name, "type": "tensor", "tensor-spec": spec}


def dtype_name(dtype: Any) -> str:
    """MLflow's name for a numpy dtype: its ``name``, except ``str`` and ``bytes`` for U/S kinds."""
    if isinstance(dtype, str):
        return dtype
    kind = getattr(dtype, "kind", None)
    if kind == "U":
        return "str"
    if kind == "S":
        return "bytes"
    return str(getattr(dtype, "name", dtype))


Spec: TypeAlias = ColSpec | TensorSpec


@dataclass(frozen=True)
class Schema:
    """An ordered list of specs: all columns or all tensors, all named or all unnamed."""

    inputs: tuple[Spec, ...]

    def __init__(self, inputs: Iterable[Spec]) -> None:
        specs = tuple(inputs)
        if not specs:
            raise InvalidParameterValue("a schema needs at least one column or tensor")
        if not (
            all(isinstance(s, ColSpec) for s in specs)
            or all(isinstance(s, TensorSpec) for s in specs)
        ):
            raise InvalidParameterValue("a schema cannot mix column and tensor specs")
        named = [s.name is not None for s in specs]
        if any(named) and not all(named):
            raise InvalidParameterValue("a schema's inputs must be all named or all unnamed")
        names = [s.name for s in specs if s.name is not None]
        if len(set(names)) != len(names):
            raise InvalidParameterValue("a schema's input names must be unique")
        if isinstance(specs[0], TensorSpec) and len(specs) > 1 and not all(named):
            raise InvalidParameterValue("a schema with several tensors must name them")
        if not any(named) and any(isinstance(s, ColSpec) and not s.required for s in specs):
            raise InvalidParameterValue("unnamed columns cannot be optional")
        object.__setattr__(self, "inputs", specs)

    def is_tensor_spec(self) -> bool:
        return isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        return self.inputs[0].name is not None

    def input_names(self) -> list[str]:
        return [s.name for s in self.inputs if s.name is not None]

    def to_dict(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.inputs]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str | Sequence[Mapping[str, Any]]) -> Schema:
        items = json.loads(text) if isinstance(text, str) else text
        specs: list[Spec] = []
        for d in items:
            if d.get("type") == "tensor":
                ts = d["tensor-spec"]
                specs.append(TensorSpec(ts["dtype"], tuple(ts["shape"]), d.get("name")))
            else:
                name = None if d.get("name") is None else str(d["name"])
                specs.append(ColSpec(type_from_dict(d), name, bool(d.get("required", True))))
        return cls(specs)


ParamType: TypeAlias = DataType | Object


@dataclass(frozen=True)
class ParamSpec:
    """One inference parameter: a type, a default (required) and a shape (None or ``(-1,)``)."""

    name: str
    type: ParamType
    default: Any
    shape: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.type == DataType.BINARY:
            raise InvalidParameterValue(f"param {self.name!r}: binary parameters are not supported")
        if self.shape is not None:
            object.__setattr__(self, "shape", tuple(self.shape))
            if self.shape != (-1,):
                raise InvalidParameterValue(
                    f"param {self.name!r}: shape must be None or (-1,), got {list(self.shape)}"
                )
        # The default is checked against the type where it is used (schema_enforce.enforce_params):
        # checking it here would make this module depend on the enforcement one.

    @property
    def value_type(self) -> ColType:
        """The type a value must have: ``array<type>`` when the shape is ``(-1,)``."""
        return self.type if self.shape is None else Array(self.type)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "default": _jsonable(self.default),
            "shape": None if self.shape is None else list(self.shape),
        }
        d.update(type_to_dict(self.type))
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ParamSpec:
        ptype = type_from_dict(d)
        if not isinstance(ptype, (DataType, Object)):
            raise InvalidParameterValue(f"param {d.get('name')!r}: unsupported type {d['type']!r}")
        shape = d.get("shape")
        return cls(str(d["name"]), ptype, d.get("default"), None if shape is None else tuple(shape))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class ParamSchema:
    """The named inference parameters of a model."""

    params: tuple[ParamSpec, ...]

    def __init__(self, params: Iterable[ParamSpec]) -> None:
        specs = tuple(params)
        names = [p.name for p in specs]
        if len(set(names)) != len(names):
            raise InvalidParameterValue("parameter names must be unique")
        object.__setattr__(self, "params", specs)

    def to_dict(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.params]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str | Sequence[Mapping[str, Any]]) -> ParamSchema:
        items = json.loads(text) if isinstance(text, str) else text
        return cls(ParamSpec.from_dict(d) for d in items)


@dataclass(frozen=True)
class ModelSignature:
    """Inputs, outputs and params of a model, as stored under ``signature`` in MLmodel."""

    inputs: Schema | None
    outputs: Schema | None = None
    params: ParamSchema | None = field(default=None)

    def to_dict(self) -> dict[str, str | None]:
        """MLflow's mapping: every value a JSON string, or None when absent."""
        return {
            "inputs": None if self.inputs is None else self.inputs.to_json(),
            "outputs": None if self.outputs is None else self.outputs.to_json(),
            "params": None if self.params is None else self.params.to_json(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelSignature:
        def get(key: str) -> Any:
            value = d.get(key)
            return None if value in (None, "", "null") else value

        inputs, outputs, params = get("inputs"), get("outputs"), get("params")
        return cls(
            None if inputs is None else Schema.from_json(inputs),
            None if outputs is None else Schema.from_json(outputs),
            None if params is None else ParamSchema.from_json(params),
        )


# ---------------------------------------------------------------------------------- inference


class CannotInfer(Exception):
    """Raised inside inference; turned into MLflow's ``any`` fallback or a clear error."""


def numpy_dtype_to_type(dtype: Any) -> DataType:
    """MLflow's column type for a numpy dtype (int32 and smaller → integer, int64 → long, …)."""
    kind, size = dtype.kind, dtype.itemsize
    if kind == "b":
        return DataType.BOOLEAN
    if kind in "iu":
        if size < 4 or (kind == "i" and size == 4):
            return DataType.INTEGER
        if size < 8 or (kind == "i" and size == 8):
            return DataType.LONG
    elif kind == "f":
        return DataType.FLOAT if size <= 4 else DataType.DOUBLE
    elif kind == "U":
        return DataType.STRING
    elif kind == "S":
        return DataType.BINARY
    elif kind == "M":
        return DataType.DATETIME
    raise CannotInfer(f"no column type for numpy dtype {dtype}")


def _merge(a: ColType, b: ColType) -> ColType:
    """The one type that describes values of types ``a`` and ``b`` (objects merge their fields)."""
    if a == b:
        return a
    if isinstance(a, Object) and isinstance(b, Object):
        pa = {p.name: p for p in a.properties}
        pb = {p.name: p for p in b.properties}
        props = []
        for name in pa.keys() | pb.keys():
            x, y = pa.get(name), pb.get(name)
            if x is not None and y is not None:
                props.append(Property(name, _merge(x.type, y.type), x.required and y.required))
            else:
                only = x or y
                assert only is not None
                props.append(Property(name, only.type, False))
        return Object(tuple(props))
    if isinstance(a, Array) and isinstance(b, Array):
        return Array(_merge(a.items, b.items))
    raise CannotInfer(f"mixed types {type_name(a)} and {type_name(b)}")


def is_null(value: Any) -> bool:
    """None or NaN: a missing value in a record or column."""
    if value is None:
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return math.isnan(value)  # float, numpy floats
    # pandas' NA and NaT, recognised by name so that pandas need not be imported here.
    return type(value).__name__ in ("NAType", "NaTType")


def infer_value_type(value: Any) -> ColType:
    """The column type of one Python/numpy value; lists become arrays, dicts objects."""
    import numpy as np  # optional heavy dependency

    if isinstance(value, bool | np.bool_):
        return DataType.BOOLEAN
    if isinstance(value, np.generic):
        return numpy_dtype_to_type(value.dtype)
    if isinstance(value, int):
        return DataType.LONG
    if isinstance(value, float):
        return DataType.DOUBLE
    if isinstance(value, str):
        return DataType.STRING
    if isinstance(value, bytes | bytearray):
        return DataType.BINARY
    if isinstance(value, dt.datetime):
        return DataType.DATETIME
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return numpy_dtype_to_type(value.dtype)
    if isinstance(value, list | tuple | np.ndarray):  # ndarray items keep their dtype's type
        return Array(_common_type(value))
    if isinstance(value, Mapping):
        return Object(
            tuple(Property(str(k), infer_value_type(v)) for k, v in value.items() if not is_null(v))
        )
    raise CannotInfer(f"cannot infer a type for {type(value).__name__}")


def _common_type(values: Iterable[Any]) -> ColType:
    result: ColType | None = None
    for v in values:
        if is_null(v):
            continue
        t = infer_value_type(v)
        result = t if result is None else _merge(result, t)
    if result is None:
        raise CannotInfer("cannot infer a type from an empty or all-null list")
    return result


def _infer_pandas_column(col: Any) -> ColSpec:
    """A DataFrame column or Series: type from its dtype, or from its values for object dtype."""
    import pandas as pd  # optional heavy dependency

    name = None if col.name is None else str(col.name)
    required = not bool(col.isna().any())
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return ColSpec(_common_type(dtype.categories), name, required)
    if isinstance(dtype, pd.StringDtype):
        return ColSpec(DataType.STRING, name, required)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return ColSpec(DataType.DATETIME, name, required)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(dtype, "numpy_dtype"):
        return ColSpec(numpy_dtype_to_type(dtype.numpy_dtype), name, required)
    if dtype.kind == "O":
        values = [v for v in col.tolist() if not is_null(v)]
        if not values:
            return ColSpec(AnyType(), name, False)
        return ColSpec(_common_type(values), name, required)
    return ColSpec(numpy_dtype_to_type(dtype), name, required)


def infer_schema(data: Any) -> Schema:
    """Infer a schema the way MLflow does for each kind of input.

    DataFrames and Series give one column per column (optional when it holds nulls); ndarrays
    and dicts of ndarrays give tensors with a variable first dimension; other dicts give one
    row of columns (lists become arrays, dicts objects); lists of dicts give columns optional
    unless in every row; other lists and scalars give one unnamed column. The parity tests
    compare all of these with mlflow's own output.
    """
    import numpy as np  # optional heavy dependency
    import pandas as pd  # optional heavy dependency

    if isinstance(data, pd.DataFrame):
        return Schema(_infer_pandas_column(data[c]) for c in data.columns)
    if isinstance(data, pd.Series):
        return Schema([_infer_pandas_column(data)])
    if isinstance(data, np.ndarray):
        return Schema([_tensor_spec(data)])
    if isinstance(data, Mapping):
        if data and all(isinstance(v, np.ndarray) for v in data.values()):
            return Schema(_tensor_spec(v, str(k)) for k, v in data.items())
        return Schema(ColSpec(infer_value_type(v), str(k)) for k, v in data.items())
    if isinstance(data, list | tuple):
        if data and all(isinstance(v, Mapping) for v in data):
            return _infer_records(data)
        return Schema([ColSpec(_common_type(data))])
    if isinstance(data, np.generic | str | bytes | bool | int | float | dt.datetime):
        return Schema([ColSpec(infer_value_type(data))])
    raise CannotInfer(f"cannot infer a schema from {type(data).__name__}")


def _tensor_spec(array: Any, name: str | None = None) -> TensorSpec:
    if array.ndim == 0:
        raise CannotInfer("cannot infer a tensor spec from a 0-d array")
    return TensorSpec(dtype_name(array.dtype), (-1, *array.shape[1:]), name)


def _infer_records(rows: Sequence[Mapping[str, Any]]) -> Schema:
    """A list of dicts: one column per key (first-seen order); optional unless in every row."""
    types: dict[str, ColType] = {}
    seen: dict[str, int] = {}
    for row in rows:
        for k, v in row.items():
            key = str(k)
            if is_null(v):
                types.setdefault(key, AnyType())
                continue
            seen[key] = seen.get(key, 0) + 1
            t = infer_value_type(v)
            prev = types.get(key)
            types[key] = t if prev is None or isinstance(prev, AnyType) else _merge(prev, t)
    return Schema(ColSpec(t, k, seen.get(k, 0) == len(rows)) for k, t in types.items())


def infer_param_schema(params: Mapping[str, Any]) -> ParamSchema:
    """Params from example values: scalars, 1-D lists (shape ``[-1]``) and dicts (objects)."""
    import numpy as np  # optional heavy dependency

    specs, failures = [], []
    for name, value in params.items():
        try:
            # numpy values keep their dtype's type (float32 → float) but default to plain Python.
            v = value.tolist() if isinstance(value, np.ndarray | np.generic) else value
            if isinstance(v, list):
                if isinstance(value, np.ndarray) and value.ndim != 1:
                    raise CannotInfer("array params must be 1-D")
                items = _common_type(value if isinstance(value, np.ndarray) else v)
                if not isinstance(items, DataType):
                    raise CannotInfer("list params must hold scalars")
                specs.append(ParamSpec(name, items, v, (-1,)))
                continue
            ptype = infer_value_type(value)
            if not isinstance(ptype, DataType | Object):
                raise CannotInfer(f"unsupported value {v!r}")
            specs.append(ParamSpec(name, ptype, v))
        except (CannotInfer, InvalidParameterValue) as exc:
            failures.append(f"{name!r} ({exc})")
    if failures:
        raise InvalidParameterValue("cannot infer a schema for params " + ", ".join(failures))
    return ParamSchema(specs)


def _infer_or_any(data: Any, what: str) -> Schema:
    try:
        return infer_schema(data)
    except (CannotInfer, InvalidParameterValue) as exc:
        # MLflow does the same: a model without a precise signature is still loggable.
        _log.warning("could not infer a schema for %s (%s); using type 'any'", what, exc)
        return Schema([ColSpec(AnyType())])


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: Mapping[str, Any] | None = None
) -> ModelSignature:
    """A signature from example input, output and params, as ``mlflow.models.infer_signature``.

    Data that cannot be described falls back to a single ``any`` column with a warning, as in
    MLflow; params that cannot be described are an error, as in MLflow.
    """
    return ModelSignature(
        None if model_input is None else _infer_or_any(model_input, "inputs"),
        None if model_output is None else _infer_or_any(model_output, "outputs"),
        None if not params else infer_param_schema(params),
    )
