"""MLflow's basic-auth endpoints (compat §9.3) and the UI's login and logout.

Mounted only when the server runs with ``--auth``; without it these paths answer
``ENDPOINT_NOT_FOUND`` like any unknown path, as an MLflow server without the basic-auth app
does. Who may call what:

- users: admins create, list, delete and change admin rights; a user may read and change the
  password of their own account; a request with the bootstrap token creates the first admin;
- permissions: admins, and holders of MANAGE on the experiment or model concerned, grant,
  change and revoke; the user a grant names may also read it.

``POST /api/2.0/runstone/auth/login`` takes ``{"username", "password"}`` and sets two cookies:
``runstone_session`` (HttpOnly: a random id whose SHA-256 the server keeps with an expiry) and
``runstone_csrf`` (readable by the UI's script), and answers the CSRF token too; the UI sends
it back in ``X-CSRF-Token`` on every state-changing request. ``.../logout`` ends the session.
``/api/2.0/runstone/tokens/{create,list,revoke}`` manage the caller's personal access tokens.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from runstone.errors import InvalidParameterValue, PermissionDenied, Unauthenticated
from runstone.server import auth
from runstone.server import authorization as authz
from runstone.server.api import (
    Api,
    Call,
    JsonDict,
    documented_responses,
    error_response,
    guard,
    json_response,
    request_body,
)
from runstone.server.context import ServerContext
from runstone.store.sql.auth_entities import AccessToken, Permission, ResourcePermission, User
from runstone.wire.decode import decode_request
from runstone.wire.messages import Message

api = Api()


class Nothing(Message):
    pass


class Username(Message):
    required = ("username",)
    username: str | None = None


class Credentials(Message):
    required = ("username", "password")
    username: str | None = None
    password: str | None = None


class UpdateAdmin(Message):
    required = ("username", "is_admin")
    username: str | None = None
    is_admin: bool | None = None


class ExperimentUser(Message):
    required = ("experiment_id", "username")
    experiment_id: str | None = None
    username: str | None = None


class ExperimentGrant(Message):
    required = ("experiment_id", "username", "permission")
    experiment_id: str | None = None
    username: str | None = None
    permission: str | None = None


class ModelUser(Message):
    required = ("name", "username")
    name: str | None = None
    username: str | None = None


class ModelGrant(Message):
    required = ("name", "username", "permission")
    name: str | None = None
    username: str | None = None
    permission: str | None = None


def _gate() -> auth.Gate:
    gate = auth.acting_gate()
    if gate is None:  # only mounted with --auth, behind the middleware
        raise Unauthenticated("Authentication required.")
    return gate


def _admin_or_self(username: str) -> None:
    user = auth.acting_user()
    if user is None or not (user.is_admin or user.username == username):
        raise PermissionDenied("Permission denied.")


def _user_json(user: User, gate: auth.Gate | None = None) -> JsonDict:
    data: JsonDict = {"id": user.user_id, "username": user.username, "is_admin": user.is_admin}
    if gate is not None:
        data["experiment_permissions"] = [
            _experiment_json(p) for p in gate.store.list_permissions("experiment", user.username)
        ]
        data["registered_model_permissions"] = [
            _model_json(p) for p in gate.store.list_permissions("registered_model", user.username)
        ]
    return data


def _experiment_json(grant: ResourcePermission) -> JsonDict:
    return {
        "experiment_id": grant.resource,
        "user_id": grant.user_id,
        "permission": grant.permission.name,
    }


def _model_json(grant: ResourcePermission) -> JsonDict:
    return {"name": grant.resource, "user_id": grant.user_id, "permission": grant.permission.name}


# -- users -----------------------------------------------------------------------------------


@api.route(
    "POST", "/users/create", Credentials, rule=authz.SELF_CHECKED, response="GetUserResponse"
)
def create_user(call: Call, msg: Credentials) -> JsonDict:
    """Create a user (admins only); with the bootstrap token, create the first admin."""
    gate, principal = _gate(), auth.acting_principal()
    if principal is not None and principal.bootstrap_token is not None:
        made = gate.store.create_first_admin(
            principal.bootstrap_token, msg.username or "", msg.password or ""
        )
    else:
        auth.require_admin()
        made = gate.store.create_user(msg.username or "", msg.password or "")
    return {"user": _user_json(made, gate)}


@api.route("GET", "/users/get", Username, rule=authz.SELF_CHECKED, response="GetUserResponse")
def get_user(call: Call, msg: Username) -> JsonDict:
    """A user with their permissions (admins, or the user themself)."""
    _admin_or_self(msg.username or "")
    gate = _gate()
    return {"user": _user_json(gate.store.get_user(msg.username or ""), gate)}


@api.route("GET", "/users/list", Nothing, rule=authz.ADMIN, response="ListUsersResponse")
def list_users(call: Call, msg: Nothing) -> JsonDict:
    """Every user (admins only)."""
    auth.require_admin()
    return {"users": [_user_json(u) for u in _gate().store.list_users()]}


@api.route("GET", "/users/current", Nothing, rule=authz.SIGNED_IN, response="CurrentUserResponse")
def current_user(call: Call, msg: Nothing) -> JsonDict:
    """The user making the request."""
    principal = auth.acting_principal()
    if principal is None or principal.user is None:
        raise PermissionDenied("Permission denied.")
    return {"user": _user_json(principal.user), "is_basic_auth": principal.method == "basic"}


@api.route(
    "PATCH", "/users/update-password", Credentials, rule=authz.SELF_CHECKED, response="Empty"
)
def update_password(call: Call, msg: Credentials) -> JsonDict:
    """Set a user's password (admins, or the user themself); ends their UI sessions."""
    _admin_or_self(msg.username or "")
    _gate().store.update_password(msg.username or "", msg.password or "")
    return {}


