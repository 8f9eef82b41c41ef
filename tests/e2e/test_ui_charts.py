"""Metric charts in Chromium: panels per metric, x-axis modes, smoothing, log scale, zooming
into finer server-side detail, and a 1,000,000-point metric that must chart quickly."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from runstone import RunstoneClient
from runstone.entities import Metric, RunStatus
from tests.e2e.browser import TIMEOUT
from tests.e2e.conftest import STATIC_INDEX, T0, _unavailable, open_page, screenshot
from tests.server.processes import start_server, stop

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

STEPS = 1000
BIG = 1_000_000
CHUNK = 1000  # the store's log_batch limit


@dataclass(frozen=True)
class ChartRuns:
    url: str
    experiment_id: str
    run_id: str
    big_run_id: str


def seed(store: Path) -> tuple[str, str, str]:
    client = RunstoneClient(tracking_uri=str(store))
    exp_id = client.create_experiment("charts")
    rid = client.create_run(exp_id, start_time=T0, run_name="small").info.run_id
    metrics = [Metric("loss", 1.0 / (s + 1), T0 + s * 1000, s) for s in range(STEPS)]
    metrics += [Metric("acc", s / STEPS, T0 + s * 1000, s) for s in range(STEPS)]
    # One spike that downsampling must keep.
    metrics += [Metric("spiky", 100.0 if s == 777 else 1.0, T0 + s * 1000, s) for s in range(STEPS)]
    for i in range(0, len(metrics), CHUNK):
        client.log_batch(rid, metrics=metrics[i : i + CHUNK], synchronous=True)
    client.set_terminated(rid, RunStatus.FINISHED, end_time=T0 + STEPS * 1000)
    big = client.create_run(exp_id, start_time=T0, run_name="big").info.run_id
    started = time.perf_counter()
    for base in range(0, BIG, CHUNK):
        batch = [
            Metric("big", ((base + i) % 977) / 977.0, T0 + base + i, base + i) for i in range(CHUNK)
        ]
        client.log_batch(big, metrics=batch, synchronous=True)
    print(f"seeded {BIG:,} points in {time.perf_counter() - started:.1f}s")
    return exp_id, rid, big


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChartRuns]:
    if not STATIC_INDEX.is_file():
        _unavailable("the web UI is not built: run `make ui`")
    root = tmp_path_factory.mktemp("charts")
    exp_id, rid, big = seed(root / "store")
    proc, url = start_server(["--backend-store-uri", str(root / "store")], cwd=root)
    try:
        yield ChartRuns(url, exp_id, rid, big)
    finally:
        stop(proc)


@pytest.fixture
def page(browser: Browser, runs: ChartRuns, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from open_page(browser, runs.url, request.node.name)


def drawn(page: Page, metric: str) -> None:
    page.locator(f"[data-metric='{metric}'] .chart-box[data-state=drawn] canvas").wait_for(
        timeout=TIMEOUT
    )


def test_charts_tab_shows_a_panel_per_metric_and_switches_the_x_axis(
    page: Page, runs: ChartRuns
) -> None:
    page.goto(f"/#/experiments/{runs.experiment_id}/runs/{runs.run_id}")
    page.get_by_role("tab", name="Charts").click()
    for metric in ("acc", "loss", "spiky"):
        drawn(page, metric)
    assert page.locator(".chart-panel").count() == 3
    assert "tab=charts" in page.url
    loss = page.locator("[data-metric=loss] .chart-box")
    assert loss.get_attribute("data-points") == str(STEPS)
    assert page.locator("[data-metric=spiky] .u-legend").inner_text().startswith("step")

    page.get_by_role("combobox", name="X-axis").select_option("wall")
    page.wait_for_function("() => location.hash.includes('x=wall')", timeout=TIMEOUT)
    drawn(page, "loss")
    page.get_by_role("combobox", name="X-axis").select_option("relative")
    page.wait_for_function("() => location.hash.includes('x=relative')", timeout=TIMEOUT)
    page.get_by_label("Log scale").check()
    page.wait_for_function("() => location.hash.includes('log=1')", timeout=TIMEOUT)
    page.get_by_role("slider", name="Smoothing").fill("0.8")
    page.wait_for_function("() => location.hash.includes('smooth=0.8')", timeout=TIMEOUT)
    drawn(page, "loss")
    # Smoothing draws the raw series faintly under the smoothed one.
    legend = page.locator("[data-metric=loss] .u-legend").inner_text()
    assert "small (raw)" in legend
    # The URL keeps the view.
    page.reload()
    drawn(page, "loss")
    assert page.get_by_role("combobox", name="X-axis").input_value() == "relative"
    assert page.get_by_label("Log scale").is_checked()
    page.get_by_role("button", name="Switch to dark theme").click()
    drawn(page, "loss")
    screenshot(page, "charts_dark_theme")


def test_choose_metrics_and_zoom_fetches_finer_points(page: Page, runs: ChartRuns) -> None:
    page.goto(f"/#/experiments/{runs.experiment_id}/runs/{runs.run_id}?tab=charts")
    drawn(page, "loss")
    page.get_by_role("button", name="Metrics (3/3)").click()
    chooser = page.get_by_role("dialog", name="Choose metrics")
    chooser.get_by_role("checkbox", name="acc").uncheck()
    chooser.get_by_role("button", name="Done").click()
    assert page.locator(".chart-panel").count() == 2
    assert "m=loss" in page.url
    assert "m=spiky" in page.url

    # Drag across the middle of the loss chart: the zoomed range is fetched from the server.
    plot = page.locator("[data-metric=loss] .u-over")
    box = plot.bounding_box()
    assert box is not None
    with page.expect_request(lambda r: "start_step=" in r.url and "metric_key=loss" in r.url):
        page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
    reset = page.get_by_role("button", name="Reset zoom")
    reset.wait_for(timeout=TIMEOUT)
    page.wait_for_function(
        "() => Number(document.querySelector('[data-metric=loss] .chart-box')?.dataset.points)"
        " < 1000",
        timeout=TIMEOUT,
    )
    screenshot(page, "charts_zoomed")
    reset.click()
    page.wait_for_function(
        "() => document.querySelector('[data-metric=loss] .chart-box')?.dataset.points === '1000'",
        timeout=TIMEOUT,
    )


def test_a_million_point_metric_charts_quickly(page: Page, runs: ChartRuns) -> None:
    page.goto(f"/#/experiments/{runs.experiment_id}/runs/{runs.big_run_id}")
    page.get_by_role("heading", name="big").wait_for(timeout=TIMEOUT)
    started = time.perf_counter()
    page.get_by_role("tab", name="Charts").click()
    drawn(page, "big")
    elapsed = time.perf_counter() - started
    points = int(page.locator("[data-metric=big] .chart-box").get_attribute("data-points") or 0)
    print(f"1,000,000-point metric charted in {elapsed * 1000:.0f} ms ({points} points drawn)")
    assert 0 < points <= 2000
    assert elapsed < 3.0
