package server

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// templateStats counts the answers compared and those the template path
// gave, by dialect.
type templateStats struct {
	answers, templated map[sqlgen.Dialect]int
	// in: templated answers holding = ANY (an _in over a list variable).
	in int
	// deferred: answers the Filter RPC's path (filterAnswer with
	// deferBind) made from the template without binding; deferredSQL:
	// those with SQL from the template too; deferredBound: those whose
	// SQL was not templated, rendered after FilterResult.Bind.
	deferred, deferredSQL, deferredBound int
	// wire: the Filter RPC's answers compared with their trees in wire
	// form (compareWire).
	wire wireStats
}

func newTemplateStats() *templateStats {
	return &templateStats{answers: map[sqlgen.Dialect]int{}, templated: map[sqlgen.Dialect]int{}}
}

// TestFilterSQLTemplateMatchesBound holds the SQL rendered once per
// permission (renderSQLTemplate) to the SQL rendered from the bound trees
// (renderSQLBound) over generated policy sets (package difftest: every
// column kind, enums, canonical-text types, lists, patterns, jsonb,
// relationships, inherited roles' column conditions, computed fields that
// take the session, the operators the database decides) and many
// sessions (the generator's, recombined, with empty lists, jsonb null,
// malformed and missing values), in every dialect, with aliases that
// collide with the subquery aliases and several first placeholders: the
// whole FilterResponse (SQL text, parameters, everything else) must be
// the same, and the template path must be taken for most PostgreSQL
// answers.
func TestFilterSQLTemplateMatchesBound(t *testing.T) {
	seeds := 120
	if testing.Short() {
		seeds = 25
	}
	st := newTemplateStats()
	for seed := range uint64(seeds) {
		lim := difftest.DefaultLimits
		switch seed % 3 {
		case 1:
			lim.Database = true
		case 2:
			lim.SessionComputed = true
		}
		c := difftest.Generate(seed+1, lim)
		r := rand.New(rand.NewPCG(seed, 7))
		compareTemplateCase(t, c, r, 12, st)
	}
	total, tmpl := 0, 0
	for _, d := range sqlgen.Dialects {
		total += st.answers[d]
		tmpl += st.templated[d]
		t.Logf("%s: %d answers with SQL, %d from the template", d, st.answers[d], st.templated[d])
	}
	t.Logf("%d templated answers with = ANY", st.in)
	if pg := st.answers[sqlgen.Postgres]; pg < 1000 || st.templated[sqlgen.Postgres]*2 < pg {
		t.Errorf("PostgreSQL: %d of %d answers from the template, want most", st.templated[sqlgen.Postgres], pg)
	}
	for _, d := range []sqlgen.Dialect{sqlgen.MySQL, sqlgen.SQLite} {
		if st.templated[d] == 0 {
			t.Errorf("%s: no answer from the template", d)
		}
	}
	if st.in < 50 {
		t.Errorf("only %d templated answers with = ANY", st.in)
	}
	t.Logf("deferred binding: %d answers, %d with SQL from the template, %d with SQL bound after all", st.deferred, st.deferredSQL, st.deferredBound)
	t.Logf("trees in wire form: %+v", st.wire)
	if st.wire.taken*2 < total {
		t.Errorf("trees in wire form for %d of %d answers, want most", st.wire.taken, total)
	}
	if d := st.deferredSQL + st.deferredBound; d*2 < total || st.deferredSQL*2 < total || st.deferredBound == 0 {
		t.Errorf("deferred binding taken for %d (%d, %d) of %d answers, want most, and some bound after all", st.deferred, st.deferredSQL, st.deferredBound, total)
	}
}

// FuzzFilterSQLTemplate is TestFilterSQLTemplateMatchesBound on policy
// sets the fuzzer's bytes generate.
//
//	go test ./server -run - -fuzz FuzzFilterSQLTemplate
func FuzzFilterSQLTemplate(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint64(1))
	f.Add([]byte("warden filter template"), uint64(99))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		lim := difftest.DefaultLimits
		lim.Database = seed%2 == 1
		lim.SessionComputed = seed%3 == 1
		c := difftest.GenerateFrom(difftest.NewByteSource(data), lim)
		compareTemplateCase(t, c, rand.New(rand.NewPCG(seed, 11)), 4, newTemplateStats())
	})
}

