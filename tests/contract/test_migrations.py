from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from runstone.errors import InvalidState
from runstone.store.sql import SqlStore, schema
from runstone.store.sql.engine import engine_for
from runstone.store.sql.tables import metadata


def test_upgraded_empty_database_matches_the_table_metadata_exactly(database_uri: str) -> None:
    with engine_for(database_uri) as engine:
        schema.upgrade(engine)
        assert schema.current_revision(engine) == schema.head_revision()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []


def test_upgrade_downgrade_upgrade_round_trips(database_uri: str) -> None:
    with engine_for(database_uri) as engine:
        schema.upgrade(engine)
        schema.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        schema.upgrade(engine)
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())


def test_store_on_an_empty_database_creates_the_schema(database_uri: str) -> None:
    store = SqlStore(database_uri)
    try:
        assert store.get_experiment("0").name == "Default"
    finally:
        store.close()
    again = SqlStore(database_uri)  # opening an up-to-date store changes nothing
    try:
        assert [e.name for e in again.search_experiments()] == ["Default"]
    finally:
        again.close()


@pytest.mark.parametrize("backend", ["postgresql", "mysql"], indirect=True)
def test_outdated_server_database_is_refused_with_upgrade_hint(database_uri: str) -> None:
    """SQLite files are upgraded on open; a shared server database is the operator's call."""
    with engine_for(database_uri) as engine:
        schema.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(InvalidState, match="runstone db upgrade"):
        SqlStore(database_uri)


def test_foreign_tables_without_a_version_are_refused(database_uri: str) -> None:
    with engine_for(database_uri) as engine, engine.begin() as conn:
        conn.execute(text("CREATE TABLE someone_elses (id INTEGER PRIMARY KEY)"))
    with pytest.raises(InvalidState, match="not a Runstone store"):
        SqlStore(database_uri)


def test_head_revision_constant_matches_the_migration_scripts() -> None:
    assert schema.head_revision() == schema.alembic_head_revision()
