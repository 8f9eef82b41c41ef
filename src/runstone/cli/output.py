"""What ``runstone experiments`` and ``runstone runs`` share: their common options, the
client's lifetime, paging, and printing as readable tables or as JSON with MLflow's field names.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runstone.client.client import RunstoneClient
from runstone.entities import DatasetInput, Experiment, Run, ViewType
from runstone.errors import InvalidParameterValue

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

MAX_CELL = 80  # longest text a table cell shows before it is ellipsised
MAX_FIELD = 200  # the same for the fields of one record (IDs, URIs, names)
PIPED_WIDTH = 200  # table width when stdout is not a terminal (rich would assume 80)
_KEEP_WHOLE = ("ID", "time", "Timestamp", "Status", "Stage", "Step")  # columns that never wrap

# -- options -------------------------------------------------------------------------------


def common_options(command: F) -> F:
    """``--tracking-uri`` and ``--json``, which every command takes."""
    command = click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print JSON (MLflow's field names) instead of a table.",
    )(command)
    return click.option(
        "--tracking-uri",
        metavar="URI",
        default=None,
        help="Tracking store (default: RUNSTONE_TRACKING_URI, MLFLOW_TRACKING_URI or ./runstone).",
    )(command)


def _view_type(ctx: click.Context, param: click.Parameter, value: str) -> ViewType:
    """Not a ``click.Choice``: a bad view is bad input like a bad filter (one line, exit 1),
    not a usage error (usage text, exit 2)."""
    try:
        return ViewType[value.upper()]
    except KeyError:
        raise InvalidParameterValue(
            f"Invalid view {value!r}: use active_only, deleted_only or all."
        ) from None


def search_options(command: F) -> F:
    """``-v/--view``, ``--filter``, ``--order-by`` and ``--max-results`` of list commands."""
    for option in reversed(
        (
            click.option(
                "-v",
                "--view",
                metavar="[active_only|deleted_only|all]",
                default="active_only",
                show_default=True,
                callback=_view_type,
                help="Which lifecycle stages to list.",
            ),
            click.option(
                "--filter",
                "filter_string",
                metavar="STR",
                help="Search filter, e.g. \"name LIKE 'a%'\".",
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


# -- client and paging ---------------------------------------------------------------------


@contextmanager
def open_client(tracking_uri: str | None) -> Iterator[RunstoneClient]:
    """A client of ``tracking_uri`` (None: the environment's), closed however the command ends."""
    client = RunstoneClient(tracking_uri)
    try:
        yield client
    finally:
        client.close()


# -- JSON ----------------------------------------------------------------------------------


def echo_json(value: object) -> None:
    click.echo(json.dumps(value, indent=2, allow_nan=False))


def echo_done(as_json: bool, message: str) -> None:
    """What a command that changes something prints: MLflow's empty reply, or a sentence."""
    if as_json:
        echo_json({})
    else:
        click.echo(message)


def _pairs(mapping: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in sorted(mapping.items())]


def json_float(value: float) -> float | str:
    """A double as MLflow's JSON writes it: NaN and infinities become strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def experiment_dict(experiment: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "artifact_location": experiment.artifact_location,
        "lifecycle_stage": experiment.lifecycle_stage.value,
        "creation_time": experiment.creation_time,
        "last_update_time": experiment.last_update_time,
        "tags": _pairs(experiment.tags),
    }


def _dataset_input_dict(item: DatasetInput) -> dict[str, Any]:
    dataset = {
        "name": item.dataset.name,
        "digest": item.dataset.digest,
        "source_type": item.dataset.source_type,
        "source": item.dataset.source,
    }
    if item.dataset.schema is not None:
        dataset["schema"] = item.dataset.schema
    if item.dataset.profile is not None:
        dataset["profile"] = item.dataset.profile
    tags = [{"key": t.key, "value": t.value} for t in item.tags]
    return {"tags": tags, "dataset": dataset}


def run_dict(run: Run) -> dict[str, Any]:
    """A run as MLflow's REST API writes it (an unset ``end_time`` is left out, as there)."""
    info = run.info
    info_dict: dict[str, Any] = {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "user_id": info.user_id,
        "status": info.status.name,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "artifact_uri": info.artifact_uri,
        "lifecycle_stage": info.lifecycle_stage.value,
    }
    if info.end_time is None:
        del info_dict["end_time"]
    metrics = [
        {"key": m.key, "value": json_float(m.value), "timestamp": m.timestamp, "step": m.step}
        for _, m in sorted(run.data.metrics.items())
    ]
    data = {"metrics": metrics, "params": _pairs(run.data.params), "tags": _pairs(run.data.tags)}
    inputs = {"dataset_inputs": [_dataset_input_dict(d) for d in run.inputs.dataset_inputs]}
    return {"info": info_dict, "data": data, "inputs": inputs}


# -- tables --------------------------------------------------------------------------------


def local_time(ms: int | None) -> str:
    """Milliseconds since the epoch as a local ISO datetime ("" when unset)."""
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000).isoformat(sep=" ", timespec="seconds")


def cell(value: object, width: int = MAX_CELL) -> Text:
    """A table cell: plain text (never rich markup), ellipsised beyond ``width`` characters."""
    text = " ".join(str(value).split()) if isinstance(value, str) else str(value)
    if len(text) > width:
        text = text[: width - 1] + "…"
    return Text(text)


def console() -> Console:
    out = Console(highlight=False, emoji=False, soft_wrap=False)
    if not out.is_terminal:  # piped or captured: keep rows whole rather than fit 80 columns
        out.width = max(out.width, PIPED_WIDTH)
    return out


def print_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    title: str | None = None,
    width: int = MAX_CELL,
) -> None:
    """Rows under ``headers``; IDs and times never wrap, long text folds within its column."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header in headers:
        table.add_column(header, no_wrap=header.endswith(_KEEP_WHOLE), overflow="fold")
    count = 0
    for row in rows:
        table.add_row(*(cell(v, width) for v in row))
        count += 1
    out = console()
    if title is not None:
        out.print(Text(f"{title}:" if count else f"{title}: none", style="bold"))
    if count:
        out.print(table)


def print_fields(fields: Sequence[tuple[str, object]]) -> None:
    """One record as a two-column table of field and value."""
    print_table(("Field", "Value"), fields, width=MAX_FIELD)
