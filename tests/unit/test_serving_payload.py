"""Reading scoring requests and writing their answers (runstone.serving.payload), as MLflow's
scoring protocol defines them: content types, the four JSON formats, CSV, and encoding."""

from __future__ import annotations

import datetime as dt
import importlib.util

import orjson
import pytest

from runstone.errors import BadRequest
from runstone.models.schema_enforce import enforce_schema
from runstone.models.signature import ColSpec, DataType, Schema, TensorSpec
from runstone.serving.payload import (
    PayloadParser,
    UnsupportedMediaType,
    encode_predictions,
    error_body,
    mime_type,
)

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

COLUMNS = Schema([ColSpec(DataType.DOUBLE, "a"), ColSpec(DataType.LONG, "b")])
TENSOR = Schema([TensorSpec("float32", (-1, 2))])


def parse(body: object, schema: Schema | None = COLUMNS) -> object:
    return PayloadParser(schema).parse_json(orjson.dumps(body)).data


# -- content types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("application/json", "application/json"),
        ("Application/JSON", "application/json"),
        ("application/json; charset=UTF-8", "application/json"),
        ("text/csv;charset=utf-8", "text/csv"),
        ("application/vnd.apache.parquet", "application/vnd.apache.parquet"),
    ],
)
def test_accepted_content_types(header: str, expected: str) -> None:
    assert mime_type(header) == expected


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("application/json; charset=latin-1", "only supports UTF-8"),
        ("application/json; format=pandas-split", "Unrecognized content type parameters: format"),
        ("text/plain", "only supports the following content types"),
        ("", "no Content-Type"),
        (None, "no Content-Type"),
    ],
)
def test_rejected_content_types(header: str | None, fragment: str) -> None:
    with pytest.raises(UnsupportedMediaType) as info:
        mime_type(header)
    assert fragment in info.value.message


# -- JSON formats ----------------------------------------------------------------------------


def test_dataframe_split() -> None:
    body = {"dataframe_split": {"columns": ["a", "b"], "data": [[1.5, 2], [3.0, 4]]}}
    df = parse(body)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["a", "b"]
    assert df.to_dict(orient="list") == {"a": [1.5, 3.0], "b": [2, 4]}


def test_dataframe_split_keeps_the_index() -> None:
    df = parse({"dataframe_split": {"columns": ["a"], "data": [[1.0]], "index": [7]}})
    assert isinstance(df, pd.DataFrame)
    assert list(df.index) == [7]


def test_dataframe_records() -> None:
    df = parse({"dataframe_records": [{"a": 1.0, "b": 2}, {"a": 3.0, "b": 4}]})
    assert isinstance(df, pd.DataFrame)
    assert df.to_dict(orient="records") == [{"a": 1.0, "b": 2}, {"a": 3.0, "b": 4}]


def test_instances_rows_become_columns_of_a_column_schema() -> None:
    df = parse({"instances": [[1.0, 2], [3.0, 4]]})
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["a", "b"]
    assert df["b"].tolist() == [2, 4]


def test_instances_row_objects() -> None:
    df = parse({"instances": [{"a": 1.0, "b": 2}]})
    assert isinstance(df, pd.DataFrame)
    assert df.to_dict(orient="records") == [{"a": 1.0, "b": 2}]


def test_inputs_as_columns_and_as_one_row() -> None:
    columns = parse({"inputs": {"a": [1.0, 3.0], "b": [2, 4]}})
    assert isinstance(columns, pd.DataFrame)
    assert len(columns) == 2
    row = parse({"inputs": {"a": 1.0, "b": 2}})
    assert isinstance(row, pd.DataFrame)
    assert row.to_dict(orient="records") == [{"a": 1.0, "b": 2}]


def test_inputs_for_a_single_column_schema() -> None:
    df = parse({"inputs": ["x", "y"]}, Schema([ColSpec(DataType.STRING, "text")]))
    assert isinstance(df, pd.DataFrame)
    assert df["text"].tolist() == ["x", "y"]


def test_tensor_schema_gets_numpy_arrays_of_its_dtype() -> None:
    array = parse({"inputs": [[1, 2], [3, 4]]}, TENSOR)
    assert isinstance(array, np.ndarray)
    assert array.dtype == np.float32
    assert array.shape == (2, 2)
    named = Schema([TensorSpec("int64", (-1,), "x"), TensorSpec("float64", (-1,), "y")])
    arrays = parse({"instances": [{"x": 1, "y": 2}, {"x": 3, "y": 4}]}, named)
    assert isinstance(arrays, dict)
    assert arrays["x"].dtype == np.int64
    assert arrays["y"].tolist() == [2.0, 4.0]


