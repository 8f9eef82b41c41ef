"""A new, empty store: the UI shows a copyable quickstart instead of a blank page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.e2e.browser import TIMEOUT

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_empty_store_shows_the_quickstart(empty_page: Page) -> None:
    empty_page.goto("/")
    empty_page.get_by_role("heading", name="Welcome to Runstone").wait_for(timeout=TIMEOUT)
    quickstart = empty_page.get_by_role("region", name="Quickstart")
    assert "runstone server" in quickstart.inner_text()
    assert "runstone.start_run" in quickstart.inner_text()
    assert quickstart.get_by_role("button", name="Copy Log a run").is_visible()
    sidebar = empty_page.get_by_role("navigation", name="Experiments")
    assert sidebar.get_by_role("link", name="Default").is_visible()


def test_models_page_without_models(empty_page: Page) -> None:
    empty_page.goto("/")
    empty_page.get_by_role("navigation", name="Main").get_by_role("link", name="Models").click()
    empty_page.get_by_role("heading", name="Registered models").wait_for(timeout=TIMEOUT)
    empty_page.get_by_text("No registered models.").wait_for(timeout=TIMEOUT)
    assert empty_page.url.endswith("#/models")
