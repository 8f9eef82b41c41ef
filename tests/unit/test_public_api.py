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
