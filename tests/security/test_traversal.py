"""Traversal through every artifact route, and through links planted in the store: refused,
and nothing outside the artifact storage is read, written or deleted.

The shapes and the raw-request helper are those of ``tests/server/test_artifact_safety.py``;
this module adds the routes and the attacks that one does not cover (multipart, presigned, the
UI's files, the ``/ajax-api`` download, and links inside the store that lead out).
"""

from __future__ import annotations

import http.client
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest

from runstone.testing import serve
from tests.server.test_artifact_safety import TRAVERSALS, _outside_files, _raw

API = "/api/2.0/mlflow"
PROXIES = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")
REFUSED = (400, 403, 404)
SECRET = f"SENTINEL-{uuid.uuid4().hex}"


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with serve(tmp_path / "store", artifacts_destination=str(tmp_path / "artifacts")) as served:
        yield served


@pytest.fixture
def client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as http:
        yield http


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    """A file outside the store whose content no answer may contain."""
    path = tmp_path / "sentinel.txt"
    path.write_text(SECRET)
    return path


@pytest.fixture
def run(client: httpx.Client) -> tuple[str, str]:
    """A run with one file: ``(run_id, its folder in the proxied storage)``."""
    experiment = client.post(f"{API}/experiments/create", json={"name": "traversal"}).json()
    created = client.post(
        f"{API}/runs/create", json={"experiment_id": experiment["experiment_id"], "start_time": 1}
    ).json()["run"]["info"]
    folder = created["artifact_uri"].removeprefix("mlflow-artifacts:").strip("/")
    assert client.put(f"{PROXIES[0]}/artifacts/{folder}/ok.txt", content=b"ok").status_code == 200
    return created["run_id"], folder


def assert_clean(answers: list[tuple[str, int, bytes]], allowed: tuple[int, ...]) -> None:
    for where, status, body in answers:
        assert status in allowed, (where, status, body[:300])
        assert SECRET.encode() not in body, where
        assert b"root:" not in body, where


@pytest.mark.parametrize("shape", TRAVERSALS)
def test_multipart_presigned_and_ajax_routes_refuse_every_shape(
    client: httpx.Client, url: str, run: tuple[str, str], tmp_path: Path, sentinel: Path, shape: str
) -> None:
    run_id, _ = run
    before = _outside_files(tmp_path)
    target = quote(shape, safe="/%\\")
    answers: list[tuple[str, int, bytes]] = []
    for proxy in PROXIES:
        body = b'{"path": "x.bin", "num_parts": 1, "upload_id": "u", "parts": []}'
        for action in ("create", "complete", "abort"):
            raw = f"{proxy}/mpu/{action}/{target}"
            answers.append((raw, *_raw_json(url, raw, body)))
        raw = f"{proxy}/mpu/upload-part/{target}?upload_id=u&part_number=1"
        answers.append((raw, *_raw(url, "PUT", raw, b"pwned")))
        raw = f"{proxy}/presigned/{target}"
        answers.append((raw, *_raw(url, "GET", raw)))
        raw = f"{proxy}/artifacts/{target}"
        answers.append((raw, *_raw(url, "GET", raw)))
    for response in (
        client.get("/ajax-api/2.0/mlflow/get-artifact", params={"run_id": run_id, "path": shape}),
        client.get(
            f"/ajax-api{API.removeprefix('/api')}/artifacts/list",
            params={"run_id": run_id, "path": shape},
        ),
        client.post(
            f"{API}/artifacts/presigned-download-url", json={"run_id": run_id, "path": shape}
        ),
    ):
        answers.append((str(response.request.url), response.status_code, response.content))
    # Multipart and presigned URLs need an object store: local storage answers 501 before a
    # path is looked at, which is a refusal too.
    assert_clean(answers, (*REFUSED, 501))
    assert sentinel.read_text() == SECRET
    assert _outside_files(tmp_path) == before


