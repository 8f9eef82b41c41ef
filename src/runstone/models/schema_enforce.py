"""Checking and converting model input and params against a signature at predict time.

The scoring server and ``pyfunc`` predict call :func:`enforce_schema` and :func:`enforce_params`
so a model sees the types it was trained on, whatever the request looked like. The rules are
MLflow's documented ones: only safe, lossless conversions (int32 → int64, any int → float/double,
float32 → double); nothing narrows (float → int, double → float); strings stay strings; datetime
columns must already hold datetimes. Missing optional columns are allowed, extra columns ignored,
and columns come out in the schema's order. Tensor inputs are strict about dtype, as in MLflow.
Every failure is one :class:`InvalidParameterValue` line naming the column and the expected and
received types.

pandas and numpy are optional heavy dependencies here too; they are imported inside functions.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from runstone.errors import InvalidParameterValue
from runstone.models.signature import (
    AnyType,
    Array,
    CannotInfer,
    ColSpec,
    ColType,
    DataType,
    Map,
    ParamSchema,
    Schema,
    SparkMLVector,
    TensorSpec,
    dtype_name,
    infer_value_type,
    is_null,
    numpy_dtype_to_type,
    type_name,
)

_log = logging.getLogger(__name__)

# ------------------------------------------------------------------------------ value checks


def describe_value(value: Any) -> str:
    """The MLflow type name of a value for error messages (``string``, ``long``, …)."""
    try:
        return type_name(infer_value_type(value))
    except CannotInfer:
        return "null" if value is None else type(value).__name__


def _type_error(where: str, t: ColType, value: Any) -> InvalidParameterValue:
    return InvalidParameterValue(f"{where}: expected {type_name(t)}, got {describe_value(value)}")


def _convert_scalar(value: Any, t: DataType, where: str) -> Any:
    """MLflow's safe conversions for one scalar: ints widen to floats, nothing narrows."""
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if t is DataType.BOOLEAN and isinstance(value, bool):
        return value
    if t in (DataType.INTEGER, DataType.LONG) and is_int:
        if t is DataType.INTEGER and not -(2**31) <= value < 2**31:
            raise InvalidParameterValue(f"{where}: {value} does not fit in integer (int32)")
        return value
    if t in (DataType.FLOAT, DataType.DOUBLE) and (is_int or isinstance(value, float)):
        return float(value)
    if t is DataType.STRING and isinstance(value, str):
        return value
    if t is DataType.BINARY and isinstance(value, bytes | bytearray | str):
        return value  # JSON carries binary as (base64) strings; MLflow accepts them as is
    if t is DataType.DATETIME:
        if isinstance(value, dt.datetime | dt.date):
            return value
        if isinstance(value, str):  # JSON has no datetime: params and nested values are ISO text
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError:
                pass
    raise _type_error(where, t, value)


