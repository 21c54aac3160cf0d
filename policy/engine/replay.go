package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/wardenpdp/warden/policy/model"
)

// ReplayQuery is one query that Check evaluates for a row, with the exact
// input document, so that the decision can be reproduced by OPA alone from
// the emitted .rego files (warden compile --out).
type ReplayQuery struct {
	// Rule is compile.RuleFilter or compile.RuleCheck.
	Rule string
	// Query is the data reference to evaluate, e.g.
	// data.warden.tables.public.articles.select.filter["user"].
	Query string
	// Input is the input document as JSON-compatible Go values. A JSON
	// null of a json or jsonb column is the empty set in the input
	// (compile.JSONNullRego), which JSON has no form for: Input writes it
	// as an empty array, and only Value keeps it.
	Input any
	// Value is the input document as the OPA value Check evaluates.
	Value ast.Value
}

// Replay returns, per row, the queries Check evaluates and their inputs.
// The row is allowed when every query is defined and true (and the
// requested columns are allowed). Admin, roles without a permission and
// backend_only permissions without the flag have no queries. Errors are those of Check.
func (s *Set) Replay(ctx context.Context, in CheckInput) ([][]ReplayQuery, error) {
	t, err := s.table(in.Table)
	if err != nil {
		return nil, err
	}
	in.Table = t.Name
	if in.Tables, err = s.inSource(t, in.Tables); err != nil {
		return nil, err
	}
	in.Rows = materializedRows(in.Rows)
	out := make([][]ReplayQuery, len(in.Rows))
	pp, ok := s.perms[permKey{in.Table, in.Op, in.Session.Role}]
	if !ok && in.Session.Role != model.AdminRole {
		if err := inconsistentPermission(t, in.Op, in.Session.Role); err != nil {
			return nil, err
		}
	}
	if in.Session.Role == model.AdminRole || !ok || (pp.perm.BackendOnly && !in.Session.BackendOnly) {
		return out, nil
	}
	session, err := pp.sessionValue(in.Session.Vars)
	if err != nil {
		return nil, err
	}
	tables, bad := s.tablesValue(in.Tables)
	if len(bad) > 0 {
		return nil, bad
	}
	var presetValues map[string]any
	if len(pp.perm.Set) > 0 {
		if presetValues, err = presets(pp.perm, in.Session.Vars, time.Now()); err != nil {
			return nil, err
		}
	}
	for i, r := range in.Rows {
		if in.Op == model.OpInsert || in.Op == model.OpUpdate {
			// The row as Check writes it; a row Check denies before the
			// rules is a query that never holds.
			var denied *RowResult
			if r, denied = writtenRow(t, pp.perm, in.Op, r, presetValues); denied != nil {
				out[i] = []ReplayQuery{{Rule: "written columns", Query: "false"}}
				continue
			}
		}
		row, bad := s.rowTerm(t, r.Values, fmt.Sprintf("rows[%d].values", i), nil)
		if len(bad) > 0 {
			return nil, bad
		}
		newRow := row
		if r.New != nil {
			if newRow, bad = s.rowTerm(t, r.New, fmt.Sprintf("rows[%d].new_values", i), nil); len(bad) > 0 {
				return nil, bad
			}
		}
		input := ast.NewObject(
			[2]*ast.Term{ast.StringTerm("row"), row},
			[2]*ast.Term{ast.StringTerm("new_row"), newRow},
			[2]*ast.Term{ast.StringTerm("session"), session},
			[2]*ast.Term{ast.StringTerm("tables"), tables},
		)
		doc, err := ast.ValueToInterface(input, nil)
		if err != nil {
			return nil, fmt.Errorf("input of row %d: %w", i, err)
		}
		if pp.filter != nil {
			out[i] = append(out[i], ReplayQuery{Rule: "filter", Query: pp.filter.ref, Input: doc, Value: input})
		}
		if pp.check != nil {
			out[i] = append(out[i], ReplayQuery{Rule: "check", Query: pp.check.ref, Input: doc, Value: input})
		}
	}
	return out, nil
}
