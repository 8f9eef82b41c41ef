"""The tracking server: MLflow's REST API and artifact proxy over a SqlStore."""

from runstone.server.app import create_app

__all__ = ["create_app"]
