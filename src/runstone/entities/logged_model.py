"""MLflow 3 logged models: a model's files and metadata, logged by a run or on their own."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class LoggedModelStatus(IntEnum):
    """A logged model's upload status, with its wire numbers (names prefixed ``LOGGED_MODEL_``)."""

    UNSPECIFIED = 0
    PENDING = 1
    READY = 2
    UPLOAD_FAILED = 3

    @property
    def wire_name(self) -> str:
        return f"LOGGED_MODEL_{self.name}"

    @classmethod
    def parse(cls, value: object) -> LoggedModelStatus:
        """The status named or numbered ``value`` (``READY`` or ``LOGGED_MODEL_READY``)."""
        if isinstance(value, LoggedModelStatus):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value)
        if isinstance(value, str):
            name = value.strip().upper().removeprefix("LOGGED_MODEL_")
            if name in cls.__members__:
                return cls[name]
        raise ValueError(f"{value!r} is not a logged model status")


# Not frozen, like the registry entities (see entities/registry.py); treat as read-only.


@dataclass(slots=True)
class LoggedModel:
    model_id: str
    experiment_id: str
    name: str
    artifact_uri: str
    status: LoggedModelStatus
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    model_type: str = ""
    source_run_id: str = ""
    status_message: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    creator_id: int | None = None
