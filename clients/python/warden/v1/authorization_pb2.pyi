from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

ARRAY_OPERATOR_CONTAINED_IN: ArrayOperator
ARRAY_OPERATOR_CONTAINS: ArrayOperator
ARRAY_OPERATOR_UNSPECIFIED: ArrayOperator
CLOCK_WORD_NOW: ClockWord
CLOCK_WORD_TODAY: ClockWord
CLOCK_WORD_TOMORROW: ClockWord
CLOCK_WORD_UNSPECIFIED: ClockWord
CLOCK_WORD_YESTERDAY: ClockWord
COLUMN_KIND_BOOLEAN: ColumnKind
COLUMN_KIND_DATE: ColumnKind
COLUMN_KIND_INTEGER: ColumnKind
COLUMN_KIND_JSONB: ColumnKind
COLUMN_KIND_NUMERIC: ColumnKind
COLUMN_KIND_OPAQUE: ColumnKind
COLUMN_KIND_TEXT: ColumnKind
COLUMN_KIND_TIMESTAMP: ColumnKind
COLUMN_KIND_TIMESTAMPTZ: ColumnKind
COLUMN_KIND_UNSPECIFIED: ColumnKind
COLUMN_KIND_UUID: ColumnKind
COMPARISON_OPERATOR_EQ: ComparisonOperator
COMPARISON_OPERATOR_GT: ComparisonOperator
COMPARISON_OPERATOR_GTE: ComparisonOperator
COMPARISON_OPERATOR_LT: ComparisonOperator
COMPARISON_OPERATOR_LTE: ComparisonOperator
COMPARISON_OPERATOR_NEQ: ComparisonOperator
COMPARISON_OPERATOR_UNSPECIFIED: ComparisonOperator
DECISION_ALLOW: Decision
DECISION_DENY: Decision
DECISION_NEEDS_DATA: Decision
DECISION_UNSPECIFIED: Decision
DESCRIPTOR: _descriptor.FileDescriptor
EXPLAIN_OUTCOME_FALSE: ExplainOutcome
EXPLAIN_OUTCOME_TRUE: ExplainOutcome
EXPLAIN_OUTCOME_UNKNOWN: ExplainOutcome
EXPLAIN_OUTCOME_UNSPECIFIED: ExplainOutcome
FILTER_KIND_ALWAYS_ALLOWED: FilterKind
FILTER_KIND_ALWAYS_DENIED: FilterKind
FILTER_KIND_CONDITIONAL: FilterKind
FILTER_KIND_UNSPECIFIED: FilterKind
JSONB_OPERATOR_CONTAINED_IN: JsonbOperator
JSONB_OPERATOR_CONTAINS: JsonbOperator
JSONB_OPERATOR_HAS_KEY: JsonbOperator
JSONB_OPERATOR_HAS_KEYS_ALL: JsonbOperator
JSONB_OPERATOR_HAS_KEYS_ANY: JsonbOperator
JSONB_OPERATOR_UNSPECIFIED: JsonbOperator
OPERATION_DECISION_ALLOW: OperationDecision
OPERATION_DECISION_DENY: OperationDecision
OPERATION_DECISION_UNDECIDED: OperationDecision
OPERATION_DECISION_UNSPECIFIED: OperationDecision
OPERATION_DELETE: Operation
OPERATION_INSERT: Operation
OPERATION_SELECT: Operation
OPERATION_UNSPECIFIED: Operation
OPERATION_UPDATE: Operation
PATTERN_OPERATOR_ILIKE: PatternOperator
PATTERN_OPERATOR_IREGEX: PatternOperator
PATTERN_OPERATOR_LIKE: PatternOperator
PATTERN_OPERATOR_REGEX: PatternOperator
PATTERN_OPERATOR_SIMILAR: PatternOperator
PATTERN_OPERATOR_UNSPECIFIED: PatternOperator
ROOT_FIELD_KIND_ACTION: RootFieldKind
ROOT_FIELD_KIND_FUNCTION: RootFieldKind
ROOT_FIELD_KIND_INTROSPECTION: RootFieldKind
ROOT_FIELD_KIND_NATIVE_QUERY: RootFieldKind
ROOT_FIELD_KIND_REMOTE_SCHEMA: RootFieldKind
ROOT_FIELD_KIND_TABLE: RootFieldKind
ROOT_FIELD_KIND_UNSPECIFIED: RootFieldKind
SPATIAL_OPERATOR_3D_D_WITHIN: SpatialOperator
SPATIAL_OPERATOR_3D_INTERSECTS: SpatialOperator
SPATIAL_OPERATOR_CONTAINS: SpatialOperator
SPATIAL_OPERATOR_CROSSES: SpatialOperator
SPATIAL_OPERATOR_D_WITHIN: SpatialOperator
SPATIAL_OPERATOR_EQUALS: SpatialOperator
SPATIAL_OPERATOR_INTERSECTS: SpatialOperator
SPATIAL_OPERATOR_OVERLAPS: SpatialOperator
SPATIAL_OPERATOR_TOUCHES: SpatialOperator
SPATIAL_OPERATOR_UNSPECIFIED: SpatialOperator
SPATIAL_OPERATOR_WITHIN: SpatialOperator
SQL_DIALECT_MYSQL: SqlDialect
SQL_DIALECT_POSTGRES: SqlDialect
SQL_DIALECT_SQLITE: SqlDialect
SQL_DIALECT_UNSPECIFIED: SqlDialect

