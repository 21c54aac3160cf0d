// Package model is the typed, validated form of a policy set: tables with
// their columns, keys and relationships, and Hasura permissions per role and
// operation with their boolean expressions parsed into an AST.
//
// A *Policy is built by package load and is immutable afterwards: the
// compiler and the engine only read it.
package model

import (
	"fmt"
	"sort"
	"strings"
)

// AdminRole is the built-in role that may do everything on every table.
const AdminRole = "admin"

// TableName identifies a table. Schema defaults to "public".
//
// Source is set only for a table whose schema and name are tracked in
// more than one source of the metadata: there the name alone does not say
// which database's table it is, so the policy keys each by its source as
// well ("source:schema.name"). A name tracked in one source (or none) has
// no Source, as before, whatever the source is called.
type TableName struct {
	Source string
	Schema string
	Name   string
}

// String returns "schema.name", or "source:schema.name" for a name
// qualified by its source.
func (t TableName) String() string {
	qualified := t.Schema + "." + t.Name
	if t.Schema == "" {
		// A data connector's one-part name ([Album]).
		qualified = t.Name
	}
	if t.Source != "" {
		return t.Source + ":" + qualified
	}
	return qualified
}

// Unqualified returns the name without its source.
func (t TableName) Unqualified() TableName { return TableName{Schema: t.Schema, Name: t.Name} }

// In returns the name qualified by source.
func (t TableName) In(source string) TableName {
	return TableName{Source: source, Schema: t.Schema, Name: t.Name}
}

// ParseTableName parses "schema.name" or "name" (schema public), each
// optionally prefixed by a source and a colon ("source:schema.name"), the
// form that names a table tracked in several sources. A colon after the
// first dot belongs to the name.
func ParseTableName(s string) (TableName, error) {
	if s == "" {
		return TableName{}, fmt.Errorf("empty table name")
	}
	var source string
	if src, rest, ok := strings.Cut(s, ":"); ok && !strings.Contains(src, ".") {
		if src == "" || rest == "" {
			return TableName{}, fmt.Errorf("table name %q is not of the form source:schema.name", s)
		}
		source, s = src, rest
	}
	schema, name, ok := strings.Cut(s, ".")
	if !ok {
		return TableName{Source: source, Schema: "public", Name: s}, nil
	}
	if schema == "" || name == "" || strings.Contains(name, ".") {
		return TableName{}, fmt.Errorf("table name %q is not of the form schema.name", s)
	}
	return TableName{Source: source, Schema: schema, Name: name}, nil
}

// Less orders table names by schema, name, then source.
func (t TableName) Less(o TableName) bool {
	if t.Schema != o.Schema {
		return t.Schema < o.Schema
	}
	if t.Name != o.Name {
		return t.Name < o.Name
	}
	return t.Source < o.Source
}

// Operation is one of the four Hasura permission kinds.
type Operation int

// The operations, in Hasura's order.
const (
	OpSelect Operation = iota + 1
	OpInsert
	OpUpdate
	OpDelete
)

// Operations lists every operation in order.
var Operations = []Operation{OpSelect, OpInsert, OpUpdate, OpDelete}

// String returns "select", "insert", "update" or "delete".
func (o Operation) String() string {
	switch o {
	case OpSelect:
		return "select"
	case OpInsert:
		return "insert"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	}
	return fmt.Sprintf("operation(%d)", int(o))
}

// ParseOperation parses an operation name.
func ParseOperation(s string) (Operation, error) {
	for _, o := range Operations {
		if strings.EqualFold(s, o.String()) {
			return o, nil
		}
	}
	return 0, fmt.Errorf("unknown operation %q (want select, insert, update or delete)", s)
}

