"""The model registry: registered models, their versions, stages, tags and aliases."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class ModelVersionStatus(IntEnum):
    """MLflow's registration statuses, with their wire numbers (versions are READY at once)."""

    PENDING_REGISTRATION = 1
    FAILED_REGISTRATION = 2
    READY = 3


class ModelStage(StrEnum):
    """The four stages a version can be in, spelled as MLflow answers them."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"

    @classmethod
    def parse(cls, text: str) -> ModelStage:
        """The stage named ``text`` in any letter case; ValueError for anything else."""
        for stage in cls:
            if stage.value.lower() == text.strip().lower():
                return stage
        raise ValueError(f"{text!r} is not a stage; expected one of {[s.value for s in cls]}")


@dataclass(frozen=True, slots=True)
class RegisteredModelTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class ModelVersionTag:
    key: str
    value: str


# ModelVersion and RegisteredModel are not frozen, unlike the other entities: searches build
# pages of thousands of versions, and a frozen dataclass takes about ten times longer to
# construct (each field is set through object.__setattr__). Treat them as read-only all the same.


@dataclass(slots=True)
class ModelVersion:
    """One version of a registered model. ``version`` is a string, as on the wire."""

    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: int
    current_stage: ModelStage = ModelStage.NONE
    description: str = ""
    user_id: str = ""
    source: str = ""
    run_id: str = ""
    run_link: str = ""
    model_id: str = ""
    status: ModelVersionStatus = ModelVersionStatus.READY
    status_message: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()


@dataclass(slots=True)
class RegisteredModel:
    """A named model. ``aliases`` maps alias -> version; ``latest_versions`` holds the newest
    version in each stage that has one."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str = ""
    user_id: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    latest_versions: tuple[ModelVersion, ...] = ()
