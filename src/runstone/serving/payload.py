"""Reading ``/invocations`` request bodies and writing prediction responses.

The wire format is MLflow's scoring protocol (mlflow-compat.md §6): a JSON object with exactly
one of ``dataframe_split``, ``dataframe_records``, ``instances`` or ``inputs`` (plus an optional
``params`` object), a CSV table with a header row, or a pandas-written parquet file. Data is
turned into what the model expects: a pandas DataFrame for a model with a column schema (or any
table format), numpy arrays for ``instances``/``inputs`` sent to a tensor-schema or schema-less
model. Schema *enforcement* (types, required columns) is not done here but by the model's
``predict``, so a request fails the same way whether it came over HTTP or from Python.

Everything is pure and cheap per request: :class:`PayloadParser` works out what it needs from
the schema once, when the model is loaded. pandas and numpy are imported when a parser is built
(they are optional heavy dependencies of Runstone; a model that is served needs them anyway).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
from typing import Any, Final, NamedTuple

import orjson

from runstone.errors import BadRequest
from runstone.models.schema_enforce import double_columns
from runstone.models.signature import Array, ColSpec, DataType, Schema, TensorSpec

CONTENT_TYPE_JSON: Final = "application/json"
CONTENT_TYPE_CSV: Final = "text/csv"
CONTENT_TYPE_PARQUET: Final = "application/vnd.apache.parquet"
CONTENT_TYPES: Final = (CONTENT_TYPE_CSV, CONTENT_TYPE_JSON, CONTENT_TYPE_PARQUET)

DATAFRAME_SPLIT: Final = "dataframe_split"
DATAFRAME_RECORDS: Final = "dataframe_records"
INSTANCES: Final = "instances"
INPUTS: Final = "inputs"
FORMAT_KEYS: Final = (DATAFRAME_SPLIT, DATAFRAME_RECORDS, INSTANCES, INPUTS)
PARAMS_KEY: Final = "params"
# Keys of MLflow's "unified LLM" bodies, passed to the model as they are, answered unwrapped.
LLM_KEYS: Final = ("messages", "prompt", "input")

_FORMAT_HELP: Final = (
    "The input must be a JSON object with exactly one of the input fields "
    "'dataframe_split', 'dataframe_records', 'instances' or 'inputs' (and optionally 'params')"
)
# pandas dtypes for CSV columns of these schema types (others are left to pandas' inference).
_CSV_DTYPES: Final = {
    DataType.BOOLEAN: "bool",
    DataType.INTEGER: "int32",
    DataType.LONG: "int64",
    DataType.FLOAT: "float32",
    DataType.DOUBLE: "float64",
    DataType.STRING: "str",
}


class UnsupportedMediaType(Exception):
    """A request whose content type the server does not read: answered 415, text/plain."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Parsed(NamedTuple):
    """One request, read: the model input, its params, and whether the answer is wrapped in
    ``{"predictions": ...}`` (everything but unified LLM bodies)."""

    data: Any
    params: dict[str, Any] | None
    wrap: bool = True


class DoubleMatrix(NamedTuple):
    """A ``dataframe_split`` table that is exactly the schema's columns, all required doubles,
    holding only JSON numbers: its rows as one float64 ``(rows, columns)`` array, which is what
    schema enforcement would make of it. Given only to a parser built with ``matrices=True``,
    for a model whose ``predict_matrix`` scores such arrays without pandas."""

    values: Any


def mime_type(content_type: str | None) -> str:
    """The media type of a ``Content-Type`` header, after checking its parameters.

    Only ``charset`` is allowed, and only ``utf-8``; anything else raises UnsupportedMediaType,
    as does a type other than JSON, CSV and parquet. The common case (a bare type) costs one
    string search.
    """
    if not content_type:
        raise UnsupportedMediaType(_unsupported_type_message(content_type))
    if ";" not in content_type:
        media = content_type.strip().lower()
    else:
        media, *pairs = (part.strip() for part in content_type.split(";"))
        media = media.lower()
        params = {}
        for pair in pairs:
            if pair:
                key, _, value = pair.partition("=")
                params[key.strip().lower()] = value.strip().strip('"')
        if params.get("charset", "utf-8").lower() != "utf-8":
            raise UnsupportedMediaType("The scoring server only supports UTF-8")
        unexpected = sorted(set(params) - {"charset"})
        if unexpected:
            raise UnsupportedMediaType(
                f"Unrecognized content type parameters: {', '.join(unexpected)}. Send "
                "Content-Type application/json, text/csv or application/vnd.apache.parquet, "
                "optionally with charset=utf-8 (the pre-2.0 'format=...' parameters are gone)."
            )
    if media not in CONTENT_TYPES:
        raise UnsupportedMediaType(_unsupported_type_message(content_type))
    return media


