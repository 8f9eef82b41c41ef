"""Response bodies of the model registry, logged models, auth and server-info routes, as
pydantic models: documentation of what the server sends, never used while serving (see
:mod:`runstone.wire.responses`). The registry leaves out text fields that are empty as well as
unset ones, so most of their fields are optional here."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from runstone.wire.responses import Answer, KeyValue

ModelStage = Literal["None", "Staging", "Production", "Archived"]
ModelVersionStatus = Literal["PENDING_REGISTRATION", "FAILED_REGISTRATION", "READY"]
LoggedModelStatus = Literal[
    "LOGGED_MODEL_UNSPECIFIED",
    "LOGGED_MODEL_PENDING",
    "LOGGED_MODEL_READY",
    "LOGGED_MODEL_UPLOAD_FAILED",
]
PermissionName = Literal["NO_PERMISSIONS", "READ", "USE", "EDIT", "MANAGE"]


# -- registered models and versions --------------------------------------------------------------


class ModelVersion(Answer):
    """A version: ``version`` is a string; ``aliases`` are the names pointing at it."""

    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: int
    user_id: str | None = None
    current_stage: ModelStage
    description: str | None = None
    source: str | None = None
    run_id: str | None = None
    status: ModelVersionStatus
    status_message: str | None = None
    tags: list[KeyValue] = Field(default_factory=list)
    run_link: str | None = None
    aliases: list[str] = Field(default_factory=list)
    model_id: str | None = None


class RegisteredModelAlias(Answer):
    alias: str
    version: str


class RegisteredModel(Answer):
    """A registered model with the newest version in each stage that has one."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    user_id: str | None = None
    description: str | None = None
    latest_versions: list[ModelVersion] = Field(default_factory=list)
    tags: list[KeyValue] = Field(default_factory=list)
    aliases: list[RegisteredModelAlias] = Field(default_factory=list)


class GetRegisteredModelResponse(Answer):
    """registered-models/create, get, rename and update."""

    registered_model: RegisteredModel


class SearchRegisteredModelsResponse(Answer):
    registered_models: list[RegisteredModel] = Field(default_factory=list)
    next_page_token: str | None = None


class GetModelVersionResponse(Answer):
    """model-versions/create, get, update and transition-stage, and registered-models/alias."""

    model_version: ModelVersion


class SearchModelVersionsResponse(Answer):
    """model-versions/search and registered-models/get-latest-versions (never paged)."""

    model_versions: list[ModelVersion] = Field(default_factory=list)
    next_page_token: str | None = None


class GetModelVersionDownloadUriResponse(Answer):
    artifact_uri: str


# -- logged models (MLflow 3) --------------------------------------------------------------------


class LoggedModelInfo(Answer):
    model_id: str
    experiment_id: str
    name: str
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    artifact_uri: str
    status: LoggedModelStatus
    creator_id: int | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    status_message: str | None = None
    tags: list[KeyValue] = Field(default_factory=list)


class LoggedModelData(Answer):
    """A logged model's params (Runstone records no metrics on logged models)."""

    params: list[KeyValue] = Field(default_factory=list)


class LoggedModel(Answer):
    info: LoggedModelInfo
    data: LoggedModelData


class GetLoggedModelResponse(Answer):
    """logged-models create, get, finalize and set-tags."""

    model: LoggedModel


class SearchLoggedModelsResponse(Answer):
    models: list[LoggedModel] = Field(default_factory=list)
    next_page_token: str | None = None


# -- users, permissions, tokens and the UI's session (servers with --auth) ----------------------


class ExperimentPermission(Answer):
    experiment_id: str
    user_id: int
    permission: PermissionName


class RegisteredModelPermission(Answer):
    name: str
    user_id: int
    permission: PermissionName


class User(Answer):
    """A user; the permission lists come with users/create and users/get only."""

    id: int
    username: str
    is_admin: bool
    experiment_permissions: list[ExperimentPermission] | None = None
    registered_model_permissions: list[RegisteredModelPermission] | None = None


class GetUserResponse(Answer):
    """users/create and users/get."""

    user: User


class ListUsersResponse(Answer):
    users: list[User]


class CurrentUserResponse(Answer):
    user: User
    is_basic_auth: bool


class LoginResponse(Answer):
    """The UI's sign-in: the user, the CSRF token (also set as a cookie) and the session's
    lifetime in seconds."""

    user: User
    csrf_token: str
    expires_in: int


class GetExperimentPermissionResponse(Answer):
    experiment_permission: ExperimentPermission


class GetRegisteredModelPermissionResponse(Answer):
    registered_model_permission: RegisteredModelPermission


class AccessToken(Answer):
    """A personal access token as listed: never the token itself."""

    id: int
    name: str
    created_time: int
    expires_time: int | None = None
    last_used_time: int | None = None


class CreateTokenResponse(Answer):
    """The new token (shown this once) and its listing."""

    token: str
    token_info: AccessToken


class ListTokensResponse(Answer):
    tokens: list[AccessToken] = Field(default_factory=list)


# -- the server itself ---------------------------------------------------------------------------


class ServerInfo(Answer):
    """MLflow 3's server-info: what this server supports."""

    store_type: str
    server: str
    server_version: str
    workspaces_enabled: bool
    trace_archival_enabled: bool
    multipart_uploads_enabled: bool
    multipart_downloads_enabled: bool
    artifact_serving_enabled: bool
    presigned_upload_run_id_supported: bool
    presigned_upload_model_id_supported: bool
    model_artifact_presigned_downloads_supported: bool
    artifacts_presigned_only: bool
    tracking_auth: bool
    features_enabled: dict[str, Any]
