package engine

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// Session is the role and session variables of one request, resolved.
type Session struct {
	// Role is the effective role ("admin" bypasses every rule).
	Role string
	// Vars are the session variables, names lower-cased ("x-hasura-user-id").
	Vars map[string]string
	// BackendOnly asks for backend_only permissions; the server sets it only
	// for trusted callers.
	BackendOnly bool
}

// CheckInput asks for a decision on rows.
type CheckInput struct {
	Session Session
	Table   model.TableName
	Op      model.Operation
	Rows    []Row
	// Columns the caller wants to read or write; empty means no requirement.
	Columns []string
	// Tables holds rows of other tables for rules with _exists.
	Tables map[model.TableName][]map[string]any
}

// Row is one row: column name -> JSON value (as decoded from JSON or from a
// protobuf Struct: nil, bool, float64/json.Number/string for numbers,
// string, []any, map[string]any). Related rows nest under relationship names.
type Row struct {
	ID     string
	Values map[string]any
	// New is the row after an update (post-check); nil means Values.
	New map[string]any
	// Fields, when Values is nil, gives the row's values as an Object
	// (and NewFields, when New is nil, the new row's): what a server
	// decodes from the wire without building maps. A row gives each of
	// its values one way, never both.
	Fields, NewFields Object
}

// ValuesMap returns the row's values as a map: Values, or Fields made
// one (a new map, nested objects included).
func (r *Row) ValuesMap() map[string]any {
	if r.Values == nil && r.Fields != nil {
		return r.Fields.Map()
	}
	return r.Values
}

// NewMap is ValuesMap for the new row (nil: none given).
func (r *Row) NewMap() map[string]any {
	if r.New == nil && r.NewFields != nil {
		return r.NewFields.Map()
	}
	return r.New
}

// Object is a JSON object as a list of its fields, each name at most once,
// in no particular order. Its values are those of Row.Values, with an
// object given as an Object or as a map[string]any.
type Object []Field

// Field is one field of an Object.
type Field struct {
	Name  string
	Value any
}

// Get returns the value of the field name.
func (o Object) Get(name string) (any, bool) {
	for i := range o {
		if o[i].Name == name {
			return o[i].Value, true
		}
	}
	return nil, false
}

// Map returns o as a map, its nested Objects as maps too.
func (o Object) Map() map[string]any {
	m := make(map[string]any, len(o))
	for _, f := range o {
		m[f.Name] = PlainValue(f.Value)
	}
	return m
}

// ObjectOf returns m as an Object, the maps nested in it (related rows,
// json values) as Objects too: the inverse of Map, for callers and tests
// that hold maps.
func ObjectOf(m map[string]any) Object {
	o := make(Object, 0, len(m))
	for k, v := range m {
		o = append(o, Field{Name: k, Value: objectValue(v)})
	}
	return o
}

func objectValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return ObjectOf(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = objectValue(e)
		}
		return out
	}
	return v
}

// PlainValue returns v with every Object in it made a map: v itself when
// it holds none.
func PlainValue(v any) any {
	if !holdsObject(v) {
		return v
	}
	switch x := v.(type) {
	case Object:
		return x.Map()
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = PlainValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = PlainValue(e)
		}
		return out
	}
	return v
}

