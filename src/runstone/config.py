"""Settings, and the only module that reads environment variables.

Each setting has a Runstone name and, where MLflow has one, MLflow's name as a fallback, so a
script written for MLflow keeps working: ``RUNSTONE_X`` wins over ``MLFLOW_X``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_LOCAL_DIR = "runstone"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_value(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """``RUNSTONE_<name>``, else ``MLFLOW_<name>``, else None (empty values count as unset)."""
    env = os.environ if environ is None else environ
    for prefix in ("RUNSTONE_", "MLFLOW_"):
        value = env.get(prefix + name)
        if value:
            return value
    return None


def env_flag(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    raw = env_value(name, environ)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """How a SQL store behaves, whatever process opens it."""

    # MLflow truncates over-long param (6000) and run tag (8000) values instead of rejecting them.
    truncate_long_values: bool = True
    # Apply migrations when opening a SQLite file or an empty database (servers and local clients).
    auto_migrate: bool = True
    # Pool sizing for PostgreSQL and MySQL.
    pool_size: int = 5
    max_overflow: int = 10
    # How long a SQLite writer waits for another process's write lock before giving up.
    sqlite_busy_timeout_s: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StoreSettings:
        return cls(
            truncate_long_values=env_flag("TRUNCATE_LONG_VALUES", True, environ),
            sqlite_busy_timeout_s=_env_number("SQLITE_BUSY_TIMEOUT_SECONDS", 60.0, environ),
        )


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """What the Python client reads from the environment when it starts."""

    tracking_uri: str
    experiment_id: str | None = None
    experiment_name: str | None = None
    run_id: str | None = None  # a run to join, set by launchers such as `runstone run`
    async_logging: bool = True
    flush_interval_s: float = 1.0
    # While the store is unreachable, retry this long, then keep batches in the local spool.
    spool_after_s: float = 10.0
    spool_dir: Path | None = None  # default: ~/.runstone/spool
    system_metrics: bool = False
    system_metrics_interval_s: float = 10.0
    system_metrics_samples: int = 1
    system_metrics_node_id: str | None = None

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> ClientSettings:
        uri = env_value("TRACKING_URI", environ)
        if uri is None:
            uri = str((cwd or Path.cwd()) / DEFAULT_LOCAL_DIR)
        return cls(
            tracking_uri=uri,
            experiment_id=env_value("EXPERIMENT_ID", environ),
            experiment_name=env_value("EXPERIMENT_NAME", environ),
            run_id=env_value("RUN_ID", environ),
            async_logging=env_flag("ASYNC_LOGGING", True, environ),
            flush_interval_s=_env_number("FLUSH_INTERVAL_SECONDS", 1.0, environ),
            spool_after_s=_env_number("SPOOL_AFTER_SECONDS", 10.0, environ),
            spool_dir=Path(spool) if (spool := env_value("SPOOL_DIR", environ)) else None,
            system_metrics=env_flag("ENABLE_SYSTEM_METRICS_LOGGING", False, environ),
            system_metrics_interval_s=_env_number(
                "SYSTEM_METRICS_SAMPLING_INTERVAL", 10.0, environ
            ),
            system_metrics_samples=int(
                _env_number("SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING", 1, environ)
            ),
            system_metrics_node_id=env_value("SYSTEM_METRICS_NODE_ID", environ),
        )


def _env_number(
    name: str, default: float, environ: Mapping[str, str] | None, *, zero_ok: bool = False
) -> float:
    """A positive number (``zero_ok``: or 0) from the environment, else ``default``."""
    raw = env_value(name, environ)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if zero_ok and not value >= 0:  # negative, or NaN
        raise ValueError(f"{name} must be 0 or more, not {raw!r}")
    if not zero_ok and not value > 0:
        raise ValueError(f"{name} must be greater than 0, not {raw!r}")
    return value


# Hosts a browser may name in ``Host`` when none are configured: this machine and private
# networks (a DNS-rebinding page names its own domain, which is not among them).
DEFAULT_ALLOWED_HOSTS = (
    "localhost",
    "127.0.0.1",
    "[::1]",
    "::1",
    "10.*",
    "192.168.*",
    "172.16.*",
    "172.17.*",
    "172.18.*",
    "172.19.*",
    "172.2?.*",
    "172.30.*",
    "172.31.*",
)
# Largest API request body (JSON) a server reads by default.
DEFAULT_MAX_REQUEST_BODY = 32 * 1024 * 1024
# Browser origins allowed to call the API across origins when none are configured.
DEFAULT_CORS_ORIGINS = ("http://localhost", "http://127.0.0.1", "http://[::1]")
# Age (hours) past which a hidden temporary artifact file is a dead writer's.
DEFAULT_ARTIFACT_TEMP_MAX_AGE_HOURS = 24.0


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """How `runstone server` runs. Built from command-line options; handed to worker
    processes as JSON in ``RUNSTONE_SERVER_SETTINGS``."""

    backend_store_uri: str = DEFAULT_LOCAL_DIR
    # Root of new experiments' artifact locations; default: ``mlflow-artifacts:/`` when the
    # server serves artifacts, else the artifacts folder of the backend store.
    default_artifact_root: str | None = None
    # Where proxied artifacts are stored; default: the artifacts folder of the backend store.
    artifacts_destination: str | None = None
    serve_artifacts: bool = True
    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 1
    allowed_hosts: tuple[str, ...] = ()
    cors_allowed_origins: tuple[str, ...] = ()
    # Users, passwords, tokens and permissions (`runstone server --auth`).
    auth: bool = False
    # What a user may do with an experiment or model they hold no grant on: READ, USE, EDIT,
    # MANAGE or NO_PERMISSIONS (MLflow's `default_permission`).
    auth_default_permission: str = "READ"
    # Largest API request body (JSON) the server reads; artifact uploads stream and are exempt.
    # 32 MiB: MLflow allows a dataset profile of 16 MiB in one log-inputs request.
    max_request_body_bytes: int = DEFAULT_MAX_REQUEST_BODY
    # Deepest nesting of arrays and objects in a JSON request body.
    max_json_depth: int = 64
    # Hidden temporary files of writes killed half-way, untouched this long, are removed from
    # the local artifact roots when the server starts (0: never).
    artifact_temp_max_age_hours: float = DEFAULT_ARTIFACT_TEMP_MAX_AGE_HOURS

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServerSettings:
        raw = json.loads(text)
        raw["allowed_hosts"] = tuple(raw.get("allowed_hosts", ()))
        raw["cors_allowed_origins"] = tuple(raw.get("cors_allowed_origins", ()))
        return cls(**raw)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerSettings:
        """The settings a worker process was started with (or the defaults)."""
        raw = (os.environ if environ is None else environ).get("RUNSTONE_SERVER_SETTINGS")
        return cls.from_json(raw) if raw else cls()


@dataclass(frozen=True, slots=True)
class RestSettings:
    """How the client talks to a tracking server over HTTP.

    Environment names follow MLflow's (``MLFLOW_TRACKING_USERNAME`` …), each also readable as
    ``RUNSTONE_<NAME>``. Basic auth is used when a username and password are set, else a
    bearer token when one is. The retry policy (which requests may be retried, and when) is
    the REST store's; these settings only size it.
    """

    username: str | None = None  # TRACKING_USERNAME
    password: str | None = None  # TRACKING_PASSWORD
    token: str | None = None  # TRACKING_TOKEN
    insecure_tls: bool = False  # TRACKING_INSECURE_TLS: skip certificate verification
    server_cert_path: str | None = None  # TRACKING_SERVER_CERT_PATH: CA bundle to trust
    client_cert_path: str | None = None  # TRACKING_CLIENT_CERT_PATH: client certificate
    timeout_s: float = 120.0  # HTTP_REQUEST_TIMEOUT: per read/write, as in MLflow
    connect_timeout_s: float = 10.0  # HTTP_CONNECT_TIMEOUT (Runstone only)
    max_retries: int = 5  # HTTP_REQUEST_MAX_RETRIES (0: no retries)
    # Retry n (0-based) waits min(backoff_max_s, backoff_factor * 2**n) + uniform(0, jitter).
    # The defaults keep a whole retry sequence under the client's 10 s spool threshold.
    backoff_factor: float = 0.25  # HTTP_REQUEST_BACKOFF_FACTOR
    backoff_jitter: float = 0.25  # HTTP_REQUEST_BACKOFF_JITTER
    backoff_max_s: float = 10.0
    respect_retry_after: bool = True  # HTTP_RESPECT_RETRY_AFTER_HEADER

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RestSettings:
        return cls(
            username=env_value("TRACKING_USERNAME", environ),
            password=env_value("TRACKING_PASSWORD", environ),
            token=env_value("TRACKING_TOKEN", environ),
            insecure_tls=env_flag("TRACKING_INSECURE_TLS", False, environ),
            server_cert_path=env_value("TRACKING_SERVER_CERT_PATH", environ),
            client_cert_path=env_value("TRACKING_CLIENT_CERT_PATH", environ),
            timeout_s=_env_number("HTTP_REQUEST_TIMEOUT", 120.0, environ),
            connect_timeout_s=_env_number("HTTP_CONNECT_TIMEOUT", 10.0, environ),
            max_retries=int(_env_number("HTTP_REQUEST_MAX_RETRIES", 5, environ, zero_ok=True)),
            backoff_factor=_env_number("HTTP_REQUEST_BACKOFF_FACTOR", 0.25, environ, zero_ok=True),
            backoff_jitter=_env_number("HTTP_REQUEST_BACKOFF_JITTER", 0.25, environ, zero_ok=True),
            respect_retry_after=env_flag("HTTP_RESPECT_RETRY_AFTER_HEADER", True, environ),
        )


@dataclass(frozen=True, slots=True)
class S3Settings:
    """Where ``s3://`` artifact URIs are served, for S3-compatible stores (MinIO, moto, …).

    ``endpoint_url``: ``RUNSTONE_S3_ENDPOINT_URL`` / ``MLFLOW_S3_ENDPOINT_URL``, else the AWS
    SDKs' own ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``; None: AWS itself. Credentials and
    region are left to the AWS SDK (environment variables, profiles, instance roles).
    """

    endpoint_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> S3Settings:
        env = os.environ if environ is None else environ
        endpoint = (
            env_value("S3_ENDPOINT_URL", environ)
            or env.get("AWS_ENDPOINT_URL_S3")
            or env.get("AWS_ENDPOINT_URL")
        )
        return cls(endpoint_url=endpoint or None)


SCORING_SETTINGS_VARIABLE = "RUNSTONE_SCORING_SETTINGS"


@dataclass(frozen=True, slots=True)
class ScoringSettings:
    """How `runstone models serve` runs a model. Built from command-line options; handed to
    worker processes as JSON in ``RUNSTONE_SCORING_SETTINGS``."""

    model_dir: str = ""
    timeout_s: float = 60.0  # a request still running after this answers 504

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ScoringSettings:
        """The settings a scoring worker process was started with (or the defaults)."""
        raw = (os.environ if environ is None else environ).get(SCORING_SETTINGS_VARIABLE)
        return cls(**json.loads(raw)) if raw else cls()


def model_env_root(environ: Mapping[str, str] | None = None) -> Path:
    """Where ``--env-manager uv`` keeps the environments it builds for models:
    ``RUNSTONE_ENV_ROOT`` (or MLflow's ``MLFLOW_ENV_ROOT``), else ``~/.cache/runstone/envs``."""
    root = env_value("ENV_ROOT", environ)
    return Path(root).expanduser() if root else Path.home() / ".cache" / "runstone" / "envs"


def project_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where ``runstone run`` keeps what it builds: git checkouts of projects, environments
    (``envs/``) and detached runs' output (``logs/``). ``RUNSTONE_PROJECTS_CACHE_DIR``, else
    ``~/.cache/runstone/projects``."""
    root = env_value("PROJECTS_CACHE_DIR", environ)
    return Path(root).expanduser() if root else Path.home() / ".cache" / "runstone" / "projects"


def run_environment(
    tracking_uri: str, experiment_id: str, run_id: str, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """This process's environment (or ``environ``) for a child process whose client (Runstone's
    or MLflow's) must log into a run that a launcher such as ``runstone run`` created. Both
    prefixes are set, since ``RUNSTONE_X`` wins over ``MLFLOW_X`` and a stale one must not."""
    env = dict(os.environ if environ is None else environ)
    values = {"TRACKING_URI": tracking_uri, "EXPERIMENT_ID": experiment_id, "RUN_ID": run_id}
    for prefix in ("RUNSTONE_", "MLFLOW_"):
        env.pop(prefix + "EXPERIMENT_NAME", None)  # the run's experiment is decided
        env.update({prefix + name: value for name, value in values.items()})
    return env


def user_shell(environ: Mapping[str, str] | None = None) -> str:
    """The shell that runs ``*.sh`` entry points, as in MLflow: ``$SHELL``, else ``bash``."""
    return (os.environ if environ is None else environ).get("SHELL") or "bash"


def find_uv() -> str | None:
    """The ``uv`` executable: the one on PATH, else the one the ``uv`` Python package installed
    (into a virtual environment's ``bin``, which is not on PATH unless it is activated)."""
    found = shutil.which("uv")
    if found is not None:
        return found
    try:
        import uv  # optional: the uv package, when installed
    except ImportError:
        return None
    try:
        return str(uv.find_uv_bin())
    except FileNotFoundError:
        return None
