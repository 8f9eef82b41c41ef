"""``runstone registry``: every command against a real SQLite store, tables and JSON, and errors
as one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runstone import RunstoneClient
from runstone.entities import ModelStage
from runstone.errors import NotFound
from runstone.testing import serve
from tests.cli_helpers import Outcome, assert_one_line_error, invoke, local

RUN_SOURCE = "s3://bucket/models/{}"


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def client(uri: str) -> Iterator[RunstoneClient]:
    c = RunstoneClient(uri)
    yield c
    c.close()


@pytest.fixture
def model(client: RunstoneClient) -> str:
    """Model ``fraud`` with versions 1..3 (3 in Production, alias ``champion`` → 2)."""
    client.create_registered_model("fraud", tags={"team": "risk"}, description="flags transfers")
    for n in range(1, 4):
        client.create_model_version("fraud", RUN_SOURCE.format(n), tags={"n": n})
    client.set_registered_model_alias("fraud", "champion", 2)
    client.transition_model_version_stage("fraud", 3, "Production")
    return "fraud"


def reg(uri: str, *args: str) -> Outcome:
    return invoke("registry", *args, "--tracking-uri", uri)


def reg_json(uri: str, *args: str) -> Any:
    outcome = reg(uri, *args, "--json")
    assert outcome.exit_code == 0, outcome
    return json.loads(outcome.stdout)


def ok(outcome: Outcome) -> str:
    assert outcome.exit_code == 0, outcome
    assert outcome.stderr == ""
    return outcome.stdout


# -- models ------------------------------------------------------------------------------------


def test_models_create_with_tags_and_description(uri: str, client: RunstoneClient) -> None:
    out = ok(reg(uri, "models", "create", "fraud detector", "--description", "d", "--tag", "a=1"))
    assert out == "Registered model 'fraud detector' created.\n"
    made = client.get_registered_model("fraud detector")
    assert (made.description, made.tags) == ("d", {"a": "1"})

    created = reg_json(uri, "models", "create", "détecteur", "--tag", "k=v=w", "--tag", "e=")
    assert created["name"] == "détecteur"
    assert sorted(created["tags"], key=lambda t: t["key"]) == [
        {"key": "e", "value": ""},
        {"key": "k", "value": "v=w"},
    ]
    assert set(created) >= {"name", "creation_timestamp", "last_updated_timestamp"}


def test_models_create_errors_are_one_line(uri: str, model: str) -> None:
    assert_one_line_error(reg(uri, "models", "create", "fraud"), "already exists")
    assert_one_line_error(reg(uri, "models", "create", "x", "--tag", "novalue"), "KEY=VALUE")
    assert_one_line_error(reg(uri, "models", "create", "a/b"), "'/'")


def test_models_list_table_and_json(uri: str, client: RunstoneClient, model: str) -> None:
    client.create_registered_model("alpha")
    lines = ok(reg(uri, "models", "list")).splitlines()
    assert lines[0].split() == [
        *("Name", "Latest", "version", "Aliases", "Creation", "time"),
        *("Last", "update", "time", "Description"),
    ]
    assert set(lines[1]) == {"─"}
    assert [line.split()[0] for line in lines[2:]] == ["alpha", "fraud"]
    fraud = client.get_registered_model("fraud")
    assert lines[3].split()[1:4] == ["3", "champion:", "v2"]
    assert local(fraud.creation_timestamp) in lines[3]
    assert "flags transfers" in lines[3]

    listed = reg_json(uri, "models", "list", "--order-by", "name DESC")
    assert [m["name"] for m in listed] == ["fraud", "alpha"]
    assert listed[0]["aliases"] == [{"alias": "champion", "version": "2"}]
    assert {v["version"] for v in listed[0]["latest_versions"]} == {"2", "3"}
    assert listed[0]["tags"] == [{"key": "team", "value": "risk"}]
    assert listed[0]["description"] == "flags transfers"

    assert [m["name"] for m in reg_json(uri, "models", "list", "--filter", "name = 'alpha'")] == [
        "alpha"
    ]
    assert len(reg_json(uri, "models", "list", "--max-results", "1")) == 1
    assert reg_json(uri, "models", "list", "--filter", "name = 'none'") == []
    assert ok(reg(uri, "models", "list", "--filter", "name = 'none'")) == ""


def test_models_list_bad_filter_is_one_line(uri: str) -> None:
    assert_one_line_error(reg(uri, "models", "list", "--filter", "run_id = 'x'"))
    assert_one_line_error(reg(uri, "models", "list", "--order-by", "nonsense"))


def test_models_describe_table_and_json(uri: str, client: RunstoneClient, model: str) -> None:
    out = ok(reg(uri, "models", "describe", "fraud"))
    assert "flags transfers" in out
    assert "Tags:" in out
    assert "team" in out
    assert "risk" in out
    assert "Aliases:" in out
    assert "champion" in out
    assert "Latest versions:" in out
    assert "Production" in out
    assert RUN_SOURCE.format(3) in out

    described = reg_json(uri, "models", "describe", "fraud")
    assert described["name"] == "fraud"
    assert described["aliases"] == [{"alias": "champion", "version": "2"}]

    client.create_registered_model("bare")
    bare = ok(reg(uri, "models", "describe", "bare"))
    assert "Tags: none" in bare
    assert "Aliases: none" in bare
    assert "Latest versions: none" in bare
    assert_one_line_error(reg(uri, "models", "describe", "nobody"), "nobody", "not found")


def test_models_rename(uri: str, client: RunstoneClient, model: str) -> None:
    assert ok(reg(uri, "models", "rename", "fraud", "fraud v2")) == (
        "Registered model 'fraud' renamed to 'fraud v2'.\n"
    )
    assert client.get_registered_model("fraud v2").aliases == {"champion": "2"}
    assert reg_json(uri, "models", "rename", "fraud v2", "fraud") == {}
    assert_one_line_error(reg(uri, "models", "rename", "nobody", "x"), "not found")


def test_models_delete_asks_unless_yes(uri: str, client: RunstoneClient, model: str) -> None:
    refused = reg(uri, "models", "delete", "fraud")
    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert "Aborted." in refused.stderr
    assert client.get_registered_model("fraud").name == "fraud"

    assert (
        ok(reg(uri, "models", "delete", "fraud", "--yes")) == "Registered model 'fraud' deleted.\n"
    )
    with pytest.raises(NotFound):
        client.get_registered_model("fraud")
    client.create_registered_model("other")
    assert reg_json(uri, "models", "delete", "other", "-y") == {}
    assert_one_line_error(reg(uri, "models", "delete", "other", "--yes"), "not found")


# -- versions ----------------------------------------------------------------------------------


def test_versions_list_table_and_json(uri: str, client: RunstoneClient, model: str) -> None:
    client.create_registered_model("other")
    client.create_model_version("other", "s3://bucket/other")
    lines = ok(reg(uri, "versions", "list", "--order-by", "version_number ASC", "--name", "fraud"))
    lines = lines.splitlines()
    assert lines[0].split() == [
        *("Name", "Version", "Stage", "Aliases", "Run", "ID", "Creation", "time", "Source"),
    ]
    rows = [line.split() for line in lines[2:]]
    assert [row[1] for row in rows] == ["1", "2", "3"]
    assert rows[1][2:4] == ["None", "champion"]
    assert rows[2][2] == "Production"
    assert rows[0][-1] == RUN_SOURCE.format(1)

    everything = reg_json(uri, "versions", "list")
    assert {(v["name"], v["version"]) for v in everything} == {
        ("fraud", "1"),
        ("fraud", "2"),
        ("fraud", "3"),
        ("other", "1"),
    }
    filtered = reg_json(
        uri, "versions", "list", "--name", "fraud", "--filter", "version_number >= 2"
    )
    assert sorted(v["version"] for v in filtered) == ["2", "3"]
    champion = next(v for v in filtered if v["version"] == "2")
    assert champion["aliases"] == ["champion"]
    assert champion["status"] == "READY"
    assert champion["current_stage"] == "None"
    assert champion["tags"] == [{"key": "n", "value": "2"}]
    by_filter = reg_json(uri, "versions", "list", "--filter", "name = 'other'")
    assert [v["name"] for v in by_filter] == ["other"]
    assert len(reg_json(uri, "versions", "list", "--max-results", "2")) == 2


def test_versions_list_by_names_with_quotes(uri: str, client: RunstoneClient) -> None:
    for name in ("it's", 'say "hi"'):
        client.create_registered_model(name)
        client.create_model_version(name, "s3://bucket/x")
    assert [v["name"] for v in reg_json(uri, "versions", "list", "--name", "it's")] == ["it's"]
    quoted = reg_json(uri, "versions", "list", "--name", 'say "hi"')
    assert [v["name"] for v in quoted] == ['say "hi"']
    assert_one_line_error(reg(uri, "versions", "list", "--name", "a'b\"c"), "--filter")
    assert_one_line_error(reg(uri, "versions", "list", "--filter", "current_stage = 'x'"))


def test_versions_describe_table_and_json(uri: str, client: RunstoneClient, model: str) -> None:
    out = ok(reg(uri, "versions", "describe", "fraud", "2"))
    assert "champion" in out
    assert RUN_SOURCE.format(2) in out
    assert "READY" in out
    assert "Tags:" in out
    version = client.get_model_version("fraud", 2)
    assert local(version.creation_timestamp) in out

    described = reg_json(uri, "versions", "describe", "fraud", "3")
    assert (described["name"], described["version"]) == ("fraud", "3")
    assert described["current_stage"] == "Production"
    assert described["source"] == RUN_SOURCE.format(3)
    assert_one_line_error(reg(uri, "versions", "describe", "fraud", "9"), "not found")
    assert_one_line_error(reg(uri, "versions", "describe", "fraud", "x"), "version")


def test_versions_set_and_delete_alias(uri: str, client: RunstoneClient, model: str) -> None:
    assert ok(reg(uri, "versions", "set-alias", "fraud", "champion", "3")) == (
        "Alias 'champion' of model 'fraud' now names version 3.\n"
    )
    assert client.get_model_version_by_alias("fraud", "champion").version == "3"
    assert reg_json(uri, "versions", "set-alias", "fraud", "backup", "1") == {}
    assert client.get_registered_model("fraud").aliases == {"champion": "3", "backup": "1"}

    assert ok(reg(uri, "versions", "delete-alias", "fraud", "champion")) == (
        "Alias 'champion' of model 'fraud' deleted.\n"
    )
    assert reg_json(uri, "versions", "delete-alias", "fraud", "backup") == {}
    assert client.get_registered_model("fraud").aliases == {}
    assert_one_line_error(reg(uri, "versions", "set-alias", "fraud", "latest", "1"), "reserved")
    assert_one_line_error(reg(uri, "versions", "set-alias", "fraud", "a", "9"), "not found")


def test_versions_transition(uri: str, client: RunstoneClient, model: str) -> None:
    assert ok(reg(uri, "versions", "transition", "fraud", "1", "staging")) == (
        "Version 1 of model 'fraud' is now in stage Staging.\n"
    )
    moved = reg_json(
        uri, "versions", "transition", "fraud", "2", "PRODUCTION", "--archive-existing"
    )
    assert (moved["version"], moved["current_stage"]) == ("2", "Production")
    assert client.get_model_version("fraud", 3).current_stage is ModelStage.ARCHIVED
    assert_one_line_error(reg(uri, "versions", "transition", "fraud", "1", "Prod"), "Prod")
    assert_one_line_error(
        reg(uri, "versions", "transition", "fraud", "1", "None", "--archive-existing")
    )


def test_help_lists_every_command() -> None:
    top = invoke("registry", "--help")
    assert top.exit_code == 0
    assert "models" in top.stdout
    assert "versions" in top.stdout
    models = invoke("registry", "models", "--help").stdout
    for name in ("list", "create", "describe", "rename", "delete"):
        assert name in models
    versions = invoke("registry", "versions", "--help").stdout
    for name in ("list", "describe", "set-alias", "delete-alias", "transition"):
        assert name in versions
    assert "registry" in invoke("--help").stdout


def test_commands_work_against_a_server(tmp_path: Path) -> None:
    with serve(tmp_path / "store") as url:
        ok(reg(url, "models", "create", "served", "--tag", "a=b"))
        listed = reg_json(url, "models", "list")
        assert [(m["name"], m["tags"]) for m in listed] == [
            ("served", [{"key": "a", "value": "b"}])
        ]
        assert_one_line_error(reg(url, "models", "describe", "nobody"), "not found")
        assert_one_line_error(reg(url, "versions", "transition", "served", "1", "x"))