class AllowListResult(_message.Message):
    __slots__ = ["allowed", "collection", "query_name", "reason"]
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    QUERY_NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    allowed: bool
    collection: str
    query_name: str
    reason: str
    def __init__(self, allowed: bool = ..., collection: _Optional[str] = ..., query_name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ArrayPredicate(_message.Message):
    __slots__ = ["column", "operator", "value"]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    column: ColumnRef
    operator: ArrayOperator
    value: str
    def __init__(self, operator: _Optional[_Union[ArrayOperator, str]] = ..., column: _Optional[_Union[ColumnRef, _Mapping]] = ..., value: _Optional[str] = ...) -> None: ...

class CheckGraphQLRequest(_message.Message):
    __slots__ = ["enforce_allow_list", "operation_name", "principal", "query", "relay", "sql", "variables"]
    ENFORCE_ALLOW_LIST_FIELD_NUMBER: _ClassVar[int]
    OPERATION_NAME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    RELAY_FIELD_NUMBER: _ClassVar[int]
    SQL_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    enforce_allow_list: bool
    operation_name: str
    principal: Principal
    query: str
    relay: bool
    sql: SqlOptions
    variables: _struct_pb2.Struct
    def __init__(self, principal: _Optional[_Union[Principal, _Mapping]] = ..., query: _Optional[str] = ..., operation_name: _Optional[str] = ..., enforce_allow_list: bool = ..., variables: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., sql: _Optional[_Union[SqlOptions, _Mapping]] = ..., relay: bool = ...) -> None: ...

class CheckGraphQLResponse(_message.Message):
    __slots__ = ["allow_list", "decision", "decision_id", "operation_name", "operation_type", "revision", "role", "root_fields"]
    ALLOW_LIST_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_NAME_FIELD_NUMBER: _ClassVar[int]
    OPERATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELDS_FIELD_NUMBER: _ClassVar[int]
    allow_list: AllowListResult
    decision: OperationDecision
    decision_id: str
    operation_name: str
    operation_type: str
    revision: str
    role: str
    root_fields: _containers.RepeatedCompositeFieldContainer[RootFieldDecision]
    def __init__(self, decision: _Optional[_Union[OperationDecision, str]] = ..., role: _Optional[str] = ..., operation_type: _Optional[str] = ..., operation_name: _Optional[str] = ..., root_fields: _Optional[_Iterable[_Union[RootFieldDecision, _Mapping]]] = ..., allow_list: _Optional[_Union[AllowListResult, _Mapping]] = ..., revision: _Optional[str] = ..., decision_id: _Optional[str] = ...) -> None: ...

class CheckRequest(_message.Message):
    __slots__ = ["columns", "explain", "operation", "principal", "rows", "table", "tables"]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    columns: _containers.RepeatedScalarFieldContainer[str]
    explain: bool
    operation: Operation
    principal: Principal
    rows: _containers.RepeatedCompositeFieldContainer[Row]
    table: str
    tables: _containers.RepeatedCompositeFieldContainer[TableRows]
    def __init__(self, principal: _Optional[_Union[Principal, _Mapping]] = ..., table: _Optional[str] = ..., operation: _Optional[_Union[Operation, str]] = ..., rows: _Optional[_Iterable[_Union[Row, _Mapping]]] = ..., columns: _Optional[_Iterable[str]] = ..., tables: _Optional[_Iterable[_Union[TableRows, _Mapping]]] = ..., explain: bool = ...) -> None: ...

class CheckResponse(_message.Message):
    __slots__ = ["decision_id", "decisions", "json_null_presets", "presets", "revision", "role"]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    JSON_NULL_PRESETS_FIELD_NUMBER: _ClassVar[int]
    PRESETS_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    decisions: _containers.RepeatedCompositeFieldContainer[RowDecision]
    json_null_presets: _containers.RepeatedScalarFieldContainer[str]
    presets: _struct_pb2.Struct
    revision: str
    role: str
    def __init__(self, decisions: _Optional[_Iterable[_Union[RowDecision, _Mapping]]] = ..., role: _Optional[str] = ..., presets: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., revision: _Optional[str] = ..., decision_id: _Optional[str] = ..., json_null_presets: _Optional[_Iterable[str]] = ...) -> None: ...

class ClockValue(_message.Message):
    __slots__ = ["word"]
    WORD_FIELD_NUMBER: _ClassVar[int]
    word: ClockWord
    def __init__(self, word: _Optional[_Union[ClockWord, str]] = ...) -> None: ...

class ColumnCondition(_message.Message):
    __slots__ = ["column", "predicate", "sql"]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    PREDICATE_FIELD_NUMBER: _ClassVar[int]
    SQL_FIELD_NUMBER: _ClassVar[int]
    column: str
    predicate: Predicate
    sql: SqlFragment
    def __init__(self, column: _Optional[str] = ..., predicate: _Optional[_Union[Predicate, _Mapping]] = ..., sql: _Optional[_Union[SqlFragment, _Mapping]] = ...) -> None: ...

class ColumnExplanation(_message.Message):
    __slots__ = ["column", "granted_by", "outcome"]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    GRANTED_BY_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    column: str
    granted_by: _containers.RepeatedScalarFieldContainer[str]
    outcome: ExplainOutcome
    def __init__(self, column: _Optional[str] = ..., outcome: _Optional[_Union[ExplainOutcome, str]] = ..., granted_by: _Optional[_Iterable[str]] = ...) -> None: ...

class ColumnPair(_message.Message):
    __slots__ = ["local", "remote"]
    LOCAL_FIELD_NUMBER: _ClassVar[int]
    REMOTE_FIELD_NUMBER: _ClassVar[int]
    local: str
    remote: str
    def __init__(self, local: _Optional[str] = ..., remote: _Optional[str] = ...) -> None: ...

class ColumnRef(_message.Message):
    __slots__ = ["function", "kind", "lower", "name", "pad_to", "root"]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LOWER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAD_TO_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    function: str
    kind: ColumnKind
    lower: bool
    name: str
    pad_to: int
    root: bool
    def __init__(self, name: _Optional[str] = ..., root: bool = ..., kind: _Optional[_Union[ColumnKind, str]] = ..., lower: bool = ..., pad_to: _Optional[int] = ..., function: _Optional[str] = ...) -> None: ...

class Comparison(_message.Message):
    __slots__ = ["clock", "column", "operator", "other_column", "value", "value_json"]
    CLOCK_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    OTHER_COLUMN_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    clock: ClockValue
    column: ColumnRef
    operator: ComparisonOperator
    other_column: ColumnRef
    value: _struct_pb2.Value
    value_json: str
    def __init__(self, operator: _Optional[_Union[ComparisonOperator, str]] = ..., column: _Optional[_Union[ColumnRef, _Mapping]] = ..., other_column: _Optional[_Union[ColumnRef, _Mapping]] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., clock: _Optional[_Union[ClockValue, _Mapping]] = ..., value_json: _Optional[str] = ...) -> None: ...

class DatabasePredicate(_message.Message):
    __slots__ = ["cast", "column", "operator", "other_column", "sql_operator", "type", "value"]
    CAST_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    OTHER_COLUMN_FIELD_NUMBER: _ClassVar[int]
    SQL_OPERATOR_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    cast: str
    column: ColumnRef
    operator: str
    other_column: ColumnRef
    sql_operator: str
    type: str
    value: str
    def __init__(self, operator: _Optional[str] = ..., column: _Optional[_Union[ColumnRef, _Mapping]] = ..., sql_operator: _Optional[str] = ..., value: _Optional[str] = ..., type: _Optional[str] = ..., other_column: _Optional[_Union[ColumnRef, _Mapping]] = ..., cast: _Optional[str] = ...) -> None: ...

class ExistsPredicate(_message.Message):
    __slots__ = ["function", "on", "relationship", "table", "where"]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    ON_FIELD_NUMBER: _ClassVar[int]
    RELATIONSHIP_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    function: str
    on: _containers.RepeatedCompositeFieldContainer[ColumnPair]
    relationship: str
    table: str
    where: Predicate
    def __init__(self, table: _Optional[str] = ..., relationship: _Optional[str] = ..., on: _Optional[_Iterable[_Union[ColumnPair, _Mapping]]] = ..., where: _Optional[_Union[Predicate, _Mapping]] = ..., function: _Optional[str] = ...) -> None: ...

class ExplainNode(_message.Message):
    __slots__ = ["children", "column", "note", "op", "outcome", "row_value", "row_value_missing", "text", "value"]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ROW_VALUE_FIELD_NUMBER: _ClassVar[int]
    ROW_VALUE_MISSING_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    children: _containers.RepeatedCompositeFieldContainer[ExplainNode]
    column: str
    note: str
    op: str
    outcome: ExplainOutcome
    row_value: _struct_pb2.Value
    row_value_missing: bool
    text: str
    value: _struct_pb2.Value
    def __init__(self, op: _Optional[str] = ..., text: _Optional[str] = ..., outcome: _Optional[_Union[ExplainOutcome, str]] = ..., column: _Optional[str] = ..., row_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., row_value_missing: bool = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., note: _Optional[str] = ..., children: _Optional[_Iterable[_Union[ExplainNode, _Mapping]]] = ...) -> None: ...

class Explanation(_message.Message):
    __slots__ = ["check", "column_conditions", "filter", "granted_by", "truncated"]
    CHECK_FIELD_NUMBER: _ClassVar[int]
    COLUMN_CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    GRANTED_BY_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    check: ExplainNode
    column_conditions: _containers.RepeatedCompositeFieldContainer[ColumnExplanation]
    filter: ExplainNode
    granted_by: _containers.RepeatedScalarFieldContainer[str]
    truncated: bool
    def __init__(self, filter: _Optional[_Union[ExplainNode, _Mapping]] = ..., check: _Optional[_Union[ExplainNode, _Mapping]] = ..., truncated: bool = ..., granted_by: _Optional[_Iterable[str]] = ..., column_conditions: _Optional[_Iterable[_Union[ColumnExplanation, _Mapping]]] = ...) -> None: ...

class FilterExplanation(_message.Message):
    __slots__ = ["bound", "fell_away", "rule"]
    BOUND_FIELD_NUMBER: _ClassVar[int]
    FELL_AWAY_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    bound: str
    fell_away: _containers.RepeatedScalarFieldContainer[str]
    rule: str
    def __init__(self, rule: _Optional[str] = ..., bound: _Optional[str] = ..., fell_away: _Optional[_Iterable[str]] = ...) -> None: ...

class FilterRequest(_message.Message):
    __slots__ = ["explain", "operation", "principal", "sql", "table"]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    SQL_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    explain: bool
    operation: Operation
    principal: Principal
    sql: SqlOptions
    table: str
    def __init__(self, principal: _Optional[_Union[Principal, _Mapping]] = ..., table: _Optional[str] = ..., operation: _Optional[_Union[Operation, str]] = ..., sql: _Optional[_Union[SqlOptions, _Mapping]] = ..., explain: bool = ...) -> None: ...

class FilterResponse(_message.Message):
    __slots__ = ["allow_aggregations", "check", "column_conditions", "columns", "computed_fields", "decision_id", "explanation", "json_null_presets", "kind", "limit", "predicate", "presets", "reason", "revision", "role", "sql"]
    ALLOW_AGGREGATIONS_FIELD_NUMBER: _ClassVar[int]
    CHECK_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    COLUMN_CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    JSON_NULL_PRESETS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PREDICATE_FIELD_NUMBER: _ClassVar[int]
    PRESETS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SQL_FIELD_NUMBER: _ClassVar[int]
    allow_aggregations: bool
    check: Predicate
    column_conditions: _containers.RepeatedCompositeFieldContainer[ColumnCondition]
    columns: _containers.RepeatedScalarFieldContainer[str]
    computed_fields: _containers.RepeatedScalarFieldContainer[str]
    decision_id: str
    explanation: FilterExplanation
    json_null_presets: _containers.RepeatedScalarFieldContainer[str]
    kind: FilterKind
    limit: int
    predicate: Predicate
    presets: _struct_pb2.Struct
    reason: str
    revision: str
    role: str
    sql: SqlFilter
    def __init__(self, kind: _Optional[_Union[FilterKind, str]] = ..., revision: _Optional[str] = ..., predicate: _Optional[_Union[Predicate, _Mapping]] = ..., check: _Optional[_Union[Predicate, _Mapping]] = ..., columns: _Optional[_Iterable[str]] = ..., column_conditions: _Optional[_Iterable[_Union[ColumnCondition, _Mapping]]] = ..., limit: _Optional[int] = ..., allow_aggregations: bool = ..., presets: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., sql: _Optional[_Union[SqlFilter, _Mapping]] = ..., role: _Optional[str] = ..., decision_id: _Optional[str] = ..., reason: _Optional[str] = ..., computed_fields: _Optional[_Iterable[str]] = ..., json_null_presets: _Optional[_Iterable[str]] = ..., explanation: _Optional[_Union[FilterExplanation, _Mapping]] = ...) -> None: ...

class InList(_message.Message):
    __slots__ = ["column", "values", "values_json"]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    VALUES_JSON_FIELD_NUMBER: _ClassVar[int]
    column: ColumnRef
    values: _struct_pb2.ListValue
    values_json: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, column: _Optional[_Union[ColumnRef, _Mapping]] = ..., values: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ..., values_json: _Optional[_Iterable[str]] = ...) -> None: ...

