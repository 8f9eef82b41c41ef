"""ArtifactRepo on ``s3://``, against a real S3 API (moto's server on loopback, via s3fs)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from runstone.artifacts import ArtifactRepo
from runstone.config import S3Settings
from runstone.entities import FileInfo
from runstone.errors import InvalidParameterValue, NotFound, NotImplementedFeature
from tests.s3 import moto_endpoint, object_keys, pending_uploads, s3_bucket, s3_client

__all__ = ["moto_endpoint", "s3_bucket"]  # fixtures used by the tests below

MB = 1024 * 1024


@pytest.fixture
def repo(s3_bucket: str) -> ArtifactRepo:
    return ArtifactRepo.from_uri(f"s3://{s3_bucket}/root/prefix")


def _keys(endpoint: str, bucket: str) -> list[str]:
    return object_keys(endpoint, bucket)


def _chunks(total: int, size: int = MB) -> Iterator[bytes]:
    """``total`` bytes in chunks of ``size``, each chunk different (a lost one would show)."""
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield sent.to_bytes(8, "big") + bytes([sent // size % 251]) * (n - 8)
        sent += n


def test_the_endpoint_comes_from_mlflows_variable_before_aws_ones() -> None:
    env = {"MLFLOW_S3_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL": "http://b:2"}
    assert S3Settings.from_env(env).endpoint_url == "http://a:1"
    assert S3Settings.from_env({"AWS_ENDPOINT_URL": "http://b:2"}).endpoint_url == "http://b:2"
    assert S3Settings.from_env({"AWS_ENDPOINT_URL_S3": "http://c:3"}).endpoint_url == "http://c:3"
    assert S3Settings.from_env({}).endpoint_url is None


def test_mlflow_s3_endpoint_url_alone_reaches_s3fs(
    s3_bucket: str, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    repo = ArtifactRepo.from_uri(f"s3://{s3_bucket}/only-mlflow-variable")
    repo.write_bytes("x.txt", b"x")
    assert _keys(moto_endpoint, s3_bucket) == ["only-mlflow-variable/x.txt"]


def test_files_and_folders_round_trip(
    repo: ArtifactRepo, s3_bucket: str, moto_endpoint: str, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    (src / "d" / "e").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"aaa")
    (src / "d" / "x.json").write_bytes(b"{}")
    (src / "d" / "e" / "deep.txt").write_bytes(b"deep")
    single = tmp_path / "single.bin"
    single.write_bytes(bytes(range(256)))

    repo.log_artifacts(src, "folder")
    repo.log_artifact(single)
    repo.write_bytes("bytes/b.txt", b"bytes")

    assert _keys(moto_endpoint, s3_bucket) == [
        "root/prefix/bytes/b.txt",
        "root/prefix/folder/a.txt",
        "root/prefix/folder/d/e/deep.txt",
        "root/prefix/folder/d/x.json",
        "root/prefix/single.bin",
    ]
    assert repo.read_bytes("single.bin") == bytes(range(256))
    assert repo.read_bytes("folder/d/e/deep.txt") == b"deep"
    with repo.open_artifact("bytes/b.txt") as stream:
        assert stream.read() == b"bytes"


def test_listing_is_nested_sorted_and_sized(repo: ArtifactRepo) -> None:
    repo.write_bytes("a.txt", b"aaa")
    repo.write_bytes("d/x.json", b"{}")
    repo.write_bytes("d/e/deep.txt", b"deep")
    assert repo.list_artifacts() == [
        FileInfo("a.txt", is_dir=False, file_size=3),
        FileInfo("d", is_dir=True),
    ]
    assert repo.list_artifacts("d") == [
        FileInfo("d/e", is_dir=True),
        FileInfo("d/x.json", is_dir=False, file_size=2),
    ]
    assert repo.list_artifacts("d/e") == [FileInfo("d/e/deep.txt", is_dir=False, file_size=4)]
    assert repo.list_artifacts("a.txt") == []
    assert repo.list_artifacts("missing") == []


def test_a_write_by_another_client_is_listed_at_once(
    repo: ArtifactRepo, s3_bucket: str, moto_endpoint: str
) -> None:
    """Listings are not cached: another server worker may have written meanwhile."""
    assert repo.list_artifacts() == []
    ArtifactRepo.from_uri(f"s3://{s3_bucket}/root/prefix").write_bytes("new.txt", b"n")
    assert [info.path for info in repo.list_artifacts()] == ["new.txt"]


def test_delete_of_a_file_a_folder_and_the_root(
    repo: ArtifactRepo, s3_bucket: str, moto_endpoint: str
) -> None:
    for name in ("a.txt", "d/x.json", "d/e/deep.txt", "k/keep.txt"):
        repo.write_bytes(name, b"1")
    repo.delete_artifacts("a.txt")
    repo.delete_artifacts("d")
    assert [info.path for info in repo.list_artifacts()] == ["k"]
    assert _keys(moto_endpoint, s3_bucket) == ["root/prefix/k/keep.txt"]
    repo.delete_artifacts("nothing/here")  # a retried delete succeeds
    repo.delete_artifacts()
    assert repo.list_artifacts() == []
    assert _keys(moto_endpoint, s3_bucket) == []


def test_deleting_the_root_keeps_objects_beside_it(s3_bucket: str, moto_endpoint: str) -> None:
    ArtifactRepo.from_uri(f"s3://{s3_bucket}/other").write_bytes("o.txt", b"o")
    repo = ArtifactRepo.from_uri(f"s3://{s3_bucket}/root")
    repo.write_bytes("r.txt", b"r")
    repo.delete_artifacts()
    assert _keys(moto_endpoint, s3_bucket) == ["other/o.txt"]


def test_download_of_a_folder_and_of_everything(repo: ArtifactRepo, tmp_path: Path) -> None:
    repo.write_bytes("a.txt", b"aaa")
    repo.write_bytes("d/x.json", b"{}")
    repo.write_bytes("d/e/deep.txt", b"deep")
    folder = Path(repo.download_artifacts("d", str(tmp_path / "one")))
    assert folder == tmp_path / "one" / "d"
    assert (folder / "x.json").read_bytes() == b"{}"
    assert (folder / "e" / "deep.txt").read_bytes() == b"deep"
    everything = Path(repo.download_artifacts("", str(tmp_path / "all")))
    assert sorted(p.relative_to(everything).as_posix() for p in everything.rglob("*")) == [
        "a.txt",
        "d",
        "d/e",
        "d/e/deep.txt",
        "d/x.json",
    ]
    with pytest.raises(NotFound, match="nope"):
        repo.download_artifacts("nope", str(tmp_path / "x"))


@pytest.mark.slow
def test_a_30_mb_stream_is_stored_complete(
    repo: ArtifactRepo, s3_bucket: str, moto_endpoint: str
) -> None:
    total = 30 * MB
    expected = hashlib.sha256()
    for chunk in _chunks(total):
        expected.update(chunk)
    repo.write_stream("big/blob.bin", _chunks(total))

    assert repo.list_artifacts("big") == [FileInfo("big/blob.bin", is_dir=False, file_size=total)]
    got = hashlib.sha256()
    with repo.open_artifact("big/blob.bin") as stream:
        while chunk := stream.read(4 * MB):
            got.update(chunk)
    assert got.hexdigest() == expected.hexdigest()
    head = s3_client(moto_endpoint).head_object(Bucket=s3_bucket, Key="root/prefix/big/blob.bin")
    assert head["ETag"].endswith('-4"')  # sent in four 8 MB parts: S3's multipart upload
    assert pending_uploads(moto_endpoint, s3_bucket) == []


def test_an_interrupted_stream_leaves_nothing(
    repo: ArtifactRepo, s3_bucket: str, moto_endpoint: str
) -> None:
    def failing() -> Iterator[bytes]:
        yield b"x" * MB
        yield b"y" * MB
        raise ConnectionResetError("the client went away")

    with pytest.raises(ConnectionResetError):
        repo.write_stream("part/ial.bin", failing())
    assert repo.list_artifacts() == []
    assert _keys(moto_endpoint, s3_bucket) == []
    assert pending_uploads(moto_endpoint, s3_bucket) == []
    repo.write_stream("part/ial.bin", iter([b"retried"]))  # and a retry succeeds
    assert repo.read_bytes("part/ial.bin") == b"retried"


# -- multipart uploads --------------------------------------------------------------------------


def test_multipart_upload_publishes_the_concatenated_parts(
    repo: ArtifactRepo, s3_bucket: str, moto_endpoint: str
) -> None:
    assert repo.supports_multipart
    parts = [b"a" * (5 * MB), b"b" * (5 * MB), b"tail"]
    upload_id = repo.create_multipart_upload("mp/file.bin")
    etags = [
        (number, repo.upload_part("mp/file.bin", upload_id, number, iter([data])))
        for number, data in enumerate(parts, start=1)
    ]
    assert repo.list_artifacts() == []  # nothing is visible before completion
    repo.complete_multipart_upload("mp/file.bin", upload_id, list(reversed(etags)))
    assert repo.read_bytes("mp/file.bin") == b"".join(parts)
    assert pending_uploads(moto_endpoint, s3_bucket) == []


def test_an_aborted_multipart_upload_leaves_nothing(
    repo: ArtifactRepo, s3_bucket: str, moto_endpoint: str
) -> None:
    upload_id = repo.create_multipart_upload("mp/file.bin")
    repo.upload_part("mp/file.bin", upload_id, 1, iter([b"a" * (5 * MB)]))
    repo.abort_multipart_upload("mp/file.bin", upload_id)
    assert repo.list_artifacts() == []
    assert _keys(moto_endpoint, s3_bucket) == []
    assert pending_uploads(moto_endpoint, s3_bucket) == []


def test_multipart_mistakes_are_the_callers(repo: ArtifactRepo) -> None:
    upload_id = repo.create_multipart_upload("mp/file.bin")
    repo.upload_part("mp/file.bin", upload_id, 1, iter([b"a" * (5 * MB)]))
    with pytest.raises(InvalidParameterValue, match="part number"):
        repo.upload_part("mp/file.bin", upload_id, 0, iter([b"x"]))
    with pytest.raises(InvalidParameterValue):  # an ETag that no part has
        repo.complete_multipart_upload("mp/file.bin", upload_id, [(1, '"0000"')])
    # (An unknown upload id is S3's NoSuchUpload, a NotFound here; moto answers 500 instead.)
    with pytest.raises(InvalidParameterValue):
        repo.create_multipart_upload("../escape.bin")
    repo.abort_multipart_upload("mp/file.bin", upload_id)


def test_multipart_needs_s3(tmp_path: Path) -> None:
    local = ArtifactRepo.from_uri(str(tmp_path / "artifacts"))
    assert not local.supports_multipart
    with pytest.raises(NotImplementedFeature):
        local.create_multipart_upload("f.bin")
