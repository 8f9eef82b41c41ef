"""Registered models keep a summary: their tags, aliases and latest versions as one JSON text,
rewritten by every registry write that changes them, so a page of models is read from one
table.

The column starts empty (NULL). Summaries are built by the store's own code once the schema
is at head (``schema.upgrade`` does it right after migrating), so their shape is defined in
one place; a NULL summary is also built on the fly when read.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# A model may have many long tags: up to 4 GB on MySQL, whose TEXT holds only 64 KB.
JSON_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


# Plain ALTER TABLE on every backend (SQLite has had DROP COLUMN since 3.35): a batch
# migration would copy the table, and dropping the old copy on SQLite would cascade to the
# versions, tags and aliases that reference it.


def upgrade() -> None:
    op.add_column("registered_models", sa.Column("summary", JSON_TEXT, nullable=True))


def downgrade() -> None:
    op.drop_column("registered_models", "summary")
