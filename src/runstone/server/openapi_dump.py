"""The server's OpenAPI document as JSON, for the UI's generated TypeScript types.

``python -m runstone.server.openapi_dump [FILE]`` writes it to FILE (or stdout). The app is
built over a throwaway SQLite store in a temporary folder, so no user data is opened, and with
``--auth``, so that the users, permissions, tokens and sign-in routes are described too.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from runstone.config import ServerSettings
from runstone.server.app import create_app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of a server with default options and ``--auth``."""
    with tempfile.TemporaryDirectory(prefix="runstone-openapi-") as tmp:
        settings = ServerSettings(
            backend_store_uri=str(Path(tmp) / "store"),
            artifacts_destination=str(Path(tmp) / "artifacts"),
            auth=True,
        )
        app = create_app(settings)
        try:
            return app.openapi()
        finally:
            app.state.close()


def render() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
