"""Response bodies of the tracking API (experiments, runs, metrics, artifacts), as pydantic models.

They describe the JSON that :mod:`runstone.wire.encode` builds, for the server's OpenAPI
document (and the UI's TypeScript types generated from it) and for tests; the server never
builds or validates them while serving, so they cost a request nothing. A field the server
leaves out when it is unset or empty has a default here (``None`` or ``[]``) and is optional in
the document, never ``null``: the server does not send ``null``. Every model forbids fields it
does not declare, so a test that validates real answers against them catches a field the
server sends and the document does not describe.

The registry, logged models, auth and server-info answers are in
:mod:`runstone.wire.responses_registry`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JsonSchema = dict[str, Any]


def without_null(prop: JsonSchema) -> JsonSchema:
    """A field's schema without the ``null`` alternative pydantic writes for ``X | None``:
    an absent field (or query parameter) is how the API leaves a value unset."""
    choices = prop.get("anyOf")
    if not (isinstance(choices, list) and {"type": "null"} in choices):
        return prop
    rest = [c for c in choices if c != {"type": "null"}]
    trimmed = {k: v for k, v in prop.items() if k != "anyOf"}
    trimmed.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
    return trimmed


def _absent_not_null(schema: JsonSchema) -> None:
    """Optional fields are left out of the JSON, not sent as ``null``: drop the ``null``
    alternative and the ``null`` default pydantic writes for ``X | None = None`` (and the
    titles it makes of field names, which say nothing the names do not)."""
    properties = schema.get("properties", {})
    for name, field in properties.items():
        field.pop("title", None)
        trimmed = properties[name] = without_null(field)
        if "default" in trimmed and trimmed["default"] in (None, []):
            del trimmed["default"]


class Answer(BaseModel):
    """The base of every response model: strict about unknown fields, never ``null``."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_absent_not_null)


LifecycleStage = Literal["active", "deleted"]
RunStatus = Literal["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]
# A double as MLflow writes it: a number, or one of these strings for NaN and the infinities.
Double = float | Literal["NaN", "Infinity", "-Infinity"]


class Empty(Answer):
    """The answer of an operation that returns nothing: ``{}``."""


class ErrorResponse(Answer):
    """MLflow's error JSON."""

    error_code: str
    message: str


class KeyValue(Answer):
    key: str
    value: str


# -- experiments -------------------------------------------------------------------------------


class Experiment(Answer):
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: LifecycleStage
    last_update_time: int
    creation_time: int
    tags: list[KeyValue] = []


class CreateExperimentResponse(Answer):
    experiment_id: str


class GetExperimentResponse(Answer):
    experiment: Experiment


class SearchExperimentsResponse(Answer):
    experiments: list[Experiment] = []
    next_page_token: str | None = None


# -- runs --------------------------------------------------------------------------------------


class RunInfo(Answer):
    run_id: str
    run_uuid: str
    run_name: str
    experiment_id: str
    user_id: str
    status: RunStatus
    start_time: int
    end_time: int | None = None
    artifact_uri: str
    lifecycle_stage: LifecycleStage


class Metric(Answer):
    key: str
    value: Double
    timestamp: int
    step: int


class RunData(Answer):
    """The latest point of each metric, and the params and tags."""

    metrics: list[Metric] = []
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class Dataset(Answer):
    name: str
    digest: str
    source_type: str
    source: str
    schema_: str | None = Field(default=None, alias="schema")  # "schema" is BaseModel's
    profile: str | None = None


class DatasetInput(Answer):
    tags: list[KeyValue] = []
    dataset: Dataset


class RunInputs(Answer):
    dataset_inputs: list[DatasetInput] = []


class ModelOutput(Answer):
    model_id: str
    step: int


class RunOutputs(Answer):
    model_outputs: list[ModelOutput]


class Run(Answer):
    info: RunInfo
    data: RunData
    inputs: RunInputs
    outputs: RunOutputs | None = None


class GetRunResponse(Answer):
    """runs/get and runs/create."""

    run: Run


class UpdateRunResponse(Answer):
    run_info: RunInfo


class SearchRunsResponse(Answer):
    runs: list[Run] = []
    next_page_token: str | None = None


# -- metrics -----------------------------------------------------------------------------------


class GetMetricHistoryResponse(Answer):
    metrics: list[Metric] = []
    next_page_token: str | None = None


class MetricWithRunId(Answer):
    key: str
    value: Double
    timestamp: int
    step: int
    run_id: str


class GetMetricHistoryBulkResponse(Answer):
    """Points of several runs (the bulk and downsampled bulk-interval reads)."""

    metrics: list[MetricWithRunId] = []


class MetricSummary(Answer):
    key: str
    last_value: Double
    last_timestamp: int
    last_step: int
    min_value: Double
    max_value: Double
    count: int


class GetMetricSummariesResponse(Answer):
    summaries: list[MetricSummary] = []


# -- artifacts ---------------------------------------------------------------------------------


class FileInfo(Answer):
    """An artifact listing's entry; ``file_size`` is left out for folders."""

    path: str
    is_dir: bool
    file_size: int | None = None


class ListArtifactsResponse(Answer):
    root_uri: str
    files: list[FileInfo] = []


class ListProxiedArtifactsResponse(Answer):
    files: list[FileInfo] = []
