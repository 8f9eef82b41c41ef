"""Users, credentials and permissions of a server started with ``--auth``, in the tracking
database itself (the tables of migration 0005).

No secret is stored: passwords as argon2id hashes (argon2-cffi), personal access tokens, UI
session ids, CSRF tokens and the bootstrap token as SHA-256 digests (they are random 256-bit
values, so a fast digest is enough and lets a request find its row by one indexed lookup).
Checking a password for a user who does not exist still runs one argon2 verification, so
the time an answer takes does not tell whether a username exists.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Row, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from runstone.config import StoreSettings
from runstone.errors import AlreadyExists, InvalidParameterValue, NotFound, PermissionDenied
from runstone.store.sql.auth_entities import (
    MAX_PASSWORD_LENGTH,
    AccessToken,
    Permission,
    ResourcePermission,
    SessionInfo,
    User,
    check_password,
    check_username,
    digest,
)
from runstone.store.sql.common import experiment_row, now_ms
from runstone.store.sql.engine import Database
from runstone.store.sql.registry_search import model_row
from runstone.store.sql.schema import ensure_schema
from runstone.store.sql.tables import (
    auth_bootstrap_tokens,
    auth_experiment_permissions,
    auth_registered_model_permissions,
    auth_sessions,
    auth_tokens,
    auth_users,
    registered_models,
)
from runstone.uri import parse_tracking_uri

TOKEN_PREFIX = "rs_pat_"
BOOTSTRAP_PREFIX = "rs_boot_"
_LAST_USED_GRANULARITY_MS = 60_000  # a token's last use is written at most once a minute


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with the library's RFC 9106 parameters


@cache
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class _Kind:
    """How grants on one kind of resource are stored and named."""

    table: Table
    key: str  # the column holding the resource's key
    label: str  # for messages: "experiment_id" or "name"
    resolve: Callable[[Connection, str], int]  # resource → key; NotFound if it does not exist
    name_of: Callable[[Connection, int], str]  # key → resource, for listings


def _experiment_key(conn: Connection, experiment_id: str) -> int:
    return int(experiment_row(conn, experiment_id).experiment_id)


def _model_key(conn: Connection, name: str) -> int:
    return int(model_row(conn, name).model_key)


def _experiment_name(_conn: Connection, key: int) -> str:
    return str(key)


def _model_name(conn: Connection, key: int) -> str:
    found = conn.execute(
        select(registered_models.c.name).where(registered_models.c.model_key == key)
    ).scalar_one()
    return str(found)


_EXPERIMENT = _Kind(
    auth_experiment_permissions, "experiment_id", "experiment_id", _experiment_key, _experiment_name
)
_MODEL = _Kind(auth_registered_model_permissions, "model_key", "name", _model_key, _model_name)
_KINDS = {"experiment": _EXPERIMENT, "registered_model": _MODEL}


class AuthStore:
    """Users, tokens, sessions and permissions over the tracking store's database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @classmethod
    def open(cls, uri: str, settings: StoreSettings | None = None) -> AuthStore:
        """The auth store of the tracking database ``uri`` names (migrated if it is new)."""
        parsed = parse_tracking_uri(uri)
        if not parsed.is_database:
            raise InvalidParameterValue(f"{uri!r} is not a database URI.")
        chosen = settings or StoreSettings()
        db = Database(parsed.url, chosen)
        try:
            ensure_schema(db.engine, chosen.auto_migrate)
        except BaseException:
            db.dispose()
            raise
        return cls(db)

    def close(self) -> None:
        self._db.dispose()

    # -- users ---------------------------------------------------------------------------------

    def create_user(self, username: str, password: str, is_admin: bool = False) -> User:
        check_username(username)
        hashed = _hasher().hash(check_password(password))
        return self._db.write(lambda conn: _insert_user(conn, username, hashed, is_admin))

    def get_user(self, username: str) -> User:
        with self._db.read() as conn:
            return _user(_user_row(conn, username))

    def list_users(self) -> list[User]:
        with self._db.read() as conn:
            rows = conn.execute(select(auth_users).order_by(auth_users.c.username)).all()
        return [_user(row) for row in rows]

    def delete_user(self, username: str) -> None:
        def work(conn: Connection) -> None:
            _user_row(conn, username)
            conn.execute(delete(auth_users).where(auth_users.c.username == username))

        self._db.write(work)

    def update_password(self, username: str, password: str) -> None:
        hashed = _hasher().hash(check_password(password))
        self._update_user(username, password_hash=hashed)
        self.end_sessions(username)  # a new password logs every browser out

    def update_admin(self, username: str, is_admin: bool) -> None:
        self._update_user(username, is_admin=is_admin)

    def _update_user(self, username: str, **values: Any) -> None:
        def work(conn: Connection) -> None:
            _user_row(conn, username)
            conn.execute(update(auth_users).where(auth_users.c.username == username).values(values))

        self._db.write(work)

    def has_admin(self) -> bool:
        with self._db.read() as conn:
            return _has_admin(conn)

    def verify_password(self, username: str, password: str) -> User | None:
        """The user whose credentials these are, else None; as slow for unknown usernames."""
        with self._db.read() as conn:
            row = conn.execute(select(auth_users).where(auth_users.c.username == username)).first()
        if row is None or len(password) > MAX_PASSWORD_LENGTH:
            _verify(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
            return None
        if not _verify(row.password_hash, password):
            return None
        if _hasher().check_needs_rehash(row.password_hash):  # parameters were raised since
            self._update_user(username, password_hash=_hasher().hash(password))
        return _user(row)

    def password_hash_of(self, username: str) -> tuple[User, str] | None:
        """The user and their current password hash (for a verified-credentials cache)."""
        with self._db.read() as conn:
            row = conn.execute(select(auth_users).where(auth_users.c.username == username)).first()
        return None if row is None else (_user(row), str(row.password_hash))

    # -- personal access tokens ----------------------------------------------------------------

    def create_token(
        self, username: str, name: str, expires_in_days: int | None = None
    ) -> tuple[str, AccessToken]:
        """A new token for ``username``: the token (shown once, never stored) and its record."""
        if not name or len(name) > 255:
            raise InvalidParameterValue("A token name must have 1 to 255 characters.")
        if expires_in_days is not None and expires_in_days <= 0:
            raise InvalidParameterValue("A token must expire in 1 day or more.")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = now_ms()
        expires = now + expires_in_days * 86_400_000 if expires_in_days else None

        def work(conn: Connection) -> AccessToken:
            user = _user_row(conn, username)
            values = {
                "user_id": user.user_id,
                "name": name,
                "token_hash": digest(token),
                "created_time": now,
                "expires_time": expires,
            }
            try:
                token_id = conn.execute(insert(auth_tokens).values(values)).inserted_primary_key
            except IntegrityError as exc:
                raise AlreadyExists(
                    f"User {username!r} already has a token named {name!r}."
                ) from exc
            assert token_id is not None
            return AccessToken(int(token_id[0]), username, name, now, expires, None)

        return token, self._db.write(work)

    def list_tokens(self, username: str) -> list[AccessToken]:
        with self._db.read() as conn:
            user = _user_row(conn, username)
            rows = conn.execute(
                select(auth_tokens)
                .where(auth_tokens.c.user_id == user.user_id)
                .order_by(auth_tokens.c.token_id)
            ).all()
        return [
            AccessToken(
                r.token_id, username, r.name, r.created_time, r.expires_time, r.last_used_time
            )
            for r in rows
        ]

    def revoke_token(self, username: str, token_id: int) -> None:
        def work(conn: Connection) -> None:
            user = _user_row(conn, username)
            gone = conn.execute(
                delete(auth_tokens).where(
                    auth_tokens.c.token_id == token_id, auth_tokens.c.user_id == user.user_id
                )
            )
            if gone.rowcount != 1:
                raise NotFound(f"User {username!r} has no token with id {token_id}.")

        self._db.write(work)

    def verify_token(self, token: str) -> User | None:
        """The user a personal access token belongs to, if it is known and not expired."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        hashed = digest(token)
        now = now_ms()
        with self._db.read() as conn:
            row = conn.execute(
                select(
                    auth_tokens.c.token_id,
                    auth_tokens.c.expires_time,
                    auth_tokens.c.last_used_time,
                    auth_users,
                )
                .join(auth_users, auth_users.c.user_id == auth_tokens.c.user_id)
                .where(auth_tokens.c.token_hash == hashed)
            ).first()
        if row is None or (row.expires_time is not None and row.expires_time <= now):
            return None
        if row.last_used_time is None or now - row.last_used_time > _LAST_USED_GRANULARITY_MS:
            self._db.write(
                lambda conn: conn.execute(
                    update(auth_tokens)
                    .where(auth_tokens.c.token_id == row.token_id)
                    .values(last_used_time=now)
                )
            )
        return _user(row)

    # -- the bootstrap token -------------------------------------------------------------------

    def issue_bootstrap_token(self) -> str | None:
        """A new one-time token while no admin exists (replacing any earlier one), else None."""
        token = BOOTSTRAP_PREFIX + secrets.token_urlsafe(32)

        def work(conn: Connection) -> str | None:
            conn.execute(delete(auth_bootstrap_tokens))
            if _has_admin(conn):
                return None
            conn.execute(
                insert(auth_bootstrap_tokens).values(
                    token_hash=digest(token), created_time=now_ms()
                )
            )
            return token

        return self._db.write(work)

    def bootstrap_token_valid(self, token: str) -> bool:
        if not token.startswith(BOOTSTRAP_PREFIX):
            return False
        with self._db.read() as conn:
            found = conn.execute(
                select(auth_bootstrap_tokens.c.token_hash).where(
                    auth_bootstrap_tokens.c.token_hash == digest(token)
                )
            ).first()
            return found is not None and not _has_admin(conn)

    def create_first_admin(self, token: str, username: str, password: str) -> User:
        """Spend the bootstrap token on creating an admin: it works once, and only while no
        admin exists."""
        check_username(username)
        hashed = _hasher().hash(check_password(password))

        def work(conn: Connection) -> User:
            spent = conn.execute(
                delete(auth_bootstrap_tokens).where(
                    auth_bootstrap_tokens.c.token_hash == digest(token)
                )
            )
            if spent.rowcount != 1 or _has_admin(conn):
                raise PermissionDenied("The bootstrap token is not valid (any more).")
            return _insert_user(conn, username, hashed, True)

        return self._db.write(work)

    # -- UI sessions ---------------------------------------------------------------------------

    def create_session(self, user: User, ttl_s: int) -> tuple[str, str]:
        """A new session for ``user``: its id (for the cookie) and its CSRF token."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = now_ms()

        def work(conn: Connection) -> None:
            conn.execute(delete(auth_sessions).where(auth_sessions.c.expires_time <= now))
            conn.execute(
                insert(auth_sessions).values(
                    session_hash=digest(session_id),
                    user_id=user.user_id,
                    csrf_hash=digest(csrf),
                    created_time=now,
                    expires_time=now + ttl_s * 1000,
                )
            )

        self._db.write(work)
        return session_id, csrf

    def resolve_session(self, session_id: str) -> SessionInfo | None:
        with self._db.read() as conn:
            row = conn.execute(
                select(auth_sessions.c.expires_time, auth_sessions.c.csrf_hash, auth_users)
                .join(auth_users, auth_users.c.user_id == auth_sessions.c.user_id)
                .where(auth_sessions.c.session_hash == digest(session_id))
            ).first()
        if row is None or row.expires_time <= now_ms():
            return None
        return SessionInfo(_user(row), row.csrf_hash)

    def end_session(self, session_id: str) -> None:
        self._db.write(
            lambda conn: conn.execute(
                delete(auth_sessions).where(auth_sessions.c.session_hash == digest(session_id))
            )
        )

    def end_sessions(self, username: str) -> None:
        def work(conn: Connection) -> None:
            user = _user_row(conn, username)
            conn.execute(delete(auth_sessions).where(auth_sessions.c.user_id == user.user_id))

        self._db.write(work)

    # -- permissions ---------------------------------------------------------------------------

    def create_permission(
        self, kind: str, resource: str, username: str, permission: Permission
    ) -> ResourcePermission:
        """Grant ``permission`` on an ``experiment`` (id) or ``registered_model`` (name)."""
        spec = _KINDS[kind]

        def work(conn: Connection) -> ResourcePermission:
            key, user = spec.resolve(conn, resource), _user_row(conn, username)
            if _grant_row(conn, spec, key, user.user_id) is not None:
                raise AlreadyExists(_pair(spec, resource, username) + " already exists.")
            values = {spec.key: key, "user_id": user.user_id, "permission": permission.name}
            try:
                conn.execute(insert(spec.table).values(values))
            except IntegrityError as exc:  # a concurrent grant of the same pair
                raise AlreadyExists(_pair(spec, resource, username) + " already exists.") from exc
            return ResourcePermission(resource, user.user_id, username, permission)

        return self._db.write(work)

    def get_permission(self, kind: str, resource: str, username: str) -> ResourcePermission:
        spec = _KINDS[kind]
        with self._db.read() as conn:
            key, user = spec.resolve(conn, resource), _user_row(conn, username)
            row = _grant_row(conn, spec, key, user.user_id)
        if row is None:
            raise NotFound(_pair(spec, resource, username) + " not found.")
        return ResourcePermission(resource, user.user_id, username, Permission[row.permission])

    def update_permission(
        self, kind: str, resource: str, username: str, permission: Permission
    ) -> None:
        spec = _KINDS[kind]

        def work(conn: Connection) -> None:
            key, user = spec.resolve(conn, resource), _user_row(conn, username)
            if _grant_row(conn, spec, key, user.user_id) is None:
                raise NotFound(_pair(spec, resource, username) + " not found.")
            conn.execute(
                update(spec.table)
                .where(_grant_clause(spec, key, user.user_id))
                .values(permission=permission.name)
            )

        self._db.write(work)

    def delete_permission(self, kind: str, resource: str, username: str) -> None:
        spec = _KINDS[kind]

        def work(conn: Connection) -> None:
            key, user = spec.resolve(conn, resource), _user_row(conn, username)
            gone = conn.execute(delete(spec.table).where(_grant_clause(spec, key, user.user_id)))
            if gone.rowcount != 1:
                raise NotFound(_pair(spec, resource, username) + " not found.")

        self._db.write(work)

    def grant_creator(self, kind: str, resource: str, user: User) -> None:
        """Give the creator of a resource MANAGE on it (kept if they already hold a grant)."""
        spec = _KINDS[kind]

        def work(conn: Connection) -> None:
            key = spec.resolve(conn, resource)
            if _grant_row(conn, spec, key, user.user_id) is None:
                values = {spec.key: key, "user_id": user.user_id, "permission": "MANAGE"}
                conn.execute(insert(spec.table).values(values))

        with suppress(IntegrityError):  # granted concurrently (a retried create): nothing to do
            self._db.write(work)

    def list_permissions(self, kind: str, username: str) -> list[ResourcePermission]:
        """Every grant ``username`` holds on resources of ``kind``."""
        spec = _KINDS[kind]
        with self._db.read() as conn:
            user = _user_row(conn, username)
            rows = conn.execute(
                select(spec.table)
                .where(spec.table.c.user_id == user.user_id)
                .order_by(spec.table.c[spec.key])
            ).all()
            return [
                ResourcePermission(
                    spec.name_of(conn, row._mapping[spec.key]),
                    user.user_id,
                    username,
                    Permission[row.permission],
                )
                for row in rows
            ]

    def effective_permission(
        self, kind: str, resource: str, user: User, default: Permission
    ) -> Permission:
        """What ``user`` may do with the resource: everything for admins, else their grant,
        else ``default``. A resource that does not exist raises NotFound."""
        if user.is_admin:
            return Permission.MANAGE
        spec = _KINDS[kind]
        with self._db.read() as conn:
            row = _grant_row(conn, spec, spec.resolve(conn, resource), user.user_id)
        return default if row is None else Permission[row.permission]

    def effective_experiment_permission(
        self, user: User, experiment_id: str, default: Permission
    ) -> Permission:
        return self.effective_permission("experiment", experiment_id, user, default)

    def effective_registered_model_permission(
        self, user: User, name: str, default: Permission
    ) -> Permission:
        return self.effective_permission("registered_model", name, user, default)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _insert_user(conn: Connection, username: str, password_hash: str, is_admin: bool) -> User:
    now = now_ms()
    if conn.execute(select(auth_users.c.user_id).where(auth_users.c.username == username)).first():
        raise AlreadyExists(f"User {username!r} already exists.")
    values = {
        "username": username,
        "password_hash": password_hash,
        "is_admin": is_admin,
        "created_time": now,
    }
    try:
        made = conn.execute(insert(auth_users).values(values)).inserted_primary_key
    except IntegrityError as exc:  # a concurrent create took the name
        raise AlreadyExists(f"User {username!r} already exists.") from exc
    assert made is not None
    return User(int(made[0]), username, is_admin, now)


def _user_row(conn: Connection, username: str) -> Row[Any]:
    row = conn.execute(select(auth_users).where(auth_users.c.username == username)).first()
    if row is None:
        raise NotFound(f"User with username={username} not found.")
    return row


def _user(row: Row[Any]) -> User:
    return User(int(row.user_id), row.username, bool(row.is_admin), int(row.created_time))


def _has_admin(conn: Connection) -> bool:
    found = conn.execute(select(auth_users.c.user_id).where(auth_users.c.is_admin).limit(1))
    return found.first() is not None


def _grant_clause(spec: _Kind, key: int, user_id: int) -> Any:
    return (spec.table.c[spec.key] == key) & (spec.table.c.user_id == user_id)


def _grant_row(conn: Connection, spec: _Kind, key: int, user_id: int) -> Row[Any] | None:
    return conn.execute(select(spec.table).where(_grant_clause(spec, key, user_id))).first()


def _pair(spec: _Kind, resource: str, username: str) -> str:
    what = "Experiment" if spec is _EXPERIMENT else "Registered model"
    return f"{what} permission with {spec.label}={resource} and username={username}"
