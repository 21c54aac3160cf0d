// Package engine evaluates a compiled policy set. Every Rego module is
// compiled once, and every (table, operation, role) gets its prepared
// queries and, from OPA's partial evaluation, its residual template when the
// set is built; a request chooses them by map lookup and coerces its session
// and rows in Go. Check evaluates the template on each row (native.go), or
// OPA's prepared queries with an input built directly as an OPA value
// (EvaluatorOPA, rows that lack data, permissions without a template).
package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// Set is a compiled, immutable policy set ready to evaluate. Safe for
// concurrent use.
type Set struct {
	policy   *model.Policy
	modules  []compile.Module
	compiler *ast.Compiler
	perms    map[permKey]*prepared
	// nativeQueries decides the rows of native queries (NativeQueries).
	nativeQueries *Set
	// allColumns holds every table's columns, sorted: what the admin role
	// may read. Shared by results, never modified.
	allColumns map[model.TableName][]string
	// allComputed holds every table's computed fields, sorted; allFields
	// its columns and computed fields: what the admin role may read.
	allComputed, allFields map[model.TableName][]string
	// evaluator decides Check's rows (native.go).
	evaluator Evaluator
	// clock is what Check reads for clock words and presets; nil is
	// time.Now (WithClock).
	clock func() time.Time
	// templateCached counts the entries of every permission's
	// TemplateCache (FilterUnbound.Cache), bounded in total.
	templateCached *atomic.Int64
	// tablePlans holds each table's rowPlan keeping everything (tablePlan).
	tablePlans *sync.Map
}

type permKey struct {
	table model.TableName
	op    model.Operation
	role  string
}

// prepared is everything evaluation needs for one permission.
type prepared struct {
	perm  *model.Permission
	table *model.Table
	// filter, check and columns are the rules' queries prepared for
	// evaluation (nil: the permission has no such rule). Every one is
	// prepared when the set loads; a permission the native evaluator
	// decides keeps its queries only when the set is built for
	// EvaluatorOPA, else prepares them again at their first use (rows
	// that lack data, WithEvaluator(EvaluatorOPA)): most never are, and
	// each is some hundred objects the garbage collector marks.
	filter  *ruleQuery
	check   *ruleQuery
	columns *ruleQuery
	// filterNeeds / checkNeeds / columnNeeds: data the rules read.
	filterNeeds *needs
	checkNeeds  *needs
	columnNeeds *needs
	// rowReads is all three merged: what Check keeps of a row.
	rowReads *needs
	// plan and fullPlan: how rowGo reads a row keeping rowReads, and
	// keeping everything; made at their first use.
	planOnce, fullPlanOnce sync.Once
	plan, fullPlan         *rowPlan
	// plainReads is how many columns a kept row has when it has every
	// column the rules read, and they read nothing else (plainReads);
	// -1 when they do.
	plainReads int
	// session variables read by the rules and presets, sorted by name.
	session []sessionNeed
	// unconditional columns (granted by every contributing parent).
	fixedColumns []string
	// filterTmpl is the Filter template (filter.go), built by New.
	filterTmpl *filterTemplate
	// patterns maps the regexes of the rules' literal patterns back to
	// their operators, for residuals of NEEDS_DATA decisions.
	patterns map[string]residual.PatternOrigin
	// inlining says what partial evaluations of the permission keep out
	// of inlining (inlining.go).
	inlining *inlining
	// native is the template Check evaluates in Go (native.go); nil when
	// OPA decides.
	native *nativeTmpl
	// slot is what the results the permission decides name (Slot).
	slot Slot
}

// Option configures New.
type Option func(*options)

type options struct {
	evaluator Evaluator
}

// ForEvaluator returns the set deciding Check's rows with e (as
// WithEvaluator does). With EvaluatorOPA the set keeps every rule's query
// prepared when it loads; with EvaluatorNative (the default) a permission
// that has a native template keeps none and prepares them at their first
// use, for the rows OPA decides.
func ForEvaluator(e Evaluator) Option {
	return func(o *options) { o.evaluator = e }
}

