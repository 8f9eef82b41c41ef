"""Runstone: tracking, projects, models and registry for machine learning, MLflow-compatible.

``import runstone`` gives the fluent API (``runstone.start_run()``, ``runstone.log_metric()``…)
and :class:`RunstoneClient`; it loads no database driver, web framework or numerical library.
"""

from __future__ import annotations

from runstone._version import __version__
from runstone.client.client import RunstoneClient
from runstone.client.fluent import (
    ActiveRun,
    active_run,
    delete_run,
    delete_tag,
    end_run,
    flush,
    get_artifact_uri,
    get_experiment,
    get_experiment_by_name,
    get_run,
    get_tracking_uri,
    last_active_run,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_image,
    log_input,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_table,
    log_text,
    register_model,
    search_experiments,
    search_runs,
    set_experiment,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)
from runstone.errors import RunstoneError

__all__ = [
    "ActiveRun",
    "RunstoneClient",
    "RunstoneError",
    "__version__",
    "active_run",
    "delete_run",
    "delete_tag",
    "end_run",
    "flush",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "register_model",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]
