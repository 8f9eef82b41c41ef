"""``runstone run``: run a project (an MLproject folder or git repository) as a tracked run."""

from __future__ import annotations

from collections.abc import Sequence

import click

from runstone.errors import InvalidParameterValue
from runstone.projects import run as run_project
from runstone.projects.environments import MANAGERS


def _param_list(values: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs, split on the first ``=``; a name given twice is an error."""
    params: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InvalidParameterValue(f"Invalid parameter {item!r}: use -P NAME=VALUE.")
        if name in params:
            raise InvalidParameterValue(f"Parameter {name!r} is given twice.")
        params[name] = value
    return params


@click.command()
@click.argument("uri", metavar="URI")
@click.option(
    "-e", "--entry-point", metavar="NAME", default="main", show_default=True, help="Entry point."
)
@click.option(
    "-v", "--version", metavar="REV", default=None, help="Git branch, tag or commit to run."
)
@click.option(
    "-P",
    "--param-list",
    "param_list",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter of the entry point; repeat for more. Undeclared ones are passed on as "
    "--NAME VALUE.",
)
@click.option(
    "--env-manager",
    metavar="[" + "|".join(MANAGERS) + "]",
    default=None,
    help="Where the command runs (default: conda for a conda.yaml project, docker for a "
    "docker_env one, uv (or virtualenv without uv) for a python_env.yaml one, else local).",
)
@click.option("--experiment-name", metavar="NAME", default=None, help="Experiment of the run.")
@click.option("--experiment-id", metavar="ID", default=None, help="Experiment of the run.")
@click.option("--run-name", metavar="NAME", default=None, help="Name of the new run.")
@click.option(
    "--storage-dir",
    metavar="DIR",
    default=None,
    help="Where remote 'path' parameters would be downloaded (kept for MLflow compatibility).",
)
@click.option(
    "--tracking-uri",
    metavar="URI",
    default=None,
    help="Tracking store (default: RUNSTONE_TRACKING_URI, MLFLOW_TRACKING_URI or ./runstone).",
)
@click.option(
    "--detach",
    is_flag=True,
    help="Print the run ID and return at once; the run's status is recorded when it ends.",
)
def run(
    uri: str,
    entry_point: str,
    version: str | None,
    param_list: Sequence[str],
    env_manager: str | None,
    experiment_name: str | None,
    experiment_id: str | None,
    run_name: str | None,
    storage_dir: str | None,
    tracking_uri: str | None,
    detach: bool,
) -> None:
    """Run a project (a folder, a git URL, URI#subdirectory) as a new run; print its ID.

    The run ends FINISHED, FAILED (non-zero exit) or KILLED (interrupted)."""
    if experiment_name is not None and experiment_id is not None:
        raise InvalidParameterValue("Give at most one of --experiment-name and --experiment-id.")
    submitted = run_project(
        uri,
        entry_point=entry_point,
        version=version,
        parameters=_param_list(param_list),
        experiment_name=experiment_name,
        experiment_id=experiment_id,
        run_name=run_name,
        env_manager=env_manager,
        storage_dir=storage_dir,
        synchronous=not detach,
        tracking_uri=tracking_uri,
    )
    click.echo(submitted.run_id)
