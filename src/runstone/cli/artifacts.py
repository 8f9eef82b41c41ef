"""``runstone artifacts``: upload, list and download the artifacts of a run (as ``mlflow
artifacts`` does).

Large transfers show the client's progress bar (bytes, speed, time left) on stderr when it
is a terminal; pipes and logs get only the result.
"""

from __future__ import annotations

import os

import click

from runstone.cli.output import common_options, echo_json, open_client, print_table
from runstone.client.progress import local_files
from runstone.entities import FileInfo

RUN_ID = click.option("--run-id", required=True, metavar="ID", help="ID of the run.")


@click.group()
def artifacts() -> None:
    """Upload, list and download the artifacts of a run."""


@artifacts.command()
@RUN_ID
@click.argument("local_path", metavar="LOCAL_PATH", type=click.Path(path_type=str))
@click.option(
    "--artifact-path",
    metavar="PATH",
    default=None,
    help="Folder of the run's artifacts to put it in (default: the root).",
)
@common_options
def log(
    run_id: str,
    local_path: str,
    artifact_path: str | None,
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    """Upload a file, or a folder's contents (recursively), as artifacts of a run."""
    count, size = local_files(local_path)
    where = f" under {artifact_path!r}" if artifact_path else ""
    with open_client(tracking_uri) as client:
        if os.path.isdir(local_path):
            client.log_artifacts(run_id, local_path, artifact_path)
        else:  # a missing file is reported by the client, as any other error
            client.log_artifact(run_id, local_path, artifact_path)
    if as_json:
        echo_json({})
    else:
        click.echo(f"Logged {plural(count, 'file')} ({human_size(size)}) to run {run_id}{where}.")


@artifacts.command("list")
@RUN_ID
@click.option(
    "--artifact-path",
    metavar="PATH",
    default=None,
    help="Folder whose entries to list (default: the root).",
)
@common_options
def list_(run_id: str, artifact_path: str | None, tracking_uri: str | None, as_json: bool) -> None:
    """List the files and folders directly inside a folder of a run's artifacts."""
    with open_client(tracking_uri) as client:
        root_uri = client.get_run(run_id).info.artifact_uri  # an unknown run is an error
        files = client.list_artifacts(run_id, artifact_path)
    if as_json:
        echo_json({"root_uri": root_uri, "files": [file_info_dict(f) for f in files]})
        return
    title = f"Artifacts of run {run_id}" + (f" under {artifact_path!r}" if artifact_path else "")
    print_table(
        ("Path", "Is dir", "Size"),
        (
            (f.path, "yes" if f.is_dir else "no", "" if f.file_size is None else f.file_size)
            for f in files
        ),
        title=title,
    )


@artifacts.command()
@RUN_ID
@click.option(
    "--artifact-path",
    metavar="PATH",
    default=None,
    help="File or folder to download (default: every artifact of the run).",
)
@click.option(
    "--dst-path",
    metavar="DIR",
    default=None,
    help="Local folder to download into (default: a new temporary folder).",
)
@common_options
def download(
    run_id: str,
    artifact_path: str | None,
    dst_path: str | None,
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    """Download a file or folder of a run's artifacts and print its local path."""
    with open_client(tracking_uri) as client:
        local = client.download_artifacts(run_id, artifact_path or "", dst_path)
    if as_json:
        echo_json({"local_path": local})
    else:
        click.echo(local)


# -- helpers ---------------------------------------------------------------------------------


def file_info_dict(info: FileInfo) -> dict[str, object]:
    """An entry as MLflow's ``list-artifacts`` answer writes it (no size for folders)."""
    entry: dict[str, object] = {"path": info.path, "is_dir": info.is_dir}
    if info.file_size is not None:
        entry["file_size"] = info.file_size
    return entry


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def human_size(n: int) -> str:
    """Bytes in decimal units, as file managers show them: 512 B, 1.5 kB, 1.0 GB."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{n} B" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")
