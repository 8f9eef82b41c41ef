"""The web UI against `runstone server --auth`: the sign-in form (no browser password dialog),
a session cookie with CSRF-protected writes, and signing out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from runstone.store.sql.auth import AuthStore
from runstone.uri import LOCAL_DB_FILE
from tests.e2e.browser import TIMEOUT
from tests.e2e.conftest import STATIC_INDEX, _unavailable, open_page, screenshot
from tests.server.processes import start_server, stop

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PASSWORD = "a long ui password"


@pytest.fixture
def secured_page(
    browser: Browser, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    if not STATIC_INDEX.is_file():
        _unavailable("the web UI is not built: run `make ui`")
    store = tmp_path / "store"
    store.mkdir()
    auth = AuthStore.open(f"sqlite:///{store / LOCAL_DB_FILE}")
    try:
        auth.create_user("carol", PASSWORD)
    finally:
        auth.close()
    proc, url = start_server(["--auth", "--backend-store-uri", str(store)], cwd=tmp_path)
    try:
        yield from open_page(browser, url, request.node.name)
    finally:
        stop(proc)


def test_sign_in_create_an_experiment_and_sign_out(secured_page: Page) -> None:
    page = secured_page
    page.goto("/")
    form = page.get_by_role("region", name="Sign in")
    form.wait_for(timeout=TIMEOUT)
    form.get_by_label("Username").fill("carol")
    form.get_by_label("Password").fill("wrong password!")
    form.get_by_role("button", name="Sign in").click()
    form.get_by_role("alert").wait_for(timeout=TIMEOUT)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    sidebar = page.get_by_role("navigation", name="Experiments")
    sidebar.get_by_role("link", name="Default").wait_for(timeout=TIMEOUT)
    # A write through the session: the UI sends the CSRF token, the server accepts it.
    sidebar.get_by_role("button", name="New").click()
    sidebar.get_by_role("textbox", name="Experiment name").fill("from the browser")
    sidebar.get_by_role("button", name="Create").click()
    page.get_by_role("heading", name="from the browser").wait_for(timeout=TIMEOUT)
    screenshot(page, "signed_in_with_new_experiment")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("region", name="Sign in").wait_for(timeout=TIMEOUT)
