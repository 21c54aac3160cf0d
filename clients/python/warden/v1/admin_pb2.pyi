from google.protobuf import timestamp_pb2 as _timestamp_pb2
from warden.v1 import authorization_pb2 as _authorization_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
PERMISSION_KIND_ALWAYS_ALLOWED: PermissionKind
PERMISSION_KIND_CONDITIONAL: PermissionKind
PERMISSION_KIND_UNSPECIFIED: PermissionKind
POLICY_SOURCE_KIND_BUNDLE: PolicySourceKind
POLICY_SOURCE_KIND_DIRECTORY: PolicySourceKind
POLICY_SOURCE_KIND_EMBEDDED: PolicySourceKind
POLICY_SOURCE_KIND_UNSPECIFIED: PolicySourceKind
RELOAD_OUTCOME_FAILED: ReloadOutcome
RELOAD_OUTCOME_LOADED: ReloadOutcome
RELOAD_OUTCOME_NOT_RELOADABLE: ReloadOutcome
RELOAD_OUTCOME_UNCHANGED: ReloadOutcome
RELOAD_OUTCOME_UNSPECIFIED: ReloadOutcome

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
    __slots__ = ["caller_keys_loaded_at", "inconsistent_object_count", "inconsistent_objects", "last_caller_keys_reload", "last_failed_reload", "last_reload", "loaded_at", "policy_tests", "query_databases", "revision", "role_count", "source", "source_kind", "table_count", "version", "watching"]
    CALLER_KEYS_LOADED_AT_FIELD_NUMBER: _ClassVar[int]
    INCONSISTENT_OBJECTS_FIELD_NUMBER: _ClassVar[int]
    INCONSISTENT_OBJECT_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_CALLER_KEYS_RELOAD_FIELD_NUMBER: _ClassVar[int]
    LAST_FAILED_RELOAD_FIELD_NUMBER: _ClassVar[int]
    LAST_RELOAD_FIELD_NUMBER: _ClassVar[int]
    LOADED_AT_FIELD_NUMBER: _ClassVar[int]
    POLICY_TESTS_FIELD_NUMBER: _ClassVar[int]
    QUERY_DATABASES_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    ROLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_KIND_FIELD_NUMBER: _ClassVar[int]
    TABLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    WATCHING_FIELD_NUMBER: _ClassVar[int]
    caller_keys_loaded_at: _timestamp_pb2.Timestamp
    inconsistent_object_count: int
    inconsistent_objects: _containers.RepeatedCompositeFieldContainer[InconsistentObject]
    last_caller_keys_reload: ReloadAttempt
    last_failed_reload: ReloadAttempt
    last_reload: ReloadAttempt
    loaded_at: _timestamp_pb2.Timestamp
    policy_tests: PolicyTestsResult
    query_databases: _containers.RepeatedScalarFieldContainer[str]
    revision: str
    role_count: int
    source: str
    source_kind: PolicySourceKind
    table_count: int
    version: str
    watching: bool
    def __init__(self, revision: _Optional[str] = ..., source: _Optional[str] = ..., loaded_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., table_count: _Optional[int] = ..., role_count: _Optional[int] = ..., version: _Optional[str] = ..., source_kind: _Optional[_Union[PolicySourceKind, str]] = ..., inconsistent_object_count: _Optional[int] = ..., watching: bool = ..., last_reload: _Optional[_Union[ReloadAttempt, _Mapping]] = ..., last_failed_reload: _Optional[_Union[ReloadAttempt, _Mapping]] = ..., caller_keys_loaded_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_caller_keys_reload: _Optional[_Union[ReloadAttempt, _Mapping]] = ..., inconsistent_objects: _Optional[_Iterable[_Union[InconsistentObject, _Mapping]]] = ..., policy_tests: _Optional[_Union[PolicyTestsResult, _Mapping]] = ..., query_databases: _Optional[_Iterable[str]] = ...) -> None: ...

