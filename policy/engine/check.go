package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// Check decides on every row. Errors: *UnknownTableError,
// *UnknownColumnsError, *MissingSessionVariablesError, InvalidValueErrors.
// A deny is a result, never an error.
func (s *Set) Check(ctx context.Context, in CheckInput) (*CheckResult, error) {
	t, err := s.table(in.Table)
	if err != nil {
		return nil, err
	}
	in.Table = t.Name
	if in.Tables, err = s.inSource(t, in.Tables); err != nil {
		return nil, err
	}
	if err := unknownColumns(t, in.Columns); err != nil {
		return nil, err
	}
	res := newCheckResult(len(in.Rows))
	res.Role, res.Revision = in.Session.Role, s.policy.Revision
	if in.Session.Role == model.AdminRole {
		for i, r := range in.Rows {
			res.Rows[i] = RowResult{ID: r.ID, Decision: Allow, Reason: "admin may do everything", AllowedColumns: s.allFields[t.Name]}
		}
		return res, nil
	}
	pp, ok := s.perms[permKey{in.Table, in.Op, in.Session.Role}]
	if !ok {
		if err := inconsistentPermission(t, in.Op, in.Session.Role); err != nil {
			return nil, err
		}
	}
	if ok {
		res.Slot = &pp.slot
	}
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

	// One coercion of the session for both evaluators; the clock is read
	// once per decision.
	var room [8]any
	vals := room[:0]
	if n := len(pp.session); n > len(room) {
		vals = make([]any, n)
	} else {
		vals = room[:n]
	}
	now := s.now()
	if err := sessionValues(pp, in.Session.Vars, vals, now); err != nil {
		return nil, err
	}
	nt := pp.native
	if s.evaluator == EvaluatorOPA {
		nt = nil
	}
	var session *ast.Term
	if nt == nil {
		if session, err = pp.sessionTerm(vals); err != nil {
			return nil, err
		}
	}
	if len(pp.perm.Set) > 0 {
		if res.Presets, err = presets(pp.perm, in.Session.Vars, now); err != nil {
			return nil, err
		}
	}

	var refused []*RowResult
	if in.Op == model.OpInsert || in.Op == model.OpUpdate {
		// As Hasura writes a row: only the permission's columns, never a
		// preset column, the presets applied before the check. The
		// caller's rows are left as they are.
		in.Rows = slices.Clone(in.Rows)
		refused = make([]*RowResult, len(in.Rows))
		for i := range in.Rows {
			in.Rows[i], refused[i] = writtenRow(t, pp.perm, in.Op, in.Rows[i], res.Presets)
		}
	}
	if nt != nil {
		if err := s.checkNative(ctx, pp, nt, in, vals, refused, res); err != nil {
			return nil, err
		}
		return res, nil
	}
	// OPA reads maps.
	in.Rows = materializedRows(in.Rows)
	var bad InvalidValueErrors
	inputs := make([]*ast.Term, len(in.Rows))
	newInputs := make([]*ast.Term, len(in.Rows))
	for i, r := range in.Rows {
		if refused != nil && refused[i] != nil {
			continue
		}
		row, errs := s.rowTerm(t, r.Values, fmt.Sprintf("rows[%d].values", i), pp.rowReads)
		bad = append(bad, errs...)
		inputs[i] = row
		if r.New != nil {
			nr, errs := s.rowTerm(t, r.New, fmt.Sprintf("rows[%d].new_values", i), pp.rowReads)
			bad = append(bad, errs...)
			newInputs[i] = nr
		} else {
			newInputs[i] = row
		}
	}
	tables, errs := s.tablesValue(in.Tables)
	bad = append(bad, errs...)
	if len(bad) > 0 {
		return nil, bad
	}
	sc := newEvalScope(ctx)
	defer sc.close()
	for i, r := range in.Rows {
		if refused != nil && refused[i] != nil {
			res.Rows[i] = *refused[i]
			continue
		}
		rr, err := s.decide(ctx, sc, pp, in, r, session, inputs[i], newInputs[i], tables)
		if err != nil {
			return nil, err
		}
		res.Rows[i] = rr
	}
	return res, nil
}

// newCheckResult allocates a result with n rows, a single row's in the same
// allocation.
func newCheckResult(n int) *CheckResult {
	if n == 1 {
		one := &struct {
			res CheckResult
			row [1]RowResult
		}{}
		one.res.Rows = one.row[:]
		return &one.res
	}
	return &CheckResult{Rows: make([]RowResult, n)}
}

// truth is the outcome of one rule on one row.
type truth int

const (
	isFalse truth = iota
	isTrue
	isUnknown // the rule needs data the request did not carry
)

