package engine

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// FilterInput asks which rows a session may touch.
type FilterInput struct {
	Session Session
	Table   model.TableName
	Op      model.Operation
	// DeferBinding is the caller's promise that it builds its answer from
	// FilterResult.Unbound whenever that is non-nil (package server's
	// Filter RPC: the API's tree and the SQL straight from the template
	// and the values). Binding is then skipped: a result with Unbound
	// non-nil has Predicate, Check and ColumnConditions nil (call
	// FilterResult.Bind where bound trees are needed after all); every
	// other field, Unbound included, is as without DeferBinding. A result
	// without Unbound, or AlwaysDenied, is bound as always. Binding
	// allocates a node per junction and leaf on the way to the session's
	// values, a large share of a Filter's cost under load.
	DeferBinding bool
}

// FilterKind says whether a filter needs a predicate at all.
type FilterKind int

// The filter kinds.
const (
	// AlwaysAllowed: every row; the predicate is residual.True.
	AlwaysAllowed FilterKind = iota + 1
	// AlwaysDenied: no row; the predicate is residual.False.
	AlwaysDenied
	// Conditional: the rows the predicate holds for.
	Conditional
)

// String returns "ALWAYS_ALLOWED", "ALWAYS_DENIED" or "CONDITIONAL".
func (k FilterKind) String() string {
	switch k {
	case AlwaysAllowed:
		return "ALWAYS_ALLOWED"
	case AlwaysDenied:
		return "ALWAYS_DENIED"
	case Conditional:
		return "CONDITIONAL"
	}
	return "UNSPECIFIED"
}

// FilterResult answers a FilterInput. Its slices and maps may be shared
// with other results: treat them as read-only.
type FilterResult struct {
	Kind FilterKind
	Role string
	// Predicate is the row predicate with the session's values bound: the
	// filter on the current row for select, update and delete, the check
	// on the proposed row for insert. A row is allowed exactly when it
	// holds (residual.True for AlwaysAllowed, residual.False for
	// AlwaysDenied).
	//
	// Nil only when FilterInput.DeferBinding left it unbound: then Unbound
	// is non-nil. Nil is no answer: never read it as TRUE.
	Predicate residual.Expr
	// Check is, for update, the check the row must pass after the update
	// (residual.True when the permission has none); nil otherwise.
	Check residual.Expr
	// Columns the role may read (select) or write (insert, update),
	// sorted; for admin every column of the table; none when
	// AlwaysDenied.
	Columns []string
	// ColumnConditions holds, for inherited roles, the columns of Columns
	// that are readable only where a granting parent's filter holds, with
	// that condition on the row (Hasura's CASE WHEN ... THEN col END).
	ColumnConditions map[string]residual.Expr
	// ComputedFields the role may read (select), sorted.
	ComputedFields []string
	// Limit is the select row limit; nil means none.
	Limit             *int
	AllowAggregations bool
	// Presets by column (insert, update), session variables substituted
	// and coerced.
	Presets  map[string]any
	Revision string
	// Slot is the deciding permission's (nil when none decided: admin,
	// or a role without the permission), as CheckResult's.
	Slot *Slot
	// Reason says in words why the kind is what it is.
	Reason string
	// Unbound, when not nil, is what Predicate, Check and
	// ColumnConditions were bound from, node for node: renderers may
	// render the permission's SQL once from it and bind only the values
	// (package server). Nil when the permission has no template, when
	// binding folded constants (an empty list, a jsonb null: the shape
	// changed), or when a value is a residual.Clock.
	Unbound *FilterUnbound
}

// filterPartialEvals counts requests answered by a partial evaluation of
// their own because the permission's residual could not be templated.
var filterPartialEvals atomic.Uint64

// FilterPartialEvaluations returns how many Filter requests, since the
// process started, needed a partial evaluation of their own because their
// permission's residual could not be turned into a template at load time.
// It stays 0 for every rule Warden compiles today; export it as a counter.
func FilterPartialEvaluations() uint64 { return filterPartialEvals.Load() }

