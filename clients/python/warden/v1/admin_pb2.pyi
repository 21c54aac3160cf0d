from google.protobuf import timestamp_pb2 as _timestamp_pb2
from warden.v1 import authorization_pb2 as _authorization_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Column(_message.Message):
    __slots__ = ["name", "nullable", "type"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NULLABLE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    nullable: bool
    type: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., nullable: bool = ...) -> None: ...

class DecisionRecord(_message.Message):
    __slots__ = ["call", "caller", "caller_level", "decision_id", "dialect", "latency_us", "operation", "outcome", "revision", "role", "rows", "sequence", "session", "session_variables", "sql", "table", "time", "trace_id"]
    class SessionEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CALLER_FIELD_NUMBER: _ClassVar[int]
    CALLER_LEVEL_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    DIALECT_FIELD_NUMBER: _ClassVar[int]
    LATENCY_US_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    SESSION_VARIABLES_FIELD_NUMBER: _ClassVar[int]
    SQL_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    call: str
    caller: str
    caller_level: str
    decision_id: str
    dialect: str
    latency_us: int
    operation: str
    outcome: str
    revision: str
    role: str
    rows: _containers.RepeatedCompositeFieldContainer[DecisionRecordRow]
    sequence: int
    session: _containers.ScalarMap[str, str]
    session_variables: _containers.RepeatedScalarFieldContainer[str]
    sql: str
    table: str
    time: _timestamp_pb2.Timestamp
    trace_id: str
    def __init__(self, sequence: _Optional[int] = ..., decision_id: _Optional[str] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., revision: _Optional[str] = ..., call: _Optional[str] = ..., caller: _Optional[str] = ..., caller_level: _Optional[str] = ..., role: _Optional[str] = ..., table: _Optional[str] = ..., operation: _Optional[str] = ..., outcome: _Optional[str] = ..., rows: _Optional[_Iterable[_Union[DecisionRecordRow, _Mapping]]] = ..., sql: _Optional[str] = ..., dialect: _Optional[str] = ..., latency_us: _Optional[int] = ..., trace_id: _Optional[str] = ..., session_variables: _Optional[_Iterable[str]] = ..., session: _Optional[_Mapping[str, str]] = ...) -> None: ...

class DecisionRecordRow(_message.Message):
    __slots__ = ["decision", "denied_columns", "id", "missing_data", "reason"]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    DENIED_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MISSING_DATA_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    decision: str
    denied_columns: _containers.RepeatedScalarFieldContainer[str]
    id: str
    missing_data: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, id: _Optional[str] = ..., decision: _Optional[str] = ..., reason: _Optional[str] = ..., denied_columns: _Optional[_Iterable[str]] = ..., missing_data: _Optional[_Iterable[str]] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ["loaded_at", "revision", "role_count", "source", "table_count", "version"]
    LOADED_AT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    ROLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TABLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    loaded_at: _timestamp_pb2.Timestamp
    revision: str
    role_count: int
    source: str
    table_count: int
    version: str
    def __init__(self, revision: _Optional[str] = ..., source: _Optional[str] = ..., loaded_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., table_count: _Optional[int] = ..., role_count: _Optional[int] = ..., version: _Optional[str] = ...) -> None: ...

class GetTableRegoRequest(_message.Message):
    __slots__ = ["table"]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    table: str
    def __init__(self, table: _Optional[str] = ...) -> None: ...

class GetTableRegoResponse(_message.Message):
    __slots__ = ["modules", "revision"]
    MODULES_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    modules: _containers.RepeatedCompositeFieldContainer[RegoModule]
    revision: str
    def __init__(self, modules: _Optional[_Iterable[_Union[RegoModule, _Mapping]]] = ..., revision: _Optional[str] = ...) -> None: ...

class ListDecisionsRequest(_message.Message):
    __slots__ = ["after_sequence", "call", "limit", "outcome", "role", "table"]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    call: str
    limit: int
    outcome: str
    role: str
    table: str
    def __init__(self, role: _Optional[str] = ..., table: _Optional[str] = ..., outcome: _Optional[str] = ..., after_sequence: _Optional[int] = ..., limit: _Optional[int] = ..., call: _Optional[str] = ...) -> None: ...

class ListDecisionsResponse(_message.Message):
    __slots__ = ["decisions"]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    decisions: _containers.RepeatedCompositeFieldContainer[DecisionRecord]
    def __init__(self, decisions: _Optional[_Iterable[_Union[DecisionRecord, _Mapping]]] = ...) -> None: ...

class ListRolesRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListRolesResponse(_message.Message):
    __slots__ = ["roles"]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    roles: _containers.RepeatedCompositeFieldContainer[Role]
    def __init__(self, roles: _Optional[_Iterable[_Union[Role, _Mapping]]] = ...) -> None: ...

class ListTablesRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListTablesResponse(_message.Message):
    __slots__ = ["tables"]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    tables: _containers.RepeatedCompositeFieldContainer[Table]
    def __init__(self, tables: _Optional[_Iterable[_Union[Table, _Mapping]]] = ...) -> None: ...

class RegoModule(_message.Message):
    __slots__ = ["path", "source"]
    PATH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    path: str
    source: str
    def __init__(self, path: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class Role(_message.Message):
    __slots__ = ["name", "role_set"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_SET_FIELD_NUMBER: _ClassVar[int]
    name: str
    role_set: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., role_set: _Optional[_Iterable[str]] = ...) -> None: ...

class RolePermissions(_message.Message):
    __slots__ = ["operations", "role"]
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    operations: _containers.RepeatedScalarFieldContainer[_authorization_pb2.Operation]
    role: str
    def __init__(self, role: _Optional[str] = ..., operations: _Optional[_Iterable[_Union[_authorization_pb2.Operation, str]]] = ...) -> None: ...

class Table(_message.Message):
    __slots__ = ["columns", "name", "primary_key", "relationships", "roles"]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_KEY_FIELD_NUMBER: _ClassVar[int]
    RELATIONSHIPS_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    columns: _containers.RepeatedCompositeFieldContainer[Column]
    name: str
    primary_key: _containers.RepeatedScalarFieldContainer[str]
    relationships: _containers.RepeatedScalarFieldContainer[str]
    roles: _containers.RepeatedCompositeFieldContainer[RolePermissions]
    def __init__(self, name: _Optional[str] = ..., columns: _Optional[_Iterable[_Union[Column, _Mapping]]] = ..., primary_key: _Optional[_Iterable[str]] = ..., relationships: _Optional[_Iterable[str]] = ..., roles: _Optional[_Iterable[_Union[RolePermissions, _Mapping]]] = ...) -> None: ...
