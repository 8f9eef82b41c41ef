from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from runstone.artifacts import (
    ArtifactRepo,
    write_dict,
    write_figure,
    write_image,
    write_table,
    write_text,
)
from runstone.errors import InvalidParameterValue, NotImplementedFeature


@pytest.fixture
def repo(tmp_path: Path) -> ArtifactRepo:
    return ArtifactRepo.from_uri(str(tmp_path / "artifacts"))


def _json(repo: ArtifactRepo, path: str) -> Any:
    return json.loads(repo.read_bytes(path))


# -- text and dicts -----------------------------------------------------------------------------


def test_text_is_written_as_utf8(repo: ArtifactRepo) -> None:
    write_text(repo, "température: 20 °C\n", "notes/readme.txt")
    assert repo.read_bytes("notes/readme.txt").decode("utf-8") == "température: 20 °C\n"


def test_a_dict_goes_to_json_for_json_and_unknown_extensions(repo: ArtifactRepo) -> None:
    data = {"lr": 0.01, "layers": [64, 32], "name": "ñ"}
    write_dict(repo, data, "config.json")
    write_dict(repo, data, "config.txt")
    assert _json(repo, "config.json") == data
    assert _json(repo, "config.txt") == data
    assert repo.read_bytes("config.json").startswith(b'{\n  "lr"')


@pytest.mark.parametrize("artifact_file", ["config.yaml", "conf/config.yml", "UPPER.YAML"])
def test_a_dict_goes_to_yaml_for_yaml_extensions(repo: ArtifactRepo, artifact_file: str) -> None:
    data = {"b": 1, "a": {"nested": [1, 2]}, "t": (3, 4)}
    write_dict(repo, data, artifact_file)
    text = repo.read_bytes(artifact_file).decode("utf-8")
    assert yaml.safe_load(text) == {"b": 1, "a": {"nested": [1, 2]}, "t": [3, 4]}
    assert text.startswith("b: 1\n")  # the caller's key order is kept


def test_numpy_values_in_a_dict_become_plain_numbers(repo: ArtifactRepo) -> None:
    write_dict(repo, {"x": np.float32(0.5), "v": np.arange(3)}, "np.yaml")
    assert yaml.safe_load(repo.read_bytes("np.yaml")) == {"x": 0.5, "v": [0, 1, 2]}


def test_a_dict_that_cannot_be_serialised_is_refused(repo: ArtifactRepo) -> None:
    with pytest.raises(InvalidParameterValue, match=r"'bad\.json'"):
        write_dict(repo, {"f": object()}, "bad.json")
    assert repo.list_artifacts() == []


# -- figures ------------------------------------------------------------------------------------


def _figure() -> Figure:
    figure = Figure(figsize=(4, 3), dpi=50)
    FigureCanvasAgg(figure)
    figure.subplots().plot([0, 1, 2], [2, 0, 1])
    return figure


def test_a_matplotlib_figure_is_saved_as_png(repo: ArtifactRepo) -> None:
    write_figure(repo, _figure(), "plots/curve.png")
    with Image.open(io.BytesIO(repo.read_bytes("plots/curve.png"))) as image:
        assert image.format == "PNG"
        assert image.size == (200, 150)


def test_the_figure_format_follows_the_extension_and_save_kwargs(repo: ArtifactRepo) -> None:
    write_figure(repo, _figure(), "curve.svg")
    write_figure(repo, _figure(), "curve.png", save_kwargs={"dpi": 100})
    assert b"<svg" in repo.read_bytes("curve.svg")
    with Image.open(io.BytesIO(repo.read_bytes("curve.png"))) as image:
        assert image.size == (400, 300)


def test_an_unknown_figure_format_is_refused(repo: ArtifactRepo) -> None:
    with pytest.raises(InvalidParameterValue, match=r"'curve\.nope'"):
        write_figure(repo, _figure(), "curve.nope")


class FakePlotlyFigure:
    """What write_figure needs of a plotly figure (plotly is not a dependency)."""

    def write_html(self, file: io.StringIO, **kwargs: Any) -> None:
        file.write(f"<html>{sorted(kwargs)}</html>")

    def write_image(self, file: io.BytesIO, **kwargs: Any) -> None:
        file.write(b"IMG " + str(kwargs["format"]).encode())


def test_a_plotly_figure_is_saved_as_html(repo: ArtifactRepo) -> None:
    write_figure(repo, FakePlotlyFigure(), "fig.html", save_kwargs={"full_html": False})
    assert repo.read_bytes("fig.html") == b"<html>['full_html']</html>"


def test_a_plotly_image_without_kaleido_names_the_package(
    repo: ArtifactRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "kaleido", None)
    with pytest.raises(NotImplementedFeature, match="pip install kaleido"):
        write_figure(repo, FakePlotlyFigure(), "fig.png")


def test_something_that_is_not_a_figure_is_refused(repo: ArtifactRepo) -> None:
    with pytest.raises(InvalidParameterValue, match="matplotlib or a plotly figure"):
        write_figure(repo, [1, 2, 3], "fig.png")


# -- images -------------------------------------------------------------------------------------


def _read_image(repo: ArtifactRepo, path: str) -> tuple[str, np.ndarray[Any, Any]]:
    with Image.open(io.BytesIO(repo.read_bytes(path))) as image:
        return image.mode, np.asarray(image)