// Filter returns the predicate on rows the session may touch. Errors:
// *UnknownTableError, *MissingSessionVariablesError, InvalidValueErrors (as
// Check: a variable the permission reads is missing or does not parse). No
// permission is AlwaysDenied, never an error.
func (s *Set) Filter(ctx context.Context, in FilterInput) (*FilterResult, error) {
	t, err := s.table(in.Table)
	if err != nil {
		return nil, err
	}
	in.Table = t.Name
	// One allocation for the result and the session values.
	sc := &filterScratch{}
	res := &sc.res
	res.Role, res.Revision = in.Session.Role, s.policy.Revision
	if in.Session.Role == model.AdminRole {
		res.Kind, res.Predicate, res.Reason = AlwaysAllowed, residual.True{}, "admin may do everything"
		if in.Op != model.OpDelete {
			res.Columns = s.allColumns[t.Name]
		}
		if in.Op == model.OpSelect {
			res.ComputedFields = s.allComputed[t.Name]
		}
		if in.Op == model.OpUpdate {
			res.Check = residual.True{}
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
		res.Kind, res.Predicate = AlwaysDenied, residual.False{}
		res.Reason = fmt.Sprintf("role %s has no %s permission on %s", in.Session.Role, in.Op, in.Table)
		if ok {
			res.Reason = fmt.Sprintf("the %s permission of role %s on %s is backend_only", in.Op, in.Session.Role, in.Table)
		}
		return res, nil
	}
	ft := pp.filterTmpl
	var vals []any
	if n := len(pp.session); n > len(sc.vals) {
		vals = make([]any, n)
	} else {
		vals = sc.vals[:n]
	}
	if err := sessionValues(pp, in.Session.Vars, vals, time.Time{}); err != nil {
		return nil, err
	}
	if len(pp.perm.Set) > 0 {
		if res.Presets, err = presets(pp.perm, in.Session.Vars, s.now()); err != nil {
			return nil, err
		}
	}
	perm := pp.perm
	res.Columns, res.Limit, res.AllowAggregations = perm.Columns, perm.Limit, perm.AllowAggregations
	res.ComputedFields = perm.ComputedFields
	tr := ft
	if ft.fallback {
		if tr, err = s.partialFilter(ctx, pp, ft, in.Session.Vars); err != nil {
			return nil, err
		}
	}
	if in.DeferBinding && ft.planned && !ft.fallback && !hasClock(vals) && kindOf(ft.pred) != AlwaysDenied {
		// What the binding below would decide, without binding: when
		// nothing folds the bound trees are the template's shape, node for
		// node (residual.BindFolded), so the template's root gives the
		// same Kind. AlwaysDenied is bound as always: it drops the column
		// conditions, which Unbound keeps.
		folded, err := ft.predFolds.Folds(vals)
		if err == nil && !folded && ft.check != nil {
			folded, err = ft.checkFolds.Folds(vals)
		}
		for i := range ft.colFolds {
			if err != nil || folded {
				break
			}
			folded, err = ft.colFolds[i].Folds(vals)
		}
		if err != nil {
			return nil, err
		}
		if !folded {
			sc.unbound = FilterUnbound{Predicate: ft.pred, Check: ft.check, ColumnConditions: ft.columns,
				Params: ft.params, Values: vals, Cache: &ft.cache}
			res.Unbound = &sc.unbound
			res.Kind = kindOf(ft.pred)
			res.Reason = ft.reasons[res.Kind-AlwaysAllowed]
			return res, nil
		}
	}
	var folded, f bool
	if res.Predicate, folded, err = bindOr(tr.pred, ft.params, vals); err != nil {
		return nil, err
	}
	if tr.check != nil {
		if res.Check, f, err = bindOr(tr.check, ft.params, vals); err != nil {
			return nil, err
		}
		folded = folded || f
	}
	if len(tr.columns) > 0 {
		res.ColumnConditions = make(map[string]residual.Expr, len(tr.columns))
		for col, e := range tr.columns {
			if res.ColumnConditions[col], f, err = bindOr(e, ft.params, vals); err != nil {
				return nil, err
			}
			folded = folded || f
		}
	}
	if !ft.fallback && !folded && !hasClock(vals) {
		sc.unbound = FilterUnbound{Predicate: ft.pred, Check: ft.check, ColumnConditions: ft.columns,
			Params: ft.params, Values: vals, Cache: &ft.cache}
		res.Unbound = &sc.unbound
	}
	res.Kind = kindOf(res.Predicate)
	res.Reason = ft.reasons[res.Kind-AlwaysAllowed]
	if res.Kind == AlwaysDenied {
		res.Columns, res.ColumnConditions = nil, nil
	}
	return res, nil
}

// kindOf is the kind of a filter whose bound predicate is e, or whose
// template is e when binding does not fold.
func kindOf(e residual.Expr) FilterKind {
	switch e.(type) {
	case residual.True:
		return AlwaysAllowed
	case residual.False:
		return AlwaysDenied
	}
	return Conditional
}

// filterScratch is a FilterResult with room for the session values.
type filterScratch struct {
	res     FilterResult
	unbound FilterUnbound
	vals    [8]any
}

func bindOr(e residual.Expr, params []residual.Param, vals []any) (residual.Expr, bool, error) {
	if e == nil {
		return nil, false, nil
	}
	return residual.BindFolded(e, params, vals)
}

// filterTemplate is the residual of one permission with the session
// unknown, built once per policy set.
type filterTemplate struct {
	// what is "filter" or "check", for reasons.
	what    string
	pred    residual.Expr
	check   residual.Expr
	columns map[string]residual.Expr
	// params[i] is the Param prepared.session[i] supplies (the same Param
	// may appear twice: the first is used).
	params []residual.Param
	// reasons for AlwaysAllowed, AlwaysDenied and Conditional.
	reasons [3]string
	// fallback: the residual could not be templated; every request runs
	// its own partial evaluation with the session known.
	fallback bool
	// prepared holds the fallback's partial evaluations by query.
	prepared map[string]*rego.PreparedPartialQuery
	// cache is FilterUnbound.Cache.
	cache TemplateCache
	// folds are residual.PlanFolds of pred, check and each of columns
	// (DeferBinding reads them instead of walking the trees); planned
	// says they were worked out: without them every request binds.
	predFolds, checkFolds residual.FoldPlan
	colFolds              []residual.FoldPlan
	planned               bool
}

// planFolds works out the template's FoldPlans.
func (ft *filterTemplate) planFolds() {
	ft.predFolds = residual.PlanFolds(ft.pred, ft.params)
	if ft.check != nil {
		ft.checkFolds = residual.PlanFolds(ft.check, ft.params)
	}
	for _, e := range ft.columns {
		ft.colFolds = append(ft.colFolds, residual.PlanFolds(e, ft.params))
	}
	ft.planned = true
}

// buildFilterTemplate runs the partial evaluations of one permission with
// the row, the session and other tables unknown.
func (s *Set) buildFilterTemplate(ctx context.Context, pp *prepared) (*filterTemplate, error) {
	ft := &filterTemplate{what: "filter"}
	ft.cache.total = s.templateCached
	if pp.perm.Filter == nil && pp.perm.Check != nil {
		ft.what = "check"
	}
	for _, n := range pp.session {
		ft.params = append(ft.params, paramOf(n))
	}
	defer func() {
		who := "role " + pp.perm.Role + ": the " + ft.what
		ft.reasons = [3]string{who + " holds for every row", who + " holds for no row", who + " holds where the predicate does"}
	}()
	err := fmt.Errorf("forced by a test")
	if !forceFilterFallback {
		err = s.translateFilter(pp, func(q string) (*rego.PartialQueries, error) {
			pq, err := s.newPartial(pp, q, true).Partial(ctx)
			if err != nil {
				return nil, fmt.Errorf("partial evaluation of %s: %w", q, err)
			}
			return pq, nil
		}, ft)
	}
	if err == nil {
		ft.planFolds()
		return ft, nil
	}
	// Not templatable: every request runs its own partial evaluation with
	// the session known (and fails there if that does not translate
	// either), prepared now.
	ft.fallback = true
	ft.prepared = map[string]*rego.PreparedPartialQuery{}
	for _, fq := range filterQueries(pp) {
		pq, err := s.newPartial(pp, fq.query, false).PrepareForPartial(ctx)
		if err != nil {
			return nil, fmt.Errorf("prepare partial evaluation of %s: %w", fq.query, err)
		}
		ft.prepared[fq.query] = &pq
	}
	return ft, nil
}

// forceFilterFallback makes every permission use the per-request fallback
// (tests only).
var forceFilterFallback bool

// partialFilter is the per-request fallback: partial evaluations with the
// session known, prepared when the set loaded.
func (s *Set) partialFilter(ctx context.Context, pp *prepared, ft *filterTemplate, vars map[string]string) (*filterTemplate, error) {
	filterPartialEvals.Add(1)
	session, err := pp.sessionValue(vars)
	if err != nil {
		return nil, err
	}
	input := rego.EvalParsedInput(ast.NewObject([2]*ast.Term{ast.StringTerm("session"), session}))
	out := &filterTemplate{}
	pe := func(q string) (*rego.PartialQueries, error) {
		pq, ok := ft.prepared[q]
		if !ok {
			return nil, fmt.Errorf("no prepared partial evaluation for %s", q)
		}
		return pq.Partial(ctx, input)
	}
	if err := s.translateFilter(pp, pe, out); err != nil {
		return nil, fmt.Errorf("filter for %s %s role %s: %w", pp.table.Name, pp.perm.Op, pp.perm.Role, err)
	}
	return out, nil
}

// filterQuery is one rule query of a permission's filter template.
type filterQuery struct {
	query, root string
	// column is set for a column condition.
	column string
	// check: the update's check.
	check bool
}

// filterQueries lists the rule queries of a permission: the filter (or the
// insert check), the update check, and each column condition.
func filterQueries(pp *prepared) []filterQuery {
	t, perm := pp.table, pp.perm
	var out []filterQuery
	switch {
	case perm.Filter != nil:
		out = append(out, filterQuery{query: compile.RuleRef(t.Name, perm.Op, compile.RuleFilter, perm.Role), root: "input.row"})
		if perm.Check != nil {
			out = append(out, filterQuery{query: compile.RuleRef(t.Name, perm.Op, compile.RuleCheck, perm.Role), root: "input.new_row", check: true})
		}
	case perm.Check != nil:
		out = append(out, filterQuery{query: compile.RuleRef(t.Name, perm.Op, compile.RuleCheck, perm.Role), root: "input.row"})
	}
	cols := make([]string, 0, len(perm.ColumnConditions))
	for col := range perm.ColumnConditions {
		cols = append(cols, col)
	}
	sort.Strings(cols)
	for _, col := range cols {
		q := compile.RuleRef(t.Name, perm.Op, compile.RuleColumns, perm.Role) + "[" + quoteRego(col) + "]"
		out = append(out, filterQuery{query: q, root: "input.row", column: col})
	}
	return out
}

// translateFilter fills ft's predicates from the partial evaluations pe
// returns for each query of the permission.
func (s *Set) translateFilter(pp *prepared, pe func(query string) (*rego.PartialQueries, error), ft *filterTemplate) error {
	t, perm := pp.table, pp.perm
	pats := residual.Patterns(perm.Filter, perm.Check)
	for _, c := range perm.ColumnConditions {
		for re, o := range residual.Patterns(c) {
			pats[re] = o
		}
	}
	ft.pred = residual.True{}
	if perm.Op == model.OpUpdate {
		ft.check = residual.True{}
	}
	for _, fq := range filterQueries(pp) {
		pq, err := pe(fq.query)
		if err != nil {
			return err
		}
		e, err := residual.Translate(pq.Queries, pq.Support, residual.Source{Policy: s.policy, Table: t, Root: fq.root, Patterns: pats})
		if err != nil {
			if fq.column != "" {
				return fmt.Errorf("column %s: %w", fq.column, err)
			}
			return err
		}
		switch {
		case fq.column != "":
			if ft.columns == nil {
				ft.columns = make(map[string]residual.Expr, len(perm.ColumnConditions))
			}
			ft.columns[fq.column] = e
		case fq.check:
			ft.check = e
		default:
			ft.pred = e
		}
	}
	return nil
}

// newPartial returns a partial evaluation of query with the row, the new
// row and other tables unknown, and the session unknown too when
// sessionUnknown; the library functions and the module's helpers stay
// calls (partialOf).
func (s *Set) newPartial(pp *prepared, query string, sessionUnknown bool) *rego.Rego {
	unknowns := []string{"input.row", "input.new_row", "input.tables"}
	if sessionUnknown {
		unknowns = append(unknowns, "input.session")
	}
	return s.partialOf(pp, query, rego.Unknowns(unknowns))
}

// partialOf returns a partial evaluation of one of pp's rules that keeps
// the library functions and the module's helper rules (any_N, exists_N)
// out of inlining (see inlining). Inlined, a helper holding an OR
// multiplies the queries of the rule that reads it: partial evaluation
// answers in disjunctive normal form, so a rule that ANDs n two-way ORs
// becomes 2^n queries, and its SQL repeats every subquery in each. Kept
// out, a helper is a support rule that residual.Translate turns into one
// Or node: the residual, the predicate tree and the SQL grow linearly with
// the rule.
func (s *Set) partialOf(pp *prepared, query string, opts ...func(*rego.Rego)) *rego.Rego {
	return rego.New(append([]func(*rego.Rego){
		rego.Query(query),
		rego.Compiler(s.compiler),
		rego.DisableInlining(pp.inlining.all),
		rego.Metrics(metrics.NoOp()), // none read; kept, they would live as long as the query
	}, opts...)...)
}

// FilterTemplateStats counts, for the status page and metrics, the
// permissions whose Filter residual is a template and those that need a
// partial evaluation per request.
type FilterTemplateStats struct {
	Templated int
	Fallback  int
}

// FilterTemplateStats counts the templates.
func (s *Set) FilterTemplateStats() FilterTemplateStats {
	var st FilterTemplateStats
	for _, pp := range s.perms {
		ft := pp.filterTmpl
		if ft == nil {
			continue
		}
		if ft.fallback {
			st.Fallback++
		} else {
			st.Templated++
		}
	}
	return st
}
