"""``runstone server``: the tracking server, with the option names of ``mlflow server``."""

from __future__ import annotations

import math

import click

from runstone.config import (
    DEFAULT_ARTIFACT_TEMP_MAX_AGE_HOURS,
    DEFAULT_LOCAL_DIR,
    DEFAULT_MAX_REQUEST_BODY,
    ServerSettings,
    env_flag,
    env_value,
)


def _default_permission(option: str | None) -> str:
    """The option, else env RUNSTONE_AUTH_DEFAULT_PERMISSION, else READ; checked either way."""
    # The store package loads SQLAlchemy: not for `runstone --help`, which imports this module.
    from runstone.store.sql.auth_entities import Permission

    return Permission.parse(option or env_value("AUTH_DEFAULT_PERMISSION") or "READ").name


def _hours(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    if not math.isfinite(value):  # FloatRange lets NaN through
        raise click.BadParameter(f"{value} is not a number of hours.")
    return value


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


@click.command(context_settings={"help_option_names": ["--help"]})
@click.option(
    "--backend-store-uri",
    default=None,
    help="Database or folder for tracking data (default: ./runstone, an embedded SQLite store; "
    "env RUNSTONE_BACKEND_STORE_URI).",
)
@click.option(
    "--default-artifact-root",
    default=None,
    help="Root of new experiments' artifact locations (default: mlflow-artifacts:/ when serving "
    "artifacts, else the artifacts folder of the store).",
)
@click.option(
    "--artifacts-destination",
    default=None,
    help="Where proxied artifacts are stored (default: the artifacts folder of the store).",
)
@click.option(
    "--serve-artifacts/--no-serve-artifacts",
    default=True,
    show_default=True,
    help="Serve the artifact proxy (/api/2.0/mlflow-artifacts).",
)
@click.option("-h", "--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("-p", "--port", default=5000, show_default=True, type=int, help="Port to bind.")
@click.option("-w", "--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--allowed-hosts",
    default=None,
    help="Comma-separated Host names the server answers (patterns with * allowed; default: "
    "localhost and private addresses).",
)
@click.option(
    "--cors-allowed-origins",
    default=None,
    help="Comma-separated browser origins allowed to call the API (default: localhost).",
)
@click.option(
    "--auth/--no-auth",
    default=None,
    help="Require users: passwords (Basic), tokens (Bearer) or a UI login; per-experiment and "
    "per-model permissions. Without an admin, the server prints a one-time bootstrap token. "
    "Default: env RUNSTONE_AUTH, else off.",
)
@click.option(
    "--auth-default-permission",
    type=click.Choice(["READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS"], case_sensitive=False),
    default=None,
    help="With --auth: what users may do with experiments and models they hold no grant on "
    "(default: env RUNSTONE_AUTH_DEFAULT_PERMISSION, else READ).",
)
@click.option(
    "--artifact-temp-max-age-hours",
    type=click.FloatRange(min=0, max=1e6),
    default=DEFAULT_ARTIFACT_TEMP_MAX_AGE_HOURS,
    show_default=True,
    envvar="RUNSTONE_ARTIFACT_TEMP_MAX_AGE_HOURS",
    callback=_hours,
    help="At start, remove the hidden temporary files of uploads killed half-way that are older "
    "than this from the local artifact roots, in the background (0: never; env "
    "RUNSTONE_ARTIFACT_TEMP_MAX_AGE_HOURS).",
)
@click.option(
    "--max-body-size",
    type=click.IntRange(1024),
    default=DEFAULT_MAX_REQUEST_BODY,
    show_default=True,
    help="Largest JSON request body in bytes (artifact uploads stream and are not limited).",
)
def server(
    backend_store_uri: str | None,
    default_artifact_root: str | None,
    artifacts_destination: str | None,
    serve_artifacts: bool,
    host: str,
    port: int,
    workers: int,
    allowed_hosts: str | None,
    cors_allowed_origins: str | None,
    auth: bool | None,
    auth_default_permission: str | None,
    artifact_temp_max_age_hours: float,
    max_body_size: int,
) -> None:
    """Run the tracking server: MLflow's REST API, the artifact proxy and the web UI."""
    from runstone.server.runner import run  # FastAPI, uvicorn: loaded by this command only

    settings = ServerSettings(
        backend_store_uri=backend_store_uri or env_value("BACKEND_STORE_URI") or DEFAULT_LOCAL_DIR,
        default_artifact_root=default_artifact_root,
        artifacts_destination=artifacts_destination,
        serve_artifacts=serve_artifacts,
        host=host,
        port=port,
        workers=workers,
        allowed_hosts=_split(allowed_hosts),
        cors_allowed_origins=_split(cors_allowed_origins),
        auth=env_flag("AUTH", False) if auth is None else auth,
        auth_default_permission=_default_permission(auth_default_permission),
        artifact_temp_max_age_hours=artifact_temp_max_age_hours,
        max_request_body_bytes=max_body_size,
    )
    if settings.auth:
        from runstone.server.auth import announce_bootstrap_token

        announce_bootstrap_token(settings)
    run(settings)
