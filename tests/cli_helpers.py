"""Running the ``runstone`` command line in tests, exactly as a user's shell would see it."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from click.testing import CliRunner

from runstone.cli.main import main


class Outcome(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str


def invoke(*args: str) -> Outcome:
    """``runstone ARGS`` through ``main()`` (as the console script runs it), in CliRunner's
    isolation, so errors come out exactly as a user sees them."""
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:
            code = 0
    return Outcome(code, out.getvalue().decode(), err.getvalue().decode())


def assert_one_line_error(outcome: Outcome, *fragments: str) -> None:
    assert outcome.exit_code == 1, outcome
    assert outcome.stdout == ""
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, outcome.stderr
    assert lines[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def local(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).isoformat(sep=" ", timespec="seconds")
