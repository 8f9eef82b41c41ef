"""What a person does first in the web UI: find an experiment, filter and sort runs, open one."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx

from tests.e2e.browser import TIMEOUT
from tests.e2e.conftest import RUN_COUNT, Seeded, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page


def open_experiment(page: Page, seeded: Seeded, query: str = "") -> None:
    page.goto(f"/#/experiments/{seeded.experiment_id}{query}")
    page.get_by_role("grid", name="Runs").wait_for(timeout=TIMEOUT)


def run_count(page: Page) -> str:
    return page.get_by_test_id("run-count").inner_text()


def first_run_name(page: Page) -> str:
    return page.locator(".grid-row").first.locator("[role=gridcell]").first.inner_text()


def test_home_lists_experiments_and_opens_one(page: Page, seeded: Seeded) -> None:
    page.goto("/")
    sidebar = page.get_by_role("navigation", name="Experiments")
    link = sidebar.get_by_role("link", name=seeded.experiment_name)
    link.wait_for(timeout=TIMEOUT)
    assert sidebar.get_by_role("link", name="second experiment").is_visible()
    search = sidebar.get_by_role("searchbox", name="Search experiments")
    search.fill("second")
    link.wait_for(state="detached", timeout=TIMEOUT)
    assert sidebar.get_by_role("link", name="second experiment").is_visible()
    search.fill("")
    link.click()
    page.get_by_role("heading", name=seeded.experiment_name).wait_for(timeout=TIMEOUT)
    assert page.url.endswith(f"#/experiments/{seeded.experiment_id}")
    page.wait_for_function(
        "n => document.querySelector('[data-testid=run-count]')?.textContent === `${n} runs`",
        arg=RUN_COUNT,
        timeout=TIMEOUT,
    )
    assert page.locator(".grid-row").count() > 10
    headers = page.get_by_role("columnheader").all_inner_texts()
    assert [h.strip(" ▲▼") for h in headers[:5]] == [
        "Run name",
        "Status",
        "Started",
        "Duration",
        "User",
    ]
    assert {"lr", "depth", "x", "loss"} <= {h.strip(" ▲▼") for h in headers}


def test_filter_runs_by_metric_changes_the_count(page: Page, seeded: Seeded) -> None:
    open_experiment(page, seeded)
    assert run_count(page) == f"{RUN_COUNT} runs"
    box = page.get_by_role("textbox", name="Filter runs")
    box.fill("metrics.x > 0.5")
    box.press("Enter")
    # x = i / 50 for i in 0..49: 26..49 are above 0.5.
    page.wait_for_function(
        "() => document.querySelector('[data-testid=run-count]')?.textContent === '24 runs'",
        timeout=TIMEOUT,
    )
    assert "filter=metrics.x" in page.url
    page.reload()
    page.get_by_role("grid", name="Runs").wait_for(timeout=TIMEOUT)
    assert page.get_by_role("textbox", name="Filter runs").input_value() == "metrics.x > 0.5"
    assert run_count(page) == "24 runs"


def test_sort_by_a_metric_column_header(page: Page, seeded: Seeded) -> None:
    open_experiment(page, seeded, "?filter=metrics.x%20%3E%200.5")
    header = page.get_by_role("columnheader", name=re.compile(r"^x"))
    header.get_by_role("button").click()
    page.wait_for_function(
        "() => document.querySelector('.grid-row [role=gridcell]')?.textContent === 'run-49'",
        timeout=TIMEOUT,
    )
    assert header.get_attribute("aria-sort") == "descending"
    assert "sort=-metrics.x" in page.url
    header.get_by_role("button").click()
    page.wait_for_function(
        "() => document.querySelector('.grid-row [role=gridcell]')?.textContent === 'run-26'",
        timeout=TIMEOUT,
    )
    assert header.get_attribute("aria-sort") == "ascending"
    assert run_count(page) == "24 runs"


def test_bad_filter_shows_the_servers_message_inline(
    page: Page, seeded: Seeded, server_url: str
) -> None:
    bad = "metrics.x >>> 1"
    answer = httpx.post(
        f"{server_url}/api/2.0/mlflow/runs/search",
        json={"experiment_ids": [seeded.experiment_id], "filter": bad},
    )
    assert answer.status_code == 400
    message = answer.json()["message"]
    open_experiment(page, seeded)
    box = page.get_by_role("textbox", name="Filter runs")
    box.fill(bad)
    box.press("Enter")
    alert = page.locator("#filter-error")
    alert.wait_for(timeout=TIMEOUT)
    assert alert.inner_text() == message
    assert box.get_attribute("aria-invalid") == "true"
    # A caret marks the position the message names ("at position 11").
    caret = page.get_by_test_id("filter-caret").inner_text()
    assert caret.splitlines() == [bad, " " * 11 + "^"]
    screenshot(page, "bad_filter_message")
    # Fixing the filter clears the message.
    box.fill("metrics.x < 0.1")
    box.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=run-count]')?.textContent === '5 runs'",
        timeout=TIMEOUT,
    )
    assert page.locator("#filter-error").count() == 0


def test_open_a_run_from_its_link(page: Page, seeded: Seeded) -> None:
    open_experiment(page, seeded, "?filter=attributes.run_name%20%3D%20%27run-07%27")
    page.get_by_role("link", name="run-07").click()
    page.get_by_role("heading", name="run-07").wait_for(timeout=TIMEOUT)
    run_id = seeded.run_ids["run-07"]
    assert page.url.endswith(f"#/experiments/{seeded.experiment_id}/runs/{run_id}")
    params = page.get_by_role("region", name="Parameters")
    assert params.get_by_role("row", name="lr 0.003").is_visible()
    assert page.get_by_text("FINISHED").first.is_visible()


def test_keyboard_moves_the_selection_and_enter_opens_the_run(page: Page, seeded: Seeded) -> None:
    open_experiment(page, seeded, "?sort=attributes.run_name")
    grid = page.get_by_role("grid", name="Runs")
    grid.focus()
    grid.press("ArrowDown")
    grid.press("ArrowDown")
    grid.press("ArrowDown")
    grid.press("ArrowUp")
    assert page.locator(".grid-row.selected [role=gridcell]").first.inner_text() == "run-01"
    grid.press("Enter")
    page.get_by_role("heading", name="run-01").wait_for(timeout=TIMEOUT)


def test_column_chooser_hides_a_column_and_the_url_keeps_it(page: Page, seeded: Seeded) -> None:
    open_experiment(page, seeded)
    page.get_by_role("button", name="Columns").click()
    chooser = page.get_by_role("dialog", name="Choose columns")
    chooser.get_by_role("checkbox", name="depth").uncheck()
    chooser.get_by_role("button", name="Done").click()
    assert page.get_by_role("columnheader", name="depth").count() == 0
    assert "c=params.lr" in page.url
    page.reload()
    page.get_by_role("grid", name="Runs").wait_for(timeout=TIMEOUT)
    assert page.get_by_role("columnheader", name="depth").count() == 0
    assert page.get_by_role("columnheader", name="lr").count() == 1


def test_create_rename_delete_and_restore_an_experiment(page: Page, seeded: Seeded) -> None:
    page.goto("/")
    sidebar = page.get_by_role("navigation", name="Experiments")
    sidebar.get_by_role("button", name="New").click()
    sidebar.get_by_role("textbox", name="Experiment name").fill("made in the browser")
    sidebar.get_by_role("button", name="Create").click()
    page.get_by_role("heading", name="made in the browser").wait_for(timeout=TIMEOUT)
    page.get_by_text("No runs in this experiment yet").wait_for(timeout=TIMEOUT)
    assert page.get_by_role("button", name="Copy Log a run").is_visible()

    sidebar.get_by_role("button", name="Rename made in the browser").click()
    sidebar.get_by_role("textbox", name="New name").fill("renamed in the browser")
    sidebar.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="renamed in the browser").wait_for(timeout=TIMEOUT)

    sidebar.get_by_role("button", name="Delete renamed in the browser").click()
    sidebar.get_by_role("link", name="renamed in the browser").wait_for(
        state="detached", timeout=TIMEOUT
    )
    sidebar.get_by_role("checkbox", name="Show deleted").check()
    deleted = sidebar.get_by_role("listitem").filter(has_text="renamed in the browser")
    deleted.hover()
    deleted.get_by_role("button", name="Restore").click()
    sidebar.get_by_role("link", name="renamed in the browser").wait_for(
        state="detached", timeout=TIMEOUT
    )
    sidebar.get_by_role("checkbox", name="Show deleted").uncheck()
    sidebar.get_by_role("link", name="renamed in the browser").wait_for(timeout=TIMEOUT)


def test_theme_toggle_is_remembered(page: Page, seeded: Seeded) -> None:
    open_experiment(page, seeded)
    html = page.locator("html")
    page.get_by_role("button", name="Switch to dark theme").click()
    assert html.get_attribute("data-theme") == "dark"
    page.reload()
    page.get_by_role("grid", name="Runs").wait_for(timeout=TIMEOUT)
    assert html.get_attribute("data-theme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 23, 28)"
