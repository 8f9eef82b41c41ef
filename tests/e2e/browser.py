"""The Chromium the browser tests and ``bench/ui_bench.py`` drive: Debian's package (Playwright's
own browser download does not work here), started the same way by both."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM = Path(os.environ.get("RUNSTONE_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT = 10_000  # ms: how long a test waits for something to appear on the page
MISSING = f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium"


def launch_chromium(pw: Playwright) -> Browser:
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
