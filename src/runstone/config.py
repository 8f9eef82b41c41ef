"""Settings, and the only module that reads environment variables.

Each setting has a Runstone name and, where MLflow has one, MLflow's name as a fallback, so a
script written for MLflow keeps working: ``RUNSTONE_X`` wins over ``MLFLOW_X``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
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


def _env_number(name: str, default: float, environ: Mapping[str, str] | None) -> float:
    raw = env_value(name, environ)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be greater than 0, not {raw!r}")
    return value
