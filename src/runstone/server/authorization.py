"""Authorization: what each route needs, declared with the route, checked in one place.

Every route states a :class:`Rule` where it is declared: JSON endpoints as
``@api.route(..., rule=...)``, streaming and other raw routes by wrapping their handler in
:func:`runstone.server.api.guard`; both check it the same way before the handler runs.
:func:`verify` walks an app's route table when the app is built and raises if a route has no
rule, or if a rule disagrees with the public allowlist of :mod:`.auth` (a route
the middleware lets through without credentials must be declared public, and only those may
be). A rule is one of:

- ``PUBLIC``: on the allowlist; no credentials (``/health``, ``/version``, the login page);
- ``SIGNED_IN``: any authenticated user. Searches answer only what the caller may read (see
  :func:`reader`); creates give the creator MANAGE; the user, token and permission endpoints
  make their own finer checks (``SELF_CHECKED``, the same level with a note saying so);
- ``ADMIN``: admins only;
- a permission level on resources resolved from the request: :func:`experiment`,
  :func:`run`, :func:`runs`, :func:`logged_model`, :func:`registered_model`,
  :func:`artifact_path` (and :func:`all_of` to combine them).

Levels follow MLflow's mapping: reading needs READ, changing (logging, renaming, tagging,
aliases, stage transitions, uploads) EDIT, deleting and restoring MANAGE. Admins pass every
rule. A denied call answers 403 PERMISSION_DENIED with only an error code and message, whether
the resource was named directly or through a run, a logged model or a path; a resource that
does not exist keeps its ordinary 404 (a path of the proxied storage that names no experiment
is refused instead: such paths are for admins).

Searches never refuse: experiments, runs, logged models, registered models and versions the
caller may not read are left out, in the search's own SQL (:mod:`runstone.store.sql.visibility`)
so pages stay full and tokens right. ``runs/search`` and ``logged-models/search`` over an
experiment the caller may not read silently answer nothing from it, as if it were empty: the
answer does not tell whether it exists.

Without ``--auth`` no rule is checked: the serving functions are built without the check
(:func:`checking`), so the cost is nil.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount, Route

from runstone.artifacts import safe_relative_path
from runstone.errors import NotFound, PermissionDenied
from runstone.server import auth
from runstone.server.context import PROXY_SCHEME, ServerContext
from runstone.store.sql.auth_entities import Permission
from runstone.store.sql.visibility import Reader

RULE_ATTRIBUTE = "__runstone_rule__"
DENIED = "Permission denied."

READ, EDIT, MANAGE = Permission.READ, Permission.EDIT, Permission.MANAGE


class Access(enum.Enum):
    PUBLIC = "public"
    SIGNED_IN = "signed in"
    ADMIN = "admin"
    RESOURCE = "resource"


# Resolves a request's subject (its decoded message) to experiment ids or model names.
Resolve = Callable[[ServerContext, Any], Sequence[str]]


@dataclass(frozen=True, slots=True)
class Need:
    """``level`` on each ``kind`` resource ``resolve`` names."""

    kind: str  # "experiment" or "registered_model"
    level: Permission
    resolve: Resolve
    missing_is_denied: bool = False  # a path naming no experiment is refused, not "not found"


@dataclass(frozen=True, slots=True)
class Rule:
    access: Access
    needs: tuple[Need, ...] = ()
    note: str = ""

    @property
    def checked_per_call(self) -> bool:
        """Whether the rule needs a check beyond the middleware's authentication."""
        return self.access in (Access.ADMIN, Access.RESOURCE)

    def __str__(self) -> str:
        if self.access is not Access.RESOURCE:
            return str(self.access.value) + (f" ({self.note})" if self.note else "")
        return ", ".join(f"{n.level.name} on {n.kind}" for n in self.needs)


PUBLIC = Rule(Access.PUBLIC)
SIGNED_IN = Rule(Access.SIGNED_IN)
SEARCH = Rule(Access.SIGNED_IN, note="answers only what the caller may read")
SELF_CHECKED = Rule(Access.SIGNED_IN, note="the handler checks who may call it")
ADMIN = Rule(Access.ADMIN)


# -- resolving resources ---------------------------------------------------------------------


def _field(name: str) -> Resolve:
    return lambda _ctx, subject: [str(getattr(subject, name) or "")]


def _run_of(_ctx: ServerContext, subject: Any) -> Sequence[str]:
    return [_ctx.store.experiment_id_of_run(subject.the_run_id)]


