package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wardenpdp/warden/policy/model"
)

// Check decides on every row. Errors: *UnknownTableError,
// *UnknownColumnsError, *MissingSessionVariablesError, InvalidValueErrors.
// A deny is a result, never an error.
func (s *Set) Check(ctx context.Context, in CheckInput) (*CheckResult, error) {
	t, ok := s.policy.Tables[in.Table]
	if !ok {
		return nil, &UnknownTableError{Table: in.Table}
	}
	if err := unknownColumns(t, in.Columns); err != nil {
		return nil, err
	}
	res := &CheckResult{Role: in.Session.Role, Revision: s.policy.Revision, Rows: make([]RowResult, len(in.Rows))}
	if in.Session.Role == model.AdminRole {
		all := t.ColumnNames()
		sort.Strings(all)
		for i, r := range in.Rows {
			res.Rows[i] = RowResult{ID: r.ID, Decision: Allow, Reason: "admin may do everything", AllowedColumns: all}
		}
		return res, nil
	}
	pp, ok := s.perms[permKey{in.Table, in.Op, in.Session.Role}]
	if !ok || (pp.perm.BackendOnly && !in.Session.BackendOnly) {
		reason := fmt.Sprintf("role %s has no %s permission on %s", in.Session.Role, in.Op, in.Table)
		if ok {
			reason = fmt.Sprintf("the %s permission of role %s on %s is backend_only", in.Op, in.Session.Role, in.Table)
		}
		for i, r := range in.Rows {
			res.Rows[i] = RowResult{ID: r.ID, Decision: Deny, Reason: reason, DeniedColumns: sortedCopy(in.Columns)}
		}
		return res, nil
	}

	session, err := pp.sessionValue(in.Session.Vars)
	if err != nil {
		return nil, err
	}
	if len(pp.perm.Set) > 0 {
		if res.Presets, err = presets(pp.perm, in.Session.Vars); err != nil {
			return nil, err
		}
	}

	var bad InvalidValueErrors
	inputs := make([]*ast.Term, len(in.Rows))
	newInputs := make([]*ast.Term, len(in.Rows))
	for i, r := range in.Rows {
		row, errs := s.rowValue(t, r.Values, fmt.Sprintf("rows[%d].values", i))
		bad = append(bad, errs...)
		inputs[i] = row
		if r.New != nil {
			nr, errs := s.rowValue(t, r.New, fmt.Sprintf("rows[%d].new_values", i))
			bad = append(bad, errs...)
			newInputs[i] = nr
		} else {
			newInputs[i] = row
		}
	}
	if len(bad) > 0 {
		return nil, bad
	}

	for i, r := range in.Rows {
		rr, err := s.decide(ctx, pp, in, r, session, inputs[i], newInputs[i])
		if err != nil {
			return nil, err
		}
		res.Rows[i] = rr
	}
	return res, nil
}

// decide evaluates one row.
func (s *Set) decide(ctx context.Context, pp *prepared, in CheckInput, r Row, session, row, newRow *ast.Term) (RowResult, error) {
	out := RowResult{ID: r.ID}
	role := in.Session.Role

	// Data the rules need but the request did not carry: never guess.
	var missing []string
	if pp.filterNeeds != nil {
		missing = append(missing, pp.filterNeeds.missing(r.Values)...)
	}
	if pp.checkNeeds != nil {
		nv := r.Values
		if in.Op == model.OpUpdate && r.New != nil {
			nv = r.New
		}
		for _, m := range pp.checkNeeds.missing(nv) {
			if in.Op == model.OpUpdate && r.New != nil {
				m = "new_values." + m
			}
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		out.Decision = NeedsData
		out.MissingData = dedup(missing)
		out.Reason = fmt.Sprintf("role %s: the rule needs data the request did not carry: %s", role, strings.Join(out.MissingData, ", "))
		return out, nil
	}

	input := ast.NewObject(
		[2]*ast.Term{ast.StringTerm("row"), row},
		[2]*ast.Term{ast.StringTerm("new_row"), newRow},
		[2]*ast.Term{ast.StringTerm("session"), session},
	)
	var reasons []string
	allowed := true
	if pp.filter != nil {
		ok, err := holds(ctx, pp.filter, input)
		if err != nil {
			return out, err
		}
		if ok {
			reasons = append(reasons, "filter holds")
		} else {
			allowed = false
			reasons = append(reasons, "filter does not hold")
		}
	}
	if pp.check != nil && allowed {
		ok, err := holds(ctx, pp.check, input)
		if err != nil {
			return out, err
		}
		what := "check"
		if in.Op == model.OpUpdate {
			what = "check on the new row"
		}
		if ok {
			reasons = append(reasons, what+" holds")
		} else {
			allowed = false
			reasons = append(reasons, what+" does not hold")
		}
	}

	cols := pp.fixedColumns
	if pp.columns != nil && allowed {
		extra, err := setOfStrings(ctx, pp.columns, input)
		if err != nil {
			return out, err
		}
		cols = append(append([]string(nil), cols...), extra...)
		sort.Strings(cols)
	}
	if allowed {
		out.AllowedColumns = cols
	}
	if denied := minus(in.Columns, out.AllowedColumns); len(denied) > 0 {
		out.DeniedColumns = denied
		if allowed {
			allowed = false
			reasons = append(reasons, "columns not allowed: "+strings.Join(denied, ", "))
		}
	}
	out.Decision = Deny
	if allowed {
		out.Decision = Allow
	}
	out.Reason = "role " + role + ": " + strings.Join(reasons, "; ")
	return out, nil
}

func holds(ctx context.Context, q *rego.PreparedEvalQuery, input ast.Value) (bool, error) {
	rs, err := q.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return false, fmt.Errorf("evaluate: %w", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return false, nil
	}
	b, ok := rs[0].Expressions[0].Value.(bool)
	return ok && b, nil
}

func setOfStrings(ctx context.Context, q *rego.PreparedEvalQuery, input ast.Value) ([]string, error) {
	rs, err := q.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, nil
	}
	vals, _ := rs[0].Expressions[0].Value.([]any)
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

func unknownColumns(t *model.Table, cols []string) error {
	var unknown []string
	for _, c := range cols {
		if _, ok := t.Column(c); !ok {
			unknown = append(unknown, c)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return &UnknownColumnsError{Table: t.Name, Columns: unknown}
	}
	return nil
}

// minus returns the elements of want that are not in have, sorted.
func minus(want, have []string) []string {
	if len(want) == 0 {
		return nil
	}
	set := make(map[string]bool, len(have))
	for _, h := range have {
		set[h] = true
	}
	var out []string
	for _, w := range want {
		if !set[w] {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return dedup(out)
}

func sortedCopy(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := append([]string(nil), s...)
	sort.Strings(out)
	return dedup(out)
}
