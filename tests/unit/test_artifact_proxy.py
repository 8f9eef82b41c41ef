"""The artifact proxy repository without a server: URI resolution, and the requests it sends
(over httpx's MockTransport, which stands in for the network only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runstone.artifacts import ArtifactRepo, ProxyFileSystem, is_proxy_uri, resolve_proxy_uri
from runstone.artifacts.proxy import ProxyLocation
from runstone.config import RestSettings
from runstone.entities import FileInfo
from runstone.errors import (
    InternalError,
    InvalidParameterValue,
    NotFound,
    PermissionDenied,
    TemporarilyUnavailable,
)
from runstone.wire.http import make_http_client

ENDPOINT = "/api/2.0/mlflow-artifacts/artifacts"
FAST = RestSettings(max_retries=2, backoff_factor=0.0, backoff_jitter=0.0)

# -- resolution --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "tracking", "endpoint", "root"),
    [
        (
            "mlflow-artifacts:/1/abc/artifacts",
            "http://tracking:5000",
            f"http://tracking:5000{ENDPOINT}",
            "1/abc/artifacts",
        ),
        (
            "mlflow-artifacts:/1/abc/artifacts/",
            "https://tracking.example.com/mlflow/",
            f"https://tracking.example.com/mlflow{ENDPOINT}",
            "1/abc/artifacts",
        ),
        ("mlflow-artifacts:/", "http://t", f"http://t{ENDPOINT}", ""),
        ("mlflow-artifacts:///1/x", "http://t", f"http://t{ENDPOINT}", "1/x"),
        (
            "mlflow-artifacts://other:8080/1/x",
            "https://tracking/prefix",
            f"https://other:8080/prefix{ENDPOINT}",
            "1/x",
        ),
        ("MLFLOW-ARTIFACTS:/1/x", "HTTP://t", f"http://t{ENDPOINT}", "1/x"),
        (
            f"http://h:5000{ENDPOINT}/1/abc/artifacts",
            None,
            f"http://h:5000{ENDPOINT}",
            "1/abc/artifacts",
        ),
        (f"https://h{ENDPOINT}", "sqlite:///x.db", f"https://h{ENDPOINT}", ""),
        (f"https://h/p{ENDPOINT}/a%20b/c%25d", None, f"https://h/p{ENDPOINT}", "a b/c%d"),
        ("http://h/mlflow-artifacts/artifacts/x", None, "http://h/mlflow-artifacts/artifacts", "x"),
    ],
)
def test_proxy_uris_resolve_to_the_endpoint_and_a_root(
    uri: str, tracking: str | None, endpoint: str, root: str
) -> None:
    assert is_proxy_uri(uri)
    assert resolve_proxy_uri(uri, tracking) == ProxyLocation(endpoint, root)


@pytest.mark.parametrize(
    ("uri", "tracking", "message"),
    [
        ("mlflow-artifacts:/1/x", None, "tracking URI must be an http"),
        ("mlflow-artifacts:/1/x", "sqlite:///runstone.db", "tracking URI must be an http"),
        ("mlflow-artifacts:/1/x", "/home/me/runstone", "tracking URI must be an http"),
        ("mlflow-artifacts://:8080/1/x", "http://t", "port but no host"),
        ("mlflow-artifacts:/1/../../etc", "http://t", r"Invalid artifact URI .*'\.\.'"),
        (f"http://h{ENDPOINT}/1/%2e%2e/x", None, "Invalid artifact URI"),
        (f"http://h{ENDPOINT}/1/x?path=y", None, "query or a fragment"),
        ("https://h/api/2.0/mlflow/runs/get", None, "not an artifact proxy URL"),
        ("https://h/mlflow-artifacts/artifactsX/1", None, "not an artifact proxy URL"),
        (f"http://{ENDPOINT}/x", None, "no host"),
        ("s3://bucket/x", "http://t", "not served by an artifact proxy"),
    ],
)
def test_bad_proxy_uris_are_refused(uri: str, tracking: str | None, message: str) -> None:
    with pytest.raises(InvalidParameterValue, match=message):
        resolve_proxy_uri(uri, tracking)


def test_storage_uris_are_not_proxy_uris(tmp_path: Path) -> None:
    for uri in (str(tmp_path), tmp_path.as_uri(), "s3://b/k", "memory://x", "runs:/abc/m"):
        assert not is_proxy_uri(uri)


# -- requests ----------------------------------------------------------------------------------


class Storage:
    """A tiny in-memory proxy server speaking the four endpoints, recording each request."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[httpx.Request] = []
        self.answers: list[httpx.Response] = []  # answered first, in order, when set

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answers:
            return self.answers.pop(0)
        _, found, rel = request.url.path.partition(ENDPOINT)
        assert found
        rel = rel.strip("/")
        if request.method == "PUT":
            self.files[rel] = request.read()
            return httpx.Response(200, json={})
        if request.method == "DELETE":
            self.files = {k: v for k, v in self.files.items() if not _under(k, rel)}
            return httpx.Response(200, json={})
        if rel:
            if rel not in self.files:
                return _error(404, "RESOURCE_DOES_NOT_EXIST", f"{rel} not found")
            return httpx.Response(200, content=self.files[rel])
        return httpx.Response(200, json=self._listing(request.url.params.get("path", "")))

    def _listing(self, folder: str) -> dict[str, object]:
        entries: dict[str, dict[str, object]] = {}
        for name, data in self.files.items():
            if not _under(name, folder) or name == folder:
                continue
            rest = name[len(folder) :].strip("/")
            child, _, deeper = rest.partition("/")
            entries[child] = (
                {"path": child, "is_dir": True}
                if deeper
                else {"path": child, "is_dir": False, "file_size": len(data)}
            )
        return {"files": list(entries.values())} if entries else {}


