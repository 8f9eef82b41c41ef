"""The artifact proxy (/api/2.0/mlflow-artifacts) and the run artifact routes, over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import API

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def _run_root(http: httpx.Client, run_id: str) -> str:
    uri = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["info"][
        "artifact_uri"
    ]
    assert uri.startswith("mlflow-artifacts:/")
    return str(uri[len("mlflow-artifacts:/") :])


def test_upload_list_download_delete_through_the_proxy(http: httpx.Client, run_id: str) -> None:
    root = _run_root(http, run_id)
    put = http.put(f"{PROXY}/{root}/plots/loss.txt", content=b"0.5\n0.25\n")
    assert put.status_code == 200, put.text
    assert put.json() == {}
    listed = http.get(PROXY, params={"path": f"{root}/plots"}).json()
    assert listed == {"files": [{"path": "loss.txt", "is_dir": False, "file_size": 9}]}
    run_listing = http.get(f"{API}/artifacts/list", params={"run_id": run_id}).json()
    assert run_listing["files"] == [{"path": "plots", "is_dir": True}]
    nested = http.get(f"{API}/artifacts/list", params={"run_id": run_id, "path": "plots"}).json()
    assert nested["files"] == [{"path": "plots/loss.txt", "is_dir": False, "file_size": 9}]
    got = http.get(f"{PROXY}/{root}/plots/loss.txt")
    assert got.content == b"0.5\n0.25\n"
    assert got.headers["content-disposition"] == 'attachment; filename="loss.txt"'
    assert got.headers["x-content-type-options"] == "nosniff"
    ui = http.get("/get-artifact", params={"run_id": run_id, "path": "plots/loss.txt"})
    assert ui.content == b"0.5\n0.25\n"
    assert http.delete(f"{PROXY}/{root}/plots").status_code == 200
    assert "files" not in http.get(f"{API}/artifacts/list", params={"run_id": run_id}).json()


def test_ranges_are_served(http: httpx.Client, run_id: str) -> None:
    root = _run_root(http, run_id)
    http.put(f"{PROXY}/{root}/f.bin", content=bytes(range(100)))
    part = http.get(f"{PROXY}/{root}/f.bin", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == bytes(range(10, 20))
    assert part.headers["content-range"] == "bytes 10-19/100"
    tail = http.get(f"{PROXY}/{root}/f.bin", headers={"Range": "bytes=-5"})
    assert tail.content == bytes(range(95, 100))
    outside = http.get(f"{PROXY}/{root}/f.bin", headers={"Range": "bytes=500-"})
    assert outside.status_code == 416


def test_html_and_svg_are_never_served_as_active_content(http: httpx.Client, run_id: str) -> None:
    root = _run_root(http, run_id)
    for name in ("page.html", "image.svg", "code.js"):
        http.put(f"{PROXY}/{root}/{name}", content=b"<script>alert(1)</script>")
        got = http.get(f"{PROXY}/{root}/{name}")
        assert got.headers["content-type"].startswith("text/plain")


def test_large_uploads_stream_through_and_arrive_whole(
    http: httpx.Client, run_id: str, tmp_path: Path
) -> None:
    root = _run_root(http, run_id)
    chunk = os.urandom(1024 * 1024)

    def body() -> Iterator[bytes]:
        for _ in range(64):
            yield chunk

    put = http.put(f"{PROXY}/{root}/big.bin", content=body())
    assert put.status_code == 200, put.text
    size = 0
    with http.stream("GET", f"{PROXY}/{root}/big.bin") as response:
        for piece in response.iter_bytes():
            size += len(piece)
    assert size == 64 * len(chunk)
    stored = tmp_path / "artifacts" / root / "big.bin"
    assert stored.read_bytes()[: len(chunk)] == chunk


@pytest.mark.parametrize(
    "path",
    ["../outside.txt", "..%2Foutside.txt", "%2e%2e/outside.txt", "a/%252e%252e/%252e%252e/x"],
)
def test_paths_that_escape_the_storage_are_refused(
    http: httpx.Client, path: str, tmp_path: Path
) -> None:
    put = http.put(f"{PROXY}/{path}", content=b"x")
    assert put.status_code in (400, 404), put.text
    assert not (tmp_path / "outside.txt").exists()
    assert http.get(f"{PROXY}/{path}").status_code in (400, 404)


def test_missing_files_are_404_and_folders_are_not_downloads(
    http: httpx.Client, run_id: str
) -> None:
    root = _run_root(http, run_id)
    missing = http.get(f"{PROXY}/{root}/nope.txt")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    http.put(f"{PROXY}/{root}/d/x.txt", content=b"x")
    folder = http.get(f"{PROXY}/{root}/d")
    assert folder.status_code == 400


def test_deleting_the_storage_root_is_refused(http: httpx.Client) -> None:
    assert http.delete(f"{PROXY}/").status_code in (400, 404, 405)


def test_multipart_and_presigned_are_not_implemented_for_local_storage(
    http: httpx.Client, run_id: str
) -> None:
    created = http.post(
        "/api/2.0/mlflow-artifacts/mpu/create/1/x", json={"path": "f.bin", "num_parts": 2}
    )
    assert created.status_code == 501
    assert created.json()["error_code"] == "NOT_IMPLEMENTED"
    presigned = http.post(
        f"{API}/artifacts/presigned-download-url", json={"run_id": run_id, "path": "x"}
    )
    assert presigned.status_code == 501


def test_ui_upload_route_writes_into_the_run(http: httpx.Client, run_id: str) -> None:
    response = http.post(
        "/ajax-api/2.0/mlflow/upload-artifact",
        params={"run_id": run_id, "path": "notes/readme.md"},
        content=b"# hi",
    )
    assert response.status_code == 200, response.text
    got = http.get("/get-artifact", params={"run_id": run_id, "path": "notes/readme.md"})
    assert got.content == b"# hi"


def test_an_upload_with_a_checksum_is_verified_and_the_checksum_kept(
    http: httpx.Client, run_id: str
) -> None:
    import base64
    import hashlib

    root = _run_root(http, run_id)
    body = os.urandom(200_000)
    digest = hashlib.sha256(body).hexdigest()
    put = http.put(f"{PROXY}/{root}/model.bin", content=body, headers={"X-Runstone-Sha256": digest})
    assert put.headers["x-runstone-sha256"] == digest
    whole = http.get(f"{PROXY}/{root}/model.bin")
    assert whole.headers["x-runstone-sha256"] == digest
    encoded = base64.b64encode(bytes.fromhex(digest)).decode()
    assert whole.headers["repr-digest"] == f"sha-256=:{encoded}:"
    part = http.get(f"{PROXY}/{root}/model.bin", headers={"Range": "bytes=0-9"})
    assert "x-runstone-sha256" not in part.headers

    wrong = http.put(
        f"{PROXY}/{root}/other.bin", content=body, headers={"X-Runstone-Sha256": "0" * 64}
    )
    assert wrong.status_code == 500
    assert wrong.json()["error_code"] == "DATA_LOSS"
    assert http.get(f"{PROXY}/{root}/other.bin").status_code == 404  # nothing was stored
    malformed = http.put(
        f"{PROXY}/{root}/other.bin", content=body, headers={"X-Runstone-Sha256": "abc"}
    )
    assert malformed.status_code == 400


def test_an_upload_without_a_checksum_is_stored_unhashed(http: httpx.Client, run_id: str) -> None:
    root = _run_root(http, run_id)
    put = http.put(f"{PROXY}/{root}/plain.bin", content=b"abc")
    assert put.status_code == 200
    assert "x-runstone-sha256" not in put.headers
    assert "x-runstone-sha256" not in http.get(f"{PROXY}/{root}/plain.bin").headers


def test_a_range_is_resumed_only_from_the_same_file(http: httpx.Client, run_id: str) -> None:
    import hashlib

    root = _run_root(http, run_id)
    target = f"{PROXY}/{root}/weights.bin"
    first, second = os.urandom(1000), os.urandom(1000)
    digest = hashlib.sha256(first).hexdigest()
    http.put(target, content=first, headers={"X-Runstone-Sha256": digest})
    etag = http.get(target).headers["etag"]
    assert etag == f'"sha256-{digest}"'
    same = http.get(target, headers={"Range": "bytes=600-", "If-Range": etag})
    assert same.status_code == 206
    assert same.content == first[600:]

    replaced = hashlib.sha256(second).hexdigest()
    http.put(target, content=second, headers={"X-Runstone-Sha256": replaced})
    stale = http.get(target, headers={"Range": "bytes=600-", "If-Range": etag})
    assert stale.status_code == 200  # not the rest of another file: all of the new one
    assert stale.content == second
    assert stale.headers["x-runstone-sha256"] == replaced