class JsonbPredicate(_message.Message):
    __slots__ = ["column", "operator", "value", "value_json"]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    column: ColumnRef
    operator: JsonbOperator
    value: _struct_pb2.Value
    value_json: str
    def __init__(self, operator: _Optional[_Union[JsonbOperator, str]] = ..., column: _Optional[_Union[ColumnRef, _Mapping]] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., value_json: _Optional[str] = ...) -> None: ...

class PatternMatch(_message.Message):
    __slots__ = ["column", "operator", "pattern", "regex"]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    REGEX_FIELD_NUMBER: _ClassVar[int]
    column: ColumnRef
    operator: PatternOperator
    pattern: str
    regex: str
    def __init__(self, operator: _Optional[_Union[PatternOperator, str]] = ..., column: _Optional[_Union[ColumnRef, _Mapping]] = ..., pattern: _Optional[str] = ..., regex: _Optional[str] = ...) -> None: ...

class Predicate(_message.Message):
    __slots__ = ["all", "any", "array", "comparison", "constant", "database", "exists", "in_list", "is_null", "jsonb", "negation", "pattern", "spatial"]
    ALL_FIELD_NUMBER: _ClassVar[int]
    ANY_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    CONSTANT_FIELD_NUMBER: _ClassVar[int]
    DATABASE_FIELD_NUMBER: _ClassVar[int]
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    IN_LIST_FIELD_NUMBER: _ClassVar[int]
    IS_NULL_FIELD_NUMBER: _ClassVar[int]
    JSONB_FIELD_NUMBER: _ClassVar[int]
    NEGATION_FIELD_NUMBER: _ClassVar[int]
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    SPATIAL_FIELD_NUMBER: _ClassVar[int]
    all: PredicateList
    any: PredicateList
    array: ArrayPredicate
    comparison: Comparison
    constant: bool
    database: DatabasePredicate
    exists: ExistsPredicate
    in_list: InList
    is_null: ColumnRef
    jsonb: JsonbPredicate
    negation: Predicate
    pattern: PatternMatch
    spatial: SpatialPredicate
    def __init__(self, constant: bool = ..., all: _Optional[_Union[PredicateList, _Mapping]] = ..., any: _Optional[_Union[PredicateList, _Mapping]] = ..., negation: _Optional[_Union[Predicate, _Mapping]] = ..., comparison: _Optional[_Union[Comparison, _Mapping]] = ..., is_null: _Optional[_Union[ColumnRef, _Mapping]] = ..., in_list: _Optional[_Union[InList, _Mapping]] = ..., pattern: _Optional[_Union[PatternMatch, _Mapping]] = ..., jsonb: _Optional[_Union[JsonbPredicate, _Mapping]] = ..., exists: _Optional[_Union[ExistsPredicate, _Mapping]] = ..., array: _Optional[_Union[ArrayPredicate, _Mapping]] = ..., spatial: _Optional[_Union[SpatialPredicate, _Mapping]] = ..., database: _Optional[_Union[DatabasePredicate, _Mapping]] = ...) -> None: ...

