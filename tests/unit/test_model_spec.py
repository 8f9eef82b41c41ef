from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import runstone.models
from runstone.errors import InvalidParameterValue, NotFound
from runstone.models import ModelSpec, directory_size, input_example_info, utc_time_created
from runstone.models.layout import check_input_example_info, example_has_params

SIGNATURE = {
    "inputs": '[{"type": "double", "name": "a", "required": true}, '
    '{"type": "double", "name": "b", "required": true}]',
    "outputs": '[{"type": "long", "required": true}]',
    "params": None,
}

# The MLmodel of an sklearn model logged by MLflow 3.18 (mlflow-compat.md §5.2), expanded.
MLFLOW_3_MLMODEL = """\
artifact_path: mlflow-artifacts:/2/models/m-d1c2/artifacts
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.skops
    predict_fn: predict
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.skops
    serialization_format: skops
    sklearn_version: 1.9.1
    skops_trusted_types: null
is_signature_from_type_hint: false
mlflow_version: 3.18.0
model_id: m-d1c2
model_size_bytes: 10686
model_uuid: m-d1c2
prompts: null
run_id: 578181351a4a4b59ab54b0bc073b5c85
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  serving_input_path: serving_input_example.json
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "a", "required": true}, {"type": "double",
    "name": "b", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
type_hint_from_example: false
utc_time_created: '2026-11-26 21:16:26.824400'
"""

# An MLflow 2.x file: no model_id or prompts, signature without the type-hint flags.
MLFLOW_2_MLMODEL = """\
artifact_path: model
flavors:
  python_function:
    env: conda.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    python_version: 3.8.10
mlflow_version: 2.9.2
model_uuid: 0a1b2c3d4e5f40718293a4b5c6d7e8f9
run_id: 578181351a4a4b59ab54b0bc073b5c85
signature:
  inputs: '[{"type": "double", "name": "a"}]'
  outputs: null
utc_time_created: '2023-12-01 10:00:00.000001'
"""

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")


# -- building and writing ------------------------------------------------------------------


def test_new_spec_writes_mlflow_3_keys() -> None:
    spec = ModelSpec().add_flavor("python_function", loader_module="mymodule")
    doc = yaml.safe_load(spec.to_yaml())
    # Null keys MLflow 3 always writes are there; the ones it omits when null are not.
    assert set(doc) == {"flavors", "model_id", "model_uuid", "prompts", "utc_time_created"}
    assert doc["model_id"] is None
    assert doc["prompts"] is None
    assert re.fullmatch(r"[0-9a-f]{32}", doc["model_uuid"])
    assert TIME_RE.match(doc["utc_time_created"])
    assert doc["flavors"] == {"python_function": {"loader_module": "mymodule"}}


def test_yaml_style_is_sorted_block_with_quoted_time() -> None:
    spec = ModelSpec(
        model_uuid="abc", utc_time_created="2026-01-02 03:04:05.000006", run_id="r1"
    ).add_flavor("zeta", b=2, a=1)
    assert spec.to_yaml() == (
        "flavors:\n"
        "  zeta:\n"
        "    a: 1\n"
        "    b: 2\n"
        "model_id: null\n"
        "model_uuid: abc\n"
        "prompts: null\n"
        "run_id: r1\n"
        "utc_time_created: '2026-01-02 03:04:05.000006'\n"
    )


def test_signature_is_written_with_its_flags() -> None:
    spec = ModelSpec(signature=dict(SIGNATURE))
    doc = yaml.safe_load(spec.to_yaml())
    assert doc["signature"] == SIGNATURE
    assert doc["is_signature_from_type_hint"] is False
    assert doc["type_hint_from_example"] is False
    spec.is_signature_from_type_hint = True
    assert yaml.safe_load(spec.to_yaml())["is_signature_from_type_hint"] is True


def test_every_known_key_is_written() -> None:
    spec = ModelSpec(
        artifact_path="model",
        run_id="r",
        model_id="m-1",
        mlflow_version="3.18.0",
        model_size_bytes=10,
        saved_input_example_info=input_example_info("json_object"),
        metadata={"team": "x"},
        prompts=["prompts:/p/1"],
        resources={"api_version": "1"},
        env_vars=["OPENAI_API_KEY"],
        auth_policy={"system_auth_policy": {}},
        databricks_runtime="15.4",
        extra={"future_key": [1, 2]},
    )
    doc = yaml.safe_load(spec.to_yaml())
    assert doc["artifact_path"] == "model"
    assert doc["model_size_bytes"] == 10
    assert doc["saved_input_example_info"] == {
        "artifact_path": "input_example.json",
        "serving_input_path": "serving_input_example.json",
        "type": "json_object",
    }
    assert doc["env_vars"] == ["OPENAI_API_KEY"]
    assert doc["databricks_runtime"] == "15.4"
    assert doc["future_key"] == [1, 2]
    assert ModelSpec.from_dict(doc) == spec


