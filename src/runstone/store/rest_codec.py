"""The client side of MLflow's JSON: response dicts to entities, entities to request dicts.

Responses are read leniently, as MLflow's clients do: unknown fields are ignored, an absent
list is empty, an absent ``end_time`` is None, other absent fields take their proto defaults,
and doubles may be numbers or the strings ``"NaN"``/``"Infinity"``/``"-Infinity"``. Requests
are written the way the server reads them: int64 as numbers, enums by name, non-finite
doubles as those strings, empty optional fields left out.

Plain functions over dicts, no validation library: metric batches pass through here on the
logging hot path.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from runstone.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LifecycleStage,
    LoggedModel,
    LoggedModelOutput,
    LoggedModelStatus,
    Metric,
    MetricHistory,
    MetricSummary,
    ModelStage,
    ModelVersion,
    ModelVersionStatus,
    RegisteredModel,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
    RunTag,
)
from runstone.store import validation as v

JsonDict = dict[str, Any]


# -- doubles ---------------------------------------------------------------------------------


def double(value: float) -> float | str:
    """A double for the wire: a number, or ``"NaN"``/``"Infinity"``/``"-Infinity"``."""
    number = float(value)
    if number - number == 0.0:  # false only for NaN and the infinities
        return number
    if math.isnan(number):
        return "NaN"
    return "Infinity" if number > 0 else "-Infinity"


def to_float(value: Any) -> float:
    """A double from the wire; ``float()`` reads ``"NaN"``, ``"Infinity"``, ``"-Infinity"``."""
    return value if type(value) is float else float(value)


# -- requests --------------------------------------------------------------------------------


def text(value: object, field: str) -> str:
    """A string argument, refused here when it is not one: JSON would carry it as something
    else (a number, a list), which the server could not report under the same field name."""
    if not isinstance(value, str):
        raise v.invalid(field, value, "expected a string")
    return value


def entity_id(value: object) -> object:
    """Experiment ids may be passed as ints locally; the wire carries them as strings."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def experiment_tags_json(tags: Mapping[str, str]) -> list[JsonDict]:
    result = []
    for key, value in tags.items():
        v.check_key(key, "experiment tag key")
        result.append({"key": key, "value": text(value, f"value of experiment tag {key!r}")})
    return result


def run_tags_json(tags: Mapping[str, str] | Sequence[RunTag] | None) -> list[JsonDict]:
    """Tags of ``runs/create`` and ``runs/log-batch``: a mapping or a sequence of RunTag."""
    if tags is None:
        return []
    if isinstance(tags, Mapping):
        pairs: Iterable[tuple[str, str]] = tags.items()
    else:
        pairs = ((t.key, t.value) for t in tags)
    result = []
    for i, (key, value) in enumerate(pairs):
        result.append(
            {"key": v.check_key(key, f"tags[{i}].key"), "value": text(value, f"tags[{i}].value")}
        )
    return result


def params_json(params: Sequence[Any]) -> list[JsonDict]:
    return [
        {
            "key": v.check_key(p.key, f"params[{i}].key"),
            "value": text(p.value, f"params[{i}].value"),
        }
        for i, p in enumerate(params)
    ]


def metrics_json(metrics: Sequence[Metric]) -> list[JsonDict]:
    """Checked with the SQL store's own function (same messages, e.g. ``metrics[3].value``),
    which also turns numpy scalars into plain numbers."""
    columns = v.check_metrics(metrics)
    values: Iterable[float | str] = columns.values
    # The common case, all plain finite floats, goes as is; a NaN or infinity makes the sum
    # non-finite, and then every value is converted.
    if set(map(type, columns.values)) != {float} or not math.isfinite(sum(columns.values)):
        values = [double(x) for x in columns.values]
    return [
        {"key": key, "value": value, "timestamp": timestamp, "step": step}
        for key, value, timestamp, step in zip(
            columns.keys, values, columns.timestamps, columns.steps, strict=True
        )
    ]


