"""No client can make the server read, write or delete outside its artifact roots."""

from __future__ import annotations

import http.client
import os
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests.server.conftest import API

PROXY = "/api/2.0/mlflow-artifacts/artifacts"

# Every traversal shape: raw, percent-encoded, double-encoded, backslashes, absolute paths,
# NUL, and Unicode look-alikes. Each aims at tmp_path/canary.txt (two levels above the
# run's artifact folder's storage root) or at /etc/passwd.
TRAVERSALS = [
    "../canary.txt",
    "../../canary.txt",
    "a/../../canary.txt",
    "..%2Fcanary.txt",
    "%2e%2e/canary.txt",
    "%2e%2e%2fcanary.txt",
    "%252e%252e%252fcanary.txt",
    "..%5ccanary.txt",
    "..\\canary.txt",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "x%00.txt",
    "\uff0e\uff0e/canary.txt",
    "....//canary.txt",
]


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    path = tmp_path / "canary.txt"
    path.write_text("untouched")
    return path


def _outside_files(tmp_path: Path) -> set[str]:
    """Every file under tmp_path but outside the artifact storage and the store."""
    found = set()
    for folder, _, names in os.walk(tmp_path):
        rel = os.path.relpath(folder, tmp_path)
        if rel.split(os.sep)[0] in ("artifacts", "store"):
            continue
        found |= {os.path.join(rel, n) for n in names}
    return found


def _raw(url: str, method: str, target: str, body: bytes | None = None) -> tuple[int, bytes]:
    """Send ``target`` exactly as written: HTTP clients remove ``..`` segments themselves,
    a hostile client does not."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        conn.putheader("Content-Length", str(len(body or b"")))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("shape", TRAVERSALS)
def test_every_artifact_route_refuses_every_traversal_shape(
    http: httpx.Client,
    server_url: str,
    run_id: str,
    tmp_path: Path,
    canary: Path,
    shape: str,
) -> None:
    before = _outside_files(tmp_path)
    target = PROXY + "/" + quote(shape, safe="/%\\")
    answers = [
        (f"{method} {target}", *_raw(server_url, method, target, body))
        for method, body in (("GET", None), ("PUT", b"pwned"), ("DELETE", None))
    ]
    query_routes = [
        http.get(PROXY, params={"path": shape}),
        http.get(f"{API}/artifacts/list", params={"run_id": run_id, "path": shape}),
        http.get("/get-artifact", params={"run_id": run_id, "path": shape}),
        http.post(
            "/ajax-api/2.0/mlflow/upload-artifact",
            params={"run_id": run_id, "path": shape},
            content=b"pwned",
        ),
    ]
    answers += [(str(r.request.url), r.status_code, r.content) for r in query_routes]
    for where, status, body in answers:
        assert status in (400, 404), (where, status, body)
        assert b"root:" not in body
    assert canary.read_text() == "untouched"
    assert _outside_files(tmp_path) == before


def test_run_ids_that_are_paths_are_refused(http: httpx.Client, canary: Path) -> None:
    for run_id in ("../canary", "..%2F..%2Fcanary", "/etc/passwd"):
        response = http.get("/get-artifact", params={"run_id": run_id, "path": "x"})
        assert response.status_code in (400, 404)
    assert canary.read_text() == "untouched"


@pytest.mark.parametrize(
    "name",
    ["with space.txt", "ünïcødé/файл.txt", "v1.2.3/model.tar.gz", "a/b/c/d/e.json", ".hidden"],
)
def test_legitimate_names_still_work(http: httpx.Client, run_id: str, name: str) -> None:
    root = (
        http.get(f"{API}/runs/get", params={"run_id": run_id})
        .json()["run"]["info"]["artifact_uri"]
        .removeprefix("mlflow-artifacts:/")
    )
    assert http.put(f"{PROXY}/{root}/{name}", content=b"ok").status_code == 200
    assert http.get(f"{PROXY}/{root}/{name}").content == b"ok"
    assert http.get("/get-artifact", params={"run_id": run_id, "path": name}).content == b"ok"
    listed = http.get(
        f"{API}/artifacts/list", params={"run_id": run_id, "path": os.path.dirname(name)}
    ).json()
    assert name in [f["path"] for f in listed["files"]]


def test_artifact_locations_inside_the_roots_are_accepted(
    http: httpx.Client, tmp_path: Path
) -> None:
    for i, location in enumerate(
        [
            "mlflow-artifacts:/team-a/project",
            str(tmp_path / "artifacts" / "custom"),
            (tmp_path / "artifacts" / "other").as_uri(),
        ]
    ):
        response = http.post(
            f"{API}/experiments/create", json={"name": f"ok{i}", "artifact_location": location}
        )
        assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "location",
    [
        "/",
        "/etc",
        "file:///etc",
        "file://otherhost/share",
        "../outside",
        "artifacts/../../outside",
        "mlflow-artifacts:/../outside",
        "mlflow-artifacts:/%2e%2e/outside",
        "mlflow-artifacts://evil.example/x",
        "http://169.254.169.254/latest/meta-data",
        "https://example.com/store",
        "s3://someone-elses-bucket/x",
        "runs:/0123456789abcdef0123456789abcdef/model",
        "models:/m/1",
    ],
)
def test_artifact_locations_outside_the_roots_are_refused(
    http: httpx.Client, location: str
) -> None:
    response = http.post(
        f"{API}/experiments/create", json={"name": "bad", "artifact_location": location}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert (
        http.get(f"{API}/experiments/get-by-name", params={"experiment_name": "bad"}).status_code
        == 404
    )


def test_a_link_inside_the_root_that_leads_out_is_refused(
    http: httpx.Client, tmp_path: Path
) -> None:
    (tmp_path / "artifacts").mkdir(exist_ok=True)
    (tmp_path / "artifacts" / "escape").symlink_to(tmp_path)
    response = http.post(
        f"{API}/experiments/create",
        json={"name": "link", "artifact_location": str(tmp_path / "artifacts" / "escape" / "x")},
    )
    assert response.status_code == 400, response.text