def _unsupported_type_message(content_type: str | None) -> str:
    return (
        f"This predictor only supports the following content types: {', '.join(CONTENT_TYPES)}. "
        f"Got {content_type or 'no Content-Type'!r}."
    )


def has_parquet() -> bool:
    """Whether parquet bodies can be read (pandas needs pyarrow for that)."""
    return importlib.util.find_spec("pyarrow") is not None


class PayloadParser:
    """Reads request bodies for one model (``schema``: its input schema, or None).

    ``matrices``: read a conforming numeric ``dataframe_split`` as a :class:`DoubleMatrix`
    rather than a DataFrame (for a model that takes those: ``PyFuncModel.takes_matrices``).
    """

    def __init__(self, schema: Schema | None, matrices: bool = False) -> None:
        import numpy as np  # optional heavy dependency
        import pandas as pd  # optional heavy dependency

        self._np = np
        self._pd = pd
        self.schema = schema
        self._tensor = schema is not None and schema.is_tensor_spec()
        self._columns = schema is not None and not self._tensor
        specs = [] if schema is None else list(schema.inputs)
        self._names = [s.name for s in specs if s.name is not None]
        col_types = {s.name: s.type for s in specs if isinstance(s, ColSpec) and s.name}
        self._array_columns = {name for name, t in col_types.items() if isinstance(t, Array)}
        self._single_column = self._names[0] if self._columns and len(specs) == 1 else None
        # Required columns only: an optional one may be absent, or empty (NaN) in int columns.
        self._csv_dtypes = {
            s.name: _CSV_DTYPES[s.type]
            for s in specs
            if isinstance(s, ColSpec) and s.required and s.name and s.type in _CSV_DTYPES
        }
        self._tensor_dtypes: dict[str | None, str] = {
            s.name: s.dtype for s in specs if isinstance(s, TensorSpec)
        }
        self.parquet = has_parquet()
        # A schema of required double columns: a split frame of plain numbers can be built from
        # one float64 array, the frame enforcement would make of it, at a tenth of the cost.
        self._double_names = double_columns(schema)
        self._double_index = None if self._double_names is None else pd.Index(self._double_names)
        self._matrices = matrices and self._double_names is not None

    # -------------------------------------------------------------------------------- entry

    def parse(self, body: bytes, content_type: str | None) -> Parsed:
        """The model input of one request; BadRequest (400) or UnsupportedMediaType (415)."""
        media = mime_type(content_type)
        if media == CONTENT_TYPE_JSON:
            return self.parse_json(body)
        if media == CONTENT_TYPE_CSV:
            return Parsed(self.parse_csv(body), None)
        return Parsed(self.parse_parquet(body), None)

    def parse_json(self, body: bytes | str) -> Parsed:
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"Invalid JSON input: {exc}") from None
        if not isinstance(document, dict):
            raise BadRequest(f"{_FORMAT_HELP}; got a JSON {_json_kind(document)}.")
        params = document.get(PARAMS_KEY)
        if params is not None and not isinstance(params, dict):
            raise BadRequest(f"'params' must be a JSON object, got a {_json_kind(params)}.")
        keys = [key for key in FORMAT_KEYS if key in document]
        if len(keys) != 1:
            if not keys and any(key in document for key in LLM_KEYS):
                data = {k: v for k, v in document.items() if k != PARAMS_KEY}
                return Parsed(data, params, wrap=False)
            raise BadRequest(f"{_FORMAT_HELP}. Received the fields {list(document)}.")
        key = keys[0]
        value = document[key]
        try:
            if key == DATAFRAME_SPLIT:
                return Parsed(self._split_frame(value), params)
            if key == DATAFRAME_RECORDS:
                return Parsed(self._records_frame(value), params)
            if self._columns:
                return Parsed(self._tf_frame(value, rows=key == INSTANCES), params)
            if key == INSTANCES:
                return Parsed(self._instances_arrays(value), params)
            return Parsed(self._inputs_arrays(value), params)
        except BadRequest:
            raise
        except (TypeError, ValueError, KeyError) as exc:
            raise BadRequest(f"Cannot read the {key!r} input: {exc}") from None

    def parse_csv(self, body: bytes | str) -> Any:
        """A CSV table with a header row, columns typed from the schema when it has names."""
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        if not text.strip():
            raise BadRequest("Empty CSV input: send a header row and at least one data row.")
        if self._csv_dtypes:
            try:
                return self._pd.read_csv(io.StringIO(text), dtype=self._csv_dtypes)
            except (ValueError, TypeError):
                pass  # read untyped: schema enforcement then names the column that is wrong
        try:
            return self._pd.read_csv(io.StringIO(text))
        except (ValueError, TypeError) as exc:  # pandas' ParserError is a ValueError
            raise BadRequest(
                f"Cannot read the input as a CSV table with a header row: {exc}"
            ) from None

    def parse_parquet(self, body: bytes) -> Any:
        if not self.parquet:
            raise UnsupportedMediaType(
                "Parquet input needs pyarrow, which is not installed where the model is "
                "served (pip install pyarrow); send JSON or CSV instead."
            )
        try:
            return self._pd.read_parquet(io.BytesIO(body))
        except Exception as exc:  # pyarrow's errors have no common base we could name
            raise BadRequest(f"Cannot read the input as a parquet file: {exc}") from None

    # -------------------------------------------------------------------------- table forms

    def _split_frame(self, value: Any) -> Any:
        if not isinstance(value, dict) or "data" not in value:
            raise BadRequest(
                "'dataframe_split' must be an object with 'data' (a list of rows) and usually "
                "'columns' and 'index', as pandas' to_dict(orient='split') gives."
            )
        fast = self._double_frame(value)
        if fast is not None:
            return fast
        return self._pd.DataFrame(
            value["data"], columns=value.get("columns"), index=value.get("index")
        )

    def _double_frame(self, value: dict[str, Any]) -> Any:
        """The split frame as one float64 block (or its :class:`DoubleMatrix`), when the schema
        is all required doubles and the payload is exactly those columns holding only ints and
        floats (no bools, strings or nulls, which enforcement must see as they are); None
        otherwise."""
        if self._double_names is None or value.get("index") is not None:
            return None
        rows = value["data"]
        if value.get("columns") != self._double_names or not isinstance(rows, list):
            return None
        width = len(self._double_names)
        for row in rows:
            if not isinstance(row, list) or len(row) != width:
                return None
            for cell in row:
                kind = type(cell)
                if kind is not float and kind is not int:
                    return None
        array = self._np.array(rows, dtype=self._np.float64).reshape(len(rows), width)
        if self._matrices and rows:  # no rows: the model's error comes from the general path
            return DoubleMatrix(array)
        return self._pd.DataFrame(array, columns=self._double_index, copy=False)

    def _records_frame(self, value: Any) -> Any:
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise BadRequest("'dataframe_records' must be a list of objects, one per row.")
        return self._pd.DataFrame(value)

    def _tf_frame(self, value: Any, rows: bool) -> Any:
        """``instances``/``inputs`` for a model with a column schema, as a DataFrame."""
        pd = self._pd
        if isinstance(value, dict):
            if rows:
                raise BadRequest("'instances' must be a list (of rows or of row objects).")
            if all(self._is_cell(k, v) for k, v in value.items()):
                return pd.DataFrame([value])
            return pd.DataFrame({k: v if isinstance(v, list) else [v] for k, v in value.items()})
        if not isinstance(value, list):
            return pd.DataFrame({self._single_column or 0: pd.Series([value], dtype=object)})
        if value and all(isinstance(row, dict) for row in value):
            return pd.DataFrame(value)
        if self._single_column is not None:
            return pd.DataFrame({self._single_column: pd.Series(value, dtype=object)})
        names = self._names
        width = len(value[0]) if value and isinstance(value[0], list) else -1
        return pd.DataFrame(value, columns=names if names and width == len(names) else None)

    def _is_cell(self, name: str, value: Any) -> bool:
        """Whether an ``inputs`` object value is one row's cell rather than a whole column."""
        if not isinstance(value, list):
            return True
        return name in self._array_columns and not (value and isinstance(value[0], list))

    # ------------------------------------------------------------------------- tensor forms

    def _array(self, value: Any, name: str | None) -> Any:
        dtype = self._tensor_dtypes.get(name) if self._tensor else None
        return self._np.asarray(value, dtype=dtype)

    def _instances_arrays(self, value: Any) -> Any:
        if not isinstance(value, list):
            raise BadRequest("'instances' must be a list (of rows or of row objects).")
        if value and isinstance(value[0], dict):
            columns: dict[str, list[Any]] = {}
            for row in value:
                if not isinstance(row, dict):
                    raise BadRequest("'instances' mixes row objects with other values.")
                for key, cell in row.items():
                    columns.setdefault(key, []).append(cell)
            lengths = {len(cells) for cells in columns.values()}
            if len(lengths) > 1:
                raise BadRequest("Every row of 'instances' must have the same fields.")
            return {key: self._array(cells, key) for key, cells in columns.items()}
        return self._array(value, self._unnamed_tensor())

    def _inputs_arrays(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: self._array(cells, key) for key, cells in value.items()}
        return self._array(value, self._unnamed_tensor())

    def _unnamed_tensor(self) -> str | None:
        """The tensor name a bare list is read as: the only tensor's, else None."""
        return next(iter(self._tensor_dtypes)) if len(self._tensor_dtypes) == 1 else None


