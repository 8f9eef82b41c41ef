"""RunstoneClient: every explicit tracking and registry operation, over the store a tracking URI
names."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runstone.client.artifact_verbs import ArtifactVerbs
from runstone.client.logged_model_verbs import LoggedModelVerbs
from runstone.client.logger import BatchLogger
from runstone.client.registry_verbs import RegistryVerbs
from runstone.client.spool import Spool, spool_folder
from runstone.client.stores import open_store
from runstone.config import ClientSettings, RestSettings
from runstone.entities import (
    DatasetInput,
    Experiment,
    Metric,
    Page,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from runstone.entities.metric import is_number
from runstone.errors import InvalidParameterValue, TemporarilyUnavailable
from runstone.store.base import Store

if TYPE_CHECKING:
    import httpx


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class RunstoneClient(ArtifactVerbs, RegistryVerbs, LoggedModelVerbs):
    """The explicit API: name the experiment or run in every call.

    Metrics, params and tags are sent in the background by default (``synchronous=False``):
    the call returns at once and ``flush()`` waits until everything is stored, raising what
    failed. ``synchronous=True`` on a call, or ``RUNSTONE_ASYNC_LOGGING=false``, stores it
    before returning.
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        *,
        store: Store | None = None,
        settings: ClientSettings | None = None,
    ) -> None:
        self._settings = settings or ClientSettings.from_env()
        self.tracking_uri = tracking_uri or self._settings.tracking_uri
        self._store = store
        self._logger: BatchLogger | None = None
        self._lock = threading.Lock()
        # Built for artifact proxy transfers only when the store has no HTTP client to share.
        self._http: tuple[httpx.Client, RestSettings] | None = None

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        """The store, opened on first use (opening a database is not free)."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = open_store(self.tracking_uri)
        return self._store

    def artifact_http(self) -> tuple[httpx.Client, RestSettings]:
        """The HTTP client for a tracking server's artifact proxy: the REST store's own (one
        connection pool for tracking calls and artifact transfers), else one built from the
        environment's settings on first use and closed by :meth:`close`."""
        store = self.store
        from runstone.store.rest import RestStore  # httpx: already loaded for a server URI

        if isinstance(store, RestStore):
            return store.http_client, store.settings
        with self._lock:
            if self._http is None:
                from runstone.wire.http import make_http_client

                settings = RestSettings.from_env()
                self._http = (make_http_client(settings), settings)
            return self._http

    @property
    def logger(self) -> BatchLogger:
        if self._logger is None:
            with self._lock:
                if self._logger is None:
                    self._logger = BatchLogger(
                        self._send_batch,
                        flush_interval_s=self._settings.flush_interval_s,
                        spool=self.spool,
                        spool_after_s=self._settings.spool_after_s,
                    )
        return self._logger

    @property
    def spool(self) -> Spool:
        """Where batches wait while this client's store is unreachable."""
        root = self._settings.spool_dir or Path.home() / ".runstone" / "spool"
        return Spool(spool_folder(root, self.tracking_uri), self.tracking_uri)

    def sync(self) -> int:
        """Deliver batches spooled while the store was unreachable (by any process that used
        this tracking URI); returns how many were delivered."""
        self.flush()
        if self._logger is not None and self._logger.spooling:
            raise TemporarilyUnavailable("The tracking store is still unavailable.")
        return self.spool.deliver(
            lambda b: self.store.log_batch(b.run_id, b.metrics, b.params, b.tags)
        )

    def _send_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric],
        params: Sequence[Param],
        tags: Sequence[RunTag],
    ) -> None:
        self.store.log_batch(run_id, metrics=metrics, params=params, tags=tags)

    def _synchronous(self, synchronous: bool | None) -> bool:
        return not self._settings.async_logging if synchronous is None else synchronous

    def flush(self) -> None:
        """Wait until everything logged so far is stored; raise the first background failure."""
        if self._logger is not None:
            self._logger.flush()

    def close(self) -> None:
        """Store what is still queued, then release the store's connections."""
        try:
            if self._logger is not None:
                self._logger.close()
        finally:
            if self._http is not None:
                self._http[0].close()
            if self._store is not None:
                self._store.close()

    def __enter__(self) -> RunstoneClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- experiments -------------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        return self.store.create_experiment(name, artifact_location, tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.store.get_experiment(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self.store.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]:
        return self.store.search_experiments(
            view_type, max_results, filter_string, order_by, page_token
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self.store.rename_experiment(experiment_id, new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        self.store.delete_experiment(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        self.store.restore_experiment(experiment_id)

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        self.store.set_experiment_tag(experiment_id, key, str(value))

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self.store.delete_experiment_tag(experiment_id, key)

    # -- runs --------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
        user_id: str = "",
    ) -> Run:
        str_tags = {k: str(v) for k, v in (tags or {}).items()}
        user = user_id or str_tags.get("mlflow.user", "")
        return self.store.create_run(
            experiment_id,
            user_id=user,
            start_time=now_ms() if start_time is None else start_time,
            tags=str_tags,
            run_name=run_name,
        )

    def get_run(self, run_id: str) -> Run:
        return self.store.get_run(run_id)

    def update_run(
        self, run_id: str, status: RunStatus | str | None = None, name: str | None = None
    ) -> RunInfo:
        self.flush()
        return self.store.update_run_info(run_id, _status(status), None, name)

    def set_terminated(
        self, run_id: str, status: RunStatus | str = RunStatus.FINISHED, end_time: int | None = None
    ) -> RunInfo:
        """End a run: everything logged to it is stored first."""
        self.flush()
        end = now_ms() if end_time is None else end_time
        return self.store.update_run_info(run_id, _status(status), end, None)

    def delete_run(self, run_id: str) -> None:
        self.flush()
        self.store.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        self.store.restore_run(run_id)

    def search_runs(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str = "",
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Run]:
        ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
        return self.store.search_runs(
            ids, filter_string or None, run_view_type, max_results, order_by, page_token
        )

    # -- logging -----------------------------------------------------------------------------

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        if type(value) is not float and not is_number(value):
            raise InvalidParameterValue(
                f"Invalid value {value!r} for metric {key!r}: expected a number."
            )
        metric = Metric(
            key,
            value,
            time.time_ns() // 1_000_000 if timestamp is None else timestamp,
            0 if step is None else step,
            run_id,
        )
        if synchronous or (synchronous is None and not self._settings.async_logging):
            self.store.log_metric(run_id, metric)
        else:
            (self._logger or self.logger).put_metric(metric)  # the hot path: ~1 µs in all

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        param = Param(key, str(value))
        if self._synchronous(synchronous):
            self.store.log_param(run_id, param.key, param.value)
        else:
            self.logger.put(run_id, param)
        return value

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        tag = RunTag(key, str(value))
        if self._synchronous(synchronous):
            self.store.set_tag(run_id, tag.key, tag.value)
        else:
            self.logger.put(run_id, tag)

    def delete_tag(self, run_id: str, key: str) -> None:
        self.flush()
        self.store.delete_tag(run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> None:
        if self._synchronous(synchronous):
            self.store.log_batch(run_id, metrics, params, tags)
            return
        logger = self.logger
        items: list[Metric | Param | RunTag] = [*metrics, *params, *tags]
        for item in items:
            logger.put(run_id, item)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        self.store.log_inputs(run_id, datasets)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        self.flush()
        return self.store.get_metric_history(run_id, key).to_list()


def _status(status: RunStatus | str | None) -> RunStatus | None:
    if status is None or isinstance(status, RunStatus):
        return status
    try:
        return RunStatus[status.upper()]
    except KeyError:
        names = ", ".join(s.name for s in RunStatus)
        raise InvalidParameterValue(f"Invalid run status {status!r}; use one of {names}.") from None
