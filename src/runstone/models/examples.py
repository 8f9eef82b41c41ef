"""Input examples of a saved model: ``input_example.json``, ``serving_input_example.json``, and
the signature MLflow infers from an example and the model's prediction on it.

Shared by every flavor's ``save_model``. numpy and pandas are only looked up in ``sys.modules``
(an example of their types means they are loaded), to keep this import cheap.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runstone.errors import InvalidParameterValue
from runstone.models.layout import (
    INPUT_EXAMPLE_FILE,
    SERVING_INPUT_EXAMPLE_FILE,
    input_example_info,
    write_text_atomic,
)
from runstone.models.signature import ModelSignature, infer_signature
from runstone.models.spec import ModelSpec

_log = logging.getLogger(__name__)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def is_instance(value: Any, module: str, cls: str) -> bool:
    """isinstance against ``module.cls`` without importing ``module`` (pandas, numpy)."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(value, getattr(loaded, cls))


def _example_document(data: Any) -> tuple[str, Any]:
    """The ``saved_input_example_info.type`` and the JSON value of an input example."""
    if is_instance(data, "pandas", "Series"):
        data = data.to_frame()
    if is_instance(data, "pandas", "DataFrame"):
        split = json.loads(data.to_json(orient="split", index=False, date_format="iso"))
        return "dataframe", {"columns": split["columns"], "data": split["data"]}
    if is_instance(data, "numpy", "ndarray"):
        return "ndarray", data.tolist()
    if (
        isinstance(data, Mapping)
        and data
        and all(is_instance(v, "numpy", "ndarray") for v in data.values())
    ):
        return "ndarray", {str(k): v.tolist() for k, v in data.items()}
    if isinstance(data, Mapping | list | str | int | float | bool):
        return "json_object", data
    raise InvalidParameterValue(
        f"Unsupported input example type {type(data).__name__}: give a pandas DataFrame, a "
        "numpy array, a dict of arrays, or JSON-serializable data."
    )


def split_example(example: Any) -> tuple[Any, dict[str, Any] | None]:
    """``(data, params)`` of an example: a ``(data, {params})`` tuple carries params."""
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], Mapping):
        return example[0], dict(example[1])
    return example, None


def save_input_example(spec: ModelSpec, root: Path, example: Any) -> None:
    """Write ``input_example.json`` and ``serving_input_example.json`` and record them.

    The serving file is a ready-made ``/invocations`` body, which is why it wraps dataframes
    as ``dataframe_split`` and everything else as ``inputs``.
    """
    data, params = split_example(example)
    example_type, document = _example_document(data)
    stored = document if params is None else {"inputs": document, "params": params}
    serving_key = "dataframe_split" if example_type == "dataframe" else "inputs"
    serving = {serving_key: document, **({"params": params} if params else {})}
    try:
        stored_text = json.dumps(stored, default=_json_default)
        serving_text = json.dumps(serving, default=_json_default, indent=2)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterValue(f"Cannot save the input example as JSON: {exc}") from exc
    write_text_atomic(root / INPUT_EXAMPLE_FILE, stored_text)
    write_text_atomic(root / SERVING_INPUT_EXAMPLE_FILE, serving_text)
    spec.saved_input_example_info = input_example_info(
        example_type,
        pandas_orient="split" if example_type == "dataframe" else None,
        has_params=params is not None,
    )


def infer_signature_from_example(example: Any, predict: Any) -> ModelSignature | None:
    """The signature of ``example`` and of what ``predict`` returns for it, as MLflow infers
    one when none is given. A model that fails on its example still saves, with inputs only."""
    data, params = split_example(example)
    try:
        output = predict(data, params) if params else predict(data)
    except Exception as exc:  # the user's model: any failure only loses the output schema
        _log.warning("could not run the model on its input example (%s); no output schema", exc)
        output = None
    if is_instance(output, "numpy", "ndarray") and output.ndim == 1:
        inputs = infer_signature(data).inputs
        if inputs is not None and not inputs.is_tensor_spec() and "pandas" in sys.modules:
            # One value per row of a table: a column, as MLflow describes it, not a tensor.
            output = sys.modules["pandas"].Series(output)
    return infer_signature(data, output, params)
