from __future__ import annotations

import importlib.util
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import fsspec  # type: ignore[import-untyped]
import pytest

from runstone.artifacts import TEMP_PREFIX, ArtifactRepo
from runstone.artifacts import files as repo_files
from runstone.entities import FileInfo
from runstone.errors import InvalidParameterValue, NotFound


@pytest.fixture(params=["local", "memory"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArtifactRepo]:
    """The same tests on a local folder and on fsspec's in-memory filesystem."""
    if request.param == "local":
        yield ArtifactRepo.from_uri(str(tmp_path / "artifacts"))
        return
    path = f"/runstone-tests/{uuid.uuid4().hex}"
    yield ArtifactRepo.from_uri(f"memory://{path}")
    memory = fsspec.filesystem("memory")
    if memory.exists(path):
        memory.rm(path, recursive=True)


@pytest.fixture
def local_repo(tmp_path: Path) -> ArtifactRepo:
    return ArtifactRepo.from_uri(str(tmp_path / "artifacts"))


@pytest.fixture
def source_dir(tmp_path: Path) -> Path:
    """A local folder to upload: two files at the top, one nested, and an empty folder."""
    src = tmp_path / "src"
    (src / "d" / "e").mkdir(parents=True)
    (src / "empty").mkdir()
    (src / "a.txt").write_bytes(b"aaa")
    (src / "b.bin").write_bytes(bytes(range(256)))
    (src / "d" / "x.json").write_bytes(b"{}")
    (src / "d" / "e" / "deep.txt").write_bytes(b"deep")
    return src


def _tree(directory: Path) -> dict[str, bytes]:
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


# -- writing and reading ------------------------------------------------------------------------


def test_written_bytes_read_back_unchanged(repo: ArtifactRepo) -> None:
    repo.write_bytes("d/x.bin", b"\x00\x01payload")
    assert repo.read_bytes("d/x.bin") == b"\x00\x01payload"


def test_write_bytes_replaces_an_existing_file(repo: ArtifactRepo) -> None:
    repo.write_bytes("a.txt", b"first, and longer")
    repo.write_bytes("a.txt", b"second")
    assert repo.read_bytes("a.txt") == b"second"


def test_write_stream_accepts_file_objects_and_chunk_iterables(
    repo: ArtifactRepo, tmp_path: Path
) -> None:
    local = tmp_path / "big.bin"
    local.write_bytes(b"z" * (3 * repo_files.CHUNK_SIZE + 5))
    with local.open("rb") as stream:
        repo.write_stream("big.bin", stream)
    repo.write_stream("chunks.txt", iter([b"a", b"", b"bc"]))
    assert repo.read_bytes("big.bin") == local.read_bytes()
    assert repo.read_bytes("chunks.txt") == b"abc"


def test_open_artifact_streams_a_file(repo: ArtifactRepo) -> None:
    repo.write_bytes("s.txt", b"streamed")
    with repo.open_artifact("s.txt") as stream:
        assert stream.read(3) == b"str"
        assert stream.read() == b"eamed"


def test_reading_a_missing_file_is_not_found_naming_it(repo: ArtifactRepo) -> None:
    with pytest.raises(NotFound, match=r"'nope/x\.txt'"):
        repo.read_bytes("nope/x.txt")


def test_reading_a_folder_is_refused(repo: ArtifactRepo) -> None:
    repo.write_bytes("d/x.txt", b"x")
    with pytest.raises(InvalidParameterValue, match="not a file"):
        repo.read_bytes("d")


def test_writing_over_a_folder_is_refused(local_repo: ArtifactRepo) -> None:
    local_repo.write_bytes("d/x.txt", b"x")
    with pytest.raises(InvalidParameterValue, match="in the way"):
        local_repo.write_bytes("d", b"y")
    with pytest.raises(InvalidParameterValue, match="in the way"):
        local_repo.write_bytes("d/x.txt/below", b"y")


def test_log_artifact_keeps_the_file_name_under_the_artifact_path(
    repo: ArtifactRepo, tmp_path: Path
) -> None:
    local = tmp_path / "model.pkl"
    local.write_bytes(b"weights")
    repo.log_artifact(local)
    repo.log_artifact(str(local), "sub/dir")
    assert repo.read_bytes("model.pkl") == b"weights"
    assert repo.read_bytes("sub/dir/model.pkl") == b"weights"


def test_log_artifact_of_a_missing_local_file_is_not_found(
    repo: ArtifactRepo, tmp_path: Path
) -> None:
    with pytest.raises(NotFound, match=r"missing\.txt"):
        repo.log_artifact(tmp_path / "missing.txt")
    with pytest.raises(NotFound, match="no-dir"):
        repo.log_artifacts(tmp_path / "no-dir")


def test_log_artifacts_uploads_a_folder_recursively(
    repo: ArtifactRepo, source_dir: Path, tmp_path: Path
) -> None:
    repo.log_artifacts(source_dir, "up")
    downloaded = Path(repo.download_artifacts("up", str(tmp_path / "dst")))
    assert downloaded == tmp_path / "dst" / "up"
    assert _tree(downloaded) == _tree(source_dir)


def test_log_artifacts_keeps_empty_folders_on_local_storage(
    local_repo: ArtifactRepo, source_dir: Path
) -> None:
    local_repo.log_artifacts(source_dir)
    assert FileInfo("empty", is_dir=True) in local_repo.list_artifacts()
    assert local_repo.list_artifacts("empty") == []


def test_log_artifacts_uploads_files_concurrently(
    repo: ArtifactRepo, source_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each upload waits until all four are in flight: this only finishes if they overlap.
    barrier = threading.Barrier(4, timeout=10)
    upload = ArtifactRepo._upload

    def overlapping_upload(
        self: ArtifactRepo, local_file: str, rel: str, progress: object = None
    ) -> None:
        barrier.wait()
        upload(self, local_file, rel, progress)  # type: ignore[arg-type]

    monkeypatch.setattr(ArtifactRepo, "_upload", overlapping_upload)
    repo.log_artifacts(source_dir)
    assert repo.read_bytes("d/e/deep.txt") == b"deep"


def test_log_artifacts_refuses_an_unsafe_file_name_before_uploading_anything(
    repo: ArtifactRepo, source_dir: Path
) -> None:
    (source_dir / "d" / "bad#name.txt").write_bytes(b"x")
    with pytest.raises(InvalidParameterValue, match="bad#name"):
        repo.log_artifacts(source_dir)
    assert repo.list_artifacts() == []


# -- listing ------------------------------------------------------------------------------------


def test_list_artifacts_gives_sorted_children_with_root_relative_paths(
    repo: ArtifactRepo,
) -> None:
    repo.write_bytes("b.txt", b"12345")
    repo.write_bytes("a.txt", b"1")
    repo.write_bytes("d/x.json", b"{}")
    repo.write_bytes("d/sub/y.txt", b"y")
    assert repo.list_artifacts() == [
        FileInfo("a.txt", is_dir=False, file_size=1),
        FileInfo("b.txt", is_dir=False, file_size=5),
        FileInfo("d", is_dir=True, file_size=None),
    ]
    assert repo.list_artifacts("d") == [
        FileInfo("d/sub", is_dir=True),
        FileInfo("d/x.json", is_dir=False, file_size=2),
    ]
    assert repo.list_artifacts("./d/") == repo.list_artifacts("d")


def test_listing_a_missing_path_or_a_file_gives_nothing(repo: ArtifactRepo) -> None:
    assert repo.list_artifacts() == []
    assert repo.list_artifacts("nope") == []
    repo.write_bytes("f.txt", b"f")
    assert repo.list_artifacts("f.txt") == []


def test_names_with_glob_characters_are_taken_literally(repo: ArtifactRepo) -> None:
    repo.write_bytes("plot[1].png", b"one")
    repo.write_bytes("plot1.png", b"other")
    repo.delete_artifacts("plot[1].png")
    assert [info.path for info in repo.list_artifacts()] == ["plot1.png"]


# -- downloading --------------------------------------------------------------------------------


def test_download_of_a_file_lands_at_its_relative_path_under_dst(
    repo: ArtifactRepo, tmp_path: Path
) -> None:
    repo.write_bytes("d/x.json", b"{}")
    local = repo.download_artifacts("d/x.json", str(tmp_path / "dst"))
    assert local == str(tmp_path / "dst" / "d" / "x.json")
    assert Path(local).read_bytes() == b"{}"


def test_download_without_dst_uses_a_new_temporary_folder(repo: ArtifactRepo) -> None:
    repo.write_bytes("d/e/f.txt", b"f")
    first = Path(repo.download_artifacts("d"))
    second = Path(repo.download_artifacts("d"))
    assert first != second
    assert _tree(first) == {"e/f.txt": b"f"}


def test_download_of_the_root_copies_everything(repo: ArtifactRepo, tmp_path: Path) -> None:
    repo.write_bytes("a.txt", b"a")
    repo.write_bytes("d/e/f.txt", b"f")
    local = repo.download_artifacts("", str(tmp_path / "all"))
    assert _tree(Path(local)) == {"a.txt": b"a", "d/e/f.txt": b"f"}


def test_download_of_a_missing_path_is_not_found_naming_it(
    repo: ArtifactRepo, tmp_path: Path
) -> None:
    with pytest.raises(NotFound, match="'missing/x'"):
        repo.download_artifacts("missing/x", str(tmp_path))


# -- deleting -----------------------------------------------------------------------------------


def test_delete_removes_a_file_or_a_whole_folder(repo: ArtifactRepo) -> None:
    repo.write_bytes("keep.txt", b"k")
    repo.write_bytes("gone.txt", b"g")
    repo.write_bytes("d/x.txt", b"x")
    repo.write_bytes("d/e/y.txt", b"y")
    repo.delete_artifacts("gone.txt")
    repo.delete_artifacts("d")
    assert [info.path for info in repo.list_artifacts()] == ["keep.txt"]
    with pytest.raises(NotFound):
        repo.read_bytes("d/e/y.txt")


def test_deleting_what_does_not_exist_does_nothing(repo: ArtifactRepo) -> None:
    repo.delete_artifacts("never/was")
    assert repo.list_artifacts() == []


def test_deleting_the_root_removes_everything(repo: ArtifactRepo) -> None:
    repo.write_bytes("a.txt", b"a")
    repo.write_bytes("d/x.txt", b"x")
    repo.delete_artifacts()
    assert repo.list_artifacts() == []
    repo.write_bytes("again.txt", b"still usable")
    assert repo.read_bytes("again.txt") == b"still usable"


# -- every path goes through the safe functions -------------------------------------------------

VERBS: dict[str, Callable[[ArtifactRepo, str], object]] = {
    "read_bytes": lambda repo, path: repo.read_bytes(path),
    "write_bytes": lambda repo, path: repo.write_bytes(path, b"x"),
    "write_stream": lambda repo, path: repo.write_stream(path, [b"x"]),
    "list_artifacts": lambda repo, path: repo.list_artifacts(path),
    "download_artifacts": lambda repo, path: repo.download_artifacts(path),
    "delete_artifacts": lambda repo, path: repo.delete_artifacts(path),
    "open_artifact": lambda repo, path: repo.open_artifact(path),
}


@pytest.mark.parametrize("verb", sorted(VERBS))
@pytest.mark.parametrize(
    "path",
    ["../escape", "%2e%2e/escape", "/etc/passwd", "a\\b", "a%00b", "a#b", f"d/{TEMP_PREFIX}x"],
)
def test_every_verb_refuses_unsafe_and_reserved_paths(
    repo: ArtifactRepo, verb: str, path: str
) -> None:
    with pytest.raises(InvalidParameterValue, match="Invalid artifact path"):
        VERBS[verb](repo, path)


def test_log_artifact_refuses_an_unsafe_artifact_path(repo: ArtifactRepo, tmp_path: Path) -> None:
    local = tmp_path / "f.txt"
    local.write_bytes(b"f")
    with pytest.raises(InvalidParameterValue):
        repo.log_artifact(local, "../up")
    with pytest.raises(InvalidParameterValue):
        repo.log_artifacts(tmp_path, "%2e%2e")


def test_file_verbs_refuse_the_empty_path(repo: ArtifactRepo) -> None:
    for verb in ("read_bytes", "write_bytes", "write_stream", "open_artifact"):
        with pytest.raises(InvalidParameterValue, match="names no file"):
            VERBS[verb](repo, "")


# -- symbolic links on local storage ------------------------------------------------------------


@pytest.fixture
def planted(tmp_path: Path) -> tuple[ArtifactRepo, Path]:
    """A local repository holding links to a file and a folder outside it."""
    root, outside = tmp_path / "artifacts", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    (root / "leak.txt").symlink_to(outside / "secret.txt")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "ok.txt").write_bytes(b"ok")
    return ArtifactRepo.from_uri(root.as_uri()), outside


def test_a_link_pointing_outside_is_refused_for_reading(planted: tuple[ArtifactRepo, Path]) -> None:
    repo, _ = planted
    for path in ("leak.txt", "escape/secret.txt"):
        with pytest.raises(InvalidParameterValue, match="outside the artifact root"):
            repo.read_bytes(path)
        with pytest.raises(InvalidParameterValue, match="outside the artifact root"):
            repo.download_artifacts(path)


def test_a_link_pointing_outside_is_refused_for_writing(
    planted: tuple[ArtifactRepo, Path], tmp_path: Path
) -> None:
    repo, outside = planted
    local = tmp_path / "planted.txt"
    local.write_bytes(b"planted")
    with pytest.raises(InvalidParameterValue, match="outside the artifact root"):
        repo.write_bytes("leak.txt", b"overwritten")
    with pytest.raises(InvalidParameterValue, match="outside the artifact root"):
        repo.log_artifact(local, "escape")
    assert (outside / "secret.txt").read_bytes() == b"secret"
    assert sorted(os.listdir(outside)) == ["secret.txt"]


def test_links_pointing_outside_are_not_listed_or_downloaded(
    planted: tuple[ArtifactRepo, Path], tmp_path: Path
) -> None:
    repo, _ = planted
    assert repo.list_artifacts() == [FileInfo("ok.txt", is_dir=False, file_size=2)]
    with pytest.raises(InvalidParameterValue):
        repo.list_artifacts("escape")
    assert _tree(Path(repo.download_artifacts("", str(tmp_path / "dst")))) == {"ok.txt": b"ok"}


def test_links_inside_the_root_are_followed(local_repo: ArtifactRepo, tmp_path: Path) -> None:
    local_repo.write_bytes("real/x.txt", b"x")
    root = tmp_path / "artifacts"
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    assert local_repo.read_bytes("alias/x.txt") == b"x"
    assert FileInfo("alias", is_dir=True) in local_repo.list_artifacts()


def test_a_link_back_up_the_tree_does_not_make_a_download_loop(
    local_repo: ArtifactRepo, tmp_path: Path
) -> None:
    local_repo.write_bytes("d/x.txt", b"x")
    root = tmp_path / "artifacts"
    (root / "d" / "up").symlink_to(root, target_is_directory=True)
    (root / "alias").symlink_to(root / "d", target_is_directory=True)
    downloaded = Path(local_repo.download_artifacts("", str(tmp_path / "dst")))
    assert _tree(downloaded) == {"alias/x.txt": b"x", "d/x.txt": b"x"}


def test_deleting_a_link_removes_the_link_not_its_target(
    planted: tuple[ArtifactRepo, Path],
) -> None:
    repo, outside = planted
    repo.delete_artifacts("leak.txt")
    repo.delete_artifacts("escape")
    assert (outside / "secret.txt").read_bytes() == b"secret"
    assert [info.path for info in repo.list_artifacts()] == ["ok.txt"]


# -- atomic writes ------------------------------------------------------------------------------


class FailingReader:
    """A binary file object that breaks after handing out some data."""

    def __init__(self, good_chunks: int) -> None:
        self.left = good_chunks

    def read(self, size: int = -1, /) -> bytes:
        if self.left == 0:
            raise OSError("connection reset while uploading")
        self.left -= 1
        return b"partial " * 1000


def _failing_chunks() -> Iterator[bytes]:
    yield b"first half"
    raise ConnectionError("client went away")


def test_a_write_that_fails_midway_leaves_nothing_behind(
    local_repo: ArtifactRepo, tmp_path: Path
) -> None:
    with pytest.raises(OSError, match="connection reset"):
        local_repo.write_stream("d/model.bin", FailingReader(good_chunks=3))
    with pytest.raises(ConnectionError):
        local_repo.write_stream("d/other.bin", _failing_chunks())
    assert local_repo.list_artifacts() == []
    assert list(tmp_path.glob("artifacts/**/*")) == []  # no final file, no temporary file


def test_a_failed_rewrite_keeps_the_previous_content(local_repo: ArtifactRepo) -> None:
    local_repo.write_bytes("model.bin", b"version 1")
    with pytest.raises(OSError, match="connection reset"):
        local_repo.write_stream("model.bin", FailingReader(good_chunks=2))
    assert local_repo.read_bytes("model.bin") == b"version 1"
    assert local_repo.list_artifacts() == [FileInfo("model.bin", is_dir=False, file_size=9)]


def test_a_failed_write_publishes_nothing_on_any_storage(repo: ArtifactRepo) -> None:
    with pytest.raises(ConnectionError):
        repo.write_stream("d/other.bin", _failing_chunks())
    assert repo.list_artifacts() == []
    with pytest.raises(NotFound):
        repo.read_bytes("d/other.bin")


def test_leftovers_of_an_interrupted_write_are_hidden(
    local_repo: ArtifactRepo, tmp_path: Path
) -> None:
    local_repo.write_bytes("d/x.txt", b"x")
    (tmp_path / "artifacts" / "d" / f"{TEMP_PREFIX}3f2a").write_bytes(b"half a fi")
    assert local_repo.list_artifacts("d") == [FileInfo("d/x.txt", is_dir=False, file_size=1)]
    downloaded = Path(local_repo.download_artifacts("d", str(tmp_path / "dst")))
    assert _tree(downloaded) == {"x.txt": b"x"}


def test_new_files_get_the_usual_permissions(local_repo: ArtifactRepo, tmp_path: Path) -> None:
    local_repo.write_bytes("x.txt", b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "artifacts" / "x.txt").stat().st_mode & 0o777 == 0o666 & ~umask


# -- choosing the storage by URI ----------------------------------------------------------------


def test_file_uris_plain_paths_and_relative_paths_are_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spaced = tmp_path / "with space"
    ArtifactRepo.from_uri(spaced.as_uri()).write_bytes("a.txt", b"1")
    assert (spaced / "a.txt").read_bytes() == b"1"
    ArtifactRepo.from_uri(str(tmp_path / "plain")).write_bytes("b.txt", b"2")
    assert (tmp_path / "plain" / "b.txt").read_bytes() == b"2"
    monkeypatch.chdir(tmp_path)
    ArtifactRepo.from_uri("rel/dir").write_bytes("c.txt", b"3")
    assert (tmp_path / "rel" / "dir" / "c.txt").read_bytes() == b"3"
    ArtifactRepo.from_uri("file://localhost" + str(tmp_path / "lh")).write_bytes("d.txt", b"4")
    assert (tmp_path / "lh" / "d.txt").read_bytes() == b"4"


def test_fsspec_schemes_get_the_same_repository(tmp_path: Path) -> None:
    repo = ArtifactRepo.from_uri(f"memory://runstone-tests/{uuid.uuid4().hex}")
    assert repr(repo).startswith("ArtifactRepo('memory://")
    repo.write_bytes("x.txt", b"x")
    assert repo.list_artifacts() == [FileInfo("x.txt", is_dir=False, file_size=1)]
    repo.delete_artifacts()


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("runs:/abc/model", "not a storage location"),
        ("models:/name/1", "not a storage location"),
        ("mlflow-artifacts:/1/abc/artifacts", "tracking URI must be an http"),
        ("https://host/api", "not an artifact proxy URL"),
        ("nosuchscheme://x/y", "Unsupported artifact URI scheme 'nosuchscheme'"),
        ("file://otherhost/x", "remote host"),
        ("", "empty"),
    ],
)
def test_uris_that_are_not_storage_are_refused(uri: str, message: str) -> None:
    with pytest.raises(InvalidParameterValue, match=message):
        ArtifactRepo.from_uri(uri)