def convert_value(value: Any, t: ColType, where: str) -> Any:
    """``value`` checked against ``t`` (recursively for arrays, objects and maps).

    Raises InvalidParameterValue naming ``where`` and the expected and received types.
    """
    import numpy as np  # optional heavy dependency

    if isinstance(t, AnyType | SparkMLVector):
        return value
    if isinstance(value, np.generic | np.ndarray):
        value = value.tolist()
    if isinstance(t, DataType):
        return _convert_scalar(value, t, where)
    if isinstance(t, Array):
        if not isinstance(value, list | tuple):
            raise _type_error(where, t, value)
        return [convert_value(v, t.items, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, Mapping):
        raise _type_error(where, t, value)
    if isinstance(t, Map):
        return {str(k): convert_value(v, t.values, f"{where}.{k}") for k, v in value.items()}
    props = {p.name: p for p in t.properties}
    extra = [str(k) for k in value if k not in props]
    if extra:
        raise InvalidParameterValue(f"{where}: unexpected property {extra[0]!r}")
    out = {}
    for p in t.properties:
        if p.name not in value or is_null(value[p.name]):
            if p.required:
                raise InvalidParameterValue(f"{where}: missing required property {p.name!r}")
            continue
        out[p.name] = convert_value(value[p.name], p.type, f"{where}.{p.name}")
    return out


# ---------------------------------------------------------------------------------- params


def enforce_params(params: Mapping[str, Any] | None, schema: ParamSchema | None) -> dict[str, Any]:
    """The params a model receives: the given ones checked, the others at their defaults.

    Unknown params and params sent to a model without a params schema are dropped with a
    warning, as MLflow does, so that a client adding an option does not break old models.
    """
    params = dict(params or {})
    if schema is None:
        if params:
            _log.warning("the model declares no params; ignoring %s", sorted(params))
        return {}
    known = {p.name for p in schema.params}
    unknown = sorted(k for k in params if k not in known)
    if unknown:
        _log.warning("ignoring params the model does not declare: %s", unknown)
    result: dict[str, Any] = {}
    for spec in schema.params:
        value = params.get(spec.name)
        where = f"param {spec.name!r}"
        if value is None:
            value, where = spec.default, f"{where} default"
        result[spec.name] = None if value is None else convert_value(value, spec.value_type, where)
    return result


# ---------------------------------------------------------------------------------- tensors


def _check_tensor(array: Any, spec: TensorSpec, where: str) -> Any:
    """An ndarray of exactly the spec's dtype and a compatible shape (lists are parsed as it)."""
    import numpy as np  # optional heavy dependency

    if not isinstance(array, np.ndarray):
        try:
            array = np.asarray(array, dtype=spec.dtype)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterValue(f"{where}: cannot read as {spec.dtype} ({exc})") from None
    got = dtype_name(array.dtype)
    if got != spec.dtype:
        raise InvalidParameterValue(f"{where}: expected {spec.dtype}, got {got}")
    shape = tuple(array.shape)
    fits = len(shape) == len(spec.shape) and all(
        want in (-1, have) for want, have in zip(spec.shape, shape, strict=True)
    )
    if not fits:
        raise InvalidParameterValue(
            f"{where}: expected shape {list(spec.shape)}, got {list(shape)}"
        )
    return array


def _enforce_tensors(data: Any, schema: Schema) -> Any:
    """One unnamed tensor → an ndarray; named tensors → a dict of ndarrays in schema order."""
    import numpy as np  # optional heavy dependency
    import pandas as pd  # optional heavy dependency

    specs = [s for s in schema.inputs if isinstance(s, TensorSpec)]
    if isinstance(data, pd.DataFrame):
        if not schema.has_input_names():
            data = data.to_numpy()
        else:
            data = {str(c): data[c].to_numpy() for c in data.columns}
    if not schema.has_input_names():
        return _check_tensor(data, specs[0], "tensor input")
    if isinstance(data, np.ndarray | list) and len(specs) == 1:
        data = {specs[0].name: data}
    if not isinstance(data, Mapping):
        raise InvalidParameterValue(
            f"tensor input: expected a mapping of named tensors, got {type(data).__name__}"
        )
    result = {}
    for spec in specs:
        if spec.name not in data:
            raise InvalidParameterValue(f"missing required input tensor {spec.name!r}")
        result[spec.name] = _check_tensor(data[spec.name], spec, f"tensor {spec.name!r}")
    return result


# ---------------------------------------------------------------------------------- columns

_NUMPY_DTYPE = {
    DataType.BOOLEAN: "bool",
    DataType.INTEGER: "int32",
    DataType.LONG: "int64",
    DataType.FLOAT: "float32",
    DataType.DOUBLE: "float64",
}
_INTS = (DataType.INTEGER, DataType.LONG)
# Which received column types may become which expected ones (lossless widening only).
_WIDENS_TO = {
    DataType.INTEGER: {DataType.LONG, DataType.FLOAT, DataType.DOUBLE},
    DataType.LONG: {DataType.FLOAT, DataType.DOUBLE},
    DataType.FLOAT: {DataType.DOUBLE},
}


def _enforce_object_column(col: Any, t: ColType, where: str) -> Any:
    """A column of Python objects: each value checked; numbers then become a numpy column."""
    import pandas as pd  # optional heavy dependency

    values = col.tolist()
    if t is DataType.DATETIME:  # as MLflow: text is not parsed into a datetime column here
        bad = next((v for v in values if not is_null(v) and not isinstance(v, dt.date)), None)
        if bad is not None:
            raise InvalidParameterValue(f"{where}: expected datetime, got {describe_value(bad)}")
    values = [None if is_null(v) else convert_value(v, t, where) for v in values]
    if t in _NUMPY_DTYPE:
        return _numeric(pd.Series(values, index=col.index, name=col.name, dtype=object), t, where)
    if t is DataType.DATETIME:
        return pd.to_datetime(pd.Series(values, index=col.index, name=col.name))
    return pd.Series(values, index=col.index, name=col.name, dtype=object)


def _numeric(col: Any, t: DataType, where: str) -> Any:
    """``col`` as the numpy dtype of ``t``; missing values in an integer column are an error."""
    if bool(col.isna().any()):
        if t is DataType.BOOLEAN:
            return col  # checked bools and None: numpy has no nullable bool to convert to
        if t in _INTS:
            raise InvalidParameterValue(
                f"{where}: expected {t.value}, got missing values (an integer column cannot hold"
                " them; send no nulls or declare the column double)"
            )
    return col.astype(_NUMPY_DTYPE[t])


def _enforce_column(col: Any, t: ColType, where: str) -> Any:
    """One pandas column converted to the expected type, or InvalidParameterValue."""
    import pandas as pd  # optional heavy dependency

    if isinstance(t, AnyType | SparkMLVector):
        return col
    dtype = col.dtype
    if isinstance(dtype, pd.StringDtype) and t in (DataType.STRING, DataType.BINARY):
        return col
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and not isinstance(
        dtype, pd.DatetimeTZDtype
    ):
        # Nullable ints/bools, categoricals, strings: judge them value by value.
        col = col.astype(object)
        dtype = col.dtype
    if dtype.kind == "O" or not isinstance(t, DataType):
        return _enforce_object_column(col, t, where)
    try:
        got = numpy_dtype_to_type(dtype)
    except CannotInfer:
        raise InvalidParameterValue(f"{where}: expected {t.value}, got {dtype}") from None
    if got == t:
        return (
            col
            if t in (DataType.STRING, DataType.BINARY, DataType.DATETIME)
            else (col.astype(_NUMPY_DTYPE[t]))
        )
    if t in _WIDENS_TO.get(got, set()):
        return col.astype(_NUMPY_DTYPE[t])
    floats_to_ints = got in (DataType.FLOAT, DataType.DOUBLE) and t in _INTS
    if floats_to_ints and bool(col.isna().any()):
        return _numeric(col, t, where)  # raises, with the clearer "missing values" message
    if got is DataType.STRING and t is DataType.BINARY:
        return col
    raise InvalidParameterValue(f"{where}: expected {t.value}, got {got.value}")


def _is_row_value(value: Any, t: ColType | None) -> bool:
    """Whether a dict value is one cell (a scalar, or a list for an array column)."""
    import numpy as np  # optional heavy dependency

    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, list | tuple):
        return True
    return isinstance(t, Array) and not (value and isinstance(value[0], list | tuple))


