"""WardenError: a call Warden (or the transport) refused.

The details Warden sends (google.rpc ErrorInfo, BadRequest,
PreconditionFailure, RetryInfo in the grpc-status-details-bin trailer) are
decoded here from the protobuf wire format, so that no googleapis package
is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import grpc

__all__ = [
    "WardenError",
    "FieldViolation",
    "InvalidArgument",
    "NotFound",
    "FailedPrecondition",
    "Unauthenticated",
    "PermissionDenied",
    "ResourceExhausted",
    "Unavailable",
    "DeadlineExceeded",
]


@dataclass(frozen=True)
class FieldViolation:
    """A problem with one request field."""

    field: str  # the field's path, such as "rows[1].values.author_id"
    description: str


class WardenError(Exception):
    """A refused call. A deny is never an error.

    ``code`` is the grpc.StatusCode; the subclasses (InvalidArgument,
    FailedPrecondition, Unauthenticated, ...) let callers catch one code.
    """

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(f"warden: {_name(code)}: {message}")
        self.code = code
        self.message = message
        #: The ErrorInfo reason, such as MISSING_SESSION_VARIABLES.
        self.reason = ""
        #: The ErrorInfo metadata.
        self.metadata: dict[str, str] = {}
        #: BadRequest field violations (InvalidArgument).
        self.fields: list[FieldViolation] = []
        #: Session variables the rule needs and the session lacks.
        self.missing_variables: list[str] = []
        #: Seconds the server asks the caller to wait (RetryInfo), or 0.
        self.retry_delay = 0.0

    @property
    def code_name(self) -> str:
        """The status code's name as gRPC spells it: "FailedPrecondition"."""
        return _name(self.code)

    @classmethod
    def from_rpc_error(cls, err: grpc.RpcError) -> "WardenError":
        code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
        message = err.details() if hasattr(err, "details") else str(err)
        e = _by_code.get(code, WardenError)(code, message or "")
        trailers = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None
        for key, value in trailers or ():
            if key == "grpc-status-details-bin" and isinstance(value, bytes):
                try:
                    _decode_status(e, value)
                except ValueError:
                    pass  # a detail that does not decode is left out
        return e


class InvalidArgument(WardenError):
    """A malformed request (see ``fields``), or a session value that does not parse."""


class NotFound(WardenError):
    """An unknown table."""


class FailedPrecondition(WardenError):
    """The rule reads session variables the session lacks (``missing_variables``)."""


class Unauthenticated(WardenError):
    """No caller credentials, unknown ones, or an end-user token that does not verify."""


class PermissionDenied(WardenError):
    """The caller lacks the grant for the call."""


class ResourceExhausted(WardenError):
    """Too many rows, or the caller's rate limit (``retry_delay``)."""


class Unavailable(WardenError):
    """The server could not be reached, after retries."""


class DeadlineExceeded(WardenError):
    """The call's deadline passed."""


_by_code = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
}


def _name(code: grpc.StatusCode) -> str:
    return "".join(part.capitalize() for part in code.name.split("_"))


def _decode_status(e: WardenError, status: bytes) -> None:
    """Reads google.rpc.Status: details (3) are google.protobuf.Any."""
    for no, value in _fields(status):
        if no != 3 or not isinstance(value, bytes):
            continue
        any_ = dict(_fields(value))
        type_url = any_.get(1, b"").decode()
        _decode_detail(e, type_url.rsplit("/", 1)[-1], any_.get(2, b""))


def _decode_detail(e: WardenError, type_name: str, value: bytes) -> None:
    if type_name == "google.rpc.ErrorInfo":
        for no, v in _fields(value):
            if no == 1:
                e.reason = v.decode()
            elif no == 3:
                entry = dict(_fields(v))
                e.metadata[entry.get(1, b"").decode()] = entry.get(2, b"").decode()
    elif type_name == "google.rpc.BadRequest":
        for no, v in _fields(value):
            if no == 1:
                fv = dict(_fields(v))
                e.fields.append(FieldViolation(fv.get(1, b"").decode(), fv.get(2, b"").decode()))
    elif type_name == "google.rpc.PreconditionFailure":
        for no, v in _fields(value):
            if no == 1:
                pv = dict(_fields(v))
                if pv.get(1, b"") == b"SESSION_VARIABLE":
                    e.missing_variables.append(pv.get(2, b"").decode())
    elif type_name == "google.rpc.RetryInfo":
        for no, v in _fields(value):
            if no == 1:
                d = dict(_fields(v))
                e.retry_delay = d.get(1, 0) + d.get(2, 0) / 1e9


def _fields(buf: bytes) -> Iterator[tuple[int, bytes | int]]:
    """The fields of a protobuf message: length-delimited as bytes, varints as int."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        no, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(buf, i)
            yield no, v
        elif wire == 2:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                raise ValueError("truncated field")
            yield no, buf[i : i + n]
            i += n
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"wire type {wire}")


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ValueError("bad varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