// Policy is a whole loaded policy set.
type Policy struct {
	// Tables by name.
	Tables map[TableName]*Table
	// InheritedRoles maps an inherited role to its parents (role_set), as
	// declared. Resolution into per-table permissions is done by load: the
	// Permissions of each table already hold the inherited roles' permissions
	// (see Permission.Inherited).
	InheritedRoles map[string][]string
	// Roles is every role named anywhere (permissions and inherited roles),
	// sorted, without "admin".
	Roles []string
	// Source says where the set was loaded from, for status.
	Source string
	// Revision is a content hash of every input file (hex, 16 chars).
	Revision string
	// Inconsistent lists the objects left out as inconsistent, in the order
	// of the metadata. Empty when the set was loaded strictly.
	Inconsistent []*Inconsistency
	// InconsistentTables holds the tracked tables left out (missing from the
	// schema, or in a source of a kind Warden cannot decide): requests on
	// them are refused naming the reason, not answered "unknown table".
	InconsistentTables map[TableName]*Inconsistency
	// Ambiguous maps a table name tracked in several sources (without a
	// Source) to those sources, sorted: the policy has the tables only
	// under their qualified names, and a request must say which it means.
	Ambiguous map[TableName][]string
	// Notes say which parts of the metadata were deliberately not read, and
	// why (actions, remote schemas, ...: not table permissions).
	Notes []string
	// GraphQL holds actions, query collections and the allow list.
	GraphQL GraphQLMetadata
}

// Table returns a table by name.
func (p *Policy) Table(name TableName) (*Table, bool) {
	t, ok := p.Tables[name]
	return t, ok
}

// Resolve returns the name under which the policy has the table a request
// calls name, for a request on a table of source from ("" for the table of
// the request itself): a name several sources track, given without its
// source, is from's table (relationships and _exists stay in their
// source); a name given with its source that only that source tracks is
// the plain name. Any other name is returned as it is (Tables and
// Ambiguous then say whether it is unknown or ambiguous).
func (p *Policy) Resolve(name TableName, from string) TableName {
	if name.Source == "" {
		if from != "" && p.Ambiguous[name] != nil {
			return name.In(from)
		}
		return name
	}
	if _, ok := p.Tables[name]; !ok {
		plain := name.Unqualified()
		if t, ok := p.Tables[plain]; ok && t.Source == name.Source {
			return plain
		}
		if i := p.InconsistentTables[plain]; i != nil && p.Ambiguous[plain] == nil {
			return plain
		}
	}
	return name
}

// SortedTables returns the tables sorted by name.
func (p *Policy) SortedTables() []*Table {
	out := make([]*Table, 0, len(p.Tables))
	for _, t := range p.Tables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name.Less(out[j].Name) })
	return out
}

// Table is one table with its schema and permissions.
type Table struct {
	Name TableName
	// Columns in declaration order.
	Columns []*Column
	// PrimaryKey column names.
	PrimaryKey []string
	// ForeignKeys declared in the schema.
	ForeignKeys []ForeignKey
	// Relationships by name (object and array), from the metadata.
	Relationships map[string]*Relationship
	// Computed holds the table's scalar computed fields as pseudo-columns
	// (Column.Computed set), by name; Field finds them, Column does not.
	Computed map[string]*Column
	// Permissions by operation, then role. Inherited roles are resolved.
	Permissions map[Operation]map[string]*Permission
	// Inconsistent holds the permissions left out as inconsistent, by
	// operation then role: a request for one is refused naming it, never
	// decided as if the role had no permission.
	Inconsistent map[Operation]map[string]*Inconsistency
	// Source is the name of the metadata source (database) the table is
	// tracked in; SourceKind its kind (postgres, citus, cockroach, ...).
	// Empty for tables of the schema that no source tracks.
	Source     string
	SourceKind string
	// GraphQL is the table configuration's GraphQL names; nil when it has
	// none.
	GraphQL *TableGraphQL

	columnIndex map[string]*Column
}

// Column returns a column by name: from the index IndexColumns builds, or
// by a scan of a table that has none (never writing, so that tables are
// safe to read concurrently).
func (t *Table) Column(name string) (*Column, bool) {
	if t.columnIndex == nil {
		for _, c := range t.Columns {
			if c.Name == name {
				return c, true
			}
		}
		return nil, false
	}
	c, ok := t.columnIndex[name]
	return c, ok
}

// Field returns a column or, failing that, a scalar computed field by
// name: what a rule may read of a row.
func (t *Table) Field(name string) (*Column, bool) {
	if c, ok := t.Column(name); ok {
		return c, true
	}
	c, ok := t.Computed[name]
	return c, ok
}

