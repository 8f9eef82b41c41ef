"""Page tokens: opaque to clients; base64 of ``{"offset": N}`` as MLflow writes them."""

from __future__ import annotations

import base64
import binascii
import json

from runstone.errors import InvalidParameterValue


def encode_page_token(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_page_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.b64decode(token.encode(), validate=True))
        offset = data["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError) as exc:
        raise InvalidParameterValue(f"Invalid page token {token!r}.") from exc
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidParameterValue(f"Invalid page token {token!r}: bad offset.")
    return offset


def next_token(offset: int, page_size: int, fetched: int) -> str | None:
    """The token after a page read with ``LIMIT page_size + 1`` that returned ``fetched`` rows."""
    return encode_page_token(offset + page_size) if fetched > page_size else None
