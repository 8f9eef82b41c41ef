"""The UI's TypeScript API types (ui/src/api/schema.ts) match the server's OpenAPI document.

They are regenerated here with the UI's own openapi-typescript (ui/node_modules) and compared.
Without Node.js or the UI's node_modules the test skips, saying why, except under CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from runstone.server.openapi_dump import render

UI = Path(__file__).resolve().parents[2] / "ui"
SCHEMA = UI / "src" / "api" / "schema.ts"
GENERATOR = UI / "node_modules" / ".bin" / "openapi-typescript"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


def test_generated_api_types_are_fresh(tmp_path: Path) -> None:
    if shutil.which("node") is None or shutil.which("npx") is None:
        _unavailable("Node.js is not installed")
    if not GENERATOR.exists():
        _unavailable("ui/node_modules is missing: run `make ui` (npm ci)")
    document = tmp_path / "openapi.json"
    document.write_text(render(), encoding="utf-8")
    generated = tmp_path / "schema.ts"
    subprocess.run(
        ["npx", "--no-install", "openapi-typescript", str(document), "-o", str(generated)],
        cwd=UI,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert generated.read_text(encoding="utf-8") == SCHEMA.read_text(encoding="utf-8"), (
        "ui/src/api/schema.ts is stale: run `npm run gen:api` in ui/"
    )