// IndexColumns builds the column index; call once after Columns is final
// (load does) so that Column is safe for concurrent use.
func (t *Table) IndexColumns() {
	t.columnIndex = make(map[string]*Column, len(t.Columns))
	for _, c := range t.Columns {
		t.columnIndex[c.Name] = c
	}
}

// ColumnNames returns the column names in declaration order.
func (t *Table) ColumnNames() []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out
}

// Permission returns the permission of a role for an operation.
func (t *Table) Permission(op Operation, role string) (*Permission, bool) {
	p, ok := t.Permissions[op][role]
	return p, ok
}

// Column is one column of a table, or a scalar computed field of it.
type Column struct {
	Name     string
	Type     Type
	Nullable bool
	// Computed is set for a computed field: the value is its function's
	// result for the row, not a stored column (always nullable).
	Computed *ComputedField
}

// ComputedField is Hasura's computed field: a SQL function of the row (and
// optionally of the session, as json) that rules may read like a column.
type ComputedField struct {
	// Name is the field's name in rules.
	Name string
	// Function is the SQL function, schema-qualified.
	Function TableName
	// TableArgument names the argument the row is passed as; "" is the
	// first argument.
	TableArgument string
	// SessionArgument names the argument the session variables are passed
	// as (a json object); "" means the function takes no session.
	SessionArgument string
}

// Type is a column type.
type Type struct {
	// Declared is the type as written in the schema, e.g. "varchar(255)".
	Declared string
	// Base is the base type of a domain ("citext" for auth.email), as
	// written in the schema; the domain is decided as its base type. ""
	// for a type that is not a domain.
	Base string
	// Kind is the family the type belongs to, which decides coercion and the
	// operators that apply.
	Kind Kind
	// Bits is the width of an integer type: 16 (smallint), 32 (integer) or
	// 64 (bigint); 0 means 64. Values outside the range are invalid, as
	// PostgreSQL rejects them.
	Bits int
	// Fold marks citext: comparisons ignore case (the column side is
	// compared lower-cased, comparison values are folded before evaluation,
	// LIKE and regex operators are case-insensitive).
	Fold bool
	// PadSpace marks character(n) (bpchar): trailing spaces are not
	// significant, so values are compared with them trimmed.
	PadSpace bool
	// Length is the n of character(n) (PadSpace): the column holds its
	// values padded with spaces to n characters, which is what PostgreSQL's
	// pattern operators (LIKE, SIMILAR TO, regular expressions) match, and
	// a row value longer than n characters (trailing spaces aside) is
	// invalid. A bare character is character(1); bpchar without a length
	// has 0: no padding and no limit.
	Length int
	// JSON marks a json (not jsonb) column: PostgreSQL has no equality,
	// containment or key operators on json, so only _is_null applies.
	JSON bool
	// Enum is set on a column of a PostgreSQL enum type (or of a domain
	// over one), of Kind text: its values are the enum's labels, compared
	// as text, and anything else is invalid.
	Enum *Enum
	// Canon is set on a column of a type Warden compares by a canonical
	// text (CanonTime, CanonBytea, CanonInet, CanonCidr, CanonArray,
	// CanonLtree, CanonInterval, CanonTimetz, CanonMoney), of
	// Kind text: its values are that text, equal exactly when PostgreSQL
	// finds the values equal; ordering applies where the text sorts as
	// the values do (CanonOrdered).
	Canon string
	// Elem is the element type of an array (Canon "array").
	Elem *Type
	// Cast is the PostgreSQL type of a Canon column ("time", "integer[]"),
	// to which Filter's SQL casts the values compared with it.
	Cast string
	// Spatial is "geometry" or "geography" for a PostGIS column (of Kind
	// opaque): the _st_* operators apply to it, and Warden leaves them to
	// the database.
	Spatial string
}

// The PostGIS types (Type.Spatial).
const (
	SpatialGeometry  = "geometry"
	SpatialGeography = "geography"
)

// Enum is a PostgreSQL enum type.
type Enum struct {
	// Schema is the type's schema; "" when the schema file names the type
	// without one (PostgreSQL then finds it by the search_path).
	Schema string
	// Name is the type's name, as PostgreSQL spells it (case kept).
	Name string
	// Labels in the type's sort order (pg_enum.enumsortorder), which is
	// the order PostgreSQL compares its values in.
	Labels []string
}

