"""Project sources: local folders, and real git repositories cloned into a cache."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from runstone.errors import InvalidParameterValue
from runstone.projects.sources import _is_git_url, fetch_project, without_credentials

GIT = [
    "git",
    "-c",
    "user.name=Test",
    "-c",
    "user.email=test@example.com",
    "-c",
    "init.defaultBranch=main",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "tag.gpgsign=false",
]


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit_files(work: Path, message: str, **files: str) -> str:
    for name, text in files.items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", message)
    return git(work, "rev-parse", "HEAD")


@dataclass
class Origin:
    work: Path  # a work tree
    bare: Path  # its bare clone, the "remote"
    first: str  # tagged v1
    second: str  # main
    feature: str  # branch feature

    @property
    def url(self) -> str:
        return self.bare.as_uri()


@pytest.fixture
def origin(tmp_path: Path) -> Origin:
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "--quiet")
    first = commit_files(
        work, "one", **{"MLproject": "name: v1\n", "sub/dir/MLproject": "name: sub\n"}
    )
    git(work, "tag", "-a", "v1", "-m", "version 1")
    second = commit_files(work, "two", MLproject="name: v2\n")
    git(work, "checkout", "--quiet", "-b", "feature")
    feature = commit_files(work, "three", MLproject="name: feature\n")
    git(work, "checkout", "--quiet", "main")
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(work), str(bare))
    return Origin(work, bare, first, second, feature)


def project_name(root: Path) -> str:
    return (root / "MLproject").read_text().strip()


# -- git sources -----------------------------------------------------------------------------


def test_default_branch_of_a_file_url(origin: Origin, tmp_path: Path) -> None:
    source = fetch_project(origin.url, cache_dir=tmp_path / "cache")
    assert project_name(source.root) == "name: v2"
    assert source.git_commit == origin.second
    assert source.git_branch == "main"
    assert source.git_repo_url == origin.url
    assert source.source_name == origin.url
    assert source.root.is_relative_to(tmp_path / "cache")


def test_subdirectory(origin: Origin, tmp_path: Path) -> None:
    source = fetch_project(f"{origin.url}#sub/dir", origin.first, tmp_path / "cache")
    assert project_name(source.root) == "name: sub"
    assert source.root.name == "dir"
    assert source.subdirectory == "sub/dir"
    assert source.source_name == f"{origin.url}#sub/dir"
    assert source.git_repo_url == origin.url


def test_pinned_commit_full_and_abbreviated(origin: Origin, tmp_path: Path) -> None:
    full = fetch_project(origin.url, origin.first, tmp_path / "cache")
    assert project_name(full.root) == "name: v1"
    assert full.git_commit == origin.first
    assert full.git_branch is None
    short = fetch_project(origin.url, origin.first[:10], tmp_path / "other-cache")
    assert short.git_commit == origin.first
    assert project_name(short.root) == "name: v1"


def test_tag_and_branch(origin: Origin, tmp_path: Path) -> None:
    tag = fetch_project(origin.url, "v1", tmp_path / "cache")
    assert tag.git_commit == origin.first  # the commit, not the annotated tag object
    assert tag.git_branch is None
    branch = fetch_project(origin.url, "feature", tmp_path / "cache")
    assert branch.git_commit == origin.feature
    assert branch.git_branch == "feature"
    assert project_name(branch.root) == "name: feature"


def test_a_cached_commit_is_not_cloned_again(origin: Origin, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = fetch_project(origin.url, origin.first, cache)
    (first.root / "marker").write_text("still here")
    shutil.rmtree(origin.bare)  # nothing left to clone from
    again = fetch_project(origin.url, origin.first, cache)
    assert again.root == first.root
    assert (again.root / "marker").read_text() == "still here"
    assert again.git_commit == origin.first
    abbreviated = fetch_project(origin.url, origin.first[:8], cache)
    assert abbreviated.root == first.root


def test_a_branch_at_a_cached_commit_is_not_cloned_again(origin: Origin, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = fetch_project(origin.url, None, cache)
    (first.root / "marker").write_text("x")
    again = fetch_project(origin.url, "main", cache)
    assert again.root == first.root
    assert (again.root / "marker").exists()
    assert again.git_branch == "main"
    (checkouts,) = [p for p in cache.iterdir()]
    assert [p.name for p in checkouts.iterdir()] == [origin.second]
    # A new commit on the branch is a new checkout.
    commit_files(origin.work, "four", MLproject="name: v4\n")
    git(origin.work, "push", "--quiet", str(origin.bare), "main")
    newer = fetch_project(origin.url, "main", cache)
    assert newer.root != first.root
    assert project_name(newer.root) == "name: v4"


@pytest.mark.parametrize("version", ["no-such-branch", "deadbeef", "0" * 40])
def test_bad_version_is_a_clear_error(origin: Origin, tmp_path: Path, version: str) -> None:
    with pytest.raises(InvalidParameterValue) as caught:
        fetch_project(origin.url, version, tmp_path / "cache")
    assert "\n" not in caught.value.message
    assert version in caught.value.message or "Cannot fetch project" in caught.value.message
    leftovers = list((tmp_path / "cache").rglob("*")) if (tmp_path / "cache").exists() else []
    assert all(p.is_dir() and not any(p.iterdir()) for p in leftovers)


@pytest.mark.parametrize(
    ("uri", "version", "expected"),
    [
        ("ORIGIN", "--upload-pack=touch pwned", "is not allowed"),
        ("ORIGIN", "main branch", "not a valid git revision"),
        ("ssh://-oProxyCommand=touch%20pwned/repo", None, "is not allowed"),
        ("ORIGIN#../escape", None, "without '..'"),
        ("ORIGIN#/etc", None, "without '..'"),
        ("ORIGIN#no/such/dir", None, "is not a folder of the project"),
    ],
)
def test_refused_uris_and_versions(
    origin: Origin, tmp_path: Path, uri: str, version: str | None, expected: str
) -> None:
    with pytest.raises(InvalidParameterValue, match=expected):
        fetch_project(uri.replace("ORIGIN", origin.url), version, tmp_path / "cache")
    assert not (tmp_path / "pwned").exists()
    assert not Path("pwned").exists()


def test_unreachable_repository_names_it_without_credentials(tmp_path: Path) -> None:
    missing = (tmp_path / "missing.git").as_uri()
    with pytest.raises(InvalidParameterValue, match="Cannot fetch project") as caught:
        fetch_project("https://user:secret@127.0.0.1:9/repo.git", None, tmp_path / "cache")
    assert "secret" not in caught.value.message
    assert "https://127.0.0.1:9/repo.git" in caught.value.message
    with pytest.raises(InvalidParameterValue, match="Cannot fetch project"):
        fetch_project(missing, None, tmp_path / "cache")


def test_missing_git_is_one_clear_error(
    origin: Origin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(InvalidParameterValue, match="git is not installed"):
        fetch_project(origin.url, None, tmp_path / "cache")


# -- local folders ---------------------------------------------------------------------------


def test_plain_local_folder_is_used_in_place(tmp_path: Path) -> None:
    folder = tmp_path / "proj"
    (folder / "sub").mkdir(parents=True)
    source = fetch_project(str(folder))
    assert source.root == folder
    assert source.source_name == str(folder)
    assert (source.git_commit, source.git_repo_url, source.git_branch) == (None, None, None)
    by_uri = fetch_project(f"{folder.as_uri()}#sub")
    assert by_uri.root == folder / "sub"
    assert by_uri.source_name == f"{folder}#sub"


def test_version_on_a_plain_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match="needs a git repository"):
        fetch_project(str(tmp_path), "main", tmp_path / "cache")


def test_missing_local_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match="does not exist"):
        fetch_project(str(tmp_path / "nowhere"))


def test_local_work_tree_records_its_commit_in_place(origin: Origin) -> None:
    git(origin.work, "remote", "add", "origin", "https://user:token@example.com/team/repo.git")
    source = fetch_project(str(origin.work))
    assert source.root == origin.work
    assert source.git_commit == origin.second
    assert source.git_branch == "main"
    assert source.git_repo_url == "https://example.com/team/repo.git"


def test_local_work_tree_with_a_version_is_cloned(origin: Origin, tmp_path: Path) -> None:
    source = fetch_project(f"{origin.work}#sub/dir", "v1", tmp_path / "cache")
    assert source.root.is_relative_to(tmp_path / "cache")
    assert project_name(source.root) == "name: sub"
    assert source.git_commit == origin.first
    assert source.git_repo_url == origin.work.as_uri()


def test_bare_repository_path_is_a_git_source(origin: Origin, tmp_path: Path) -> None:
    source = fetch_project(str(origin.bare), None, tmp_path / "cache")
    assert source.git_commit == origin.second
    assert project_name(source.root) == "name: v2"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@github.com/a/b.git", "https://github.com/a/b.git"),
        ("https://token@github.com/a/b.git", "https://github.com/a/b.git"),
        ("ssh://git:pw@host/a.git", "ssh://git@host/a.git"),
        ("ssh://git@host/a.git", "ssh://git@host/a.git"),
        ("git@github.com:a/b.git", "git@github.com:a/b.git"),
        ("file:///srv/repo.git", "file:///srv/repo.git"),
    ],
)
def test_without_credentials(url: str, shown: str) -> None:
    assert without_credentials(url) == shown


@pytest.mark.parametrize(
    ("uri", "is_git"),
    [
        ("https://github.com/a/b.git", True),
        ("http://host/a", True),
        ("ssh://git@host/a.git", True),
        ("git://host/a.git", True),
        ("git@github.com:a/b.git", True),
        ("file:///srv/repo", False),
        ("./folder", False),
        ("C:/folder", False),
        ("s3://bucket/project", False),
    ],
)
def test_git_url_classification(uri: str, is_git: bool) -> None:
    assert _is_git_url(uri) is is_git


def test_other_schemes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match="neither a local folder nor a git URL"):
        fetch_project("s3://bucket/project", None, tmp_path / "cache")
