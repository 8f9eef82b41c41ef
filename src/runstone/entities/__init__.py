"""Plain data: what stores return and callers pass in. No I/O here."""

from __future__ import annotations

from runstone.entities.artifact import FileInfo
from runstone.entities.dataset import Dataset, DatasetInput, InputTag
from runstone.entities.experiment import Experiment, ExperimentTag, LifecycleStage
from runstone.entities.logged_model import LoggedModel, LoggedModelStatus
from runstone.entities.metric import Metric, MetricHistory, MetricSummary
from runstone.entities.page import Page
from runstone.entities.registry import (
    ModelStage,
    ModelVersion,
    ModelVersionStatus,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
)
from runstone.entities.run import (
    LoggedModelOutput,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
    RunTag,
    ViewType,
)

__all__ = [
    "Dataset",
    "DatasetInput",
    "Experiment",
    "ExperimentTag",
    "FileInfo",
    "InputTag",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelOutput",
    "LoggedModelStatus",
    "Metric",
    "MetricHistory",
    "MetricSummary",
    "ModelStage",
    "ModelVersion",
    "ModelVersionStatus",
    "ModelVersionTag",
    "Page",
    "Param",
    "RegisteredModel",
    "RegisteredModelTag",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "RunTag",
    "ViewType",
]
