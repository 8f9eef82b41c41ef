"""The auth store (users, tokens, sessions, bootstrap token, permissions) on every SQL backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runstone.errors import AlreadyExists, InvalidParameterValue, NotFound, PermissionDenied
from runstone.store.sql import SqlStore
from runstone.store.sql.auth import AuthStore
from runstone.store.sql.auth_entities import Permission
from tests.databases import BACKENDS

PASSWORD = "correct horse battery"


@pytest.fixture(params=list(BACKENDS))
def stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SqlStore, AuthStore]]:
    backend = BACKENDS[request.param]
    backend.require()
    tmp: Path = tmp_path_factory.mktemp("db")
    with backend.fresh_database(tmp) as uri:
        tracking = SqlStore(uri, artifact_root=(tmp / "artifacts").as_uri())
        auth = AuthStore.open(uri)
        yield tracking, auth
        auth.close()
        tracking.close()


@pytest.fixture
def auth(stores: tuple[SqlStore, AuthStore]) -> AuthStore:
    return stores[1]


@pytest.fixture
def tracking(stores: tuple[SqlStore, AuthStore]) -> SqlStore:
    return stores[0]


def test_users_are_created_listed_updated_and_deleted(auth: AuthStore) -> None:
    made = auth.create_user("alice", PASSWORD)
    auth.create_user("bob", PASSWORD, is_admin=True)
    assert (made.username, made.is_admin) == ("alice", False)
    assert auth.get_user("alice") == made
    assert [(u.username, u.is_admin) for u in auth.list_users()] == [
        ("alice", False),
        ("bob", True),
    ]
    auth.update_admin("alice", True)
    assert auth.get_user("alice").is_admin
    auth.delete_user("alice")
    with pytest.raises(NotFound):
        auth.get_user("alice")
    with pytest.raises(NotFound):
        auth.delete_user("alice")


def test_usernames_are_unique_and_case_sensitive(auth: AuthStore) -> None:
    auth.create_user("alice", PASSWORD)
    with pytest.raises(AlreadyExists):
        auth.create_user("alice", PASSWORD)
    assert auth.create_user("Alice", PASSWORD).username == "Alice"


@pytest.mark.parametrize("username", ["", "x" * 256, "a:b", "tab\there"])
def test_bad_usernames_are_refused(auth: AuthStore, username: str) -> None:
    with pytest.raises(InvalidParameterValue):
        auth.create_user(username, PASSWORD)


def test_short_passwords_are_refused(auth: AuthStore) -> None:
    with pytest.raises(InvalidParameterValue, match="12"):
        auth.create_user("alice", "x" * 11)
    auth.create_user("alice", "x" * 12)
    with pytest.raises(InvalidParameterValue):
        auth.update_password("alice", "short")


def test_passwords_are_stored_hashed_and_verified(auth: AuthStore) -> None:
    auth.create_user("alice", PASSWORD)
    found = auth.password_hash_of("alice")
    assert found is not None
    assert PASSWORD not in found[1]
    assert found[1].startswith("$argon2id$")
    verified = auth.verify_password("alice", PASSWORD)
    assert verified is not None
    assert verified.username == "alice"
    assert auth.verify_password("alice", PASSWORD + "!") is None
    assert auth.verify_password("nobody", PASSWORD) is None
    auth.update_password("alice", "another long password")
    assert auth.verify_password("alice", PASSWORD) is None
    assert auth.verify_password("alice", "another long password") is not None


def test_tokens_are_shown_once_stored_hashed_and_revocable(auth: AuthStore) -> None:
    auth.create_user("alice", PASSWORD)
    token, info = auth.create_token("alice", "laptop")
    assert token.startswith("rs_pat_")
    assert len(token) > 40
    assert info.name == "laptop"
    assert info.expires_time is None
    user = auth.verify_token(token)
    assert user is not None
    assert user.username == "alice"
    listed = auth.list_tokens("alice")
    assert [(t.token_id, t.name) for t in listed] == [(info.token_id, "laptop")]
    assert listed[0].last_used_time is not None
    assert auth.verify_token(token + "x") is None
    assert auth.verify_token("rs_pat_" + "A" * 43) is None
    with pytest.raises(AlreadyExists):
        auth.create_token("alice", "laptop")
    auth.revoke_token("alice", info.token_id)
    assert auth.verify_token(token) is None
    with pytest.raises(NotFound):
        auth.revoke_token("alice", info.token_id)


def test_tokens_die_with_their_user(auth: AuthStore) -> None:
    auth.create_user("alice", PASSWORD)
    token, _ = auth.create_token("alice", "ci", expires_in_days=30)
    auth.delete_user("alice")
    assert auth.verify_token(token) is None


def test_bootstrap_token_creates_one_admin_once(auth: AuthStore) -> None:
    first = auth.issue_bootstrap_token()
    token = auth.issue_bootstrap_token()  # a new start replaces the earlier token
    assert first is not None
    assert token is not None
    assert token.startswith("rs_boot_")
    assert not auth.bootstrap_token_valid(first)
    assert auth.bootstrap_token_valid(token)
    admin = auth.create_first_admin(token, "root", PASSWORD)
    assert admin.is_admin
    assert not auth.bootstrap_token_valid(token)
    with pytest.raises(PermissionDenied):
        auth.create_first_admin(token, "root2", PASSWORD)
    assert auth.issue_bootstrap_token() is None  # an admin exists: no more tokens


def test_sessions_resolve_until_ended(auth: AuthStore) -> None:
    user = auth.create_user("alice", PASSWORD)
    session_id, csrf = auth.create_session(user, ttl_s=60)
    found = auth.resolve_session(session_id)
    assert found is not None
    assert found.user.username == "alice"
    assert found.csrf_hash != csrf  # the server keeps a digest only
    auth.end_session(session_id)
    assert auth.resolve_session(session_id) is None
    expired, _ = auth.create_session(user, ttl_s=0)
    assert auth.resolve_session(expired) is None
    again, _ = auth.create_session(user, ttl_s=60)
    auth.update_password("alice", "a brand new password")
    assert auth.resolve_session(again) is None


def test_experiment_permissions(auth: AuthStore, tracking: SqlStore) -> None:
    experiment_id = tracking.create_experiment("secret")
    alice = auth.create_user("alice", PASSWORD)
    grant = auth.create_permission("experiment", experiment_id, "alice", Permission.READ)
    assert (grant.resource, grant.user_id, grant.permission) == (
        experiment_id,
        alice.user_id,
        Permission.READ,
    )
    with pytest.raises(AlreadyExists):
        auth.create_permission("experiment", experiment_id, "alice", Permission.EDIT)
    auth.update_permission("experiment", experiment_id, "alice", Permission.EDIT)
    assert auth.get_permission("experiment", experiment_id, "alice").permission == Permission.EDIT
    assert [p.resource for p in auth.list_permissions("experiment", "alice")] == [experiment_id]
    auth.delete_permission("experiment", experiment_id, "alice")
    with pytest.raises(NotFound):
        auth.get_permission("experiment", experiment_id, "alice")
    with pytest.raises(NotFound):
        auth.delete_permission("experiment", experiment_id, "alice")
    with pytest.raises(NotFound):
        auth.create_permission("experiment", "999999", "alice", Permission.READ)
    with pytest.raises(NotFound):
        auth.create_permission("experiment", experiment_id, "nobody", Permission.READ)


def test_effective_permission_admin_grant_default(auth: AuthStore, tracking: SqlStore) -> None:
    experiment_id = tracking.create_experiment("e")
    admin = auth.create_user("root", PASSWORD, is_admin=True)
    alice = auth.create_user("alice", PASSWORD)
    default = Permission.READ
    assert auth.effective_experiment_permission(admin, experiment_id, default) == Permission.MANAGE
    assert auth.effective_experiment_permission(alice, experiment_id, default) == Permission.READ
    auth.create_permission("experiment", experiment_id, "alice", Permission.NO_PERMISSIONS)
    held = auth.effective_experiment_permission(alice, experiment_id, default)
    assert held == Permission.NO_PERMISSIONS
    assert not held.can_read


def test_creator_gets_manage_once(auth: AuthStore, tracking: SqlStore) -> None:
    experiment_id = tracking.create_experiment("mine")
    alice = auth.create_user("alice", PASSWORD)
    auth.grant_creator("experiment", experiment_id, alice)
    auth.grant_creator("experiment", experiment_id, alice)  # a retried create changes nothing
    assert auth.get_permission("experiment", experiment_id, "alice").permission.can_manage


def test_model_permissions_follow_renames_and_deletes(auth: AuthStore, tracking: SqlStore) -> None:
    tracking.create_registered_model("old-name")
    alice = auth.create_user("alice", PASSWORD)
    auth.create_permission("registered_model", "old-name", "alice", Permission.EDIT)
    tracking.rename_registered_model("old-name", "new-name")
    grant = auth.get_permission("registered_model", "new-name", "alice")
    assert (grant.resource, grant.permission) == ("new-name", Permission.EDIT)
    assert [p.resource for p in auth.list_permissions("registered_model", "alice")] == ["new-name"]
    held = auth.effective_registered_model_permission(alice, "new-name", Permission.READ)
    assert held == Permission.EDIT
    tracking.delete_registered_model("new-name")
    tracking.create_registered_model("new-name")  # a new model of that name has no grants
    with pytest.raises(NotFound):
        auth.get_permission("registered_model", "new-name", "alice")


def test_deleting_a_user_deletes_their_grants(auth: AuthStore, tracking: SqlStore) -> None:
    experiment_id = tracking.create_experiment("e")
    auth.create_user("alice", PASSWORD)
    auth.create_permission("experiment", experiment_id, "alice", Permission.MANAGE)
    auth.delete_user("alice")
    auth.create_user("alice", PASSWORD)
    assert auth.list_permissions("experiment", "alice") == []


def test_permission_levels_are_ordered() -> None:
    assert Permission.parse("manage") is Permission.MANAGE
    with pytest.raises(InvalidParameterValue, match="Valid permissions"):
        Permission.parse("OWNER")
    levels = [Permission.parse(n) for n in ("NO_PERMISSIONS", "READ", "USE", "EDIT", "MANAGE")]
    assert levels == sorted(levels)
    assert [p.can_read for p in levels] == [False, True, True, True, True]
    assert [p.can_update for p in levels] == [False, False, False, True, True]
    assert [p.can_delete for p in levels] == [False, False, False, False, True]
    assert [p.can_manage for p in levels] == [False, False, False, False, True]
