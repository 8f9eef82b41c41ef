"""Artifacts of a run on the local filesystem, through the fluent API and the client."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

import runstone
from runstone.client.client import RunstoneClient

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_files_and_objects_are_stored_listed_and_downloaded(tracking: str, tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (tmp_path / "notes.txt").write_text("hello")
    folder = tmp_path / "outputs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.csv").write_text("x,y\n1,2\n")
    (folder / "sub" / "b.txt").write_text("b")
    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    with runstone.start_run() as run:
        runstone.log_artifact(tmp_path / "notes.txt")
        runstone.log_artifacts(folder, artifact_path="outputs")
        runstone.log_text("some text", "texts/t.txt")
        runstone.log_dict({"a": 1, "b": [1, 2]}, "config.json")
        runstone.log_dict({"a": 1}, "config.yaml")
        runstone.log_figure(figure, "plots/curve.png")
        runstone.log_image(np.zeros((4, 5, 3), dtype=np.uint8), "images/black.png")
        runstone.log_table({"x": [1, 2], "y": ["a", "b"]}, "table.json")
        uri = runstone.get_artifact_uri()
    plt.close(figure)
    run_id = run.info.run_id
    assert uri.endswith(f"/{run_id}/artifacts")
    with RunstoneClient(tracking) as client:
        top = {f.path: f for f in client.list_artifacts(run_id)}
        assert set(top) == {
            "notes.txt",
            "outputs",
            "texts",
            "config.json",
            "config.yaml",
            "plots",
            "images",
            "table.json",
        }
        assert top["outputs"].is_dir
        assert top["notes.txt"].file_size == 5
        nested = [f.path for f in client.list_artifacts(run_id, "outputs")]
        assert nested == ["outputs/a.csv", "outputs/sub"]
        local = Path(client.download_artifacts(run_id, "outputs", str(tmp_path / "dl")))
        assert (local / "sub" / "b.txt").read_text() == "b"
        config = Path(client.download_artifacts(run_id, "config.json", str(tmp_path / "c")))
        assert json.loads(config.read_text()) == {"a": 1, "b": [1, 2]}
        as_yaml = Path(client.download_artifacts(run_id, "config.yaml", str(tmp_path / "y")))
        assert yaml.safe_load(as_yaml.read_text()) == {"a": 1}
        png = Path(client.download_artifacts(run_id, "plots/curve.png", str(tmp_path / "p")))
        assert png.read_bytes().startswith(b"\x89PNG")
        table = Path(client.download_artifacts(run_id, "table.json", str(tmp_path / "t")))
        assert json.loads(table.read_text())["columns"] == ["x", "y"]


def test_artifact_paths_cannot_escape_the_run(tracking: str, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    with runstone.start_run():
        with pytest.raises(runstone.RunstoneError):
            runstone.log_artifact(tmp_path / "f.txt", artifact_path="../../elsewhere")
        with pytest.raises(runstone.RunstoneError):
            runstone.log_text("x", "/etc/owned.txt")