// decide evaluates one row.
func (s *Set) decide(ctx context.Context, sc *evalScope, pp *prepared, in CheckInput, r Row, session, row, newRow, tables *ast.Term) (RowResult, error) {
	out := RowResult{ID: r.ID}
	input := ast.NewObject(
		[2]*ast.Term{ast.StringTerm("row"), row},
		[2]*ast.Term{ast.StringTerm("new_row"), newRow},
		[2]*ast.Term{ast.StringTerm("session"), session},
		[2]*ast.Term{ast.StringTerm("tables"), tables},
	)

	var gaps []gap
	var reasons []string
	result := isTrue
	if pp.filter != nil {
		g := pp.filterNeeds.missing(r.Values, in.Tables, "input.row")
		tr, rest, err := s.evalRule(ctx, sc, pp, pp.filter, "input.row", input, g, r.Values, in.Tables)
		if err != nil {
			return out, err
		}
		switch tr {
		case isTrue:
			reasons = append(reasons, "filter holds")
		case isFalse:
			reasons = append(reasons, "filter does not hold")
			result = isFalse
		case isUnknown:
			reasons = append(reasons, "filter needs data")
			result = isUnknown
			gaps = append(gaps, g...)
			out.Residual = rest
		}
	}
	if pp.check != nil && result != isFalse {
		nv, ref, what := r.Values, "input.row", "check"
		if in.Op == model.OpUpdate {
			ref, what = "input.new_row", "check on the new row"
			if r.New != nil {
				nv = r.New
			}
		}
		g := pp.checkNeeds.missing(nv, in.Tables, ref)
		tr, rest, err := s.evalRule(ctx, sc, pp, pp.check, ref, input, g, nv, in.Tables)
		if err != nil {
			return out, err
		}
		switch tr {
		case isTrue:
			reasons = append(reasons, what+" holds")
		case isFalse:
			reasons = append(reasons, what+" does not hold")
			result = isFalse
		case isUnknown:
			reasons = append(reasons, what+" needs data")
			result = isUnknown
			out.CheckResidual = rest
			for _, x := range g {
				if ref == "input.new_row" && r.New != nil {
					x.path = "new_values." + x.path
				}
				gaps = append(gaps, x)
			}
		}
	}

	cols := pp.fixedColumns
	if pp.columns != nil && result == isTrue {
		g := pp.columnNeeds.missing(r.Values, in.Tables, "input.row")
		if len(g) == 0 {
			q, err := pp.columns.get(s.compiler)
			if err != nil {
				return out, err
			}
			extra, err := setOfStrings(ctx, q, sc.options(input))
			if err != nil {
				return out, err
			}
			cols = append(append([]string(nil), cols...), extra...)
			sort.Strings(cols)
		} else if len(minus(in.Columns, cols)) > 0 {
			// A requested column is granted only under a condition that
			// reads data the request lacks.
			result = isUnknown
			reasons = append(reasons, "column conditions need data")
			gaps = append(gaps, g...)
		}
	}

	return conclude(out, in, result, reasons, gaps, cols, nil, -1), nil
}

// conclude turns the outcome of a row's rules into its result: the decision,
// the columns and the reason. The reason comes from rc for the outcome
// code (reasonCode; rc nil or code -1: made here) unless a reason of the
// request's own (columns not allowed) joins it.
func conclude(out RowResult, in CheckInput, result truth, reasons []string, gaps []gap, cols []string, rc *reasonCache, code int) RowResult {
	role := in.Session.Role
	switch result {
	case isUnknown:
		out.Decision = NeedsData
		out.MissingData = gapPaths(gaps)
		out.Reason = fmt.Sprintf("role %s: %s; missing: %s", role, strings.Join(reasons, "; "), strings.Join(out.MissingData, ", "))
		return out
	case isTrue:
		out.AllowedColumns = cols
	}
	allowed := result == isTrue
	if denied := minus(in.Columns, out.AllowedColumns); len(denied) > 0 {
		out.DeniedColumns = denied
		if allowed {
			allowed = false
			reasons = append(reasons, "columns not allowed: "+strings.Join(denied, ", "))
			code = -1
		}
	}
	out.Decision = Deny
	if allowed {
		out.Decision = Allow
	}
	out.Reason = rc.of(code, role, reasons)
	return out
}

