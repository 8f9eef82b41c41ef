"""Temporary files that a killed writer left in a local artifact root are removed at server start
once they are old enough; younger ones (uploads in progress anywhere) and artifacts stay."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from runstone.artifacts import TEMP_PREFIX, ArtifactRepo
from runstone.cli.main import main
from runstone.testing import serve

HOUR = 3600.0


def _plant(path: Path, age_s: float, content: bytes = b"partial") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def test_only_temporary_files_older_than_the_threshold_are_removed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    old = _plant(root / "1" / "run" / "artifacts" / f"{TEMP_PREFIX}0123abcd", 25 * HOUR)
    old_top = _plant(root / f"{TEMP_PREFIX}feedbeef", 48 * HOUR)
    young = _plant(root / "1" / "run" / "artifacts" / f"{TEMP_PREFIX}99999999", 23 * HOUR)
    artifact = _plant(root / "1" / "run" / "artifacts" / "model.bin", 100 * HOUR)
    lookalike = _plant(root / "notes" / "rs-tmp-but-not-hidden", 100 * HOUR)
    folder = root / f"{TEMP_PREFIX}folder"  # only files are swept
    folder.mkdir()
    outside = _plant(tmp_path / f"{TEMP_PREFIX}outside", 100 * HOUR)
    link = root / f"{TEMP_PREFIX}link"
    link.symlink_to(outside)

    removed = ArtifactRepo.from_uri(str(root)).sweep_temp_files(24 * HOUR)

    assert sorted(removed) == sorted([str(old), str(old_top)])
    assert not old.exists()
    assert not old_top.exists()
    for kept in (young, artifact, lookalike, folder, outside):
        assert kept.exists()
    assert link.is_symlink()  # a link is neither followed nor removed


def test_a_remote_root_is_not_swept() -> None:
    assert ArtifactRepo.from_uri("memory://swept/root").sweep_temp_files(0) == []


def test_the_server_sweeps_its_artifact_root_at_start_without_touching_young_files(
    tmp_path: Path,
) -> None:
    destination = tmp_path / "artifacts"
    folder = destination / "1" / "abc" / "artifacts"
    stale = _plant(folder / f"{TEMP_PREFIX}00000000", 2 * HOUR)
    in_progress = _plant(folder / f"{TEMP_PREFIX}11111111", 0.5 * HOUR)
    finished = _plant(folder / "weights.bin", 2 * HOUR)
    with serve(
        tmp_path / "store", artifacts_destination=str(destination), artifact_temp_max_age_hours=1
    ) as url:
        assert httpx.get(f"{url}/health", timeout=30).status_code == 200  # start did not wait
        deadline = time.monotonic() + 30
        while stale.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    assert not stale.exists()
    assert in_progress.read_bytes() == b"partial"
    assert finished.exists()


def test_a_threshold_of_zero_turns_the_sweep_off(tmp_path: Path) -> None:
    destination = tmp_path / "artifacts"
    stale = _plant(destination / f"{TEMP_PREFIX}00000000", 1000 * HOUR)
    with serve(
        tmp_path / "store", artifacts_destination=str(destination), artifact_temp_max_age_hours=0
    ) as url:
        assert httpx.get(f"{url}/health", timeout=30).status_code == 200
        time.sleep(0.5)
    assert stale.exists()


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf"])
def test_the_cli_refuses_a_threshold_that_is_not_a_number_of_hours(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNSTONE_ARTIFACT_TEMP_MAX_AGE_HOURS", value)
    with pytest.raises(SystemExit) as exited:
        main(["server", "--backend-store-uri", str(tmp_path / "never-made")])
    assert exited.value.code == 2
    assert "--artifact-temp-max-age-hours" in capsys.readouterr().err
    assert not (tmp_path / "never-made").exists()
