"""Running a project as a tracked run: ``runstone run`` and :func:`runstone.projects.run`.

The steps, in an order that leaves nothing behind when the input is wrong: fetch the source,
read its MLproject, resolve the entry point's command from the parameters, choose the
environment manager, then build (or find) the environment. Only then is the run created, with
the source, entry point and environment as tags and the parameters as params; the command
starts in the project folder with the environment first on its PATH and the run's id, tracking
URI and experiment in its environment (both ``RUNSTONE_*`` and ``MLFLOW_*``), so that its own
``runstone.start_run()`` or ``mlflow.start_run()`` logs into that same run. Its exit decides the
run's status (see :mod:`runstone.projects.watch`).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from runstone.client import context
from runstone.client.client import RunstoneClient
from runstone.config import ClientSettings, project_cache_dir, run_environment
from runstone.entities import Param, RunStatus
from runstone.errors import AlreadyExists, InvalidParameterValue, InvalidState
from runstone.projects import environments, watch
from runstone.projects.environments import Environment, Progress
from runstone.projects.sources import ProjectSource, fetch_project
from runstone.projects.spec import ProjectSpec, ResolvedCommand, load_project
from runstone.uri import StoreKind, parse_tracking_uri, sqlite_path

PROJECT_ENTRY_POINT: Final = "mlflow.project.entryPoint"
PROJECT_ENV: Final = "mlflow.project.env"
PROJECT_BACKEND: Final = "mlflow.project.backend"
LEGACY_GIT_REPO_URL: Final = "mlflow.gitRepoURL"
DOCKER_IMAGE_URI: Final = "mlflow.docker.image.uri"
DEFAULT_EXPERIMENT_ID: Final = "0"


class RunFailed(InvalidState):
    """A synchronous project run ended FAILED or KILLED; ``run_id`` names it."""

    def __init__(self, message: str, run_id: str, status: RunStatus) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.status = status


class SubmittedRun:
    """A launched project run. A synchronous run has ended when it is returned; a detached one
    is supervised by a watcher process, which :meth:`wait` waits for."""

    def __init__(
        self,
        run_id: str,
        tracking_uri: str,
        watcher: subprocess.Popen[bytes] | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.run_id = run_id
        self.tracking_uri = tracking_uri
        self.log_file = log_file  # where a detached run's output goes
        self._watcher = watcher

    def wait(self) -> bool:
        """Wait until the run ends; True when it FINISHED."""
        if self._watcher is not None:
            self._watcher.wait()
        return self.get_status() == RunStatus.FINISHED.name

    def get_status(self) -> str:
        """The run's status as stored: RUNNING, FINISHED, FAILED or KILLED."""
        with RunstoneClient(self.tracking_uri) as client:
            return client.get_run(self.run_id).info.status.name

    def cancel(self) -> None:
        """Stop a detached run's command (the run ends KILLED) and wait until it has."""
        if self._watcher is not None and self._watcher.poll() is None:
            self._watcher.terminate()  # its watcher stops the command's group
            self._watcher.wait()


@dataclass(frozen=True)
class _Launch:
    """Everything decided before a run is created."""

    source: ProjectSource
    spec: ProjectSpec
    entry_point: str
    command: ResolvedCommand
    environment: Environment


def run(
    uri: str,
    entry_point: str = "main",
    version: str | None = None,
    parameters: Mapping[str, object] | None = None,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    env_manager: str | None = None,
    storage_dir: str | Path | None = None,
    synchronous: bool = True,
    tracking_uri: str | None = None,
) -> SubmittedRun:
    """Run entry point ``entry_point`` of the project at ``uri`` (a folder, ``file://`` or git
    URL, ``URI#subdirectory``) as a new run, and return it.

    Synchronous runs return when the command has ended and raise :class:`RunFailed` when it
    failed or was interrupted; with ``synchronous=False`` the call returns at once while a
    watcher process waits for the command and records its status.
    """
    if experiment_name is not None and experiment_id is not None:
        raise InvalidParameterValue("Give at most one of experiment_name and experiment_id.")
    tracking = absolute_tracking_uri(tracking_uri or ClientSettings.from_env().tracking_uri)
    params = {str(k): str(v) for k, v in (parameters or {}).items()}
    progress = Progress()
    launch = _prepare(uri, entry_point, version, params, env_manager, storage_dir, progress)
    with RunstoneClient(tracking) as client:
        experiment = _experiment_id(client, experiment_name, experiment_id)
        run_id = _create_run(client, experiment, launch, run_name)
    env = launch.environment.variables(run_environment(tracking, experiment, run_id))
    argv = _argv(launch, env, tracking)
    progress.note(f"run {run_id} starts: {launch.command.display}")
    if synchronous:
        return _run_here(argv, launch.spec.root, env, tracking, run_id)
    return _detach(argv, launch.spec.root, env, tracking, run_id, progress)


def _prepare(
    uri: str,
    entry_point: str,
    version: str | None,
    params: Mapping[str, str],
    env_manager: str | None,
    storage_dir: str | Path | None,
    progress: Progress,
) -> _Launch:
    """Fetch, read, resolve and build: every error that bad input can cause, raised before a
    run exists or anything of the project has run."""
    source = fetch_project(uri, version)
    spec = load_project(source.root)
    entry = spec.entry_point(entry_point)
    storage = Path(storage_dir) if storage_dir else Path(tempfile.gettempdir())
    command = entry.resolve(params, storage.absolute(), Path.cwd())
    manager = environments.choose_manager(env_manager, spec.env)
    environment = environments.prepare(spec, manager, progress=progress)
    return _Launch(source, spec, entry_point, command, environment)