def test_utc_time_created_format() -> None:
    assert utc_time_created(dt.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02 03:04:05.000000"
    plus_two = dt.timezone(dt.timedelta(hours=2))
    aware = dt.datetime(2026, 1, 2, 5, 4, 5, 7, tzinfo=plus_two)
    assert utc_time_created(aware) == "2026-01-02 03:04:05.000007"
    assert TIME_RE.match(utc_time_created())


def test_flavor_lookup() -> None:
    spec = ModelSpec().add_flavor("sklearn", pickled_model="model.skops").add_flavor("custom")
    assert spec.flavor("sklearn") == {"pickled_model": "model.skops"}
    assert spec.has_flavor("custom")
    assert not spec.has_flavor("pytorch")
    with pytest.raises(NotFound, match=r"'pytorch' flavor \(flavors present: custom, sklearn\)"):
        spec.flavor("pytorch")
    with pytest.raises(NotFound, match="flavors present: none"):
        ModelSpec().flavor("sklearn")
    with pytest.raises(InvalidParameterValue, match="flavor name"):
        spec.add_flavor("")


def test_add_flavor_replaces() -> None:
    spec = ModelSpec().add_flavor("f", a=1).add_flavor("f", b=2)
    assert spec.flavors == {"f": {"b": 2}}


# -- reading: round trips ------------------------------------------------------------------


@pytest.mark.parametrize("text", [MLFLOW_3_MLMODEL, MLFLOW_2_MLMODEL])
def test_mlflow_files_round_trip_exactly(text: str) -> None:
    spec = ModelSpec.from_yaml(text)
    assert spec.to_yaml() == text


def test_mlflow_3_fields_are_read() -> None:
    spec = ModelSpec.from_yaml(MLFLOW_3_MLMODEL)
    assert spec.model_id == spec.model_uuid == "m-d1c2"
    assert spec.mlflow_version == "3.18.0"
    assert spec.model_size_bytes == 10686
    assert spec.signature == SIGNATURE
    assert spec.is_signature_from_type_hint is False
    assert spec.flavor("sklearn")["serialization_format"] == "skops"
    assert spec.saved_input_example_info is not None
    assert spec.saved_input_example_info["pandas_orient"] == "split"
    assert spec.extra == {}


def test_mlflow_2_file_gains_no_keys() -> None:
    spec = ModelSpec.from_yaml(MLFLOW_2_MLMODEL)
    assert spec.model_id is None
    assert spec.is_signature_from_type_hint is None
    assert "model_id" not in spec.to_dict()
    assert "is_signature_from_type_hint" not in spec.to_dict()


def test_unknown_keys_and_flavors_survive(tmp_path: Path) -> None:
    text = MLFLOW_3_MLMODEL + (
        "future_block:\n  nested:\n  - 1\n  - two\nfuture_null: null\n"
    ).replace("future", "zz_future")
    doc = yaml.safe_load(text)
    doc["flavors"]["exotic_flavor"] = {"weights": "w.bin", "opts": {"x": [1, 2]}}
    spec = ModelSpec.from_dict(doc)
    assert spec.extra == {"zz_future_block": {"nested": [1, "two"]}, "zz_future_null": None}
    spec.save(tmp_path)
    again = ModelSpec.load(tmp_path)
    assert again == spec
    assert yaml.safe_load((tmp_path / "MLmodel").read_text()) == doc


def test_null_keys_of_the_source_are_kept_and_cleared_ones_dropped() -> None:
    spec = ModelSpec.from_yaml(MLFLOW_3_MLMODEL)
    spec.run_id = None  # present (not null) in the source: now omitted, as MLflow would
    doc = spec.to_dict()
    assert "run_id" not in doc
    assert doc["prompts"] is None


def test_hand_written_values_are_normalised() -> None:
    text = (
        "flavors: {f: {}}\n"
        "utc_time_created: 2026-01-02 03:04:05.5\n"
        "mlflow_version: 2.0\n"
        "databricks_runtime: 15.4\n"
    )
    spec = ModelSpec.from_yaml(text)
    assert spec.utc_time_created == "2026-01-02 03:04:05.500000"
    assert spec.mlflow_version == "2.0"
    assert spec.databricks_runtime == "15.4"


def test_missing_flavors_and_time_get_defaults() -> None:
    spec = ModelSpec.from_yaml("run_id: r\n")
    assert spec.flavors == {}
    assert TIME_RE.match(spec.utc_time_created)


# -- reading: errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("flavors: [unclosed\n", "Invalid MLmodel file"),
        ("", "expected a YAML mapping at the top level, got NoneType"),
        ("- a\n- b\n", "got list"),
        ("just text\n", "got str"),
        ("1: x\n", "top-level key 1 is not a string"),
        ("flavors: [a, b]\n", "'flavors' expected a mapping, got list"),
        ("flavors: {sklearn: model.pkl}\n", "'flavors.sklearn' expected a mapping, got str"),
        ("flavors: {}\nmodel_size_bytes: big\n", "'model_size_bytes' expected int, got str"),
        ("flavors: {}\nmodel_size_bytes: true\n", "'model_size_bytes' expected an integer"),
        ("flavors: {}\nrun_id: [1]\n", "'run_id' expected str, got list"),
        ("flavors: {}\nsignature: '[]'\n", "'signature' expected a mapping"),
        ("flavors: {}\nsignature: {inputs: [1]}\n", "'signature.inputs' expected a JSON"),
        ("flavors: {}\nprompts: p\n", "'prompts' expected a list of strings"),
        ("flavors: {}\nmetadata: [1]\n", "'metadata' expected mapping, got list"),
        ("flavors: {}\nis_signature_from_type_hint: maybe\n", "expected bool"),
        ("flavors: {}\nsaved_input_example_info: x\n", "saved_input_example_info"),
        ("flavors: {}\nsaved_input_example_info: {type: dataframe}\n", "'artifact_path'"),
        ("flavors: {}\nmlflow_version: [3]\n", "'mlflow_version' expected a version string"),
        ("flavors: {}\nutc_time_created: 5\n", "'utc_time_created' expected a string"),
    ],
)
def test_malformed_documents_are_rejected(text: str, message: str) -> None:
    with pytest.raises(InvalidParameterValue, match=re.escape(message)):
        ModelSpec.from_yaml(text)


