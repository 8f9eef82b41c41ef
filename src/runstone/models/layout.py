"""The files of a model directory, and the small format helpers every writer of one shares.

MLflow finds a model's parts by fixed file names (``MLmodel``, ``requirements.txt`` …) and by
the ``saved_input_example_info`` block of ``MLmodel``, so these names and shapes are part of the
on-disk contract: a directory Runstone writes must load in MLflow and the other way round.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from runstone.errors import InvalidParameterValue, NotFound

MLMODEL_FILE: Final = "MLmodel"
REQUIREMENTS_FILE: Final = "requirements.txt"
CONSTRAINTS_FILE: Final = "constraints.txt"
PYTHON_ENV_FILE: Final = "python_env.yaml"
CONDA_ENV_FILE: Final = "conda.yaml"
INPUT_EXAMPLE_FILE: Final = "input_example.json"
SERVING_INPUT_EXAMPLE_FILE: Final = "serving_input_example.json"

# ``saved_input_example_info.type`` values MLflow writes (mlflow-compat.md §5.5).
EXAMPLE_TYPES: Final = frozenset(
    {"dataframe", "ndarray", "json_object", "sparse_matrix_csr", "sparse_matrix_csc"}
)
PANDAS_ORIENTS: Final = frozenset({"split", "values"})


def input_example_info(
    example_type: str,
    *,
    pandas_orient: str | None = None,
    has_params: bool = False,
    serving_input_path: str | None = SERVING_INPUT_EXAMPLE_FILE,
) -> dict[str, str]:
    """The ``saved_input_example_info`` mapping for an example saved as ``input_example.json``.

    MLflow records ``params`` as the *string* ``"true"`` (not a YAML boolean) when the example
    carried inference params, and ``pandas_orient`` only for dataframes; both quirks are kept so
    MLflow's loader reads the example back the way it was written.
    """
    if example_type not in EXAMPLE_TYPES:
        raise InvalidParameterValue(
            f"Invalid input example type {example_type!r}: expected one of "
            f"{', '.join(sorted(EXAMPLE_TYPES))}."
        )
    info = {"artifact_path": INPUT_EXAMPLE_FILE, "type": example_type}
    if example_type == "dataframe":
        orient = pandas_orient or "split"
        if orient not in PANDAS_ORIENTS:
            raise InvalidParameterValue(
                f"Invalid pandas_orient {orient!r}: expected 'split' or 'values'."
            )
        info["pandas_orient"] = orient
    elif pandas_orient is not None:
        raise InvalidParameterValue(
            f"pandas_orient is only valid for dataframe examples, not {example_type!r}."
        )
    if serving_input_path is not None:
        info["serving_input_path"] = serving_input_path
    if has_params:
        info["params"] = "true"
    return info


def check_input_example_info(info: object, source: str) -> dict[str, Any]:
    """Check a ``saved_input_example_info`` block read from ``source``; unknown keys are kept.

    Only what a reader relies on is checked: a mapping whose ``artifact_path`` and ``type`` are
    strings. Unknown ``type`` values are accepted, since newer MLflow versions may add some.
    """
    if not isinstance(info, Mapping):
        raise InvalidParameterValue(
            f"Invalid saved_input_example_info in {source}: expected a mapping, "
            f"got {type(info).__name__}."
        )
    for key in ("artifact_path", "type"):
        if not isinstance(info.get(key), str):
            raise InvalidParameterValue(
                f"Invalid saved_input_example_info in {source}: {key!r} must be a string."
            )
    return dict(info)


def example_has_params(info: Mapping[str, Any]) -> bool:
    """Whether ``input_example.json`` is ``{"inputs": ..., "params": ...}`` (written as "true")."""
    value = info.get("params")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def directory_size(path: str | os.PathLike[str]) -> int:
    """Total bytes of the regular files under ``path``: the ``model_size_bytes`` of a model.

    Symbolic links are not followed, so a link to a large file elsewhere is not counted and a
    link cycle cannot loop.
    """
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            file_path = os.path.join(root, name)
            if not os.path.islink(file_path):
                total += os.path.getsize(file_path)
    return total


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, never half.

    The text goes to a temporary file in the same directory (same file system, so the rename is
    atomic), is flushed to disk, and then replaces ``path``. The parent directory is created.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600; keep an existing file's mode, else the usual 0644.
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


def read_text(path: Path, what: str) -> str:
    """Read a UTF-8 text file, raising :class:`NotFound` naming ``what`` when it is missing."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"Could not find {what} at {str(path)!r}.") from None
    except UnicodeDecodeError as exc:
        raise InvalidParameterValue(f"{what} at {str(path)!r} is not UTF-8 text: {exc}.") from None
