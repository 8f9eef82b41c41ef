from __future__ import annotations

from pathlib import Path

import pytest

from runstone.errors import InvalidParameterValue
from runstone.uri import StoreKind, file_uri_path, parse_tracking_uri, sqlite_path


@pytest.mark.parametrize(
    ("uri", "kind", "url"),
    [
        ("sqlite:///runs.db", StoreKind.SQLITE, "sqlite:///runs.db"),
        ("sqlite:////abs/runs.db", StoreKind.SQLITE, "sqlite:////abs/runs.db"),
        ("postgresql://u@h:5432/db", StoreKind.POSTGRESQL, "postgresql+psycopg://u@h:5432/db"),
        ("postgres://u@h/db", StoreKind.POSTGRESQL, "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", StoreKind.POSTGRESQL, "postgresql+psycopg://u@h/db"),
        ("mysql://root@h:3306/db", StoreKind.MYSQL, "mysql+pymysql://root@h:3306/db"),
        ("mysql+pymysql://root@h/db?x=1", StoreKind.MYSQL, "mysql+pymysql://root@h/db?x=1"),
        ("mariadb://root@h/db", StoreKind.MYSQL, "mysql+pymysql://root@h/db"),
        ("http://localhost:5000/", StoreKind.REST, "http://localhost:5000"),
        ("https://track.example.com/prefix", StoreKind.REST, "https://track.example.com/prefix"),
    ],
)
def test_tracking_uris_are_classified(uri: str, kind: StoreKind, url: str) -> None:
    parsed = parse_tracking_uri(uri)
    assert parsed.kind is kind
    assert parsed.url == url
    assert parsed.local_dir is None


@pytest.mark.parametrize("uri", ["/tmp/home", "file:///tmp/home", "relative/dir"])
def test_folders_mean_the_embedded_sqlite_store(uri: str) -> None:
    parsed = parse_tracking_uri(uri)
    assert parsed.kind is StoreKind.SQLITE
    assert parsed.local_dir is not None
    assert parsed.local_dir.is_absolute()
    assert parsed.url == f"sqlite:///{parsed.local_dir / 'runstone.db'}"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("", "empty"),
        ("mongodb://x", "Unsupported tracking URI scheme 'mongodb'"),
        ("http://", "no host"),
        ("sqlite://host/x.db", "sqlite:///"),
    ],
)
def test_bad_tracking_uris_are_rejected(uri: str, message: str) -> None:
    with pytest.raises(InvalidParameterValue, match=message):
        parse_tracking_uri(uri)


def test_sqlite_path() -> None:
    assert sqlite_path("sqlite:////abs/x.db") == Path("/abs/x.db")
    assert sqlite_path("sqlite:///rel.db?mode=ro") == Path("rel.db")
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("sqlite:///:memory:") is None


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("file:///tmp/my%20model", "/tmp/my model"),
        ("FILE:///tmp/x", "/tmp/x"),
        ("file://localhost/tmp/x", "/tmp/x"),
        ("/tmp/x", None),  # a plain path is not a file: URI
        ("s3://bucket/x", None),
    ],
)
def test_file_uris_name_local_paths(uri: str, expected: str | None) -> None:
    assert file_uri_path(uri) == expected


def test_file_uris_of_other_hosts_are_refused() -> None:
    with pytest.raises(InvalidParameterValue, match="names a remote host"):
        file_uri_path("file://fileserver/share/model")