@pytest.mark.skipif(importlib.util.find_spec("gcsfs") is not None, reason="gcsfs is installed")
def test_a_missing_cloud_package_is_named() -> None:
    with pytest.raises(InvalidParameterValue, match="gcsfs"):
        ArtifactRepo.from_uri("gs://bucket/prefix")


def test_writes_with_a_checksum_verify_it_and_local_files_record_it(
    repo: ArtifactRepo, local_repo: ArtifactRepo
) -> None:
    import hashlib

    from runstone.errors import DataLoss

    data = os.urandom(100_000)
    expected = hashlib.sha256(data).hexdigest()
    assert repo.write_stream("d/blob.bin", iter([data[:10], data[10:]]), expected) == expected
    assert repo.write_stream("d/plain.bin", iter([data])) is None
    with pytest.raises(DataLoss):
        repo.write_stream("d/bad.bin", iter([data]), "0" * 64)
    assert [f.path for f in repo.list_artifacts("d")] == ["d/blob.bin", "d/plain.bin"]
    assert local_repo.write_stream("blob.bin", iter([data]), expected) == expected
    assert local_repo.recorded_sha256("blob.bin") == expected
    local_repo.write_stream("plain.bin", iter([data]))
    assert local_repo.recorded_sha256("plain.bin") is None
    assert local_repo.recorded_sha256("missing.bin") is None


def test_local_transfers_report_their_bytes(local_repo: ArtifactRepo, source_dir: Path) -> None:
    moved: list[int] = []
    local_repo.log_artifacts(source_dir, "up", progress=moved.append)
    assert sum(moved) == local_repo.size_of("up") > 0
    moved.clear()
    local_repo.download_artifacts("up", str(source_dir.parent / "down"), progress=moved.append)
    assert sum(moved) == local_repo.size_of("up")
