"""The store contracts that every store implements: tracking and the model registry.

Callers program against :class:`TrackingStore`; the contract test suite runs the same tests
against every implementation, so a behaviour cannot differ between them without a test failing.
Errors are :mod:`runstone.errors` classes, never database or HTTP exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from runstone.entities import (
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelStatus,
    Metric,
    MetricHistory,
    MetricSummary,
    ModelStage,
    ModelVersion,
    Page,
    Param,
    RegisteredModel,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)


@runtime_checkable
class TrackingStore(Protocol):
    # -- experiments
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str: ...
    def get_experiment(self, experiment_id: str) -> Experiment: ...
    def get_experiment_by_name(self, name: str) -> Experiment | None: ...
    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]: ...
    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...
    def delete_experiment(self, experiment_id: str) -> None: ...
    def restore_experiment(self, experiment_id: str) -> None: ...
    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None: ...
    def delete_experiment_tag(self, experiment_id: str, key: str) -> None: ...

    # -- runs
    def create_run(
        self,
        experiment_id: str,
        user_id: str = "",
        start_time: int | None = None,
        tags: Mapping[str, str] | Sequence[RunTag] | None = None,
        run_name: str | None = None,
    ) -> Run: ...
    def get_run(self, run_id: str) -> Run: ...
    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo: ...
    def delete_run(self, run_id: str) -> None: ...
    def restore_run(self, run_id: str) -> None: ...
    def set_tag(self, run_id: str, key: str, value: str) -> None: ...
    def delete_tag(self, run_id: str, key: str) -> None: ...
    def log_param(self, run_id: str, key: str, value: str) -> None: ...
    def log_metric(self, run_id: str, metric: Metric) -> None: ...
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None: ...
    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None: ...
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Run]: ...

    # -- metric reads
    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> MetricHistory: ...
    def get_metric_history_sampled(
        self,
        run_ids: Sequence[str],
        key: str,
        max_points: int = 1000,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[MetricHistory]: ...
    def get_metric_summaries(self, run_id: str) -> list[MetricSummary]: ...

    # -- logged models (MLflow 3)
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel: ...
    def get_logged_model(self, model_id: str) -> LoggedModel: ...
    def finalize_logged_model(
        self, model_id: str, status: LoggedModelStatus | str | int
    ) -> LoggedModel: ...
    def delete_logged_model(self, model_id: str) -> None: ...
    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None: ...
    def delete_logged_model_tag(self, model_id: str, key: str) -> None: ...
    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None: ...
    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = 50,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[LoggedModel]: ...
    def log_outputs(self, run_id: str, models: Sequence[tuple[str, int]]) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class RegistryStore(Protocol):
    """Registered models and their versions. ``version`` arguments take the number as an int
    or as its decimal string (the wire sends strings); returned versions carry strings."""

    # -- registered models
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> RegisteredModel: ...
    def get_registered_model(self, name: str) -> RegisteredModel: ...
    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...
    def update_registered_model(self, name: str, description: str) -> RegisteredModel: ...
    def delete_registered_model(self, name: str) -> None: ...
    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[RegisteredModel]: ...
    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]: ...
    def set_registered_model_tag(self, name: str, key: str, value: str) -> None: ...
    def delete_registered_model_tag(self, name: str, key: str) -> None: ...
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None: ...
    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...

    # -- model versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
        user_id: str = "",
    ) -> ModelVersion: ...
    def get_model_version(self, name: str, version: str | int) -> ModelVersion: ...
    def update_model_version(
        self, name: str, version: str | int, description: str
    ) -> ModelVersion: ...
    def delete_model_version(self, name: str, version: str | int) -> None: ...
    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[ModelVersion]: ...
    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: str | ModelStage,
        archive_existing_versions: bool = False,
    ) -> ModelVersion: ...
    def get_model_version_download_uri(self, name: str, version: str | int) -> str: ...
    def set_model_version_tag(
        self, name: str, version: str | int, key: str, value: str
    ) -> None: ...
    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Store(TrackingStore, RegistryStore, Protocol):
    """Tracking and registry in one: what SqlStore and RestStore both are."""