def dataset_input_json(item: DatasetInput) -> JsonDict:
    ds = item.dataset
    dataset: JsonDict = {
        "name": ds.name,
        "digest": ds.digest,
        "source_type": ds.source_type,
        "source": ds.source,
    }
    if ds.schema is not None:
        dataset["schema"] = ds.schema
    if ds.profile is not None:
        dataset["profile"] = ds.profile
    result: JsonDict = {"dataset": dataset}
    if item.tags:
        result["tags"] = [{"key": t.key, "value": t.value} for t in item.tags]
    return result


def without_empty(data: JsonDict) -> JsonDict:
    """Leave out unset (None) fields and empty lists, as MLflow's clients do."""
    return {k: val for k, val in data.items() if val is not None and val != []}


# -- responses -------------------------------------------------------------------------------


def _tag_map(items: Iterable[JsonDict] | None) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in items or ()}


def experiment(data: JsonDict) -> Experiment:
    return Experiment(
        experiment_id=str(data["experiment_id"]),
        name=data.get("name", ""),
        artifact_location=data.get("artifact_location", ""),
        lifecycle_stage=LifecycleStage(data.get("lifecycle_stage", "active")),
        creation_time=int(data.get("creation_time", 0)),
        last_update_time=int(data.get("last_update_time", 0)),
        tags=_tag_map(data.get("tags")),
    )


def run_status(value: Any) -> RunStatus:
    """By name (what servers send) or by number (what MLflow also accepts)."""
    return RunStatus[value] if isinstance(value, str) else RunStatus(value)


def run_info(data: JsonDict) -> RunInfo:
    end_time = data.get("end_time")
    return RunInfo(
        run_id=data.get("run_id") or data["run_uuid"],
        experiment_id=str(data.get("experiment_id", "")),
        run_name=data.get("run_name", ""),
        user_id=data.get("user_id", ""),
        status=run_status(data.get("status", "RUNNING")),
        start_time=int(data.get("start_time", 0)),
        end_time=None if end_time is None else int(end_time),
        artifact_uri=data.get("artifact_uri", ""),
        lifecycle_stage=LifecycleStage(data.get("lifecycle_stage", "active")),
    )


def metric(data: JsonDict) -> Metric:
    return Metric(
        data["key"],
        to_float(data.get("value", 0.0)),
        int(data.get("timestamp", 0)),
        int(data.get("step", 0)),
    )


def dataset_input(data: JsonDict) -> DatasetInput:
    ds = data.get("dataset", {})
    dataset = Dataset(
        name=ds.get("name", ""),
        digest=ds.get("digest", ""),
        source_type=ds.get("source_type", ""),
        source=ds.get("source", ""),
        schema=ds.get("schema"),
        profile=ds.get("profile"),
    )
    tags = tuple(InputTag(t["key"], t.get("value", "")) for t in data.get("tags", ()))
    return DatasetInput(dataset, tags)


def run(data: JsonDict) -> Run:
    body = data.get("data", {})
    metrics = {m.key: m for m in map(metric, body.get("metrics", ()))}
    inputs = data.get("inputs", {})
    return Run(
        info=run_info(data["info"]),
        data=RunData(
            metrics=metrics, params=_tag_map(body.get("params")), tags=_tag_map(body.get("tags"))
        ),
        inputs=RunInputs(tuple(map(dataset_input, inputs.get("dataset_inputs", ())))),
        outputs=RunOutputs(
            tuple(
                LoggedModelOutput(o["model_id"], int(o.get("step", 0)))
                for o in data.get("outputs", {}).get("model_outputs", ())
            )
        ),
    )


def metric_summary(data: JsonDict) -> MetricSummary:
    return MetricSummary(
        key=data["key"],
        last_value=to_float(data.get("last_value", 0.0)),
        last_timestamp=int(data.get("last_timestamp", 0)),
        last_step=int(data.get("last_step", 0)),
        min_value=to_float(data.get("min_value", 0.0)),
        max_value=to_float(data.get("max_value", 0.0)),
        count=int(data.get("count", 0)),
    )


