"""RestStore: the tracking store over an MLflow-compatible server's REST API.

Every call is one HTTP request (history reads without ``max_results`` are paged) through one
pooled ``httpx.Client``. Errors come back as the :mod:`runstone.errors` class the server named,
so callers see the same exceptions as from a SQL store.

Retries, with exponential backoff and jitter, happen only where they cannot apply a change twice:

* A request that provably never reached the server (connection refused, DNS failure, connect or
  pool timeout) is retried whatever it is.
* Idempotent requests are also retried after a failure that may have reached the server (read
  timeout, dropped connection) and on HTTP 429, 502, 503 and 504: reads (GETs and the search
  POSTs), upserts and write-once logging (``log-batch``, ``log-metric``, ``log-parameter``,
  ``log-inputs``, ``set-tag``, ``set-experiment-tag``), ``runs/update``, ``experiments/update``,
  and the two creates, which carry an ``Idempotency-Key`` header (one key per call, the same on
  every retry) so that the server answers a repeated create with the first one's result.
* The registry's reads, tag and alias sets, updates and stage transitions are retried too, and
  its two creates carry an ``Idempotency-Key``; see :mod:`runstone.store.rest_registry`.
* Deletes and restores (``experiments/delete|restore``, ``runs/delete|restore``,
  ``delete-tag``, ``delete-experiment-tag``, the registry's deletes and its rename) are never
  retried once they may have been sent: a repeat could fail (a tag already gone, an experiment
  no longer active, a model renamed already) after the first one succeeded. The caller gets
  :class:`TemporarilyUnavailable` saying the outcome is unknown.

When retries run out on a connection failure, :class:`TemporarilyUnavailable` names the URL; the
client's background logger relies on that to spool batches while the server is away.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from runstone.config import RestSettings
from runstone.entities import (
    DatasetInput,
    Experiment,
    Metric,
    MetricHistory,
    MetricSummary,
    Page,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from runstone.errors import (
    InternalError,
    InvalidParameterValue,
    NotFound,
    TemporarilyUnavailable,
)
from runstone.store import rest_codec as codec
from runstone.store import validation as v
from runstone.store.rest_logged_models import LoggedModelsRestPart
from runstone.store.rest_parts import JsonDict, T, ignore
from runstone.store.rest_registry import RegistryRestPart
from runstone.uri import StoreKind, parse_tracking_uri
from runstone.wire.http import (
    RETRY_STATUSES,
    UNSENT,
    describe,
    json_object,
    make_http_client,
    response_error,
    retry_delay,
    unreachable,
)

if TYPE_CHECKING:
    from runstone.store.base import Store, TrackingStore


API = "api/2.0/mlflow/"
AJAX_API = "ajax-api/2.0/mlflow/"
HISTORY_PAGE_SIZE = 25_000  # what MLflow's client pages full histories with


class RestStore(RegistryRestPart, LoggedModelsRestPart):
    """Experiments, runs, params, tags, metrics, inputs and the model registry kept by a
    tracking server.

    ``uri`` is the server's base URL (``http(s)://host[:port][/prefix]``); a path prefix is
    kept. The store builds its own ``httpx.Client`` from ``settings`` (auth, TLS, timeouts)
    and closes it in :meth:`close`; a ``client`` passed in (tests, custom transports) is used
    as is and left to its owner to close.
    """

    def __init__(
        self,
        uri: str,
        settings: RestSettings | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        parsed = parse_tracking_uri(uri)
        if parsed.kind is not StoreKind.REST:
            raise ValueError(f"RestStore needs an http(s) URI, not {uri!r}")
        self._base = parsed.url.rstrip("/")
        self._settings = settings or RestSettings()
        self._owns_client = client is None
        self._http = client if client is not None else make_http_client(self._settings)

    @property
    def base_url(self) -> str:
        return self._base

    @property
    def http_client(self) -> httpx.Client:
        """The pooled client this store sends through (thread-safe); artifact transfers to the
        same server share it. Closed with the store when the store built it."""
        return self._http

    @property
    def settings(self) -> RestSettings:
        return self._settings

    def __repr__(self) -> str:
        return f"RestStore({self._base!r})"

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    # -- experiments -------------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        body = {
            "name": v.check_experiment_name(name),
            "artifact_location": (
                None
                if artifact_location is None
                else codec.text(artifact_location, "artifact_location")
            ),
            "tags": codec.experiment_tags_json(tags or {}),
        }
        return self._post(
            "experiments/create",
            codec.without_empty(body),
            lambda d: str(d["experiment_id"]),
            idempotent=True,
            idempotency_key=uuid.uuid4().hex,
        )

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._get(
            "experiments/get",
            {"experiment_id": codec.entity_id(experiment_id)},
            lambda d: codec.experiment(d["experiment"]),
        )

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        if not codec.text(name, "experiment_name"):
            return None  # names no experiment (the server would call it a missing parameter)
        try:
            return self._get(
                "experiments/get-by-name",
                {"experiment_name": name},
                lambda d: codec.experiment(d["experiment"]),
            )
        except NotFound:
            return None

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]:
        body = {
            "view_type": ViewType(view_type).name,
            "max_results": v.check_int64(max_results, "max_results"),
            "filter": filter_string or None,
            "order_by": list(order_by) if order_by else None,
            "page_token": page_token or None,
        }
        return self._post(
            "experiments/search",
            codec.without_empty(body),
            lambda d: Page(
                tuple(map(codec.experiment, d.get("experiments", ()))),
                d.get("next_page_token") or None,
            ),
            idempotent=True,
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        body = {
            "experiment_id": codec.entity_id(experiment_id),
            "new_name": v.check_experiment_name(new_name),
        }
        self._post("experiments/update", body, ignore, idempotent=True)

    def delete_experiment(self, experiment_id: str) -> None:
        body = {"experiment_id": codec.entity_id(experiment_id)}
        self._post("experiments/delete", body, ignore, idempotent=False)

    def restore_experiment(self, experiment_id: str) -> None:
        body = {"experiment_id": codec.entity_id(experiment_id)}
        self._post("experiments/restore", body, ignore, idempotent=False)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        (tag,) = codec.experiment_tags_json({key: value})
        body = {"experiment_id": codec.entity_id(experiment_id), **tag}
        self._post("experiments/set-experiment-tag", body, ignore, idempotent=True)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        body = {"experiment_id": codec.entity_id(experiment_id), "key": codec.text(key, "key")}
        self._post("experiments/delete-experiment-tag", body, ignore, idempotent=False)

    # -- runs --------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        user_id: str = "",
        start_time: int | None = None,
        tags: Mapping[str, str] | Sequence[RunTag] | None = None,
        run_name: str | None = None,
    ) -> Run:
        # MLflow's server stores a missing start_time as 0; like MLflow's client, send "now".
        started = time.time_ns() // 1_000_000 if start_time is None else start_time
        body = {
            "experiment_id": codec.entity_id(experiment_id),
            "user_id": codec.text(user_id, "user_id") or None,
            "start_time": v.check_int64(started, "start_time", 0),
            "tags": codec.run_tags_json(tags),
            "run_name": codec.text(run_name, "run_name") if run_name else None,
        }
        return self._post(
            "runs/create",
            codec.without_empty(body),
            lambda d: codec.run(d["run"]),
            idempotent=True,
            idempotency_key=uuid.uuid4().hex,
        )

    def get_run(self, run_id: str) -> Run:
        return self._get("runs/get", {"run_id": run_id}, lambda d: codec.run(d["run"]))

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        body = {
            "run_id": run_id,
            "status": None if status is None else RunStatus(status).name,
            "end_time": None if end_time is None else v.check_int64(end_time, "end_time", 0),
            "run_name": codec.text(run_name, "run_name") if run_name else None,
        }
        return self._post(
            "runs/update",
            codec.without_empty(body),
            lambda d: codec.run_info(d["run_info"]),
            idempotent=True,
        )

    def delete_run(self, run_id: str) -> None:
        self._post("runs/delete", {"run_id": run_id}, ignore, idempotent=False)

    def restore_run(self, run_id: str) -> None:
        self._post("runs/restore", {"run_id": run_id}, ignore, idempotent=False)

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        (tag,) = codec.run_tags_json([RunTag(key, value)])
        self._post("runs/set-tag", {"run_id": run_id, **tag}, ignore, idempotent=True)

    def delete_tag(self, run_id: str, key: str) -> None:
        body = {"run_id": run_id, "key": codec.text(key, "key")}
        self._post("runs/delete-tag", body, ignore, idempotent=False)

    def log_param(self, run_id: str, key: str, value: str) -> None:
        (param,) = codec.params_json([Param(key, value)])
        self._post("runs/log-parameter", {"run_id": run_id, **param}, ignore, idempotent=True)

    def log_metric(self, run_id: str, metric: Metric) -> None:
        (point,) = codec.metrics_json([metric])
        self._post("runs/log-metric", {"run_id": run_id, **point}, ignore, idempotent=True)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        v.check_batch_sizes(metrics, params, tags)
        body = {
            "run_id": run_id,
            "metrics": codec.metrics_json(metrics),
            "params": codec.params_json(params),
            "tags": codec.run_tags_json(tags),
        }
        self._post("runs/log-batch", codec.without_empty(body), ignore, idempotent=True)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        body = {"run_id": run_id, "datasets": [codec.dataset_input_json(d) for d in datasets]}
        self._post("runs/log-inputs", codec.without_empty(body), ignore, idempotent=True)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Run]:
        body = {
            "experiment_ids": [codec.entity_id(e) for e in experiment_ids],
            "filter": filter_string or None,
            "run_view_type": ViewType(run_view_type).name,
            "max_results": v.check_int64(max_results, "max_results"),
            "order_by": list(order_by) if order_by else None,
            "page_token": page_token or None,
        }
        return self._post(
            "runs/search",
            codec.without_empty(body),
            lambda d: Page(
                tuple(map(codec.run, d.get("runs", ()))), d.get("next_page_token") or None
            ),
            idempotent=True,
        )

    # -- metric reads ------------------------------------------------------------------------

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> MetricHistory:
        """One page when ``max_results`` is given; else every point from ``page_token`` on,
        read in pages of :data:`HISTORY_PAGE_SIZE`."""
        query: dict[str, Any] = {"run_id": run_id, "metric_key": codec.text(key, "metric_key")}
        if max_results is not None:
            query["max_results"] = v.check_int64(max_results, "max_results")
            return self._get(
                "metrics/get-history",
                {**query, "page_token": page_token or None},
                lambda d: codec.history(
                    run_id, key, d.get("metrics", ()), d.get("next_page_token") or None
                ),
            )
        points: list[JsonDict] = []
        token = page_token or None
        while True:
            page = self._get(
                "metrics/get-history",
                {**query, "max_results": HISTORY_PAGE_SIZE, "page_token": token},
                lambda d: d,
            )
            points.extend(page.get("metrics", ()))
            token = page.get("next_page_token") or None
            if token is None:
                return self._read(lambda pts: codec.history(run_id, key, pts), points)

    def get_metric_history_sampled(
        self,
        run_ids: Sequence[str],
        key: str,
        max_points: int = 1000,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[MetricHistory]:
        """One ``get-history-bulk-interval`` read; the server checks the limits (at most 100
        runs, ``max_results`` within its cap). One history per distinct run id, in order."""
        ids = list(dict.fromkeys(run_ids))
        query = {
            "run_ids": ids,
            "metric_key": codec.text(key, "metric_key"),
            "max_results": v.check_int64(max_points, "max_results"),
            "start_step": start_step,
            "end_step": end_step,
        }

        def read(data: JsonDict) -> list[MetricHistory]:
            per_run: dict[str, list[JsonDict]] = {run_id: [] for run_id in ids}
            for point in data.get("metrics", ()):
                points = per_run.get(point.get("run_id", ""))
                if points is not None:
                    points.append(point)
            return [codec.history(run_id, key, points) for run_id, points in per_run.items()]

        return self._get("metrics/get-history-bulk-interval", query, read)

    def get_metric_summaries(self, run_id: str) -> list[MetricSummary]:
        """From ``GET /ajax-api/2.0/mlflow/runs/metric-summaries`` (MLflow has no such API)."""
        return self._get(
            "runs/metric-summaries",
            {"run_id": run_id},
            lambda d: [codec.metric_summary(s) for s in d.get("summaries", ())],
            prefix=AJAX_API,
        )

    # -- HTTP --------------------------------------------------------------------------------

    def _get(
        self,
        path: str,
        query: Mapping[str, Any],
        read: Callable[[JsonDict], T],
        prefix: str = API,
    ) -> T:
        params = {k: val for k, val in query.items() if val is not None}
        url = f"{self._base}/{prefix}{path}"
        response = self._exchange("GET", url, params, None, {}, idempotent=True)
        return self._read(read, _payload(response, "GET", url, self._base))

    def _post(
        self,
        path: str,
        body: JsonDict,
        read: Callable[[JsonDict], T],
        *,
        idempotent: bool,
        idempotency_key: str | None = None,
    ) -> T:
        return self._send(
            "POST", path, body, read, idempotent=idempotent, idempotency_key=idempotency_key
        )

    def _send(
        self,
        method: str,
        path: str,
        body: JsonDict,
        read: Callable[[JsonDict], T],
        *,
        idempotent: bool,
        idempotency_key: str | None = None,
    ) -> T:
        """A request with a JSON body: POST, or the registry's PATCH and DELETE."""
        url = f"{self._base}/{API}{path}"
        headers = {"Content-Type": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        try:
            content = orjson.dumps(body)
        except TypeError as exc:  # e.g. an int beyond 64 bits, an object JSON cannot hold
            raise InvalidParameterValue(f"The {path} request cannot be sent: {exc}.") from None
        response = self._exchange(method, url, None, content, headers, idempotent)
        return self._read(read, _payload(response, method, url, self._base))

    def _read(self, read: Callable[[Any], T], data: Any) -> T:
        try:
            return read(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InternalError(
                f"The tracking server at {self._base} sent a response Runstone cannot read "
                f"({type(exc).__name__}: {exc})."
            ) from exc

    def _exchange(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        headers: Mapping[str, str],
        idempotent: bool,
    ) -> httpx.Response:
        """Send, retrying what the module docstring says is safe to retry."""
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    method, url, params=params, content=content, headers=headers
                )
            except UNSENT as exc:
                failure: httpx.TransportError = exc
            except httpx.TransportError as exc:
                if not idempotent:
                    raise _maybe_applied(method, url, exc) from exc
                failure = exc
            except httpx.HTTPError as exc:  # redirects, decoding: nothing a retry changes
                raise InternalError(f"{method} {url} failed: {describe(exc)}") from exc
            else:
                if (
                    not idempotent
                    or response.status_code not in RETRY_STATUSES
                    or attempt >= self._settings.max_retries
                ):
                    return response
                self._pause(attempt, response.headers.get("Retry-After"))
                attempt += 1
                continue
            if attempt >= self._settings.max_retries:
                raise unreachable(self._base, method, url, failure, attempt + 1) from failure
            self._pause(attempt, None)
            attempt += 1

    def _pause(self, attempt: int, retry_after: str | None) -> None:
        delay = retry_delay(self._settings, attempt, retry_after)
        if delay > 0:
            time.sleep(delay)


def _payload(response: httpx.Response, method: str, url: str, base: str) -> JsonDict:
    if not response.is_success:
        raise response_error(response, method, url)
    return json_object(response, method, url, f"{base} a Runstone or MLflow tracking server")


def _maybe_applied(method: str, url: str, exc: httpx.TransportError) -> TemporarilyUnavailable:
    return TemporarilyUnavailable(
        f"{method} {url} failed before the tracking server answered ({describe(exc)}). The "
        "request may or may not have been applied; it was not retried because repeating it "
        "is not safe."
    )


if TYPE_CHECKING:  # mypy proves RestStore fulfils the contracts
    _conforms: type[TrackingStore] = RestStore
    _conforms_fully: type[Store] = RestStore
