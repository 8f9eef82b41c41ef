from __future__ import annotations

import sys
from collections.abc import Sequence

import click
from sqlalchemy.exc import SQLAlchemyError

from runstone import __version__
from runstone.cli.db import db
from runstone.cli.experiments import experiments
from runstone.cli.runs import runs
from runstone.cli.server import server
from runstone.cli.sync import sync
from runstone.errors import RunstoneError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="runstone")
def cli() -> None:
    """Runstone: track, package, register and serve machine-learning work."""


cli.add_command(db)
cli.add_command(experiments)
cli.add_command(runs)
cli.add_command(server)
cli.add_command(sync)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: errors become one readable line on stderr and exit code 1, never a traceback."""
    try:
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except RunstoneError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    except SQLAlchemyError as exc:
        first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        click.echo(f"Error: database: {first_line}", err=True)
        sys.exit(1)