class GetTablePermissionsRequest(_message.Message):
    __slots__ = ["table"]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    table: str
    def __init__(self, table: _Optional[str] = ...) -> None: ...

class GetTablePermissionsResponse(_message.Message):
    __slots__ = ["inconsistent_permissions", "permissions", "revision", "table"]
    INCONSISTENT_PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    inconsistent_permissions: _containers.RepeatedCompositeFieldContainer[InconsistentObject]
    permissions: _containers.RepeatedCompositeFieldContainer[TablePermission]
    revision: str
    table: str
    def __init__(self, table: _Optional[str] = ..., permissions: _Optional[_Iterable[_Union[TablePermission, _Mapping]]] = ..., revision: _Optional[str] = ..., inconsistent_permissions: _Optional[_Iterable[_Union[InconsistentObject, _Mapping]]] = ...) -> None: ...

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

class InconsistentObject(_message.Message):
    __slots__ = ["description", "file", "kind", "name", "operation", "path", "reasons", "table"]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    description: str
    file: str
    kind: str
    name: str
    operation: _authorization_pb2.Operation
    path: str
    reasons: _containers.RepeatedScalarFieldContainer[str]
    table: str
    def __init__(self, kind: _Optional[str] = ..., description: _Optional[str] = ..., table: _Optional[str] = ..., name: _Optional[str] = ..., operation: _Optional[_Union[_authorization_pb2.Operation, str]] = ..., file: _Optional[str] = ..., path: _Optional[str] = ..., reasons: _Optional[_Iterable[str]] = ...) -> None: ...

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

