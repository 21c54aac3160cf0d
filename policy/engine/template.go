package engine

import (
	"errors"
	"fmt"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// ErrNoTemplate is returned, wrapped, by Template for a permission whose
// residual could not be built once with the session unknown: its Filter
// answers need a partial evaluation per request.
var ErrNoTemplate = errors.New("permission has no session-independent template")

// Template is one permission's Filter template: the predicates Filter
// binds per request, with residual.Param operands where the rules read
// session variables. Clock variables (now()) are bound to residual.Clock
// already, since the database's clock is what Filter uses too. Generators
// that read the session inside the database (row-level security) render
// it; everything else should call Filter.
type Template struct {
	Permission *model.Permission
	// Predicate is the row filter (select, update, delete) or, for
	// insert, the check on the proposed row.
	Predicate residual.Expr
	// Check is, for update, the check on the new row; nil otherwise.
	Check residual.Expr
	// ColumnConditions holds, for inherited select permissions, the
	// columns readable only where a condition holds.
	ColumnConditions map[string]residual.Expr
	// Params are every session variable the permission reads (clock
	// words aside), whether or not the residuals still do: Check refuses
	// a session that lacks one, or holds one that does not parse, even
	// where partial evaluation found the rule decided without it.
	Params []residual.Param
}

// Template returns the template of a role's permission. A missing
// permission is an error (there is nothing to template), as is one whose
// residual needs a partial evaluation per request (ErrNoTemplate).
func (s *Set) Template(table model.TableName, op model.Operation, role string) (*Template, error) {
	if _, err := s.table(table); err != nil {
		return nil, err
	}
	pp, ok := s.perms[permKey{table, op, role}]
	if !ok {
		return nil, fmt.Errorf("role %s has no %s permission on %s", role, op, table)
	}
	ft := pp.filterTmpl
	if ft.fallback {
		return nil, fmt.Errorf("%s %s role %s: %w", table, op, role, ErrNoTemplate)
	}
	var params []residual.Param
	var vals []any
	var all []residual.Param
	for i, n := range pp.session {
		if i >= len(ft.params) {
			continue
		}
		if n.v.Clock != "" {
			params = append(params, ft.params[i])
			vals = append(vals, residual.Clock{Word: n.v.Clock})
			continue
		}
		all = append(all, ft.params[i])
	}
	bind := func(e residual.Expr) (residual.Expr, error) {
		if e == nil {
			return nil, nil
		}
		return residual.BindSome(e, params, vals)
	}
	out := &Template{Permission: pp.perm, Params: all}
	var err error
	if out.Predicate, err = bind(ft.pred); err != nil {
		return nil, err
	}
	if out.Check, err = bind(ft.check); err != nil {
		return nil, err
	}
	if len(ft.columns) > 0 {
		out.ColumnConditions = make(map[string]residual.Expr, len(ft.columns))
		for col, e := range ft.columns {
			if out.ColumnConditions[col], err = bind(e); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