def _to_dataframe(data: Any, schema: Schema) -> Any:
    """Any accepted input shape as a DataFrame (dicts may be one row or columns)."""
    import numpy as np  # optional heavy dependency
    import pandas as pd  # optional heavy dependency

    specs = [s for s in schema.inputs if isinstance(s, ColSpec)]
    names = schema.input_names()
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        first: Any = names[0] if names else 0
        return data.to_frame(name=data.name if data.name is not None else first)
    if isinstance(data, np.ndarray) and data.ndim == 2:
        cols = names if len(names) == data.shape[1] else None
        return pd.DataFrame(data, columns=cols)
    types = {s.name: s.type for s in specs}
    try:
        if isinstance(data, Mapping):
            if all(_is_row_value(v, types.get(str(k))) for k, v in data.items()):
                return pd.DataFrame([{str(k): v for k, v in data.items()}])
            return pd.DataFrame({str(k): list(v) for k, v in data.items()})
        if isinstance(data, list | tuple | np.ndarray):
            rows = list(data)
            if rows and all(isinstance(r, Mapping) for r in rows):
                return pd.DataFrame(rows)
            if len(specs) == 1:
                return pd.DataFrame({names[0] if names else 0: pd.Series(rows, dtype=object)})
            return pd.DataFrame(rows)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterValue(f"model input: cannot read as columns ({exc})") from None
    if isinstance(data, str | bytes | bool | int | float | dt.datetime | np.generic):
        return pd.DataFrame({names[0] if names else 0: pd.Series([data], dtype=object)})
    raise InvalidParameterValue(f"model input: unsupported type {type(data).__name__}")


