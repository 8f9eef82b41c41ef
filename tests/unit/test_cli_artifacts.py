"""``runstone artifacts``: log, list and download against a local store (a folder) and against a
live server, whose runs keep their artifacts behind its proxy (``mlflow-artifacts:/``)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from runstone import RunstoneClient
from runstone.cli.artifacts import human_size
from runstone.testing import serve
from tests.cli_helpers import Outcome, assert_one_line_error, invoke

MISSING_RUN = "0123456789abcdef0123456789abcdef"


class Setup(NamedTuple):
    uri: str
    client: RunstoneClient
    run_id: str
    work: Path  # a scratch folder for local files


@pytest.fixture(params=["local", "server"])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    store = tmp_path / "store"
    work = tmp_path / "work"
    work.mkdir()
    if request.param == "local":
        yield from _setup(str(store), work)
    else:
        with serve(store) as url:
            yield from _setup(url, work)


def _setup(uri: str, work: Path) -> Iterator[Setup]:
    client = RunstoneClient(uri)
    exp_id = client.create_experiment("artifacts")
    run_id = client.create_run(exp_id).info.run_id
    yield Setup(uri, client, run_id, work)
    client.close()


def artifacts(s: Setup, *args: str) -> Outcome:
    return invoke("artifacts", *args, "--tracking-uri", s.uri)


def ok(s: Setup, *args: str) -> str:
    outcome = artifacts(s, *args)
    assert outcome.exit_code == 0, outcome
    assert outcome.stderr == ""  # no spinner when stderr is not a terminal
    return outcome.stdout


def ok_json(s: Setup, *args: str) -> Any:
    return json.loads(ok(s, *args, "--json"))


def make_tree(root: Path) -> dict[str, bytes]:
    """A folder with nested files (a name with a space and Unicode too); its files' contents."""
    files = {
        "a.txt": b"alpha",
        "sub/b.bin": bytes(range(256)) * 40,
        "sub/deeper/ünï côdé.txt": "ünï".encode(),
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# -- log -------------------------------------------------------------------------------------


def test_log_file(setup: Setup) -> None:
    local = setup.work / "model.pkl"
    local.write_bytes(b"x" * 1500)
    out = ok(setup, "log", "--run-id", setup.run_id, str(local))
    assert out == f"Logged 1 file (1.5 kB) to run {setup.run_id}.\n"
    assert setup.client.artifact_repo(setup.run_id).read_bytes("model.pkl") == b"x" * 1500


def test_log_file_under_artifact_path(setup: Setup) -> None:
    local = setup.work / "plot.png"
    local.write_bytes(b"png")
    out = ok(setup, "log", "--run-id", setup.run_id, str(local), "--artifact-path", "figs/a")
    assert out == f"Logged 1 file (3 B) to run {setup.run_id} under 'figs/a'.\n"
    assert setup.client.artifact_repo(setup.run_id).read_bytes("figs/a/plot.png") == b"png"


def test_log_folder_uploads_its_contents(setup: Setup) -> None:
    files = make_tree(setup.work / "out")
    out = ok(
        setup, "log", "--run-id", setup.run_id, str(setup.work / "out"), "--artifact-path", "m"
    )
    size = sum(len(v) for v in files.values())
    assert out == f"Logged 3 files ({human_size(size)}) to run {setup.run_id} under 'm'.\n"
    repo = setup.client.artifact_repo(setup.run_id)
    for rel, data in files.items():
        assert repo.read_bytes(f"m/{rel}") == data


def test_log_json_prints_mlflows_empty_reply(setup: Setup) -> None:
    local = setup.work / "f.txt"
    local.write_text("hi")
    assert ok_json(setup, "log", "--run-id", setup.run_id, str(local)) == {}


def test_log_missing_local_path_is_one_line(setup: Setup) -> None:
    outcome = artifacts(setup, "log", "--run-id", setup.run_id, str(setup.work / "nope.txt"))
    assert_one_line_error(outcome, "nope.txt", "does not exist")


def test_log_to_unknown_run_is_one_line(setup: Setup) -> None:
    local = setup.work / "f.txt"
    local.write_text("hi")
    outcome = artifacts(setup, "log", "--run-id", MISSING_RUN, str(local))
    assert_one_line_error(outcome, MISSING_RUN)


@pytest.mark.parametrize("bad", ["../escape", "/etc", "a/../../b"])
def test_log_refuses_paths_outside_the_run(setup: Setup, bad: str) -> None:
    local = setup.work / "f.txt"
    local.write_text("hi")
    outcome = artifacts(setup, "log", "--run-id", setup.run_id, str(local), "--artifact-path", bad)
    assert_one_line_error(outcome)
    assert not (setup.work.parent / "escape").exists()


# -- list ------------------------------------------------------------------------------------


def test_list_table(setup: Setup) -> None:
    make_tree(setup.work / "out")
    setup.client.log_artifacts(setup.run_id, setup.work / "out")
    lines = ok(setup, "list", "--run-id", setup.run_id).splitlines()
    assert lines[0] == f"Artifacts of run {setup.run_id}:"
    assert lines[1].split() == ["Path", "Is", "dir", "Size"]
    rows = [line.split() for line in lines[3:]]
    assert rows == [["a.txt", "no", "5"], ["sub", "yes"]]


def test_list_under_a_folder(setup: Setup) -> None:
    make_tree(setup.work / "out")
    setup.client.log_artifacts(setup.run_id, setup.work / "out")
    lines = ok(setup, "list", "--run-id", setup.run_id, "--artifact-path", "sub").splitlines()
    assert lines[0] == f"Artifacts of run {setup.run_id} under 'sub':"
    assert [line.split() for line in lines[3:]] == [
        ["sub/b.bin", "no", "10240"],
        ["sub/deeper", "yes"],
    ]


def test_list_empty(setup: Setup) -> None:
    assert ok(setup, "list", "--run-id", setup.run_id) == f"Artifacts of run {setup.run_id}: none\n"


def test_list_json_has_mlflows_shape(setup: Setup) -> None:
    make_tree(setup.work / "out")
    setup.client.log_artifacts(setup.run_id, setup.work / "out")
    got = ok_json(setup, "list", "--run-id", setup.run_id, "--artifact-path", "sub/deeper")
    assert got == {
        "root_uri": setup.client.get_run(setup.run_id).info.artifact_uri,
        "files": [{"path": "sub/deeper/ünï côdé.txt", "is_dir": False, "file_size": 5}],
    }
    top = ok_json(setup, "list", "--run-id", setup.run_id)["files"]
    assert top == [
        {"path": "a.txt", "is_dir": False, "file_size": 5},
        {"path": "sub", "is_dir": True},
    ]


def test_list_unknown_run_is_one_line(setup: Setup) -> None:
    assert_one_line_error(artifacts(setup, "list", "--run-id", MISSING_RUN), MISSING_RUN)


def test_list_traversal_is_one_line(setup: Setup) -> None:
    outcome = artifacts(setup, "list", "--run-id", setup.run_id, "--artifact-path", "../..")
    assert_one_line_error(outcome)


# -- download --------------------------------------------------------------------------------


def test_download_everything(setup: Setup) -> None:
    files = make_tree(setup.work / "out")
    setup.client.log_artifacts(setup.run_id, setup.work / "out")
    dst = setup.work / "dst"
    out = ok(setup, "download", "--run-id", setup.run_id, "--dst-path", str(dst))
    assert out == f"{dst}\n"
    assert read_tree(dst) == files


def test_download_a_file(setup: Setup) -> None:
    files = make_tree(setup.work / "out")
    setup.client.log_artifacts(setup.run_id, setup.work / "out")
    dst = setup.work / "dst"
    path = "sub/deeper/ünï côdé.txt"
    out = ok(
        setup, "download", "--run-id", setup.run_id, "--artifact-path", path, "--dst-path", str(dst)
    )
    local = Path(out.rstrip("\n"))
    assert local == dst / "sub" / "deeper" / "ünï côdé.txt"
    assert local.read_bytes() == files[path]


def test_download_a_folder_to_a_temporary_folder(setup: Setup) -> None:
    files = make_tree(setup.work / "out")
    setup.client.log_artifacts(setup.run_id, setup.work / "out")
    got = ok_json(setup, "download", "--run-id", setup.run_id, "--artifact-path", "sub")
    local = Path(got["local_path"])
    assert local.name == "sub"
    assert local.is_dir()
    assert read_tree(local) == {k[4:]: v for k, v in files.items() if k.startswith("sub/")}


def test_round_trip_through_the_cli(setup: Setup) -> None:
    data = os.urandom(3 * 2**20)  # several chunks of the proxy's transfers
    (setup.work / "big.bin").write_bytes(data)
    ok(setup, "log", "--run-id", setup.run_id, str(setup.work / "big.bin"), "--artifact-path", "d")
    listed = ok_json(setup, "list", "--run-id", setup.run_id, "--artifact-path", "d")["files"]
    assert listed == [{"path": "d/big.bin", "is_dir": False, "file_size": len(data)}]
    out = ok(
        setup,
        "download",
        "--run-id",
        setup.run_id,
        "--artifact-path",
        "d/big.bin",
        "--dst-path",
        str(setup.work / "back"),
    )
    assert Path(out.strip()).read_bytes() == data


def test_download_missing_artifact_is_one_line(setup: Setup) -> None:
    outcome = artifacts(
        setup,
        "download",
        "--run-id",
        setup.run_id,
        "--artifact-path",
        "nope.txt",
        "--dst-path",
        str(setup.work / "dst"),
    )
    assert_one_line_error(outcome, "nope.txt")


def test_download_unknown_run_is_one_line(setup: Setup) -> None:
    assert_one_line_error(artifacts(setup, "download", "--run-id", MISSING_RUN), MISSING_RUN)


@pytest.mark.parametrize(
    ("n", "shown"),
    [(0, "0 B"), (999, "999 B"), (1500, "1.5 kB"), (2_000_000, "2.0 MB"), (10**9, "1.0 GB")],
)
def test_human_size(n: int, shown: str) -> None:
    assert human_size(n) == shown


def test_help_lists_artifacts() -> None:
    outcome = invoke("--help")
    assert outcome.exit_code == 0
    assert "artifacts" in outcome.stdout
    sub = invoke("artifacts", "--help")
    assert sub.exit_code == 0
    for command in ("download", "list", "log"):
        assert command in sub.stdout
