"""Authentication and permissions: users, personal access tokens, UI sessions, the bootstrap
token, and per-experiment and per-registered-model permissions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MYSQL_OPTIONS: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"],
        ["auth_users.user_id"],
        name=op.f(f"fk_{table}_user_id_auth_users"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "auth_users",
        sa.Column("user_id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_auth_users")),
        sa.UniqueConstraint("username", name=op.f("uq_auth_users_username")),
        **MYSQL_OPTIONS,
    )
    op.create_table(
        "auth_tokens",
        sa.Column("token_id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("user_id", AUTO_ID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("expires_time", sa.BigInteger(), nullable=True),
        sa.Column("last_used_time", sa.BigInteger(), nullable=True),
        _user_fk("auth_tokens"),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_auth_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_tokens_token_hash")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_auth_tokens_user_id_name")),
        **MYSQL_OPTIONS,
    )
    op.create_table(
        "auth_sessions",
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", AUTO_ID, nullable=False),
        sa.Column("csrf_hash", sa.String(length=64), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("expires_time", sa.BigInteger(), nullable=False),
        _user_fk("auth_sessions"),
        sa.PrimaryKeyConstraint("session_hash", name=op.f("pk_auth_sessions")),
        **MYSQL_OPTIONS,
    )
    op.create_index(op.f("ix_auth_sessions_user_id"), "auth_sessions", ["user_id"])
    op.create_index(op.f("ix_auth_sessions_expires_time"), "auth_sessions", ["expires_time"])
    op.create_table(
        "auth_bootstrap_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_auth_bootstrap_tokens")),
        **MYSQL_OPTIONS,
    )
    op.create_table(
        "auth_experiment_permissions",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", AUTO_ID, nullable=False),
        sa.Column("permission", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name=op.f("fk_auth_experiment_permissions_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        _user_fk("auth_experiment_permissions"),
        sa.PrimaryKeyConstraint(
            "experiment_id", "user_id", name=op.f("pk_auth_experiment_permissions")
        ),
        **MYSQL_OPTIONS,
    )
    op.create_index(
        op.f("ix_auth_experiment_permissions_user_id"), "auth_experiment_permissions", ["user_id"]
    )
    op.create_table(
        "auth_registered_model_permissions",
        sa.Column("model_key", AUTO_ID, nullable=False),
        sa.Column("user_id", AUTO_ID, nullable=False),
        sa.Column("permission", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_key"],
            ["registered_models.model_key"],
            name=op.f("fk_auth_registered_model_permissions_model_key_registered_models"),
            ondelete="CASCADE",
        ),
        _user_fk("auth_registered_model_permissions"),
        sa.PrimaryKeyConstraint(
            "model_key", "user_id", name=op.f("pk_auth_registered_model_permissions")
        ),
        **MYSQL_OPTIONS,
    )
    op.create_index(
        op.f("ix_auth_registered_model_permissions_user_id"),
        "auth_registered_model_permissions",
        ["user_id"],
    )


def downgrade() -> None:
    op.drop_table("auth_registered_model_permissions")
    op.drop_table("auth_experiment_permissions")
    op.drop_table("auth_bootstrap_tokens")
    op.drop_table("auth_sessions")
    op.drop_table("auth_tokens")
    op.drop_table("auth_users")
