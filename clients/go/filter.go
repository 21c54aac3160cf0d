package warden

import (
	"context"
	"fmt"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// Dialect is the SQL flavour a filter is rendered in.
type Dialect = wardenv1.SqlDialect

// The dialects.
const (
	// Postgres: $n placeholders, each cast to its column's type; arguments
	// for database/sql with pgx's stdlib driver, or pgx itself.
	Postgres = wardenv1.SqlDialect_SQL_DIALECT_POSTGRES
	// MySQL and MariaDB: ? placeholders.
	MySQL = wardenv1.SqlDialect_SQL_DIALECT_MYSQL
	// SQLite: ? placeholders.
	SQLite = wardenv1.SqlDialect_SQL_DIALECT_SQLITE
)

// FilterKind says whether a filter needs a predicate at all.
type FilterKind = wardenv1.FilterKind

// The filter kinds.
const (
	// AlwaysAllowed: every row; the SQL is TRUE.
	AlwaysAllowed = wardenv1.FilterKind_FILTER_KIND_ALWAYS_ALLOWED
	// AlwaysDenied: no row; the SQL is FALSE.
	AlwaysDenied = wardenv1.FilterKind_FILTER_KIND_ALWAYS_DENIED
	// Conditional: the rows the predicate holds for.
	Conditional = wardenv1.FilterKind_FILTER_KIND_CONDITIONAL
)

// FilterRequest asks which rows of a table a principal may touch.
type FilterRequest struct {
	Principal Principal
	// Table is "schema.name", or "name" for schema public.
	Table     string
	Operation Operation
	// Dialect renders the filter as SQL; zero means the predicate only.
	Dialect Dialect
	// TableAlias is the table's alias in the caller's query; empty means
	// its qualified name.
	TableAlias string
	// FirstPlaceholder numbers the first $n placeholder (PostgreSQL), for a
	// query that already has parameters; 0 means 1.
	FirstPlaceholder int
}

// Fragment is SQL text with its arguments, in placeholder order.
type Fragment struct {
	// SQL is a parenthesised boolean expression to AND into a WHERE clause.
	SQL string
	// Args are the bind parameters: string, int64, bool, or for
	// PostgreSQL arrays []string, []int64, []bool (float64 and []float64
	// only from servers before numerics travelled as text). Numbers are
	// exact: bigints are int64 (9223372036854775807 included), numerics
	// decimal strings the SQL casts; hand them to the driver as they are.
	// (With database/sql and lib/pq, wrap slices in pq.Array.)
	Args []any
}

// ColumnCondition is a column readable only on rows where a condition
// holds (inherited roles).
type ColumnCondition struct {
	Column    string
	Predicate *wardenv1.Predicate
	// Fragment is "CASE WHEN <condition> THEN <column> END", to select
	// instead of the bare column; empty without a Dialect.
	Fragment
}

// Filter is the answer to a Filter: the rows a principal may touch, and
// what else its permission says about them. Its embedded Fragment is the
// row filter as SQL, when a Dialect was asked for:
//
//	db.QueryContext(ctx, "SELECT id FROM articles WHERE "+f.SQL, f.Args...)
type Filter struct {
	Fragment
	Kind FilterKind
	// Predicate is the row filter as a typed tree, for callers that build
	// queries another way: for select, update and delete the permission's
	// filter, for insert its check. Always set.
	Predicate *wardenv1.Predicate
	// Check is, for update, the check on the row after the change; Check
	// SQL is its rendering. PostgreSQL numbers its placeholders after
	// those of the filter.
	Check    *wardenv1.Predicate
	CheckSQL Fragment
	// Columns the role may read (select) or write (insert, update), sorted.
	Columns []string
	// ColumnConditions are the columns of Columns readable only where a
	// condition holds; PostgreSQL numbers their placeholders after those of
	// the filter and the check.
	ColumnConditions []ColumnCondition
	// Limit is the role's row limit when HasLimit.
	Limit    int
	HasLimit bool
	// AllowAggregations says whether the role may aggregate (select).
	AllowAggregations bool
	// Presets are the values (Hasura "set") the caller must write on
	// insert and update, session variables substituted.
	Presets map[string]any
	// Role is the role the filter was computed for; Reason says why the
	// kind is what it is.
	Role, Reason string
	// Revision identifies the policy set; DecisionID this answer in the
	// decision log.
	Revision, DecisionID string
}

// Filter returns the row filter for the principal, table and operation.
func (c *Client) Filter(ctx context.Context, req FilterRequest) (*Filter, error) {
	pb := &wardenv1.FilterRequest{Principal: req.Principal.proto(), Table: req.Table, Operation: req.Operation}
	if req.Dialect != wardenv1.SqlDialect_SQL_DIALECT_UNSPECIFIED {
		pb.Sql = &wardenv1.SqlOptions{Dialect: req.Dialect, TableAlias: req.TableAlias, FirstPlaceholder: int32(req.FirstPlaceholder)}
	}
	ctx, cancel := c.outgoing(ctx, req.Principal)
	defer cancel()
	resp, err := c.authz.Filter(ctx, pb)
	if err != nil {
		return nil, fromStatus(err)
	}
	return NewFilter(resp)
}

// NewFilter converts a FilterResponse, as Client.Filter does, for callers
// that call the generated client themselves.
func NewFilter(resp *wardenv1.FilterResponse) (*Filter, error) {
	f := &Filter{
		Kind:              resp.GetKind(),
		Predicate:         resp.GetPredicate(),
		Check:             resp.GetCheck(),
		Columns:           resp.GetColumns(),
		Limit:             int(resp.GetLimit()),
		HasLimit:          resp.Limit != nil,
		AllowAggregations: resp.GetAllowAggregations(),
		Presets:           filterPresets(resp),
		Role:              resp.GetRole(),
		Reason:            resp.GetReason(),
		Revision:          resp.GetRevision(),
		DecisionID:        resp.GetDecisionId(),
	}
	var err error
	if f.Fragment, err = fragment(resp.GetSql().GetWhere()); err != nil {
		return nil, fmt.Errorf("warden: sql.where: %w", err)
	}
	if f.CheckSQL, err = fragment(resp.GetSql().GetCheck()); err != nil {
		return nil, fmt.Errorf("warden: sql.check: %w", err)
	}
	for i, cc := range resp.GetColumnConditions() {
		fr, err := fragment(cc.GetSql())
		if err != nil {
			return nil, fmt.Errorf("warden: column_conditions[%d]: %w", i, err)
		}
		f.ColumnConditions = append(f.ColumnConditions, ColumnCondition{Column: cc.GetColumn(), Predicate: cc.GetPredicate(), Fragment: fr})
	}
	return f, nil
}

func fragment(fr *wardenv1.SqlFragment) (Fragment, error) {
	out := Fragment{SQL: fr.GetSql()}
	for i, p := range fr.GetParameters() {
		v, err := SQLArg(p)
		if err != nil {
			return Fragment{}, fmt.Errorf("parameters[%d]: %w", i, err)
		}
		out.Args = append(out.Args, v)
	}
	return out, nil
}

// SQLArg converts one bind parameter to the Go value database drivers
// take: string, int64, bool, float64, or a slice of one of those.
func SQLArg(p *wardenv1.SqlParameter) (any, error) {
	switch v := p.GetValue().(type) {
	case *wardenv1.SqlParameter_Text:
		return v.Text, nil
	case *wardenv1.SqlParameter_Integer:
		return v.Integer, nil
	case *wardenv1.SqlParameter_Boolean:
		return v.Boolean, nil
	case *wardenv1.SqlParameter_Real:
		return v.Real, nil
	case *wardenv1.SqlParameter_Array:
		return arrayArg(v.Array.GetElements())
	}
	return nil, fmt.Errorf("parameter without a value")
}

func arrayArg(elems []*wardenv1.SqlParameter) (any, error) {
	if len(elems) == 0 {
		return []string{}, nil
	}
	var (
		out any
		err error
	)
	switch elems[0].GetValue().(type) {
	case *wardenv1.SqlParameter_Text:
		out, err = collect(elems, func(p *wardenv1.SqlParameter) (string, bool) {
			if v, ok := p.GetValue().(*wardenv1.SqlParameter_Text); ok {
				return v.Text, true
			}
			return "", false
		})
	case *wardenv1.SqlParameter_Integer:
		out, err = collect(elems, func(p *wardenv1.SqlParameter) (int64, bool) {
			if v, ok := p.GetValue().(*wardenv1.SqlParameter_Integer); ok {
				return v.Integer, true
			}
			return 0, false
		})
	case *wardenv1.SqlParameter_Boolean:
		out, err = collect(elems, func(p *wardenv1.SqlParameter) (bool, bool) {
			if v, ok := p.GetValue().(*wardenv1.SqlParameter_Boolean); ok {
				return v.Boolean, true
			}
			return false, false
		})
	case *wardenv1.SqlParameter_Real:
		out, err = collect(elems, func(p *wardenv1.SqlParameter) (float64, bool) {
			if v, ok := p.GetValue().(*wardenv1.SqlParameter_Real); ok {
				return v.Real, true
			}
			return 0, false
		})
	default:
		return nil, fmt.Errorf("array of %T", elems[0].GetValue())
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// collect converts the elements of an array that are all of one kind.
func collect[T any](elems []*wardenv1.SqlParameter, get func(*wardenv1.SqlParameter) (T, bool)) ([]T, error) {
	out := make([]T, len(elems))
	for i, e := range elems {
		v, ok := get(e)
		if !ok {
			return nil, fmt.Errorf("array element %d is %T, unlike element 0", i, e.GetValue())
		}
		out[i] = v
	}
	return out, nil
}

// AllArgs returns the arguments of the filter, the check and every column
// condition, in that order: for PostgreSQL, the arguments of a query that
// uses any of them, as Warden numbers the placeholders consecutively over
// the three. (MySQL and SQLite bind "?" in text order: pass each
// fragment's Args where its SQL stands in the query.)
func (f *Filter) AllArgs() []any {
	args := append(append([]any(nil), f.Args...), f.CheckSQL.Args...)
	for _, cc := range f.ColumnConditions {
		args = append(args, cc.Args...)
	}
	return args
}

// filterPresets is the presets of a Filter response, a JSON null as
// JSONNull.
func filterPresets(resp *wardenv1.FilterResponse) map[string]any {
	p := resp.GetPresets().AsMap()
	for _, k := range resp.GetJsonNullPresets() {
		p[k] = JSONNull
	}
	return p
}
