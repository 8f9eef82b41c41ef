"""Running the server: prepare the store once, then serve with one or several processes."""

from __future__ import annotations

import os

import uvicorn

from runstone.config import ServerSettings
from runstone.server.app import create_app
from runstone.server.context import open_store

SETTINGS_VARIABLE = "RUNSTONE_SERVER_SETTINGS"


def prepare_store(settings: ServerSettings) -> None:
    """Open the backend store once before serving: a new SQLite store is migrated (under a
    lock) here, and an outdated shared database stops the start with a clear message."""
    open_store(settings).close()


def run(settings: ServerSettings) -> None:
    """Serve until interrupted. One worker runs in this process; more run as child processes,
    each building its app from the settings passed down in the environment."""
    prepare_store(settings)
    common = {
        "host": settings.host,
        "port": settings.port,
        "log_level": "info",
        "access_log": False,
        "timeout_keep_alive": 30,
    }
    if settings.workers <= 1:
        uvicorn.run(create_app(settings), **common)  # type: ignore[arg-type]
        return
    os.environ[SETTINGS_VARIABLE] = settings.to_json()
    uvicorn.run(
        "runstone.server.app:create_app_from_env",
        factory=True,
        workers=settings.workers,
        **common,  # type: ignore[arg-type]
    )
