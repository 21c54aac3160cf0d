package policy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// minSQLRows keeps the SQL leg from silently shrinking: the rows each
// database must decide. TestConformanceSQL logs, per database, the rows
// decided, left out (by reason) and unsupported (by operator).
var minSQLRows = map[sqlgen.Dialect]int{
	sqlgen.Postgres: 800,
	sqlgen.MySQL:    740,
	sqlgen.SQLite:   665,
}

// TestConformanceSQL runs the conformance suite through Filter's SQL in
// PostgreSQL, MariaDB and SQLite. For every row the suite expects allowed
// or denied (the rows TestConformanceFilter takes), the tables of the
// document are created in each database, the row is inserted with its
// related rows and the check's tables (the _exists data), and
// SELECT key FROM table WHERE <Filter's predicate, rendered by sqlgen>
// must return the row exactly when the expectation is allow.
//
// Related rows nest without join keys, so the keys are synthesised: every
// inserted row gets its own key (difftest.KeyColumn), and the columns a
// relationship joins on are given one value on both sides — the value the
// case gives for one of them, or a fresh one. A row that a table cannot
// hold with the meaning the case gives it is left out with a counted,
// logged reason (see sqlSkip), never counted as agreeing.
//
// The rows of a check are inserted together, with keys and fresh values
// distinct across them, so that each row's related rows are decoys for the
// others' joins (rows whose given keys would join across are split into
// groups). Every query runs in a transaction that is rolled back, so the
// tables of a document stay empty between checks.
//
// For update, Filter also returns the check on the row after the update:
// the filter is run on the current rows (values), the check, in a
// transaction of its own, on the new rows (new_values, or values when none
// is sent), and a row is allowed when both return it.
//
// An operator a dialect cannot express (sqlgen's *UnsupportedError) counts
// as unsupported, never as a pass. A row Check denies only for the
// requested columns is still in the filter's rows: there the SQL must agree
// with residual.Eval, as in TestConformanceFilter.
func TestConformanceSQL(t *testing.T) {
	ctx := context.Background()
	suites := loadSuites(t)
	run := fmt.Sprintf("%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	var dbs []*difftest.DB
	for _, d := range sqlgen.Dialects {
		db, err := difftest.Open(ctx, d, run)
		if err != nil {
			msg := fmt.Sprintf("%s is unreachable (%v): the conformance suite runs through SQL without it", d, err)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg + "; CI needs every database")
			}
			t.Log("SKIP " + msg)
			continue
		}
		db.SetMaxIdleConns(16)
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	if len(dbs) == 0 {
		t.Skip("no database is reachable")
	}
	st := newSQLStats()
	start := time.Now()
	// The documents run at once from goroutines (t.Run allows it) rather
	// than as parallel subtests, which -parallel would hold to GOMAXPROCS:
	// they wait on the databases more than they compute.
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, s := range suites {
		if len(s.LoadError) > 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t.Run(s.name, func(t *testing.T) { runSuiteSQL(ctx, t, s, fmt.Sprintf("d%d", i), dbs, st) })
		}()
	}
	wg.Wait()
	st.report(t, dbs, time.Since(start))
}

// sqlStats counts rows per dialect.
type sqlStats struct {
	mu          sync.Mutex
	rows        map[sqlgen.Dialect]int
	decided     map[sqlgen.Dialect]int
	columnsOnly map[sqlgen.Dialect]int
	skipped     map[sqlgen.Dialect]map[string]int
	unsupported map[sqlgen.Dialect]map[string]int
	queries     map[sqlgen.Dialect]int
}

func newSQLStats() *sqlStats {
	return &sqlStats{
		rows: map[sqlgen.Dialect]int{}, decided: map[sqlgen.Dialect]int{}, columnsOnly: map[sqlgen.Dialect]int{},
		skipped: map[sqlgen.Dialect]map[string]int{}, unsupported: map[sqlgen.Dialect]map[string]int{},
		queries: map[sqlgen.Dialect]int{},
	}
}

