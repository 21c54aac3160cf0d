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
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	// filterProg, checkProg and each column's prog are filter, check and
	// cond compiled (residual.CompileTemplate): what decideNative runs.
	filterProg, checkProg residual.Program
	// reasons are the rows' reasons as decideNative words them, made
	// once per outcome.
	reasons reasonCache
}

// reasonCache holds a permission's reasons, one per outcome of its
// filter and check (reasonCode), each made at its first use: the text of
// a row's reason is the same for every row of that outcome, and making
// it was one allocation per row.
type reasonCache [reasonCodes]atomic.Pointer[cachedReason]

type cachedReason struct{ role, text string }

// reasonCodes counts the outcomes: the filter's (none, holds, does not
// hold) times the check's (none, holds, does not hold, each on the row or
// on the new row).
const reasonCodes = 3 * 5

// reasonCode is an outcome's place in a reasonCache: filter and check
// are 0 for no rule, 1 when it holds, 2 when not; newRow says the check
// read an update's new row.
func reasonCode(filter, check int, newRow bool) int {
	if newRow && check > 0 {
		check += 2
	}
	return filter*5 + check
}

// of is reasonOf(role, reasons) for the outcome code (-1: not cached).
func (c *reasonCache) of(code int, role string, reasons []string) string {
	if c == nil || code < 0 {
		return reasonOf(role, reasons)
	}
	if r := c[code].Load(); r != nil && r.role == role {
		return r.text
	}
	text := reasonOf(role, reasons)
	c[code].Store(&cachedReason{role: role, text: text})
	return text
}