class PredicateList(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Predicate]
    def __init__(self, items: _Optional[_Iterable[_Union[Predicate, _Mapping]]] = ...) -> None: ...

class Principal(_message.Message):
    __slots__ = ["role", "session_variables", "use_backend_only_permissions"]
    class SessionVariablesEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SESSION_VARIABLES_FIELD_NUMBER: _ClassVar[int]
    USE_BACKEND_ONLY_PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    role: str
    session_variables: _containers.ScalarMap[str, str]
    use_backend_only_permissions: bool
    def __init__(self, role: _Optional[str] = ..., session_variables: _Optional[_Mapping[str, str]] = ..., use_backend_only_permissions: bool = ...) -> None: ...

class RemotePreset(_message.Message):
    __slots__ = ["argument", "field", "path", "session_variables", "value"]
    ARGUMENT_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    SESSION_VARIABLES_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    argument: str
    field: str
    path: str
    session_variables: _containers.RepeatedScalarFieldContainer[str]
    value: _struct_pb2.Value
    def __init__(self, path: _Optional[str] = ..., field: _Optional[str] = ..., argument: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., session_variables: _Optional[_Iterable[str]] = ...) -> None: ...

class RootFieldDecision(_message.Message):
    __slots__ = ["decision", "kind", "name", "namespace", "reason", "remote_presets", "remote_schema", "response_key", "session_variables", "table"]
    class SessionVariablesEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DECISION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REMOTE_PRESETS_FIELD_NUMBER: _ClassVar[int]
    REMOTE_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_KEY_FIELD_NUMBER: _ClassVar[int]
    SESSION_VARIABLES_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    decision: OperationDecision
    kind: RootFieldKind
    name: str
    namespace: str
    reason: str
    remote_presets: _containers.RepeatedCompositeFieldContainer[RemotePreset]
    remote_schema: str
    response_key: str
    session_variables: _containers.ScalarMap[str, str]
    table: TableRootField
    def __init__(self, response_key: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[RootFieldKind, str]] = ..., decision: _Optional[_Union[OperationDecision, str]] = ..., reason: _Optional[str] = ..., session_variables: _Optional[_Mapping[str, str]] = ..., remote_schema: _Optional[str] = ..., remote_presets: _Optional[_Iterable[_Union[RemotePreset, _Mapping]]] = ..., namespace: _Optional[str] = ..., table: _Optional[_Union[TableRootField, _Mapping]] = ...) -> None: ...