def _under(name: str, folder: str) -> bool:
    return not folder or name == folder or name.startswith(folder + "/")


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error_code": code, "message": message})


@pytest.fixture
def storage() -> Storage:
    return Storage()


@pytest.fixture
def repo(storage: Storage) -> Iterator[ArtifactRepo]:
    with make_http_client(FAST, transport=httpx.MockTransport(storage)) as http:
        yield ArtifactRepo.from_uri(
            "mlflow-artifacts:/1/run/artifacts",
            tracking_uri="http://tracking.test/prefix",
            http=http,
            rest_settings=FAST,
        )


def test_verbs_go_through_the_proxy_endpoints(
    repo: ArtifactRepo, storage: Storage, tmp_path: Path
) -> None:
    (tmp_path / "model.pkl").write_bytes(b"\x00" * 10)
    repo.log_artifact(tmp_path / "model.pkl", "models")
    repo.write_bytes("notes/a b%20.txt", b"hi")
    put = storage.requests[0]
    assert put.method == "PUT"
    assert str(put.url) == f"http://tracking.test/prefix{ENDPOINT}/1/run/artifacts/models/model.pkl"
    assert put.headers["Content-Length"] == "10"
    assert "Transfer-Encoding" not in put.headers
    assert storage.requests[1].url.raw_path.endswith(b"/notes/a%20b%2520.txt")
    assert storage.files == {
        "1/run/artifacts/models/model.pkl": b"\x00" * 10,
        "1/run/artifacts/notes/a b%20.txt": b"hi",
    }
    assert repo.list_artifacts() == [
        FileInfo("models", is_dir=True),
        FileInfo("notes", is_dir=True),
    ]
    assert repo.list_artifacts("notes") == [FileInfo("notes/a b%20.txt", False, 2)]
    assert repo.read_bytes("notes/a b%20.txt") == b"hi"
    local = Path(repo.download_artifacts("", str(tmp_path / "dl")))
    assert (local / "models" / "model.pkl").read_bytes() == b"\x00" * 10
    repo.delete_artifacts("models")
    assert set(storage.files) == {"1/run/artifacts/notes/a b%20.txt"}
    repo.delete_artifacts()
    assert storage.files == {}


def test_unsafe_paths_are_refused_before_any_request(
    repo: ArtifactRepo, storage: Storage, tmp_path: Path
) -> None:
    (tmp_path / "f.txt").write_text("x")
    for attempt in (
        lambda: repo.log_artifact(tmp_path / "f.txt", "../../other-run"),
        lambda: repo.write_bytes("a/%2e%2e/%2e%2e/x", b"x"),
        lambda: repo.read_bytes("../secret"),
        lambda: repo.list_artifacts("/etc"),
        lambda: repo.delete_artifacts("..\\x"),
        lambda: repo.download_artifacts("../..", str(tmp_path / "dl")),
    ):
        with pytest.raises(InvalidParameterValue):
            attempt()
    assert storage.requests == []