@api.route("PATCH", "/users/update-admin", UpdateAdmin, rule=authz.ADMIN, response="Empty")
def update_admin(call: Call, msg: UpdateAdmin) -> JsonDict:
    """Make a user an admin, or not (admins only)."""
    auth.require_admin()
    _gate().store.update_admin(msg.username or "", bool(msg.is_admin))
    return {}


@api.route("DELETE", "/users/delete", Username, rule=authz.ADMIN, response="Empty")
def delete_user(call: Call, msg: Username) -> JsonDict:
    """Delete a user with their tokens, sessions and permissions (admins only; not oneself)."""
    admin = auth.require_admin()
    if admin is not None and admin.username == msg.username:
        raise InvalidParameterValue("You cannot delete your own account.")
    _gate().store.delete_user(msg.username or "")
    return {}


# -- permissions -----------------------------------------------------------------------------


def _may_manage(kind: str, resource: str) -> None:
    """Admins, and holders of an explicit MANAGE grant on the resource, may change who may
    use it (a default permission never gives the right to grant)."""
    user, gate = auth.acting_user(), _gate()
    if user is None:
        raise PermissionDenied("Permission denied.")
    held = gate.store.effective_permission(kind, resource, user, Permission.NO_PERMISSIONS)
    if not held.can_manage:
        raise PermissionDenied("Permission denied.")


def _may_read_grant(kind: str, resource: str, username: str) -> None:
    user = auth.acting_user()
    if user is not None and user.username == username:
        return
    _may_manage(kind, resource)


@api.route(
    "POST",
    "/experiments/permissions/create",
    ExperimentGrant,
    rule=authz.SELF_CHECKED,
    response="GetExperimentPermissionResponse",
)
def create_experiment_permission(call: Call, msg: ExperimentGrant) -> JsonDict:
    """Grant a user a permission on an experiment."""
    resource = msg.experiment_id or ""
    _may_manage("experiment", resource)
    grant = _gate().store.create_permission(
        "experiment", resource, msg.username or "", Permission.parse(msg.permission or "")
    )
    return {"experiment_permission": _experiment_json(grant)}


@api.route(
    "GET",
    "/experiments/permissions/get",
    ExperimentUser,
    rule=authz.SELF_CHECKED,
    response="GetExperimentPermissionResponse",
)
def get_experiment_permission(call: Call, msg: ExperimentUser) -> JsonDict:
    """A user's permission on an experiment."""
    resource, username = msg.experiment_id or "", msg.username or ""
    _may_read_grant("experiment", resource, username)
    grant = _gate().store.get_permission("experiment", resource, username)
    return {"experiment_permission": _experiment_json(grant)}


