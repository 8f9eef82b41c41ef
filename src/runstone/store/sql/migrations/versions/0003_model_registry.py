"""The model registry: registered models, their versions, tags and aliases.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MYSQL_OPTIONS: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("model_key", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("last_version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("model_key", name=op.f("pk_registered_models")),
        sa.UniqueConstraint("name", name=op.f("uq_registered_models_name")),
        **MYSQL_OPTIONS,
    )
    op.create_index(
        op.f("ix_registered_models_last_updated_timestamp"),
        "registered_models",
        ["last_updated_timestamp"],
    )
    op.create_table(
        "registered_model_tags",
        sa.Column("model_key", AUTO_ID, nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", LONG_TEXT, nullable=False),
        sa.ForeignKeyConstraint(
            ["model_key"],
            ["registered_models.model_key"],
            name=op.f("fk_registered_model_tags_model_key_registered_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_key", "key", name=op.f("pk_registered_model_tags")),
        **MYSQL_OPTIONS,
    )
    op.create_index(op.f("ix_registered_model_tags_key"), "registered_model_tags", ["key"])
    op.create_table(
        "model_versions",
        sa.Column("model_key", AUTO_ID, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("current_stage", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.Column("run_link", sa.String(length=500), nullable=True),
        sa.Column("model_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_message", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["model_key"],
            ["registered_models.model_key"],
            name=op.f("fk_model_versions_model_key_registered_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_key", "version", name=op.f("pk_model_versions")),
        **MYSQL_OPTIONS,
    )
    op.create_index(
        op.f("ix_model_versions_last_updated_timestamp"),
        "model_versions",
        ["last_updated_timestamp"],
    )
    op.create_index(op.f("ix_model_versions_run_id"), "model_versions", ["run_id"])
    op.create_index(
        op.f("ix_model_versions_model_key_current_stage_version"),
        "model_versions",
        ["model_key", "current_stage", "version"],
    )
    op.create_table(
        "model_version_tags",
        sa.Column("model_key", AUTO_ID, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", LONG_TEXT, nullable=False),
        sa.ForeignKeyConstraint(
            ["model_key", "version"],
            ["model_versions.model_key", "model_versions.version"],
            name=op.f("fk_model_version_tags_model_key_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_key", "version", "key", name=op.f("pk_model_version_tags")),
        **MYSQL_OPTIONS,
    )
    op.create_table(
        "registered_model_aliases",
        sa.Column("model_key", AUTO_ID, nullable=False),
        sa.Column("alias", sa.String(length=255), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_key", "version"],
            ["model_versions.model_key", "model_versions.version"],
            name=op.f("fk_registered_model_aliases_model_key_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_key", "alias", name=op.f("pk_registered_model_aliases")),
        **MYSQL_OPTIONS,
    )
    op.create_index(
        op.f("ix_registered_model_aliases_model_key_version"),
        "registered_model_aliases",
        ["model_key", "version"],
    )

    op.create_table(
        "model_stage_latest",
        sa.Column("model_key", AUTO_ID, nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_key", "version"],
            ["model_versions.model_key", "model_versions.version"],
            name=op.f("fk_model_stage_latest_model_key_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_key", "stage", name=op.f("pk_model_stage_latest")),
        **MYSQL_OPTIONS,
    )


def downgrade() -> None:
    op.drop_table("model_stage_latest")
    op.drop_table("registered_model_aliases")
    op.drop_table("model_version_tags")
    op.drop_table("model_versions")
    op.drop_table("registered_model_tags")
    op.drop_table("registered_models")