class PolicyProblem(_message.Message):
    __slots__ = ["file", "line", "message", "path"]
    FILE_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    file: str
    line: int
    message: str
    path: str
    def __init__(self, file: _Optional[str] = ..., line: _Optional[int] = ..., path: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class PolicyTestFailure(_message.Message):
    __slots__ = ["file", "line", "message", "name", "suite"]
    FILE_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUITE_FIELD_NUMBER: _ClassVar[int]
    file: str
    line: int
    message: str
    name: str
    suite: str
    def __init__(self, suite: _Optional[str] = ..., name: _Optional[str] = ..., file: _Optional[str] = ..., line: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class PolicyTestsResult(_message.Message):
    __slots__ = ["error", "errored", "failed", "failures", "no_tests", "passed", "ran_at", "revision", "running"]
    ERRORED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    NO_TESTS_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    RAN_AT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    error: str
    errored: int
    failed: int
    failures: _containers.RepeatedCompositeFieldContainer[PolicyTestFailure]
    no_tests: bool
    passed: int
    ran_at: _timestamp_pb2.Timestamp
    revision: str
    running: bool
    def __init__(self, revision: _Optional[str] = ..., ran_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., no_tests: bool = ..., passed: _Optional[int] = ..., failed: _Optional[int] = ..., errored: _Optional[int] = ..., failures: _Optional[_Iterable[_Union[PolicyTestFailure, _Mapping]]] = ..., error: _Optional[str] = ..., running: bool = ...) -> None: ...

class QueryDatabaseRequest(_message.Message):
    __slots__ = ["limit", "principal", "table"]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    limit: int
    principal: _authorization_pb2.Principal
    table: str
    def __init__(self, principal: _Optional[_Union[_authorization_pb2.Principal, _Mapping]] = ..., table: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class QueryDatabaseResponse(_message.Message):
    __slots__ = ["columns", "database", "filter", "limit", "parameters", "rows", "sql", "truncated"]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    DATABASE_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    SQL_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    columns: _containers.RepeatedScalarFieldContainer[str]
    database: str
    filter: _authorization_pb2.FilterResponse
    limit: int
    parameters: _containers.RepeatedCompositeFieldContainer[_authorization_pb2.SqlParameter]
    rows: _containers.RepeatedCompositeFieldContainer[QueryRow]
    sql: str
    truncated: bool
    def __init__(self, filter: _Optional[_Union[_authorization_pb2.FilterResponse, _Mapping]] = ..., database: _Optional[str] = ..., sql: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[_authorization_pb2.SqlParameter, _Mapping]]] = ..., columns: _Optional[_Iterable[str]] = ..., rows: _Optional[_Iterable[_Union[QueryRow, _Mapping]]] = ..., truncated: bool = ..., limit: _Optional[int] = ...) -> None: ...

class QueryRow(_message.Message):
    __slots__ = ["values"]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[QueryValue]
    def __init__(self, values: _Optional[_Iterable[_Union[QueryValue, _Mapping]]] = ...) -> None: ...

class QueryValue(_message.Message):
    __slots__ = ["is_null", "text"]
    IS_NULL_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    is_null: bool
    text: str
    def __init__(self, text: _Optional[str] = ..., is_null: bool = ...) -> None: ...

class RegoModule(_message.Message):
    __slots__ = ["path", "source"]
    PATH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    path: str
    source: str
    def __init__(self, path: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class ReloadAttempt(_message.Message):
    __slots__ = ["error", "finished_at", "outcome", "problem_count", "problems", "revision", "trigger"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    error: str
    finished_at: _timestamp_pb2.Timestamp
    outcome: ReloadOutcome
    problem_count: int
    problems: _containers.RepeatedCompositeFieldContainer[PolicyProblem]
    revision: str
    trigger: str
    def __init__(self, finished_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., outcome: _Optional[_Union[ReloadOutcome, str]] = ..., revision: _Optional[str] = ..., trigger: _Optional[str] = ..., error: _Optional[str] = ..., problems: _Optional[_Iterable[_Union[PolicyProblem, _Mapping]]] = ..., problem_count: _Optional[int] = ...) -> None: ...

class ReloadRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ReloadResponse(_message.Message):
    __slots__ = ["caller_keys", "policy", "revision"]
    CALLER_KEYS_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    caller_keys: ReloadAttempt
    policy: ReloadAttempt
    revision: str
    def __init__(self, policy: _Optional[_Union[ReloadAttempt, _Mapping]] = ..., caller_keys: _Optional[_Union[ReloadAttempt, _Mapping]] = ..., revision: _Optional[str] = ...) -> None: ...

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

class TablePermission(_message.Message):
    __slots__ = ["allow_aggregations", "backend_only", "check", "columns", "computed_fields", "filter", "inherited_from", "kind", "limit", "operation", "role", "set", "source_file", "source_path"]
    class SetEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ALLOW_AGGREGATIONS_FIELD_NUMBER: _ClassVar[int]
    BACKEND_ONLY_FIELD_NUMBER: _ClassVar[int]
    CHECK_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    INHERITED_FROM_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SET_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FILE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PATH_FIELD_NUMBER: _ClassVar[int]
    allow_aggregations: bool
    backend_only: bool
    check: str
    columns: _containers.RepeatedScalarFieldContainer[str]
    computed_fields: _containers.RepeatedScalarFieldContainer[str]
    filter: str
    inherited_from: _containers.RepeatedScalarFieldContainer[str]
    kind: PermissionKind
    limit: int
    operation: _authorization_pb2.Operation
    role: str
    set: _containers.ScalarMap[str, str]
    source_file: str
    source_path: str
    def __init__(self, role: _Optional[str] = ..., operation: _Optional[_Union[_authorization_pb2.Operation, str]] = ..., kind: _Optional[_Union[PermissionKind, str]] = ..., inherited_from: _Optional[_Iterable[str]] = ..., filter: _Optional[str] = ..., check: _Optional[str] = ..., columns: _Optional[_Iterable[str]] = ..., set: _Optional[_Mapping[str, str]] = ..., limit: _Optional[int] = ..., allow_aggregations: bool = ..., backend_only: bool = ..., computed_fields: _Optional[_Iterable[str]] = ..., source_file: _Optional[str] = ..., source_path: _Optional[str] = ...) -> None: ...

class PolicySourceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ReloadOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class PermissionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