// compareTemplateCase compares both renderings for every rule of c, with
// n sessions per rule besides the case's own.
func compareTemplateCase(t *testing.T, c *difftest.Case, r *rand.Rand, n int, st *templateStats) {
	t.Helper()
	ctx := context.Background()
	set, err := engine.New(ctx, c.Policy)
	if err != nil {
		t.Fatalf("seed %d: engine.New: %v", c.Seed, err)
	}
	// One instant for every decision: answers computed twice (a preset
	// now()) are compared.
	at := time.Now()
	set = set.WithClock(func() time.Time { return at })
	// Every value the case's sessions give a variable, and values that
	// fold or fail.
	pool := map[string][]string{}
	for _, ss := range c.Sessions {
		for _, s := range ss {
			for k, v := range s {
				pool[k] = append(pool[k], v)
			}
		}
	}
	for k := range pool {
		slices.Sort(pool[k])
		pool[k] = slices.Compact(pool[k])
	}
	extra := []string{"{}", "null", "", "{not valid", "[]", "{\"a\":null}", "{NULL}"}
	for _, rule := range c.Rules {
		sessions := slices.Clone(c.Sessions[rule.Key()])
		for range n {
			var s map[string]string
			if len(sessions) > 0 {
				s = maps.Clone(sessions[r.IntN(len(sessions))])
			} else {
				s = map[string]string{}
			}
			for _, k := range slices.Sorted(maps.Keys(s)) {
				switch x := r.IntN(10); {
				case x < 4 && len(pool[k]) > 0:
					s[k] = pool[k][r.IntN(len(pool[k]))]
				case x == 4:
					s[k] = extra[r.IntN(len(extra))]
				}
			}
			sessions = append(sessions, s)
		}
		for _, vars := range sessions {
			for _, d := range sqlgen.Dialects {
				alias := []string{"", "t", "_w1", "_W2", "x\"y", strings.ToUpper(rule.Table.Name)}[r.IntN(6)]
				first := []int32{0, 1, 2, 7}[r.IntN(4)]
				req := &wardenv1.FilterRequest{
					Principal: &wardenv1.Principal{Role: rule.Role, SessionVariables: vars},
					Table:     rule.Table.String(),
					Operation: OperationToProto(rule.Op),
					Sql:       &wardenv1.SqlOptions{Dialect: DialectToProto(d), TableAlias: alias, FirstPlaceholder: first},
				}
				what := fmt.Sprintf("seed %d %s session %v %s alias %q first %d", c.Seed, rule.Key(), vars, d, alias, first)
				compareTemplateRequest(t, set, req, what, st)
			}
		}
	}
}

// compareTemplateRequest answers req (the template path where it
// applies), renders the same result from the bound trees, and fails t
// when the two responses differ in anything but the decision id.
func compareTemplateRequest(t *testing.T, set *engine.Set, req *wardenv1.FilterRequest, what string, st *templateStats) {
	t.Helper()
	ctx := context.Background()
	sess := SessionFromPrincipal(req.GetPrincipal())
	resp, res, table, err := filterAnswer(ctx, set, req, sess, false)
	compareDeferred(t, set, req, resp, err, what, st)
	bset := setFor(set, table)
	opts, oerr := sqlOptions(req.GetSql())
	if oerr != nil {
		t.Fatalf("%s: %v", what, oerr)
	}
	if res == nil {
		// The engine, or the SQL, refused. Either way the bound path
		// refuses too: the template path only ever answers.
		if _, berr := filterBound(ctx, set, req, sess); berr == nil || berr.Error() != err.Error() {
			t.Errorf("%s: error %v; bound path: %v", what, err, berr)
		}
		return
	}
	if opts.Alias == "" && table.Schema == model.NativeSchema {
		opts.Alias = table.Name
	}
	opts.Role, opts.SessionVars = sess.Role, sess.Vars
	// The skeleton the SQL is rendered into, as filterAnswer fills it.
	skeleton := func() *wardenv1.FilterResponse {
		s := proto.Clone(resp).(*wardenv1.FilterResponse)
		s.Sql = nil
		for _, cc := range s.ColumnConditions {
			cc.Sql = nil
		}
		return s
	}
	cols := sortedKeys(res.ColumnConditions)
	bound := skeleton()
	if berr := renderSQLBound(bset.Policy(), table, *opts, res, bound, cols); berr != nil {
		t.Errorf("%s: the answer has SQL; the bound rendering: %v", what, berr)
		return
	}
	st.answers[opts.Dialect]++
	if !proto.Equal(resp, bound) {
		t.Errorf("%s:\nanswer     %v\nbound path %v", what, resp, bound)
		return
	}
	tmpl := skeleton()
	if !renderSQLTemplate(bset.Policy(), table, *opts, res, tmpl, cols) {
		return
	}
	st.templated[opts.Dialect]++
	if strings.Contains(tmpl.GetSql().GetWhere().GetSql(), "= ANY(") {
		st.in++
	}
	if !proto.Equal(tmpl, bound) {
		t.Errorf("%s:\ntemplate   %v\nbound path %v", what, tmpl, bound)
	}
}