func (s *sqlStats) add(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func bump(m map[sqlgen.Dialect]map[string]int, d sqlgen.Dialect, k string) {
	if m[d] == nil {
		m[d] = map[string]int{}
	}
	m[d][k]++
}

func (s *sqlStats) report(t *testing.T, dbs []*difftest.DB, took time.Duration) {
	t.Logf("conformance rows through SQL in %v", took.Round(time.Millisecond))
	for _, db := range dbs {
		d := db.Dialect
		var parts []string
		for _, m := range []struct {
			what string
			n    map[string]int
		}{{"left out", s.skipped[d]}, {"unsupported", s.unsupported[d]}} {
			keys := make([]string, 0, len(m.n))
			total := 0
			for k, n := range m.n {
				keys = append(keys, k)
				total += n
			}
			sort.Strings(keys)
			var list []string
			for _, k := range keys {
				list = append(list, fmt.Sprintf("%d %s", m.n[k], k))
			}
			parts = append(parts, fmt.Sprintf("%s %d (%s)", m.what, total, strings.Join(list, "; ")))
		}
		t.Logf("%-8s %d rows: %d decided in %d queries (%d of them denied for the requested columns only, compared with residual.Eval); %s; %s",
			d, s.rows[d], s.decided[d], s.queries[d], s.columnsOnly[d], parts[0], parts[1])
		if !t.Failed() && s.decided[d] < minSQLRows[d] {
			t.Errorf("%s decided only %d rows, want at least %d", d, s.decided[d], minSQLRows[d])
		}
	}
}

func runSuiteSQL(ctx context.Context, t *testing.T, s *suite, name string, dbs []*difftest.DB, st *sqlStats) {
	set := s.build(t)
	schemas := make([]*difftest.Schema, len(dbs))
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			schemas[i], errs[i] = db.CreateSchema(ctx, set.Policy(), name)
		}()
	}
	wg.Wait()
	for i := range dbs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Cleanup(schemas[i].Close)
	}
	for _, c := range s.Checks {
		if c.KnownFailure != "" || c.Error != nil {
			continue // as in TestConformanceFilter
		}
		t.Run(c.Name, func(t *testing.T) { sqlCheck(ctx, t, set, s, c, schemas, st) })
	}
}

// sqlQuery is Filter's predicate (or update check) rendered for a dialect.
type sqlQuery struct {
	sql  string
	args []any
	// unsupported is set when the dialect cannot express it.
	unsupported *sqlgen.UnsupportedError
	// unfaithful is set when a parameter does not compare with
	// PostgreSQL's meaning in the dialect (difftest.ParamError).
	unfaithful error
}

func sqlCheck(ctx context.Context, t *testing.T, set *engine.Set, s *suite, c *check, schemas []*difftest.Schema, st *sqlStats) {
	in, err := s.input(c)
	if err != nil {
		t.Fatalf("case: %v", err)
	}
	in = resolved(set.Policy(), in)
	p := set.Policy()
	var rows []int
	for i, want := range c.Rows {
		if want.Expect == "allow" || want.Expect == "deny" {
			rows = append(rows, i)
		}
	}
	res, err := set.Filter(ctx, engine.FilterInput{Session: in.Session, Table: in.Table, Op: in.Op})
	if err != nil {
		t.Fatalf("Filter: %v", err)
	}
	table := p.Tables[in.Table]
	// An insert's or update's rows as its check reads them; a row Check
	// denies before its rules (a column it may not write) is not a
	// question for SQL.
	written, refused := writtenRows(t, set, in, res.Presets)
	in.Rows = written
	rows = slices.DeleteFunc(rows, func(i int) bool {
		if refused[i] && c.Rows[i].Expect != "deny" {
			t.Errorf("row %s: writes a column the permission does not allow, want %s", c.Rows[i].ID, c.Rows[i].Expect)
		}
		return refused[i]
	})
	checkOn := res.Check
	if _, ok := checkOn.(residual.True); ok {
		checkOn = nil // nothing to check on the new row
	}
	queries := map[sqlgen.Dialect][2]*sqlQuery{}
	for _, sc := range schemas {
		q := [2]*sqlQuery{renderSQL(t, p, table, res.Predicate, sc), nil}
		if checkOn != nil {
			q[1] = renderSQL(t, p, table, checkOn, sc)
		}
		queries[sc.Dialect] = q
	}
	evalTables := map[model.TableName][]map[string]any{}
	for tn, list := range in.Tables {
		for _, r := range list {
			evalTables[tn] = append(evalTables[tn], canonical(t, p, p.Tables[tn], r))
		}
	}
	ids := &sqlIDs{}
	var runs []*sqlRow
	for _, i := range rows {
		want, row := c.Rows[i], in.Rows[i]
		r := &sqlRow{id: want.ID}
		runs = append(runs, r)
		// The reference, as TestConformanceFilter computes it.
		r.ref = residual.Eval(res.Predicate, residual.Data{Row: canonical(t, p, table, row.Values), Tables: evalTables})
		newValues := row.Values
		if row.New != nil {
			newValues = row.New
		}
		if res.Check != nil {
			r.ref = r.ref && residual.Eval(res.Check, residual.Data{Row: canonical(t, p, table, newValues), Tables: evalTables})
		}
		r.expect = want.Expect == "allow"
		if want.Expect == "deny" && len(in.Columns) > 0 && r.ref {
			// Denied for the requested columns only: the row is in the
			// filter's rows.
			r.expect, r.columnsOnly = true, true
		}
		r.worlds[0], r.skip = buildWorld(t, p, table, row.Values, in.Tables, res.Predicate, ids)
		if r.skip == nil && checkOn != nil {
			r.worlds[1], r.skip = buildWorld(t, p, table, newValues, in.Tables, checkOn, ids)
		}
		if r.skip != nil {
			t.Logf("row %s: left out in every database: %s (%s)", r.id, r.skip.reason, r.skip.detail)
		}
	}
	groups := groupRows(runs)
	if len(groups) > 1 {
		t.Logf("the rows run in %d groups: together, the keys they give would join one row's related rows to another's", len(groups))
	}
	for _, sc := range schemas {
		d := sc.Dialect
		qs := queries[d]
		runnable := map[*sqlRow]bool{}
		for _, r := range runs {
			st.add(func() { st.rows[d]++ })
			if r.skip != nil {
				st.add(func() { bump(st.skipped, d, r.skip.reason) })
				continue
			}
			if l := sqlLeftOut(qs, r.worlds, d); l != nil {
				t.Logf("%s row %s: %s (%s)", d, r.id, l.reason, l.detail)
				st.add(func() {
					if l.op != "" {
						bump(st.unsupported, d, l.op)
					} else {
						bump(st.skipped, d, l.reason)
					}
				})
				continue
			}
			runnable[r] = true
		}
		for _, g := range groups {
			var group []*sqlRow
			for _, r := range g {
				if runnable[r] {
					group = append(group, r)
				}
			}
			if len(group) > 0 {
				runGroupSQL(ctx, t, sc, qs, group, res, st)
			}
		}
	}
}

