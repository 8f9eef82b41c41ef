"""Model signatures: MLflow's JSON format, inference like MLflow's, enforcement at predict time."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from runstone.errors import InvalidParameterValue
from runstone.models.schema_enforce import enforce_params, enforce_schema
from runstone.models.signature import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    Map,
    ModelSignature,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    SparkMLVector,
    TensorSpec,
    infer_signature,
)

# ------------------------------------------------------------------------------------ JSON


def test_import_does_not_load_pandas_or_numpy() -> None:
    code = (
        "import sys, runstone.models.signature, runstone.models.schema_enforce; "
        "print('pandas' in sys.modules, 'numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_column_and_tensor_specs_use_mlflow_key_names() -> None:
    assert ColSpec(DataType.DOUBLE, "x").to_dict() == {
        "type": "double",
        "name": "x",
        "required": True,
    }
    assert TensorSpec(np.dtype("float32"), (-1, 4)).to_dict() == {
        "type": "tensor",
        "tensor-spec": {"dtype": "float32", "shape": [-1, 4]},
    }
    sig = ModelSignature(Schema([ColSpec(DataType.DOUBLE, "a"), ColSpec(DataType.DOUBLE, "b")]))
    sig = ModelSignature(sig.inputs, Schema([ColSpec(DataType.LONG)]))
    # The observed MLflow 3.18 MLmodel of mlflow-compat §5.2, character for character.
    assert sig.to_dict() == {
        "inputs": '[{"type": "double", "name": "a", "required": true}, '
        '{"type": "double", "name": "b", "required": true}]',
        "outputs": '[{"type": "long", "required": true}]',
        "params": None,
    }


def _full_signature() -> ModelSignature:
    inputs = Schema(
        [
            *(ColSpec(t, t.value) for t in DataType),
            ColSpec(Array(DataType.LONG), "arr"),
            ColSpec(Array(Array(DataType.STRING)), "nested", required=False),
            ColSpec(
                Object((Property("z", DataType.DOUBLE), Property("a", Map(DataType.LONG), False))),
                "obj",
            ),
            ColSpec(Map(Array(DataType.DOUBLE)), "map"),
            ColSpec(AnyType(), "anything", required=False),
            ColSpec(SparkMLVector(), "vec"),
        ]
    )
    outputs = Schema([TensorSpec("float32", (-1, 3), "probs"), TensorSpec("int64", (-1,), "label")])
    params = ParamSchema(
        [
            ParamSpec("temperature", DataType.DOUBLE, 0.5),
            ParamSpec("n", DataType.LONG, 3),
            ParamSpec("stop", DataType.STRING, ["a", "b"], (-1,)),
            ParamSpec("when", DataType.DATETIME, dt.datetime(2024, 1, 2, 3, 4, 5)),
            ParamSpec("cfg", Object((Property("k", DataType.LONG),)), {"k": 1}),
        ]
    )
    return ModelSignature(inputs, outputs, params)


def test_round_trip_keeps_every_type() -> None:
    sig = _full_signature()
    d = sig.to_dict()
    assert all(isinstance(v, str) for v in d.values())
    again = ModelSignature.from_dict(d)
    assert again.to_dict() == d
    assert again.inputs == sig.inputs
    assert again.outputs == sig.outputs
    obj = json.loads(d["inputs"] or "")[10]
    # Object properties are sorted by name, each with its own "required", as MLflow writes them.
    assert obj == {
        "type": "object",
        "properties": {
            "a": {"type": "map", "values": {"type": "long"}, "required": False},
            "z": {"type": "double", "required": True},
        },
        "name": "obj",
        "required": True,
    }
    params = json.loads(d["params"] or "")
    assert params[2] == {"name": "stop", "default": ["a", "b"], "shape": [-1], "type": "string"}
    assert params[3]["default"] == "2024-01-02T03:04:05"
    assert params[4]["properties"] == {"k": {"type": "long", "required": True}}


def test_from_dict_accepts_missing_and_null_parts() -> None:
    sig = ModelSignature.from_dict({"inputs": '[{"type": "string", "required": true}]'})
    assert sig.outputs is None
    assert sig.params is None
    assert sig.to_dict()["outputs"] is None
    with pytest.raises(InvalidParameterValue, match="unknown signature type 'decimal'"):
        ModelSignature.from_dict({"inputs": '[{"type": "decimal"}]'})


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([], "at least one"),
        ([ColSpec(DataType.LONG, "a"), TensorSpec("float32", (-1,), "b")], "cannot mix"),
        ([ColSpec(DataType.LONG, "a"), ColSpec(DataType.LONG)], "all named or all unnamed"),
        ([ColSpec(DataType.LONG, "a"), ColSpec(DataType.LONG, "a")], "unique"),
        ([ColSpec(DataType.LONG, required=False)], "unnamed columns cannot be optional"),
    ],
)
def test_invalid_schemas_are_refused(specs: list[Any], message: str) -> None:
    with pytest.raises(InvalidParameterValue, match=message):
        Schema(specs)


def test_param_spec_shape_and_binary_are_checked() -> None:
    with pytest.raises(InvalidParameterValue, match="shape must be None or"):
        ParamSpec("x", DataType.LONG, [1], (2,))
    with pytest.raises(InvalidParameterValue, match="binary"):
        ParamSpec("x", DataType.BINARY, b"")


# ------------------------------------------------------------------------- MLflow parity


@pytest.fixture
def mlflow_infer() -> Any:
    """``mlflow.models.infer_signature`` (its inference needs scipy, a dev dependency)."""
    pytest.importorskip("scipy")
    models = pytest.importorskip("mlflow.models")
    return models.infer_signature


def _parity_cases() -> dict[str, tuple[Any, ...]]:
    mixed = pd.DataFrame(
        {
            "flag": [True, False],
            "i32": np.array([1, 2], dtype=np.int32),
            "age": [30, 40],
            "f32": np.array([1.0, 2.0], dtype=np.float32),
            "score": [1.5, 2.5],
            "name": ["a", "b"],
            "when": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "blob": [b"x", b"y"],
            "maybe": ["a", None],
            "cat": pd.Categorical(["u", "v"]),
            "nint": pd.array([1, None], dtype="Int64"),
        }
    )
    return {
        "dataframe mixed dtypes": (mixed, pd.Series([1, 0])),
        "named series": (pd.Series([1.0, 2.0], name="y"),),
        "numpy 2-D float": (np.zeros((3, 4), dtype=np.float32), np.zeros(3)),
        "numpy 3-D and strings": (np.zeros((2, 3, 4), dtype=np.uint8), np.array(["a", "b"])),
        "dict of arrays": ({"a": np.zeros((2, 3)), "b": np.array([1, 2])},),
        "dict of lists and scalars": (
            {"a": [1, 2], "b": "x", "c": {"e": 1.0}, "d": np.zeros(2, dtype=np.float32)},
        ),
        "list of dicts": ([{"a": 1, "b": "x"}, {"a": 2, "b": "y", "c": 1.5}, {"a": 3, "c": None}],),
        "nested records": ([{"o": {"z": 1}, "l": [[1]]}, {"o": {"a": 2.0}, "l": [[2]]}],),
        "scalars": ("hello", 5),
        "list of scalars": ([1.0, 2.0], [True]),
        "bytes and datetime": (b"abc", dt.datetime(2024, 1, 1)),
        "params with defaults": (
            ["q"],
            None,
            {
                "temperature": 0.5,
                "n": 3,
                "flag": True,
                "name": "s",
                "stop": ["a", "b"],
                "weights": np.array([0.1, 0.2], dtype=np.float32),
                "f32": np.float32(1.0),
                "cfg": {"k": 1, "s": "x"},
            },
        ),
    }


@pytest.mark.parametrize("case", list(_parity_cases()))
def test_inference_matches_mlflow_json(case: str, mlflow_infer: Any) -> None:
    args = _parity_cases()[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's integer-column hint is a UserWarning
        theirs = mlflow_infer(*args).to_dict()
    assert "any" not in str(theirs["inputs"]), "mlflow fell back to 'any': fix the case"
    ours = infer_signature(*args).to_dict()
    assert ours == theirs
    assert ModelSignature.from_dict(theirs).to_dict() == theirs


def test_uninferable_input_falls_back_to_any_like_mlflow() -> None:
    sig = infer_signature([1, "a"])
    assert sig.to_dict()["inputs"] == '[{"type": "any", "required": true}]'
    with pytest.raises(InvalidParameterValue, match="'bad'"):
        infer_signature("x", params={"bad": None})


# ---------------------------------------------------------------------- enforcement: columns


def _schema(*specs: ColSpec) -> Schema:
    return Schema(specs)


@pytest.mark.parametrize(
    ("values", "expected", "dtype"),
    [
        (np.array([1, 2], dtype=np.int32), DataType.LONG, "int64"),
        (np.array([1, 2], dtype=np.int64), DataType.DOUBLE, "float64"),
        (np.array([1, 2], dtype=np.int64), DataType.FLOAT, "float32"),
        (np.array([1, 2], dtype=np.int8), DataType.INTEGER, "int32"),
        (np.array([1.0, 2.0], dtype=np.float32), DataType.DOUBLE, "float64"),
        (np.array([1.5, np.nan]), DataType.DOUBLE, "float64"),
        ([True, False], DataType.BOOLEAN, "bool"),
        ([1, 2], DataType.DOUBLE, "float64"),
    ],
)
def test_safe_conversions_widen(values: Any, expected: DataType, dtype: str) -> None:
    out = enforce_schema(pd.DataFrame({"c": values}), _schema(ColSpec(expected, "c")))
    assert str(out["c"].dtype) == dtype


@pytest.mark.parametrize(
    ("values", "expected", "message"),
    [
        ([1.0, 2.0], DataType.LONG, "column 'age': expected long, got double"),
        ([1.5], DataType.INTEGER, "column 'age': expected integer, got double"),
        (["30"], DataType.LONG, "column 'age': expected long, got string"),
        ([1.0], DataType.FLOAT, "column 'age': expected float, got double"),
        ([1], DataType.INTEGER, "column 'age': expected integer, got long"),
        ([True], DataType.LONG, "column 'age': expected long, got boolean"),
        ([1], DataType.BOOLEAN, "column 'age': expected boolean, got long"),
        ([1], DataType.STRING, "column 'age': expected string, got long"),
        (["2024-01-01"], DataType.DATETIME, "column 'age': expected datetime, got string"),
        ([1, "a"], DataType.LONG, "column 'age': expected long, got string"),
    ],
)
def test_unsafe_conversions_are_refused_in_one_line(
    values: list[Any], expected: DataType, message: str
) -> None:
    with pytest.raises(InvalidParameterValue) as err:
        enforce_schema(pd.DataFrame({"age": values}), _schema(ColSpec(expected, "age")))
    assert err.value.message == message


def test_missing_values_in_an_integer_column_get_a_hint() -> None:
    with pytest.raises(InvalidParameterValue, match="column 'n': expected long, got missing"):
        enforce_schema(pd.DataFrame({"n": [1.0, None]}), _schema(ColSpec(DataType.LONG, "n")))


def test_strings_stay_strings_and_datetimes_stay_datetimes() -> None:
    df = pd.DataFrame({"s": ["1", None], "d": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    schema = _schema(ColSpec(DataType.STRING, "s"), ColSpec(DataType.DATETIME, "d"))
    out = enforce_schema(df, schema)
    assert out["s"][0] == "1"
    assert out["s"].isna().tolist() == [False, True]
    assert out["d"].dtype.kind == "M"
    assert out["d"].tolist() == df["d"].tolist()


def test_columns_follow_the_schema_extras_dropped_optional_may_be_missing() -> None:
    schema = _schema(
        ColSpec(DataType.LONG, "a"),
        ColSpec(DataType.DOUBLE, "b"),
        ColSpec(DataType.STRING, "opt", required=False),
    )
    out = enforce_schema(pd.DataFrame({"extra": [0], "b": [2.0], "a": [1]}), schema)
    assert list(out.columns) == ["a", "b"]
    assert out.to_dict("records") == [{"a": 1, "b": 2.0}]
    with pytest.raises(InvalidParameterValue, match="missing required column\\(s\\) 'b'"):
        enforce_schema(pd.DataFrame({"a": [1]}), schema)


def test_non_dataframe_inputs_become_frames() -> None:
    schema = _schema(ColSpec(DataType.LONG, "a"), ColSpec(DataType.STRING, "b"))
    by_rows = enforce_schema([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}], schema)
    by_cols = enforce_schema({"a": [1, 2], "b": ["x", "y"]}, schema)
    one_row = enforce_schema({"a": 1, "b": "x"}, schema)
    assert by_rows.equals(by_cols)
    assert one_row.to_dict("records") == [{"a": 1, "b": "x"}]
    assert str(by_rows["a"].dtype) == "int64"
    unnamed = enforce_schema("hello", _schema(ColSpec(DataType.STRING)))
    assert unnamed.iloc[0, 0] == "hello"
    with pytest.raises(InvalidParameterValue, match="expected 1 column\\(s\\), got 2"):
        enforce_schema(pd.DataFrame({"x": [1], "y": [2]}), _schema(ColSpec(DataType.LONG)))


def test_array_and_object_columns_are_checked_value_by_value() -> None:
    schema = _schema(
        ColSpec(Array(DataType.DOUBLE), "v"),
        ColSpec(Object((Property("k", DataType.LONG),)), "o"),
    )
    out = enforce_schema({"v": [1, 2], "o": {"k": 3}}, schema)
    assert out.to_dict("records") == [{"v": [1.0, 2.0], "o": {"k": 3}}]
    with pytest.raises(InvalidParameterValue) as err:
        enforce_schema([{"v": [1.0, "x"], "o": {"k": 1}}], schema)
    assert err.value.message == "column 'v'[1]: expected double, got string"
    with pytest.raises(InvalidParameterValue, match="column 'o': missing required property 'k'"):
        enforce_schema([{"v": [1.0], "o": {}}], schema)


# ---------------------------------------------------------------------- enforcement: tensors


def test_tensor_dtype_and_shape_are_strict() -> None:
    schema = Schema([TensorSpec("float32", (-1, 4))])
    ok = np.zeros((2, 4), dtype=np.float32)
    assert enforce_schema(ok, schema) is ok
    with pytest.raises(InvalidParameterValue) as err:
        enforce_schema(np.zeros((2, 3), dtype=np.float32), schema)
    assert err.value.message == "tensor input: expected shape [-1, 4], got [2, 3]"
    with pytest.raises(InvalidParameterValue) as err:
        enforce_schema(np.zeros((2, 4)), schema)
    assert err.value.message == "tensor input: expected float32, got float64"
    # Lists (JSON payloads) are read as the declared dtype.
    assert enforce_schema([[1, 2, 3, 4]], schema).dtype == np.float32


def test_named_tensors() -> None:
    schema = Schema([TensorSpec("int64", (-1,), "ids"), TensorSpec("float64", (-1, 2), "x")])
    out = enforce_schema({"x": [[1.0, 2.0]], "ids": np.array([7]), "junk": 1}, schema)
    assert list(out) == ["ids", "x"]
    with pytest.raises(InvalidParameterValue, match="tensor 'x': expected shape \\[-1, 2\\]"):
        enforce_schema({"ids": np.array([7]), "x": [1.0, 2.0]}, schema)
    with pytest.raises(InvalidParameterValue, match="missing required input tensor 'x'"):
        enforce_schema({"ids": np.array([7])}, schema)


# ----------------------------------------------------------------------- enforcement: params


def test_params_defaults_conversions_and_errors() -> None:
    schema = ParamSchema(
        [
            ParamSpec("temperature", DataType.DOUBLE, 0.5),
            ParamSpec("n", DataType.LONG, 3),
            ParamSpec("stop", DataType.STRING, ["x"], (-1,)),
        ]
    )
    assert enforce_params(None, schema) == {"temperature": 0.5, "n": 3, "stop": ["x"]}
    got = enforce_params({"temperature": 1, "stop": ["a", "b"], "unknown": 1}, schema)
    assert got == {"temperature": 1.0, "n": 3, "stop": ["a", "b"]}
    assert isinstance(got["temperature"], float)
    with pytest.raises(InvalidParameterValue) as err:
        enforce_params({"n": "5"}, schema)
    assert err.value.message == "param 'n': expected long, got string"
    with pytest.raises(InvalidParameterValue, match="param 'n': expected long, got double"):
        enforce_params({"n": 5.0}, schema)
    with pytest.raises(InvalidParameterValue, match="param 'stop': expected array<string>"):
        enforce_params({"stop": "a"}, schema)
    assert enforce_params({"n": 1}, None) == {}


def test_a_bad_default_is_reported_where_it_is_used() -> None:
    schema = ParamSchema.from_json('[{"name": "n", "type": "long", "default": "x", "shape": null}]')
    with pytest.raises(InvalidParameterValue, match="param 'n' default: expected long, got string"):
        enforce_params({}, schema)
    assert enforce_params({"n": 2}, schema) == {"n": 2}


def test_series_nullable_and_odd_inputs() -> None:
    named = _schema(ColSpec(DataType.DOUBLE, "x"))
    assert enforce_schema(pd.Series([1, 2]), named).to_dict("records") == [{"x": 1.0}, {"x": 2.0}]
    nullable = pd.DataFrame({"x": pd.array([1, None], dtype="Int64")})
    assert enforce_schema(nullable, named)["x"].isna().tolist() == [False, True]
    with pytest.raises(InvalidParameterValue, match="column 'x': expected long, got missing"):
        enforce_schema(nullable, _schema(ColSpec(DataType.LONG, "x")))
    with pytest.raises(InvalidParameterValue, match="column 'x': expected long, got uint64"):
        enforce_schema(
            pd.DataFrame({"x": np.array([1], dtype=np.uint64)}),
            _schema(ColSpec(DataType.LONG, "x")),
        )
    with pytest.raises(InvalidParameterValue, match="model input: unsupported type NoneType"):
        enforce_schema(None, named)
    records = [{"a": 1}, {"a": 2, "b": "x"}]
    schema = _schema(ColSpec(DataType.LONG, "a"), ColSpec(DataType.STRING, "b", required=False))
    assert enforce_schema(records, schema)["b"].isna().tolist() == [True, False]
