"""What the client's ``log_text``, ``log_dict``, ``log_figure``, ``log_image`` and ``log_table``
write: Python objects turned into the files MLflow writes for them.

Each helper takes the repository and ``artifact_file``, a path relative to its root that includes
the file name. Optional libraries are imported only by the helper that needs them; a missing one
is reported with the package to install.
"""

from __future__ import annotations

import datetime
import importlib.util
import io
import json
import math
import posixpath
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yaml

from runstone.artifacts.repo import ArtifactRepo
from runstone.errors import InvalidParameterValue, NotFound, NotImplementedFeature

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

Table = tuple[list[str], list[list[Any]]]


def write_text(repo: ArtifactRepo, text: str, artifact_file: str) -> None:
    """``text`` as a UTF-8 file."""
    repo.write_bytes(artifact_file, text.encode("utf-8"))


def write_dict(repo: ArtifactRepo, dictionary: Any, artifact_file: str) -> None:
    """YAML for ``.yaml``/``.yml`` files, indented JSON for any other name (as MLflow does)."""
    try:
        text = json.dumps(dictionary, indent=2, default=_json_default)
        if _extension(artifact_file) in (".yaml", ".yml"):
            # Through JSON first, so numpy values and tuples become plain YAML, not Python tags.
            text = yaml.safe_dump(
                json.loads(text), default_flow_style=False, sort_keys=False, allow_unicode=True
            )
    except (TypeError, ValueError) as exc:
        raise InvalidParameterValue(f"Cannot serialise {artifact_file!r}: {exc}") from exc
    write_text(repo, text, artifact_file)


def write_figure(
    repo: ArtifactRepo,
    figure: Any,
    artifact_file: str,
    save_kwargs: Mapping[str, Any] | None = None,
) -> None:
    """A matplotlib figure (``savefig``) or a plotly figure (``.html``, else a static image).

    The format follows the file's extension; ``save_kwargs`` go to ``savefig`` /
    ``write_html`` / ``write_image``.
    """
    kwargs = dict(save_kwargs or {})
    try:
        if hasattr(figure, "savefig"):  # a matplotlib Figure (or the pyplot module)
            data = _matplotlib_bytes(figure, artifact_file, kwargs)
        elif hasattr(figure, "write_html") and hasattr(figure, "write_image"):
            data = _plotly_bytes(figure, artifact_file, kwargs)
        else:
            raise InvalidParameterValue(
                f"Cannot log a {type(figure).__name__} as a figure: "
                "pass a matplotlib or a plotly figure."
            )
    except ValueError as exc:  # an unknown format or a bad keyword argument
        raise InvalidParameterValue(f"Cannot save the figure as {artifact_file!r}: {exc}") from exc
    repo.write_bytes(artifact_file, data)


def write_image(repo: ArtifactRepo, image: Any, artifact_file: str) -> None:
    """A PIL image, or a numpy array (HxW, HxWx1, HxWx3 or HxWx4; uint8, or floats in [0, 1]).

    The format follows the extension (``.png``, ``.jpg``, …).
    """
    try:
        from PIL import Image  # Pillow is optional: only images need it
    except ImportError as exc:
        raise _missing("pillow", "Logging an image") from exc
    if not isinstance(image, Image.Image):
        image = Image.fromarray(_to_uint8(image))
    image_format = Image.registered_extensions().get(_extension(artifact_file))
    if image_format is None:
        raise InvalidParameterValue(
            f"Cannot log an image as {artifact_file!r}: use an image extension such as .png."
        )
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=image_format)
    except (OSError, ValueError, KeyError) as exc:  # e.g. transparency in a JPEG
        raise InvalidParameterValue(f"Cannot save the image as {artifact_file!r}: {exc}") from exc
    repo.write_bytes(artifact_file, buffer.getvalue())


def write_table(repo: ArtifactRepo, data: Any, artifact_file: str) -> None:
    """A dict of columns or a pandas DataFrame as ``{"columns": [...], "data": [[...], ...]}``.

    When the file already exists, the new rows are appended (columns are united, missing cells
    are null), as MLflow's ``log_table`` does.
    """
    if _extension(artifact_file) != ".json":
        raise InvalidParameterValue(
            f"A table must be logged as a .json file, not {artifact_file!r}."
        )
    columns, rows = _table(data)
    existing = _read_table(repo, artifact_file)
    if existing is not None:
        columns, rows = _append(existing, (columns, rows))
    body = {"columns": columns, "data": rows}
    write_text(repo, json.dumps(body, default=_json_default), artifact_file)


