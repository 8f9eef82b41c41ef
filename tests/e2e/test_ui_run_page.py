"""The run page in Chromium: overview, description, tags and the artifact browser.

A server of its own serves one richly seeded run (params, 1,000-step metrics, tags, a note,
a parent and a child, a dataset input, a logged model and artifacts of every preview kind).
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from runstone import RunstoneClient
from runstone.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunStatus, RunTag
from tests.e2e.browser import TIMEOUT
from tests.e2e.conftest import STATIC_INDEX, T0, _unavailable, open_page, screenshot
from tests.server.processes import start_server, stop

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

STEPS = 1000
NASTY_NAME = "<img src=x onerror=alert(1)>.txt"
NOTE = "# Findings\n\nThe **best** run so far. <script>alert(1)</script>\n\n- lr 0.01\n- depth 6"
MLMODEL = """artifact_path: model
flavors:
  python_function:
    loader_module: runstone.sklearn
    python_version: 3.12.1
  sklearn:
    sklearn_version: 1.5.0
signature:
  inputs: '[{"type": "double", "name": "sepal_length", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
  params: '[{"name": "alpha", "type": "double", "default": 0.5, "shape": null}]'
"""


@dataclass(frozen=True)
class RichRun:
    url: str
    experiment_id: str
    run_id: str
    parent_id: str
    child_id: str
    model_id: str


def png(width: int = 8, height: int = 8) -> bytes:
    """A small valid PNG (a red square), without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def write_artifacts(folder: Path) -> None:
    (folder / "notes.txt").write_text("epoch 1 done\n<b>not bold</b>\n")
    (folder / "config.json").write_text(json.dumps({"lr": 0.01, "layers": [64, 32]}))
    rows = "\n".join(f"{i},{i * 0.5},city-{i}" for i in range(200))
    (folder / "table.csv").write_text("id,score,name\n" + rows + "\n")
    (folder / "plot.png").write_bytes(png())
    (folder / NASTY_NAME).write_text("a file with a nasty name\n")
    (folder / "model").mkdir()
    (folder / "model" / "MLmodel").write_text(MLMODEL)
    (folder / "model" / "model.pkl").write_bytes(b"\x80\x04not really a pickle")


def seed_rich_run(store: Path, files: Path) -> dict[str, str]:
    client = RunstoneClient(tracking_uri=str(store))
    exp_id = client.create_experiment("run-page")
    parent = client.create_run(exp_id, start_time=T0, run_name="sweep").info.run_id
    run = client.create_run(exp_id, start_time=T0 + 1000, run_name="trained", user_id="alice")
    rid = run.info.run_id
    metrics = [Metric("loss", 1.0 / (s + 1), T0 + 1000 + s * 100, s) for s in range(STEPS)]
    metrics += [Metric("acc", s / STEPS, T0 + 1000 + s * 100, s) for s in range(STEPS)]
    params = [Param("lr", "0.01"), Param("depth", "6")]
    params += [Param(f"opt_{i:02d}", str(i)) for i in range(10)]
    tags = [
        RunTag("team", "vision"),
        RunTag("mlflow.parentRunId", parent),
        RunTag("mlflow.note.content", NOTE),
        RunTag("mlflow.source.name", "train.py"),
        RunTag("mlflow.source.type", "LOCAL"),
        RunTag("mlflow.source.git.commit", "0123456789abcdef0123456789abcdef01234567"),
    ]
    for i in range(0, len(metrics), 1000):
        client.log_batch(rid, metrics=metrics[i : i + 1000], synchronous=True)
    client.log_batch(rid, params=params, tags=tags, synchronous=True)
    dataset = Dataset("iris", "d1g3st", "local", "/data/iris.csv")
    client.log_inputs(rid, [DatasetInput(dataset, (InputTag("mlflow.data.context", "train"),))])
    model = client.create_logged_model(exp_id, name="iris-model", source_run_id=rid)
    write_artifacts(files)
    client.log_artifacts(rid, str(files))
    client.set_terminated(rid, RunStatus.FINISHED, end_time=T0 + 95_000)
    child = client.create_run(exp_id, start_time=T0 + 2000, run_name="fold-1")
    client.set_tag(child.info.run_id, "mlflow.parentRunId", rid, synchronous=True)
    return {
        "experiment_id": exp_id,
        "run_id": rid,
        "parent_id": parent,
        "child_id": child.info.run_id,
        "model_id": model.model_id,
    }


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RichRun]:
    if not STATIC_INDEX.is_file():
        _unavailable("the web UI is not built: run `make ui`")
    root = tmp_path_factory.mktemp("run-page")
    (root / "files").mkdir()
    ids = seed_rich_run(root / "store", root / "files")
    proc, url = start_server(["--backend-store-uri", str(root / "store")], cwd=root)
    try:
        yield RichRun(url=url, **ids)
    finally:
        stop(proc)