type columnTmpl struct {
	column string
	cond   residual.Expr
	prog   residual.Program
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
	if nt.filter != nil {
		nt.filterProg = residual.CompileTemplate(nt.filter, nt.params)
	}
	if nt.check != nil {
		nt.checkProg = residual.CompileTemplate(nt.check, nt.params)
	}
	for i, c := range nt.columns {
		nt.columns[i].prog = residual.CompileTemplate(c.cond, nt.params)
	}
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

// holdsOn evaluates a compiled template on a row with the request's
// session values.
func holdsOn(p residual.Program, vals []any, row map[string]any, tables map[model.TableName][]map[string]any) bool {
	return p.Eval(vals, residual.Data{Row: row, Tables: tables})
}

// forceOPAEvaluator leaves every permission without a native template
// (tests only).
var forceOPAEvaluator bool

// hasGaps says whether a row lacks data a rule of pp reads: then OPA's
// partial evaluation decides it (decide), NEEDS_DATA or not. It reads the
// rows as rowGo kept them (row, and newRow for an update's check): a
// field the rules read is kept when the request gives it, and a row that
// gives an invalid value never gets here.
func hasGaps(pp *prepared, in CheckInput, row, newRow map[string]any) bool {
	if pp.plainReads >= 0 && len(row) == pp.plainReads && len(newRow) == pp.plainReads {
		// rowGo keeps only the columns the rules read: all of them.
		return false
	}
	values := rowView{m: row}
	if pp.filterNeeds != nil && !pp.filterNeeds.complete(values, in.Tables) {
		return true
	}
	if pp.checkNeeds != nil {
		nv := values
		if in.Op == model.OpUpdate {
			nv = rowView{m: newRow}
		}
		if !pp.checkNeeds.complete(nv, in.Tables) {
			return true
		}
	}
	return pp.columnNeeds != nil && !pp.columnNeeds.complete(values, in.Tables)
}

// plainReads is pp.plainReads: the number of columns the rules read
// when they read columns only, -1 when a rule reads a relationship,
// another table (_exists) or a column the database decides. A row rowGo
// kept holds only columns the rules read, so one of that many holds
// every column each rule reads (each rule's needs are part of
// rowReads), and needs.complete would find no gap.
func plainReads(pp *prepared) int {
	if pp.rowReads == nil {
		return -1
	}
	for _, n := range []*needs{pp.filterNeeds, pp.checkNeeds, pp.columnNeeds, pp.rowReads} {
		if n != nil && (len(n.rels) > 0 || len(n.tables) > 0 || len(n.spatial) > 0) {
			return -1
		}
	}
	return len(pp.rowReads.cols)
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
	filter, check := 0, 0 // reasonCode's
	if b.filter != nil {
		if holdsOn(b.filterProg, vals, row, tables) {
			reasons, filter = append(reasons, "filter holds"), 1
		} else {
			reasons, filter = append(reasons, "filter does not hold"), 2
			result = isFalse
		}
	}
	update := in.Op == model.OpUpdate
	if b.check != nil && result != isFalse {
		nr, holds, fails := row, "check holds", "check does not hold"
		if update {
			nr, holds, fails = newRow, "check on the new row holds", "check on the new row does not hold"
		}
		if holdsOn(b.checkProg, vals, nr, tables) {
			reasons, check = append(reasons, holds), 1
		} else {
			reasons, check = append(reasons, fails), 2
			result = isFalse
		}
	}
	cols := pp.fixedColumns
	if len(b.columns) > 0 && result == isTrue {
		var extra []string
		for _, c := range b.columns {
			if holdsOn(c.prog, vals, row, tables) {
				extra = append(extra, c.column)
			}
		}
		cols = append(append([]string(nil), cols...), extra...)
		sort.Strings(cols)
	}
	return conclude(out, in, result, reasons, nil, cols, &b.reasons, reasonCode(filter, check, update))
}

// checkNative decides the rows of a Check with the permission's template:
// rows are coerced to Go values trimmed to what the rules read, the
// template bound once to the session; a row that lacks data goes to OPA
// (decide) with the OPA input built for it alone.
func (s *Set) checkNative(ctx context.Context, pp *prepared, nt *nativeTmpl, in CheckInput, vals []any, refused []*RowResult, res *CheckResult) error {
	t := pp.table
	plan := s.rowPlanOf(pp, false)
	var bad InvalidValueErrors
	path := newFieldPath("values", 0)
	// The rows' maps live until the rows are decided, here: reused by
	// the next call.
	path.maps = mapArenas.Get().(*mapArena)
	defer path.maps.release()
	// The compiled templates take the values through a closure call, so
	// they escape: the arena's copy does, not the caller's.
	progVals := path.maps.values(vals)
	rows := make([]map[string]any, len(in.Rows))
	news := make([]map[string]any, len(in.Rows))
	for i, r := range in.Rows {
		if refused != nil && refused[i] != nil {
			continue
		}
		var errs InvalidValueErrors
		rows[i], errs = s.rowGo(plan, valuesOf(&r), path.reset("values", i))
		bad = append(bad, errs...)
		news[i] = rows[i]
		if nv, ok := newValuesOf(&r); ok {
			news[i], errs = s.rowGo(plan, nv, path.reset("new_values", i))
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
		if !hasGaps(pp, in, rows[i], news[i]) {
			res.Rows[i] = decideNative(pp, nt, progVals, in, r, rows[i], news[i], tables)
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

// fieldPath is the path of the value being read in the request, as a
// stack of segments pushed on the way down and popped on the way up:
// turned into text only for a value that fails (rowTerm formats every
// path up front), and one for all of a call's rows, so that reading a
// related row allocates no path. The first segments sit in the path
// itself (no slice into its own array, which made every path escape to
// the heap), deeper ones in more.
type fieldPath struct {
	n    int
	room [8]pathSeg
	more []pathSeg
	// maps gives rowGo its maps (nil: made anew).
	maps *mapArena
}

// mapArena holds the maps of a call's rows for the next call: made
// anew, the maps of a Check of 100 rows were a large share of what it
// allocates, and the collections that follow were a tenth of the
// server's CPU under load. A map is cleared when the arena is released;
// whoever takes one must not keep it past the call.
type mapArena struct {
	maps []map[string]any
	n    int // maps[:n] are in use
	// vals holds a copy of the call's session values (values).
	vals [8]any
	more []any
}

// maxArenaMaps bounds the maps an arena keeps (more are made anew).
const maxArenaMaps = 4096

var mapArenas = sync.Pool{New: func() any { return new(mapArena) }}

// get is an empty map with room for about hint entries.
func (a *mapArena) get(hint int) map[string]any {
	if a == nil {
		return make(map[string]any, hint)
	}
	if a.n < len(a.maps) {
		a.n++
		return a.maps[a.n-1]
	}
	m := make(map[string]any, hint)
	if len(a.maps) < maxArenaMaps {
		a.maps = append(a.maps, m)
		a.n++
	}
	return m
}

// release empties the arena and puts it back in the pool.
func (a *mapArena) release() {
	a.empty()
	mapArenas.Put(a)
}

// empty clears the maps in use, to be given again, and the values.
func (a *mapArena) empty() {
	for _, m := range a.maps[:a.n] {
		clear(m)
	}
	a.n = 0
	clear(a.vals[:])
	clear(a.more)
}

// values is a copy of vals the arena holds until it is emptied: in vals
// for up to eight, in more (kept for the next call) beyond.
func (a *mapArena) values(vals []any) []any {
	if len(vals) <= len(a.vals) {
		return append(a.vals[:0], vals...)
	}
	a.more = append(a.more[:0], vals...)
	return a.more
}

// pathSeg is one segment of a fieldPath: the first is "rows[index].name"
// (or text, when set, the whole of it); then ".name", or "[index]" when
// name is empty.
type pathSeg struct {
	name  string
	index int
	text  string
}

// newFieldPath starts a path at the request's field name of rows[index].
func newFieldPath(name string, index int) *fieldPath {
	return new(fieldPath).reset(name, index)
}

// reset starts p again at another row's field.
func (p *fieldPath) reset(name string, index int) *fieldPath {
	p.n, p.more = 0, p.more[:0]
	p.push(name, index)
	return p
}

// textPath starts a path given whole.
func textPath(text string) *fieldPath {
	p := &fieldPath{}
	p.pushSeg(pathSeg{text: text})
	return p
}

func (p *fieldPath) push(name string, index int) { p.pushSeg(pathSeg{name: name, index: index}) }

func (p *fieldPath) pushSeg(s pathSeg) {
	if p.n < len(p.room) {
		p.room[p.n] = s
	} else {
		p.more = append(p.more, s)
	}
	p.n++
}

func (p *fieldPath) pop() {
	p.n--
	if p.n >= len(p.room) {
		p.more = p.more[:p.n-len(p.room)]
	}
}

func (p *fieldPath) String() string {
	var b strings.Builder
	for i := range p.n {
		s := p.seg(i)
		switch {
		case i == 0 && s.text != "":
			b.WriteString(s.text)
		case i == 0:
			b.WriteString("rows[" + strconv.Itoa(s.index) + "]." + s.name)
		case s.name == "":
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		default:
			b.WriteString("." + s.name)
		}
	}
	return b.String()
}

func (p *fieldPath) seg(i int) pathSeg {
	if i < len(p.room) {
		return p.room[i]
	}
	return p.more[i-len(p.room)]
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
// reads, with the same validation and the same errors. plan is the row's
// table and what to keep of it (rowPlan).
func (s *Set) rowGo(plan *rowPlan, values rowView, path *fieldPath) (map[string]any, InvalidValueErrors) {
	var bad InvalidValueErrors
	t := plan.table
	var out map[string]any // nil for a dropped row: nothing is kept
	if !plan.dropped {
		out = path.maps.get(min(values.len(), plan.room))
	}
	for k, v := range values.all {
		ref := plan.fields.lookup(k)
		if ref.quick.Some() && ref.quick.Accepts(v) {
			continue // a column not kept, v valid for it
		}
		f := ref.f
		switch {
		case f == nil:
			bad = append(bad, &InvalidValueError{Field: path.String() + "." + k, Reason: fmt.Sprintf("%s has no column or relationship %q", t.Name, k)})
		case f.col != nil:
			if values.obj && holdsObject(v) {
				v = PlainValue(v) // a json/jsonb column's object
			}
			if !f.kept {
				// Validated, not kept: no value built.
				if err := model.ValidColumn(f.col.Type, v); err != nil {
					bad = append(bad, &InvalidValueError{Field: path.String() + "." + k, Kind: f.col.Type.Kind, Reason: err.Error()})
				}
				continue
			}
			cv, err := model.CoerceColumn(f.col.Type, v, false)
			if err != nil {
				bad = append(bad, &InvalidValueError{Field: path.String() + "." + k, Kind: f.col.Type.Kind, Reason: err.Error()})
				continue
			}
			out[k] = cv
		case f.target == nil:
			bad = append(bad, &InvalidValueError{Field: path.String() + "." + k, Reason: fmt.Sprintf("relationship target %s is not loaded", f.rel.Target)})
		default:
			path.push(k, 0)
			rv, ok, errs := s.relatedGo(f, v, path)
			path.pop()
			bad = append(bad, errs...)
			if ok && f.relKept {
				out[k] = rv
			}
		}
	}
	return out, bad
}

// relatedGo is relatedTerm with Go values, for the relationship f; ok is
// false when the value is not a relationship's.
func (s *Set) relatedGo(f *fieldPlan, v any, path *fieldPath) (any, bool, InvalidValueErrors) {
	rel := f.rel
	if rel.Kind == model.RelObject {
		if v == nil {
			return nil, true, nil
		}
		if x, ok := objectView(v); ok {
			m, bad := s.rowGo(s.childPlan(f), x, path)
			return m, true, bad
		}
		return nil, false, InvalidValueErrors{{Field: path.String(), Reason: fmt.Sprintf("object relationship %s takes an object or null", rel.Name)}}
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false, InvalidValueErrors{{Field: path.String(), Reason: fmt.Sprintf("array relationship %s takes a list of rows", rel.Name)}}
	}
	var bad InvalidValueErrors
	var out []any // nil when the rows are dropped
	if f.relKept {
		out = make([]any, 0, len(list))
	}
	for i, el := range list {
		m, ok := objectView(el)
		path.push("", i)
		if !ok {
			bad = append(bad, &InvalidValueError{Field: path.String(), Reason: "a related row must be an object"})
			path.pop()
			continue
		}
		row, errs := s.rowGo(s.childPlan(f), m, path)
		path.pop()
		bad = append(bad, errs...)
		if f.relKept {
			out = append(out, row)
		}
	}
	return out, true, bad
}

// rowPlan is what rowGo does with each field of a row of table when it
// keeps what keep reads (nil: everything): one lookup of the field's name
// instead of one in each of the table's columns, computed fields and
// relationships, the loaded tables, and keep.
type rowPlan struct {
	table  *model.Table
	fields fieldTable
	// room is the most fields a row keeps.
	room int
	// dropped: the rows are validated and nothing of them kept (keep is
	// emptyNeeds, a relationship the rules do not read).
	dropped bool
}

// fieldRef is a field's entry in a rowPlan: its plan and, for a column
// whose value is validated and not kept, its type's quick test, which
// most values pass without rowGo reaching the plan or the column (the
// cache misses of reading a permission's plan were a fifth of Check's
// engine under load).
type fieldRef struct {
	f     *fieldPlan
	quick model.Quick
}

// fieldPlan is one field of a rowPlan: a column or computed field (col),
// or a relationship (rel) to target (nil: not loaded).
type fieldPlan struct {
	col  *model.Column
	kept bool
	rel  *model.Relationship
	// target, keep and relKept: the related rows' table, what of them
	// to keep (emptyNeeds: validated, then dropped), and whether they
	// are kept at all.
	target  *model.Table
	keep    *needs
	relKept bool
	// child is the related rows' plan, made at its first use (relations
	// may cycle, a request's nesting is bounded).
	once  sync.Once
	child *rowPlan
}

// newRowPlan makes the plan of a row of t keeping keep. A name is read as
// t.Field and then t.Relationships read it: a column first, then a
// computed field, then a relationship.
func (s *Set) newRowPlan(t *model.Table, keep *needs) *rowPlan {
	p := &rowPlan{table: t, room: math.MaxInt, dropped: keep == emptyNeeds}
	if keep != nil {
		p.room = len(keep.cols) + len(keep.rels)
	}
	fields := make(map[string]fieldRef, len(t.Columns)+len(t.Computed)+len(t.Relationships))
	for name, rel := range t.Relationships {
		f := &fieldPlan{rel: rel, target: s.policy.Tables[rel.Target], relKept: true}
		if keep != nil {
			if f.keep = keep.rels[name]; f.keep == nil {
				f.keep, f.relKept = emptyNeeds, false
			}
		}
		fields[name] = fieldRef{f: f}
	}
	for name, c := range t.Computed {
		fields[name] = columnRef(c, keep == nil || keep.cols[name])
	}
	for _, c := range t.Columns {
		fields[c.Name] = columnRef(c, keep == nil || keep.cols[c.Name])
	}
	p.fields = newFieldTable(t, fields)
	return p
}

// columnRef is a column's entry in a rowPlan: a column not kept has its
// type's quick test.
func columnRef(c *model.Column, kept bool) fieldRef {
	ref := fieldRef{f: &fieldPlan{col: c, kept: kept}}
	if !kept {
		ref.quick = model.QuickOf(c.Type)
	}
	return ref
}

// childPlan is the plan of f's related rows.
func (s *Set) childPlan(f *fieldPlan) *rowPlan {
	f.once.Do(func() { f.child = s.newRowPlan(f.target, f.keep) })
	return f.child
}

// rowPlanOf is the plan of pp's rows (keeping pp.rowReads) or, all, of
// its table keeping everything.
func (s *Set) rowPlanOf(pp *prepared, all bool) *rowPlan {
	if all {
		pp.fullPlanOnce.Do(func() { pp.fullPlan = s.newRowPlan(pp.table, nil) })
		return pp.fullPlan
	}
	pp.planOnce.Do(func() { pp.plan = s.newRowPlan(pp.table, pp.rowReads) })
	return pp.plan
}

// tablePlan is the plan of t's rows keeping everything (other tables'
// rows, for _exists), kept with the set.
func (s *Set) tablePlan(t *model.Table) *rowPlan {
	if p, ok := s.tablePlans.Load(t); ok {
		return p.(*rowPlan)
	}
	p, _ := s.tablePlans.LoadOrStore(t, s.newRowPlan(t, nil))
	return p.(*rowPlan)
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
			row, errs := s.rowGo(s.tablePlan(t), rowView{m: r}, textPath(fmt.Sprintf("%s.rows[%d]", field, i)))
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