// sqlRow is a row of a check as the SQL leg runs it.
type sqlRow struct {
	id string
	// worlds holds the row for the filter, and for an update's check the
	// new row (nil when the check is TRUE).
	worlds [2]*sqlWorld
	skip   *sqlSkip
	// expect is the decision the SQL must reach; ref is residual.Eval's.
	expect, ref, columnsOnly bool
}

// groupRows puts the rows of a check that can share the tables into one
// group (greedily, in order): every nested relationship still joins
// exactly its nested rows. Usually that is all of them.
func groupRows(runs []*sqlRow) [][]*sqlRow {
	var groups [][]*sqlRow
next:
	for _, r := range runs {
		if r.skip != nil {
			continue
		}
		for i, g := range groups {
			if fits(append(append([]*sqlRow(nil), g...), r)) {
				groups[i] = append(g, r)
				continue next
			}
		}
		groups = append(groups, []*sqlRow{r})
	}
	return groups
}

func fits(group []*sqlRow) bool {
	for k := range 2 {
		var ws []*sqlWorld
		for _, r := range group {
			if r.worlds[k] != nil {
				ws = append(ws, r.worlds[k])
			}
		}
		if len(ws) > 0 && mergeWorlds(ws).verify() != nil {
			return false
		}
	}
	return true
}

// runGroupSQL inserts the rows of a group together, runs the filter (and
// the update check on the new rows) and compares each row's decision.
func runGroupSQL(ctx context.Context, t *testing.T, sc *difftest.Schema, qs [2]*sqlQuery, group []*sqlRow, res *engine.FilterResult, st *sqlStats) {
	d := sc.Dialect
	got := map[*sqlRow]bool{}
	for _, r := range group {
		got[r] = true
	}
	var worlds [2]*sqlWorld
	for k := range 2 {
		var ws []*sqlWorld
		for _, r := range group {
			if r.worlds[k] != nil {
				ws = append(ws, r.worlds[k])
			}
		}
		if len(ws) == 0 {
			continue
		}
		w := mergeWorlds(ws)
		worlds[k] = w
		keys, err := sc.Query(ctx, w.tableRows(), qs[k].sql, qs[k].args)
		st.add(func() { st.queries[d]++ })
		if err != nil {
			t.Errorf("%s: %v\nquery: %s\nargs: %#v\nrows: %s", d, err, qs[k].sql, qs[k].args, w)
			return
		}
		for _, r := range group {
			if r.worlds[k] != nil && !containsKey(keys, r.worlds[k].root.key) {
				got[r] = false
			}
		}
	}
	for _, r := range group {
		if got[r] != r.expect {
			var b strings.Builder
			for k, w := range worlds {
				if w != nil {
					fmt.Fprintf(&b, "\n  %s (row %s is #%d)\n  query: %s\n  args: %#v\n  rows: %s",
						[2]string{"filter", "update check on the new rows"}[k], r.id, r.worlds[k].root.key, qs[k].sql, qs[k].args, w)
				}
			}
			check := ""
			if res.Check != nil {
				check = "; check " + residual.String(res.Check)
			}
			t.Errorf("%s row %s: the database says %s, want %s (residual.Eval says %s); predicate %s%s%s",
				d, r.id, decision(got[r]), decision(r.expect), decision(r.ref), residual.String(res.Predicate), check, b.String())
			continue
		}
		st.add(func() {
			st.decided[d]++
			if r.columnsOnly {
				st.columnsOnly[d]++
			}
		})
	}
}

