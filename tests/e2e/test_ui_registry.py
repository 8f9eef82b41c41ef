"""The registry pages: models list and search, a model's versions, a version's alias, stage,
tags and signature."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from runstone import RunstoneClient
from tests.e2e.browser import TIMEOUT
from tests.e2e.conftest import STATIC_INDEX, T0, _unavailable, open_page, screenshot
from tests.server.processes import start_server, stop

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

MODEL = "churn-classifier"
MLMODEL = """artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
  sklearn:
    sklearn_version: 1.5.0
signature:
  inputs: '[{"type": "double", "name": "tenure", "required": true}, {"type": "string",
    "name": "plan", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
"""


@dataclass(frozen=True)
class Registry:
    url: str
    run_id: str
    client: RunstoneClient


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    if not STATIC_INDEX.is_file():
        _unavailable("the web UI is not built: run `make ui`")
    store = tmp_path_factory.mktemp("registry") / "store"
    client = RunstoneClient(tracking_uri=str(store))
    exp = client.create_experiment("registry-e2e")
    run_id = client.create_run(exp, start_time=T0, run_name="trainer").info.run_id
    client.log_text(run_id, MLMODEL, "model/MLmodel")
    client.create_registered_model(MODEL, description="Predicts churn.")
    client.create_registered_model("other-model")
    for _ in range(2):
        client.create_model_version(MODEL, f"runs:/{run_id}/model", run_id=run_id)
    proc, url = start_server(["--backend-store-uri", str(store)], cwd=store.parent)
    try:
        yield Registry(url, run_id, client)
    finally:
        stop(proc)


@pytest.fixture
def rpage(browser: Browser, registry: Registry, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from open_page(browser, registry.url, request.node.name)


def test_models_list_searches_by_name(rpage: Page) -> None:
    rpage.goto("/#/models")
    rpage.get_by_role("link", name=MODEL).wait_for(timeout=TIMEOUT)
    assert rpage.get_by_role("link", name="other-model").is_visible()
    rpage.get_by_role("searchbox", name="Search models").fill("churn")
    rpage.get_by_role("link", name="other-model").wait_for(state="detached", timeout=TIMEOUT)
    rpage.get_by_role("link", name=MODEL).click()
    rpage.get_by_role("heading", name=MODEL).wait_for(timeout=TIMEOUT)
    assert rpage.get_by_text("Predicts churn.").is_visible()
    versions = rpage.get_by_role("table", name="Versions")
    versions.wait_for(timeout=TIMEOUT)
    assert versions.get_by_role("link").all_inner_texts() == ["Version 2", "Version 1"]


def test_set_an_alias_and_see_it_on_the_version_page(rpage: Page, registry: Registry) -> None:
    rpage.goto(f"/#/models/{MODEL}/versions/1")
    rpage.get_by_role("heading", name=f"{MODEL} version 1").wait_for(timeout=TIMEOUT)
    rpage.get_by_role("textbox", name="New alias").fill("champion")
    rpage.get_by_role("button", name="Add alias").click()
    aliases = rpage.get_by_test_id("version-aliases")
    aliases.get_by_text("@champion").wait_for(timeout=TIMEOUT)
    assert registry.client.get_model_version_by_alias(MODEL, "champion").version == "1"
    # The signature comes from the version's MLmodel.
    signature = rpage.get_by_test_id("signature")
    signature.get_by_text("tenure").wait_for(timeout=TIMEOUT)
    assert "sklearn" in signature.inner_text()
    # The source run links to its run page.
    assert rpage.get_by_test_id("source-run").inner_text() == "trainer"
    screenshot(rpage, "registry_version_alias_signature")
    rpage.get_by_role("link", name=MODEL).click()
    rpage.get_by_role("table", name="Versions").get_by_text("@champion").wait_for(timeout=TIMEOUT)


def test_transition_a_version_stage(rpage: Page, registry: Registry) -> None:
    rpage.goto(f"/#/models/{MODEL}/versions/2")
    stage = rpage.get_by_role("combobox", name="Stage")
    stage.wait_for(timeout=TIMEOUT)
    stage.select_option("Staging")
    rpage.wait_for_function(
        "() => document.querySelector('select[aria-label=Stage]')?.value === 'Staging'",
        timeout=TIMEOUT,
    )
    rpage.wait_for_function(
        "() => !document.querySelector('select[aria-label=Stage]')?.disabled", timeout=TIMEOUT
    )
    assert registry.client.get_model_version(MODEL, "2").current_stage == "Staging"
    rpage.get_by_role("textbox", name="Tag key").fill("validated")
    rpage.get_by_role("textbox", name="Tag value").fill("yes")
    rpage.get_by_role("button", name="Set tag").click()
    rpage.get_by_role("row", name="validated yes").wait_for(timeout=TIMEOUT)
    screenshot(rpage, "registry_version_stage")
