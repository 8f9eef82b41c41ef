"""``runstone users``: the accounts and tokens of a server run with ``--auth``.

These commands work on the server's database directly (``--backend-store-uri``, the same
default as ``runstone server``), so the first admin can be made before any server runs and
access can be restored by whoever holds the database.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from runstone.cli.output import echo_json, local_time, print_table
from runstone.config import DEFAULT_LOCAL_DIR, StoreSettings, env_value
from runstone.store.sql.auth import AuthStore

F = TypeVar("F", bound=Callable[..., Any])

USERNAME = click.option("-u", "--username", required=True, metavar="NAME", help="The user.")


def store_option(command: F) -> F:
    return click.option(
        "--backend-store-uri",
        default=None,
        metavar="URI",
        help="The server's database (default: ./runstone, as `runstone server`; env "
        "RUNSTONE_BACKEND_STORE_URI).",
    )(command)


def json_option(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(command)


def password_options(command: F) -> F:
    return click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from the first line of stdin instead of prompting.",
    )(command)


@contextmanager
def open_store(uri: str | None) -> Iterator[AuthStore]:
    chosen = uri or env_value("BACKEND_STORE_URI") or DEFAULT_LOCAL_DIR
    store = AuthStore.open(chosen, StoreSettings.from_env())
    try:
        yield store
    finally:
        store.close()


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group()
def users() -> None:
    """Manage the users, admins and access tokens of a server run with --auth."""


@users.command("create-admin")
@USERNAME
@password_options
@store_option
def create_admin(username: str, password_stdin: bool, backend_store_uri: str | None) -> None:
    """Create an admin (the way to make the first one: there is no default password)."""
    password = read_password(password_stdin)
    with open_store(backend_store_uri) as store:
        store.create_user(username, password, is_admin=True)
    click.echo(f"Created admin {username!r}.")


@users.command()
@USERNAME
@click.option("--admin", is_flag=True, help="Make the user an admin.")
@password_options
@store_option
def create(username: str, admin: bool, password_stdin: bool, backend_store_uri: str | None) -> None:
    """Create a user."""
    password = read_password(password_stdin)
    with open_store(backend_store_uri) as store:
        store.create_user(username, password, is_admin=admin)
    click.echo(f"Created {'admin' if admin else 'user'} {username!r}.")


@users.command("list")
@json_option
@store_option
def list_users(as_json: bool, backend_store_uri: str | None) -> None:
    """List the users."""
    with open_store(backend_store_uri) as store:
        found = store.list_users()
    if as_json:
        echo_json(
            [{"id": u.user_id, "username": u.username, "is_admin": u.is_admin} for u in found]
        )
        return
    print_table(
        ("ID", "Username", "Admin", "Created"),
        (
            (u.user_id, u.username, "yes" if u.is_admin else "", local_time(u.created_time))
            for u in found
        ),
        title="Users",
    )


@users.command()
@USERNAME
@click.confirmation_option(prompt="Delete the user, their tokens and permissions?")
@store_option
def delete(username: str, backend_store_uri: str | None) -> None:
    """Delete a user with their tokens, sessions and permissions."""
    with open_store(backend_store_uri) as store:
        store.delete_user(username)
    click.echo(f"Deleted user {username!r}.")


@users.command("set-admin")
@USERNAME
@click.option("--admin/--no-admin", default=True, show_default=True, help="Grant or revoke.")
@store_option
def set_admin(username: str, admin: bool, backend_store_uri: str | None) -> None:
    """Make a user an admin (or, with --no-admin, not)."""
    with open_store(backend_store_uri) as store:
        store.update_admin(username, admin)
    click.echo(f"{username!r} is {'now' if admin else 'no longer'} an admin.")


@users.command("set-password")
@USERNAME
@password_options
@store_option
def set_password(username: str, password_stdin: bool, backend_store_uri: str | None) -> None:
    """Set a user's password (their UI sessions end)."""
    password = read_password(password_stdin)
    with open_store(backend_store_uri) as store:
        store.update_password(username, password)
    click.echo(f"Password of {username!r} changed.")


@users.group()
def tokens() -> None:
    """Personal access tokens: what MLFLOW_TRACKING_TOKEN holds."""


@tokens.command("create")
@USERNAME
@click.option("-n", "--name", required=True, help="A name for the token, unique per user.")
@click.option("--expires-days", type=click.IntRange(1), default=None, help="Days until it expires.")
@store_option
def create_token(
    username: str, name: str, expires_days: int | None, backend_store_uri: str | None
) -> None:
    """Create a token and print it: it is shown this once and never stored."""
    with open_store(backend_store_uri) as store:
        token, info = store.create_token(username, name, expires_days)
    click.echo(f"Token {info.token_id} ({name!r}) for {username!r}; copy it now:", err=True)
    click.echo(token)


@tokens.command("list")
@USERNAME
@json_option
@store_option
def list_tokens(username: str, as_json: bool, backend_store_uri: str | None) -> None:
    """List a user's tokens (never the tokens themselves)."""
    with open_store(backend_store_uri) as store:
        found = store.list_tokens(username)
    if as_json:
        echo_json(
            [
                {
                    "id": t.token_id,
                    "name": t.name,
                    "created_time": t.created_time,
                    "expires_time": t.expires_time,
                    "last_used_time": t.last_used_time,
                }
                for t in found
            ]
        )
        return
    print_table(
        ("ID", "Name", "Created", "Expires", "Last used"),
        (
            (
                t.token_id,
                t.name,
                local_time(t.created_time),
                local_time(t.expires_time) if t.expires_time else "never",
                local_time(t.last_used_time) if t.last_used_time else "",
            )
            for t in found
        ),
        title=f"Tokens of {username}",
    )


@tokens.command("revoke")
@USERNAME
@click.option("--token-id", required=True, type=int, help="The token's ID (see `tokens list`).")
@store_option
def revoke_token(username: str, token_id: int, backend_store_uri: str | None) -> None:
    """Revoke a token: it stops working at once."""
    with open_store(backend_store_uri) as store:
        store.revoke_token(username, token_id)
    click.echo(f"Revoked token {token_id} of {username!r}.")
