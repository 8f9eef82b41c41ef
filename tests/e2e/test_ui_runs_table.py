"""The runs table's extras: nested runs, multi-select, delete/restore, rename, filter-key
autocomplete, min/max columns, wide runs (horizontal virtualisation) and server paging (every
row of a long experiment reachable by scrolling)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from runstone import RunstoneClient
from runstone.entities import Metric, Param, RunStatus
from tests.e2e.browser import TIMEOUT
from tests.e2e.conftest import STATIC_INDEX, T0, _unavailable, open_page, screenshot
from tests.server.processes import start_server, stop

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

CHILDREN = 3
WIDE_PARAMS = 1500
# Five server pages (200, then 1000s); the table prefetches up to 2,200 without scrolling.
MANY_RUNS = 4000
PREFETCHED = 2200


@dataclass(frozen=True)
class Table:
    url: str
    experiment_id: str
    wide_experiment_id: str
    many_experiment_id: str
    client: RunstoneClient


def _seed(store: Path) -> tuple[str, str, str]:
    client = RunstoneClient(tracking_uri=str(store))
    exp = client.create_experiment("table-extras")
    parent = client.create_run(exp, start_time=T0, run_name="parent").info.run_id
    client.log_batch(parent, metrics=[Metric("loss", 1.0, T0, 0)], synchronous=True)
    for i in range(CHILDREN):
        child = client.create_run(exp, start_time=T0 + 1000 * (i + 1), run_name=f"child-{i}")
        cid = child.info.run_id
        client.set_tag(cid, "mlflow.parentRunId", parent)
        losses = [Metric("loss", 0.5 + s / 10 + i, T0 + s, s) for s in range(4)]
        client.log_batch(cid, metrics=losses, params=[Param("lr", str(i))], synchronous=True)
        client.set_tag(cid, "team", f"t{i % 2}")
        client.set_terminated(cid, RunStatus.FINISHED, end_time=T0 + 9000)
    for i in range(4):
        rid = client.create_run(exp, start_time=T0 + 10_000 + i, run_name=f"solo-{i}").info.run_id
        client.log_batch(rid, metrics=[Metric("loss", i, T0, 0)], synchronous=True)
    wide = client.create_experiment("wide")
    rid = client.create_run(wide, start_time=T0, run_name="wide-run").info.run_id
    params = [Param(f"p{i:04d}", str(i)) for i in range(WIDE_PARAMS)]
    for start in range(0, WIDE_PARAMS, 100):
        client.log_batch(rid, params=params[start : start + 100], synchronous=True)
    many = client.create_experiment("many")
    for i in range(MANY_RUNS):
        client.create_run(many, start_time=T0 + i * 1000, run_name=f"many-{i:04d}")
    return exp, wide, many


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Table]:
    if not STATIC_INDEX.is_file():
        _unavailable("the web UI is not built: run `make ui`")
    store = tmp_path_factory.mktemp("table") / "store"
    exp, wide, many = _seed(store)
    proc, url = start_server(["--backend-store-uri", str(store)], cwd=store.parent)
    try:
        yield Table(url, exp, wide, many, RunstoneClient(tracking_uri=str(store)))
    finally:
        stop(proc)


@pytest.fixture
def tpage(browser: Browser, table: Table, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from open_page(browser, table.url, request.node.name)


def open_table(page: Page, experiment_id: str, query: str = "") -> None:
    page.goto(f"/#/experiments/{experiment_id}{query}")
    page.get_by_role("grid", name="Runs").wait_for(timeout=TIMEOUT)


def row(page: Page, name: str):
    return page.locator(".grid-row", has=page.get_by_role("link", name=name, exact=True))


def test_nested_runs_expand_and_collapse(tpage: Page, table: Table) -> None:
    open_table(tpage, table.experiment_id)
    toggle = tpage.get_by_role("button", name="Expand parent (3 child runs)")
    toggle.wait_for(timeout=TIMEOUT)
    assert row(tpage, "child-0").count() == 0
    toggle.click()
    row(tpage, "child-2").wait_for(timeout=TIMEOUT)
    screenshot(tpage, "runs_table_nested_expanded")
    # Children follow their parent, indented.
    names = tpage.locator(".grid-row .name-cell a").all_inner_texts()
    at = names.index("parent")
    assert set(names[at + 1 : at + 1 + CHILDREN]) == {"child-0", "child-1", "child-2"}
    tpage.get_by_role("button", name="Collapse parent (3 child runs)").click()
    row(tpage, "child-0").wait_for(state="detached", timeout=TIMEOUT)


def test_select_delete_and_restore(tpage: Page, table: Table) -> None:
    open_table(tpage, table.experiment_id)
    tpage.get_by_role("checkbox", name="Select solo-0").click()
    tpage.get_by_role("checkbox", name="Select solo-2").click(modifiers=["Shift"])
    assert tpage.get_by_role("button", name="Delete (3)").is_enabled()
    assert tpage.get_by_role("button", name="Compare (3)").is_enabled()
    tpage.get_by_role("button", name="Delete (3)").click()
    row(tpage, "solo-1").wait_for(state="detached", timeout=TIMEOUT)
    tpage.get_by_role("checkbox", name="Deleted runs").check()
    row(tpage, "solo-1").wait_for(timeout=TIMEOUT)
    assert "deleted=1" in tpage.url
    assert tpage.locator(".grid-row").count() == 3
    tpage.get_by_role("checkbox", name="Select all loaded runs").check()
    screenshot(tpage, "runs_table_deleted_view")
    tpage.get_by_role("button", name="Restore (3)").click()
    tpage.get_by_text("No deleted runs.").wait_for(timeout=TIMEOUT)
    tpage.get_by_role("checkbox", name="Deleted runs").uncheck()
    row(tpage, "solo-1").wait_for(timeout=TIMEOUT)


def test_rename_a_run_inline(tpage: Page, table: Table) -> None:
    open_table(tpage, table.experiment_id)
    target = row(tpage, "solo-3")
    target.hover()
    target.get_by_role("button", name="Rename solo-3").click()
    box = tpage.get_by_role("textbox", name="New name for solo-3")
    box.fill("renamed-run")
    box.press("Enter")
    row(tpage, "renamed-run").wait_for(timeout=TIMEOUT)
    renamed = table.client.search_runs([table.experiment_id], "attributes.run_name = 'renamed-run'")
    assert len(renamed) == 1


def test_filter_key_autocomplete(tpage: Page, table: Table) -> None:
    open_table(tpage, table.experiment_id)
    box = tpage.get_by_role("textbox", name="Filter runs")
    box.click()
    box.press_sequentially("metrics.lo")
    options = tpage.get_by_role("listbox", name="Keys").get_by_role("option")
    options.first.wait_for(timeout=TIMEOUT)
    # The list follows the typing: let it settle on the last keystroke's suggestions.
    deadline = time.monotonic() + TIMEOUT / 1000
    while options.all_inner_texts() != ["metrics.loss"] and time.monotonic() < deadline:
        tpage.wait_for_timeout(50)
    assert options.all_inner_texts() == ["metrics.loss"]
    screenshot(tpage, "runs_table_autocomplete")
    box.press("Tab")
    assert box.input_value() == "metrics.loss"
    box.press_sequentially(" < 1.5")
    box.press("Enter")
    tpage.wait_for_function(
        "() => document.querySelector('[data-testid=run-count]')?.textContent === '4 runs'",
        timeout=TIMEOUT,
    )


def test_min_max_columns_and_tag_columns(tpage: Page, table: Table) -> None:
    query = "?c=metrics.loss&c=tags.team&mm=1&filter=attributes.run_name%20%3D%20%27child-1%27"
    open_table(tpage, table.experiment_id, query)
    min_header = tpage.get_by_role("columnheader", name="loss (min)")
    min_header.wait_for(timeout=TIMEOUT)
    cells = row(tpage, "child-1").get_by_role("gridcell")
    # loss of child-1: 1.5, 1.6, 1.7, 1.8 → last 1.8, min 1.5, max 1.8; team t1.
    tpage.wait_for_function(
        "() => [...document.querySelectorAll('.grid-row [role=gridcell]')]"
        ".some(c => c.textContent === '1.5')",
        timeout=TIMEOUT,
    )
    texts = cells.all_inner_texts()
    assert texts[-4:] == ["1.8", "1.5", "1.8", "t1"]


def test_a_thousand_and_a_half_param_columns_stay_virtual(tpage: Page, table: Table) -> None:
    open_table(
        tpage,
        table.wide_experiment_id,
        "?c=" + "&c=".join(f"params.p{i:04d}" for i in range(0, WIDE_PARAMS, 1)),
    )
    grid = tpage.get_by_role("grid", name="Runs")
    assert grid.get_attribute("aria-colcount") == str(WIDE_PARAMS + 6)
    rendered = tpage.locator(".grid-header [role=columnheader]").count()
    assert rendered < 60, rendered
    grid.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    tpage.get_by_role("columnheader", name=f"p{WIDE_PARAMS - 1:04d}").wait_for(timeout=TIMEOUT)
    screenshot(tpage, "runs_table_wide_scrolled")


def count_is(page: Page, text: str) -> None:
    page.wait_for_function(
        "t => document.querySelector('[data-testid=run-count]')?.textContent === t",
        arg=text,
        timeout=TIMEOUT,
    )


def test_scrolling_loads_further_server_pages_until_the_last_run(tpage: Page, table: Table) -> None:
    held: list[Route] = []
    holding = [False]

    def hold_later_pages(route: Route) -> None:
        if holding[0] and json.loads(route.request.post_data or "{}").get("page_token"):
            held.append(route)
        else:
            route.continue_()

    tpage.route("**/runs/search", hold_later_pages)
    open_table(tpage, table.many_experiment_id)
    grid = tpage.get_by_role("grid", name="Runs")
    # Newest first; the next pages are fetched ahead of the scrolling, then it waits.
    row(tpage, f"many-{MANY_RUNS - 1:04d}").wait_for(timeout=TIMEOUT)
    count_is(tpage, f"{PREFETCHED}+ runs")
    assert grid.get_attribute("aria-rowcount") == "-1"
    assert tpage.locator(".placeholder-row").count() == 0

    # Scrolled past the loaded rows while the next page is slow: placeholder rows, not blanks.
    holding[0] = True
    grid.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    tpage.locator(".placeholder-row").first.wait_for(timeout=TIMEOUT)
    count_is(tpage, f"{PREFETCHED}+ runs (loading more…)")
    screenshot(tpage, "runs_table_placeholder_rows")
    holding[0] = False
    while held:
        held.pop().continue_()

    for _ in range(100):
        if tpage.get_by_test_id("run-count").inner_text() == f"{MANY_RUNS} runs":
            break
        grid.evaluate("el => { el.scrollTop = el.scrollHeight; }")
        tpage.wait_for_timeout(100)
    count_is(tpage, f"{MANY_RUNS} runs")
    grid.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    row(tpage, "many-0000").wait_for(timeout=TIMEOUT)
    assert grid.get_attribute("aria-rowcount") == str(MANY_RUNS + 1)
    assert tpage.locator(".placeholder-row").count() == 0
    # Every run came once, in order: the rows on screen are the oldest ones.
    names = tpage.locator(".grid-row .name-cell a").all_inner_texts()
    assert names[-1] == "many-0000"
    assert names == sorted(names, reverse=True)
    assert len(set(names)) == len(names)


def test_end_key_reaches_the_last_loaded_run_and_loads_more(tpage: Page, table: Table) -> None:
    open_table(tpage, table.many_experiment_id)
    count_is(tpage, f"{PREFETCHED}+ runs")
    grid = tpage.get_by_role("grid", name="Runs")
    grid.focus()
    for _ in range(5):
        grid.press("End")
        if tpage.get_by_test_id("run-count").inner_text() == f"{MANY_RUNS} runs":
            break
        tpage.wait_for_timeout(300)
    count_is(tpage, f"{MANY_RUNS} runs")
    grid.press("End")
    active = tpage.locator(".grid-row[aria-selected=true] .name-cell a")
    active.wait_for(timeout=TIMEOUT)
    assert active.inner_text() == "many-0000"
