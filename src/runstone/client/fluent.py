"""The fluent API: module functions that act on the active run, with MLflow's names.

The active-run stack lives in a ContextVar, so each thread and each asyncio task has its own:
a thread that starts a run logs to it without seeing another thread's run. The tracking URI and
the current experiment are process-wide, as in MLflow.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from runstone.client import context, resolve
from runstone.client.client import RunstoneClient, now_ms
from runstone.client.paging import collect
from runstone.config import ClientSettings
from runstone.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    Metric,
    ModelVersion,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from runstone.errors import AlreadyExists, InvalidParameterValue, NotFound

if TYPE_CHECKING:
    from runstone.client.system_metrics import SystemMetricsSampler

DEFAULT_EXPERIMENT_ID = "0"

_log = logging.getLogger(__name__)


class ActiveRun:
    """A started run; as a context manager it ends the run with the right status."""

    def __init__(self, run: Run, sampler: SystemMetricsSampler | None = None) -> None:
        self._run = run
        self._sampler = sampler
        self.run_id = run.info.run_id  # read on every fluent log call

    @property
    def info(self) -> Any:
        return self._run.info

    @property
    def data(self) -> Any:
        return self._run.data

    @property
    def run(self) -> Run:
        return self._run

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        end_run(_status_for(exc_type))


@dataclass
class _Process:
    """Process-wide fluent state: where to track, the current experiment, the client."""

    settings: ClientSettings | None = None
    tracking_uri: str | None = None
    experiment_id: str | None = None
    client: RunstoneClient | None = None
    last_run_id: str | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    exit_hooked: bool = False


_process = _Process()
_active: ContextVar[tuple[ActiveRun, ...]] = ContextVar("runstone_active_runs", default=())


def _settings() -> ClientSettings:
    if _process.settings is None:
        _process.settings = ClientSettings.from_env()
    return _process.settings


def _client() -> RunstoneClient:
    client = _process.client
    if client is None:
        with _process.lock:
            if _process.client is None:
                uri = _process.tracking_uri or _settings().tracking_uri
                _process.client = RunstoneClient(uri, settings=_settings())
            client = _process.client
    return client


# -- where to track ----------------------------------------------------------------------------


def set_tracking_uri(uri: str) -> None:
    """Track to ``uri`` from now on (a database URL, a server URL or a folder)."""
    with _process.lock:
        old, _process.client = _process.client, None
        _process.tracking_uri = uri
        _process.experiment_id = None
    if old is not None:
        old.close()


def get_tracking_uri() -> str:
    return _process.tracking_uri or _settings().tracking_uri


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment current for new runs, creating it by name if it does not exist."""
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidParameterValue("Give exactly one of experiment_name and experiment_id.")
    experiment = _find_or_create_experiment(experiment_name, experiment_id)
    if experiment.lifecycle_stage != "active":
        raise InvalidParameterValue(
            f"Cannot set a deleted experiment {experiment.name!r} as the active experiment."
        )
    _process.experiment_id = experiment.experiment_id
    return experiment


def _find_or_create_experiment(name: str | None, experiment_id: str | None) -> Experiment:
    client = _client()
    if experiment_id is not None:
        return client.get_experiment(experiment_id)
    assert name is not None
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found
    try:
        return client.get_experiment(client.create_experiment(name))
    except AlreadyExists:  # created meanwhile by another process
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found


def _current_experiment_id() -> str:
    if _process.experiment_id is not None:
        return _process.experiment_id
    settings = _settings()
    if settings.experiment_id:
        return settings.experiment_id
    if settings.experiment_name:
        return set_experiment(settings.experiment_name).experiment_id
    return DEFAULT_EXPERIMENT_ID


