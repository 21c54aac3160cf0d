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
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
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
}

type permKey struct {
	table model.TableName
	op    model.Operation
	role  string
}

// prepared is everything evaluation needs for one permission.
type prepared struct {
	perm    *model.Permission
	table   *model.Table
	filter  *rego.PreparedEvalQuery
	check   *rego.PreparedEvalQuery
	columns *rego.PreparedEvalQuery
	// rule references, for partial evaluation when data is missing.
	filterRef, checkRef string
	// filterNeeds / checkNeeds / columnNeeds: data the rules read.
	filterNeeds *needs
	checkNeeds  *needs
	columnNeeds *needs
	// rowReads is all three merged: what Check keeps of a row.
	rowReads *needs
	// partials prepares filterRef and checkRef for partial evaluation
	// (NEEDS_DATA), by reference.
	partials map[string]*lazyPartial
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
}

// New compiles p to Rego, compiles the modules with OPA's strict compiler
// and prepares every query.
func New(ctx context.Context, p *model.Policy) (*Set, error) {
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
	s := &Set{policy: p, modules: mods, compiler: c, perms: map[permKey]*prepared{},
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
				s.perms[permKey{t.Name, op, role}] = pp
			}
		}
	}
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
	query := func(rule string) (*rego.PreparedEvalQuery, error) {
		q, err := rego.New(
			rego.Query(compile.RuleRef(t.Name, op, rule, perm.Role)),
			rego.Compiler(s.compiler),
		).PrepareForEval(ctx)
		if err != nil {
			return nil, err
		}
		return &q, nil
	}
	var err error
	sess := map[sessionNeed]bool{}
	if perm.Filter != nil {
		if pp.filter, err = query(compile.RuleFilter); err != nil {
			return nil, err
		}
		pp.filterRef = compile.RuleRef(t.Name, op, compile.RuleFilter, perm.Role)
		pp.filterNeeds = newNeeds()
		collect(perm.Filter, pp.filterNeeds, pp.filterNeeds)
		sessionNeeds(perm.Filter, sess)
	}
	if perm.Check != nil {
		if pp.check, err = query(compile.RuleCheck); err != nil {
			return nil, err
		}
		pp.checkRef = compile.RuleRef(t.Name, op, compile.RuleCheck, perm.Role)
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
	pp.partials = map[string]*lazyPartial{}
	for _, ref := range []string{pp.filterRef, pp.checkRef} {
		if ref != "" {
			pp.partials[ref] = &lazyPartial{}
		}
	}
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