class Row(_message.Message):
    __slots__ = ["id", "json_nulls", "new_values", "new_values_json", "values", "values_json"]
    class NewValuesJsonEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class ValuesJsonEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    JSON_NULLS_FIELD_NUMBER: _ClassVar[int]
    NEW_VALUES_FIELD_NUMBER: _ClassVar[int]
    NEW_VALUES_JSON_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    VALUES_JSON_FIELD_NUMBER: _ClassVar[int]
    id: str
    json_nulls: _containers.RepeatedScalarFieldContainer[str]
    new_values: _struct_pb2.Struct
    new_values_json: _containers.ScalarMap[str, str]
    values: _struct_pb2.Struct
    values_json: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[str] = ..., values: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., new_values: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., json_nulls: _Optional[_Iterable[str]] = ..., values_json: _Optional[_Mapping[str, str]] = ..., new_values_json: _Optional[_Mapping[str, str]] = ...) -> None: ...

class RowDecision(_message.Message):
    __slots__ = ["allowed_columns", "check_residual", "decision", "denied_columns", "explanation", "id", "missing_data", "reason", "residual"]
    ALLOWED_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    CHECK_RESIDUAL_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    DENIED_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MISSING_DATA_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RESIDUAL_FIELD_NUMBER: _ClassVar[int]
    allowed_columns: _containers.RepeatedScalarFieldContainer[str]
    check_residual: Predicate
    decision: Decision
    denied_columns: _containers.RepeatedScalarFieldContainer[str]
    explanation: Explanation
    id: str
    missing_data: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    residual: Predicate
    def __init__(self, id: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., reason: _Optional[str] = ..., allowed_columns: _Optional[_Iterable[str]] = ..., denied_columns: _Optional[_Iterable[str]] = ..., missing_data: _Optional[_Iterable[str]] = ..., residual: _Optional[_Union[Predicate, _Mapping]] = ..., check_residual: _Optional[_Union[Predicate, _Mapping]] = ..., explanation: _Optional[_Union[Explanation, _Mapping]] = ...) -> None: ...