# -- runs --------------------------------------------------------------------------------------


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    parent_run_id: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a new run (or resume ``run_id``) and make it the active run of this context.

    ``log_system_metrics`` (default: ``RUNSTONE_ENABLE_SYSTEM_METRICS_LOGGING``) samples CPU,
    memory, disk, network and GPU use into ``system/…`` metrics while the run is active.
    """
    stack = _active.get()
    if stack and not nested:
        raise InvalidParameterValue(
            f"Run with UUID {stack[-1].info.run_id} is already active. To start a nested run, "
            "call start_run with nested=True."
        )
    client = _client()
    resume = run_id or (None if stack else _settings().run_id)
    if resume:
        run = _resume(client, resume)
    else:
        parent = parent_run_id or (stack[-1].info.run_id if stack else None)
        run = _create(client, experiment_id, run_name, tags, description, parent)
    wanted = _settings().system_metrics if log_system_metrics is None else log_system_metrics
    active = ActiveRun(run, _system_metrics(client, run.info.run_id) if wanted else None)
    _active.set((*stack, active))
    _process.last_run_id = run.info.run_id
    _hook_exit()
    return active


def _create(
    client: RunstoneClient,
    experiment_id: str | None,
    run_name: str | None,
    tags: Mapping[str, Any] | None,
    description: str | None,
    parent_run_id: str | None,
) -> Run:
    all_tags: dict[str, Any] = {**context.source_tags(), **(tags or {})}
    if parent_run_id:
        all_tags[context.PARENT_RUN_ID] = parent_run_id
    if description is not None:
        all_tags[context.NOTE] = description
    return client.create_run(
        experiment_id or _current_experiment_id(),
        tags=all_tags,
        run_name=run_name,
        user_id=str(all_tags.get(context.USER, "")),
    )


def _resume(client: RunstoneClient, run_id: str) -> Run:
    run = client.get_run(run_id)
    if run.info.status is not RunStatus.RUNNING:
        client.update_run(run_id, RunStatus.RUNNING)
        run = client.get_run(run_id)
    return run


def _system_metrics(client: RunstoneClient, run_id: str) -> SystemMetricsSampler:
    from runstone.client.system_metrics import SystemMetricsSampler  # psutil: only when asked

    settings = _settings()
    sampler = SystemMetricsSampler(
        lambda metrics: client.log_batch(run_id, metrics=metrics),
        interval_s=settings.system_metrics_interval_s,
        samples_per_log=settings.system_metrics_samples,
        node_id=settings.system_metrics_node_id,
    )
    sampler.start()
    return sampler


def end_run(status: RunStatus | str = RunStatus.FINISHED) -> None:
    """End the active run: flush what was logged to it, then record its status and end time."""
    stack = _active.get()
    if not stack:
        return
    ending = stack[-1]
    _active.set(stack[:-1])
    if ending._sampler is not None:
        ending._sampler.stop()
    _client().set_terminated(ending.info.run_id, status)


def active_run() -> ActiveRun | None:
    stack = _active.get()
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    """The active run, or else the last run started in this process (as stored now)."""
    current = active_run()
    run_id = current.info.run_id if current else _process.last_run_id
    return None if run_id is None else _client().get_run(run_id)


def _run_id() -> str:
    """The active run's id, starting a run first if there is none (as MLflow does)."""
    stack = _active.get()
    if stack:
        return stack[-1].run_id
    return start_run().run_id


# -- logging -----------------------------------------------------------------------------------


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
) -> None:
    client = _process.client or _client()
    client.log_metric(run_id or _run_id(), key, value, timestamp, step, synchronous)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
) -> None:
    ts = now_ms() if timestamp is None else timestamp
    items = [Metric(k, v, ts, step or 0) for k, v in metrics.items()]
    _client().log_batch(run_id or _run_id(), metrics=items, synchronous=synchronous)


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    return _client().log_param(_run_id(), key, value, synchronous)


def log_params(params: Mapping[str, Any], synchronous: bool | None = None) -> None:
    items = [Param(k, str(v)) for k, v in params.items()]
    _client().log_batch(_run_id(), params=items, synchronous=synchronous)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    _client().set_tag(_run_id(), key, value, synchronous)


def set_tags(tags: Mapping[str, Any], synchronous: bool | None = None) -> None:
    items = [RunTag(k, str(v)) for k, v in tags.items()]
    _client().log_batch(_run_id(), tags=items, synchronous=synchronous)


def delete_tag(key: str) -> None:
    _client().delete_tag(_run_id(), key)


def log_input(
    dataset: Dataset, context: str | None = None, tags: Mapping[str, str] | None = None
) -> None:
    """Record that the active run used ``dataset`` (``context``: e.g. "train", "eval")."""
    input_tags = [InputTag(k, v) for k, v in (tags or {}).items()]
    if context is not None:
        input_tags.append(InputTag("mlflow.data.context", context))
    _client().log_inputs(_run_id(), [DatasetInput(dataset, tuple(input_tags))])


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    _client().log_artifact(_run_id(), local_path, artifact_path)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    _client().log_artifacts(_run_id(), local_dir, artifact_path)


def log_text(text: str, artifact_file: str) -> None:
    _client().log_text(_run_id(), text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str) -> None:
    _client().log_dict(_run_id(), dictionary, artifact_file)


def log_figure(
    figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None
) -> None:
    _client().log_figure(_run_id(), figure, artifact_file, save_kwargs=save_kwargs)


def log_image(image: Any, artifact_file: str) -> None:
    _client().log_image(_run_id(), image, artifact_file)


def log_table(data: Any, artifact_file: str) -> None:
    _client().log_table(_run_id(), data, artifact_file)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The active run's artifact URI, or that of ``artifact_path`` inside it."""
    stack = _active.get()
    run_id = stack[-1].info.run_id if stack else _run_id()
    base = str(_client().get_run(run_id).info.artifact_uri).rstrip("/")
    return base if not artifact_path else f"{base}/{artifact_path.lstrip('/')}"


def flush() -> None:
    """Wait until everything logged so far is stored; raise what the background could not store."""
    if _process.client is not None:
        _process.client.flush()


# -- reading -----------------------------------------------------------------------------------


def get_run(run_id: str) -> Run:
    return _client().get_run(run_id)


def delete_run(run_id: str) -> None:
    _client().delete_run(run_id)


