"""Client: Check and Filter over gRPC, with caller credentials, a default
deadline and retries on Unavailable."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import grpc
from google.protobuf import json_format, struct_pb2

from warden.v1 import authorization_pb2 as pb
from warden.v1 import authorization_pb2_grpc as pb_grpc

from .errors import WardenError
from .sql import Fragment

__all__ = [
    "Client",
    "Principal",
    "Row",
    "RowDecision",
    "CheckResult",
    "Filter",
    "ColumnCondition",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_ATTEMPTS",
]

#: Seconds a call may take unless the call says otherwise.
DEFAULT_TIMEOUT = 5.0
#: Attempts in all for a call failing with Unavailable.
DEFAULT_MAX_ATTEMPTS = 4

_OPERATIONS = {
    "select": pb.OPERATION_SELECT,
    "insert": pb.OPERATION_INSERT,
    "update": pb.OPERATION_UPDATE,
    "delete": pb.OPERATION_DELETE,
}
_DIALECTS = {"postgres": pb.SQL_DIALECT_POSTGRES, "mysql": pb.SQL_DIALECT_MYSQL, "sqlite": pb.SQL_DIALECT_SQLITE}
_DIALECT_NAMES = {v: k for k, v in _DIALECTS.items()}
_EFFECTS = {pb.DECISION_ALLOW: "allow", pb.DECISION_DENY: "deny", pb.DECISION_NEEDS_DATA: "needs_data"}
_KINDS = {
    pb.FILTER_KIND_ALWAYS_ALLOWED: "always_allowed",
    pb.FILTER_KIND_ALWAYS_DENIED: "always_denied",
    pb.FILTER_KIND_CONDITIONAL: "conditional",
}
_EXACT = 2**53


@dataclass
class Principal:
    """Who is asking: an end user's token, which Warden verifies, or a
    session stated by a caller with the trusted-session grant."""

    #: The end user's JWT, sent as ``authorization: Bearer <token>``.
    token: str = ""
    #: The requested role (x-hasura-role); with a token, empty for its default role.
    role: str = ""
    #: x-hasura-* session variables stated directly (trusted callers).
    session: Mapping[str, str] = field(default_factory=dict)
    #: Apply backend_only permissions (trusted callers).
    backend_only: bool = False


@dataclass
class Row:
    """One row to decide on; ``id`` defaults to its position ("0", "1", ...)."""

    values: Mapping[str, Any]
    id: str = ""
    #: For update: the row after the change.
    new_values: Optional[Mapping[str, Any]] = None


@dataclass
class RowDecision:
    id: str
    effect: str  # "allow", "deny" or "needs_data"
    reason: str
    allowed_columns: list[str]
    denied_columns: list[str]
    #: What a needs_data decision lacks: columns, paths in related rows
    #: ("author.org_id") or tables.
    missing_data: list[str]
    #: For needs_data: what remains of the filter once the data sent is known.
    residual: Optional[pb.Predicate] = None
    #: The same for the check (insert, update).
    check_residual: Optional[pb.Predicate] = None

    @property
    def allowed(self) -> bool:
        return self.effect == "allow"


@dataclass
class CheckResult:
    #: One per row, in request order.
    decisions: list[RowDecision]
    role: str
    #: Values (Hasura "set") to write on insert and update.
    presets: dict[str, Any]
    revision: str
    decision_id: str

    @property
    def allowed(self) -> bool:
        """Every row is allowed."""
        return bool(self.decisions) and all(d.allowed for d in self.decisions)

    def decision(self, row_id: str) -> Optional[RowDecision]:
        return next((d for d in self.decisions if d.id == row_id), None)


@dataclass
class ColumnCondition:
    column: str
    predicate: pb.Predicate
    #: "CASE WHEN <condition> THEN <column> END", with a dialect.
    sql: Optional[Fragment]


@dataclass
class Filter:
    kind: str  # "always_allowed", "always_denied" or "conditional"
    #: The row filter as SQL (with a dialect): AND it into the WHERE clause.
    where: Optional[Fragment]
    #: For update: the check on the row after the change, as SQL.
    check: Optional[Fragment]
    #: The row filter as a typed tree (warden.v1.Predicate).
    predicate: pb.Predicate
    #: For update: the check as a typed tree.
    check_predicate: Optional[pb.Predicate]
    #: Columns the role may read (select) or write (insert, update), sorted.
    columns: list[str]
    column_conditions: list[ColumnCondition]
    #: The role's row limit, or None.
    limit: Optional[int]
    allow_aggregations: bool
    presets: dict[str, Any]
    role: str
    reason: str
    revision: str
    decision_id: str
    #: The response as received.
    response: pb.FilterResponse


class Client:
    """A client of one Warden server; use it as a context manager or close it.

    ``target`` is "host:port" (any gRPC target). The channel is TLS with the
    system's roots unless ``credentials`` says otherwise or ``plaintext`` is
    set (a server on loopback, or a sidecar terminating TLS).
    """

    def __init__(
        self,
        target: str,
        *,
        api_key: str = "",
        bearer_token: str = "",
        timeout: Optional[float] = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        plaintext: bool = False,
        credentials: Optional[grpc.ChannelCredentials] = None,
        options: Sequence[tuple[str, Any]] = (),
    ):
        if not 1 <= max_attempts <= 5:
            raise ValueError(f"max_attempts {max_attempts}: want 1 to 5 (gRPC's cap)")
        opts = [("grpc.enable_retries", int(max_attempts > 1)), ("grpc.service_config", _service_config(max_attempts))]
        opts += list(options)
        if plaintext:
            channel = grpc.insecure_channel(target, options=opts)
        else:
            channel = grpc.secure_channel(target, credentials or grpc.ssl_channel_credentials(), options=opts)
        self._init(channel, api_key, bearer_token, timeout, owned=True)

    @classmethod
    def from_channel(
        cls, channel: grpc.Channel, *, api_key: str = "", bearer_token: str = "", timeout: Optional[float] = DEFAULT_TIMEOUT
    ) -> "Client":
        """A client on a channel the caller owns (and closes); retries are the channel's."""
        c = cls.__new__(cls)
        c._init(channel, api_key, bearer_token, timeout, owned=False)
        return c

    def _init(self, channel: grpc.Channel, api_key: str, bearer_token: str, timeout: Optional[float], owned: bool) -> None:
        self._channel, self._owned = channel, owned
        self._api_key, self._bearer_token, self._timeout = api_key, bearer_token, timeout
        #: The generated stub, for what this class does not wrap.
        self.api = pb_grpc.AuthorizationServiceStub(channel)

    def close(self) -> None:
        """Closes the channel the client made (not one passed to from_channel)."""
        if self._owned:
            self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def check_row(self, principal: Principal, table: str, operation: str, values: Mapping[str, Any]) -> CheckResult:
        """Decides on one row; the result has one decision."""
        return self.check(principal, table, operation, [Row(values)])

    def check(
        self,
        principal: Principal,
        table: str,
        operation: str,
        rows: Iterable[Union[Row, Mapping[str, Any]]],
        *,
        columns: Sequence[str] = (),
        related: Optional[Mapping[str, Sequence[Mapping[str, Any]]]] = None,
        timeout: Optional[float] = None,
    ) -> CheckResult:
        """Decides on every row (a Row, or a mapping of column values).

        ``columns``: a row is allowed only if every one is. ``related``: rows
        of other tables that rules with _exists read, by table.
        """
        req = pb.CheckRequest(
            principal=_principal(principal), table=table, operation=_operation(operation), columns=list(columns)
        )
        for i, r in enumerate(rows):
            row = r if isinstance(r, Row) else Row(r)
            msg = req.rows.add(id=row.id or str(i))
            msg.values.CopyFrom(to_struct(row.values))
            msg.json_nulls.extend(json_null_paths("values", row.values))
            if row.new_values is not None:
                msg.new_values.CopyFrom(to_struct(row.new_values))
                msg.json_nulls.extend(json_null_paths("new_values", row.new_values))
        for name, table_rows in sorted((related or {}).items()):
            tr = req.tables.add(table=name)
            for j, r in enumerate(table_rows):
                tr.rows.add().CopyFrom(to_struct(r))
                tr.json_nulls.extend(json_null_paths(f"rows[{j}]", r))
        resp = self._call(self.api.Check, req, principal, timeout)
        return CheckResult(
            decisions=[
                RowDecision(
                    id=d.id,
                    effect=_EFFECTS.get(d.decision, "unspecified"),
                    reason=d.reason,
                    allowed_columns=list(d.allowed_columns),
                    denied_columns=list(d.denied_columns),
                    missing_data=list(d.missing_data),
                    residual=d.residual if d.HasField("residual") else None,
                    check_residual=d.check_residual if d.HasField("check_residual") else None,
                )
                for d in resp.decisions
            ],
            role=resp.role,
            presets=_presets(resp.presets, resp.json_null_presets),
            revision=resp.revision,
            decision_id=resp.decision_id,
        )

    def filter(
        self,
        principal: Principal,
        table: str,
        operation: str,
        *,
        dialect: str = "",
        table_alias: str = "",
        first_placeholder: int = 0,
        timeout: Optional[float] = None,
    ) -> Filter:
        """Returns the row filter; with ``dialect`` ("postgres", "mysql",
        "sqlite") also as SQL, on ``table_alias`` and numbered from
        ``first_placeholder``."""
        req = pb.FilterRequest(principal=_principal(principal), table=table, operation=_operation(operation))
        if dialect:
            if dialect not in _DIALECTS:
                raise ValueError(f"dialect {dialect!r}: want postgres, mysql or sqlite")
            req.sql.dialect = _DIALECTS[dialect]
            req.sql.table_alias = table_alias
            req.sql.first_placeholder = first_placeholder
        resp = self._call(self.api.Filter, req, principal, timeout)
        name = _DIALECT_NAMES.get(resp.sql.dialect, dialect)

        def fragment(f: pb.SqlFragment) -> Fragment:
            return Fragment(f.sql, [_param(p) for p in f.parameters], name)

        has_sql = resp.HasField("sql")
        return Filter(
            kind=_KINDS.get(resp.kind, "unspecified"),
            where=fragment(resp.sql.where) if has_sql and resp.sql.HasField("where") else None,
            check=fragment(resp.sql.check) if has_sql and resp.sql.HasField("check") else None,
            predicate=resp.predicate,
            check_predicate=resp.check if resp.HasField("check") else None,
            columns=list(resp.columns),
            column_conditions=[
                ColumnCondition(c.column, c.predicate, fragment(c.sql) if c.HasField("sql") else None)
                for c in resp.column_conditions
            ],
            limit=resp.limit if resp.HasField("limit") else None,
            allow_aggregations=resp.allow_aggregations,
            presets=_presets(resp.presets, resp.json_null_presets),
            role=resp.role,
            reason=resp.reason,
            revision=resp.revision,
            decision_id=resp.decision_id,
            response=resp,
        )

    def _call(self, method: Any, req: Any, principal: Principal, timeout: Optional[float]) -> Any:
        metadata = []
        if self._api_key:
            metadata.append(("x-warden-api-key", self._api_key))
        token = principal.token or self._bearer_token
        if token:
            metadata.append(("authorization", "Bearer " + token.removeprefix("Bearer ")))
        try:
            return method(req, timeout=timeout if timeout is not None else self._timeout, metadata=metadata)
        except grpc.RpcError as err:
            raise WardenError.from_rpc_error(err) from None


