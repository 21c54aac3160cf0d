package engine

// This file decides Check's rows without OPA on the request path. OPA stays
// the source of truth: its partial evaluation of each permission's Rego,
// once when the set loads, is the Filter template (filter.go); Check binds
// the same template to the session and evaluates it on each row with
// residual.Eval, the reference semantics the differential test holds SQL
// and Filter to. OPA still decides what has no template (its translation
// failed, or its rule reads an operator only the database decides: PostGIS's
// _st_*), every row that lacks data a rule reads (NEEDS_DATA, answered by
// partial evaluation), and everything when the set runs with EvaluatorOPA.

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// Evaluator says what decides Check's rows.
type Evaluator int

// The evaluators.
const (
	// EvaluatorNative evaluates the permission's residual template, bound
	// to the session, in Go; OPA where there is no template and for rows
	// that lack data. The default.
	EvaluatorNative Evaluator = iota
	// EvaluatorOPA evaluates every row with OPA's evaluator, as Warden did
	// before templates decided Check.
	EvaluatorOPA
)

// String returns "native" or "opa".
func (e Evaluator) String() string {
	if e == EvaluatorOPA {
		return "opa"
	}
	return "native"
}

// ParseEvaluator reads "native" or "opa" (the --evaluator setting).
func ParseEvaluator(s string) (Evaluator, error) {
	switch s {
	case "native":
		return EvaluatorNative, nil
	case "opa":
		return EvaluatorOPA, nil
	}
	return 0, fmt.Errorf("evaluator %q: want native or opa", s)
}

// WithEvaluator returns the set deciding Check's rows with e. The two sets
// share everything else (modules, queries, templates); both stay usable.
// A set built for EvaluatorNative and used with EvaluatorOPA prepares the
// queries it did not keep at their first use (ForEvaluator).
func (s *Set) WithEvaluator(e Evaluator) *Set {
	c := *s
	c.evaluator = e
	return &c
}

// WithClock returns the set reading now for the time of a decision (clock
// words, presets), sharing everything else: for tests that run one
// decision twice and compare, both at the same instant.
func (s *Set) WithClock(now func() time.Time) *Set {
	c := *s
	c.clock = now
	return &c
}

func (s *Set) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// Evaluator returns what decides Check's rows.
func (s *Set) Evaluator() Evaluator { return s.evaluator }

// NativeStats counts the permissions whose Check is decided by their
// template and those left to OPA (no template).
type NativeStats struct {
	Native int
	OPA    int
}

// NativeStats counts the permissions by evaluator.
func (s *Set) NativeStats() NativeStats {
	var st NativeStats
	for _, pp := range s.perms {
		if pp.native != nil {
			st.Native++
		} else {
			st.OPA++
		}
	}
	return st
}

// nativeTmpl is what Check evaluates of a permission in Go: the templates of
// its Filter, placed where Check's rules read them.
type nativeTmpl struct {
	// filter is evaluated on the row (nil: the permission has none).
	filter residual.Expr
	// check is evaluated on the row for insert, on the new row for update
	// (nil: none).
	check residual.Expr
	// columns are the column conditions, sorted by column.
	columns []columnTmpl
	// params[i] is the Param prepared.session[i] supplies.
	params []residual.Param
}

type columnTmpl struct {
	column string
	cond   residual.Expr
}

