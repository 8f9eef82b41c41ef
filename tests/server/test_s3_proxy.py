"""The artifact proxy over an S3 destination (moto's server on loopback): the file routes, and
the multipart upload endpoints that only an S3 destination offers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runstone.testing import serve
from tests.s3 import moto_endpoint, object_keys, pending_uploads, s3_bucket, s3_client
from tests.server.conftest import API

__all__ = ["moto_endpoint", "s3_bucket"]  # fixtures used by the tests below

ROOT = "/api/2.0/mlflow-artifacts"
PROXY = f"{ROOT}/artifacts"
MPU = f"{ROOT}/mpu"
MB = 1024 * 1024


@pytest.fixture
def s3_http(s3_bucket: str, tmp_path: Path) -> Iterator[httpx.Client]:
    """A client of a live server whose proxied artifacts go to ``s3://<bucket>/root``."""
    destination = f"s3://{s3_bucket}/root"
    with (
        serve(tmp_path / "store", artifacts_destination=destination) as url,
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        yield client


def _create(http: httpx.Client, directory: str, name: str, num_parts: int) -> dict[str, object]:
    created = http.post(f"{MPU}/create/{directory}", json={"path": name, "num_parts": num_parts})
    assert created.status_code == 200, created.text
    body = created.json()
    assert isinstance(body, dict)
    return body


def _put_part(url: str, data: bytes) -> str:
    """Upload a part as MLflow's client does: a plain PUT to the URL it was given."""
    answer = httpx.put(url, content=data, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.headers["ETag"]


def test_server_info_advertises_multipart_uploads(s3_http: httpx.Client) -> None:
    info = s3_http.get("/api/3.0/mlflow/server-info").json()
    assert info["multipart_uploads_enabled"] is True


def test_upload_list_download_delete_on_s3(
    s3_http: httpx.Client, s3_bucket: str, moto_endpoint: str
) -> None:
    put = s3_http.put(f"{PROXY}/1/run/artifacts/plots/loss.txt", content=b"0.5\n0.25\n")
    assert put.status_code == 200, put.text
    assert s3_http.put(f"{PROXY}/1/run/artifacts/model.pkl", content=b"m" * 1000).status_code == 200
    assert object_keys(moto_endpoint, s3_bucket) == [
        "root/1/run/artifacts/model.pkl",
        "root/1/run/artifacts/plots/loss.txt",
    ]
    listed = s3_http.get(PROXY, params={"path": "1/run/artifacts"}).json()
    assert listed == {
        "files": [
            {"path": "model.pkl", "is_dir": False, "file_size": 1000},
            {"path": "plots", "is_dir": True},
        ]
    }
    got = s3_http.get(f"{PROXY}/1/run/artifacts/plots/loss.txt")
    assert got.status_code == 200
    assert got.content == b"0.5\n0.25\n"
    assert got.headers["content-disposition"] == 'attachment; filename="loss.txt"'
    ranged = s3_http.get(f"{PROXY}/1/run/artifacts/model.pkl", headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206
    assert ranged.content == b"m" * 10
    assert ranged.headers["content-range"] == "bytes 10-19/1000"
    tail = s3_http.get(f"{PROXY}/1/run/artifacts/model.pkl", headers={"Range": "bytes=-5"})
    assert tail.content == b"m" * 5
    assert s3_http.get(f"{PROXY}/1/run/artifacts/missing").status_code == 404
    assert s3_http.get(f"{PROXY}/1/run/artifacts/plots").status_code == 400

    assert s3_http.delete(f"{PROXY}/1/run/artifacts/plots").status_code == 200
    assert object_keys(moto_endpoint, s3_bucket) == ["root/1/run/artifacts/model.pkl"]
    assert s3_http.delete(f"{PROXY}/1/run/artifacts/model.pkl").status_code == 200
    assert object_keys(moto_endpoint, s3_bucket) == []
    assert s3_http.get(PROXY, params={"path": "1"}).json() == {}


def test_run_artifacts_are_listed_from_s3(s3_http: httpx.Client) -> None:
    experiment = s3_http.post(f"{API}/experiments/create", json={"name": "s3"}).json()
    run = s3_http.post(
        f"{API}/runs/create", json={"experiment_id": experiment["experiment_id"]}
    ).json()["run"]
    root = run["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
    s3_http.put(f"{PROXY}/{root}/d/x.json", content=b"{}")
    listing = s3_http.get(
        f"{API}/artifacts/list", params={"run_id": run["info"]["run_id"], "path": "d"}
    ).json()
    assert listing["files"] == [{"path": "d/x.json", "is_dir": False, "file_size": 2}]


@pytest.mark.slow
def test_multipart_upload_through_the_proxy(
    s3_http: httpx.Client, s3_bucket: str, moto_endpoint: str
) -> None:
    parts = [b"a" * (5 * MB), b"b" * (5 * MB), b"the last part may be small"]
    created = _create(s3_http, "1/run/artifacts/model", "weights.bin", 3)
    upload_id = created["upload_id"]
    credentials = created["credentials"]
    assert isinstance(upload_id, str)
    assert isinstance(credentials, list)
    assert [c["part_number"] for c in credentials] == [1, 2, 3]
    base = str(s3_http.base_url).rstrip("/")
    for credential in credentials:  # the parts go through the proxy: no S3 credentials needed
        assert credential["url"].startswith(f"{base}{MPU}/upload-part/1/run/artifacts/model/")
        assert credential["headers"] == {}

    etags = [_put_part(c["url"], data) for c, data in zip(credentials, parts, strict=True)]
    assert s3_http.get(PROXY, params={"path": "1/run/artifacts/model"}).json() == {}
    assert pending_uploads(moto_endpoint, s3_bucket) == ["root/1/run/artifacts/model/weights.bin"]

    done = s3_http.post(
        f"{MPU}/complete/1/run/artifacts/model",
        json={
            "path": "weights.bin",
            "upload_id": upload_id,
            "parts": [
                {"part_number": c["part_number"], "etag": etag, "url": c["url"]}
                for c, etag in zip(credentials, etags, strict=True)
            ],
        },
    )
    assert done.status_code == 200, done.text
    assert done.json() == {}
    got = s3_http.get(f"{PROXY}/1/run/artifacts/model/weights.bin")
    assert got.status_code == 200
    assert got.content == b"".join(parts)
    listed = s3_http.get(PROXY, params={"path": "1/run/artifacts/model"}).json()
    assert listed == {
        "files": [{"path": "weights.bin", "is_dir": False, "file_size": sum(map(len, parts))}]
    }
    assert pending_uploads(moto_endpoint, s3_bucket) == []


def test_only_the_name_of_the_clients_local_path_is_used(
    s3_http: httpx.Client, s3_bucket: str, moto_endpoint: str
) -> None:
    """MLflow's client sends the full local path of the file, as MLflow's server expects."""
    created = _create(s3_http, "d", "/home/me/../me/weights.bin", 1)
    credentials = created["credentials"]
    assert isinstance(credentials, list)
    etag = _put_part(credentials[0]["url"], b"w")
    done = s3_http.post(
        f"{MPU}/complete/d",
        json={
            "path": "/home/me/weights.bin",
            "upload_id": created["upload_id"],
            "parts": [{"part_number": 1, "etag": etag}],
        },
    )
    assert done.status_code == 200, done.text
    assert object_keys(moto_endpoint, s3_bucket) == ["root/d/weights.bin"]


def test_the_mlflow_client_uploads_in_parts_through_the_proxy(
    s3_http: httpx.Client,
    s3_bucket: str,
    moto_endpoint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mlflow_client = pytest.importorskip("mlflow.tracking", reason="mlflow is a dev dependency")
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "1")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(5 * MB))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    client = mlflow_client.MlflowClient(tracking_uri=str(s3_http.base_url).rstrip("/"))
    run = client.create_run(client.create_experiment("mpu"))
    local = tmp_path / "weights.bin"
    data = b"".join(bytes([n]) * MB for n in range(11))  # three parts: 5 + 5 + 1 MB
    local.write_bytes(data)
    client.log_artifact(run.info.run_id, str(local), "model")

    root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    got = s3_http.get(f"{PROXY}/{root}/model/weights.bin")
    assert got.status_code == 200
    assert got.content == data
    key = f"root/{root}/model/weights.bin"
    assert object_keys(moto_endpoint, s3_bucket) == [key]
    head = s3_client(moto_endpoint).head_object(Bucket=s3_bucket, Key=key)
    assert head["ETag"].endswith('-3"')  # S3's mark of an object assembled from three parts
    assert pending_uploads(moto_endpoint, s3_bucket) == []


def test_an_aborted_or_unfinished_upload_leaves_nothing(
    s3_http: httpx.Client, s3_bucket: str, moto_endpoint: str
) -> None:
    created = _create(s3_http, "1/run/artifacts", "big.bin", 2)
    _put_part(created["credentials"][0]["url"], b"a" * (5 * MB))  # type: ignore[index]
    unfinished = _create(s3_http, "1/run/artifacts", "never.bin", 2)
    _put_part(unfinished["credentials"][0]["url"], b"b" * MB)  # type: ignore[index]
    assert s3_http.get(PROXY, params={"path": "1/run/artifacts"}).json() == {}

    aborted = s3_http.post(
        f"{MPU}/abort/1/run/artifacts",
        json={"path": "big.bin", "upload_id": created["upload_id"]},
    )
    assert aborted.status_code == 200, aborted.text
    assert aborted.json() == {}
    assert s3_http.get(PROXY, params={"path": "1/run/artifacts"}).json() == {}
    assert object_keys(moto_endpoint, s3_bucket) == []
    assert pending_uploads(moto_endpoint, s3_bucket) == ["root/1/run/artifacts/never.bin"]


def test_parts_too_small_to_complete_are_the_clients_mistake(s3_http: httpx.Client) -> None:
    created = _create(s3_http, "d", "f.bin", 2)
    credentials = created["credentials"]
    assert isinstance(credentials, list)
    etags = [_put_part(c["url"], b"tiny") for c in credentials]
    done = s3_http.post(
        f"{MPU}/complete/d",
        json={
            "path": "f.bin",
            "upload_id": created["upload_id"],
            "parts": [{"part_number": n, "etag": e} for n, e in enumerate(etags, start=1)],
        },
    )
    assert done.status_code == 400, done.text
    assert done.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("create/..%2F..%2Fetc", {"path": "f.bin", "num_parts": 1}),
        ("create/d", {"path": "up/..", "num_parts": 1}),
        ("create/d", {"path": "%2e%2e", "num_parts": 1}),
        ("create/d", {"path": "/", "num_parts": 1}),
        ("create/d", {"path": "f.bin", "num_parts": 0}),
        ("create/d", {"path": "f.bin", "num_parts": 10_001}),
        ("create/d", {"num_parts": 1}),
        ("complete/%2e%2e/x", {"path": "f.bin", "upload_id": "u", "parts": []}),
        ("complete/d", {"path": "f.bin", "upload_id": "u", "parts": [{"part_number": 1}]}),
        ("complete/d", {"path": "f.bin", "upload_id": "u", "parts": []}),
        ("abort/d", {"path": "..\\x", "upload_id": "u"}),
        ("abort/d", {"path": "f.bin"}),
    ],
)
def test_bad_multipart_requests_are_refused(
    s3_http: httpx.Client, s3_bucket: str, moto_endpoint: str, route: str, body: object
) -> None:
    answer = s3_http.post(f"{MPU}/{route}", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert pending_uploads(moto_endpoint, s3_bucket) == []


@pytest.mark.parametrize(
    "query",
    [
        "upload_id=u&part_number=0",
        "upload_id=u&part_number=x",
        "upload_id=u",
        "part_number=1",
    ],
)
def test_bad_part_uploads_are_refused(s3_http: httpx.Client, query: str) -> None:
    answer = s3_http.put(f"{MPU}/upload-part/d/f.bin?{query}", content=b"x")
    assert answer.status_code == 400, answer.text
    traversal = s3_http.put(f"{MPU}/upload-part/%2e%2e/f.bin?upload_id=u&part_number=1")
    assert traversal.status_code == 400, traversal.text


def test_multipart_stays_not_implemented_for_local_storage(http: httpx.Client) -> None:
    assert http.get("/api/3.0/mlflow/server-info").json()["multipart_uploads_enabled"] is False
    for route, body in [
        ("create/d", {"path": "f.bin", "num_parts": 2}),
        ("complete/d", {"path": "f.bin", "upload_id": "u", "parts": []}),
        ("abort/d", {"path": "f.bin", "upload_id": "u"}),
    ]:
        answer = http.post(f"{MPU}/{route}", json=body)
        assert answer.status_code == 501, answer.text
        assert answer.json()["error_code"] == "NOT_IMPLEMENTED"
    part = http.put(f"{MPU}/upload-part/d/f.bin?upload_id=u&part_number=1", content=b"x")
    assert part.status_code == 501
