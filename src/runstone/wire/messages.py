"""Request messages of MLflow's REST API, as pydantic models.

Field names are MLflow's (snake_case); the lowerCamel spelling is accepted too, as MLflow's
JSON parser does. Every field is optional at this level: which ones a request must carry is
listed in ``required`` and checked by :func:`runstone.wire.decode.decode_request`, which gives
MLflow's "Missing value for required parameter" error for an absent *or empty* value.

Numbers are accepted as JSON numbers or numeric strings (int64 fields arrive as strings from
some clients), doubles also as ``"NaN"``/``"Infinity"``/``"-Infinity"``, and enums by name or
by number.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from runstone.entities import RunStatus, ViewType


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a number, not a boolean")
    return value


def _enum_by_name(enum: type[IntEnum]) -> BeforeValidator:
    def convert(value: Any) -> Any:
        if isinstance(value, str) and not value.lstrip("-").isdigit():
            try:
                return enum[value.upper()]
            except KeyError:
                names = ", ".join(member.name for member in enum)
                raise ValueError(f"expected one of {names}") from None
        return value

    return BeforeValidator(convert)


Number = Annotated[float, BeforeValidator(_no_bool)]
Int64 = Annotated[int, BeforeValidator(_no_bool), Field(ge=-(2**63), le=2**63 - 1)]
Status = Annotated[RunStatus, _enum_by_name(RunStatus)]
View = Annotated[ViewType, _enum_by_name(ViewType)]


class Message(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
        # Enum members are kept as members (not their numbers) for the handlers.
        use_enum_values=False,
    )
    required: ClassVar[tuple[str, ...]] = ()


class KeyValue(Message):
    key: str | None = None
    value: str | None = None


# -- experiments -------------------------------------------------------------------------------


class CreateExperiment(Message):
    required = ("name",)
    name: str | None = None
    artifact_location: str | None = None
    tags: list[KeyValue] = []


class GetExperiment(Message):
    required = ("experiment_id",)
    experiment_id: str | None = None


class GetExperimentByName(Message):
    required = ("experiment_name",)
    experiment_name: str | None = None


class SearchExperiments(Message):
    max_results: Int64 | None = None
    page_token: str | None = None
    filter: str | None = None
    order_by: list[str] = []
    view_type: View | None = None


class UpdateExperiment(Message):
    required = ("experiment_id", "new_name")
    experiment_id: str | None = None
    new_name: str | None = None


class ExperimentId(Message):
    """experiments/delete and experiments/restore."""

    required = ("experiment_id",)
    experiment_id: str | None = None


class SetExperimentTag(Message):
    required = ("experiment_id", "key")
    experiment_id: str | None = None
    key: str | None = None
    value: str | None = None


class DeleteExperimentTag(Message):
    required = ("experiment_id", "key")
    experiment_id: str | None = None
    key: str | None = None


# -- runs --------------------------------------------------------------------------------------


class RunMessage(Message):
    """A request about one run: ``run_id``, or its legacy name ``run_uuid``."""

    required: ClassVar[tuple[str, ...]] = ("run_id",)
    run_id: str | None = None
    run_uuid: str | None = None

    @property
    def the_run_id(self) -> str:
        return self.run_id or self.run_uuid or ""


class CreateRun(Message):
    required = ("experiment_id",)
    experiment_id: str | None = None
    user_id: str | None = None
    run_name: str | None = None
    start_time: Int64 | None = None
    tags: list[KeyValue] = []


class UpdateRun(RunMessage):
    status: Status | None = None
    end_time: Int64 | None = None
    run_name: str | None = None


class GetRun(RunMessage):
    pass


class RunId(RunMessage):
    """runs/delete and runs/restore."""


class SearchRuns(Message):
    experiment_ids: list[str] = []
    filter: str | None = None
    run_view_type: View | None = None
    max_results: Int64 = 1000
    order_by: list[str] = []
    page_token: str | None = None


class MetricMessage(Message):
    key: str | None = None
    value: Number | None = None
    timestamp: Int64 | None = None
    step: Int64 | None = None


class LogMetric(RunMessage):
    required = ("run_id", "key", "value", "timestamp")
    key: str | None = None
    value: Number | None = None
    timestamp: Int64 | None = None
    step: Int64 | None = None
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


class LogParam(RunMessage):
    required = ("run_id", "key")
    key: str | None = None
    value: str | None = None


class SetTag(RunMessage):
    required = ("run_id", "key")
    key: str | None = None
    value: str | None = None


class DeleteTag(RunMessage):
    required = ("run_id", "key")
    key: str | None = None


class LogBatch(RunMessage):
    # Converted by runstone.wire.decode.metrics_from_json: a model per metric costs more than
    # storing it. The schema below is what each item holds.
    metrics: list[dict[str, Any]] = Field(
        default=[], json_schema_extra={"items": MetricMessage.model_json_schema()}
    )
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class DatasetMessage(Message):
    name: str | None = None
    digest: str | None = None
    source_type: str | None = None
    source: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    profile: str | None = None


class DatasetInputMessage(Message):
    tags: list[KeyValue] = []
    dataset: DatasetMessage | None = None


class ModelInputMessage(Message):
    model_id: str | None = None


class LogInputs(RunMessage):
    datasets: list[DatasetInputMessage] = []
    models: list[ModelInputMessage] = []


class LogModel(RunMessage):
    required = ("run_id", "model_json")
    model_json: str | None = None


class LogOutputs(RunMessage):
    models: list[dict[str, Any]] = []


# -- metric reads ------------------------------------------------------------------------------


class GetMetricHistory(RunMessage):
    required = ("run_id", "metric_key")
    metric_key: str | None = None
    page_token: str | None = None
    max_results: Int64 | None = None


class GetMetricHistoryBulkInterval(Message):
    required = ("run_ids", "metric_key")
    run_ids: list[str] = []
    metric_key: str | None = None
    start_step: Int64 | None = None
    end_step: Int64 | None = None
    max_results: Int64 | None = None


class GetMetricHistoryBulk(Message):
    """The UI's ``ajax-api`` bulk read: full histories of up to 100 runs."""

    required = ("run_id", "metric_key")
    run_id: list[str] = []
    metric_key: str | None = None
    max_results: Int64 | None = None


class GetMetricSummaries(RunMessage):
    pass


# -- artifacts ---------------------------------------------------------------------------------


class ListArtifacts(RunMessage):
    path: str | None = None
    page_token: str | None = None


class ListProxiedArtifacts(Message):
    path: str | None = None


class GetArtifact(RunMessage):
    required = ("run_id", "path")
    path: str | None = None


class PresignedUrl(Message):
    run_id: str | None = None
    model_id: str | None = None
    path: str | None = None
    expiration: Int64 | None = None


class MultipartRequest(Message):
    path: str | None = None
    upload_id: str | None = None
    num_parts: Int64 | None = None
    parts: list[dict[str, Any]] = []


class Empty(Message):
    """A request without fields."""


class SearchLoggedModels(Message):
    experiment_ids: list[str] = []
    filter: str | None = None
    datasets: list[dict[str, Any]] = []
    max_results: Int64 | None = None
    order_by: list[dict[str, Any]] = []
    page_token: str | None = None
