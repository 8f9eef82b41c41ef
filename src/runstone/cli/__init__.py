"""The ``runstone`` command line: thin click commands over library functions."""

from __future__ import annotations

from runstone.cli.main import main

__all__ = ["main"]