def test_schemaless_model_gets_numpy_for_tensor_formats() -> None:
    array = parse({"instances": [[1, 2], [3, 4]]}, None)
    assert isinstance(array, np.ndarray)
    assert array.tolist() == [[1, 2], [3, 4]]
    arrays = parse({"inputs": {"x": [1, 2]}}, None)
    assert isinstance(arrays, dict)
    assert arrays["x"].tolist() == [1, 2]


def test_params_are_returned_beside_the_data() -> None:
    parsed = PayloadParser(COLUMNS).parse_json(
        orjson.dumps({"dataframe_records": [{"a": 1.0, "b": 2}], "params": {"k": 3}})
    )
    assert parsed.params == {"k": 3}
    assert parsed.wrap


def test_unified_llm_bodies_pass_through_unwrapped() -> None:
    parsed = PayloadParser(None).parse_json(b'{"messages": [{"role": "user"}], "params": {}}')
    assert parsed.data == {"messages": [{"role": "user"}]}
    assert not parsed.wrap


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"[1, 2]", "got a JSON list"),
        (b"{not json", "Invalid JSON input"),
        (b'{"columns": ["a"]}', "exactly one of the input fields"),
        (b'{"inputs": [1], "instances": [1]}', "Received the fields ['inputs', 'instances']"),
        (b'{"inputs": [[1, 2]], "params": [1]}', "'params' must be a JSON object"),
        (b'{"dataframe_split": [[1, 2]]}', "'dataframe_split' must be an object"),
        (b'{"dataframe_records": [1, 2]}', "'dataframe_records' must be a list of objects"),
    ],
)
def test_bad_json_bodies(body: bytes, fragment: str) -> None:
    with pytest.raises(BadRequest) as info:
        PayloadParser(COLUMNS).parse_json(body)
    assert fragment in info.value.message
    assert info.value.code == "BAD_REQUEST"


def test_ragged_tensor_input_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="Cannot read the 'inputs' input"):
        parse({"inputs": [[1, 2], [3]]}, TENSOR)


# -- CSV and parquet ---------------------------------------------------------------------------


def test_csv_columns_are_typed_from_the_schema() -> None:
    schema = Schema([ColSpec(DataType.DOUBLE, "a"), ColSpec(DataType.STRING, "code")])
    df = PayloadParser(schema).parse(b"a,code\n1,007\n2,010\n", "text/csv").data
    assert df["a"].dtype == np.float64
    assert df["code"].tolist() == ["007", "010"]


def test_csv_without_schema_is_inferred() -> None:
    df = PayloadParser(None).parse(b"x,y\n1,a\n", "text/csv; charset=utf-8").data
    assert df.to_dict(orient="records") == [{"x": 1, "y": "a"}]


@pytest.mark.parametrize("body", [b"", b"\n", b'a,b\n"1,2\n'])
def test_bad_csv_is_a_bad_request(body: bytes) -> None:
    with pytest.raises(BadRequest):
        PayloadParser(COLUMNS).parse(body, "text/csv")


def test_csv_values_of_the_wrong_type_are_left_to_schema_enforcement() -> None:
    df = PayloadParser(COLUMNS).parse(b"a,b\n1,x\n", "text/csv").data
    assert df["b"].tolist() == ["x"]  # enforcement then reports: column 'b': expected long


def test_parquet_without_pyarrow_is_415_saying_so() -> None:
    parser = PayloadParser(None)
    parser.parquet = False  # as where the model is served without pyarrow
    with pytest.raises(UnsupportedMediaType, match="pyarrow"):
        parser.parse(b"PAR1", "application/vnd.apache.parquet")


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is None, reason="pyarrow is not installed")
def test_parquet_is_read_as_a_dataframe() -> None:
    body = pd.DataFrame({"a": [1.0], "b": [2]}).to_parquet()
    df = PayloadParser(COLUMNS).parse(body, "application/vnd.apache.parquet").data
    assert df.to_dict(orient="records") == [{"a": 1.0, "b": 2}]


# -- encoding ----------------------------------------------------------------------------------


def decode(data: bytes) -> object:
    return orjson.loads(data)


