"""``runstone sync``: deliver what clients spooled while the tracking store was unreachable."""

from __future__ import annotations

import click

from runstone.cli.output import common_options, echo_json, open_client


@click.command()
@common_options
def sync(tracking_uri: str | None, as_json: bool) -> None:
    """Send batches spooled while the store was down, oldest first."""
    with open_client(tracking_uri) as client:
        delivered = client.sync()
        left = client.spool.pending()
    if as_json:
        echo_json({"delivered": delivered, "pending": left})
    else:
        click.echo(f"Delivered {delivered} spooled batches to {client.tracking_uri}.")
