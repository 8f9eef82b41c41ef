"""Comparing runs: select two in the table, compare them in parallel coordinates, a scatter
plot and the diff table, grouped by a param."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import quote

from tests.e2e.browser import TIMEOUT
from tests.e2e.conftest import Seeded, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_select_two_runs_and_compare_them(page: Page, seeded: Seeded) -> None:
    page.goto(f"/#/experiments/{seeded.experiment_id}?sort=attributes.run_name")
    page.get_by_role("grid", name="Runs").wait_for(timeout=TIMEOUT)
    page.get_by_role("checkbox", name="Select run-01").click()
    page.get_by_role("checkbox", name="Select run-03").click()
    page.get_by_role("button", name="Compare (2)").click()
    figure = page.get_by_test_id("parallel-coordinates")
    figure.wait_for(timeout=TIMEOUT)
    assert "#/compare-runs?runs=" in page.url
    ids = {seeded.run_ids["run-01"], seeded.run_ids["run-03"]}
    lines = figure.locator("polyline.pc-line")
    assert lines.count() == 2
    assert {lines.nth(i).get_attribute("data-run-id") for i in range(2)} == ids
    titles = figure.locator(".pc-title").all_text_contents()
    assert {"lr", "depth", "loss", "x"} <= set(titles)
    assert page.get_by_test_id("scatter-plot").locator("circle").count() == 2
    screenshot(page, "compare_parallel_coordinates")

    # The diff table has a row per param (lr, depth) and metric (x, loss).
    table = page.get_by_test_id("diff-table")
    assert table.locator("tbody tr[data-key]").count() == 4


def test_only_differences_hides_equal_rows(page: Page, seeded: Seeded) -> None:
    # run-00 and run-35: same lr (i % 5 == 0) and same depth (i % 7 == 0), different metrics.
    ids = [seeded.run_ids["run-00"], seeded.run_ids["run-35"]]
    runs = quote(json.dumps(ids))
    exps = quote(json.dumps([seeded.experiment_id]))
    page.goto(f"/#/compare-runs?runs={runs}&experiments={exps}")
    table = page.get_by_test_id("diff-table")
    table.wait_for(timeout=TIMEOUT)
    rows = table.locator("tbody tr[data-key]")
    assert rows.count() == 4
    page.get_by_role("checkbox", name="Only differences").check()
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=diff-table] tr[data-key]').length === 2",
        timeout=TIMEOUT,
    )
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.key)")) == [
        "metrics.loss",
        "metrics.x",
    ]
    assert "diff=1" in page.url
    page.get_by_label("Group by").select_option("params.lr")
    summary = page.get_by_test_id("group-summary")
    summary.wait_for(timeout=TIMEOUT)
    assert summary.locator("tbody tr").count() == 1
    assert "group=params.lr" in page.url
    # The overlaid charts now draw the group as a mean line in a min-max band, with a legend.
    legend = page.get_by_test_id("band-legend")
    legend.wait_for(timeout=TIMEOUT)
    assert "lr=" in legend.inner_text()
    chart = page.locator(".chart-box[data-state=drawn]").first
    chart.wait_for(timeout=TIMEOUT)
    chart.scroll_into_view_if_needed()
    screenshot(page, "compare_group_bands")
    page.get_by_role("radio", name="Individual runs").check()
    legend.wait_for(state="detached", timeout=TIMEOUT)
    page.reload()
    page.get_by_test_id("group-summary").wait_for(timeout=TIMEOUT)
    assert page.get_by_role("checkbox", name="Only differences").is_checked()
    screenshot(page, "compare_diff_only_grouped")