def test_predictions_of_every_common_shape() -> None:
    assert decode(encode_predictions(np.array([1, 0]))) == {"predictions": [1, 0]}
    assert decode(encode_predictions(np.array([[0.25, 0.75]]))) == {"predictions": [[0.25, 0.75]]}
    assert decode(encode_predictions(pd.Series([1.5, 2.5]))) == {"predictions": [1.5, 2.5]}
    frame = pd.DataFrame({"label": ["x", "y"], "score": [0.5, 1.0]})
    assert decode(encode_predictions(frame)) == {
        "predictions": [{"label": "x", "score": 0.5}, {"label": "y", "score": 1.0}]
    }
    assert decode(encode_predictions(np.float32(0.5))) == {"predictions": 0.5}
    assert decode(encode_predictions({"p": np.int64(3)})) == {"predictions": {"p": 3}}


def test_awkward_values_are_encoded() -> None:
    assert decode(encode_predictions(np.array(["a", "b"]))) == {"predictions": ["a", "b"]}
    assert decode(encode_predictions(np.array([1.0, np.nan]))) == {"predictions": [1.0, None]}
    assert decode(encode_predictions(np.arange(6).reshape(2, 3)[:, ::2])) == {
        "predictions": [[0, 2], [3, 5]]
    }
    dates = np.array(["2024-01-02T03:04:05"], dtype="datetime64[s]")
    assert decode(encode_predictions(dates)) == {"predictions": ["2024-01-02T03:04:05"]}
    assert decode(encode_predictions([dt.date(2024, 1, 2)])) == {"predictions": ["2024-01-02"]}


def test_unwrapped_and_error_documents() -> None:
    assert decode(encode_predictions({"choices": []}, wrap=False)) == {"choices": []}
    assert decode(error_body("bad", stack_trace="tb")) == {
        "error_code": "BAD_REQUEST",
        "message": "bad",
        "stack_trace": "tb",
    }


def test_a_conforming_request_frame_passes_enforcement_as_an_equal_copy() -> None:
    df = parse({"dataframe_split": {"columns": ["a", "b"], "data": [[1.5, 2]]}})
    assert isinstance(df, pd.DataFrame)
    enforced = enforce_schema(df, COLUMNS)
    assert enforced is not df
    pd.testing.assert_frame_equal(enforced, df)
    enforced.loc[0, "a"] = 9.0
    assert df.loc[0, "a"] == 1.5
    reordered = enforce_schema(df[["b", "a"]], COLUMNS)
    assert list(reordered.columns) == ["a", "b"]


# -- all-double schemas: split frames of plain numbers as one float64 block -------------------

DOUBLES = Schema([ColSpec(DataType.DOUBLE, "a"), ColSpec(DataType.DOUBLE, "b")])


def test_numeric_split_frames_become_the_frame_enforcement_would_make() -> None:
    body = {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2.5], [3.0, 4]]}}
    fast = parse(body, DOUBLES)
    general = pd.DataFrame(body["dataframe_split"]["data"], columns=["a", "b"])
    assert fast.dtypes.tolist() == [np.float64, np.float64]
    pd.testing.assert_frame_equal(enforce_schema(fast, DOUBLES), enforce_schema(general, DOUBLES))


@pytest.mark.parametrize(
    "split",
    [
        {"columns": ["a", "b"], "data": [[True, 1.0]]},  # enforcement must see the bool
        {"columns": ["a", "b"], "data": [["1.5", 1.0]]},  # ... and the string
        {"columns": ["a", "b"], "data": [[None, 1.0]]},
        {"columns": ["b", "a"], "data": [[1.0, 2.0]]},  # another order
        {"columns": ["a", "b"], "data": [[1.0, 2.0]], "index": [7]},
    ],
)
def test_other_split_frames_are_read_as_pandas_reads_them(split: dict[str, object]) -> None:
    parser = PayloadParser(DOUBLES)
    assert parser._double_frame(split) is None
    expected = pd.DataFrame(split["data"], columns=split["columns"], index=split.get("index"))
    pd.testing.assert_frame_equal(parse({"dataframe_split": split}, DOUBLES), expected)


def test_ragged_split_frames_take_the_general_path() -> None:
    split = {"columns": ["a", "b"], "data": [[1.0, 2.0], [1.0]]}
    assert PayloadParser(DOUBLES)._double_frame(split) is None