@pytest.fixture
def page(browser: Browser, rich: RichRun, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from open_page(browser, rich.url, request.node.name)


def open_run(page: Page, rich: RichRun, query: str = "") -> None:
    page.goto(f"/#/experiments/{rich.experiment_id}/runs/{rich.run_id}{query}")
    page.get_by_role("heading", name="trained").wait_for(timeout=TIMEOUT)


def fact(page: Page, label: str) -> str:
    return page.locator(f"dl.overview dt:text-is('{label}') + dd").inner_text()


def test_overview_shows_the_runs_facts(page: Page, rich: RichRun) -> None:
    open_run(page, rich)
    assert fact(page, "Status") == "FINISHED"
    assert fact(page, "Duration") == "1m 34s"
    assert fact(page, "User") == "alice"
    assert fact(page, "Source") == "train.pyLOCAL"
    assert fact(page, "Git commit") == "0123456789abcdef0123456789abcdef01234567"
    page.locator("dl.overview").get_by_role("link", name="fold-1").wait_for(timeout=TIMEOUT)
    parent = page.locator("dl.overview").get_by_role("link", name=rich.parent_id)
    expected = f"#/experiments/{rich.experiment_id}/runs/{rich.parent_id}"
    assert parent.get_attribute("href") == expected
    # The note renders as Markdown, and its <script> as text.
    description = page.get_by_role("region", name="Description")
    assert description.get_by_role("heading", name="Findings").is_visible()
    assert description.locator("strong").inner_text() == "best"
    assert "<script>alert(1)</script>" in description.inner_text()
    assert page.locator(".markdown script").count() == 0
    # Params filter; metrics with last/min/max and sparklines.
    params = page.get_by_role("region", name="Parameters")
    params.get_by_role("searchbox", name="Filter parameters").fill("opt_0")
    assert params.get_by_role("row").count() == 10
    metrics = page.get_by_role("region", name="Metrics")
    loss = metrics.get_by_role("row", name="loss")
    loss.wait_for(timeout=TIMEOUT)
    cells = loss.get_by_role("cell").all_inner_texts()
    assert cells[:5] == ["0.001", "0.001", "1", "999", "1000"]
    page.wait_for_function(
        "() => document.querySelectorAll('svg.sparkline polyline').length === 2", timeout=TIMEOUT
    )
    datasets = page.get_by_role("region", name="Datasets")
    assert datasets.get_by_role("row", name="iris").is_visible()
    models = page.get_by_role("region", name="Logged models")
    models.get_by_text(f"models:/{rich.model_id}").wait_for(timeout=TIMEOUT)
    assert page.get_by_role("region", name="Tags").get_by_text("System tags (5)").is_visible()
    metrics.scroll_into_view_if_needed()


def test_edit_the_description(page: Page, rich: RichRun) -> None:
    open_run(page, rich)
    description = page.get_by_role("region", name="Description")
    description.get_by_role("button", name="Edit description").click()
    box = description.get_by_role("textbox", name="Description (Markdown)")
    box.fill("Edited *in the browser* <img src=x onerror=alert(1)>")
    assert description.locator(".description-preview em").inner_text() == "in the browser"
    description.get_by_role("button", name="Save").click()
    box.wait_for(state="detached", timeout=TIMEOUT)
    assert description.locator(".markdown em").inner_text() == "in the browser"
    assert "<img src=x onerror=alert(1)>" in description.inner_text()
    assert description.locator("img").count() == 0
    page.reload()
    page.get_by_role("heading", name="trained").wait_for(timeout=TIMEOUT)
    assert "Edited in the browser" in page.get_by_role("region", name="Description").inner_text()


def test_add_edit_and_delete_a_tag(page: Page, rich: RichRun) -> None:
    open_run(page, rich)
    tags = page.get_by_role("region", name="Tags")
    tags.get_by_role("textbox", name="New tag key").fill("stage")
    tags.get_by_role("textbox", name="New tag value").fill("candidate")
    tags.get_by_role("button", name="Add tag").click()
    row = tags.get_by_role("row", name="stage")
    row.wait_for(timeout=TIMEOUT)
    assert "candidate" in row.inner_text()
    tags.get_by_role("button", name="Edit tag stage").click()
    tags.get_by_role("textbox", name="Value of stage").fill("production")
    tags.get_by_role("button", name="Save").click()
    tags.get_by_text("production").wait_for(timeout=TIMEOUT)
    screenshot(page, "run_page_tag_added")
    tags.get_by_role("button", name="Delete tag stage").click()
    row.wait_for(state="detached", timeout=TIMEOUT)
    assert tags.get_by_role("row", name="team").is_visible()


def open_artifact(page: Page, name: str) -> None:
    page.get_by_role("tree", name="Artifact files").get_by_role("button", name=name).click()


def test_browse_and_preview_every_kind_of_artifact(page: Page, rich: RichRun) -> None:
    open_run(page, rich, "?tab=artifacts")
    tree = page.get_by_role("tree", name="Artifact files")
    tree.wait_for(timeout=TIMEOUT)
    preview = page.get_by_role("region", name="Artifact preview")

    open_artifact(page, "notes.txt")
    text = preview.locator("pre.artifact-text")
    text.wait_for(timeout=TIMEOUT)
    assert text.inner_text() == "epoch 1 done\n<b>not bold</b>\n"
    assert preview.locator("pre b").count() == 0

    open_artifact(page, "config.json")
    preview.locator("pre[data-kind=json]").wait_for(timeout=TIMEOUT)
    assert '"layers": [\n    64,' in preview.locator("pre[data-kind=json]").inner_text()

    open_artifact(page, "table.csv")
    table = preview.get_by_role("table", name="Table preview")
    table.wait_for(timeout=TIMEOUT)
    assert preview.get_by_text("200 rows \N{MULTIPLICATION SIGN} 3 columns").is_visible()
    assert table.get_by_role("columnheader").all_inner_texts() == ["#", "id", "score", "name"]
    assert table.get_by_role("row").nth(1).get_by_role("cell").all_inner_texts() == [
        "0",
        "0.0",
        "city-0",
    ]
    screenshot(page, "artifact_csv_preview")

    open_artifact(page, "plot.png")
    image = preview.get_by_role("img", name="plot.png")
    image.wait_for(timeout=TIMEOUT)
    page.wait_for_function(
        "() => document.querySelector('.artifact-image')?.naturalWidth === 8", timeout=TIMEOUT
    )
    assert "get-artifact?run_uuid=" in (image.get_attribute("src") or "")

    open_artifact(page, NASTY_NAME)
    preview.get_by_text("a file with a nasty name").wait_for(timeout=TIMEOUT)
    assert preview.get_by_role("heading", name=NASTY_NAME).is_visible()
    assert page.locator("img[onerror]").count() == 0

    tree.get_by_role("button", name="model").click()
    open_artifact(page, "MLmodel")
    flavors = preview.get_by_role("region", name="Flavors")
    flavors.wait_for(timeout=TIMEOUT)
    assert flavors.get_by_text("sklearn", exact=True).is_visible()
    inputs = preview.get_by_role("region", name="Signature Inputs")
    assert inputs.get_by_role("row", name="sepal_length double required").is_visible()
    outputs = preview.get_by_role("region", name="Signature Outputs")
    assert "tensor (float64)" in outputs.inner_text()
    assert "default 0.5" in preview.get_by_role("region", name="Signature Params").inner_text()
    assert "artifact=model%2FMLmodel" in page.url
    screenshot(page, "artifact_mlmodel_preview")

    open_artifact(page, "model.pkl")
    download = preview.get_by_role("link", name="Download model.pkl")
    download.wait_for(timeout=TIMEOUT)
    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename == "model.pkl"


def test_artifact_link_survives_a_reload(page: Page, rich: RichRun) -> None:
    open_run(page, rich, "?tab=artifacts&artifact=config.json")
    page.locator("pre[data-kind=json]").wait_for(timeout=TIMEOUT)
    assert page.get_by_role("tab", name="Artifacts").get_attribute("aria-selected") == "true"


def test_register_a_logged_model_from_the_run_page(page: Page, rich: RichRun) -> None:
    open_run(page, rich)
    models = page.get_by_role("region", name="Logged models")
    models.get_by_role("button", name="Register model").click()
    dialog = page.get_by_role("dialog", name="Register model")
    dialog.get_by_role("combobox", name="Model name").fill("iris classifier")
    dialog.get_by_role("button", name="Register").click()
    dialog.get_by_role("link", name="iris classifier version 1").wait_for(timeout=TIMEOUT)
    screenshot(page, "run_page_model_registered")
    with RunstoneClient(rich.url) as client:
        version = client.get_model_version("iris classifier", 1)
    assert (version.source, version.model_id) == (f"models:/{rich.model_id}", rich.model_id)
    assert version.run_id == rich.run_id