def test_a_uint8_rgb_array_round_trips_through_png(repo: ArtifactRepo) -> None:
    pixels = np.random.default_rng(7).integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    write_image(repo, pixels, "images/rgb.png")
    mode, back = _read_image(repo, "images/rgb.png")
    assert mode == "RGB"
    np.testing.assert_array_equal(back, pixels)


def test_float_images_in_0_1_are_scaled_to_bytes(repo: ArtifactRepo) -> None:
    write_image(repo, np.array([[0.0, 0.5], [1.0, 0.25]]), "gray.png")
    mode, back = _read_image(repo, "gray.png")
    assert mode == "L"
    np.testing.assert_array_equal(back, [[0, 128], [255, 64]])


def test_rgba_and_single_channel_arrays_are_accepted(repo: ArtifactRepo) -> None:
    write_image(repo, np.full((2, 3, 4), 200, dtype=np.uint8), "rgba.png")
    write_image(repo, np.zeros((2, 3, 1), dtype=np.int64), "one.png")
    assert _read_image(repo, "rgba.png")[0] == "RGBA"
    assert _read_image(repo, "one.png")[1].shape == (2, 3)


def test_a_pil_image_is_saved_in_the_format_of_the_extension(repo: ArtifactRepo) -> None:
    write_image(repo, Image.new("RGB", (4, 2), (10, 20, 30)), "photo.jpg")
    with Image.open(io.BytesIO(repo.read_bytes("photo.jpg"))) as image:
        assert (image.format, image.size) == ("JPEG", (4, 2))


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((2, 2, 2)), "HxW"),
        (np.zeros(5), "HxW"),
        (np.zeros((0, 3)), "empty"),
        (np.array([[0.0, 1.5]]), r"\[0, 1\]"),
        (np.array([[0.0, np.nan]]), r"\[0, 1\]"),
        (np.array([[-1, 3]]), r"\[0, 255\]"),
        (np.array([[300]]), r"\[0, 255\]"),
        (np.array([["a"]]), "dtype"),
    ],
)
def test_arrays_that_are_not_images_are_refused(
    repo: ArtifactRepo, image: Any, message: str
) -> None:
    with pytest.raises(InvalidParameterValue, match=message):
        write_image(repo, image, "bad.png")


def test_an_image_needs_an_image_extension(repo: ArtifactRepo) -> None:
    with pytest.raises(InvalidParameterValue, match="image extension"):
        write_image(repo, np.zeros((2, 2), dtype=np.uint8), "image.txt")


def test_images_without_pillow_name_the_package(
    repo: ArtifactRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(NotImplementedFeature, match="pip install pillow"):
        write_image(repo, np.zeros((2, 2), dtype=np.uint8), "image.png")


# -- tables -------------------------------------------------------------------------------------


def test_a_dict_of_columns_is_written_in_mlflows_table_format(repo: ArtifactRepo) -> None:
    write_table(repo, {"question": ["a?", "b?"], "score": np.array([0.5, np.nan])}, "t.json")
    assert _json(repo, "t.json") == {
        "columns": ["question", "score"],
        "data": [["a?", 0.5], ["b?", None]],
    }


def test_a_table_written_twice_has_both_batches_of_rows(repo: ArtifactRepo) -> None:
    write_table(repo, {"x": [1, 2], "y": ["a", "b"]}, "eval/table.json")
    write_table(repo, pd.DataFrame({"y": ["c"], "z": [True]}), "eval/table.json")
    assert _json(repo, "eval/table.json") == {
        "columns": ["x", "y", "z"],
        "data": [[1, "a", None], [2, "b", None], [None, "c", True]],
    }
    back = pd.read_json(io.StringIO(repo.read_bytes("eval/table.json").decode()), orient="split")
    assert list(back.columns) == ["x", "y", "z"]
    assert back["y"].tolist() == ["a", "b", "c"]


def test_a_dataframe_is_written_without_its_index(repo: ArtifactRepo) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, None]}, index=[10, 20])
    write_table(repo, frame, "df.json")
    assert _json(repo, "df.json") == {"columns": ["a", "b"], "data": [[1, 0.5], [2, None]]}


@pytest.mark.parametrize(
    ("data", "artifact_file", "message"),
    [
        ({"a": [1]}, "table.csv", r"\.json file"),
        ({"a": [1, 2], "b": [1]}, "t.json", "same length"),
        ({"a": "text"}, "t.json", "list of values"),
        ({"a": 3}, "t.json", "list of values"),
        ([[1, 2]], "t.json", "dict of columns"),
    ],
)
def test_tables_that_are_not_columns_are_refused(
    repo: ArtifactRepo, data: Any, artifact_file: str, message: str
) -> None:
    with pytest.raises(InvalidParameterValue, match=message):
        write_table(repo, data, artifact_file)


@pytest.mark.parametrize(
    "existing", [b"not json", b"[1, 2]", b'{"columns": ["a"], "data": [[1, 2]]}']
)
def test_appending_to_a_file_that_is_not_a_table_is_refused(
    repo: ArtifactRepo, existing: bytes
) -> None:
    repo.write_bytes("t.json", existing)
    with pytest.raises(InvalidParameterValue, match="not a table"):
        write_table(repo, {"a": [1]}, "t.json")
    assert repo.read_bytes("t.json") == existing
