from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from runstone.cli.main import cli
from runstone.store.sql import schema


def test_db_upgrade_then_current_reports_head(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'x.db'}"
    runner = CliRunner()
    first = runner.invoke(cli, ["db", "upgrade", uri])
    assert first.exit_code == 0, first.output
    assert f"from empty to {schema.head_revision()}" in first.output
    second = runner.invoke(cli, ["db", "upgrade", uri])
    assert "already at" in second.output
    current = runner.invoke(cli, ["db", "current", uri])
    assert current.output.strip() == f"{schema.head_revision()} (up to date)"


def test_db_upgrade_of_a_folder_creates_the_embedded_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade", str(tmp_path / "home")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "runstone.db").exists()


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("mongodb://nowhere", "Error: Unsupported tracking URI scheme 'mongodb'"),
        ("http://localhost:5000", "Error: 'http://localhost:5000' is not a database URI."),
        ("postgresql://nobody@127.0.0.1:1/none", "Error: database:"),
    ],
)
def test_cli_errors_are_one_line_without_traceback(uri: str, message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "runstone", "db", "current", uri],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith(message)
    assert proc.stderr.strip().count("\n") == 0
    assert "Traceback" not in proc.stderr