class _JSONNull:
    """The type of JSON_NULL."""

    _instance: Optional["_JSONNull"] = None

    def __new__(cls) -> "_JSONNull":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "JSON_NULL"

    def __bool__(self) -> bool:
        return False


JSON_NULL = _JSONNull()
"""The JSON literal null of a json or jsonb column, as distinct from None,
which is SQL NULL: ``{"meta": JSON_NULL}`` is a row whose meta holds
'null'::jsonb (meta IS NOT NULL), ``{"meta": None}`` one whose meta IS NULL.
Give it as a column's whole value, in a row or a related row; inside a json
value a None is JSON null already. It is sent as null with its path in the
row's json_nulls; presets that are JSON null come back as JSON_NULL."""


def json_null_paths(prefix: str, v: Any) -> list[str]:
    """The paths of the JSON_NULL values under prefix, as Row.json_nulls
    names them: values.meta, values.author.meta, values.comments[0].meta."""
    if v is JSON_NULL:
        return [prefix]
    if isinstance(v, Mapping):
        return [p for k in sorted(v) for p in json_null_paths(f"{prefix}.{k}", v[k])]
    if isinstance(v, (list, tuple)):
        return [p for i, x in enumerate(v) for p in json_null_paths(f"{prefix}[{i}]", x)]
    return []


