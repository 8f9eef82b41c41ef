"""The ``Idempotency-Key`` request header of creates (runs/create, experiments/create)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from runstone.errors import InvalidParameterValue

HEADER = "idempotency-key"
_VALID = re.compile(r"^[A-Za-z0-9_\-.:]{8,128}$")


def idempotency_key(headers: Mapping[str, str]) -> str | None:
    """The request's key, checked: 8 to 128 letters, digits and ``_-.:``; None when absent."""
    key = headers.get(HEADER)
    if key is None:
        return None
    if not _VALID.match(key):
        raise InvalidParameterValue(
            "The Idempotency-Key header must be 8 to 128 characters of letters, digits, "
            "'_', '-', '.' and ':'."
        )
    return key
