from __future__ import annotations

import pytest

from runstone.errors import InvalidParameterValue
from runstone.store.paging import decode_page_token, encode_page_token, next_token


def test_tokens_are_mlflow_style_base64_offsets() -> None:
    assert encode_page_token(1) == "eyJvZmZzZXQiOiAxfQ=="
    assert decode_page_token("eyJvZmZzZXQiOiAxfQ==") == 1
    assert decode_page_token(None) == 0


@pytest.mark.parametrize(
    "token", ["garbage!", "e30=", "eyJvZmZzZXQiOiAtMX0=", "eyJvZmZzZXQiOiAieCJ9"]
)
def test_bad_tokens_are_invalid(token: str) -> None:
    with pytest.raises(InvalidParameterValue, match="page token"):
        decode_page_token(token)


def test_next_token_only_when_more_rows_exist() -> None:
    assert next_token(0, 10, 10) is None
    assert decode_page_token(next_token(20, 10, 11)) == 30
