package difftest

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/examples"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

var (
	flagSeed     = flag.Uint64("difftest.seed", 0, "run only this seed (reproduce a failure)")
	flagSeeds    = flag.Int("difftest.seeds", 0, "how many seeds to run (default 300; env DIFFTEST_SEEDS)")
	flagBase     = flag.Uint64("difftest.base", 1, "the first seed")
	flagDialects = flag.String("difftest.dialects", "sqlite,postgres,mysql", "the dialects to run against")
	flagParallel = flag.Int("difftest.parallel", 8, "how many seeds run at once")
)

const regressionFile = "testdata/regressions.txt"

// databaseLimits are the default limits with the comparisons the database
// decides: the PostgreSQL leg has PostGIS.
var databaseLimits = func() Limits {
	l := DefaultLimits
	l.Database = true
	return l
}()

// TestDifferential: for every generated policy set, rule, session and row,
// Check allows the row exactly when the Filter predicate, rendered for a
// database and pushed into SELECT ... WHERE, returns it; and where the
// role's columns depend on the row, the same columns come back.
func TestDifferential(t *testing.T) {
	ctx := context.Background()
	seeds := seedList(t)
	run := fmt.Sprintf("%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	var dbs []*DB
	for _, name := range strings.Split(*flagDialects, ",") {
		d, err := sqlgen.ParseDialect(strings.TrimSpace(name))
		if err != nil {
			t.Fatal(err)
		}
		db, err := Open(ctx, d, run)
		what := "is unreachable"
		if err == nil && d == sqlgen.Postgres {
			what = "has no PostGIS (package postgresql-15-postgis-3)"
			// Generated cases have PostGIS columns (dbops.go): the
			// PostgreSQL leg runs in a scratch database with PostGIS.
			var gis *DB
			if gis, err = db.WithPostGIS(ctx); err == nil {
				defer db.Close()
				db = gis
			} else {
				db.Close()
			}
		}
		if err != nil {
			msg := fmt.Sprintf("%s %s (%v): the differential test runs without it", d, what, err)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg + "; CI needs every database")
			}
			t.Log("SKIP " + msg)
			continue
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	st := newStats()
	start := time.Now()
	sem := make(chan struct{}, *flagParallel)
	t.Run("seeds", func(t *testing.T) {
		for _, seed := range seeds {
			t.Run("seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
				t.Parallel()
				sem <- struct{}{}
				defer func() { <-sem }()
				t.Cleanup(func() {
					if t.Failed() {
						t.Logf("seed %d fails: reproduce with go test ./policy/difftest -run TestDifferential -difftest.seed=%d", seed, seed)
						recordRegression(t, seed)
					}
				})
				runCase(ctx, t, Generate(seed, databaseLimits), dbs, st)
			})
		}
	})
	st.report(t, len(seeds), time.Since(start))
}

// TestMain lets the seeds run concurrently beyond GOMAXPROCS: they wait on
// the databases more than they compute.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.parallel"); f != nil && f.Value.String() == strconv.Itoa(runtime.GOMAXPROCS(0)) {
		_ = f.Value.Set(strconv.Itoa(*flagParallel))
	}
	os.Exit(m.Run())
}

// seedList is the regression seeds, then the run's seeds.
func seedList(t *testing.T) []uint64 {
	if *flagSeed != 0 {
		return []uint64{*flagSeed}
	}
	var out []uint64
	seen := map[uint64]bool{}
	if f, err := os.Open(regressionFile); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line, _, _ := strings.Cut(sc.Text(), "#")
			if s, err := strconv.ParseUint(strings.TrimSpace(line), 10, 64); err == nil && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		f.Close()
	}
	n := *flagSeeds
	if n == 0 {
		n = 300
		if env, err := strconv.Atoi(os.Getenv("DIFFTEST_SEEDS")); err == nil {
			n = env
		}
	}
	if testing.Short() {
		n = min(n, 20)
	}
	for s := *flagBase; s < *flagBase+uint64(n); s++ {
		if !seen[s] {
			out = append(out, s)
		}
	}
	return out
}