def test_missing_files_are_not_found(repo: ArtifactRepo, storage: Storage) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        repo.read_bytes("nope.txt")
    with pytest.raises(NotFound):
        repo.download_artifacts("nope.txt")
    assert repo.list_artifacts("nope") == []
    repo.delete_artifacts("nope")  # nothing to delete: nothing happens


def test_a_file_gone_between_listing_and_reading_is_not_found(
    repo: ArtifactRepo, storage: Storage
) -> None:
    repo.write_bytes("a.txt", b"a")
    with repo.open_artifact("a.txt") as stream:
        assert stream.read() == b"a"
    storage.answers = [  # a listing still shows the file; the GET finds it gone
        httpx.Response(200, json={"files": [{"path": "a.txt", "is_dir": False, "file_size": 1}]}),
        _error(404, "RESOURCE_DOES_NOT_EXIST", "gone"),
    ]
    with pytest.raises(NotFound, match="does not exist"):
        repo.read_bytes("a.txt")


def test_error_answers_become_runstone_errors(repo: ArtifactRepo, storage: Storage) -> None:
    storage.answers = [_error(403, "PERMISSION_DENIED", "no write access")]
    with pytest.raises(PermissionDenied, match="no write access"):
        repo.write_bytes("a.txt", b"a")
    storage.answers = [httpx.Response(404, text="<html>Not Found</html>")]  # no proxy here
    with pytest.raises(Exception, match=r"HTTP 404") as raised:
        repo.list_artifacts()
    assert not isinstance(raised.value, FileNotFoundError)
    storage.answers = [httpx.Response(200, text="<html>a login page</html>")]
    with pytest.raises(InternalError, match="not a JSON object"):
        repo.list_artifacts()


def test_transient_failures_are_retried_and_an_upload_starts_over(
    repo: ArtifactRepo, storage: Storage, tmp_path: Path
) -> None:
    (tmp_path / "f.bin").write_bytes(b"0123456789")
    storage.answers = [httpx.Response(503), httpx.Response(502)]
    repo.log_artifact(tmp_path / "f.bin")
    assert [r.method for r in storage.requests] == ["PUT", "PUT", "PUT"]
    assert storage.files == {"1/run/artifacts/f.bin": b"0123456789"}
    storage.answers = [httpx.Response(503)] * 3
    with pytest.raises(TemporarilyUnavailable):
        repo.write_bytes("g.bin", b"g")


def test_an_unreachable_server_is_temporarily_unavailable(tmp_path: Path) -> None:
    calls: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    with make_http_client(FAST, transport=httpx.MockTransport(refuse)) as http:
        repo = ArtifactRepo.from_uri(f"http://down.test{ENDPOINT}/1", http=http, rest_settings=FAST)
        with pytest.raises(TemporarilyUnavailable, match=r"down\.test is unavailable.*3 times"):
            repo.list_artifacts()
    assert len(calls) == 3


def test_downloads_are_streamed_in_chunks(tmp_path: Path) -> None:
    sent: list[int] = []
    size = 5 * 1024 * 1024 + 3

    def chunks() -> Iterator[bytes]:
        for start in range(0, size, 64 * 1024):
            piece = bytes([start % 251]) * min(64 * 1024, size - start)
            sent.append(len(piece))
            yield piece

    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks())

    with httpx.Client(transport=httpx.MockTransport(serve)) as http:
        fs = ProxyFileSystem(f"http://h{ENDPOINT}", http)
        with fs.open("big.bin") as stream:
            first = stream.read(1024)
            assert len(first) == 1024
            assert sum(sent) < size  # the rest is still on the wire
            rest = iter(lambda: stream.read(1 << 20), b"")
            total = len(first) + sum(len(chunk) for chunk in rest)
    assert total == size


def test_a_proxy_repo_needs_no_http_client_of_its_own() -> None:
    repo = ArtifactRepo.from_uri("mlflow-artifacts:/1/x", tracking_uri="http://t")
    assert repr(repo) == "ArtifactRepo('mlflow-artifacts:/1/x')"