// String returns "schema.name", or "name" without a schema.
func (e *Enum) String() string {
	if e.Schema == "" {
		return e.Name
	}
	return e.Schema + "." + e.Name
}

// Side returns the labels that stand in the ordering op (OpGt, OpLt, OpGte
// or OpLte) to label, in the type's order: for OpGt those after it. A
// label that is not the type's has none.
func (e *Enum) Side(op Operator, label string) []string {
	at := e.Index(label)
	out := []string{}
	if at < 0 {
		return out
	}
	for i, l := range e.Labels {
		if op == OpGt && i > at || op == OpGte && i >= at || op == OpLt && i < at || op == OpLte && i <= at {
			out = append(out, l)
		}
	}
	return out
}

// Index returns the position of a label in the type's order, or -1.
func (e *Enum) Index(label string) int {
	for i, l := range e.Labels {
		if l == label {
			return i
		}
	}
	return -1
}

// Kind is a family of column types that share a JSON representation and the
// set of operators that apply.
type Kind int

// The kinds.
const (
	KindUnknown Kind = iota
	// KindInteger: smallint, integer, bigint (and serial forms). JSON number.
	KindInteger
	// KindNumeric: numeric, decimal, real, double precision. JSON number.
	KindNumeric
	// KindText: text, varchar, char, citext, name. JSON string.
	KindText
	// KindBoolean: boolean. JSON bool.
	KindBoolean
	// KindUUID: uuid. JSON string, lower case canonical form.
	KindUUID
	// KindDate: date. JSON string YYYY-MM-DD.
	KindDate
	// KindTimestamp: timestamp without time zone. JSON string in the fixed
	// form 2006-01-02T15:04:05.000000 so that string order is time order.
	KindTimestamp
	// KindTimestamptz: timestamp with time zone. JSON string in UTC, fixed
	// form 2006-01-02T15:04:05.000000Z.
	KindTimestamptz
	// KindJSONB: jsonb (and json). Any JSON value.
	KindJSONB
	// KindOpaque: a type Warden cannot decide comparisons on (inet,
	// bytea, interval, tsvector, arrays, ...). Any JSON value; only
	// _is_null applies to it.
	KindOpaque
)

// String names the kind as Warden's error messages and Rego do.
func (k Kind) String() string {
	switch k {
	case KindInteger:
		return "integer"
	case KindNumeric:
		return "numeric"
	case KindText:
		return "text"
	case KindBoolean:
		return "boolean"
	case KindUUID:
		return "uuid"
	case KindDate:
		return "date"
	case KindTimestamp:
		return "timestamp"
	case KindTimestamptz:
		return "timestamptz"
	case KindJSONB:
		return "jsonb"
	case KindOpaque:
		return "opaque"
	}
	return "unknown"
}

// ForeignKey is a foreign key constraint declared in the schema.
type ForeignKey struct {
	// Columns of this table.
	Columns []string
	// Table referenced.
	RefTable TableName
	// Columns of the referenced table, in the same order as Columns.
	RefColumns []string
}

// RelKind is object (many-to-one or one-to-one) or array (one-to-many).
type RelKind int

// The relationship kinds.
const (
	RelObject RelKind = iota + 1
	RelArray
)

// String returns "object" or "array".
func (k RelKind) String() string {
	if k == RelObject {
		return "object"
	}
	return "array"
}

// Relationship is a named relationship from one table to another, resolved
// to column pairs.
type Relationship struct {
	Name   string
	Kind   RelKind
	Target TableName
	// Mapping pairs a column of this table with a column of the target.
	Mapping []ColumnPair
	// Function, for a set-returning computed field (SETOF Target), is the
	// function whose result for the row are the related rows; Mapping is
	// empty then.
	Function *ComputedField
}

// ColumnPair is one column of the source table joined to one of the target.
type ColumnPair struct {
	Local  string
	Remote string
}

