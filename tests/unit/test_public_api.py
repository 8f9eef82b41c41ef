from __future__ import annotations

import subprocess
import sys

import runstone


def test_all_is_sorted_and_complete() -> None:
    assert runstone.__all__ == sorted(runstone.__all__)
    for name in runstone.__all__:
        assert hasattr(runstone, name)


def test_import_is_light() -> None:
    code = (
        "import sys, runstone; heavy = [m for m in ('fastapi', 'sqlalchemy', 'pandas', 'torch', "
        "'numpy', 'alembic', 'psycopg', 'pymysql') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_registry_api_is_exported() -> None:
    from runstone import entities

    assert "register_model" in runstone.__all__
    assert hasattr(runstone.RunstoneClient, "transition_model_version_stage")
    for name in ("RegisteredModel", "ModelVersion", "ModelStage", "ModelVersionStatus"):
        assert name in entities.__all__


def test_import_loads_no_artifact_or_http_stack() -> None:
    """The registry verbs and URI resolution load fsspec and httpx only when used."""
    code = (
        "import sys, runstone; print(','.join(m for m in ('fsspec', 'httpx', 'rich', 'click') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