def _experiment_id(client: RunstoneClient, name: str | None, experiment_id: str | None) -> str:
    """The run's experiment: the one given, else ``*_EXPERIMENT_ID`` / ``*_EXPERIMENT_NAME``
    of the environment, else the default one. A name that does not exist yet is created."""
    if experiment_id is None and name is None:
        settings = ClientSettings.from_env()
        experiment_id, name = settings.experiment_id, settings.experiment_name
    if experiment_id is not None:
        return client.get_experiment(experiment_id).experiment_id
    if name is None:
        return DEFAULT_EXPERIMENT_ID
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(name)
    except AlreadyExists:  # created meanwhile by another process
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def run_tags(launch: _Launch) -> dict[str, str]:
    """The system tags of a project run, as MLflow sets them."""
    source = launch.source
    tags = {
        context.USER: context.current_user(),
        context.SOURCE_NAME: source.source_name,
        context.SOURCE_TYPE: "PROJECT",
        PROJECT_ENTRY_POINT: launch.entry_point,
        PROJECT_ENV: launch.environment.manager,
        PROJECT_BACKEND: "local",
    }
    if source.git_commit:
        tags[context.GIT_COMMIT] = source.git_commit
    if source.git_branch:
        tags[context.GIT_BRANCH] = source.git_branch
    if source.git_repo_url:
        tags[context.GIT_REPO_URL] = source.git_repo_url
        tags[LEGACY_GIT_REPO_URL] = source.git_repo_url
    if launch.environment.docker_image:
        tags[DOCKER_IMAGE_URI] = launch.environment.docker_image
    return tags


def _create_run(
    client: RunstoneClient, experiment_id: str, launch: _Launch, run_name: str | None
) -> str:
    tags = run_tags(launch)
    run = client.create_run(experiment_id, tags=tags, run_name=run_name, user_id=tags[context.USER])
    run_id = run.info.run_id
    values = {**launch.command.params, **launch.command.extra_params}
    params = [Param(key, value) for key, value in values.items()]
    try:
        client.log_batch(run_id, params=params, synchronous=True)
    except BaseException:
        client.set_terminated(run_id, RunStatus.FAILED)
        raise
    return run_id


def _argv(launch: _Launch, env: dict[str, str], tracking_uri: str) -> list[str]:
    """The command itself, or for ``docker`` the ``docker run`` that runs it in the image."""
    docker = launch.environment.docker
    if docker is None:
        return list(launch.command.argv)
    variables = {k: v for k, v in env.items() if k.startswith(("RUNSTONE_", "MLFLOW_"))}
    local = _local_store_folder(tracking_uri)
    return environments.docker_command(
        launch.spec,
        docker,
        launch.command.argv,
        variables,
        mounts=[local] if local is not None else [],
    )


def _local_store_folder(tracking_uri: str) -> Path | None:
    """The folder of a local (SQLite) tracking store, which a container must see."""
    parsed = parse_tracking_uri(tracking_uri)
    if parsed.local_dir is not None:
        return parsed.local_dir
    if parsed.kind is StoreKind.SQLITE:
        path = sqlite_path(parsed.url)
        return path.parent if path is not None else None
    return None


def _run_here(
    argv: list[str], cwd: Path, env: dict[str, str], tracking_uri: str, run_id: str
) -> SubmittedRun:
    """Run the command in this process's care and record how it ended."""
    try:
        process = watch.start(argv, cwd, env)
    except OSError as exc:
        with RunstoneClient(tracking_uri) as client:
            client.set_terminated(run_id, RunStatus.FAILED)
        raise InvalidParameterValue(f"Cannot start {argv[0]!r} for run {run_id}: {exc}.") from None
    status, code = watch.supervise(process, tracking_uri, run_id)
    if status is RunStatus.KILLED:
        raise RunFailed(f"Run {run_id} was interrupted and is marked KILLED.", run_id, status)
    if status is RunStatus.FAILED:
        how = f"signal {-code}" if code < 0 else f"exit status {code}"
        raise RunFailed(f"Run {run_id} failed: the command ended with {how}.", run_id, status)
    return SubmittedRun(run_id, tracking_uri)


def _detach(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    tracking_uri: str,
    run_id: str,
    progress: Progress,
) -> SubmittedRun:
    """Leave the command to a watcher process in a session of its own, output to a log file."""
    logs = project_cache_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_file = logs / f"{run_id}.log"
    watcher_argv = [sys.executable, "-m", "runstone.projects.watch", run_id, tracking_uri, "--"]
    with log_file.open("ab") as output:
        watcher = watch.start([*watcher_argv, *argv], cwd, env, output)
    progress.note(f"run {run_id} detached; its output goes to {log_file}")
    return SubmittedRun(run_id, tracking_uri, watcher, log_file)


def absolute_tracking_uri(uri: str, cwd: Path | None = None) -> str:
    """``uri`` with a relative folder or ``sqlite:///relative.db`` made absolute, since the
    command runs in another working directory; other URIs unchanged."""
    parsed = parse_tracking_uri(uri)  # rejects what no process could use
    base = cwd or Path.cwd()
    if parsed.local_dir is not None:
        scheme = urlsplit(uri).scheme.lower()
        path = Path(urlsplit(uri).path if scheme == "file" else uri.strip()).expanduser()
        return str(path if path.is_absolute() else base / path)
    if parsed.kind is StoreKind.SQLITE:
        head, _, rest = uri.partition(":///")
        if rest and not rest.startswith("/") and not rest.startswith(":memory:"):
            return f"{head}:///{(base / rest).absolute()}"
    return uri