def _already_conforms(df: Any, specs: list[ColSpec]) -> bool:
    """Whether ``df`` has exactly the schema's named numeric/boolean columns, in its order and
    of its numpy dtypes: the common case of a scoring request, where converting column by
    column would only rebuild the same frame (and split its single block of values, which
    makes the model's own ``to_numpy`` slower too)."""
    if len(df.columns) != len(specs) or any(s.name is None for s in specs):
        return False
    if list(df.columns) != [s.name for s in specs]:
        return False
    for spec, dtype in zip(specs, df.dtypes.tolist(), strict=True):
        wanted = _NUMPY_DTYPE.get(spec.type) if isinstance(spec.type, DataType) else None
        if wanted is None or dtype != wanted:
            return False
    return True


def double_columns(schema: Schema | None) -> list[str] | None:
    """The names of a schema made only of named, required double columns, else None: the
    schema for which a float64 array of exactly those columns, in order, is already what
    enforcement would make of the table (the scoring server's pandas-free numeric lane)."""
    specs = [] if schema is None else schema.inputs
    if not specs or not all(
        isinstance(s, ColSpec) and s.name and s.required and s.type is DataType.DOUBLE
        for s in specs
    ):
        return None
    return [str(s.name) for s in specs]


def _enforce_columns(data: Any, schema: Schema) -> Any:
    import pandas as pd  # optional heavy dependency

    df = _to_dataframe(data, schema)
    specs = [s for s in schema.inputs if isinstance(s, ColSpec)]
    if _already_conforms(df, specs):
        return df.copy()
    out: dict[Any, Any] = {}
    if not schema.has_input_names():
        if df.shape[1] != len(specs):
            raise InvalidParameterValue(
                f"model input: expected {len(specs)} column(s), got {df.shape[1]}"
            )
        for i, (spec, name) in enumerate(zip(specs, df.columns, strict=True)):
            out[name] = _enforce_column(df[name], spec.type, f"column {i}")
        return pd.DataFrame(out, index=df.index)
    by_name = {str(c): c for c in df.columns}
    missing = [s.name for s in specs if s.required and s.name not in by_name]
    if missing:
        listed = ", ".join(repr(m) for m in missing)
        raise InvalidParameterValue(f"model input: missing required column(s) {listed}")
    extra = sorted(set(by_name) - set(schema.input_names()))
    if extra:
        _log.warning("ignoring input columns the model does not declare: %s", extra)
    for spec in specs:
        if spec.name in by_name:
            col = df[by_name[spec.name]]
            out[spec.name] = _enforce_column(col, spec.type, f"column {spec.name!r}")
    return pd.DataFrame(out, index=df.index)


def enforce_schema(data: Any, schema: Schema) -> Any:
    """``data`` converted to match ``schema``, or InvalidParameterValue saying what is wrong.

    Column schemas give a pandas DataFrame with the schema's columns in its order; tensor
    schemas give an ndarray (one unnamed tensor) or a dict of ndarrays (named tensors).
    """
    if schema.is_tensor_spec():
        return _enforce_tensors(data, schema)
    return _enforce_columns(data, schema)
