"""Registered models' summaries: the JSON copy of each model's tags, aliases and latest
versions that searches read. Every write that changes one of them must leave the copy equal
to what the child tables say; migrations from before summaries must fill them in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import select, update

from runstone.store.sql import SqlStore, schema
from runstone.store.sql.engine import engine_for
from runstone.store.sql.registry_loading import build_summaries
from runstone.store.sql.tables import registered_models


@pytest.fixture
def sql_store(database_uri: str, tmp_path: Any) -> Iterator[SqlStore]:
    opened = SqlStore(database_uri, artifact_root=(tmp_path / "a").as_uri())
    yield opened
    opened.close()


def _summaries(store: SqlStore) -> dict[str, Any]:
    """Each model's stored summary, parsed, by name (None where none is stored)."""
    with store._db.read() as conn:
        rows = conn.execute(select(registered_models.c.name, registered_models.c.summary)).all()
    return {name: None if text is None else orjson.loads(text) for name, text in rows}


def _built(store: SqlStore) -> dict[str, Any]:
    """Each model's summary as the child tables say it should be."""
    with store._db.read() as conn:
        rows = conn.execute(select(registered_models.c.name, registered_models.c.model_key)).all()
        built = build_summaries(conn, [key for _, key in rows])
    return {name: orjson.loads(built[key]) for name, key in rows}


def _writes(store: SqlStore, src: str) -> list[tuple[str, Callable[[], Any]]]:
    """One of every registry write that can change a summary, in an order where each applies."""
    return [
        ("create model", lambda: store.create_registered_model("m", tags={"a": "1"})),
        ("create other", lambda: store.create_registered_model("other")),
        ("set model tag", lambda: store.set_registered_model_tag("m", "b", "2")),
        ("overwrite model tag", lambda: store.set_registered_model_tag("m", "b", "3")),
        ("delete model tag", lambda: store.delete_registered_model_tag("m", "a")),
        ("create version 1", lambda: store.create_model_version("m", src, tags={"t": "x"})),
        ("create version 2", lambda: store.create_model_version("m", src)),
        ("create version 3", lambda: store.create_model_version("m", src)),
        ("set alias", lambda: store.set_registered_model_alias("m", "champion", 2)),
        ("move alias", lambda: store.set_registered_model_alias("m", "champion", 3)),
        ("second alias", lambda: store.set_registered_model_alias("m", "backup", 1)),
        ("delete alias", lambda: store.delete_registered_model_alias("m", "backup")),
        ("to Staging", lambda: store.transition_model_version_stage("m", 1, "Staging")),
        ("to Production", lambda: store.transition_model_version_stage("m", 2, "Production")),
        (
            "to Production, archiving",
            lambda: store.transition_model_version_stage("m", 3, "Production", True),
        ),
        ("set version tag", lambda: store.set_model_version_tag("m", 3, "k", "v")),
        ("delete version tag", lambda: store.delete_model_version_tag("m", 1, "t")),
        ("describe version", lambda: store.update_model_version("m", 3, "newest")),
        ("describe model", lambda: store.update_registered_model("m", "about m")),
        ("delete latest version", lambda: store.delete_model_version("m", 3)),
        ("rename", lambda: store.rename_registered_model("m", "renamed")),
        ("version of renamed", lambda: store.create_model_version("renamed", src)),
        ("delete other", lambda: store.delete_registered_model("other")),
    ]


def test_every_registry_write_leaves_summaries_equal_to_the_child_tables(
    sql_store: SqlStore, tmp_path: Any
) -> None:
    src = (tmp_path / "a" / "model").as_uri()
    for what, write in _writes(sql_store, src):
        write()
        assert _summaries(sql_store) == _built(sql_store), f"after {what}"
    model = sql_store.get_registered_model("renamed")
    assert model.tags == {"b": "3"}
    assert model.aliases == {}  # the alias went with version 3
    assert [(v.version, v.current_stage.value) for v in model.latest_versions] == [
        ("4", "None"),
        ("1", "Staging"),
        ("2", "Archived"),
    ]


def test_upgrade_from_before_summaries_fills_them_in(database_uri: str, tmp_path: Any) -> None:
    store = SqlStore(database_uri, artifact_root=(tmp_path / "a").as_uri())
    try:
        for _, write in _writes(store, (tmp_path / "a" / "model").as_uri()):
            write()
        before = store.search_registered_models().items
    finally:
        store.close()
    with engine_for(database_uri) as engine:
        schema.downgrade(engine, "0005")  # drops the column, keeps the registry
        schema.upgrade(engine)
    again = SqlStore(database_uri, artifact_root=(tmp_path / "a").as_uri())
    try:
        summaries = _summaries(again)
        assert None not in summaries.values()
        assert summaries == _built(again)
        assert again.search_registered_models().items == before
    finally:
        again.close()


def test_a_model_without_a_summary_reads_the_same(sql_store: SqlStore, tmp_path: Any) -> None:
    """A NULL summary (a store not yet upgraded at head) is built when read, not shown empty."""
    for _, write in _writes(sql_store, (tmp_path / "a" / "model").as_uri()):
        write()
    expected = sql_store.get_registered_model("renamed")
    found = sql_store.search_registered_models("name = 'renamed'").items
    sql_store._db.write(lambda conn: conn.execute(update(registered_models).values(summary=None)))
    assert sql_store.get_registered_model("renamed") == expected
    assert sql_store.search_registered_models("name = 'renamed'").items == found