class SpatialPredicate(_message.Message):
    __slots__ = ["cast", "column", "distance", "geography", "geometry", "operator", "use_spheroid"]
    CAST_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_FIELD_NUMBER: _ClassVar[int]
    GEOGRAPHY_FIELD_NUMBER: _ClassVar[int]
    GEOMETRY_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    USE_SPHEROID_FIELD_NUMBER: _ClassVar[int]
    cast: str
    column: ColumnRef
    distance: float
    geography: bool
    geometry: _struct_pb2.Value
    operator: SpatialOperator
    use_spheroid: bool
    def __init__(self, operator: _Optional[_Union[SpatialOperator, str]] = ..., column: _Optional[_Union[ColumnRef, _Mapping]] = ..., geometry: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., distance: _Optional[float] = ..., use_spheroid: bool = ..., geography: bool = ..., cast: _Optional[str] = ...) -> None: ...

class SqlArray(_message.Message):
    __slots__ = ["elements"]
    ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    elements: _containers.RepeatedCompositeFieldContainer[SqlParameter]
    def __init__(self, elements: _Optional[_Iterable[_Union[SqlParameter, _Mapping]]] = ...) -> None: ...

class SqlFilter(_message.Message):
    __slots__ = ["check", "dialect", "where"]
    CHECK_FIELD_NUMBER: _ClassVar[int]
    DIALECT_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    check: SqlFragment
    dialect: SqlDialect
    where: SqlFragment
    def __init__(self, dialect: _Optional[_Union[SqlDialect, str]] = ..., where: _Optional[_Union[SqlFragment, _Mapping]] = ..., check: _Optional[_Union[SqlFragment, _Mapping]] = ...) -> None: ...

