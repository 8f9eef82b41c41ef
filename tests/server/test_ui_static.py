"""The built web UI as the server serves it: index at `/`, hashed assets, security headers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runstone.server.routes import ui
from runstone.testing import serve

INDEX = (
    '<!doctype html><html><head><script type="module" src="/static-files/assets/index-abc123.js">'
    "</script></head><body><div id=root></div></body></html>"
)


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    return tmp_path / "static"


@pytest.fixture
def ui_url(tmp_path: Path, static_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(ui, "STATIC_DIR", static_dir)
    with serve(tmp_path / "store", artifacts_destination=str(tmp_path / "artifacts")) as url:
        yield url


def build(static_dir: Path) -> None:
    (static_dir / "assets").mkdir(parents=True)
    (static_dir / "index.html").write_text(INDEX)
    (static_dir / "assets" / "index-abc123.js").write_text("console.log('ui');\n")


def assert_security_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_index_is_served_at_root_and_revalidated(ui_url: str, static_dir: Path) -> None:
    build(static_dir)
    response = httpx.get(f"{ui_url}/")
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert_security_headers(response)
    assert httpx.head(f"{ui_url}/").status_code == 200


def test_hashed_assets_are_cached_for_a_year(ui_url: str, static_dir: Path) -> None:
    build(static_dir)
    response = httpx.get(f"{ui_url}/static-files/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log('ui');\n"
    assert "javascript" in response.headers["content-type"]
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    index = httpx.get(f"{ui_url}/static-files/index.html")
    assert index.headers["cache-control"] == "no-cache"
    assert_security_headers(index)


def test_missing_files_and_escapes_answer_404(ui_url: str, static_dir: Path) -> None:
    build(static_dir)
    (static_dir.parent / "secret.txt").write_text("no")
    for path in (
        "/static-files/assets/nope.js",
        "/static-files/../secret.txt",
        "/static-files/%2e%2e/secret.txt",
        "/static-files/..%2fsecret.txt",
    ):
        response = httpx.get(f"{ui_url}{path}")
        assert response.status_code == 404, path
        assert response.text != "no"


def test_without_a_build_root_says_how_to_build(ui_url: str) -> None:
    response = httpx.get(f"{ui_url}/")
    assert response.status_code == 200
    assert "make ui" in response.text
    assert_security_headers(response)
    assert httpx.get(f"{ui_url}/static-files/assets/index.js").status_code == 404


def test_the_api_keeps_its_json_errors(ui_url: str, static_dir: Path) -> None:
    build(static_dir)
    response = httpx.get(f"{ui_url}/api/2.0/mlflow/nope")
    assert response.status_code == 404
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"