def _runs_in(name: str) -> Resolve:
    def resolve(ctx: ServerContext, subject: Any) -> Sequence[str]:
        run_ids: Iterable[str] = getattr(subject, name) or ()
        return list(dict.fromkeys(ctx.store.experiment_id_of_run(r) for r in run_ids))

    return resolve


def _optional_run(name: str) -> Resolve:
    def resolve(ctx: ServerContext, subject: Any) -> Sequence[str]:
        run_id = getattr(subject, name)
        return [ctx.store.experiment_id_of_run(run_id)] if run_id else []

    return resolve


def _logged_model_of(name: str, optional: bool = False) -> Resolve:
    def resolve(ctx: ServerContext, subject: Any) -> Sequence[str]:
        model_id = getattr(subject, name)
        if optional and not model_id:
            return []
        return [ctx.store.experiment_id_of_logged_model(model_id or "")]

    return resolve


def _output_models(ctx: ServerContext, subject: Any) -> Sequence[str]:
    found = []
    for item in subject.models:
        model_id = item.get("model_id") or item.get("modelId") if isinstance(item, dict) else None
        if isinstance(model_id, str) and model_id:
            found.append(ctx.store.experiment_id_of_logged_model(model_id))
    return list(dict.fromkeys(found))


def _experiment_by_name(ctx: ServerContext, subject: Any) -> Sequence[str]:
    found = ctx.store.get_experiment_by_name(subject.experiment_name or "")
    if found is None:
        raise NotFound(f"Could not find experiment with name '{subject.experiment_name}'")
    return [found.experiment_id]


def proxy_experiment(ctx: ServerContext, path: str) -> str:
    """The experiment a path of the proxied storage belongs to: the first segment under the
    default artifact root (``<root>/<experiment_id>/…``); PermissionDenied for any other
    path (only admins reach those)."""
    clean = safe_relative_path(path)
    base = _proxy_base(ctx)
    if base:
        if not clean.startswith(base + "/"):
            raise PermissionDenied(DENIED)
        clean = clean[len(base) + 1 :]
    first = clean.split("/", 1)[0]
    if not first.isdigit():
        raise PermissionDenied(DENIED)
    return first


def _proxy_base(ctx: ServerContext) -> str:
    """Where experiments' folders start inside the proxied storage ("" for its root)."""
    root = ctx.settings.default_artifact_root or ""
    if not root.startswith(PROXY_SCHEME):
        return ""
    rest = root[len(PROXY_SCHEME) :]
    if rest.startswith("//"):
        rest = "/" + rest[2:].partition("/")[2]
    return safe_relative_path(rest.strip("/"))


def _path_in(name: str) -> Resolve:
    return lambda ctx, subject: [proxy_experiment(ctx, getattr(subject, name) or "")]


# -- rules -----------------------------------------------------------------------------------


def experiment(level: Permission, field: str = "experiment_id") -> Rule:
    """``level`` on the experiment whose id is the request's ``field``."""
    return Rule(Access.RESOURCE, (Need("experiment", level, _field(field)),))


def experiment_by_name(level: Permission) -> Rule:
    return Rule(Access.RESOURCE, (Need("experiment", level, _experiment_by_name),))


def run(level: Permission) -> Rule:
    """``level`` on the experiment of the request's run (``run_id`` or ``run_uuid``)."""
    return Rule(Access.RESOURCE, (Need("experiment", level, _run_of),))


def runs(level: Permission, field: str) -> Rule:
    """``level`` on the experiments of every run the request's list ``field`` names."""
    return Rule(Access.RESOURCE, (Need("experiment", level, _runs_in(field)),))


def optional_run(level: Permission, field: str = "run_id") -> Need:
    return Need("experiment", level, _optional_run(field))


def logged_model(level: Permission, field: str = "model_id") -> Rule:
    """``level`` on the experiment of the request's logged model."""
    return Rule(Access.RESOURCE, (Need("experiment", level, _logged_model_of(field)),))


def optional_logged_model(level: Permission, field: str = "model_id") -> Need:
    return Need("experiment", level, _logged_model_of(field, optional=True))


def output_models(level: Permission) -> Need:
    """``level`` on the experiments of the logged models a ``runs/outputs`` request names."""
    return Need("experiment", level, _output_models)


def registered_model(level: Permission, field: str = "name") -> Rule:
    """``level`` on the registered model the request's ``field`` names."""
    return Rule(Access.RESOURCE, (Need("registered_model", level, _field(field)),))


def artifact_path(level: Permission, field: str = "artifact_path") -> Rule:
    """``level`` on the experiment a proxied-storage path belongs to (admins for the rest)."""
    need = Need("experiment", level, _path_in(field), missing_is_denied=True)
    return Rule(Access.RESOURCE, (need,))