class SqlFragment(_message.Message):
    __slots__ = ["parameters", "sql"]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    SQL_FIELD_NUMBER: _ClassVar[int]
    parameters: _containers.RepeatedCompositeFieldContainer[SqlParameter]
    sql: str
    def __init__(self, sql: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[SqlParameter, _Mapping]]] = ...) -> None: ...

class SqlOptions(_message.Message):
    __slots__ = ["dialect", "first_placeholder", "table_alias"]
    DIALECT_FIELD_NUMBER: _ClassVar[int]
    FIRST_PLACEHOLDER_FIELD_NUMBER: _ClassVar[int]
    TABLE_ALIAS_FIELD_NUMBER: _ClassVar[int]
    dialect: SqlDialect
    first_placeholder: int
    table_alias: str
    def __init__(self, dialect: _Optional[_Union[SqlDialect, str]] = ..., table_alias: _Optional[str] = ..., first_placeholder: _Optional[int] = ...) -> None: ...

class SqlParameter(_message.Message):
    __slots__ = ["array", "boolean", "integer", "real", "text"]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    BOOLEAN_FIELD_NUMBER: _ClassVar[int]
    INTEGER_FIELD_NUMBER: _ClassVar[int]
    REAL_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    array: SqlArray
    boolean: bool
    integer: int
    real: float
    text: str
    def __init__(self, text: _Optional[str] = ..., integer: _Optional[int] = ..., boolean: bool = ..., real: _Optional[float] = ..., array: _Optional[_Union[SqlArray, _Mapping]] = ...) -> None: ...