@api.route(
    "PATCH",
    "/experiments/permissions/update",
    ExperimentGrant,
    rule=authz.SELF_CHECKED,
    response="Empty",
)
def update_experiment_permission(call: Call, msg: ExperimentGrant) -> JsonDict:
    """Change a user's permission on an experiment."""
    resource = msg.experiment_id or ""
    _may_manage("experiment", resource)
    _gate().store.update_permission(
        "experiment", resource, msg.username or "", Permission.parse(msg.permission or "")
    )
    return {}


@api.route(
    "DELETE",
    "/experiments/permissions/delete",
    ExperimentUser,
    rule=authz.SELF_CHECKED,
    response="Empty",
)
def delete_experiment_permission(call: Call, msg: ExperimentUser) -> JsonDict:
    """Revoke a user's permission on an experiment."""
    resource = msg.experiment_id or ""
    _may_manage("experiment", resource)
    _gate().store.delete_permission("experiment", resource, msg.username or "")
    return {}


@api.route(
    "POST",
    "/registered-models/permissions/create",
    ModelGrant,
    rule=authz.SELF_CHECKED,
    response="GetRegisteredModelPermissionResponse",
)
def create_registered_model_permission(call: Call, msg: ModelGrant) -> JsonDict:
    """Grant a user a permission on a registered model."""
    resource = msg.name or ""
    _may_manage("registered_model", resource)
    grant = _gate().store.create_permission(
        "registered_model", resource, msg.username or "", Permission.parse(msg.permission or "")
    )
    return {"registered_model_permission": _model_json(grant)}


@api.route(
    "GET",
    "/registered-models/permissions/get",
    ModelUser,
    rule=authz.SELF_CHECKED,
    response="GetRegisteredModelPermissionResponse",
)
def get_registered_model_permission(call: Call, msg: ModelUser) -> JsonDict:
    """A user's permission on a registered model."""
    resource, username = msg.name or "", msg.username or ""
    _may_read_grant("registered_model", resource, username)
    grant = _gate().store.get_permission("registered_model", resource, username)
    return {"registered_model_permission": _model_json(grant)}


@api.route(
    "PATCH",
    "/registered-models/permissions/update",
    ModelGrant,
    rule=authz.SELF_CHECKED,
    response="Empty",
)
def update_registered_model_permission(call: Call, msg: ModelGrant) -> JsonDict:
    """Change a user's permission on a registered model."""
    resource = msg.name or ""
    _may_manage("registered_model", resource)
    _gate().store.update_permission(
        "registered_model", resource, msg.username or "", Permission.parse(msg.permission or "")
    )
    return {}


@api.route(
    "DELETE",
    "/registered-models/permissions/delete",
    ModelUser,
    rule=authz.SELF_CHECKED,
    response="Empty",
)
def delete_registered_model_permission(call: Call, msg: ModelUser) -> JsonDict:
    """Revoke a user's permission on a registered model."""
    resource = msg.name or ""
    _may_manage("registered_model", resource)
    _gate().store.delete_permission("registered_model", resource, msg.username or "")
    return {}


# -- personal access tokens (Runstone's own endpoints) ---------------------------------------

RUNSTONE_PREFIXES = ("/api/2.0/runstone", "/ajax-api/2.0/runstone")


class CreateToken(Message):
    required = ("name",)
    name: str | None = None
    expires_in_days: int | None = None
    username: str | None = None  # an admin may make tokens for others


class TokenOwner(Message):
    username: str | None = None


class RevokeToken(Message):
    required = ("token_id",)
    token_id: int | None = None
    username: str | None = None


def _token_owner(username: str | None) -> str:
    """Whose tokens: the caller's own, or (admins only) another user's."""
    user = auth.acting_user()
    if user is None:
        raise PermissionDenied("Permission denied.")
    if username and username != user.username:
        auth.require_admin()
        return username
    return user.username


