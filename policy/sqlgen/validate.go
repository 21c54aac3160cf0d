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
// cannot express; patterns taken from session variables can only be
// checked per request. The result is sorted by source.
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
					walk(e, func(c model.Compare) {
						if err := compareSupport(d, c); err != nil {
							report(err)
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
	switch {
	case c.Column.Type.Kind == model.KindJSONB:
		switch c.Op {
		case model.OpEq, model.OpNeq, model.OpIn, model.OpNin, model.OpCeq, model.OpCneq:
			err = jsonbEquality(d, string(c.Op))
		default:
			err = jsonbSupport(d, c.Op)
		}
	case compile.IsPatternOp(c.Op):
		if err = patternSupport(d, c.Op); err != nil {
			break
		}
		if lit, ok := c.Value.(model.Literal); ok {
			if s, ok := lit.V.(string); ok {
				err = patternExpressible(d, c.Op, s)
			}
		}
	}
	if u, ok := err.(*UnsupportedError); ok {
		return u
	}
	return nil
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

func walk(e model.BoolExp, f func(model.Compare)) {
	switch x := e.(type) {
	case model.And:
		for _, it := range x.Items {
			walk(it, f)
		}
	case model.Or:
		for _, it := range x.Items {
			walk(it, f)
		}
	case model.Not:
		walk(x.Item, f)
	case model.RelExists:
		walk(x.Where, f)
	case model.Exists:
		walk(x.Where, f)
	case model.Compare:
		f(x)
	}
}