// recordRegression keeps a failing seed in testdata, so that it runs first
// from now on.
func recordRegression(t *testing.T, seed uint64) {
	b, _ := os.ReadFile(regressionFile)
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == strconv.FormatUint(seed, 10) {
			return
		}
	}
	if err := os.MkdirAll(filepath.Dir(regressionFile), 0o755); err != nil {
		t.Log(err)
		return
	}
	f, err := os.OpenFile(regressionFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Log(err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%d # failed %s\n", seed, time.Now().UTC().Format("2006-01-02"))
	t.Logf("seed %d kept in %s", seed, regressionFile)
}

// stats counts per dialect.
type stats struct {
	mu                 sync.Mutex
	cases, unsupported map[string]int
	queries            map[string]int
	took               map[string]time.Duration
	checked, exists    int
	unsupportedOps     map[string]map[string]bool
	// emptyNull counts rows where a negated _in over an empty list met a
	// NULL column (emptyListNulls), emptyNullAllowed those allowed.
	emptyNull, emptyNullAllowed int
	// hasura counts the rows Check decided as Hasura's own SQL does on
	// PostgreSQL (hasuraAgrees); hasuraDatabase the rows Check left to
	// the database whose Filter SQL answer Hasura's SQL gives too.
	hasura, hasuraDatabase int
	// database counts per dialect the rows Check left to the database
	// whose Filter SQL ran; databaseDecided the rows of rules with such
	// operators that Check decided all the same (Outcome.Database).
	database        map[string]int
	databaseDecided int
	// presetApplied, refused and undecided count the written rows of
	// Outcome (Outcome.PresetApplied, Refused, Undecided).
	presetApplied, refused, undecided int
}

func newStats() *stats {
	return &stats{database: map[string]int{}, cases: map[string]int{}, queries: map[string]int{}, unsupported: map[string]int{}, took: map[string]time.Duration{}, unsupportedOps: map[string]map[string]bool{}}
}

func (s *stats) report(t *testing.T, seeds int, took time.Duration) {
	t.Logf("%d seeds in %v", seeds, took.Round(time.Millisecond))
	t.Logf("row decisions of Check compared with the residual's reference evaluation: %d (%d with _exists)", s.checked, s.exists)
	t.Logf("rows where _nin over an empty list meets a NULL column: %d (%d allowed)", s.emptyNull, s.emptyNullAllowed)
	t.Logf("row decisions of Check that Hasura's own SQL makes alike on PostgreSQL: %d", s.hasura)
	if seeds >= minCoverageSeeds && s.cases["postgres"] > 0 && s.hasura == 0 {
		t.Errorf("%d seeds compared no row with Hasura's own SQL", seeds)
	}
	t.Logf("rows of rules with operators the database decides: %d left to it by Check (%d of them on PostgreSQL, %d compared with Hasura's own SQL), %d decided by the rest of the rule",
		s.database["postgres"]+s.database["mysql"]+s.database["sqlite"], s.database["postgres"], s.hasuraDatabase, s.databaseDecided)
	if seeds >= minCoverageSeeds && s.cases["postgres"] > 0 && (s.hasuraDatabase == 0 || s.databaseDecided == 0) {
		t.Errorf("%d seeds: %d rows left to the database compared with Hasura's SQL, %d decided by the rest of the rule: the generator no longer covers the operators the database decides", seeds, s.hasuraDatabase, s.databaseDecided)
	}
	t.Logf("written rows: %d refused for a column outside the permission's or a preset one, %d decided by a preset Check applied, %d inserts needing a column they may not write",
		s.refused, s.presetApplied, s.undecided)
	if seeds >= minCoverageSeeds && (s.refused == 0 || s.presetApplied == 0) {
		t.Errorf("%d seeds: %d rows refused for their written columns, %d decided by a preset: the generator no longer covers Hasura's columns and set", seeds, s.refused, s.presetApplied)
	}
	if seeds >= minCoverageSeeds && (s.emptyNull == 0 || s.emptyNullAllowed == 0) {
		t.Errorf("%d seeds never allowed a row where _nin over an empty list meets a NULL column: the generator no longer covers Hasura's NOT (c = ANY('{}'))", seeds)
	}
	names := make([]string, 0, len(s.cases))
	for n := range s.cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var ops []string
		for op := range s.unsupportedOps[n] {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		t.Logf("%-8s %6d row cases agree, from %d filtered queries (%v of query time); %d rule/session pairs not expressible (%s)",
			n, s.cases[n], s.queries[n], s.took[n].Round(time.Millisecond), s.unsupported[n], strings.Join(ops, ", "))
	}
}

// add merges the counts of one seed.
func (s *stats) add(o *stats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checked += o.checked
	s.exists += o.exists
	s.emptyNull += o.emptyNull
	s.emptyNullAllowed += o.emptyNullAllowed
	s.hasura += o.hasura
	s.hasuraDatabase += o.hasuraDatabase
	s.databaseDecided += o.databaseDecided
	for k, v := range o.database {
		s.database[k] += v
	}
	s.presetApplied += o.presetApplied
	s.refused += o.refused
	s.undecided += o.undecided
	for k, v := range o.cases {
		s.cases[k] += v
	}
	for k, v := range o.queries {
		s.queries[k] += v
	}
	for k, v := range o.unsupported {
		s.unsupported[k] += v
	}
	for k, v := range o.took {
		s.took[k] += v
	}
	for k, ops := range o.unsupportedOps {
		if s.unsupportedOps[k] == nil {
			s.unsupportedOps[k] = map[string]bool{}
		}
		for op := range ops {
			s.unsupportedOps[k][op] = true
		}
	}
}

var aliases = []string{"t", "x", `a"b`, "a`b", "order", "T1", "_w1", "_W1", "_j1", "_J1"}

func runCase(ctx context.Context, t *testing.T, c *Case, dbs []*DB, st *stats) {
	set, err := engine.New(ctx, c.Policy)
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	// Every generated rule gets a template: a fallback would hide a
	// residual that does not translate with the session unknown.
	if st := set.FilterTemplateStats(); st.Fallback != 0 {
		t.Errorf("%d permissions without a Filter template (%d with one)", st.Fallback, st.Templated)
	}
	flagged := map[sqlgen.Dialect]map[string]bool{}
	var stores []*Store
	for _, db := range dbs {
		flagged[db.Dialect] = map[string]bool{}
		for _, err := range sqlgen.Validate(c.Policy, db.Dialect) {
			var v *sqlgen.ValidationError
			if errors.As(err, &v) {
				flagged[db.Dialect][Rule{Table: v.Table, Op: v.Op, Role: v.Role}.Key()] = true
			}
		}
		s, err := db.Load(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	local := newStats()
	defer st.add(local)
	st = local
	outcomes, err := c.Outcomes(ctx, set)
	if err != nil {
		t.Fatal(err)
	}
	for oi, o := range outcomes {
		if o.Result == nil {
			continue
		}
		st.checked += len(o.Rows)
		st.databaseDecided += o.DatabaseDecided
		st.presetApplied += o.PresetApplied
		st.refused += o.Refused
		st.undecided += o.Undecided
		seen, passed := emptyListNulls(c.Policy, o.Rule, o.Vars, o.Rows, o.Allowed)
		st.emptyNull += seen
		st.emptyNullAllowed += passed
		if o.Rule.UsesExists {
			st.exists += len(o.Rows)
		}
		rule, res := o.Rule, o.Result
		for di, db := range stores {
			start := time.Now()
			opts := sqlgen.Options{Dialect: db.Dialect, Alias: aliases[(oi+di)%len(aliases)], Schemas: db.Schemas}
			if db.Dialect == sqlgen.Postgres {
				opts.FirstPlaceholder = 1 + oi%3
			}
			q, args, err := query(c.Policy, rule, res, opts)
			if err != nil {
				var u *sqlgen.UnsupportedError
				if !errors.As(err, &u) {
					t.Fatalf("%s: render %s: %v", rule.Key(), db.Dialect, err)
				}
				if !flagged[db.Dialect][rule.Key()] && !sessionPattern(c.Policy, rule) {
					t.Fatalf("%s: %s: %v, which Validate did not report", rule.Key(), db.Dialect, err)
				}
				st.unsupported[db.Dialect.String()]++
				if st.unsupportedOps[db.Dialect.String()] == nil {
					st.unsupportedOps[db.Dialect.String()] = map[string]bool{}
				}
				st.unsupportedOps[db.Dialect.String()][u.Op] = true
				continue
			}
			st.queries[db.Dialect.String()]++
			got, err := db.IDs(ctx, q, args)
			if err != nil {
				t.Fatalf("%s %s: %v\nquery: %s\nargs: %#v\npredicate: %s", rule.Key(), db.Dialect, err, q, args, residual.String(res.Predicate))
			}
			byID := map[int64][]int64{}
			for _, g := range got {
				byID[g[0]] = g[1:]
			}
			for i, row := range o.Rows {
				id, _ := strconv.ParseInt(fmt.Sprint(row["id"]), 10, 64)
				ok, cols := o.Allowed[i], o.Columns[i]
				flags, inSQL := byID[id]
				sqlCols := sqlColumns(res, flags)
				if o.Database[i] {
					// Check left the row to the database: its answer
					// is Filter's SQL, which Hasura's must match
					// (hasuraAgrees).
					st.database[db.Dialect.String()]++
					continue
				}
				if inSQL != ok || ok && strings.Join(sqlCols, ",") != strings.Join(cols, ",") {
					t.Fatalf("%s %s session %v row %v:\nexpected %v %v, SQL %v %v\npredicate: %s\nquery: %s\nargs: %#v",
						rule.Key(), db.Dialect, o.Vars, row, ok, cols, inSQL, sqlCols, residual.String(res.Predicate), q, args)
				}
				st.cases[db.Dialect.String()]++
			}
			n, nd, err := hasuraAgrees(ctx, c, db, o, byID)
			if err != nil {
				t.Fatal(err)
			}
			st.hasura += n - nd
			st.hasuraDatabase += nd
			st.took[db.Dialect.String()] += time.Since(start)
		}
	}
}

// sessionPattern says whether a rule compares with a pattern from a
// session variable: whether a dialect can express such a pattern depends
// on its value, which Validate cannot know at load.
func sessionPattern(p *model.Policy, r Rule) bool {
	perm := p.Tables[r.Table].Permissions[r.Op][r.Role]
	found := false
	for _, e := range append([]model.BoolExp{perm.Filter, perm.Check}, conditions(perm)...) {
		model.EachCompare(e, func(c model.Compare) {
			if _, ok := c.Value.(model.SessionVar); ok && compile.IsPatternOp(c.Op) {
				found = true
			}
		})
	}
	return found
}

// conditional lists the columns with conditions, sorted.
func conditional(res *engine.FilterResult) []string {
	var out []string
	for c := range res.ColumnConditions {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// sqlColumns turns the CASE flags of a row back into its allowed columns.
func sqlColumns(res *engine.FilterResult, flags []int64) []string {
	cond := conditional(res)
	on := map[string]bool{}
	for i, c := range cond {
		on[c] = i < len(flags) && flags[i] == 1
	}
	var out []string
	for _, col := range res.Columns {
		if v, has := on[col]; !has || v {
			out = append(out, col)
		}
	}
	return out
}

// query builds SELECT id[, CASE WHEN cond THEN 1 ELSE 0 END ...] FROM the
// table WHERE the predicate (and, for update, the check).
func query(p *model.Policy, rule Rule, res *engine.FilterResult, o sqlgen.Options) (string, []any, error) {
	r, err := sqlgen.NewRenderer(p, rule.Table, o)
	if err != nil {
		return "", nil, err
	}
	q := func(s string) string {
		if o.Dialect == sqlgen.MySQL {
			return "`" + strings.ReplaceAll(s, "`", "``") + "`"
		}
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	var args []any
	var pre []string
	for i := 1; i < o.FirstPlaceholder; i++ {
		pre = append(pre, fmt.Sprintf("$%d::bigint = $%d::bigint", i, i))
		args = append(args, int64(i))
	}
	sel := []string{q(o.Alias) + "." + q("id")}
	for _, col := range conditional(res) {
		f, err := r.Render(res.ColumnConditions[col])
		if err != nil {
			return "", nil, err
		}
		sel = append(sel, "CASE WHEN "+f.SQL+" THEN 1 ELSE 0 END")
		args = append(args, f.Args...)
	}
	where, err := r.Render(res.Predicate)
	if err != nil {
		return "", nil, err
	}
	conds := append(pre, where.SQL)
	args = append(args, where.Args...)
	if res.Check != nil {
		chk, err := r.Render(res.Check)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, chk.SQL)
		args = append(args, chk.Args...)
	}
	from := q(rule.Table.Name)
	if s := o.Schemas[rule.Table.Schema]; s != "" {
		from = q(s) + "." + from
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + from + " AS " + q(o.Alias) + " WHERE " + strings.Join(conds, " AND "), args, nil
}

// TestExamplePolicy: every permission of the example policy set gets a
// template (no per-request partial evaluation) and renders in every
// dialect, or is reported by Validate.
func TestExamplePolicy(t *testing.T) {
	ctx := context.Background()
	p, err := load.FS(ctx, examples.Blog(), "embedded:blog")
	if err != nil {
		t.Fatal(err)
	}
	set, err := engine.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if st := set.FilterTemplateStats(); st.Fallback != 0 || st.Templated == 0 {
		t.Errorf("templates: %+v", st)
	}
	vars := map[string]string{}
	for _, tbl := range p.SortedTables() {
		for _, perms := range tbl.Permissions {
			for _, perm := range perms {
				for _, e := range append([]model.BoolExp{perm.Filter, perm.Check}, conditions(perm)...) {
					sessionVars(e, vars)
				}
			}
		}
	}
	for _, tbl := range p.SortedTables() {
		for _, op := range model.Operations {
			for _, role := range append([]string{"admin", "nobody"}, p.Roles...) {
				res, err := set.Filter(ctx, engine.FilterInput{Session: engine.Session{Role: role, Vars: vars}, Table: tbl.Name, Op: op})
				if err != nil {
					t.Fatalf("%s %s %s: %v", tbl.Name, op, role, err)
				}
				for _, d := range sqlgen.Dialects {
					r, err := sqlgen.NewRenderer(p, tbl.Name, sqlgen.Options{Dialect: d})
					if err != nil {
						t.Fatal(err)
					}
					if _, err := r.Render(res.Predicate); err != nil && !errors.Is(err, sqlgen.ErrUnsupported) {
						t.Errorf("%s %s %s %s: %v", tbl.Name, op, role, d, err)
					}
				}
			}
		}
	}
}

func conditions(p *model.Permission) []model.BoolExp {
	var out []model.BoolExp
	for _, c := range p.ColumnConditions {
		out = append(out, c)
	}
	return out
}

// sessionVars gives every session variable of e a value of its kind.
func sessionVars(e model.BoolExp, out map[string]string) {
	model.EachCompare(e, func(x model.Compare) {
		if v, ok := x.Value.(model.SessionVar); ok {
			val := map[model.Kind]string{model.KindInteger: "1", model.KindNumeric: "1.5", model.KindBoolean: "true",
				model.KindUUID: "123e4567-e89b-12d3-a456-426614174000", model.KindDate: "2024-01-01",
				model.KindTimestamp: "2024-01-01 10:00", model.KindTimestamptz: "2024-01-01 10:00Z", model.KindJSONB: `{"a":1}`}[v.Kind]
			if val == "" {
				val = "a"
			}
			if v.Array {
				val = "{" + val + "}"
			}
			out[v.Name] = val
		}
	})
}
