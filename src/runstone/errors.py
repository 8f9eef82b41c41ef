"""The one exception tree of Runstone.

Every error a caller can act on is a :class:`RunstoneError`. Each class carries the MLflow
``error_code`` it is known by on the wire and the HTTP status the server answers with, so the
server, the REST client and the CLI translate errors in exactly one place each.
"""

from __future__ import annotations

from typing import ClassVar

# MLflow's ErrorCode names mapped to HTTP statuses (anything unlisted is a 500).
HTTP_STATUS_BY_CODE: dict[str, int] = {
    "INVALID_PARAMETER_VALUE": 400,
    "BAD_REQUEST": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "CUSTOMER_UNAUTHORIZED": 401,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "NOT_FOUND": 404,
    "ABORTED": 409,
    "RESOURCE_CONFLICT": 409,
    "ALREADY_EXISTS": 409,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL_ERROR": 500,
    "INVALID_STATE": 500,
    "DATA_LOSS": 500,
    "MALFORMED_REQUEST": 500,
    "NOT_IMPLEMENTED": 501,
    "TEMPORARILY_UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


def http_status_for(error_code: str) -> int:
    """The HTTP status MLflow answers with for ``error_code`` (500 when unknown)."""
    return HTTP_STATUS_BY_CODE.get(error_code, 500)


class RunstoneError(Exception):
    """Base of every error Runstone raises on purpose."""

    code: ClassVar[str] = "INTERNAL_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def http_status(self) -> int:
        return http_status_for(self.code)

    def to_dict(self) -> dict[str, str]:
        """The MLflow error body: ``{"error_code": ..., "message": ...}``."""
        return {"error_code": self.code, "message": self.message}


class InvalidParameterValue(RunstoneError):
    """A request names a bad value: wrong type, too long, bad characters, bad syntax."""

    code = "INVALID_PARAMETER_VALUE"


class BadRequest(RunstoneError):
    code = "BAD_REQUEST"


class NotFound(RunstoneError):
    """The experiment, run, tag or model named does not exist."""

    code = "RESOURCE_DOES_NOT_EXIST"


class AlreadyExists(RunstoneError):
    """A name is taken (MLflow answers 400 for this, not 409)."""

    code = "RESOURCE_ALREADY_EXISTS"


class InvalidState(RunstoneError):
    """The store is not in a state to serve the request (e.g. an outdated schema)."""

    code = "INVALID_STATE"


class PermissionDenied(RunstoneError):
    code = "PERMISSION_DENIED"


class Unauthenticated(RunstoneError):
    code = "UNAUTHENTICATED"


class TemporarilyUnavailable(RunstoneError):
    code = "TEMPORARILY_UNAVAILABLE"


class NotImplementedFeature(RunstoneError):
    code = "NOT_IMPLEMENTED"


class InternalError(RunstoneError):
    code = "INTERNAL_ERROR"


class DataLoss(RunstoneError):
    """Data arrived different from what was sent or stored (a checksum did not match)."""

    code = "DATA_LOSS"


_CLASS_BY_CODE: dict[str, type[RunstoneError]] = {
    cls.code: cls
    for cls in (
        InvalidParameterValue,
        BadRequest,
        NotFound,
        AlreadyExists,
        InvalidState,
        PermissionDenied,
        Unauthenticated,
        TemporarilyUnavailable,
        NotImplementedFeature,
        InternalError,
        DataLoss,
    )
}


def error_from_code(error_code: str, message: str) -> RunstoneError:
    """Rebuild the error a server reported, as the same class a local store would raise."""
    cls = _CLASS_BY_CODE.get(error_code)
    if cls is not None:
        return cls(message)
    err = RunstoneError(message)
    err.code = error_code  # type: ignore[misc]
    return err