# -- figures ------------------------------------------------------------------------------------


def _matplotlib_bytes(figure: Any, artifact_file: str, kwargs: dict[str, Any]) -> bytes:
    extension = _extension(artifact_file)
    if extension:
        kwargs.setdefault("format", extension[1:])
    buffer = io.BytesIO()
    figure.savefig(buffer, **kwargs)
    return buffer.getvalue()


def _plotly_bytes(figure: Any, artifact_file: str, kwargs: dict[str, Any]) -> bytes:
    extension = _extension(artifact_file)
    if extension in (".html", ".htm"):
        text = io.StringIO()
        figure.write_html(text, **kwargs)
        return text.getvalue().encode("utf-8")
    # Static images of plotly figures are rendered by kaleido, a package of its own.
    if importlib.util.find_spec("kaleido") is None:
        raise _missing("kaleido", "Saving a plotly figure as an image")
    if extension:
        kwargs.setdefault("format", extension[1:])
    buffer = io.BytesIO()
    figure.write_image(buffer, **kwargs)
    return buffer.getvalue()


# -- images -------------------------------------------------------------------------------------


def _to_uint8(image: Any) -> NDArray[np.uint8]:
    # numpy is imported here, not at the top, so that importing runstone stays light.
    import numpy as np

    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InvalidParameterValue(
            f"An image must be HxW, HxWx1, HxWx3 or HxWx4, not of shape {array.shape}."
        )
    if array.size == 0:
        raise InvalidParameterValue("An image must not be empty.")
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise InvalidParameterValue("A float image must hold values in [0, 1].")
        return (array * 255).round().astype(np.uint8)
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * np.uint8(255)
    if np.issubdtype(array.dtype, np.integer):
        if array.min() < 0 or array.max() > 255:
            raise InvalidParameterValue("An integer image must hold values in [0, 255].")
        return array.astype(np.uint8)
    raise InvalidParameterValue(f"An image cannot be of dtype {array.dtype}.")


# -- tables -------------------------------------------------------------------------------------


def _table(data: Any) -> Table:
    if _is_dataframe(data):
        split = json.loads(data.to_json(orient="split", index=False, date_format="iso"))
        return [str(column) for column in split["columns"]], split["data"]
    if not isinstance(data, Mapping):
        raise InvalidParameterValue(
            f"A table must be a dict of columns or a pandas DataFrame, not {type(data).__name__}."
        )
    columns = [str(key) for key in data]
    values = [_column(key, value) for key, value in data.items()]
    if len({len(column) for column in values}) > 1:
        raise InvalidParameterValue("All columns of a table must have the same length.")
    return columns, [[_cell(cell) for cell in row] for row in zip(*values, strict=True)]


def _is_dataframe(data: Any) -> bool:
    # pandas is never imported here: a DataFrame can only exist when pandas already is.
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(data, pandas.DataFrame)


def _column(key: object, value: Any) -> list[Any]:
    if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
        raise InvalidParameterValue(f"Table column {key!r} must be a list of values.")
    return list(value)


def _cell(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN; pandas writes null too
    return value


def _read_table(repo: ArtifactRepo, artifact_file: str) -> Table | None:
    try:
        body = json.loads(repo.read_bytes(artifact_file))
    except NotFound:
        return None
    except ValueError as exc:
        raise _not_a_table(artifact_file) from exc
    if not isinstance(body, dict):
        raise _not_a_table(artifact_file)
    columns, rows = body.get("columns"), body.get("data")
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise _not_a_table(artifact_file)
    if any(not isinstance(row, list) or len(row) != len(columns) for row in rows):
        raise _not_a_table(artifact_file)
    return [str(column) for column in columns], rows


def _append(old: Table, new: Table) -> Table:
    """``old``'s rows then ``new``'s, over the union of their columns (old ones first)."""
    merged = old[0] + [column for column in new[0] if column not in old[0]]

    def widen(table: Table) -> list[list[Any]]:
        position = {column: i for i, column in enumerate(table[0])}
        return [[row[position[c]] if c in position else None for c in merged] for row in table[1]]

    return merged, widen(old) + widen(new)


def _not_a_table(artifact_file: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Cannot append to {artifact_file!r}: it is not a table of columns and data."
    )


# -- shared -------------------------------------------------------------------------------------


def _extension(artifact_file: str) -> str:
    return posixpath.splitext(artifact_file)[1].lower()


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _missing(package: str, what: str) -> NotImplementedFeature:
    return NotImplementedFeature(f"{what} needs the {package} package: pip install {package}")
