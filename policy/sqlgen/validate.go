package sqlgen

import (
	"fmt"
	"sort"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
)

// ValidationError locates an operator a dialect cannot render.
type ValidationError struct {
	Source model.Source
	Table  model.TableName
	Op     model.Operation
	Role   string
	Err    *UnsupportedError
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("%s: %s %s role %s: %v", e.Source, e.Table, e.Op, e.Role, e.Err)
}

// Unwrap returns the *UnsupportedError.
func (e *ValidationError) Unwrap() error { return e.Err }

// Validate reports every operator of p's permissions (filters, checks and
// column conditions) that d cannot render, including literal patterns it
// cannot express and literal numerics MySQL's DECIMAL cannot hold;
// patterns and numerics taken from session variables can only be checked
// per request. The result is sorted by source.
func Validate(p *model.Policy, d Dialect) []error {
	var out []*ValidationError
	for _, t := range p.SortedTables() {
		for _, op := range model.Operations {
			for _, perm := range t.Permissions[op] {
				seen := map[string]bool{}
				report := func(err *UnsupportedError) {
					if key := err.Error(); !seen[key] {
						seen[key] = true
						out = append(out, &ValidationError{Source: perm.Source, Table: t.Name, Op: op, Role: perm.Role, Err: err})
					}
				}
				exprs := []model.BoolExp{perm.Filter, perm.Check}
				for _, c := range perm.ColumnConditions {
					exprs = append(exprs, c)
				}
				for _, e := range exprs {
					model.EachCompare(e, func(c model.Compare) {
						if err := compareSupport(d, c); err != nil {
							report(err)
						}
					})
					eachRelationship(e, func(from model.TableName, r *model.Relationship) {
						if r.Function != nil {
							if err := computedSupport(d, r.Function); err != nil {
								report(err)
							}
						}
						ft, tt := p.Tables[from], p.Tables[r.Target]
						for _, m := range r.Mapping {
							lc, ok1 := ft.Column(m.Local)
							rc, ok2 := tt.Column(m.Remote)
							if ok1 && ok2 {
								if err := joinSupport(d, lc, rc); err != nil {
									report(err)
								}
							}
						}
					})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Error() < out[j].Error() })
	errs := make([]error, len(out))
	for i, e := range out {
		errs[i] = e
	}
	return errs
}

// compareSupport is the dialect check of one comparison, as rendering
// applies it.
func compareSupport(d Dialect, c model.Compare) *UnsupportedError {
	var err error
	if c.Column.Computed != nil {
		if u := computedSupport(d, c.Column.Computed); u != nil {
			return u
		}
	}
	if ref, ok := c.Value.(model.ColumnRef); ok && ref.Column != nil && ref.Column.Computed != nil {
		if u := computedSupport(d, ref.Column.Computed); u != nil {
			return u
		}
	}
	switch {
	case model.IsSpatial(c.Op):
		if u := spatialSupport(d, c.Op); u != nil {
			return u
		}
	case model.JSONBTextCast(c.Column, c.Cast):
		if d != Postgres {
			return &UnsupportedError{Op: string(c.Op) + " on jsonb cast to text", Dialect: d, Reason: "Warden leaves the text of a jsonb value to PostgreSQL, whose text it is"}
		}
	case model.DatabaseOps[c.Op] != (model.DatabaseOp{}):
		if d != Postgres {
			return &UnsupportedError{Op: string(c.Op) + " on ltree", Dialect: d, Reason: "only PostgreSQL has ltree and its operator"}
		}
	case model.DatabaseColumns[c.Op] != (model.DatabaseOp{}) && databaseDecided(c):
		if d != Postgres {
			return &UnsupportedError{Op: string(c.Op) + " on " + c.Column.Type.Declared, Dialect: d, Reason: "only PostgreSQL has the type and its operator"}
		}
	case c.Column.Type.Kind == model.KindOpaque && c.Op != model.OpIsNull && model.DatabaseOpaque[c.Op] != (model.DatabaseOp{}):
		if d != Postgres {
			return &UnsupportedError{Op: string(c.Op) + " on " + c.Column.Type.Declared, Dialect: d, Reason: "only PostgreSQL has the type and its operator"}
		}
	case c.Column.Type.Canon != "" && c.Op != model.OpIsNull:
		err = canonSupport(d, string(c.Op), c.Column)
	case c.Column.Type.Kind == model.KindJSONB:
		switch c.Op {
		case model.OpEq, model.OpNeq, model.OpIn, model.OpNin, model.OpCeq, model.OpCneq:
			err = jsonbEquality(d, string(c.Op))
		default:
			err = jsonbSupport(d, c.Op)
		}
	case lowerNeedsText(c):
		if u := lowerSupport(d, string(c.Op)); u != nil {
			return u
		}
	case d == MySQL && c.Column.Type.Kind == model.KindNumeric:
		// A literal no DECIMAL holds (session values are checked per
		// request).
		if lit, ok := c.Value.(model.Literal); ok {
			vals, isList := lit.V.([]any)
			if !isList {
				vals = []any{lit.V}
			}
			for _, v := range vals {
				if _, e := mysqlDecimal(v); e != nil {
					if u, ok := e.(*UnsupportedError); ok {
						u.Op = string(c.Op) + " with " + u.Op
					}
					err = e
					break
				}
			}
		}
	case compile.IsPatternOp(c.Op):
		// As compiled: on citext, _like is _ilike and _regex _iregex.
		op := compile.EffectiveOp(c.Column, c.Op)
		if err = patternSupport(d, op); err != nil {
			break
		}
		if lit, ok := c.Value.(model.Literal); ok {
			if s, ok := lit.V.(string); ok {
				err = patternExpressible(d, op, s)
			}
		}
	}
	if u, ok := err.(*UnsupportedError); ok {
		if c.Column.Type.Fold && compile.EffectiveOp(c.Column, c.Op) != c.Op {
			u.Op = string(c.Op) + " on citext" // evaluated as its case-insensitive twin
		}
		return u
	}
	return nil
}

// lowerNeedsText reports whether a comparison reads a citext column
// lower-cased in a way that needs the lower-cased text itself (see
// lower.go): an ordering of a citext column, or a column comparison with a
// citext column on either side. Equality and _in are rendered as patterns.
func lowerNeedsText(c model.Compare) bool {
	switch c.Op {
	case model.OpGt, model.OpLt, model.OpGte, model.OpLte:
		return c.Column.Type.Fold
	case model.OpCeq, model.OpCneq, model.OpCgt, model.OpClt, model.OpCgte, model.OpClte:
		ref, ok := c.Value.(model.ColumnRef)
		return c.Column.Type.Fold || ok && ref.Column != nil && ref.Column.Type.Fold
	}
	return false
}

// patternExpressible checks that a literal pattern renders in d.
func patternExpressible(d Dialect, op model.Operator, pattern string) error {
	re, err := compile.PatternRegex(op, pattern)
	if err != nil {
		return nil // the compiler reports it
	}
	x, err := parseRegex(re)
	if err != nil {
		return &UnsupportedError{Op: string(op), Dialect: d, Reason: err.Error()}
	}
	if _, _, like := likeShape(x); like {
		return nil
	}
	if d == SQLite {
		return &UnsupportedError{Op: string(op), Dialect: d, Reason: "the pattern is not expressible with GLOB"}
	}
	if _, err := (regexFlavor{d: d}).print(x); err != nil {
		return &UnsupportedError{Op: string(op), Dialect: d, Reason: err.Error()}
	}
	return nil
}

// eachRelationship calls f on every relationship e traverses, with the
// table it is declared on.
func eachRelationship(e model.BoolExp, f func(model.TableName, *model.Relationship)) {
	switch x := e.(type) {
	case model.And:
		for _, it := range x.Items {
			eachRelationship(it, f)
		}
	case model.Or:
		for _, it := range x.Items {
			eachRelationship(it, f)
		}
	case model.Not:
		eachRelationship(x.Item, f)
	case model.Exists:
		eachRelationship(x.Where, f)
	case model.RelExists:
		f(x.From, x.Relationship)
		eachRelationship(x.Where, f)
	}
}

// databaseDecided says whether Warden leaves a comparison to the database.
func databaseDecided(c model.Compare) bool {
	_, ok := model.DatabaseDecidedCast(c.Column, c.Op, c.Cast)
	return ok
}
