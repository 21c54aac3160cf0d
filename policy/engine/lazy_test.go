package engine

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenpdp/warden/policy/examples"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// lazyFixture is the blog example built twice: for the native evaluator
// (rule queries of templated permissions not kept) and for OPA's (every
// query kept).
func lazyFixture(t *testing.T) (lazy, eager *Set) {
	t.Helper()
	ctx := context.Background()
	p, err := load.FS(ctx, examples.Blog(), "embedded:example")
	if err != nil {
		t.Fatal(err)
	}
	if lazy, err = New(ctx, p); err != nil {
		t.Fatal(err)
	}
	if eager, err = New(ctx, p, ForEvaluator(EvaluatorOPA)); err != nil {
		t.Fatal(err)
	}
	if lazy.Evaluator() != EvaluatorNative || eager.Evaluator() != EvaluatorOPA {
		t.Fatalf("evaluators %v and %v", lazy.Evaluator(), eager.Evaluator())
	}
	return lazy, eager
}

func ruleQueries(pp *prepared) []*ruleQuery {
	var out []*ruleQuery
	for _, q := range []*ruleQuery{pp.filter, pp.check, pp.columns} {
		if q != nil {
			out = append(out, q)
		}
	}
	return out
}

// TestLazyRuleQueriesDecideAlike: a set built for the native evaluator
// keeps no rule query of a templated permission; its rows that go to OPA
// (rows lacking data, WithEvaluator(EvaluatorOPA)) prepare them at first
// use, from many goroutines at once, and decide exactly as the set that
// kept every query. Run with -race.
func TestLazyRuleQueriesDecideAlike(t *testing.T) {
	lazy, eager := lazyFixture(t)
	notKept := 0
	for k, pp := range lazy.perms {
		for _, q := range ruleQueries(pp) {
			if pp.native == nil && q.q == nil {
				t.Fatalf("%v: no native template, yet its query %s was not kept", k, q.ref)
			}
			if pp.native != nil {
				if q.q != nil {
					t.Fatalf("%v: native template, yet its query %s was kept", k, q.ref)
				}
				notKept++
			}
		}
		for _, q := range ruleQueries(eager.perms[k]) {
			if q.q == nil {
				t.Fatalf("%v: built for OPA, yet its query %s was not kept", k, q.ref)
			}
		}
	}
	if notKept < 10 {
		t.Fatalf("only %d rule queries left to prepare lazily", notKept)
	}

	// Requests on every permission, rows with and without every datum.
	type request struct {
		in       CheckInput
		nat, opa string // eager's answers
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return at }
	eagerNat := eager.WithEvaluator(EvaluatorNative).WithClock(clock)
	eagerOPA := eager.WithClock(clock)
	rng := rand.New(rand.NewPCG(16, 1))
	keys := slices.SortedFunc(maps.Keys(lazy.perms), func(a, b permKey) int {
		return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
	})
	var reqs []request
	needsData := 0
	for _, k := range keys {
		tbl := lazy.policy.Tables[k.table]
		for range 20 {
			in := CheckInput{
				Session: Session{Role: k.role, BackendOnly: true, Vars: map[string]string{
					"x-hasura-user-id": strconv.Itoa(rng.IntN(4)), "x-hasura-org-id": strconv.Itoa(rng.IntN(4)),
					"x-hasura-allowed-ids": "{1,2}",
				}},
				Table: k.table, Op: k.op,
			}
			for i := range 2 {
				in.Rows = append(in.Rows, Row{ID: strconv.Itoa(i), Values: randomRow(rng, lazy, tbl, 2, false)})
			}
			answer := func(s *Set) string {
				res, err := s.Check(context.Background(), in)
				return fmt.Sprintf("%+v %v", res, err)
			}
			r := request{in: in, nat: answer(eagerNat), opa: answer(eagerOPA)}
			if strings.Contains(r.opa, "Decision:NEEDS_DATA") {
				needsData++
			}
			reqs = append(reqs, r)
		}
	}
	if needsData < 10 {
		t.Fatalf("only %d requests answered NEEDS_DATA", needsData)
	}

	lazyNat := lazy.WithClock(clock)
	lazyOPA := lazy.WithEvaluator(EvaluatorOPA).WithClock(clock)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range reqs {
				r := reqs[(i+g*len(reqs)/8)%len(reqs)]
				for _, c := range []struct {
					name string
					s    *Set
					want string
				}{{"native", lazyNat, r.nat}, {"opa", lazyOPA, r.opa}} {
					res, err := c.s.Check(context.Background(), r.in)
					if got := fmt.Sprintf("%+v %v", res, err); got != c.want {
						errs <- fmt.Errorf("%s %s %s role %s: lazy %s\neager %s", c.name, r.in.Table, r.in.Op, r.in.Session.Role, got, c.want)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Most were used (an insert whose random row writes a column it may
	// not is refused before its rules).
	prepared := 0
	for k, pp := range lazy.perms {
		for _, q := range ruleQueries(pp) {
			if q.err != nil {
				t.Fatalf("%v: query %s: %v", k, q.ref, q.err)
			}
			if pp.native != nil && q.q != nil {
				prepared++
			}
		}
	}
	if prepared < notKept/2 {
		t.Fatalf("only %d of %d queries prepared at their first use", prepared, notKept)
	}
	t.Logf("%d of %d queries prepared at their first use; %d requests of %d NEEDS_DATA", prepared, notKept, needsData, len(reqs))
}

// TestLazyRuleQueryFailsClosed: a rule query that does not prepare at its
// first use is the Check's error, at every use, never a decision.
func TestLazyRuleQueryFailsClosed(t *testing.T) {
	lazy, _ := lazyFixture(t)
	k := permKey{model.TableName{Schema: "public", Name: "articles"}, model.OpSelect, "user"}
	pp := lazy.perms[k]
	if pp == nil || pp.native == nil || pp.filter == nil {
		t.Fatalf("%v: want a templated permission with a filter", k)
	}
	pp.filter = &ruleQuery{ref: "data.warden["}
	s := lazy.WithEvaluator(EvaluatorOPA)
	row := map[string]any{}
	for _, c := range lazy.policy.Tables[k.table].Columns {
		row[c.Name] = nil
	}
	in := CheckInput{Session: Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}}, Table: k.table, Op: k.op,
		Rows: []Row{{ID: "1", Values: row}}}
	if hasGaps(pp, in, row, row) {
		t.Fatalf("row %v lacks data the rules read", row)
	}
	for range 3 {
		res, err := s.Check(context.Background(), in)
		if err == nil || !strings.Contains(err.Error(), "prepare data.warden[") {
			t.Fatalf("got %+v, %v; want the preparation's error", res, err)
		}
	}
}