def history(
    run_id: str, key: str, points: Sequence[JsonDict], next_page_token: str | None = None
) -> MetricHistory:
    """Metric JSON objects as columns. numpy parses the ``"NaN"``/``"Infinity"`` strings."""
    return MetricHistory(
        run_id=run_id,
        key=key,
        steps=np.array([p.get("step", 0) for p in points], dtype=np.int64),
        timestamps=np.array([p.get("timestamp", 0) for p in points], dtype=np.int64),
        values=np.array([p.get("value", 0.0) for p in points], dtype=np.float64),
        next_page_token=next_page_token,
    )


# -- the model registry ----------------------------------------------------------------------


def registry_tags_json(tags: Mapping[str, str] | None, field: str) -> list[JsonDict]:
    """Registered model and model version tags; the server checks keys and lengths."""
    result = []
    for key, value in (tags or {}).items():
        result.append(
            {
                "key": text(key, f"{field} key"),
                "value": "" if value is None else text(value, f"value of {field} {key!r}"),
            }
        )
    return result


def version_text(value: object, field: str = "version") -> str:
    """A version number as the wire carries it: its decimal string (checked here, so that a
    bool or a fraction is refused with the store's message instead of becoming text)."""
    return str(v.check_version(value, field))


def model_version_status(value: Any) -> ModelVersionStatus:
    """By name (what servers send) or by number."""
    if isinstance(value, str):
        return ModelVersionStatus[value]
    return ModelVersionStatus(value)


def model_version(data: JsonDict) -> ModelVersion:
    return ModelVersion(
        name=data.get("name", ""),
        version=str(data["version"]),
        creation_timestamp=int(data.get("creation_timestamp", 0)),
        last_updated_timestamp=int(data.get("last_updated_timestamp", 0)),
        current_stage=ModelStage.parse(data.get("current_stage") or ModelStage.NONE.value),
        description=data.get("description", ""),
        user_id=data.get("user_id", ""),
        source=data.get("source", ""),
        run_id=data.get("run_id", ""),
        run_link=data.get("run_link", ""),
        model_id=data.get("model_id", ""),
        status=model_version_status(data.get("status", "READY")),
        status_message=data.get("status_message", ""),
        tags=_tag_map(data.get("tags")),
        aliases=tuple(str(a) for a in data.get("aliases", ())),
    )


def registered_model(data: JsonDict) -> RegisteredModel:
    return RegisteredModel(
        name=data["name"],
        creation_timestamp=int(data.get("creation_timestamp", 0)),
        last_updated_timestamp=int(data.get("last_updated_timestamp", 0)),
        description=data.get("description", ""),
        user_id=data.get("user_id", ""),
        tags=_tag_map(data.get("tags")),
        aliases={a["alias"]: str(a["version"]) for a in data.get("aliases", ())},
        latest_versions=tuple(map(model_version, data.get("latest_versions", ()))),
    )


# -- logged models ---------------------------------------------------------------------------


def logged_model(data: JsonDict) -> LoggedModel:
    """A LoggedModel from its JSON (``info`` and ``data``)."""
    info = data.get("info") or {}
    creator = info.get("creator_id")
    return LoggedModel(
        model_id=info["model_id"],
        experiment_id=str(info.get("experiment_id", "")),
        name=info.get("name", ""),
        artifact_uri=info.get("artifact_uri", ""),
        status=LoggedModelStatus.parse(info.get("status", 0)),
        creation_timestamp_ms=int(info.get("creation_timestamp_ms", 0)),
        last_updated_timestamp_ms=int(info.get("last_updated_timestamp_ms", 0)),
        model_type=info.get("model_type", ""),
        source_run_id=info.get("source_run_id", ""),
        status_message=info.get("status_message", ""),
        tags=_tag_map(info.get("tags")),
        params=_tag_map((data.get("data") or {}).get("params")),
        creator_id=None if creator is None else int(creator),
    )