// New compiles p to Rego, compiles the modules with OPA's strict compiler
// and prepares every query: a query that does not prepare fails the load,
// whichever are kept (ForEvaluator).
func New(ctx context.Context, p *model.Policy, opts ...Option) (*Set, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	mods, err := compile.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	parsed := make(map[string]*ast.Module, len(mods))
	for _, m := range mods {
		pm, err := ast.ParseModuleWithOpts(m.Path, m.Source, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, fmt.Errorf("parse compiled module %s: %w", m.Path, err)
		}
		parsed[m.Path] = pm
	}
	c := ast.NewCompiler().WithStrict(true)
	if c.Compile(parsed); c.Failed() {
		return nil, fmt.Errorf("OPA rejected the compiled policy: %w", c.Errors)
	}
	s := &Set{policy: p, modules: mods, compiler: c, perms: map[permKey]*prepared{}, evaluator: o.evaluator, templateCached: new(atomic.Int64), tablePlans: new(sync.Map),
		allColumns: map[model.TableName][]string{}, allComputed: map[model.TableName][]string{}, allFields: map[model.TableName][]string{}}
	inl := map[string]*inlining{}
	for _, m := range mods {
		if inl[m.Package], err = newInlining(m); err != nil {
			return nil, fmt.Errorf("compiled module %s: %w", m.Path, err)
		}
	}
	for _, t := range p.SortedTables() {
		s.allColumns[t.Name] = slices.Sorted(slices.Values(t.ColumnNames()))
		s.allComputed[t.Name] = computedNames(t)
		s.allFields[t.Name] = slices.Sorted(slices.Values(append(t.ColumnNames(), s.allComputed[t.Name]...)))
		for _, op := range model.Operations {
			for role, perm := range t.Permissions[op] {
				pp, err := s.prepare(ctx, t, op, perm)
				if err != nil {
					return nil, fmt.Errorf("%s %s role %s: %w", t.Name, op, role, err)
				}
				pp.inlining = inl[compile.PackagePath(t.Name, op)]
				// The Filter template: partial evaluation once per
				// permission, so that the cost is paid, and problems are
				// reported, when the set loads.
				if pp.filterTmpl, err = s.buildFilterTemplate(ctx, pp); err != nil {
					return nil, fmt.Errorf("filter template for %s %s role %s: %w", t.Name, op, role, err)
				}
				pp.native = nativeOf(pp)
				keep := pp.native == nil || o.evaluator == EvaluatorOPA
				for _, q := range []*ruleQuery{pp.filter, pp.check, pp.columns} {
					if q != nil && keep {
						q.keep()
					} else if q != nil {
						q.q = nil
					}
				}
				s.perms[permKey{t.Name, op, role}] = pp
			}
		}
	}
	// Every query that runs at load has run (errors cite their Rego
	// lines); what remains is what the requests evaluate.
	dropLocations(c)
	if np := p.NativePolicy(); np != nil {
		if s.nativeQueries, err = New(ctx, np); err != nil {
			return nil, fmt.Errorf("native queries: %w", err)
		}
	}
	return s, nil
}

// NativeQueries returns the set deciding the rows of native queries (the
// tables of model.Policy.NativePolicy, named model.NativeTableName); nil
// when the policy has none.
func (s *Set) NativeQueries() *Set { return s.nativeQueries }

func (s *Set) prepare(ctx context.Context, t *model.Table, op model.Operation, perm *model.Permission) (*prepared, error) {
	pp := &prepared{perm: perm, table: t, patterns: residual.Patterns(perm.Filter, perm.Check)}
	query := func(rule string) (*ruleQuery, error) {
		rq := &ruleQuery{ref: compile.RuleRef(t.Name, op, rule, perm.Role)}
		q, err := prepareRule(ctx, s.compiler, rq.ref)
		if err != nil {
			return nil, err
		}
		rq.q = q
		return rq, nil
	}
	var err error
	sess := map[sessionNeed]bool{}
	if perm.Filter != nil {
		if pp.filter, err = query(compile.RuleFilter); err != nil {
			return nil, err
		}
		pp.filterNeeds = newNeeds()
		collect(perm.Filter, pp.filterNeeds, pp.filterNeeds)
		sessionNeeds(perm.Filter, sess)
	}
	if perm.Check != nil {
		if pp.check, err = query(compile.RuleCheck); err != nil {
			return nil, err
		}
		pp.checkNeeds = newNeeds()
		collect(perm.Check, pp.checkNeeds, pp.checkNeeds)
		sessionNeeds(perm.Check, sess)
	}
	if len(perm.ColumnConditions) > 0 {
		if pp.columns, err = query(compile.RuleColumns); err != nil {
			return nil, err
		}
		pp.columnNeeds = newNeeds()
		for _, cond := range perm.ColumnConditions {
			collect(cond, pp.columnNeeds, pp.columnNeeds)
			sessionNeeds(cond, sess)
		}
	}
	pp.rowReads = readsOf(pp)
	// Read only from now on: empty maps are dropped.
	for _, n := range []*needs{pp.filterNeeds, pp.checkNeeds, pp.columnNeeds, pp.rowReads} {
		n.compact()
	}
	pp.plainReads = plainReads(pp)
	for _, v := range perm.Set {
		if sv, ok := v.(model.SessionVar); ok {
			sess[sessionNeed{v: sv}] = true
		}
	}
	for n := range sess {
		pp.session = append(pp.session, n)
	}
	sort.Slice(pp.session, func(i, j int) bool {
		a, b := pp.session[i], pp.session[j]
		if a.v.Name != b.v.Name {
			return a.v.Name < b.v.Name
		}
		return fmt.Sprint(a) < fmt.Sprint(b)
	})
	for _, col := range perm.Columns {
		if _, cond := perm.ColumnConditions[col]; !cond {
			pp.fixedColumns = append(pp.fixedColumns, col)
		}
	}
	if len(perm.ComputedFields) > 0 {
		// A row's readable fields: columns and the computed fields the
		// select permission grants.
		pp.fixedColumns = slices.Sorted(slices.Values(append(pp.fixedColumns, perm.ComputedFields...)))
	}
	return pp, nil
}

