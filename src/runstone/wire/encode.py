"""Entities as MLflow's response JSON: snake_case, int64 as numbers, enums by name, NaN and
infinities as the strings ``"NaN"``/``"Infinity"``/``"-Infinity"``, and unset or empty fields
left out. Functions return plain dicts and lists, ready for ``orjson.dumps``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from runstone.entities import (
    DatasetInput,
    Experiment,
    FileInfo,
    LoggedModel,
    Metric,
    MetricHistory,
    MetricSummary,
    ModelVersion,
    ModelVersionStatus,
    RegisteredModel,
    Run,
    RunInfo,
)

JsonDict = dict[str, Any]


def double(value: float) -> float | str:
    """A double as MLflow writes it: a number, or one of the strings for NaN and infinities."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def key_values(items: Mapping[str, str]) -> list[JsonDict]:
    return [{"key": k, "value": v} for k, v in items.items()]


def _without_empty(data: JsonDict) -> JsonDict:
    return {k: v for k, v in data.items() if v is not None and v != []}


def experiment(exp: Experiment) -> JsonDict:
    return _without_empty(
        {
            "experiment_id": exp.experiment_id,
            "name": exp.name,
            "artifact_location": exp.artifact_location,
            "lifecycle_stage": exp.lifecycle_stage.value,
            "last_update_time": exp.last_update_time,
            "creation_time": exp.creation_time,
            "tags": key_values(exp.tags),
        }
    )


def run_info(info: RunInfo) -> JsonDict:
    return _without_empty(
        {
            "run_id": info.run_id,
            "run_uuid": info.run_id,
            "run_name": info.run_name,
            "experiment_id": info.experiment_id,
            "user_id": info.user_id,
            "status": info.status.name,
            "start_time": info.start_time,
            "end_time": info.end_time,
            "artifact_uri": info.artifact_uri,
            "lifecycle_stage": info.lifecycle_stage.value,
        }
    )


def metric(point: Metric) -> JsonDict:
    return {
        "key": point.key,
        "value": double(point.value),
        "timestamp": point.timestamp,
        "step": point.step,
    }


def dataset_input(item: DatasetInput) -> JsonDict:
    ds = item.dataset
    dataset = _without_empty(
        {
            "name": ds.name,
            "digest": ds.digest,
            "source_type": ds.source_type,
            "source": ds.source,
            "schema": ds.schema,
            "profile": ds.profile,
        }
    )
    return _without_empty(
        {"tags": [{"key": t.key, "value": t.value} for t in item.tags], "dataset": dataset}
    )


def run(value: Run) -> JsonDict:
    data = _without_empty(
        {
            "metrics": [metric(m) for m in value.data.metrics.values()],
            "params": key_values(value.data.params),
            "tags": key_values(value.data.tags),
        }
    )
    inputs = _without_empty(
        {"dataset_inputs": [dataset_input(i) for i in value.inputs.dataset_inputs]}
    )
    result = {"info": run_info(value.info), "data": data, "inputs": inputs}
    if value.outputs.model_outputs:
        result["outputs"] = {
            "model_outputs": [
                {"model_id": o.model_id, "step": o.step} for o in value.outputs.model_outputs
            ]
        }
    return result


def history_points(history: MetricHistory, with_run_id: bool = False) -> list[JsonDict]:
    """Every point of a history as MLflow's Metric (or MetricWithRunId) JSON objects."""
    numbers: list[float] = history.values.tolist()
    values: list[float | str] = (
        list(numbers) if _all_finite(history) else [double(v) for v in numbers]
    )
    key = history.key
    if with_run_id:
        run_id = history.run_id
        return [
            {"key": key, "value": v, "timestamp": t, "step": s, "run_id": run_id}
            for v, t, s in zip(
                values, history.timestamps.tolist(), history.steps.tolist(), strict=True
            )
        ]
    return [
        {"key": key, "value": v, "timestamp": t, "step": s}
        for v, t, s in zip(values, history.timestamps.tolist(), history.steps.tolist(), strict=True)
    ]


def _all_finite(history: MetricHistory) -> bool:
    # numpy is loaded already: it built the history's arrays.
    return bool(history.values.size == 0 or math.isfinite(float(history.values.sum())))


def metric_summary(summary: MetricSummary) -> JsonDict:
    return {
        "key": summary.key,
        "last_value": double(summary.last_value),
        "last_timestamp": summary.last_timestamp,
        "last_step": summary.last_step,
        "min_value": double(summary.min_value),
        "max_value": double(summary.max_value),
        "count": summary.count,
    }


def file_info(info: FileInfo) -> JsonDict:
    return _without_empty({"path": info.path, "is_dir": info.is_dir, "file_size": info.file_size})


def _without_blank(data: JsonDict) -> JsonDict:
    """Leave out None, empty lists and empty strings: the registry's optional text fields are
    "" when unset, and MLflow leaves unset fields out."""
    return {k: v for k, v in data.items() if v is not None and v not in ([], "")}


def model_version(version: ModelVersion) -> JsonDict:
    """A ModelVersion: ``version`` as a string, the stage by its display name, the status by
    its enum name and the aliases pointing at it as a list of names."""
    return _without_blank(
        {
            "name": version.name,
            "version": str(version.version),
            "creation_timestamp": version.creation_timestamp,
            "last_updated_timestamp": version.last_updated_timestamp,
            "user_id": version.user_id,
            "current_stage": str(version.current_stage),
            "description": version.description,
            "source": version.source,
            "run_id": version.run_id,
            "status": ModelVersionStatus(version.status).name,
            "status_message": version.status_message,
            "tags": key_values(version.tags),
            "run_link": version.run_link,
            "aliases": list(version.aliases),
            "model_id": version.model_id,
        }
    )


def registered_model(model: RegisteredModel) -> JsonDict:
    """A RegisteredModel with its newest version per stage and its aliases as
    ``{alias, version}`` objects."""
    return _without_blank(
        {
            "name": model.name,
            "creation_timestamp": model.creation_timestamp,
            "last_updated_timestamp": model.last_updated_timestamp,
            "user_id": model.user_id,
            "description": model.description,
            "latest_versions": [model_version(v) for v in model.latest_versions],
            "tags": key_values(model.tags),
            "aliases": [
                {"alias": alias, "version": str(number)} for alias, number in model.aliases.items()
            ],
        }
    )


def logged_model(model: LoggedModel) -> JsonDict:
    """A LoggedModel: ``info`` (status as ``LOGGED_MODEL_<NAME>``) and ``data`` (its params;
    Runstone records no metrics on logged models)."""
    info = _without_blank(
        {
            "model_id": model.model_id,
            "experiment_id": model.experiment_id,
            "name": model.name,
            "creation_timestamp_ms": model.creation_timestamp_ms,
            "last_updated_timestamp_ms": model.last_updated_timestamp_ms,
            "artifact_uri": model.artifact_uri,
            "status": model.status.wire_name,
            "creator_id": model.creator_id,
            "model_type": model.model_type,
            "source_run_id": model.source_run_id,
            "status_message": model.status_message,
            "tags": key_values(model.tags),
        }
    )
    return {"info": info, "data": _without_empty({"params": key_values(model.params)})}
