"""The one place where a client-supplied artifact path meets a storage location.

:func:`safe_relative_path` turns what a client sent into a clean relative POSIX path, or refuses
it. It never decodes the path it returns (a file may really be called ``a%20b.txt``); it refuses a
path whose percent-decoded (once or several times) or Unicode-compatibility form would mean
something dangerous, so that no later layer that decodes (a web framework, a proxy, a filesystem
library) can turn an accepted path into an escape.

:func:`join_inside` is for local roots: it resolves symbolic links at the moment of use and checks
that the result is still inside the root, so a link planted in an artifact folder cannot lead a
read or a write outside it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import NoReturn
from urllib.parse import unquote

from runstone.errors import InvalidParameterValue

# Each decoding round may reveal another layer (%252e -> %2e -> .); a path that is still
# changing after this many rounds is refused rather than decoded further.
_MAX_DECODE_ROUNDS = 4
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_relative_path(path: str) -> str:
    """``path`` cleaned (no ``.`` or empty segments, no trailing slash), or InvalidParameterValue.

    The empty string stands for the root. Refused: absolute paths, ``..`` segments, backslashes,
    NUL and other control characters, ``#``, drive letters and ``scheme:`` prefixes, segments made
    only of dots and spaces, and any of these hidden behind percent-encoding (``%2e%2e``,
    ``%252e%252e``, ``%2f``, ``%5c``, ``%00``) or behind Unicode compatibility forms (such as
    fullwidth dots, U+FF0E).
    """
    if not isinstance(path, str):
        _refuse(path, "not a string")
    for form in _decoded_forms(path):
        problem = _problem(form, path)
        if problem:
            _refuse(path, problem)
    return "/".join(segment for segment in path.split("/") if segment not in ("", "."))


def join_inside(root: str, rel: str) -> str:
    """The real (symlink-free) local path of ``rel`` under ``root``, refused if it escapes.

    Call it right where the file is opened: the check holds for the file system as it is now.
    """
    clean = safe_relative_path(rel)
    real_root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(real_root, clean)) if clean else real_root
    if not is_inside(real_root, target):
        _refuse(rel, "it resolves outside the artifact root")
    return target


def is_inside(real_root: str, real_path: str) -> bool:
    """Whether ``real_path`` is ``real_root`` or below it (both already resolved)."""
    return real_path == real_root or real_path.startswith(real_root.rstrip(os.sep) + os.sep)


def _decoded_forms(path: str) -> list[str]:
    """``path``, each successive percent-decoding of it, and the NFKC forms of all of them."""
    forms = [path]
    while "%" in forms[-1]:
        try:
            decoded = unquote(forms[-1], errors="strict")
        except UnicodeDecodeError:
            _refuse(path, "percent-encoding that is not UTF-8")
        if decoded == forms[-1]:
            break
        if len(forms) > _MAX_DECODE_ROUNDS:
            _refuse(path, "encoded too many times")
        forms.append(decoded)
    return forms + [unicodedata.normalize("NFKC", form) for form in forms]


def _problem(form: str, raw: str) -> str | None:
    """Why ``form`` (``raw`` or a decoded form of it) is unsafe, or None when it is fine."""
    if _CONTROL.search(form):
        return "control characters (such as NUL) are not allowed"
    if "\\" in form:
        return "backslashes are not allowed"
    if "#" in form:
        return "'#' is not allowed"
    if form.count("/") > raw.count("/"):
        return "encoded or look-alike slashes are not allowed"
    if form.startswith("/"):
        return "absolute paths are not allowed"
    segments = form.split("/")
    if any(_DRIVE.match(segment) or segment.endswith(":") for segment in segments):
        return "drive letters and URI schemes are not allowed"
    if any(_is_dot_segment(segment) for segment in segments):
        return "'..' and other segments of only dots and spaces are not allowed"
    return None


def _is_dot_segment(segment: str) -> bool:
    """``..``, ``...``, ``. .``, `` `` — names a system may read as a parent or as nothing."""
    return segment not in ("", ".") and segment.strip(". ") == ""


def _refuse(path: object, problem: str) -> NoReturn:
    raise InvalidParameterValue(f"Invalid artifact path {path!r}: {problem}.")