// compareDeferred answers req as the Filter RPC does (filterAnswer with
// deferBind: the API's trees from the template and its values, no
// binding), with and without its SQL options, and fails t when an answer
// differs from the bound path's (want, wantErr: filterAnswer without
// deferBind) in anything but the decision id, or when the answer with
// its trees in wire form differs (compareWire).
func compareDeferred(t *testing.T, set *engine.Set, req *wardenv1.FilterRequest, want *wardenv1.FilterResponse, wantErr error, what string, st *templateStats) {
	t.Helper()
	ctx := context.Background()
	sess := SessionFromPrincipal(req.GetPrincipal())
	same := func(what string, got, want *wardenv1.FilterResponse, err, wantErr error) bool {
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Errorf("%s: deferred binding: error %v; bound path: %v", what, err, wantErr)
			return false
		}
		if err != nil {
			return false
		}
		got, want = proto.Clone(got).(*wardenv1.FilterResponse), proto.Clone(want).(*wardenv1.FilterResponse)
		got.DecisionId, want.DecisionId = "", ""
		if !proto.Equal(got, want) {
			t.Errorf("%s: deferred binding:\nanswer     %v\nbound path %v", what, got, want)
			return false
		}
		return true
	}
	// Without SQL: nothing binds, the result keeps its trees unbound.
	noSQL := proto.Clone(req).(*wardenv1.FilterRequest)
	noSQL.Sql = nil
	compareWire(t, set, noSQL, what+" without SQL", &st.wire)
	compareWire(t, set, req, what, &st.wire)
	wantNoSQL, _, _, wantNoSQLErr := filterAnswer(ctx, set, noSQL, sess, false)
	got, res, _, err := filterAnswer(ctx, set, noSQL, sess, true)
	deferred := err == nil && res.Predicate == nil
	if !same(what+" without SQL", got, wantNoSQL, err, wantNoSQLErr) {
		return
	}
	if !deferred {
		return
	}
	st.deferred++
	// Explain reads the bound trees: never deferred.
	explain := proto.Clone(noSQL).(*wardenv1.FilterRequest)
	explain.Explain = true
	wantExplain, _, _, wantExplainErr := filterAnswer(ctx, set, explain, sess, false)
	got, res, _, err = filterAnswer(ctx, set, explain, sess, true)
	if !same(what+" explain", got, wantExplain, err, wantExplainErr) {
		return
	}
	if res.Predicate == nil {
		t.Errorf("%s: explain: binding deferred", what)
	}
	got, res, _, err = filterAnswer(ctx, set, req, sess, true)
	if !same(what, got, want, err, wantErr) {
		return
	}
	if res.Predicate == nil {
		st.deferredSQL++
	} else {
		st.deferredBound++
	}
}