class TableRootField(_message.Message):
    __slots__ = ["kind", "selections", "table"]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SELECTIONS_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    selections: _containers.RepeatedCompositeFieldContainer[TableSelection]
    table: str
    def __init__(self, table: _Optional[str] = ..., kind: _Optional[str] = ..., selections: _Optional[_Iterable[_Union[TableSelection, _Mapping]]] = ...) -> None: ...

class TableRows(_message.Message):
    __slots__ = ["json_nulls", "rows", "table"]
    JSON_NULLS_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    json_nulls: _containers.RepeatedScalarFieldContainer[str]
    rows: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    table: str
    def __init__(self, table: _Optional[str] = ..., rows: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., json_nulls: _Optional[_Iterable[str]] = ...) -> None: ...

class TableSelection(_message.Message):
    __slots__ = ["aggregate", "columns", "computed_fields", "filter", "operation", "path", "relationship", "table"]
    AGGREGATE_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    RELATIONSHIP_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    aggregate: bool
    columns: _containers.RepeatedScalarFieldContainer[str]
    computed_fields: _containers.RepeatedScalarFieldContainer[str]
    filter: FilterResponse
    operation: Operation
    path: str
    relationship: str
    table: str
    def __init__(self, path: _Optional[str] = ..., table: _Optional[str] = ..., operation: _Optional[_Union[Operation, str]] = ..., relationship: _Optional[str] = ..., columns: _Optional[_Iterable[str]] = ..., aggregate: bool = ..., filter: _Optional[_Union[FilterResponse, _Mapping]] = ..., computed_fields: _Optional[_Iterable[str]] = ...) -> None: ...

class Operation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ExplainOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class SqlDialect(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class FilterKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ColumnKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ComparisonOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ClockWord(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class PatternOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class JsonbOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ArrayOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class SpatialOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class OperationDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class RootFieldKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
