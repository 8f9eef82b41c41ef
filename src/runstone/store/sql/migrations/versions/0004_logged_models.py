"""MLflow 3 logged models: models, their tags and params, and the runs' outputs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
MYSQL_OPTIONS: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}


def _model_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["model_id"],
        ["logged_models.model_id"],
        name=op.f(f"fk_{table}_model_id_logged_models"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "logged_models",
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("artifact_location", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("creation_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("model_type", sa.String(length=500), nullable=True),
        sa.Column("source_run_id", sa.String(length=32), nullable=True),
        sa.Column("status_message", sa.String(length=1000), nullable=True),
        sa.Column("lifecycle_stage", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name=op.f("fk_logged_models_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_logged_models")),
        **MYSQL_OPTIONS,
    )
    op.create_index(
        op.f("ix_logged_models_experiment_id_creation_timestamp_ms"),
        "logged_models",
        ["experiment_id", "creation_timestamp_ms"],
    )
    op.create_index(op.f("ix_logged_models_source_run_id"), "logged_models", ["source_run_id"])
    for table in ("logged_model_tags", "logged_model_params"):
        op.create_table(
            table,
            sa.Column("model_id", sa.String(length=64), nullable=False),
            sa.Column("key", sa.String(length=250), nullable=False),
            sa.Column("value", LONG_TEXT, nullable=False),
            _model_fk(table),
            sa.PrimaryKeyConstraint("model_id", "key", name=op.f(f"pk_{table}")),
            **MYSQL_OPTIONS,
        )
    op.create_table(
        "run_outputs",
        sa.Column("run_uuid", sa.String(length=32), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_uuid"],
            ["runs.run_uuid"],
            name=op.f("fk_run_outputs_run_uuid_runs"),
            ondelete="CASCADE",
        ),
        _model_fk("run_outputs"),
        sa.PrimaryKeyConstraint("run_uuid", "model_id", "step", name=op.f("pk_run_outputs")),
        **MYSQL_OPTIONS,
    )
    op.create_index(op.f("ix_run_outputs_model_id"), "run_outputs", ["model_id"])


def downgrade() -> None:
    op.drop_table("run_outputs")
    op.drop_table("logged_model_params")
    op.drop_table("logged_model_tags")
    op.drop_table("logged_models")
