from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from runstone import __version__
from runstone.errors import RunstoneError

# Each command's module is imported only when that command runs (or help lists it), so a
# command pays only for what it uses: `runstone server` starts faster without the others.
_COMMANDS = {
    "artifacts": "runstone.cli.artifacts:artifacts",
    "db": "runstone.cli.db:db",
    "experiments": "runstone.cli.experiments:experiments",
    "models": "runstone.cli.models:models",
    "registry": "runstone.cli.registry:registry",
    "run": "runstone.cli.run:run",
    "runs": "runstone.cli.runs:runs",
    "server": "runstone.cli.server:server",
    "sync": "runstone.cli.sync:sync",
    "users": "runstone.cli.users:users",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, name = target.partition(":")
        command = getattr(importlib.import_module(module), name)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="runstone")
def cli() -> None:
    """Runstone: track, package, register and serve machine-learning work."""


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
    except Exception as exc:
        if not _is_database_error(exc):
            raise
        first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        click.echo(f"Error: database: {first_line}", err=True)
        sys.exit(1)


def _is_database_error(exc: Exception) -> bool:
    """A SQLAlchemy error (without importing SQLAlchemy for commands that never load it)."""
    exc_module = sys.modules.get("sqlalchemy.exc")
    return exc_module is not None and isinstance(exc, exc_module.SQLAlchemyError)
