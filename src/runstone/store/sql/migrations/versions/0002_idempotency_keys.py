"""Idempotency keys of creates, so a retried create returns what the first one made.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MYSQL_OPTIONS: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("result", sa.String(length=64), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("operation", "key", name=op.f("pk_idempotency_keys")),
        **MYSQL_OPTIONS,
    )
    op.create_index(op.f("ix_idempotency_keys_created_time"), "idempotency_keys", ["created_time"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
