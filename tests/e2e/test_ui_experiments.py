"""The runs of several experiments together: checked in the sidebar (mouse or keyboard), held
in MLflow's compare-experiments URL, with an experiment column; filter, sort, columns and run
selection work across them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from runstone import RunstoneClient
from runstone.entities import Metric, Param
from tests.e2e.browser import TIMEOUT
from tests.e2e.conftest import STATIC_INDEX, T0, _unavailable, open_page, screenshot
from tests.server.processes import start_server, stop

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

# name -> number of runs; each run logs lr (param) and acc (metric).
EXPERIMENTS = {"alpha": 3, "beta": 2, "gamma": 1}


@dataclass(frozen=True)
class Store:
    url: str
    ids: dict[str, str]  # experiment name -> id


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    if not STATIC_INDEX.is_file():
        _unavailable("the web UI is not built: run `make ui`")
    root = tmp_path_factory.mktemp("experiments") / "store"
    client = RunstoneClient(tracking_uri=str(root))
    ids = {}
    for e, (name, count) in enumerate(EXPERIMENTS.items()):
        ids[name] = client.create_experiment(name)
        for i in range(count):
            start = T0 + (e * 10 + i) * 1000
            rid = client.create_run(ids[name], start_time=start, run_name=f"{name}-{i}").info.run_id
            client.log_batch(
                rid,
                metrics=[Metric("acc", e + i / 10, start, 0)],
                params=[Param("lr", str(i))],
                synchronous=True,
            )
    proc, url = start_server(["--backend-store-uri", str(root)], cwd=root.parent)
    try:
        yield Store(url, ids)
    finally:
        stop(proc)


@pytest.fixture
def epage(browser: Browser, store: Store, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from open_page(browser, store.url, request.node.name)


def sidebar(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Experiments")


def check(page: Page, name: str) -> Locator:
    return sidebar(page).get_by_role("checkbox", name=f"Select experiment {name}", exact=True)


def count_is(page: Page, text: str) -> None:
    page.wait_for_function(
        "t => document.querySelector('[data-testid=run-count]')?.textContent === t",
        arg=text,
        timeout=TIMEOUT,
    )


def open_ids(url: str) -> list[str]:
    """The experiment ids of a compare-experiments URL."""
    fragment = urlsplit(url).fragment
    assert fragment.startswith("/compare-experiments/s?"), fragment
    ids = json.loads(parse_qs(fragment.split("?", 1)[1])["experiments"][0])
    assert isinstance(ids, list)
    return ids


def run_names(page: Page) -> list[str]:
    return page.locator(".grid-row .name-cell a").all_inner_texts()


def test_checking_two_experiments_shows_their_runs_with_an_experiment_column(
    epage: Page, store: Store
) -> None:
    epage.goto("/")
    check(epage, "alpha").click()
    epage.get_by_role("heading", name="alpha").wait_for(timeout=TIMEOUT)
    assert epage.url.endswith(f"#/experiments/{store.ids['alpha']}")
    count_is(epage, "3 runs")
    assert epage.get_by_role("columnheader", name="Experiment").count() == 0

    check(epage, "beta").click()
    epage.get_by_role("heading", name="2 experiments").wait_for(timeout=TIMEOUT)
    count_is(epage, "5 runs")
    assert open_ids(epage.url) == [store.ids["alpha"], store.ids["beta"]]
    assert check(epage, "alpha").is_checked()
    assert check(epage, "beta").is_checked()
    assert not check(epage, "gamma").is_checked()
    headers = [h.strip(" ▲▼") for h in epage.get_by_role("columnheader").all_inner_texts()]
    assert headers[:2] == ["Run name", "Experiment"]
    beta_row = epage.locator(".grid-row", has=epage.get_by_role("link", name="beta-1", exact=True))
    assert beta_row.get_by_role("gridcell").nth(1).inner_text() == "beta"
    screenshot(epage, "experiments_two_open")

    # The URL is the view: a reload (or a shared link) shows the same runs.
    epage.reload()
    count_is(epage, "5 runs")
    assert sorted(run_names(epage)) == ["alpha-0", "alpha-1", "alpha-2", "beta-0", "beta-1"]

    # Unchecking one goes back to the other's own page; unchecking it too, home.
    check(epage, "alpha").click()
    epage.get_by_role("heading", name="beta").wait_for(timeout=TIMEOUT)
    assert epage.url.endswith(f"#/experiments/{store.ids['beta']}")
    check(epage, "beta").click()
    epage.wait_for_url("**/#/experiments", timeout=TIMEOUT)


def test_mlflow_compare_experiments_link_with_filter_sort_and_run_selection(
    epage: Page, store: Store
) -> None:
    a, g = store.ids["alpha"], store.ids["gamma"]
    # As MLflow writes it: raw brackets and quotes.
    epage.goto(f'/#/compare-experiments/s?experiments=["{a}","{g}"]')
    count_is(epage, "4 runs")
    box = epage.get_by_role("textbox", name="Filter runs")
    box.fill("params.lr = '0'")
    box.press("Enter")
    count_is(epage, "2 runs")
    assert sorted(run_names(epage)) == ["alpha-0", "gamma-0"]
    assert open_ids(epage.url) == [a, g]
    assert "filter=params.lr" in epage.url

    epage.get_by_role("button", name="acc").click()  # descending
    epage.wait_for_function(
        "() => document.querySelector('.grid-row .name-cell a')?.textContent === 'gamma-0'",
        timeout=TIMEOUT,
    )
    assert run_names(epage) == ["gamma-0", "alpha-0"]
    assert "sort=-metrics.acc" in epage.url

    epage.get_by_role("checkbox", name="Select all loaded runs").check()
    compare = epage.get_by_role("button", name="Compare (2)")
    assert compare.is_enabled()
    screenshot(epage, "experiments_filtered_sorted_selected")
    compare.click()
    epage.wait_for_url("**/#/compare-runs?**", timeout=TIMEOUT)
    experiments = json.loads(
        parse_qs(urlsplit(epage.url).fragment.split("?", 1)[1])["experiments"][0]
    )
    assert experiments == [a, g]


def test_keyboard_moves_between_checkboxes_space_checks_and_shift_click_checks_a_range(
    epage: Page, store: Store
) -> None:
    epage.goto(f"/#/experiments/{store.ids['alpha']}")
    count_is(epage, "3 runs")
    check(epage, "alpha").focus()
    # Reach beta's checkbox with the arrow keys, whatever the list's order.
    order = (
        sidebar(epage)
        .locator("input.experiment-check")
        .evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    )
    at_alpha = order.index("Select experiment alpha")
    at_beta = order.index("Select experiment beta")
    key = "ArrowDown" if at_beta > at_alpha else "ArrowUp"
    for _ in range(abs(at_beta - at_alpha)):
        epage.keyboard.press(key)
    assert epage.evaluate("document.activeElement.getAttribute('aria-label')") == (
        "Select experiment beta"
    )
    epage.keyboard.press("Space")
    epage.get_by_role("heading", name="2 experiments").wait_for(timeout=TIMEOUT)
    count_is(epage, "5 runs")
    assert sorted(open_ids(epage.url)) == sorted([store.ids["alpha"], store.ids["beta"]])

    # Shift-click from the last one clicked (beta) to gamma adds those in between as well.
    at_gamma = order.index("Select experiment gamma")
    lo, hi = sorted([at_beta, at_gamma])
    between = {label.removeprefix("Select experiment ") for label in order[lo : hi + 1]}
    expected = between | {"alpha"}
    check(epage, "gamma").click(modifiers=["Shift"])
    epage.get_by_role("heading", name=f"{len(expected)} experiments").wait_for(timeout=TIMEOUT)
    count_is(epage, f"{sum(EXPERIMENTS.get(n, 0) for n in expected)} runs")
    assert {"alpha", "beta", "gamma"} <= expected
    names = {v: k for k, v in store.ids.items()}
    assert {names.get(i, "Default") for i in open_ids(epage.url)} == expected
    assert sidebar(epage).get_by_text(f"{len(expected)} experiments open").is_visible()
    screenshot(epage, "experiments_three_open_by_keyboard_and_shift")
    sidebar(epage).get_by_role("button", name="Clear").click()
    epage.wait_for_url("**/#/experiments", timeout=TIMEOUT)