// nativeOf places pp's Filter template for Check, or returns nil when there
// is none or its layout is not Check's, and OPA decides.
func nativeOf(pp *prepared) *nativeTmpl {
	ft := pp.filterTmpl
	if ft == nil || ft.fallback || forceOPAEvaluator {
		return nil
	}
	perm := pp.perm
	nt := &nativeTmpl{}
	switch {
	case perm.Filter != nil:
		nt.filter = ft.pred
		if perm.Check != nil {
			if perm.Op != model.OpUpdate || ft.check == nil {
				return nil
			}
			nt.check = ft.check
		}
	case perm.Check != nil:
		if perm.Op == model.OpUpdate {
			// Filter reads this check on the current row, Check on the new
			// one.
			return nil
		}
		nt.check = ft.pred
	}
	cols := slices.Sorted(func(yield func(string) bool) {
		for c := range perm.ColumnConditions {
			if !yield(c) {
				return
			}
		}
	})
	for _, c := range cols {
		e, ok := ft.columns[c]
		if !ok {
			return nil
		}
		nt.columns = append(nt.columns, columnTmpl{column: c, cond: e})
	}
	// Every Param has its session value (Filter's Bind fails otherwise).
	for _, e := range nt.exprs() {
		if residual.CheckTemplate(e, ft.params) != nil {
			return nil
		}
	}
	// An operator only the database decides (PostGIS's _st_*, ltree's
	// lquery matching, ltree and array ordering): Check
	// answers NEEDS_DATA for it, which OPA's partial evaluation gives with
	// its residual; the template would evaluate it.
	for _, e := range nt.exprs() {
		if databaseDecided(e) {
			return nil
		}
	}
	nt.params = ft.params
	return nt
}

func (nt *nativeTmpl) exprs() []residual.Expr {
	var out []residual.Expr
	for _, e := range []residual.Expr{nt.filter, nt.check} {
		if e != nil {
			out = append(out, e)
		}
	}
	for _, c := range nt.columns {
		out = append(out, c.cond)
	}
	return out
}

// holds evaluates a template on a row with the request's session values.
func (nt *nativeTmpl) holds(e residual.Expr, vals []any, row map[string]any, tables map[model.TableName][]map[string]any) bool {
	return residual.EvalTemplate(e, nt.params, vals, residual.Data{Row: row, Tables: tables})
}

// forceOPAEvaluator leaves every permission without a native template
// (tests only).
var forceOPAEvaluator bool

// hasGaps says whether a row lacks data a rule of pp reads: then OPA's
// partial evaluation decides it (decide), NEEDS_DATA or not.
func hasGaps(pp *prepared, in CheckInput, r *Row) bool {
	values := valuesOf(r)
	if pp.filterNeeds != nil && !pp.filterNeeds.complete(values, in.Tables) {
		return true
	}
	if pp.checkNeeds != nil {
		nv := values
		if in.Op == model.OpUpdate {
			if v, ok := newValuesOf(r); ok {
				nv = v
			}
		}
		if !pp.checkNeeds.complete(nv, in.Tables) {
			return true
		}
	}
	return pp.columnNeeds != nil && !pp.columnNeeds.complete(values, in.Tables)
}

// decideNative is decide for a row that has every datum the rules read,
// with the templates and the request's session values: the same decisions,
// reasons and columns.
func decideNative(pp *prepared, b *nativeTmpl, vals []any, in CheckInput, r Row, row, newRow map[string]any, tables map[model.TableName][]map[string]any) RowResult {
	out := RowResult{ID: r.ID}
	// At most filter, check and columns: room on the stack.
	var room [3]string
	reasons := room[:0]
	result := isTrue
	if b.filter != nil {
		if b.holds(b.filter, vals, row, tables) {
			reasons = append(reasons, "filter holds")
		} else {
			reasons = append(reasons, "filter does not hold")
			result = isFalse
		}
	}
	if b.check != nil && result != isFalse {
		what, nr := "check", row
		if in.Op == model.OpUpdate {
			what, nr = "check on the new row", newRow
		}
		if b.holds(b.check, vals, nr, tables) {
			reasons = append(reasons, what+" holds")
		} else {
			reasons = append(reasons, what+" does not hold")
			result = isFalse
		}
	}
	cols := pp.fixedColumns
	if len(b.columns) > 0 && result == isTrue {
		var extra []string
		for _, c := range b.columns {
			if b.holds(c.cond, vals, row, tables) {
				extra = append(extra, c.column)
			}
		}
		cols = append(append([]string(nil), cols...), extra...)
		sort.Strings(cols)
	}
	return conclude(out, in, result, reasons, nil, cols)
}