@api.route(
    "POST",
    "/tokens/create",
    CreateToken,
    prefixes=RUNSTONE_PREFIXES,
    rule=authz.SELF_CHECKED,
    response="CreateTokenResponse",
)
def create_token(call: Call, msg: CreateToken) -> JsonDict:
    """Create a personal access token; the answer holds it, the server keeps only its digest."""
    owner = _token_owner(msg.username)
    token, info = _gate().store.create_token(owner, msg.name or "", msg.expires_in_days)
    return {"token": token, "token_info": _token_json(info)}


@api.route(
    "GET",
    "/tokens/list",
    TokenOwner,
    prefixes=RUNSTONE_PREFIXES,
    rule=authz.SELF_CHECKED,
    response="ListTokensResponse",
)
def list_tokens(call: Call, msg: TokenOwner) -> JsonDict:
    """A user's tokens (never the tokens themselves)."""
    found = _gate().store.list_tokens(_token_owner(msg.username))
    return {"tokens": [_token_json(t) for t in found]} if found else {}


@api.route(
    "DELETE",
    "/tokens/revoke",
    RevokeToken,
    prefixes=RUNSTONE_PREFIXES,
    rule=authz.SELF_CHECKED,
    response="Empty",
)
def revoke_token(call: Call, msg: RevokeToken) -> JsonDict:
    """Revoke a token: it stops working at once."""
    _gate().store.revoke_token(_token_owner(msg.username), msg.token_id or 0)
    return {}


def _token_json(info: AccessToken) -> JsonDict:
    data: JsonDict = {"id": info.token_id, "name": info.name, "created_time": info.created_time}
    if info.expires_time is not None:
        data["expires_time"] = info.expires_time
    if info.last_used_time is not None:
        data["last_used_time"] = info.last_used_time
    return data


# -- the UI's session ------------------------------------------------------------------------


def mount(app: FastAPI, ctx: ServerContext, gate: auth.Gate) -> None:
    """Serve the endpoints above, and the UI's login and logout, on ``app``."""
    api.mount(app, ctx)

    @guard(ctx, authz.PUBLIC)
    async def login(request: Request) -> Response:
        try:
            msg = decode_request(
                Credentials,
                "POST",
                [],
                await request.body(),
                request.headers.get("content-type"),
            )
            return await _login(request, gate, msg)
        except auth.TooManyAttempts as exc:
            return auth.too_many_attempts(exc.retry_after_s)
        except Exception as exc:  # every failure becomes MLflow's error JSON
            return error_response(exc)

    @guard(ctx, authz.SIGNED_IN)
    async def logout(request: Request) -> Response:
        session_id = request.cookies.get(auth.SESSION_COOKIE)
        if session_id:
            await run_in_threadpool(gate.store.end_session, session_id)
        response = json_response({})
        for name in (auth.SESSION_COOKIE, auth.CSRF_COOKIE):
            response.delete_cookie(name, path="/")
        return response

    app.add_api_route(
        auth.LOGIN_PATH,
        login,
        methods=["POST"],
        summary="Log in (the web UI)",
        responses=documented_responses("LoginResponse"),
        openapi_extra=request_body(Credentials),
    )
    app.add_api_route(
        auth.LOGOUT_PATH,
        logout,
        methods=["POST"],
        summary="Log out (the web UI)",
        responses=documented_responses("Empty"),
    )


async def _login(request: Request, gate: auth.Gate, msg: Credentials) -> Response:
    client = auth.client_address(request.scope)
    user = await run_in_threadpool(gate.login, msg.username or "", msg.password or "", client)
    if user is None:
        raise Unauthenticated("Wrong username or password.")
    session_id, csrf = await run_in_threadpool(gate.store.create_session, user, auth.SESSION_TTL_S)
    response = json_response(
        {"user": _user_json(user), "csrf_token": csrf, "expires_in": auth.SESSION_TTL_S}
    )
    secure = request.url.scheme == "https"
    for name, value, http_only in (
        (auth.SESSION_COOKIE, session_id, True),
        (auth.CSRF_COOKIE, csrf, False),
    ):
        response.set_cookie(
            name,
            value,
            max_age=auth.SESSION_TTL_S,
            path="/",
            secure=secure,
            httponly=http_only,
            samesite="strict",
        )
    return response