@pytest.mark.parametrize(
    "target",
    [
        "/static-files/../sentinel.txt",
        "/static-files/..%2f..%2f..%2fsentinel.txt",
        "/static-files/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static-files/%252e%252e/%252e%252e/etc/passwd",
        "/static-files/..\\..\\..\\etc\\passwd",
        "/static-files//etc/passwd",
        "/static-files/C:\\Windows\\win.ini",
        "/static-files/index.html%00.txt",
        "/../../../../etc/passwd",
    ],
)
def test_the_ui_file_route_serves_nothing_outside_its_folder(
    url: str, sentinel: Path, target: str
) -> None:
    status, body = _raw(url, "GET", target)
    assert_clean([(target, status, body)], (*REFUSED, 200))
    if status == 200:  # only the UI's own page, for paths the app routes to it
        assert b"<html" in body.lower() or b"<!doctype" in body.lower()


@pytest.fixture
def planted(run: tuple[str, str], tmp_path: Path, sentinel: Path) -> str:
    """Links inside the run's folder in the store that lead out of it: ``leak.txt`` to the
    sentinel and ``leak/`` to the folder holding it. Returns the run's folder."""
    _, folder = run
    inside = tmp_path / "artifacts" / folder
    assert (inside / "ok.txt").is_file()
    (inside / "leak.txt").symlink_to(sentinel)
    (inside / "leak").symlink_to(tmp_path, target_is_directory=True)
    return folder


def test_links_planted_in_the_store_are_not_followed_out(
    client: httpx.Client,
    run: tuple[str, str],
    planted: str,
    tmp_path: Path,
    sentinel: Path,
) -> None:
    run_id, folder = run
    before = _outside_files(tmp_path)
    proxy = f"{PROXIES[0]}/artifacts/{folder}"
    reads = [
        client.get(f"{proxy}/leak.txt"),
        client.get(f"{proxy}/leak/sentinel.txt"),
        client.get(f"{PROXIES[0]}/artifacts", params={"path": f"{folder}/leak"}),
        client.get("/get-artifact", params={"run_id": run_id, "path": "leak.txt"}),
        client.get("/get-artifact", params={"run_id": run_id, "path": "leak/sentinel.txt"}),
        client.get(f"{API}/artifacts/list", params={"run_id": run_id, "path": "leak"}),
    ]
    writes = [
        client.put(f"{proxy}/leak/sentinel.txt", content=b"pwned"),
        client.put(f"{proxy}/leak/new.txt", content=b"pwned"),
        client.post(
            "/ajax-api/2.0/mlflow/upload-artifact",
            params={"run_id": run_id, "path": "leak/new.txt"},
            content=b"pwned",
        ),
        client.delete(f"{proxy}/leak/sentinel.txt"),
    ]
    answers = [(str(r.request.url), r.status_code, r.content) for r in reads + writes]
    assert_clean(answers, REFUSED)
    assert sentinel.read_text() == SECRET
    assert _outside_files(tmp_path) == before
    # Listing the run's folder shows no file of the world outside either.
    listed = client.get(f"{API}/artifacts/list", params={"run_id": run_id}).text
    assert "sentinel" not in listed


def test_deleting_a_planted_link_never_deletes_its_target(
    client: httpx.Client, planted: str, tmp_path: Path, sentinel: Path
) -> None:
    before = _outside_files(tmp_path)
    for name in ("leak.txt", "leak"):
        response = client.delete(f"{PROXIES[0]}/artifacts/{planted}/{name}")
        assert response.status_code in (200, *REFUSED), response.text
    assert sentinel.read_text() == SECRET
    assert _outside_files(tmp_path) == before
    assert (tmp_path / "artifacts").is_dir()


def test_a_link_to_the_store_root_gives_no_way_into_other_runs(
    client: httpx.Client, run: tuple[str, str], tmp_path: Path
) -> None:
    """A link is refused even when its target is inside the storage: containment is checked
    on the real path, and a run's folder must not reach its neighbours'."""
    run_id, folder = run
    (tmp_path / "artifacts" / folder / "up").symlink_to(tmp_path / "artifacts")
    response = client.get("/get-artifact", params={"run_id": run_id, "path": "up"})
    assert response.status_code in REFUSED
    assert os.path.isdir(tmp_path / "artifacts")


def _raw_json(url: str, target: str, body: bytes) -> tuple[int, bytes]:
    """A raw POST of ``body`` as JSON to ``target``, written exactly as given."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("POST", target, skip_accept_encoding=True)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()
