"""``runstone db``: schema migrations of a tracking database."""

from __future__ import annotations

import click
from sqlalchemy import Engine

from runstone.config import StoreSettings
from runstone.store.sql import schema
from runstone.store.sql.engine import create_store_engine
from runstone.uri import parse_tracking_uri


def _engine(uri: str) -> Engine:
    parsed = parse_tracking_uri(uri)
    if not parsed.is_database:
        raise click.UsageError(f"{uri!r} is not a database URI.")
    return create_store_engine(parsed.url, StoreSettings())


@click.group()
def db() -> None:
    """Create and upgrade the schema of a tracking database."""


@db.command()
@click.argument("uri")
def upgrade(uri: str) -> None:
    """Bring the database at URI to the newest schema (creating it if empty)."""
    engine = _engine(uri)
    try:
        before = schema.current_revision(engine)
        schema.upgrade(engine)
        after = schema.current_revision(engine)
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"Schema already at {after}.")
    else:
        click.echo(f"Schema upgraded from {before or 'empty'} to {after}.")


@db.command()
@click.argument("uri")
def current(uri: str) -> None:
    """Print the schema revision of the database at URI, and whether it is the newest."""
    engine = _engine(uri)
    try:
        revision = schema.current_revision(engine)
    finally:
        engine.dispose()
    head = schema.head_revision()
    state = "up to date" if revision == head else f"behind; newest is {head}"
    click.echo(f"{revision or 'empty'} ({state})")