// filterBound is filterAnswer from the bound trees only.
func filterBound(ctx context.Context, set *engine.Set, req *wardenv1.FilterRequest, sess engine.Session) (*wardenv1.FilterResponse, error) {
	req = proto.Clone(req).(*wardenv1.FilterRequest)
	o := req.Sql
	req.Sql = nil
	resp, res, table, err := filterAnswer(ctx, set, req, sess, false)
	if err != nil || o == nil {
		return resp, err
	}
	opts, err := sqlOptions(o)
	if err != nil {
		return nil, err
	}
	if opts.Alias == "" && table.Schema == model.NativeSchema {
		opts.Alias = table.Name
	}
	opts.Role, opts.SessionVars = sess.Role, sess.Vars
	return resp, renderSQLBound(setFor(set, table).Policy(), table, *opts, res, resp, sortedKeys(res.ColumnConditions))
}

// TestFilterSQLTemplateConcurrent answers requests of one policy set from
// several goroutines, with more distinct aliases than a permission's cache
// holds, and holds each answer's SQL to the bound rendering's: the cache
// is safe for concurrent use, and beyond its bound requests are rendered
// from the bound trees.
func TestFilterSQLTemplateConcurrent(t *testing.T) {
	c := difftest.Generate(5, difftest.DefaultLimits)
	set, err := engine.New(context.Background(), c.Policy)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for i := range 400 {
				rule := c.Rules[r.IntN(min(3, len(c.Rules)))]
				ss := c.Sessions[rule.Key()]
				req := &wardenv1.FilterRequest{
					Principal: &wardenv1.Principal{Role: rule.Role, SessionVariables: ss[r.IntN(len(ss))]},
					Table:     rule.Table.String(),
					Operation: OperationToProto(rule.Op),
					Sql:       &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES, TableAlias: fmt.Sprintf("a%d", r.IntN(1000))},
				}
				resp, err := FilterAnswer(context.Background(), set, req, SessionFromPrincipal(req.GetPrincipal()))
				bound, berr := filterBound(context.Background(), set, req, SessionFromPrincipal(req.GetPrincipal()))
				if (err == nil) != (berr == nil) {
					t.Errorf("request %d: %v; bound path %v", i, err, berr)
					return
				}
				if err != nil {
					continue
				}
				bound.DecisionId = resp.DecisionId
				if !proto.Equal(resp, bound) {
					t.Errorf("request %d:\nanswer     %v\nbound path %v", i, resp, bound)
					return
				}
			}
		}()
	}
	wg.Wait()
	full := 0
	for _, rule := range c.Rules[:min(3, len(c.Rules))] {
		for _, vars := range c.Sessions[rule.Key()] {
			res, err := set.Filter(context.Background(), engine.FilterInput{Session: engine.Session{Role: rule.Role, Vars: vars}, Table: rule.Table, Op: rule.Op})
			if err == nil && res.Unbound != nil && res.Unbound.Cache.Full() {
				full++
				break
			}
		}
	}
	if full == 0 {
		t.Errorf("no permission's cache filled up: the bound is not exercised")
	}
}

// TestFilterNilPredicateRefused: a result without a predicate is an
// error, never every row, unless binding was deferred and the template is
// there to answer from.
func TestFilterNilPredicateRefused(t *testing.T) {
	if p, err := PredicateToProto(nil); err == nil {
		t.Errorf("PredicateToProto(nil) = %v, want an error", p)
	}
	u := &engine.FilterUnbound{Predicate: residual.True{}}
	for _, c := range []struct {
		res      *engine.FilterResult
		deferred bool
	}{
		{&engine.FilterResult{Kind: engine.AlwaysAllowed}, false},
		{&engine.FilterResult{Kind: engine.AlwaysAllowed}, true},
		{&engine.FilterResult{Kind: engine.AlwaysAllowed, Unbound: u}, false},
		{&engine.FilterResult{Kind: engine.AlwaysAllowed, Unbound: &engine.FilterUnbound{}}, true},
	} {
		if pred, _, _, _, _, err := answerTrees(c.res, c.deferred); err == nil {
			t.Errorf("answerTrees(%+v, %v) = %v, want an error", c.res, c.deferred, pred)
		}
	}
	pred, _, _, conv, _, err := answerTrees(&engine.FilterResult{Kind: engine.AlwaysAllowed, Unbound: u}, true)
	if err != nil || pred != (residual.True{}) || !conv.unbound {
		t.Errorf("deferred: %v, %v, %v", pred, conv, err)
	}
}