// checkNative decides the rows of a Check with the permission's template:
// rows are coerced to Go values trimmed to what the rules read, the
// template bound once to the session; a row that lacks data goes to OPA
// (decide) with the OPA input built for it alone.
func (s *Set) checkNative(ctx context.Context, pp *prepared, nt *nativeTmpl, in CheckInput, vals []any, refused []*RowResult, res *CheckResult) error {
	t := pp.table
	var bad InvalidValueErrors
	rows := make([]map[string]any, len(in.Rows))
	news := make([]map[string]any, len(in.Rows))
	for i, r := range in.Rows {
		if refused != nil && refused[i] != nil {
			continue
		}
		var errs InvalidValueErrors
		rows[i], errs = s.rowGo(t, valuesOf(&r), &fieldPath{name: "values", index: i, root: true}, pp.rowReads)
		bad = append(bad, errs...)
		news[i] = rows[i]
		if nv, ok := newValuesOf(&r); ok {
			news[i], errs = s.rowGo(t, nv, &fieldPath{name: "new_values", index: i, root: true}, pp.rowReads)
			bad = append(bad, errs...)
		}
	}
	tables, errs := s.tablesGo(in.Tables)
	bad = append(bad, errs...)
	if len(bad) > 0 {
		return bad
	}
	var opa *opaInputs
	for i, r := range in.Rows {
		if refused != nil && refused[i] != nil {
			res.Rows[i] = *refused[i]
			continue
		}
		if !hasGaps(pp, in, &r) {
			res.Rows[i] = decideNative(pp, nt, vals, in, r, rows[i], news[i], tables)
			continue
		}
		// OPA reads maps.
		r = materialized(r)
		var err error
		if opa == nil {
			if opa, err = s.newOPAInputs(ctx, pp, in, vals); err != nil {
				return err
			}
			defer opa.sc.close()
		}
		// Validated above: no errors here.
		row, _ := s.rowTerm(t, r.Values, "", pp.rowReads)
		newRow := row
		if r.New != nil {
			newRow, _ = s.rowTerm(t, r.New, "", pp.rowReads)
		}
		if res.Rows[i], err = s.decide(ctx, opa.sc, pp, in, r, opa.session, row, newRow, opa.tables); err != nil {
			return err
		}
	}
	return nil
}

// fieldPath is the path of a value in the request, turned into text only
// for a value that fails (rowTerm formats every path up front).
type fieldPath struct {
	parent *fieldPath
	// root: "rows[index].name"; else parent.name, or parent[index] when
	// name is empty.
	root  bool
	name  string
	index int
	// text, when set, is the whole path.
	text string
}

func (p *fieldPath) String() string {
	switch {
	case p.text != "":
		return p.text
	case p.root:
		return "rows[" + strconv.Itoa(p.index) + "]." + p.name
	case p.name == "":
		return p.parent.String() + "[" + strconv.Itoa(p.index) + "]"
	}
	return p.parent.String() + "." + p.name
}

// opaInputs is what OPA's evaluation of a row needs besides the row.
type opaInputs struct {
	sc              *evalScope
	session, tables *ast.Term
}

func (s *Set) newOPAInputs(ctx context.Context, pp *prepared, in CheckInput, vals []any) (*opaInputs, error) {
	session, err := pp.sessionTerm(vals)
	if err != nil {
		return nil, err
	}
	tables, bad := s.tablesValue(in.Tables)
	if len(bad) > 0 {
		return nil, bad
	}
	return &opaInputs{sc: newEvalScope(ctx), session: session, tables: tables}, nil
}