def test_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text("flavors: [unclosed\n")
    with pytest.raises(InvalidParameterValue, match=re.escape(str(tmp_path / "MLmodel"))):
        ModelSpec.load(tmp_path)
    (tmp_path / "MLmodel").write_text("- a\n")
    with pytest.raises(InvalidParameterValue, match=re.escape(str(tmp_path / "MLmodel"))):
        ModelSpec.load(tmp_path / "MLmodel")
    (tmp_path / "MLmodel").write_bytes(b"\xff\xfe")
    with pytest.raises(InvalidParameterValue, match="Invalid MLmodel file"):
        ModelSpec.load(tmp_path)


def test_load_missing_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="Could not find an MLmodel file"):
        ModelSpec.load(tmp_path)
    with pytest.raises(NotFound):
        ModelSpec.load(tmp_path / "nowhere" / "MLmodel")


# -- files ---------------------------------------------------------------------------------


def test_save_and_load_by_directory_or_file(tmp_path: Path) -> None:
    spec = ModelSpec(run_id="r").add_flavor("f", x=1)
    written = spec.save(tmp_path / "new" / "model")
    assert written == tmp_path / "new" / "model" / "MLmodel"
    assert ModelSpec.load(tmp_path / "new" / "model") == spec
    assert ModelSpec.load(written) == spec
    other = tmp_path / "other" / "MLmodel"
    assert spec.save(other) == other
    assert ModelSpec.load(other.parent) == spec


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = ModelSpec(run_id="old")
    old.save(tmp_path)
    assert oct((tmp_path / "MLmodel").stat().st_mode & 0o777) == oct(0o644)

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        ModelSpec(run_id="new").save(tmp_path)
    monkeypatch.undo()
    assert ModelSpec.load(tmp_path).run_id == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MLmodel"]  # no temp file left
    ModelSpec(run_id="new").save(tmp_path)
    assert ModelSpec.load(tmp_path).run_id == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MLmodel"]


# -- layout helpers ------------------------------------------------------------------------


def test_input_example_info_shapes() -> None:
    assert input_example_info("dataframe") == {
        "artifact_path": "input_example.json",
        "type": "dataframe",
        "pandas_orient": "split",
        "serving_input_path": "serving_input_example.json",
    }
    info = input_example_info("ndarray", has_params=True, serving_input_path=None)
    assert info == {"artifact_path": "input_example.json", "type": "ndarray", "params": "true"}
    assert example_has_params(info)
    assert not example_has_params(input_example_info("json_object"))
    assert input_example_info("dataframe", pandas_orient="values")["pandas_orient"] == "values"
    with pytest.raises(InvalidParameterValue, match="input example type"):
        input_example_info("tensor")
    with pytest.raises(InvalidParameterValue, match="pandas_orient"):
        input_example_info("dataframe", pandas_orient="records")
    with pytest.raises(InvalidParameterValue, match="only valid for dataframe"):
        input_example_info("ndarray", pandas_orient="split")
    assert check_input_example_info({"artifact_path": "a", "type": "new", "k": 1}, "f") == {
        "artifact_path": "a",
        "type": "new",
        "k": 1,
    }


