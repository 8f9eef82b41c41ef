from __future__ import annotations

from pathlib import Path

import pytest

from runstone.config import ClientSettings, StoreSettings, env_flag, env_value


def test_runstone_names_win_over_mlflow_names() -> None:
    env = {"RUNSTONE_TRACKING_URI": "sqlite:///a.db", "MLFLOW_TRACKING_URI": "sqlite:///b.db"}
    assert env_value("TRACKING_URI", env) == "sqlite:///a.db"
    assert env_value("TRACKING_URI", {"MLFLOW_TRACKING_URI": "x"}) == "x"
    assert env_value("TRACKING_URI", {"RUNSTONE_TRACKING_URI": ""}) is None


def test_client_default_is_the_local_folder(tmp_path: Path) -> None:
    assert ClientSettings.from_env({}, cwd=tmp_path).tracking_uri == str(tmp_path / "runstone")


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("0", False), ("Off", False), ("YES", True)]
)
def test_flags_parse(raw: str, expected: bool) -> None:
    assert env_flag("X", not expected, {"RUNSTONE_X": raw}) is expected


def test_bad_flag_is_an_error() -> None:
    with pytest.raises(ValueError, match="true or false"):
        env_flag("X", True, {"MLFLOW_X": "maybe"})


def test_store_settings_read_truncation_switch() -> None:
    assert StoreSettings.from_env({}).truncate_long_values is True
    assert (
        StoreSettings.from_env({"MLFLOW_TRUNCATE_LONG_VALUES": "false"}).truncate_long_values
        is False
    )