// rowGo is rowTerm with Go values: the canonical values residual.Eval
// reads, with the same validation and the same errors.
func (s *Set) rowGo(t *model.Table, values rowView, path *fieldPath, keep *needs) (map[string]any, InvalidValueErrors) {
	var bad InvalidValueErrors
	n := values.len()
	if keep != nil {
		n = min(n, len(keep.cols)+len(keep.rels))
	}
	out := make(map[string]any, n)
	for k, v := range values.all {
		if col, ok := t.Field(k); ok {
			if values.obj && holdsObject(v) {
				v = PlainValue(v) // a json/jsonb column's object
			}
			if keep != nil && !keep.cols[k] {
				// Validated, not kept: no value built.
				if err := model.ValidColumn(col.Type, v); err != nil {
					bad = append(bad, &InvalidValueError{Field: path.String() + "." + k, Kind: col.Type.Kind, Reason: err.Error()})
				}
				continue
			}
			cv, err := model.CoerceColumn(col.Type, v, false)
			if err != nil {
				bad = append(bad, &InvalidValueError{Field: path.String() + "." + k, Kind: col.Type.Kind, Reason: err.Error()})
				continue
			}
			out[k] = cv
			continue
		}
		rel, ok := t.Relationships[k]
		if !ok {
			bad = append(bad, &InvalidValueError{Field: path.String() + "." + k, Reason: fmt.Sprintf("%s has no column or relationship %q", t.Name, k)})
			continue
		}
		target, ok := s.policy.Tables[rel.Target]
		if !ok {
			bad = append(bad, &InvalidValueError{Field: path.String() + "." + k, Reason: fmt.Sprintf("relationship target %s is not loaded", rel.Target)})
			continue
		}
		var child *needs // nil: keep everything
		if keep != nil {
			if child = keep.rels[k]; child == nil {
				child = emptyNeeds // validated, then dropped
			}
		}
		rv, ok, errs := s.relatedGo(rel, target, v, &fieldPath{parent: path, name: k}, child)
		bad = append(bad, errs...)
		if ok && (keep == nil || keep.rels[k] != nil) {
			out[k] = rv
		}
	}
	return out, bad
}

// relatedGo is relatedTerm with Go values; ok is false when the value is
// not a relationship's.
func (s *Set) relatedGo(rel *model.Relationship, target *model.Table, v any, path *fieldPath, keep *needs) (any, bool, InvalidValueErrors) {
	if rel.Kind == model.RelObject {
		if v == nil {
			return nil, true, nil
		}
		if x, ok := objectView(v); ok {
			m, bad := s.rowGo(target, x, path, keep)
			return m, true, bad
		}
		return nil, false, InvalidValueErrors{{Field: path.String(), Reason: fmt.Sprintf("object relationship %s takes an object or null", rel.Name)}}
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false, InvalidValueErrors{{Field: path.String(), Reason: fmt.Sprintf("array relationship %s takes a list of rows", rel.Name)}}
	}
	var bad InvalidValueErrors
	out := make([]any, 0, len(list))
	for i, el := range list {
		elem := fieldPath{parent: path, index: i}
		m, ok := objectView(el)
		if !ok {
			bad = append(bad, &InvalidValueError{Field: elem.String(), Reason: "a related row must be an object"})
			continue
		}
		row, errs := s.rowGo(target, m, &elem, keep)
		bad = append(bad, errs...)
		out = append(out, row)
	}
	return out, true, bad
}

// tablesGo is tablesValue with Go values.
func (s *Set) tablesGo(tables map[model.TableName][]map[string]any) (map[model.TableName][]map[string]any, InvalidValueErrors) {
	if len(tables) == 0 {
		return nil, nil
	}
	var bad InvalidValueErrors
	out := make(map[model.TableName][]map[string]any, len(tables))
	for name, rows := range tables {
		field := "tables[" + name.String() + "]"
		t, ok := s.policy.Tables[name]
		if !ok {
			bad = append(bad, &InvalidValueError{Field: field, Reason: fmt.Sprintf("unknown table %s", name)})
			continue
		}
		conv := make([]map[string]any, 0, len(rows))
		for i, r := range rows {
			row, errs := s.rowGo(t, rowView{m: r}, &fieldPath{text: fmt.Sprintf("%s.rows[%d]", field, i)}, nil)
			bad = append(bad, errs...)
			conv = append(conv, row)
		}
		out[name] = conv
	}
	return out, bad
}

// databaseDecided reports whether e holds a comparison Warden never
// evaluates itself (residual.Spatial, residual.Database).
func databaseDecided(e residual.Expr) bool {
	found := false
	residual.Walk(e, func(x residual.Expr) {
		switch x.(type) {
		case residual.Spatial, residual.Database:
			found = true
		}
	})
	return found
}