def test_directory_size(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.bin").write_bytes(b"x" * 10)
    (tmp_path / "sub" / "b.bin").write_bytes(b"y" * 5)
    (tmp_path / "link").symlink_to(tmp_path / "a.bin")
    assert directory_size(tmp_path) == 15


def test_package_is_light_and_exports_exist() -> None:
    assert len(set(runstone.models.__all__)) == len(runstone.models.__all__)
    for name in runstone.models.__all__:
        assert hasattr(runstone.models, name)
    code = (
        "import sys, runstone.models; print(','.join(m for m in "
        "('pandas', 'numpy', 'torch', 'sklearn', 'mlflow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# -- compatibility with the installed MLflow -----------------------------------------------


def test_mlflow_written_mlmodel_round_trips(tmp_path: Path) -> None:
    models = pytest.importorskip("mlflow.models")
    signature_mod = pytest.importorskip("mlflow.models.signature")
    types_mod = pytest.importorskip("mlflow.types")
    schema = types_mod.Schema([types_mod.ColSpec("double", "a"), types_mod.ColSpec("long", "b")])
    model = models.Model(
        artifact_path="model",
        run_id="578181351a4a4b59ab54b0bc073b5c85",
        signature=signature_mod.ModelSignature(inputs=schema),
        saved_input_example_info={"artifact_path": "input_example.json", "type": "json_object"},
        metadata={"owner": "team-a", "nested": {"k": [1, 2]}},
        model_size_bytes=1234,
        model_id="m-0123",
        env_vars=["API_KEY"],
    )
    model.add_flavor("python_function", loader_module="mlflow.sklearn", python_version="3.11.7")
    model.add_flavor("sklearn", pickled_model="model.skops", serialization_format="skops")
    model.save(str(tmp_path / "MLmodel"))
    written = (tmp_path / "MLmodel").read_text()

    spec = ModelSpec.load(tmp_path)
    assert spec.run_id == "578181351a4a4b59ab54b0bc073b5c85"
    assert spec.model_id == "m-0123"
    assert spec.mlflow_version == model.mlflow_version
    assert spec.utc_time_created == model.utc_time_created
    assert spec.flavor("sklearn")["serialization_format"] == "skops"
    assert spec.signature is not None
    assert spec.signature["outputs"] is None
    assert spec.extra == {}
    assert spec.to_dict() == yaml.safe_load(written)
    assert spec.to_yaml() == written

    out = tmp_path / "copy"
    spec.save(out)
    assert models.Model.load(str(out)).to_dict() == model.to_dict()


def test_runstone_written_mlmodel_loads_in_mlflow(tmp_path: Path) -> None:
    models = pytest.importorskip("mlflow.models")
    spec = ModelSpec(
        run_id="r1",
        artifact_path="model",
        model_size_bytes=99,
        signature=dict(SIGNATURE),
        saved_input_example_info=input_example_info("dataframe"),
        metadata={"k": "v"},
        extra={"runstone_note": "kept"},
    ).add_flavor("python_function", loader_module="runstone.models.flavors.sklearn")
    spec.add_flavor("some_future_flavor", path="x")
    spec.save(tmp_path)

    model = models.Model.load(str(tmp_path))
    assert model.run_id == "r1"
    assert model.artifact_path == "model"
    assert model.model_uuid == spec.model_uuid
    assert model.utc_time_created == spec.utc_time_created
    assert model.mlflow_version is None
    assert model.model_size_bytes == 99
    assert model.metadata == {"k": "v"}
    assert model.saved_input_example_info == spec.saved_input_example_info
    assert model.flavors == spec.flavors
    assert model.signature.inputs.input_names() == ["a", "b"]
    assert model.signature.to_dict() == SIGNATURE
    assert model.runstone_note == "kept"
    # And MLflow writes it back unchanged.
    assert model.to_yaml() == (tmp_path / "MLmodel").read_text()


def test_extra_cannot_shadow_known_keys() -> None:
    spec = ModelSpec(model_uuid="u", extra={"run_id": "shadow", "flavors": {}, "other": 1})
    doc = spec.to_dict()
    assert "run_id" not in doc
    assert doc["other"] == 1


def test_signature_added_to_a_file_that_had_none_gets_its_flags() -> None:
    spec = ModelSpec.from_yaml("flavors: {}\nsignature: null\n")
    assert spec.to_dict()["signature"] is None  # the source's null is kept
    spec.signature = dict(SIGNATURE)
    assert spec.to_dict()["is_signature_from_type_hint"] is False
