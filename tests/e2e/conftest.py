"""End-to-end tests of the web UI in real Chromium (Debian's package), driven by Playwright.

A real ``runstone server`` process serves the built UI over a store seeded through the Python
API. Playwright's own browser download does not work here: Chromium is launched from
``/usr/bin/chromium``. Without Chromium, Playwright or a built UI the tests skip, saying why,
except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runstone import RunstoneClient
from runstone.entities import Metric, Param, RunStatus
from tests.e2e.browser import CHROMIUM, MISSING, launch_chromium
from tests.server.processes import start_server, stop

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

STATIC_INDEX = (
    Path(__file__).resolve().parents[2] / "src" / "runstone" / "server" / "static" / "index.html"
)
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
RUN_COUNT = 50
T0 = 1_790_000_000_000  # a fixed start time, so durations and order are the same every run


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


@dataclass(frozen=True)
class Seeded:
    store: Path
    experiment_id: str
    experiment_name: str
    run_ids: dict[str, str]  # run name -> run id


def seed(store: Path) -> Seeded:
    """An experiment of RUN_COUNT runs: params lr/depth, metrics x = i/50 and loss (3 steps)."""
    client = RunstoneClient(tracking_uri=str(store))
    exp_id = client.create_experiment("e2e-demo")
    client.create_experiment("second experiment")
    run_ids = {}
    for i in range(RUN_COUNT):
        name = f"run-{i:02d}"
        start = T0 + i * 60_000
        run = client.create_run(exp_id, start_time=start, run_name=name, user_id="alice")
        rid = run.info.run_id
        metrics = [Metric("x", i / RUN_COUNT, start + 1000, 0)]
        metrics += [Metric("loss", 2.0 / (i + 1) / (s + 1), start + s, s) for s in range(3)]
        params = [Param("lr", f"{0.001 * (i % 5 + 1):.3f}"), Param("depth", str(i % 7))]
        client.log_batch(rid, metrics=metrics, params=params, synchronous=True)
        client.set_terminated(rid, RunStatus.FINISHED, end_time=start + 5_000 + i * 1000)
        run_ids[name] = rid
    return Seeded(store, exp_id, "e2e-demo", run_ids)


@pytest.fixture(scope="session")
def playwright_module() -> Any:
    try:
        import playwright.sync_api  # optional: only the e2e tests need it
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    return playwright.sync_api


@pytest.fixture(scope="session")
def browser(playwright_module: Any) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _unavailable(MISSING)
    with playwright_module.sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seed(tmp_path_factory.mktemp("e2e") / "store")


@pytest.fixture(scope="session")
def server_url(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not STATIC_INDEX.is_file():
        _unavailable("the web UI is not built: run `make ui`")
    proc, url = start_server(
        ["--backend-store-uri", str(seeded.store)], cwd=tmp_path_factory.mktemp("server")
    )
    try:
        yield url
    finally:
        stop(proc)


@pytest.fixture
def empty_server_url(tmp_path: Path) -> Iterator[str]:
    """A server over a new, empty store (only the Default experiment)."""
    if not STATIC_INDEX.is_file():
        _unavailable("the web UI is not built: run `make ui`")
    proc, url = start_server(["--backend-store-uri", str(tmp_path / "store")], cwd=tmp_path)
    try:
        yield url
    finally:
        stop(proc)


@pytest.fixture
def page(browser: Browser, server_url: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context on the seeded server (see `open_page`)."""
    yield from open_page(browser, server_url, request.node.name)


@pytest.fixture
def empty_page(
    browser: Browser, empty_server_url: str, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh browser context on a server over an empty store."""
    yield from open_page(browser, empty_server_url, request.node.name)


def open_page(browser: Browser, base_url: str, name: str) -> Iterator[Page]:
    """A fresh browser context; console errors (CSP violations…) fail the test; a screenshot
    of the final state is saved, named after the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=base_url)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield tab
        screenshot(tab, name)
    finally:
        context.close()
    # The server's 4xx answers to bad input are expected; anything else is a bug.
    unexpected = [e for e in errors if not re.search(r"status of 4\d\d", e)]
    assert not unexpected, unexpected


def screenshot(tab: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    tab.screenshot(path=str(path), full_page=False)
    return path
