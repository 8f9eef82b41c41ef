"""Artifact storage: one repository class over fsspec (and over a tracking server's artifact
proxy), safe paths, and content writers."""

from __future__ import annotations

from runstone.artifacts.content import (
    write_dict,
    write_figure,
    write_image,
    write_table,
    write_text,
)
from runstone.artifacts.files import TEMP_PREFIX
from runstone.artifacts.paths import join_inside, safe_relative_path
from runstone.artifacts.proxy import ProxyFileSystem, is_proxy_uri, resolve_proxy_uri
from runstone.artifacts.repo import ArtifactRepo

__all__ = [
    "TEMP_PREFIX",
    "ArtifactRepo",
    "ProxyFileSystem",
    "is_proxy_uri",
    "join_inside",
    "resolve_proxy_uri",
    "safe_relative_path",
    "write_dict",
    "write_figure",
    "write_image",
    "write_table",
    "write_text",
]
