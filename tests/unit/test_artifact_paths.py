from __future__ import annotations

import os
import posixpath
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runstone.artifacts.paths import join_inside, safe_relative_path
from runstone.errors import InvalidParameterValue

EVIL_PATHS = [
    # parent segments, plain and hidden
    "..",
    "../x",
    "a/../../x",
    "a/..",
    "a/../b",
    "...",
    ". .",
    " ",
    "a/ /b",
    "%2e%2e",
    "%2E%2E/x",
    ".%2e/x",
    "%2e./x",
    "a/%2e%2e/%2e%2e/x",
    "%252e%252e/x",
    "%25252e%25252e/x",
    "..%2fx",
    "..%252fx",
    "\u2025/x",  # two dot leader: NFKC ".."
    "a/\uff0e\uff0e/b",  # fullwidth dots
    # absolute paths and roots
    "/",
    "/etc/passwd",
    "//server/share",
    "%2fetc%2fpasswd",
    "%252fetc",
    "a%2fb",
    "a%2Fb",
    "a\uff0fb",  # fullwidth solidus: NFKC "/"
    # backslashes
    "\\",
    "a\\b",
    "..\\x",
    "\\\\server\\share",
    "%5c",
    "a%5cb",
    "a%5Cb",
    "%255c",
    # NUL and other controls
    "a\x00b",
    "%00",
    "a%00.txt",
    "%2500",
    "a\nb",
    "a\rb",
    "a\tb",
    "a\x7fb",
    # fragments
    "#",
    "a#b",
    "a/%23b",
    "a/%2523b",
    # drive letters and schemes
    "C:",
    "C:x",
    "c:/windows",
    "C:\\windows",
    "C%3a/x",
    "file:///etc/passwd",
    "s3://bucket/key",
    "http:",
    "a/C:",
    "a/D:x",
    # encodings that cannot be checked
    "%c0%ae%c0%ae/x",
    "%ff",
    "%2525252525252e",
]

CLEAN_PATHS = [
    ("", ""),
    (".", ""),
    ("./", ""),
    ("a", "a"),
    ("a/b.txt", "a/b.txt"),
    ("a//b", "a/b"),
    ("a/./b/", "a/b"),
    ("./a", "a"),
    ("d/x.json", "d/x.json"),
    ("..a", "..a"),
    ("a..", "a.."),
    ("a..b", "a..b"),
    (".hidden", ".hidden"),
    ("a b.txt", "a b.txt"),
    ("a%20b.txt", "a%20b.txt"),
    ("100%.txt", "100%.txt"),
    ("%", "%"),
    ("%zz", "%zz"),
    ("model:v1", "model:v1"),
    ("dir/model:v1", "dir/model:v1"),
    ("résumé/ñ.txt", "résumé/ñ.txt"),
    ("a+b=c", "a+b=c"),
    ("plot[1].png", "plot[1].png"),
]


@pytest.mark.parametrize("path", EVIL_PATHS)
def test_evil_paths_are_refused_naming_the_path(path: str) -> None:
    with pytest.raises(InvalidParameterValue) as caught:
        safe_relative_path(path)
    assert repr(path) in caught.value.message
    assert caught.value.http_status == 400


@pytest.mark.parametrize(("path", "expected"), CLEAN_PATHS)
def test_clean_paths_are_normalised_and_kept_literal(path: str, expected: str) -> None:
    assert safe_relative_path(path) == expected


def test_a_non_string_path_is_refused() -> None:
    with pytest.raises(InvalidParameterValue, match="not a string"):
        safe_relative_path(b"a/b")  # type: ignore[arg-type]


def test_join_inside_returns_the_real_path_below_the_root(tmp_path: Path) -> None:
    assert join_inside(str(tmp_path), "a/b.txt") == os.path.join(tmp_path.resolve(), "a", "b.txt")
    assert join_inside(str(tmp_path), "") == str(tmp_path.resolve())


@pytest.mark.parametrize("path", ["../x", "%2e%2e/x", "/etc/passwd", "a\\b"])
def test_join_inside_refuses_evil_paths(tmp_path: Path, path: str) -> None:
    with pytest.raises(InvalidParameterValue):
        join_inside(str(tmp_path), path)


def test_join_inside_refuses_a_file_link_pointing_outside(tmp_path: Path) -> None:
    root, outside = _root_and_outside(tmp_path)
    (outside / "secret.txt").write_text("secret")
    (root / "leak.txt").symlink_to(outside / "secret.txt")
    with pytest.raises(InvalidParameterValue, match="outside the artifact root"):
        join_inside(str(root), "leak.txt")


