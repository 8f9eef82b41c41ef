"""``runstone experiments``: every command against a real SQLite store, tables and JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runstone import RunstoneClient
from runstone.cli import output
from runstone.client import paging
from tests.cli_helpers import Outcome, assert_one_line_error, invoke, local

EXPERIMENT_FIELDS = {"experiment_id", "name", "artifact_location", "lifecycle_stage", "tags"} | {
    "creation_time",
    "last_update_time",
}


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def client(uri: str) -> Iterator[RunstoneClient]:
    c = RunstoneClient(uri)
    yield c
    c.close()


def exp(uri: str, *args: str) -> Outcome:
    return invoke("experiments", *args, "--tracking-uri", uri)


def exp_json(uri: str, *args: str) -> Any:
    outcome = exp(uri, *args, "--json")
    assert outcome.exit_code == 0, outcome
    return json.loads(outcome.stdout)


# -- create ----------------------------------------------------------------------------------


def test_create_prints_the_new_id_or_json(uri: str, client: RunstoneClient) -> None:
    outcome = exp(uri, "create", "-n", "first")
    assert outcome.exit_code == 0, outcome
    assert client.get_experiment(outcome.stdout.strip()).name == "first"
    created = exp_json(uri, "create", "--experiment-name", "a", "-l", "s3://bucket/a")
    assert list(created) == ["experiment_id"]
    assert client.get_experiment(created["experiment_id"]).artifact_location == "s3://bucket/a"


# -- list / search ---------------------------------------------------------------------------


def test_list_table_shows_every_experiment(uri: str, client: RunstoneClient) -> None:
    client.create_experiment("alpha")
    client.create_experiment("beta", artifact_location="/tmp/beta")
    outcome = exp(uri, "list", "--order-by", "name DESC")
    assert outcome.exit_code == 0, outcome
    lines = outcome.stdout.splitlines()
    assert lines[0].split() == [
        *("Experiment", "ID", "Name", "Stage", "Creation", "time"),
        *("Last", "update", "time", "Artifact", "location"),
    ]
    assert set(lines[1]) == {"─"}
    names = [line.split()[1] for line in lines[2:]]
    assert names == ["beta", "alpha", "Default"]
    beta = client.get_experiment_by_name("beta")
    assert beta is not None
    assert local(beta.creation_time) in lines[2]
    assert "/tmp/beta" in lines[2]


def test_list_json_uses_mlflow_field_names(uri: str, client: RunstoneClient) -> None:
    exp_id = client.create_experiment("tagged", tags={"team": "vision", "a": "1"})
    found = exp_json(uri, "list")
    assert sorted(e["name"] for e in found) == ["Default", "tagged"]
    first = next(e for e in found if e["name"] == "tagged")
    assert set(first) == EXPERIMENT_FIELDS
    assert first["experiment_id"] == exp_id
    assert first["lifecycle_stage"] == "active"
    assert all(isinstance(first[k], int) for k in ("creation_time", "last_update_time"))
    assert first["tags"] == [{"key": "a", "value": "1"}, {"key": "team", "value": "vision"}]


def test_search_is_an_alias_of_list(uri: str, client: RunstoneClient) -> None:
    client.create_experiment("x")
    assert exp(uri, "search").stdout == exp(uri, "list").stdout


def test_list_views(uri: str, client: RunstoneClient) -> None:
    gone = client.create_experiment("gone")
    client.create_experiment("kept")
    client.delete_experiment(gone)
    active = {e["name"] for e in exp_json(uri, "list")}
    deleted = {e["name"] for e in exp_json(uri, "list", "-v", "deleted_only")}
    every = {e["name"] for e in exp_json(uri, "list", "--view", "ALL")}
    assert (active, deleted, every) == ({"kept", "Default"}, {"gone"}, {"gone", "kept", "Default"})


def test_list_filter_and_order_by(uri: str, client: RunstoneClient) -> None:
    for name in ("apple", "avocado", "banana"):
        client.create_experiment(name)
    found = exp_json(uri, "list", "--filter", "name LIKE 'a%'", "--order-by", "name ASC")
    assert [e["name"] for e in found] == ["apple", "avocado"]


def test_list_pages_through_everything_unless_capped(
    uri: str, client: RunstoneClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    for i in range(5):
        client.create_experiment(f"e{i}")
    assert len(exp_json(uri, "list")) == 6
    capped = exp_json(uri, "list", "--max-results", "3", "--order-by", "name ASC")
    assert [e["name"] for e in capped] == ["Default", "e0", "e1"]


def test_list_reads_the_tracking_uri_from_the_environment(
    uri: str, client: RunstoneClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.create_experiment("from-env")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    outcome = invoke("experiments", "list", "--json")
    assert outcome.exit_code == 0, outcome
    assert "from-env" in [e["name"] for e in json.loads(outcome.stdout)]


# -- get -------------------------------------------------------------------------------------


def test_get_by_id_table(uri: str, client: RunstoneClient) -> None:
    exp_id = client.create_experiment("shown", tags={"note": "[bold]literal[/bold]"})
    outcome = exp(uri, "get", "-x", exp_id)
    assert outcome.exit_code == 0, outcome
    experiment = client.get_experiment(exp_id)
    for expected in ("Experiment ID", "shown", experiment.artifact_location, "Tags:"):
        assert expected in outcome.stdout
    assert local(experiment.creation_time) in outcome.stdout
    assert "[bold]literal[/bold]" in outcome.stdout  # user text is never read as rich markup


def test_get_by_name_json(uri: str, client: RunstoneClient) -> None:
    exp_id = client.create_experiment("named")
    got = exp_json(uri, "get", "--experiment-name", "named")
    assert set(got) == EXPERIMENT_FIELDS
    assert (got["experiment_id"], got["name"], got["tags"]) == (exp_id, "named", [])


def test_get_ellipsises_long_values_in_tables_only(uri: str, client: RunstoneClient) -> None:
    long_value = "v" * 300
    exp_id = client.create_experiment("long", tags={"long": long_value})
    table = exp(uri, "get", "-x", exp_id).stdout
    assert long_value not in table
    assert "v" * (output.MAX_CELL - 1) + "…" in table
    assert exp_json(uri, "get", "-x", exp_id)["tags"] == [{"key": "long", "value": long_value}]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("get",), "Error: Give either -x/--experiment-id or -n/--experiment-name."),
        (("get", "-x", "0", "-n", "Default"), "Error: Give either -x/--experiment-id or -n/"),
        (("list", "--max-results", "0"), "Error: Invalid value for '--max-results'"),
    ],
)
def test_usage_errors_are_clicks(uri: str, args: tuple[str, ...], message: str) -> None:
    outcome = exp(uri, *args)
    assert outcome.exit_code == 2  # click's usage errors: usage line, hint, then the error
    assert outcome.stderr.splitlines()[-1].startswith(message)


def test_get_unknown_from_a_subprocess_has_no_traceback(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'sub.db'}"
    args = ("experiments", "get", "-x", "999", "--tracking-uri", uri)
    proc = subprocess.run(
        [sys.executable, "-m", "runstone", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == "Error: No Experiment with id=999 exists.\n"


# -- rename / delete / restore ---------------------------------------------------------------


def test_rename(uri: str, client: RunstoneClient) -> None:
    exp_id = client.create_experiment("old")
    outcome = exp(uri, "rename", "-x", exp_id, "--new-name", "new")
    assert (outcome.exit_code, outcome.stdout) == (0, f"Experiment {exp_id} renamed to 'new'.\n")
    assert client.get_experiment(exp_id).name == "new"
    assert exp_json(uri, "rename", "--experiment-id", exp_id, "--new-name", "newer") == {}
    assert client.get_experiment(exp_id).name == "newer"


def test_delete_then_restore(uri: str, client: RunstoneClient) -> None:
    exp_id = client.create_experiment("doomed")
    deleted = exp(uri, "delete", "-x", exp_id)
    assert (deleted.exit_code, deleted.stdout) == (0, f"Experiment {exp_id} deleted.\n")
    assert exp_json(uri, "get", "-x", exp_id)["lifecycle_stage"] == "deleted"
    restored = exp(uri, "restore", "-x", exp_id)
    assert (restored.exit_code, restored.stdout) == (0, f"Experiment {exp_id} restored.\n")
    assert exp_json(uri, "get", "-x", exp_id)["lifecycle_stage"] == "active"
    assert exp_json(uri, "delete", "--experiment-id", exp_id) == {}
    assert exp_json(uri, "restore", "--experiment-id", exp_id) == {}


# -- bad input: one line on stderr, exit code 1 -------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("create", "-n", "taken"), "taken"),
        (("list", "--filter", "name =="), "Invalid filter"),
        (("list", "--order-by", "colour ASC"), "colour"),
        (
            ("list", "-v", "archived"),
            "Invalid view 'archived': use active_only, deleted_only or all.",
        ),
        (("get", "-x", "999"), "No Experiment with id=999 exists."),
        (("get", "-x", "abc"), "'abc'"),
        (("get", "-n", "missing"), "No experiment named 'missing'."),
        (("rename", "-x", "999", "--new-name", "x"), "999"),
        (("rename", "-x", "1", "--new-name", "Default"), "Default"),
        (("delete", "-x", "999"), "999"),
        (("restore", "-x", "999"), "999"),
        (("restore", "-x", "1"), "not deleted"),
    ],
)
def test_bad_input_is_one_line(
    uri: str, client: RunstoneClient, args: tuple[str, ...], fragment: str
) -> None:
    assert client.create_experiment("taken") == "1"
    assert_one_line_error(exp(uri, *args), fragment)


# -- the client's lifetime -------------------------------------------------------------------


def test_the_client_is_closed_on_success_and_on_error(
    uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[str] = []

    class Recording(RunstoneClient):
        def close(self) -> None:
            closed.append(self.tracking_uri)
            super().close()

    monkeypatch.setattr(output, "RunstoneClient", Recording)
    assert exp(uri, "list").exit_code == 0
    assert exp(uri, "get", "-x", "999").exit_code == 1
    assert closed == [uri, uri]