func decision(b bool) string {
	if b {
		return "allow"
	}
	return "deny"
}

func containsKey(keys []int64, k int64) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// renderSQL builds SELECT t.key FROM table AS t WHERE <e> for a dialect.
func renderSQL(t *testing.T, p *model.Policy, table *model.Table, e residual.Expr, sc *difftest.Schema) *sqlQuery {
	t.Helper()
	const alias = "t"
	r, err := sqlgen.NewRenderer(p, table.Name, sqlgen.Options{Dialect: sc.Dialect, Alias: alias, Schemas: sc.Schemas})
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.Render(e)
	var u *sqlgen.UnsupportedError
	if errors.As(err, &u) {
		return &sqlQuery{unsupported: u}
	}
	spatial := ""
	residual.Walk(e, func(x residual.Expr) {
		if s, ok := x.(residual.Spatial); ok {
			spatial = string(s.Op)
		}
	})
	if spatial != "" {
		// The scratch schemas have no PostGIS: TestPostGIS runs this SQL
		// in a database of its own with the extension.
		return &sqlQuery{unsupported: &sqlgen.UnsupportedError{Op: spatial, Dialect: sc.Dialect, Reason: "no PostGIS in the scratch schema (TestPostGIS runs it)"}}
	}
	if err != nil {
		t.Fatalf("%s: render %s: %v", sc.Dialect, residual.String(e), err)
	}
	q := &sqlQuery{
		sql:  "SELECT " + sc.Quote(alias) + "." + sc.Quote(difftest.KeyColumn) + " FROM " + sc.Table(table.Name) + " AS " + sc.Quote(alias) + " WHERE " + f.SQL,
		args: f.Args,
	}
	q.unfaithful = paramError(sc.Dialect, p, table, table, e)
	return q
}

// paramError finds a comparison value that does not compare with
// PostgreSQL's meaning in the dialect.
func paramError(d sqlgen.Dialect, p *model.Policy, root, cur *model.Table, e residual.Expr) error {
	column := func(c residual.Column) *model.Column {
		t := cur
		if c.Root {
			t = root
		}
		col, _ := t.Column(c.Name)
		return col
	}
	switch x := e.(type) {
	case residual.And:
		for _, it := range x.Items {
			if err := paramError(d, p, root, cur, it); err != nil {
				return err
			}
		}
	case residual.Or:
		for _, it := range x.Items {
			if err := paramError(d, p, root, cur, it); err != nil {
				return err
			}
		}
	case residual.Not:
		return paramError(d, p, root, cur, x.Item)
	case residual.Exists:
		return paramError(d, p, root, p.Tables[x.Table], x.Where)
	case residual.Compare:
		v, ok := x.Right.(residual.Value)
		if col := column(x.Left); ok && col != nil {
			return difftest.ParamError(d, col, v.V)
		}
	case residual.In:
		v, _ := x.List.(residual.Value)
		list, _ := v.V.([]any)
		if col := column(x.Column); col != nil {
			for _, el := range list {
				if err := difftest.ParamError(d, col, el); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// sqlSkip says why a row is left out of a database: reason is what the
// row is counted under, detail says which value or column; op is set for
// an operator the dialect cannot express, counted as unsupported.
type sqlSkip struct {
	reason, detail string
	op             string
}

// sqlLeftOut says why a dialect cannot run a row's queries faithfully.
func sqlLeftOut(qs [2]*sqlQuery, worlds [2]*sqlWorld, d sqlgen.Dialect) *sqlSkip {
	for k, w := range worlds {
		if w == nil {
			continue
		}
		q := qs[k]
		if q.unsupported != nil {
			return &sqlSkip{reason: "unsupported", detail: q.unsupported.Error(), op: q.unsupported.Op}
		}
		if q.unfaithful != nil {
			return &sqlSkip{reason: "a comparison value the dialect does not hold exactly", detail: q.unfaithful.Error()}
		}
		for _, r := range w.recs {
			for _, c := range r.table.Columns {
				if err := difftest.StoreError(d, c, r.vals[c.Name]); err != nil {
					return &sqlSkip{reason: "a row value the dialect does not hold exactly", detail: fmt.Sprintf("%s.%s: %v", r.table.Name, c.Name, err)}
				}
			}
		}
	}
	return nil
}
