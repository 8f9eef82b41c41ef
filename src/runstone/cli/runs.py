"""``runstone runs``: list, describe, delete and restore runs."""

from __future__ import annotations

from collections.abc import Sequence

import click

from runstone.cli.output import (
    common_options,
    echo_done,
    echo_json,
    local_time,
    open_client,
    print_fields,
    print_table,
    run_dict,
    search_options,
)
from runstone.client.paging import collect
from runstone.entities import Run, ViewType

RUN_ID = click.option("--run-id", required=True, metavar="ID", help="ID of the run.")


@click.group()
def runs() -> None:
    """Inspect, delete and restore runs of a tracking store."""


@click.command()
@click.option("--experiment-id", required=True, metavar="ID", help="Experiment whose runs to list.")
@search_options
@common_options
def search(
    experiment_id: str,
    view: ViewType,
    filter_string: str | None,
    order_by: Sequence[str],
    max_results: int | None,
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    """List the runs of an experiment (every page; newest first unless --order-by is given)."""
    with open_client(tracking_uri) as client:
        client.get_experiment(experiment_id)  # an unknown experiment is an error, not "no runs"
        found = collect(
            lambda size, token: client.search_runs(
                experiment_id, filter_string or "", view, size, list(order_by) or None, token
            ),
            max_results,
        )
    if as_json:
        echo_json([run_dict(r) for r in found])
        return
    print_table(
        ("Run ID", "Name", "Status", "Start time", "End time", "Stage"),
        (
            (
                r.info.run_id,
                r.info.run_name,
                r.info.status.name,
                local_time(r.info.start_time),
                local_time(r.info.end_time),
                r.info.lifecycle_stage.value,
            )
            for r in found
        ),
    )


runs.add_command(search, "list")
runs.add_command(search, "search")


@runs.command()
@RUN_ID
@common_options
def describe(run_id: str, tracking_uri: str | None, as_json: bool) -> None:
    """Show everything about a run: info, params, latest metrics, tags and inputs."""
    with open_client(tracking_uri) as client:
        run = client.get_run(run_id)
    if as_json:
        echo_json(run_dict(run))
    else:
        _print_run(run)


def _print_run(run: Run) -> None:
    info = run.info
    print_fields(
        (
            ("Run ID", info.run_id),
            ("Name", info.run_name),
            ("Experiment ID", info.experiment_id),
            ("Status", info.status.name),
            ("User", info.user_id),
            ("Start time", local_time(info.start_time)),
            ("End time", local_time(info.end_time)),
            ("Artifact URI", info.artifact_uri),
            ("Lifecycle stage", info.lifecycle_stage.value),
        )
    )
    print_table(("Key", "Value"), sorted(run.data.params.items()), title="Params")
    print_table(
        ("Key", "Value", "Step", "Timestamp"),
        (
            (m.key, m.value, m.step, local_time(m.timestamp))
            for _, m in sorted(run.data.metrics.items())
        ),
        title="Metrics (latest values)",
    )
    print_table(("Key", "Value"), sorted(run.data.tags.items()), title="Tags")
    print_table(
        ("Dataset", "Digest", "Source type", "Source", "Tags"),
        (
            (
                d.dataset.name,
                d.dataset.digest,
                d.dataset.source_type,
                d.dataset.source,
                ", ".join(f"{t.key}={t.value}" for t in d.tags),
            )
            for d in run.inputs.dataset_inputs
        ),
        title="Inputs",
    )


@runs.command()
@RUN_ID
@common_options
def delete(run_id: str, tracking_uri: str | None, as_json: bool) -> None:
    """Mark a run deleted (`restore` brings it back)."""
    with open_client(tracking_uri) as client:
        client.delete_run(run_id)
    echo_done(as_json, f"Run {run_id} deleted.")


@runs.command()
@RUN_ID
@common_options
def restore(run_id: str, tracking_uri: str | None, as_json: bool) -> None:
    """Bring back a deleted run."""
    with open_client(tracking_uri) as client:
        client.restore_run(run_id)
    echo_done(as_json, f"Run {run_id} restored.")
