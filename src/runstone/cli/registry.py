"""``runstone registry``: registered models and their versions, stages and aliases.

``runstone registry models …`` manages the models, ``runstone registry versions …`` their
versions. Tables by default; ``--json`` prints what MLflow's REST API answers for the same
object (its field names, unset fields left out), lists as JSON arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from runstone.cli.output import (
    common_options,
    echo_done,
    echo_json,
    local_time,
    open_client,
    print_fields,
    print_table,
)
from runstone.client.paging import collect
from runstone.entities import ModelVersion, RegisteredModel
from runstone.errors import InvalidParameterValue
from runstone.wire import encode

MODEL_COLUMNS = (
    "Name",
    "Latest version",
    "Aliases",
    "Creation time",
    "Last update time",
    "Description",
)
VERSION_COLUMNS = (
    "Name",
    "Version",
    "Stage",
    "Aliases",
    "Run ID",
    "Creation time",
    "Source",
)
F = TypeVar("F", bound=Callable[..., Any])
NAME = click.argument("name", metavar="NAME")
VERSION = click.argument("version", metavar="VERSION")


def _list_options(command: F) -> F:
    """``--filter``, ``--order-by`` and ``--max-results`` of the two list commands."""
    for option in reversed(
        (
            click.option(
                "--filter",
                "filter_string",
                metavar="STR",
                default=None,
                help="Search filter, e.g. \"name LIKE 'fraud%'\" or \"tags.team = 'risk'\".",
            ),
            click.option(
                "--order-by",
                multiple=True,
                metavar="STR",
                help="Sort key such as 'name ASC'; repeat for more keys.",
            ),
            click.option(
                "--max-results",
                type=click.IntRange(min=1),
                default=None,
                help="List at most N (default: every match, fetched page by page).",
            ),
        )
    ):
        command = option(command)
    return command


@click.group()
def registry() -> None:
    """Manage the model registry: registered models, versions, stages and aliases."""


@registry.group()
def models() -> None:
    """Create, list, inspect, rename and delete registered models."""


@registry.group()
def versions() -> None:
    """List and inspect model versions; move aliases and stages."""


# -- models ------------------------------------------------------------------------------------


@models.command("list")
@_list_options
@common_options
def list_models(
    filter_string: str | None,
    order_by: Sequence[str],
    max_results: int | None,
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    """List registered models (every page; by name unless --order-by is given)."""
    with open_client(tracking_uri) as client:
        found = collect(
            lambda size, token: client.search_registered_models(
                filter_string, size, list(order_by) or None, token
            ),
            max_results,
        )
    if as_json:
        echo_json([encode.registered_model(m) for m in found])
        return
    print_table(
        MODEL_COLUMNS,
        (
            (
                m.name,
                _newest(m.latest_versions),
                _aliases(m.aliases),
                local_time(m.creation_timestamp),
                local_time(m.last_updated_timestamp),
                m.description,
            )
            for m in found
        ),
    )


@models.command()
@NAME
@click.option("--description", metavar="TEXT", default=None, help="What the model is for.")
@click.option(
    "--tag", "tags", multiple=True, metavar="KEY=VALUE", help="A tag; repeat for more tags."
)
@common_options
def create(
    name: str,
    description: str | None,
    tags: Sequence[str],
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    """Create a registered model (its versions come from `runstone.register_model`)."""
    parsed = _parse_tags(tags)
    with open_client(tracking_uri) as client:
        model = client.create_registered_model(name, parsed, description)
    if as_json:
        echo_json(encode.registered_model(model))
    else:
        click.echo(f"Registered model {model.name!r} created.")


@models.command()
@NAME
@common_options
def describe(name: str, tracking_uri: str | None, as_json: bool) -> None:
    """Show a registered model: its fields, tags, aliases and newest version per stage."""
    with open_client(tracking_uri) as client:
        model = client.get_registered_model(name)
    if as_json:
        echo_json(encode.registered_model(model))
        return
    _print_model(model)


@models.command()
@NAME
@click.argument("new_name", metavar="NEW_NAME")
@common_options
def rename(name: str, new_name: str, tracking_uri: str | None, as_json: bool) -> None:
    """Rename a registered model (its versions, tags and aliases move with it)."""
    with open_client(tracking_uri) as client:
        client.rename_registered_model(name, new_name)
    echo_done(as_json, f"Registered model {name!r} renamed to {new_name!r}.")


@models.command()
@NAME
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@common_options
def delete(name: str, yes: bool, tracking_uri: str | None, as_json: bool) -> None:
    """Delete a registered model and all its versions (this cannot be undone)."""
    if not yes:  # the prompt goes to stderr, so --json output stays parseable
        click.confirm(
            f"Delete registered model {name!r} and all its versions?", abort=True, err=True
        )
    with open_client(tracking_uri) as client:
        client.delete_registered_model(name)
    echo_done(as_json, f"Registered model {name!r} deleted.")


# -- versions ----------------------------------------------------------------------------------


@versions.command("list")
@click.option("--name", metavar="NAME", default=None, help="Only versions of this model.")
@_list_options
@common_options
def list_versions(
    name: str | None,
    filter_string: str | None,
    order_by: Sequence[str],
    max_results: int | None,
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    """List model versions (every page; newest change first unless --order-by is given)."""
    combined = _name_filter(name, filter_string)
    with open_client(tracking_uri) as client:
        found = collect(
            lambda size, token: client.search_model_versions(
                combined, size, list(order_by) or None, token
            ),
            max_results,
        )
    if as_json:
        echo_json([encode.model_version(v) for v in found])
        return
    print_table(VERSION_COLUMNS, (_version_row(v) for v in found))


@versions.command("describe")
@NAME
@VERSION
@common_options
def describe_version(name: str, version: str, tracking_uri: str | None, as_json: bool) -> None:
    """Show one version of a registered model."""
    with open_client(tracking_uri) as client:
        found = client.get_model_version(name, version)
    if as_json:
        echo_json(encode.model_version(found))
        return
    print_fields(
        (
            ("Name", found.name),
            ("Version", found.version),
            ("Stage", found.current_stage.value),
            ("Status", found.status.name),
            ("Aliases", ", ".join(found.aliases)),
            ("Description", found.description),
            ("Source", found.source),
            ("Run ID", found.run_id),
            ("Run link", found.run_link),
            ("User", found.user_id),
            ("Creation time", local_time(found.creation_timestamp)),
            ("Last update time", local_time(found.last_updated_timestamp)),
        )
    )
    print_table(("Key", "Value"), sorted(found.tags.items()), title="Tags")


@versions.command("set-alias")
@NAME
@click.argument("alias", metavar="ALIAS")
@VERSION
@common_options
def set_alias(name: str, alias: str, version: str, tracking_uri: str | None, as_json: bool) -> None:
    """Point ALIAS at VERSION (moving it from the version it named before)."""
    with open_client(tracking_uri) as client:
        client.set_registered_model_alias(name, alias, version)
    echo_done(as_json, f"Alias {alias!r} of model {name!r} now names version {version}.")


@versions.command("delete-alias")
@NAME
@click.argument("alias", metavar="ALIAS")
@common_options
def delete_alias(name: str, alias: str, tracking_uri: str | None, as_json: bool) -> None:
    """Remove an alias (the version it named stays)."""
    with open_client(tracking_uri) as client:
        client.delete_registered_model_alias(name, alias)
    echo_done(as_json, f"Alias {alias!r} of model {name!r} deleted.")


@versions.command()
@NAME
@VERSION
@click.argument("stage", metavar="STAGE")
@click.option(
    "--archive-existing",
    is_flag=True,
    help="Archive the versions now in STAGE (Staging or Production only).",
)
@common_options
def transition(
    name: str,
    version: str,
    stage: str,
    archive_existing: bool,
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    """Move VERSION to STAGE: None, Staging, Production or Archived (any letter case)."""
    with open_client(tracking_uri) as client:
        moved = client.transition_model_version_stage(name, version, stage, archive_existing)
    if as_json:
        echo_json(encode.model_version(moved))
    else:
        click.echo(
            f"Version {moved.version} of model {moved.name!r} is now in stage "
            f"{moved.current_stage.value}."
        )


# -- helpers -----------------------------------------------------------------------------------


def _print_model(model: RegisteredModel) -> None:
    print_fields(
        (
            ("Name", model.name),
            ("Description", model.description),
            ("User", model.user_id),
            ("Creation time", local_time(model.creation_timestamp)),
            ("Last update time", local_time(model.last_updated_timestamp)),
        )
    )
    print_table(("Key", "Value"), sorted(model.tags.items()), title="Tags")
    print_table(("Alias", "Version"), sorted(model.aliases.items()), title="Aliases")
    latest = sorted(model.latest_versions, key=lambda v: int(v.version), reverse=True)
    print_table(VERSION_COLUMNS, (_version_row(v) for v in latest), title="Latest versions")


def _version_row(v: ModelVersion) -> tuple[object, ...]:
    return (
        v.name,
        v.version,
        v.current_stage.value,
        ", ".join(v.aliases),
        v.run_id,
        local_time(v.creation_timestamp),
        v.source,
    )


def _newest(latest: Sequence[ModelVersion]) -> str:
    return max((v.version for v in latest), key=int, default="")


def _aliases(aliases: dict[str, str]) -> str:
    return ", ".join(f"{alias}: v{version}" for alias, version in sorted(aliases.items()))


def _parse_tags(tags: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` pairs (split at the first ``=``; the value may be empty)."""
    parsed: dict[str, str] = {}
    for item in tags:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidParameterValue(f"Invalid tag {item!r}: use KEY=VALUE.")
        parsed[key] = value
    return parsed


def _name_filter(name: str | None, filter_string: str | None) -> str | None:
    """``--name`` as a filter clause, joined to ``--filter``. Quoted text is taken verbatim by
    the filter language (no escapes), so the name is quoted with a quote it does not contain."""
    if name is None:
        return filter_string
    if "'" not in name:
        clause = f"name = '{name}'"
    elif '"' not in name:
        clause = f'name = "{name}"'
    else:
        raise InvalidParameterValue(
            f"Model name {name!r} holds both quote characters: use --filter instead of --name."
        )
    return clause if not filter_string else f"{clause} AND ({filter_string})"