// Permission is one role's permission for one operation on one table.
type Permission struct {
	Role string
	Op   Operation
	// Columns the role may read (select) or write (insert, update), sorted.
	// Empty for delete.
	Columns []string
	// Filter is the row filter (select, update, delete); nil for insert.
	Filter BoolExp
	// Check is the check on the proposed row (insert) or the new row
	// (update); nil for select and delete. For update an absent check is
	// True{}.
	Check BoolExp
	// Set holds presets by column (insert, update).
	Set map[string]Value
	// ComputedFields a select permission lets the role read (Hasura's
	// computed_fields), sorted.
	ComputedFields []string
	// Limit is the select row limit; nil means none.
	Limit *int
	// AllowAggregations is the select aggregation flag.
	AllowAggregations bool
	// QueryRootFields and SubscriptionRootFields are a select
	// permission's query_root_fields and subscription_root_fields: the
	// root fields (select, select_by_pk, select_aggregate, select_stream)
	// the role has on each root. nil means all of them; an empty non-nil
	// map none (the table only through relationships).
	QueryRootFields, SubscriptionRootFields map[string]bool
	// BackendOnly: the permission applies only to trusted callers that ask
	// for backend-only permissions.
	BackendOnly bool
	// Inherited is set for a permission derived from an inherited role's
	// parents; it lists the parents whose permissions were combined.
	Inherited []string
	// ColumnConditions is set for inherited select permissions: a column
	// granted by only some parents maps to the OR of the granting parents'
	// filters (Hasura's column nullification). Columns granted by every
	// contributing parent are absent.
	ColumnConditions map[string]BoolExp
	// Source locates the permission in the metadata.
	Source Source
}

// Source locates something in the input files.
type Source struct {
	// File relative to the policy directory.
	File string
	// Path inside the file, e.g. "select_permissions[role=user].permission.filter".
	Path string
}

// String returns "file: path".
func (s Source) String() string {
	switch {
	case s.File == "":
		return s.Path
	case s.Path == "":
		return s.File
	}
	return s.File + ": " + s.Path
}

// Inconsistency is an object of the metadata that was left out of the policy
// set because it is not consistent (a permission whose rule names an unknown
// column, a relationship over mismatched columns, a tracked table missing
// from the schema, a table of a source Warden cannot decide, ...). Hasura
// reports such objects and serves the rest; so does Warden, and a request
// that needs one is refused naming it, never decided without it.
type Inconsistency struct {
	// Kind is "table", "relationship", "computed field", "permission",
	// "inherited role", "remote schema" or "remote schema permission".
	Kind string
	// Table the object belongs to (for every kind but "inherited role").
	Table TableName
	// Name is the relationship's name, or the role of a permission or an
	// inherited role.
	Name string
	// Op is the operation of a permission.
	Op Operation
	// RemoteSchema names the remote schema of kinds "remote schema" and
	// "remote schema permission" (Name is then the permission's role).
	RemoteSchema string
	// Source locates the object in the metadata.
	Source Source
	// Reasons say what is wrong, each "file:line: path: message".
	Reasons []string
}

// String describes the object, e.g. "select permission of role user on
// public.articles".
func (i *Inconsistency) String() string {
	switch i.Kind {
	case "table":
		return "table " + i.Table.String()
	case "relationship":
		return fmt.Sprintf("relationship %s of %s", i.Name, i.Table)
	case "computed field":
		return fmt.Sprintf("computed field %s of %s", i.Name, i.Table)
	case "permission":
		return fmt.Sprintf("%s permission of role %s on %s", i.Op, i.Name, i.Table)
	case "inherited role":
		return "inherited role " + i.Name
	case "remote schema":
		return "remote schema " + i.RemoteSchema
	case "remote schema permission":
		return fmt.Sprintf("permission of role %s on remote schema %s", i.Name, i.RemoteSchema)
	}
	return i.Kind + " " + i.Name
}

// Joinable says whether a relationship may join columns of kinds a and b
// that differ: PostgreSQL compares them (and Hasura does not check a
// manual relationship's column types): integer with numeric, and date,
// timestamp and timestamptz with each other. Their SQL join is PostgreSQL's
// and MySQL's comparison; SQLite, where Warden keeps times as text, cannot
// join times of different kinds (sqlgen reports it).
func Joinable(a, b Kind) bool {
	num := func(k Kind) bool { return k == KindInteger || k == KindNumeric }
	tm := func(k Kind) bool { return k == KindDate || k == KindTimestamp || k == KindTimestamptz }
	return num(a) && num(b) || tm(a) && tm(b)
}
