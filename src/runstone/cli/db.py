"""``runstone db``: schema migrations of a tracking database."""

from __future__ import annotations

import click

from runstone.store.sql import schema
from runstone.store.sql.engine import engine_for


@click.group()
def db() -> None:
    """Create and upgrade the schema of a tracking database."""


@db.command()
@click.argument("uri")
def upgrade(uri: str) -> None:
    """Bring the database at URI to the newest schema (creating it if empty)."""
    with engine_for(uri) as engine:
        before = schema.current_revision(engine)
        schema.upgrade(engine)
        after = schema.current_revision(engine)
    if before == after:
        click.echo(f"Schema already at {after}.")
    else:
        click.echo(f"Schema upgraded from {before or 'empty'} to {after}.")


@db.command()
@click.argument("uri")
def current(uri: str) -> None:
    """Print the schema revision of the database at URI, and whether it is the newest."""
    with engine_for(uri) as engine:
        revision = schema.current_revision(engine)
    head = schema.head_revision()
    state = "up to date" if revision == head else f"behind; newest is {head}"
    click.echo(f"{revision or 'empty'} ({state})")