// reasonOf is "role R: " and the reasons joined by "; ", in one allocation.
func reasonOf(role string, reasons []string) string {
	n := len("role : ") + len(role)
	for i, r := range reasons {
		if i > 0 {
			n += len("; ")
		}
		n += len(r)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString("role ")
	b.WriteString(role)
	b.WriteString(": ")
	for i, r := range reasons {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(r)
	}
	return b.String()
}

// evalRule evaluates a rule. With gaps it partially evaluates with the
// missing data unknown: no residual query means false, an empty one true,
// anything else unknown. The answer is never a guess.
func (s *Set) evalRule(ctx context.Context, sc *evalScope, pp *prepared, rq *ruleQuery, root string, input ast.Value, gaps []gap,
	values map[string]any, tables map[model.TableName][]map[string]any) (truth, residual.Expr, error) {
	if len(gaps) == 0 {
		q, err := rq.get(s.compiler)
		if err != nil {
			return isFalse, nil, err
		}
		ok, err := sc.holds(ctx, q, input)
		if err != nil || !ok {
			return isFalse, nil, err
		}
		return isTrue, nil, nil
	}
	unknowns := make([]*ast.Term, 0, len(gaps))
	seen := map[string]bool{}
	for _, g := range gaps {
		if !seen[g.unknown] {
			seen[g.unknown] = true
			u, err := ast.ParseTerm(g.unknown)
			if err != nil {
				return isFalse, nil, fmt.Errorf("unknown %s: %w", g.unknown, err)
			}
			unknowns = append(unknowns, u)
		}
	}
	prepared, err := rq.partial.get(s, pp, rq.ref)
	if err != nil {
		return isFalse, nil, fmt.Errorf("prepare partial evaluation: %w", err)
	}
	pq, err := prepared.Partial(ctx, rego.EvalParsedInput(input), rego.EvalParsedUnknowns(unknowns),
		rego.EvalDisableInlining(pp.inlining.needsData(unknowns)))
	if err != nil {
		return isFalse, nil, fmt.Errorf("partial evaluation: %w", err)
	}
	if len(pq.Queries) == 0 {
		return isFalse, nil, nil
	}
	for _, q := range pq.Queries {
		if len(q) == 0 {
			return isTrue, nil, nil
		}
	}
	// What remains is a predicate on the data the request lacks. The
	// helpers of unknown rows stay support rules (inlining.needsData), so
	// a query may hold or fail whatever the missing data is only once they
	// are translated: a helper whose known branch holds is a body without
	// expressions.
	e, err := residual.Translate(pq.Queries, pq.Support, residual.Source{
		Policy: s.policy, Table: pp.table, Root: root,
		Patterns: pp.patterns,
	})
	if err != nil {
		return isUnknown, nil, nil //nolint:nilerr // the decision stands without the residual
	}
	// A residual that simplifies to a constant decides whatever the
	// missing data holds: _nin over an empty array variable, for one, is
	// TRUE for every value, NULL included, though OPA keeps its call.
	switch e.(type) {
	case residual.True:
		return isTrue, nil, nil
	case residual.False:
		return isFalse, nil, nil
	}
	if decided, holds := s.decideKnown(pp, e, gaps, values, tables); decided {
		if holds {
			return isTrue, nil, nil
		}
		return isFalse, nil, nil
	}
	return isUnknown, e, nil
}

// decideKnown decides a residual on a row that lacks nothing but the
// operators the database decides (every gap such a column the row has):
// partial evaluation kept all of such a column unknown, its _is_null
// included, but the native evaluator decides what the row tells, and so
// must this (residual.Decide). decided is false otherwise.
func (s *Set) decideKnown(pp *prepared, e residual.Expr, gaps []gap, values map[string]any, tables map[model.TableName][]map[string]any) (decided, holds bool) {
	for _, g := range gaps {
		if !g.database {
			return false, false
		}
	}
	row, bad := s.rowGo(s.rowPlanOf(pp, true), rowView{m: values}, newFieldPath("row", 0))
	if len(bad) > 0 {
		return false, false
	}
	tbls, bad := s.tablesGo(tables)
	if len(bad) > 0 {
		return false, false
	}
	holds, decided = residual.Decide(e, residual.Data{Row: row, Tables: tbls})
	return decided, holds
}

// lazyPartial is a rule's query prepared for partial evaluation, for
// NEEDS_DATA answers: prepared at its first use (most rules never need
// it, and each costs memory the garbage collector marks), then shared.
type lazyPartial struct {
	once sync.Once
	pq   rego.PreparedPartialQuery
	err  error
}

func (l *lazyPartial) get(s *Set, pp *prepared, ref string) (rego.PreparedPartialQuery, error) {
	l.once.Do(func() {
		l.pq, l.err = s.partialOf(pp, ref).PrepareForPartial(context.Background())
	})
	return l.pq, l.err
}

func gapPaths(gaps []gap) []string {
	out := make([]string, 0, len(gaps))
	for _, g := range gaps {
		out = append(out, g.path)
	}
	sort.Strings(out)
	return dedup(out)
}

func setOfStrings(ctx context.Context, q *rego.PreparedEvalQuery, opts []rego.EvalOption) ([]string, error) {
	rs, err := q.Eval(ctx, opts...)
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
		if _, ok := t.Field(c); ok {
			continue
		}
		if r, ok := t.Relationships[c]; ok && r.Function != nil {
			continue
		}
		unknown = append(unknown, c)
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
