"""``runstone experiments``: create, list, inspect, rename, delete and restore experiments."""

from __future__ import annotations

from collections.abc import Sequence

import click

from runstone.cli.output import (
    common_options,
    echo_done,
    echo_json,
    experiment_dict,
    local_time,
    open_client,
    print_fields,
    print_table,
    search_options,
)
from runstone.client.paging import collect
from runstone.entities import Experiment, ViewType
from runstone.errors import NotFound

EXPERIMENT_COLUMNS = (
    "Experiment ID",
    "Name",
    "Stage",
    "Creation time",
    "Last update time",
    "Artifact location",
)
EXPERIMENT_ID = click.option(
    "-x", "--experiment-id", required=True, metavar="ID", help="ID of the experiment."
)


@click.group()
def experiments() -> None:
    """Manage experiments of a tracking store."""


@experiments.command()
@click.option("-n", "--experiment-name", required=True, metavar="NAME", help="Its name.")
@click.option(
    "-l",
    "--artifact-location",
    metavar="URI",
    default=None,
    help="Where its runs store artifacts (default: under the store's artifact root).",
)
@common_options
def create(
    experiment_name: str, artifact_location: str | None, tracking_uri: str | None, as_json: bool
) -> None:
    """Create an experiment and print its ID."""
    with open_client(tracking_uri) as client:
        experiment_id = client.create_experiment(experiment_name, artifact_location)
    if as_json:
        echo_json({"experiment_id": experiment_id})
    else:
        click.echo(experiment_id)


@click.command()
@search_options
@common_options
def search(
    view: ViewType,
    filter_string: str | None,
    order_by: Sequence[str],
    max_results: int | None,
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    """List experiments (every page; newest first unless --order-by is given)."""
    with open_client(tracking_uri) as client:
        found = collect(
            lambda size, token: client.search_experiments(
                view, size, filter_string, list(order_by) or None, token
            ),
            max_results,
        )
    if as_json:
        echo_json([experiment_dict(e) for e in found])
        return
    print_table(
        EXPERIMENT_COLUMNS,
        (
            (
                e.experiment_id,
                e.name,
                e.lifecycle_stage.value,
                local_time(e.creation_time),
                local_time(e.last_update_time),
                e.artifact_location,
            )
            for e in found
        ),
    )


experiments.add_command(search, "list")
experiments.add_command(search, "search")


@experiments.command()
@click.option("-x", "--experiment-id", metavar="ID", default=None, help="ID of the experiment.")
@click.option(
    "-n", "--experiment-name", metavar="NAME", default=None, help="Name of the experiment."
)
@common_options
def get(
    experiment_id: str | None, experiment_name: str | None, tracking_uri: str | None, as_json: bool
) -> None:
    """Show one experiment, named by -x/--experiment-id or -n/--experiment-name."""
    if (experiment_id is None) == (experiment_name is None):
        raise click.UsageError("Give either -x/--experiment-id or -n/--experiment-name.")
    with open_client(tracking_uri) as client:
        if experiment_id is not None:
            experiment: Experiment | None = client.get_experiment(experiment_id)
        else:
            experiment = client.get_experiment_by_name(str(experiment_name))
    if experiment is None:
        raise NotFound(f"No experiment named {experiment_name!r}.")
    if as_json:
        echo_json(experiment_dict(experiment))
        return
    print_fields(
        (
            ("Experiment ID", experiment.experiment_id),
            ("Name", experiment.name),
            ("Artifact location", experiment.artifact_location),
            ("Lifecycle stage", experiment.lifecycle_stage.value),
            ("Creation time", local_time(experiment.creation_time)),
            ("Last update time", local_time(experiment.last_update_time)),
        )
    )
    print_table(("Key", "Value"), sorted(experiment.tags.items()), title="Tags")


@experiments.command()
@EXPERIMENT_ID
@click.option("--new-name", required=True, metavar="NAME", help="The new name.")
@common_options
def rename(experiment_id: str, new_name: str, tracking_uri: str | None, as_json: bool) -> None:
    """Rename an active experiment."""
    with open_client(tracking_uri) as client:
        client.rename_experiment(experiment_id, new_name)
    echo_done(as_json, f"Experiment {experiment_id} renamed to {new_name!r}.")


@experiments.command()
@EXPERIMENT_ID
@common_options
def delete(experiment_id: str, tracking_uri: str | None, as_json: bool) -> None:
    """Mark an experiment and its runs deleted (`restore` brings them back)."""
    with open_client(tracking_uri) as client:
        client.delete_experiment(experiment_id)
    echo_done(as_json, f"Experiment {experiment_id} deleted.")


@experiments.command()
@EXPERIMENT_ID
@common_options
def restore(experiment_id: str, tracking_uri: str | None, as_json: bool) -> None:
    """Bring back a deleted experiment."""
    with open_client(tracking_uri) as client:
        client.restore_experiment(experiment_id)
    echo_done(as_json, f"Experiment {experiment_id} restored.")
