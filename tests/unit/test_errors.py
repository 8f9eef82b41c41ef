from __future__ import annotations

import pytest

from runstone import errors


@pytest.mark.parametrize(
    ("cls", "code", "status"),
    [
        (errors.InvalidParameterValue, "INVALID_PARAMETER_VALUE", 400),
        (errors.BadRequest, "BAD_REQUEST", 400),
        (errors.AlreadyExists, "RESOURCE_ALREADY_EXISTS", 400),
        (errors.NotFound, "RESOURCE_DOES_NOT_EXIST", 404),
        (errors.PermissionDenied, "PERMISSION_DENIED", 403),
        (errors.Unauthenticated, "UNAUTHENTICATED", 401),
        (errors.InvalidState, "INVALID_STATE", 500),
        (errors.TemporarilyUnavailable, "TEMPORARILY_UNAVAILABLE", 503),
        (errors.NotImplementedFeature, "NOT_IMPLEMENTED", 501),
        (errors.InternalError, "INTERNAL_ERROR", 500),
    ],
)
def test_each_error_carries_mlflow_code_and_status(
    cls: type[errors.RunstoneError], code: str, status: int
) -> None:
    err = cls("boom")
    assert err.code == code
    assert err.http_status == status
    assert err.to_dict() == {"error_code": code, "message": "boom"}
    rebuilt = errors.error_from_code(code, "boom")
    assert type(rebuilt) is cls
    assert rebuilt.message == "boom"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("RESOURCE_CONFLICT", 409),
        ("REQUEST_LIMIT_EXCEEDED", 429),
        ("CANCELLED", 499),
        ("MALFORMED_REQUEST", 500),
        ("DEADLINE_EXCEEDED", 504),
        ("SOMETHING_NEW", 500),
    ],
)
def test_http_status_table_follows_mlflow(code: str, status: int) -> None:
    assert errors.http_status_for(code) == status


def test_unknown_codes_keep_their_code() -> None:
    err = errors.error_from_code("RESOURCE_CONFLICT", "x")
    assert err.code == "RESOURCE_CONFLICT"
    assert err.http_status == 409