// dropLocations clears the source locations of the compiled modules once
// the set has loaded: one object per term, expression and rule (the
// largest share of the set's objects), each holding a slice of its
// module's text. Nothing a request evaluates reads them: an evaluation
// error still says what failed, without the Rego line.
func dropLocations(c *ast.Compiler) {
	for _, m := range c.Modules {
		m.Comments = nil
		ast.NewGenericVisitor(func(x any) bool {
			switch x := x.(type) {
			case *ast.Term:
				x.Location = nil
			case *ast.Expr:
				x.Location = nil
			case *ast.Rule:
				x.Location = nil
			case *ast.Head:
				x.Location = nil
			case *ast.Package:
				x.Location = nil
			case *ast.Import:
				x.Location, x.AliasLocation = nil, nil
			case *ast.With:
				x.Location = nil
			case *ast.SomeDecl:
				x.Location = nil
			case *ast.Every:
				x.Location = nil
			}
			return false
		}).Walk(m)
	}
}

// ruleQuery is one rule's query prepared for evaluation: prepared when the
// set loads, then kept (keep) or prepared again at its first use (get).
type ruleQuery struct {
	ref  string
	once sync.Once
	// q is the prepared query: set at load, then read only through get.
	q   *rego.PreparedEvalQuery
	err error
	// partial prepares the filter's and the check's rule for partial
	// evaluation (NEEDS_DATA).
	partial lazyPartial
}

func prepareRule(ctx context.Context, c *ast.Compiler, ref string) (*rego.PreparedEvalQuery, error) {
	// No metrics: the registry and its timers would live as long as the
	// query, and nothing reads them.
	q, err := rego.New(rego.Query(ref), rego.Compiler(c), rego.Metrics(metrics.NoOp())).PrepareForEval(ctx)
	if err != nil {
		return nil, err
	}
	return &q, nil
}

// keep makes the query prepared at load the one get returns.
func (r *ruleQuery) keep() { r.once.Do(func() {}) }

// get returns the prepared query, preparing it at the first call when it
// was not kept. A failure is the error of every call: the rule is never
// decided without its query.
func (r *ruleQuery) get(c *ast.Compiler) (*rego.PreparedEvalQuery, error) {
	r.once.Do(func() {
		// Not the request's context: its cancellation would be every
		// later request's error.
		r.q, r.err = prepareRule(context.Background(), c, r.ref)
		if r.err != nil {
			r.err = fmt.Errorf("prepare %s: %w", r.ref, r.err)
		}
	})
	return r.q, r.err
}

// computedNames lists a table's computed fields, scalar and set-returning,
// sorted.
func computedNames(t *model.Table) []string {
	var out []string
	for name := range t.Computed {
		out = append(out, name)
	}
	for name, r := range t.Relationships {
		if r.Function != nil {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Policy returns the model the set was built from.
func (s *Set) Policy() *model.Policy { return s.policy }

// Revision returns the policy revision.
func (s *Set) Revision() string { return s.policy.Revision }

// Modules returns every compiled module, sorted by path.
func (s *Set) Modules() []compile.Module { return s.modules }

// TableModules returns the modules of one table, sorted by path; an unknown
// table is *UnknownTableError.
func (s *Set) TableModules(t model.TableName) ([]compile.Module, error) {
	tb, err := s.table(t)
	if err != nil {
		return nil, err
	}
	var out []compile.Module
	for _, m := range s.modules {
		if m.Table == tb.Name {
			out = append(out, m)
		}
	}
	return out, nil
}