def all_of(first: Rule, *more: Rule | Need) -> Rule:
    needs = list(first.needs)
    for item in more:
        needs.extend(item.needs if isinstance(item, Rule) else (item,))
    return Rule(Access.RESOURCE, tuple(needs))


# -- checking --------------------------------------------------------------------------------


def enforce(rule: Rule, ctx: ServerContext, subject: Any) -> None:
    """Raise PermissionDenied unless the acting user satisfies ``rule`` (run in the thread
    pool: it reads the store). Only called on servers with ``--auth``, so a request that
    reached it without an authenticated user is refused (fail closed)."""
    principal, gate = auth.acting_principal(), auth.acting_gate()
    user = principal.user if principal is not None else None
    if user is None or gate is None:
        raise PermissionDenied(DENIED)
    if user.is_admin:
        return
    if rule.access is Access.ADMIN:
        raise PermissionDenied("Permission denied: only admins may do this.")
    for need in rule.needs:
        for resource in need.resolve(ctx, subject):
            try:
                held = gate.store.effective_permission(
                    need.kind, resource, user, gate.default_permission
                )
            except NotFound:
                if need.missing_is_denied:
                    raise PermissionDenied(DENIED) from None
                raise
            if held < need.level:
                raise PermissionDenied(DENIED)


def checking(ctx: ServerContext, rule: Rule) -> bool:
    """Whether requests to a route with ``rule`` are checked on this server."""
    return ctx.settings.auth and rule.checked_per_call


def reader() -> Reader | None:
    """Whom a search is for: None when everything may be answered (no --auth, an admin)."""
    principal, gate = auth.acting_principal(), auth.acting_gate()
    if principal is None or gate is None:
        return None
    user = principal.user
    if user is None:
        return Reader(-1, Permission.NO_PERMISSIONS)  # the bootstrap token reads nothing
    if user.is_admin:
        return None
    return Reader(user.user_id, gate.default_permission)


H = TypeVar("H", bound=Callable[..., Any])


def mark(handler: H, rule: Rule) -> H:
    """Record ``rule`` on a route's endpoint, where :func:`verify` finds it."""
    earlier = getattr(handler, RULE_ATTRIBUTE, None)
    if earlier is not None and earlier != rule:
        raise UnguardedRoute(f"{handler.__name__} is declared with two rules: {earlier}, {rule}")
    setattr(handler, RULE_ATTRIBUTE, rule)
    return handler


# -- the route table -------------------------------------------------------------------------

# Routes declared by code that cannot carry a rule: FastAPI's own documentation pages and the
# web UI's page (routes/ui.py), by path. Only PUBLIC or SIGNED_IN rules may be given this way:
# both are enforced by the authentication middleware alone.
BY_PATH: dict[str, Rule] = {
    "/openapi.json": SIGNED_IN,
    "/docs": SIGNED_IN,
    "/docs/oauth2-redirect": SIGNED_IN,
    "/": PUBLIC,
}


class UnguardedRoute(Exception):
    """A route of the app has no authorization rule, or one at odds with the allowlist."""


def rule_of(route: BaseRoute) -> Rule | None:
    """The rule a route declares (None: none)."""
    if isinstance(route, Mount):
        return PUBLIC if auth.is_public(route.path + "/") else None
    if not isinstance(route, (APIRoute, Route)):
        return None
    declared = getattr(route.endpoint, RULE_ATTRIBUTE, None)
    if isinstance(declared, Rule):
        return declared
    return BY_PATH.get(route.path)


def problems(app: FastAPI) -> list[str]:
    """What is wrong with the authorization of ``app``'s routes (empty: nothing)."""
    found = []
    for route in app.routes:
        path = getattr(route, "path", repr(route))
        if isinstance(route, Mount):
            path += "/"  # everything under it
        methods = sorted(getattr(route, "methods", None) or ["*"])
        where = f"{'|'.join(methods)} {path}"
        rule = rule_of(route)
        if rule is None:
            found.append(f"{where} has no authorization rule")
        elif auth.is_public(path) != (rule.access is Access.PUBLIC):
            state = "is" if auth.is_public(path) else "is not"
            found.append(f"{where} {state} on the public allowlist, but its rule is {rule}")
    return found


def verify(app: FastAPI) -> None:
    """Refuse an app with a route that declares no rule (raised when the app is built)."""
    found = problems(app)
    if found:
        raise UnguardedRoute(
            "Routes without a valid authorization rule (declare one with api.route(rule=...) "
            "or api.guard):\n  " + "\n  ".join(found)
        )
