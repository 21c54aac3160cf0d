// Package residual is the row predicate that remains of a permission when
// the row is unknown: the result of OPA's partial evaluation of the compiled
// Rego, translated into a small typed tree that SQL renderers and API
// encoders walk.
//
// A tree comes in two states. A template, built once per (table, operation,
// role) when the policy set loads, holds Param operands where the rule reads
// session variables; Bind replaces them with the request's values. A bound
// tree holds only Column and Value operands.
//
// Every node is two-valued, as Rego is: a comparison holds only when its
// operands are not NULL and compare as the operator says; Not holds exactly
// when its item does not hold. Renderers into SQL's three-valued logic must
// keep that meaning (see package sqlgen).
package residual

import (
	"github.com/wardenpdp/warden/policy/model"
)

// Expr is a node of a predicate: True, False, And, Or, Not, Compare,
// IsNull, In, Match, JSONB, Array or Exists; and, in templates only, Empty.
type Expr interface{ expr() }

// True holds for every row.
type True struct{}

// False holds for no row.
type False struct{}

// And holds when every item holds (at least two items after Simplify).
type And struct{ Items []Expr }

// Or holds when some item holds (at least two items after Simplify).
type Or struct{ Items []Expr }

// Not holds when Item does not hold.
type Not struct{ Item Expr }

// Compare compares two operands; Left is always a Column. It holds only
// when both operands are not NULL.
type Compare struct {
	Op    CmpOp
	Left  Column
	Right Operand
}

// IsNull holds when the column is NULL.
type IsNull struct{ Column Column }

// In holds when the column is not NULL and equals an element of List, a
// Value holding a []any or an array Param. An empty list never holds.
type In struct {
	Column Column
	List   Operand
}

// Empty holds when List, an array Param, is bound to an empty list, or a
// text Param (an opaque column's list, which the database reads) to
// PostgreSQL's empty array literal (model.PGArrayEmpty). It appears in
// templates only: Bind replaces it with True or False, so a bound tree
// never holds one. It makes Hasura's _nin over an array session
// variable, NOT (c = ANY(list)), which holds for every row when the list
// is empty (a NULL c included): Or{Empty{list}, And{Not{IsNull c},
// Not{In{c, list}}}}, with Not{Database{_in ...}} for an opaque c.
type Empty struct{ List Operand }

// Match is a text pattern operator (_like, _ilike, _similar, _regex,
// _iregex; negative operators arrive as Not of their positive twin). It
// holds when the column is not NULL and Regex, a Go (RE2) regular
// expression, matches it: the regular expression the Rego evaluates, and
// what renderers must reproduce. Pattern is the operator's own pattern as
// the rule states it, for display.
type Match struct {
	// Op is the positive pattern operator (model.OpLike, OpIlike,
	// OpSimilar, OpRegex or OpIregex).
	Op     model.Operator
	Column Column
	// Pattern is a Value holding the pattern text, or, in a template, a
	// Param.
	Pattern Operand
	// Regex is the compiled form of Pattern; empty in a template when
	// Pattern is a Param.
	Regex string
}

// JSONB is a jsonb operator on a column: Op is one of model.OpContains
// (column @> value), OpContained (column <@ value), OpHasKey, OpHasKeysAny,
// OpHasKeysAll. Value is a JSON value, a text key, or a list of text keys.
type JSONB struct {
	Op     model.Operator
	Column Column
	Value  Operand
}

// Array is PostgreSQL's array containment on a column of an array type
// (model.Type.Canon "array"): Op is model.OpContains (column @> value:
// every element of value equals some element of the column) or
// model.OpContained (column <@ value). Elements are compared at any
// depth, dimensions ignored; a NULL element equals nothing. The column's
// value and Value are arrays in canonical text ({1,2,NULL}).
type Array struct {
	Op     model.Operator
	Column Column
	Value  Operand
}

// Spatial is a PostGIS predicate (Hasura's _st_* operator Op) on a
// geometry or geography column (Geography set): Value is a GeoJSON
// geometry (a JSON object), or for the _d_within operators {distance,
// from, use_spheroid}; in a template, a Param holding GeoJSON. Warden
// does not evaluate it (Eval takes it for false; Check answers NEEDS_DATA
// before it would be evaluated); a renderer leaves it to PostGIS. It
// holds only when the column is not NULL. Cast, when set, is Hasura's
// _cast: the column is cast to that PostGIS type ("geography" for a
// geometry column, "geometry" for a geography one) before Op applies, and
// Geography says the type Op sees (the cast's).
type Spatial struct {
	Op        model.Operator
	Column    Column
	Value     Operand
	Geography bool
	Cast      string
}

// Database is an operator Warden leaves to the database
// (model.DatabaseDecided, PostGIS aside): ltree's _matches,
// _matches_fulltext, _matches_any, _ancestor_any, _descendant_any, and
// _gt _lt _gte _lte on ltree and array columns, Hasura's generic
// comparisons on opaque columns. Value is the text PostgreSQL reads as
// Type (an array as its {...} literal); in a template, a Param. A
// renderer writes Column Symbol Value::Type.
//
// For a column comparison (model.DatabaseColumns: _ceq _cneq on opaque
// columns, _cgt _clt _cgte _clte on those and on ltree and arrays),
// Value is the other Column instead (Root for the permission's root row
// inside an Exists, as a Compare's), Type names both columns' type, and
// a renderer writes Column Symbol Value, with no cast.
//
// Warden does not evaluate it (Eval takes it for false; Check answers
// NEEDS_DATA before it would be evaluated). It holds only when the
// column (and a column Value) is not NULL.
type Database struct {
	Op     model.Operator
	Column Column
	Value  Operand
	Symbol string
	Type   string
	// Cast is the type the column is cast to before the operator applies
	// (Hasura's _cast of a jsonb column to text, model.CastText; the
	// operators model.JSONBText): a renderer writes (Column)::Cast. ""
	// for none.
	Cast string
}