def _presets(s: struct_pb2.Struct, json_nulls: Any) -> dict[str, Any]:
    out = _from_struct(s)
    for k in json_nulls:
        out[k] = JSON_NULL
    return out


def to_struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    """A row as a protobuf Struct. Integers of magnitude 2^53 or more (bigint
    ids such as 9223372036854775807), Decimal (numeric(38,0) values) and
    UUID travel as text, which Warden reads exactly: a Struct number is a
    double, and Warden refuses one of that magnitude for an integer or
    numeric column rather than guess which integer it was. Datetimes go as
    ISO 8601; bytes are refused."""
    s = struct_pb2.Struct()
    s.update({k: _plain(v) for k, v in values.items()})
    return s


def _plain(v: Any) -> Any:
    if v is JSON_NULL:
        return None  # with its path in json_nulls
    if isinstance(v, bool) or v is None or isinstance(v, (str, float)):
        return v
    if isinstance(v, int):
        return v if -_EXACT < v < _EXACT else str(v)
    if isinstance(v, (decimal.Decimal, uuid.UUID)):
        return str(v)
    if isinstance(v, datetime.datetime):
        return v.isoformat() if v.tzinfo is None else v.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    raise TypeError(f"cannot send a value of type {type(v).__name__}")


def _from_struct(s: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as Python values, whole numbers as int (Struct numbers are doubles)."""

    def plain(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer() and abs(v) < _EXACT:
            return int(v)
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v

    return plain(json_format.MessageToDict(s))


def _principal(p: Principal) -> pb.Principal:
    return pb.Principal(role=p.role, session_variables=dict(p.session), use_backend_only_permissions=p.backend_only)


def _operation(op: str) -> int:
    try:
        return _OPERATIONS[op]
    except KeyError:
        raise ValueError(f"operation {op!r}: want select, insert, update or delete") from None


def _param(p: pb.SqlParameter) -> Any:
    """A bind parameter as the driver takes it, exactly: int for integers
    (any 64-bit value), str for text and numerics (the SQL casts it)."""
    kind = p.WhichOneof("value")
    if kind == "array":
        return [_param(e) for e in p.array.elements]
    if kind is None:
        raise ValueError("a SQL parameter without a value")
    return getattr(p, kind)


def _service_config(max_attempts: int) -> str:
    if max_attempts <= 1:
        return "{}"
    policy = {
        "maxAttempts": max_attempts,
        "initialBackoff": "0.1s",
        "maxBackoff": "1s",
        "backoffMultiplier": 2,
        "retryableStatusCodes": ["UNAVAILABLE"],
    }
    names = [{"service": "warden.v1.AuthorizationService"}, {"service": "warden.v1.AdminService"}]
    return json.dumps({"methodConfig": [{"name": names, "retryPolicy": policy}]})
