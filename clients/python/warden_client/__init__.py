"""Python client of Warden, the policy decision point for Hasura v2
permission rules.

    from warden_client import Client, Principal

    with Client("127.0.0.1:7400", api_key=key, plaintext=True) as warden:
        alice = Principal(role="user", session={"x-hasura-user-id": "1", "x-hasura-org-id": "1"})
        res = warden.check_row(alice, "articles", "select", {"id": 2, "org_id": 1, "author_id": 1, "published": False})
        res.allowed

        f = warden.filter(alice, "articles", "select", dialect="postgres", table_alias="a")
        sql, params = f.where.psycopg()
        cur.execute("SELECT a.id, a.title FROM articles a WHERE " + sql, params)

A deny is a result; errors are WardenError subclasses, one per status code
(InvalidArgument, FailedPrecondition, Unauthenticated, ...).
"""

from .client import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_TIMEOUT,
    JSON_NULL,
    CheckResult,
    Client,
    ColumnCondition,
    Filter,
    Principal,
    Row,
    RowDecision,
    json_null_paths,
    to_struct,
)
from .errors import (
    DeadlineExceeded,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    WardenError,
)
from .sql import Fragment, renumber

__all__ = [
    "Client",
    "Principal",
    "Row",
    "RowDecision",
    "CheckResult",
    "Filter",
    "ColumnCondition",
    "Fragment",
    "renumber",
    "to_struct",
    "JSON_NULL",
    "json_null_paths",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_ATTEMPTS",
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