// Exists holds when some row of Table satisfies On and Where. For a
// relationship, On pairs a column of the current row (Local) with a column
// of Table (Remote); for _exists, On is empty and Relationship is "".
// Inside Where, Column operands without Root refer to Table's row.
type Exists struct {
	Table        model.TableName
	Relationship string
	On           []model.ColumnPair
	// Function, for a set-returning computed field, is the function whose
	// rows for the current row are the related rows (On is empty).
	Function *model.ComputedField
	Where    Expr
}

func (True) expr()     {}
func (False) expr()    {}
func (And) expr()      {}
func (Or) expr()       {}
func (Not) expr()      {}
func (Compare) expr()  {}
func (IsNull) expr()   {}
func (In) expr()       {}
func (Empty) expr()    {}
func (Match) expr()    {}
func (JSONB) expr()    {}
func (Array) expr()    {}
func (Spatial) expr()  {}
func (Database) expr() {}
func (Exists) expr()   {}

// CmpOp is a comparison operator.
type CmpOp int

// The comparison operators.
const (
	Eq CmpOp = iota + 1
	Neq
	Lt
	Lte
	Gt
	Gte
)

// String returns the SQL spelling: "=", "<>", "<", "<=", ">", ">=".
func (o CmpOp) String() string {
	switch o {
	case Eq:
		return "="
	case Neq:
		return "<>"
	case Lt:
		return "<"
	case Lte:
		return "<="
	case Gt:
		return ">"
	case Gte:
		return ">="
	}
	return "?"
}

// Flip returns the operator with its operands swapped (a < b is b > a).
func (o CmpOp) Flip() CmpOp {
	switch o {
	case Lt:
		return Gt
	case Lte:
		return Gte
	case Gt:
		return Lt
	case Gte:
		return Lte
	}
	return o
}

// Negate returns the operator that holds exactly when o does not, for
// non-NULL operands.
func (o CmpOp) Negate() CmpOp {
	switch o {
	case Eq:
		return Neq
	case Neq:
		return Eq
	case Lt:
		return Gte
	case Lte:
		return Gt
	case Gt:
		return Lte
	case Gte:
		return Lt
	}
	return o
}

// Operand is a Column, a Value or a Param.
type Operand interface{ operand() }

// Column is a column of the current row (the root table's, or inside an
// Exists the row of its table). Root says it is a column of the
// permission's root row even inside an Exists (Hasura's ["$", col]).
//
// Lower says the operand is the column's text lower-cased, as the Rego's
// lower() and Go's strings.ToLower do it: every character mapped on its own
// by Unicode's simple lower-case mapping (unicode.ToLower), nothing else
// changed. Comparisons on citext columns read their column so; the values
// they are compared with are lower-cased already (model.Normalize). Lower
// appears on a Compare's operands and an In's column only, on text columns.
//
// Pad, when positive, says the operand is the column's text padded with
// spaces to Pad characters (code points; a longer text is left as it is),
// as the Rego's bpchar_pad(column, n) does: PostgreSQL's pattern operators
// see a character(n) value so, though comparisons ignore its trailing
// spaces. Pad appears on a Match's column only.
type Column struct {
	Name  string
	Kind  model.Kind
	Root  bool
	Lower bool
	Pad   int
	// Function, for a computed field, is its SQL function ("schema.name"):
	// the operand is that function of the row, read from the row's Name.
	Function string
}

// Value is a constant in the canonical JSON form of Kind (see model.Kind):
// json.Number for numbers, string, bool, any JSON value for jsonb, and []any
// of those for lists.
type Value struct {
	V    any
	Kind model.Kind
}

// Param is a session variable in a template, in the form the rule reads
// it: coerced to Kind, as an array literal of Kind ({1,2,3}), or as the
// pattern of a pattern operator.
type Param struct {
	// Name is the lower-case variable name ("x-hasura-user-id").
	Name string
	Kind model.Kind
	// Array: the value is an array literal, bound as a []any.
	Array bool
	// Pattern is the positive pattern operator when the value is a
	// pattern; bound as the pattern text, its regular expression going to
	// Match.Regex.
	Pattern model.Operator
	// Fold: a text value lower-cased for a citext column; PadSpace: a text
	// value without its trailing spaces, for a character(n) column (see
	// model.Normalize and compile.SessionKind). The same variable compared
	// with a text column is another Param.
	Fold, PadSpace bool
	// Enum names the enum type ("public.leave_status") of the column a
	// text value is compared with: the value is one of its labels.
	Enum string
	// Order is set on a variable an enum column is ordered against
	// (compile.EnumOrderKey): the value is the list (Array) of the enum's
	// labels on that side of the variable's label.
	Order model.Operator
	// Canon names the type of a column compared by canonical text
	// (model.Type.Canon; compile.CanonKey: "integer array", "time"): the
	// value is in that form.
	Canon string
}

func (Column) operand() {}
func (Value) operand()  {}
func (Param) operand()  {}

// emptyList reports whether v, the value of an Empty's list, is empty: a
// []any without elements, or text that is PostgreSQL's empty array.
func emptyList(v any) bool {
	switch l := v.(type) {
	case []any:
		return len(l) == 0
	case string:
		return model.PGArrayEmpty(l)
	}
	return false
}