def get_experiment(experiment_id: str) -> Experiment:
    return _client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    return _client().get_experiment_by_name(name)


def search_experiments(
    view_type: ViewType = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """Every matching experiment (all pages), or the first ``max_results``."""
    client = _client()
    return collect(
        lambda size, token: client.search_experiments(
            view_type, size, filter_string, order_by, token
        ),
        max_results,
    )


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    experiment_names: Sequence[str] | None = None,
) -> Any:
    """Runs as a pandas DataFrame with MLflow's columns, or a list with ``output_format="list"``."""
    if output_format not in ("pandas", "list"):
        raise InvalidParameterValue(
            f"output_format must be 'pandas' or 'list', not {output_format!r}"
        )
    flush()
    ids = list(experiment_ids or [])
    for name in experiment_names or ():
        found = get_experiment_by_name(name)
        if found is None:
            raise NotFound(f"No experiment named {name!r}.")
        ids.append(found.experiment_id)
    if not ids:
        ids = [_current_experiment_id()]
    runs = _all_runs(ids, filter_string, run_view_type, max_results, order_by)
    if output_format == "list":
        return runs
    try:
        from runstone.client.frames import runs_frame  # pandas: heavy, loaded for DataFrames only
    except ImportError as exc:
        raise InvalidParameterValue(
            "search_runs returns a pandas DataFrame: install pandas (pip install pandas), or "
            "pass output_format='list'."
        ) from exc
    return runs_frame(runs)


def _all_runs(
    ids: list[str],
    filter_string: str,
    view: ViewType,
    max_results: int,
    order_by: Sequence[str] | None,
) -> list[Run]:
    client = _client()
    return collect(
        lambda size, token: client.search_runs(ids, filter_string, view, size, order_by, token),
        max_results,
        page_size=50_000,
    )


# -- the model registry ------------------------------------------------------------------------


def register_model(
    model_uri: str,
    name: str,
    await_registration_for: int = 300,
    *,
    tags: Mapping[str, Any] | None = None,
) -> ModelVersion:
    """Record the model at ``model_uri`` as a new version of registered model ``name``,
    creating the model on first use; the new version (``tags`` are its tags).

    A ``runs:/<run_id>/…`` URI links the version to its run, and a logged model's
    ``models:/<model_id>`` to the model and the run that logged it; ``runs:/<run_id>/<name>``
    of a model the run logged (MLflow 3) registers that model. The source is kept as given,
    so the registry still finds the files if the run's storage moves. ``await_registration_for``
    is accepted for MLflow's signature: versions are ready at once, there is nothing to wait for.
    """
    client = _client()
    run_id = model_id = None
    if resolve.scheme_of(model_uri) == "runs":
        parsed = resolve.parse_runs_uri(model_uri)
        run_id = parsed.run_id
        logged = resolve.run_logged_model(client.store, parsed)
        if logged is not None:  # the run logged it MLflow 3's way: register the model itself
            model_id, model_uri = logged.model_id, f"models:/{logged.model_id}"
    elif resolve.scheme_of(model_uri) == "models":
        parsed_model = resolve.parse_models_uri(model_uri)
        if isinstance(parsed_model, resolve.LoggedModelUri):
            model_id = parsed_model.model_id
            run_id = client.get_logged_model(model_id).source_run_id or None
    try:
        client.create_registered_model(name)
        _log.info("Successfully registered model '%s'.", name)
    except AlreadyExists:  # registering another version is the common case, not an error
        _log.info("Registered model '%s' already exists. Creating a new version of it.", name)
    version = client.create_model_version(
        name, model_uri, run_id=run_id, tags=tags, model_id=model_id
    )
    _log.info("Created version '%s' of model '%s'.", version.version, version.name)
    return version


def reset() -> None:
    """End this context's active runs and forget process state (tracking URI, experiment,
    settings read from the environment). For tests, and for notebooks that switch setups."""
    _end_all_runs(RunStatus.FINISHED)
    with _process.lock:
        client, _process.client = _process.client, None
        _process.settings = None
        _process.tracking_uri = None
        _process.experiment_id = None
        _process.last_run_id = None
    if client is not None:
        client.close()


# -- process exit ------------------------------------------------------------------------------


def _status_for(exc_type: type[BaseException] | None) -> RunStatus:
    if exc_type is None:
        return RunStatus.FINISHED
    if issubclass(exc_type, KeyboardInterrupt):
        return RunStatus.KILLED
    return RunStatus.FAILED


def _hook_exit() -> None:
    with _process.lock:
        if _process.exit_hooked:
            return
        _process.exit_hooked = True
    from runstone.client import lifecycle  # signal and excepthook handling, set up on first run

    lifecycle.install(_end_all_runs)
    atexit.register(_at_exit)


def _end_all_runs(status: RunStatus) -> None:
    while _active.get():
        end_run(status)


def _at_exit() -> None:
    from runstone.client import lifecycle

    _end_all_runs(lifecycle.exit_status())
    if _process.client is not None:
        _process.client.close()