def _json_kind(value: Any) -> str:
    return {list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number" if isinstance(value, int | float) else type(value).__name__
    )


# ------------------------------------------------------------------------------ responses

_DUMP_OPTIONS: Final = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _fallback(value: Any) -> Any:
    """What orjson cannot write by itself: pandas objects, odd arrays, numpy datetimes."""
    kind = type(value).__name__
    if kind == "DataFrame":
        return value.to_dict(orient="records")
    if kind in ("Series", "Index", "Categorical") or kind.endswith("Array"):
        return _fallback(value.to_numpy())
    dtype = getattr(value, "dtype", None)
    if dtype is not None and dtype.kind in "Mm":  # datetime64 / timedelta64
        import numpy as np  # optional heavy dependency

        return np.datetime_as_string(value).tolist() if dtype.kind == "M" else value.tolist()
    if hasattr(value, "tolist"):  # object/str arrays, non-contiguous arrays, numpy scalars
        return value.tolist()
    if isinstance(value, dt.date | dt.time) or hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    raise TypeError(f"{kind} is not JSON serializable")


def to_json_bytes(value: Any) -> bytes:
    """``value`` as JSON: DataFrames as lists of row objects, arrays and Series as lists,
    numpy scalars as numbers, NaN as null."""
    return orjson.dumps(value, default=_fallback, option=_DUMP_OPTIONS)


def encode_predictions(predictions: Any, wrap: bool = True) -> bytes:
    """The ``/invocations`` answer: ``{"predictions": ...}`` (or the bare value if not ``wrap``)."""
    if type(predictions).__name__ == "DataFrame":
        predictions = predictions.to_dict(orient="records")
    elif type(predictions).__name__ == "Series":
        predictions = predictions.to_numpy()
    return to_json_bytes({"predictions": predictions} if wrap else predictions)


def error_body(message: str, error_code: str = "BAD_REQUEST", **extra: str) -> bytes:
    """MLflow's error document: ``{"error_code": ..., "message": ...}`` plus ``extra`` keys."""
    return orjson.dumps({"error_code": error_code, "message": message, **extra})
