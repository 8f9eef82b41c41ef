"""Helpers for tests of code that talks to a tracking server.

``serve()`` runs a real Runstone server (uvicorn, real HTTP on a loopback port) in a thread of
the current process, over the store you name, and stops it afterwards::

    from runstone.testing import serve

    with serve(tmp_path / "store") as url:
        client = runstone.RunstoneClient(tracking_uri=url)
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import uvicorn

from runstone.config import ServerSettings
from runstone.server import create_app


@contextmanager
def serve(backend_store_uri: str | os.PathLike[str], **options: Any) -> Iterator[str]:
    """A live server over ``backend_store_uri``; yields its URL (``http://127.0.0.1:PORT``).

    ``options`` are :class:`runstone.config.ServerSettings` fields, such as
    ``artifacts_destination`` or ``serve_artifacts``.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = replace(
        ServerSettings(backend_store_uri=os.fspath(backend_store_uri)), port=port, **options
    )
    config = uvicorn.Config(
        create_app(settings), log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="runstone-test-server", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The test server did not start.")
            time.sleep(0.005)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
