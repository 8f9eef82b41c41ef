"""Runstone: tracking, projects, models and registry for machine learning, MLflow-compatible."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from runstone.errors import RunstoneError

try:
    __version__ = version("runstone")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

__all__ = ["RunstoneError", "__version__"]
