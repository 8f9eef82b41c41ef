"""What the auth store deals in: permission levels, users, tokens, grants, and the rules
for usernames and passwords. Pure data, no I/O."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import IntEnum

from runstone.errors import InvalidParameterValue

MIN_PASSWORD_LENGTH = 12  # as MLflow 3.18
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this keeps one login cheap to refuse
MAX_USERNAME_LENGTH = 255


class Permission(IntEnum):
    """What a user may do with one experiment or registered model, weakest first."""

    NO_PERMISSIONS = 0
    READ = 1
    USE = 2
    EDIT = 3
    MANAGE = 4

    @classmethod
    def parse(cls, name: str) -> Permission:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            valid = ", ".join(p.name for p in cls)
            raise InvalidParameterValue(
                f"Invalid permission {name!r}. Valid permissions are: {valid}."
            ) from None

    @property
    def can_read(self) -> bool:
        return self >= Permission.READ

    @property
    def can_use(self) -> bool:
        return self >= Permission.USE

    @property
    def can_update(self) -> bool:
        return self >= Permission.EDIT

    @property
    def can_delete(self) -> bool:
        return self >= Permission.MANAGE

    @property
    def can_manage(self) -> bool:
        return self >= Permission.MANAGE


@dataclass(frozen=True, slots=True)
class User:
    user_id: int
    username: str
    is_admin: bool
    created_time: int


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A personal access token as listed: never the token itself."""

    token_id: int
    username: str
    name: str
    created_time: int
    expires_time: int | None
    last_used_time: int | None


@dataclass(frozen=True, slots=True)
class ResourcePermission:
    """One grant: ``resource`` is an experiment id or a registered model's name."""

    resource: str
    user_id: int
    username: str
    permission: Permission


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A live UI session: its user and the digest of the CSRF token it was given."""

    user: User
    csrf_hash: str


def digest(secret: str) -> str:
    """The SHA-256 hex digest under which a random secret (token, session id) is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_digest(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


def check_username(username: str) -> str:
    if not username or len(username) > MAX_USERNAME_LENGTH:
        raise InvalidParameterValue(f"A username must have 1 to {MAX_USERNAME_LENGTH} characters.")
    if ":" in username or any(ord(ch) < 32 or ord(ch) == 127 for ch in username):
        raise InvalidParameterValue("A username may not contain ':' or control characters.")
    return username


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidParameterValue(
            f"A password must have at least {MIN_PASSWORD_LENGTH} characters."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidParameterValue(
            f"A password may have at most {MAX_PASSWORD_LENGTH} characters."
        )
    return password
