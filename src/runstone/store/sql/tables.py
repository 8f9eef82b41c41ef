"""The schema, as SQLAlchemy Core tables. Alembic migrations must produce exactly this.

Rows never leave ``store/sql``: the store turns them into entities. Text columns use a binary
collation on MySQL so that keys and names compare case-sensitively everywhere, as they do on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# Up to 16 MB of text on every backend (plain TEXT is only 64 KB on MySQL).
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
# Up to 4 GB: JSON documents that grow with a row's children (a model's summary).
JsonText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
Blob = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")
# SQLite only auto-increments an INTEGER PRIMARY KEY, not BIGINT.
AutoId = BigInteger().with_variant(Integer(), "sqlite")

_MYSQL: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}


def _run_fk() -> ForeignKey:
    return ForeignKey("runs.run_uuid", ondelete="CASCADE")


experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(500), nullable=False),
    Column("artifact_location", String(2048), nullable=False),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
    UniqueConstraint("name"),
    Index(None, "lifecycle_stage", "creation_time"),
    **_MYSQL,
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", String(250), nullable=False),
    Column("value", LongText, nullable=False),
    PrimaryKeyConstraint("experiment_id", "key"),
    **_MYSQL,
)

runs = Table(
    "runs",
    metadata,
    Column("run_uuid", String(32), primary_key=True),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(250), nullable=False),
    Column("user_id", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger, nullable=True),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("artifact_uri", String(2048), nullable=False),
    Column("deleted_time", BigInteger, nullable=True),
    Index(None, "experiment_id", "lifecycle_stage", "start_time"),
    **_MYSQL,
)

run_tags = Table(
    "run_tags",
    metadata,
    Column("run_uuid", String(32), _run_fk(), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", LongText, nullable=False),
    PrimaryKeyConstraint("run_uuid", "key"),
    **_MYSQL,
)

params = Table(
    "params",
    metadata,
    Column("run_uuid", String(32), _run_fk(), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", LongText, nullable=False),
    PrimaryKeyConstraint("run_uuid", "key"),
    **_MYSQL,
)

# One row per (run, key): the latest point and aggregates, for search, sort and run pages.
# Searches are scoped to experiments, so they probe (run_uuid, key) from the runs found; no
# index leads with the key (it tempted PostgreSQL into slow plans before its first ANALYZE).
# Values are stored sortable: NaN as NULL (last_value only) and +-Inf as +-DBL_MAX, because
# MySQL cannot store NaN or infinities.
metric_summaries = Table(
    "metric_summaries",
    metadata,
    Column("run_uuid", String(32), _run_fk(), nullable=False),
    Column("key", String(250), nullable=False),
    Column("last_value", Double, nullable=True),
    Column("last_timestamp", BigInteger, nullable=False),
    Column("last_step", BigInteger, nullable=False),
    Column("min_value", Double, nullable=True),
    Column("max_value", Double, nullable=True),
    Column("n_points", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_uuid", "key"),
    **_MYSQL,
)

# The points themselves: packed little-endian arrays, hundreds to thousands of points a row.
metric_chunks = Table(
    "metric_chunks",
    metadata,
    Column("chunk_id", AutoId, primary_key=True, autoincrement=True),
    Column("run_uuid", String(32), _run_fk(), nullable=False),
    Column("key", String(250), nullable=False),
    Column("codec", SmallInteger, nullable=False),
    Column("n_points", Integer, nullable=False),
    Column("min_step", BigInteger, nullable=False),
    Column("max_step", BigInteger, nullable=False),
    Column("points", Blob, nullable=False),
    # A few dozen real points of the chunk (min and max of each slice) for chart reads.
    Column("sketch", Blob, nullable=False),
    Index(None, "run_uuid", "key", "min_step"),
    **_MYSQL,
)

datasets = Table(
    "datasets",
    metadata,
    Column("dataset_uuid", String(32), primary_key=True),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(500), nullable=False),
    Column("digest", String(36), nullable=False),
    Column("source_type", String(36), nullable=False),
    Column("source", LongText, nullable=False),
    Column("schema", LongText, nullable=True),
    Column("profile", LongText, nullable=True),
    UniqueConstraint("experiment_id", "name", "digest"),
    **_MYSQL,
)

run_inputs = Table(
    "run_inputs",
    metadata,
    Column("run_uuid", String(32), _run_fk(), nullable=False),
    Column(
        "dataset_uuid",
        String(32),
        ForeignKey("datasets.dataset_uuid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("run_uuid", "dataset_uuid"),
    Index(None, "dataset_uuid"),
    **_MYSQL,
)

run_input_tags = Table(
    "run_input_tags",
    metadata,
    Column("run_uuid", String(32), nullable=False),
    Column("dataset_uuid", String(32), nullable=False),
    Column("key", String(255), nullable=False),
    Column("value", String(500), nullable=False),
    PrimaryKeyConstraint("run_uuid", "dataset_uuid", "key"),
    ForeignKeyConstraint(
        ["run_uuid", "dataset_uuid"],
        ["run_inputs.run_uuid", "run_inputs.dataset_uuid"],
        ondelete="CASCADE",
    ),
    **_MYSQL,
)

# Creates retried by a client with the same Idempotency-Key return what the first one made.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(128), nullable=False),
    Column("operation", String(32), nullable=False),
    Column("result", String(64), nullable=False),
    Column("created_time", BigInteger, nullable=False),
    PrimaryKeyConstraint("operation", "key"),
    Index(None, "created_time"),
    **_MYSQL,
)

# -- the model registry ----------------------------------------------------------------------------
# Models are keyed by a number, not by name, so a rename is one row; ``last_version`` counts the
# versions ever made (it never goes down), so a deleted version's number is never reused and
# concurrent creates, serialised on the model's row, number their versions without gaps.

registered_models = Table(
    "registered_models",
    metadata,
    Column("model_key", AutoId, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False),
    Column("description", Text, nullable=False),
    Column("user_id", String(256), nullable=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("last_version", BigInteger, nullable=False),
    # Tags, aliases and latest versions as JSON (registry_loading.py); NULL: not built yet.
    Column("summary", JsonText, nullable=True),
    UniqueConstraint("name"),
    Index(None, "last_updated_timestamp"),
    **_MYSQL,
)


def _model_fk() -> ForeignKey:
    return ForeignKey("registered_models.model_key", ondelete="CASCADE")


registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column("model_key", AutoId, _model_fk(), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", LongText, nullable=False),
    PrimaryKeyConstraint("model_key", "key"),
    Index(None, "key"),  # tag filters and the prompt check start from a key
    **_MYSQL,
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("model_key", AutoId, _model_fk(), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("user_id", String(256), nullable=False),
    Column("current_stage", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("source", String(500), nullable=False),
    Column("run_id", String(32), nullable=True),
    Column("run_link", String(500), nullable=True),
    Column("model_id", String(64), nullable=True),
    Column("status", String(20), nullable=False),
    Column("status_message", String(500), nullable=True),
    PrimaryKeyConstraint("model_key", "version"),
    Index(None, "last_updated_timestamp"),
    Index(None, "run_id"),
    Index(None, "model_key", "current_stage", "version"),
    **_MYSQL,
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("model_key", AutoId, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", LongText, nullable=False),
    PrimaryKeyConstraint("model_key", "version", "key"),
    ForeignKeyConstraint(
        ["model_key", "version"],
        ["model_versions.model_key", "model_versions.version"],
        ondelete="CASCADE",
    ),
    **_MYSQL,
)

# An alias names one version of one model; deleting the version deletes its aliases.
registered_model_aliases = Table(
    "registered_model_aliases",
    metadata,
    Column("model_key", AutoId, nullable=False),
    Column("alias", String(255), nullable=False),
    Column("version", BigInteger, nullable=False),
    PrimaryKeyConstraint("model_key", "alias"),
    ForeignKeyConstraint(
        ["model_key", "version"],
        ["model_versions.model_key", "model_versions.version"],
        ondelete="CASCADE",
    ),
    Index(None, "model_key", "version"),
    **_MYSQL,
)

# The newest version in each stage of each model (what ``latest_versions`` lists), kept by the
# writes that create, delete or move versions so that reading it never scans a model's versions.
model_stage_latest = Table(
    "model_stage_latest",
    metadata,
    Column("model_key", AutoId, nullable=False),
    Column("stage", String(20), nullable=False),
    Column("version", BigInteger, nullable=False),
    PrimaryKeyConstraint("model_key", "stage"),
    ForeignKeyConstraint(
        ["model_key", "version"],
        ["model_versions.model_key", "model_versions.version"],
        ondelete="CASCADE",
    ),
    **_MYSQL,
)


# -- MLflow 3 logged models ------------------------------------------------------------------------


def _logged_model_fk() -> ForeignKey:
    return ForeignKey("logged_models.model_id", ondelete="CASCADE")


logged_models = Table(
    "logged_models",
    metadata,
    Column("model_id", String(64), primary_key=True),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(500), nullable=False),
    Column("artifact_location", String(2048), nullable=False),
    Column("status", String(32), nullable=False),
    Column("creation_timestamp_ms", BigInteger, nullable=False),
    Column("last_updated_timestamp_ms", BigInteger, nullable=False),
    Column("model_type", String(500), nullable=True),
    Column("source_run_id", String(32), nullable=True),
    Column("status_message", String(1000), nullable=True),
    Column("lifecycle_stage", String(32), nullable=False),
    Index(None, "experiment_id", "creation_timestamp_ms"),
    Index(None, "source_run_id"),
    **_MYSQL,
)

logged_model_tags = Table(
    "logged_model_tags",
    metadata,
    Column("model_id", String(64), _logged_model_fk(), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", LongText, nullable=False),
    PrimaryKeyConstraint("model_id", "key"),
    **_MYSQL,
)

logged_model_params = Table(
    "logged_model_params",
    metadata,
    Column("model_id", String(64), _logged_model_fk(), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", LongText, nullable=False),
    PrimaryKeyConstraint("model_id", "key"),
    **_MYSQL,
)

# The models a run produced (MLflow's run outputs), at a step.
run_outputs = Table(
    "run_outputs",
    metadata,
    Column("run_uuid", String(32), _run_fk(), nullable=False),
    Column("model_id", String(64), _logged_model_fk(), nullable=False),
    Column("step", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_uuid", "model_id", "step"),
    Index(None, "model_id"),
    **_MYSQL,
)

# -- authentication and permissions (``runstone server --auth``) -----------------------------------
# Secrets are never stored: passwords as argon2id hashes, tokens and session ids as SHA-256
# digests. Permissions reference experiments and registered models by key, so a model rename
# carries its permissions and deleting a resource (or a user) deletes its grants.


def _auth_user_fk() -> ForeignKey:
    return ForeignKey("auth_users.user_id", ondelete="CASCADE")


auth_users = Table(
    "auth_users",
    metadata,
    Column("user_id", AutoId, primary_key=True, autoincrement=True),
    Column("username", String(255), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("is_admin", Boolean, nullable=False),
    Column("created_time", BigInteger, nullable=False),
    UniqueConstraint("username"),
    **_MYSQL,
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("token_id", AutoId, primary_key=True, autoincrement=True),
    Column("user_id", AutoId, _auth_user_fk(), nullable=False),
    Column("name", String(255), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("created_time", BigInteger, nullable=False),
    Column("expires_time", BigInteger, nullable=True),
    Column("last_used_time", BigInteger, nullable=True),
    UniqueConstraint("token_hash"),
    UniqueConstraint("user_id", "name"),
    **_MYSQL,
)

# Browser sessions of the web UI: the cookie holds a random id, the row its digest and the
# digest of the CSRF token the login answered with.
auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", AutoId, _auth_user_fk(), nullable=False),
    Column("csrf_hash", String(64), nullable=False),
    Column("created_time", BigInteger, nullable=False),
    Column("expires_time", BigInteger, nullable=False),
    Index(None, "user_id"),
    Index(None, "expires_time"),
    **_MYSQL,
)

# The one-time token a server prints at start while no admin exists (at most one row).
auth_bootstrap_tokens = Table(
    "auth_bootstrap_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("created_time", BigInteger, nullable=False),
    **_MYSQL,
)

auth_experiment_permissions = Table(
    "auth_experiment_permissions",
    metadata,
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("user_id", AutoId, _auth_user_fk(), nullable=False),
    Column("permission", String(32), nullable=False),
    PrimaryKeyConstraint("experiment_id", "user_id"),
    Index(None, "user_id"),
    **_MYSQL,
)

auth_registered_model_permissions = Table(
    "auth_registered_model_permissions",
    metadata,
    Column("model_key", AutoId, _model_fk(), nullable=False),
    Column("user_id", AutoId, _auth_user_fk(), nullable=False),
    Column("permission", String(32), nullable=False),
    PrimaryKeyConstraint("model_key", "user_id"),
    Index(None, "user_id"),
    **_MYSQL,
)