// holdsObject says whether v is or holds an Object.
func holdsObject(v any) bool {
	switch x := v.(type) {
	case Object:
		return true
	case map[string]any:
		for _, e := range x {
			if holdsObject(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if holdsObject(e) {
				return true
			}
		}
	}
	return false
}

// Decision is the outcome for one row.
type Decision int

// The decisions.
const (
	Allow Decision = iota + 1
	Deny
	NeedsData
)

// String returns "ALLOW", "DENY" or "NEEDS_DATA".
func (d Decision) String() string {
	switch d {
	case Allow:
		return "ALLOW"
	case Deny:
		return "DENY"
	case NeedsData:
		return "NEEDS_DATA"
	}
	return "UNSPECIFIED"
}

// RowResult is the decision for one row.
type RowResult struct {
	ID       string
	Decision Decision
	Reason   string
	// AllowedColumns for this row, sorted.
	AllowedColumns []string
	// DeniedColumns are requested columns that are not allowed.
	DeniedColumns []string
	// MissingData for NeedsData: paths such as "published",
	// "author.org_id", "comments[].author_id" or "public.memberships".
	MissingData []string
	// Residual, for NeedsData, is what remains of the filter once the data
	// the request carried is known: a predicate on the missing data. Nil
	// when the filter decided.
	Residual residual.Expr
	// CheckResidual is the same for the check (insert's on the proposed
	// row, update's on the new row).
	CheckResidual residual.Expr
}

// CheckResult answers a CheckInput.
type CheckResult struct {
	Role     string
	Revision string
	Rows     []RowResult
	// Presets by column, session variables substituted and coerced.
	Presets map[string]any
	// Slot is the deciding permission's (nil when none decided: admin,
	// or a role without the permission).
	Slot *Slot
}

// Slot keeps one value a caller derives from a permission, with the
// permission: the server's metric counters of it. A result names its
// permission's Slot, so that the caller finds what it derived without a
// lookup of its own. The value lives as long as the policy set; a caller
// that serves several sets or owners must check that a loaded value is
// its own.
type Slot struct{ v atomic.Pointer[any] }

// Load returns the value stored, or nil (also for a nil Slot).
func (s *Slot) Load() any {
	if s == nil {
		return nil
	}
	if p := s.v.Load(); p != nil {
		return *p
	}
	return nil
}

// Store keeps v (a nil Slot keeps nothing).
func (s *Slot) Store(v any) {
	if s != nil {
		s.v.Store(&v)
	}
}

// String and Equal leave a Slot out of a result's value, which is its
// decisions: every Slot prints as "slot", and any two are equal (go-cmp
// calls Equal).
func (s *Slot) String() string { return "slot" }

// Equal is true: see String.
func (s *Slot) Equal(*Slot) bool { return true }

// ErrUnknownTable is returned (wrapped in *UnknownTableError) for a table the
// policy set does not have.
var ErrUnknownTable = errors.New("unknown table")

// UnknownTableError names the unknown table.
type UnknownTableError struct{ Table model.TableName }

func (e *UnknownTableError) Error() string {
	return fmt.Sprintf("unknown table %s", e.Table)
}

// Unwrap returns ErrUnknownTable.
func (e *UnknownTableError) Unwrap() error { return ErrUnknownTable }

// ErrInconsistent is returned (wrapped in *InconsistentError) for a request
// that needs an object of the metadata that was left out as inconsistent:
// it is refused, never decided without the object.
var ErrInconsistent = errors.New("inconsistent metadata object")

// InconsistentError names the inconsistent object and why it was left out.
type InconsistentError struct{ Object *model.Inconsistency }

func (e *InconsistentError) Error() string {
	msg := fmt.Sprintf("the %s is inconsistent and was left out of the policy set", e.Object)
	if len(e.Object.Reasons) > 0 {
		msg += ": " + e.Object.Reasons[0]
	}
	return msg
}

// Unwrap returns ErrInconsistent.
func (e *InconsistentError) Unwrap() error { return ErrInconsistent }

// ErrAmbiguousTable is returned (wrapped in *AmbiguousTableError) for a
// request that names a table without its source when several sources
// track that name.
var ErrAmbiguousTable = errors.New("ambiguous table")

// AmbiguousTableError names the table and the sources that track it.
type AmbiguousTableError struct {
	Table   model.TableName
	Sources []string
}

func (e *AmbiguousTableError) Error() string {
	return fmt.Sprintf("table %s is tracked in sources %s: name it with its source (%s)",
		e.Table, strings.Join(e.Sources, ", "), e.Table.In(e.Sources[0]))
}

// Unwrap returns ErrAmbiguousTable.
func (e *AmbiguousTableError) Unwrap() error { return ErrAmbiguousTable }

// table returns the table of a request: *InconsistentError for a table left
// out as inconsistent, *AmbiguousTableError for a name several sources
// track given without its source, *UnknownTableError for one the set does
// not have. A name given with its source finds a table that its source
// alone tracks as well (model.Policy.Resolve).
func (s *Set) table(name model.TableName) (*model.Table, error) {
	key := s.policy.Resolve(name, "")
	if i := s.policy.InconsistentTables[key]; i != nil {
		return nil, &InconsistentError{Object: i}
	}
	if t, ok := s.policy.Tables[key]; ok {
		return t, nil
	}
	if srcs := s.policy.Ambiguous[key]; srcs != nil {
		return nil, &AmbiguousTableError{Table: key, Sources: srcs}
	}
	return nil, &UnknownTableError{Table: name}
}

// inSource names the related tables of a request on t as the policy does
// (model.Policy.Resolve: a name several sources track, given without its
// source, is t's source's table). Others stay as given (an unknown one is
// reported by tablesValue). Two names of one table are InvalidValueErrors.
func (s *Set) inSource(t *model.Table, tables map[model.TableName][]map[string]any) (map[model.TableName][]map[string]any, error) {
	rename := false
	for name := range tables {
		if s.policy.Resolve(name, t.Source) != name {
			rename = true
			break
		}
	}
	if !rename {
		return tables, nil
	}
	out := make(map[model.TableName][]map[string]any, len(tables))
	var bad InvalidValueErrors
	for name, rows := range tables {
		to := s.policy.Resolve(name, t.Source)
		if _, dup := out[to]; dup {
			bad = append(bad, &InvalidValueError{Field: "tables[" + name.String() + "]",
				Reason: fmt.Sprintf("table %s is given twice, under two names", to)})
			continue
		}
		out[to] = rows
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return out, nil
}

// inconsistentPermission is *InconsistentError when the permission of the
// session's role for op on t was left out as inconsistent, else nil.
func inconsistentPermission(t *model.Table, op model.Operation, role string) error {
	if i := t.Inconsistent[op][role]; i != nil {
		return &InconsistentError{Object: i}
	}
	return nil
}

// ErrMissingSessionVariables is returned (wrapped in
// *MissingSessionVariablesError) when the rule needs variables the session
// lacks. It is never a deny.
var ErrMissingSessionVariables = errors.New("missing session variables")

// MissingSessionVariablesError lists every missing variable, sorted.
type MissingSessionVariablesError struct{ Names []string }

func (e *MissingSessionVariablesError) Error() string {
	return "missing session variable(s): " + strings.Join(e.Names, ", ")
}

// Unwrap returns ErrMissingSessionVariables.
func (e *MissingSessionVariablesError) Unwrap() error { return ErrMissingSessionVariables }

// ErrInvalidValue is returned (wrapped in *InvalidValueError) when a session
// variable or row value does not parse for its column's type.
var ErrInvalidValue = errors.New("invalid value")

// InvalidValueError says which value did not parse and why.
type InvalidValueError struct {
	// Field is "principal.session_variables[x-hasura-user-id]" or
	// "rows[3].values.author_id".
	Field string
	// Kind is the kind the value should have; KindUnknown when the value is
	// wrong for another reason (an unknown column, a malformed related row).
	Kind   model.Kind
	Reason string
}

func (e *InvalidValueError) Error() string {
	if e.Kind == model.KindUnknown {
		return e.Field + ": " + e.Reason
	}
	return fmt.Sprintf("%s: not a valid %s: %s", e.Field, e.Kind, e.Reason)
}

// Unwrap returns ErrInvalidValue.
func (e *InvalidValueError) Unwrap() error { return ErrInvalidValue }

// InvalidValueErrors is several InvalidValueError at once.
type InvalidValueErrors []*InvalidValueError

func (e InvalidValueErrors) Error() string {
	msgs := make([]string, len(e))
	for i, x := range e {
		msgs[i] = x.Error()
	}
	sort.Strings(msgs)
	return strings.Join(msgs, "; ")
}

// Unwrap returns the individual errors.
func (e InvalidValueErrors) Unwrap() []error {
	out := make([]error, len(e))
	for i, x := range e {
		out[i] = x
	}
	return out
}

// ErrUnknownColumns is returned (wrapped in *UnknownColumnsError) when a
// request names columns the table does not have.
var ErrUnknownColumns = errors.New("unknown columns")

// UnknownColumnsError lists the unknown columns, sorted.
type UnknownColumnsError struct {
	Table   model.TableName
	Columns []string
}

func (e *UnknownColumnsError) Error() string {
	return fmt.Sprintf("table %s has no column(s) %s", e.Table, strings.Join(e.Columns, ", "))
}

// Unwrap returns ErrUnknownColumns.
func (e *UnknownColumnsError) Unwrap() error { return ErrUnknownColumns }