def test_join_inside_refuses_paths_through_a_folder_link_pointing_outside(tmp_path: Path) -> None:
    root, outside = _root_and_outside(tmp_path)
    (root / "escape").symlink_to(outside, target_is_directory=True)
    for path in ("escape", "escape/new.txt", "escape/deeper/new.txt"):
        with pytest.raises(InvalidParameterValue, match="outside the artifact root"):
            join_inside(str(root), path)


def test_join_inside_refuses_a_dangling_link_pointing_outside(tmp_path: Path) -> None:
    root, outside = _root_and_outside(tmp_path)
    (root / "later.txt").symlink_to(outside / "not-yet.txt")
    with pytest.raises(InvalidParameterValue):
        join_inside(str(root), "later.txt")


def test_join_inside_follows_links_that_stay_inside(tmp_path: Path) -> None:
    root, _ = _root_and_outside(tmp_path)
    (root / "real").mkdir()
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    assert join_inside(str(root), "alias/x.txt") == str(root.resolve() / "real" / "x.txt")


def test_join_inside_accepts_a_root_that_is_itself_a_link(tmp_path: Path) -> None:
    root, _ = _root_and_outside(tmp_path)
    (tmp_path / "root-link").symlink_to(root, target_is_directory=True)
    assert join_inside(str(tmp_path / "root-link"), "x") == str(root.resolve() / "x")


def test_join_inside_does_not_confuse_a_sibling_with_the_same_prefix(tmp_path: Path) -> None:
    root, _ = _root_and_outside(tmp_path)
    sibling = tmp_path / "root-other"
    sibling.mkdir()
    (root / "hop").symlink_to(sibling, target_is_directory=True)
    with pytest.raises(InvalidParameterValue):
        join_inside(str(root), "hop/x")


def _root_and_outside(tmp_path: Path) -> tuple[Path, Path]:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    return root, outside


# -- properties ---------------------------------------------------------------------------------

TRICKY = st.sampled_from(
    [*"ab./\\%25eEfFc0#: C", "\x00", "\n", "\uff0e", "\uff0f", "\u2025", "\u00e9"]
)
BENIGN = ["a", "b.txt", "x y", "a%20b", "..x", ".", "", "résumé", "100%", "model:v1"]
EVIL = ["..", "%2e%2e", "%252e%252e", "a%2fb", "a%5cb", "%00", "...", "C:", "#", "\\"]
SEGMENTS = st.sampled_from([*BENIGN, *EVIL])
ROOT = "/srv/artifacts"
PROPERTY_SETTINGS = settings(database=None, max_examples=300, deadline=None)


def _fully_decoded(path: str) -> str:
    for _ in range(8):
        path = unquote(path)
    return path


@PROPERTY_SETTINGS
@given(st.text(TRICKY, max_size=24))
def test_any_accepted_path_joined_to_a_root_stays_inside_it(path: str) -> None:
    try:
        clean = safe_relative_path(path)
    except InvalidParameterValue:
        return
    joined = posixpath.normpath(posixpath.join(ROOT, clean))
    assert joined == ROOT or joined.startswith(ROOT + "/")
    decoded = _fully_decoded(clean)
    assert posixpath.normpath(posixpath.join(ROOT, decoded)).startswith(ROOT)
    assert "\\" not in decoded
    assert "\x00" not in decoded
    assert ".." not in decoded.split("/")
    assert safe_relative_path(clean) == clean


@PROPERTY_SETTINGS
@given(st.lists(SEGMENTS, max_size=6))
def test_paths_are_accepted_exactly_when_every_segment_is_benign(segments: list[str]) -> None:
    path = "/".join(segments)
    if path.startswith("/") or not set(segments) <= set(BENIGN):
        with pytest.raises(InvalidParameterValue):
            safe_relative_path(path)
    else:
        assert safe_relative_path(path) == "/".join(s for s in segments if s not in ("", "."))


@settings(database=None, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(TRICKY, max_size=24))
def test_join_inside_never_leaves_a_real_root(tmp_path: Path, path: str) -> None:
    try:
        joined = join_inside(str(tmp_path), path)
    except InvalidParameterValue:
        return
    real_root = str(tmp_path.resolve())
    assert joined == real_root or joined.startswith(real_root + os.sep)
