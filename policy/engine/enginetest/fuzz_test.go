package enginetest_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/engine/enginetest"
	"github.com/wardenpdp/warden/policy/model"
)

// fuzzLimits keep one fuzz input fast.
var fuzzLimits = difftest.Limits{Tables: 3, Columns: 4, Rows: 5, RulesPerTable: 3, Sessions: 2, Depth: 2}

// FuzzEvaluators: for random rules (difftest's generator: every operator,
// relationships, _exists, inherited roles with column conditions, every
// operation), sessions and rows, Check decides every row alike with the
// native evaluator and with OPA's: decision, reason, columns, missing data,
// residuals, presets, errors. The rows are mutated from the fuzzer's bytes
// so that NEEDS_DATA, update's new rows, requested columns and values of
// other tables' rows are covered, not only the full rows of the
// differential test.
//
//	go test ./policy/engine/enginetest -run - -fuzz FuzzEvaluators
func FuzzEvaluators(f *testing.F) {
	for _, seed := range [][]byte{
		{},
		{1, 2, 3, 4, 5, 6, 7, 8},
		[]byte("relationships and _exists and _not"),
		{0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 3},
		[]byte("update with a new row, missing columns, no tables"),
	} {
		f.Add(seed)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		src := difftest.NewByteSource(data)
		c := difftest.GenerateFrom(src, fuzzLimits)
		agree(ctx, t, c, rand.New(src))
	})
}

// TestEvaluatorsGenerated runs the property of FuzzEvaluators over seeded
// cases, so that plain go test covers it.
func TestEvaluatorsGenerated(t *testing.T) {
	ctx := context.Background()
	n := uint64(150)
	if testing.Short() {
		n = 25
	}
	var st stats
	for seed := uint64(5000); seed < 5000+n; seed++ {
		c := difftest.Generate(seed, fuzzLimits)
		st.add(agree(ctx, t, c, rand.New(rand.NewPCG(seed, 7))))
		if t.Failed() {
			t.Fatalf("seed %d fails", seed)
		}
	}
	t.Logf("%d requests, %d rows compared: %d allowed, %d denied, %d needs data; %d requests refused alike",
		st.requests, st.rows, st.allow, st.deny, st.needs, st.errors)
	// The property is only as good as what it met.
	if st.allow == 0 || st.deny == 0 || st.needs == 0 || st.errors == 0 {
		t.Errorf("the generated cases miss an outcome: %+v", st)
	}
}

type stats struct{ requests, rows, allow, deny, needs, errors int }

func (s *stats) add(o stats) {
	s.requests += o.requests
	s.rows += o.rows
	s.allow += o.allow
	s.deny += o.deny
	s.needs += o.needs
	s.errors += o.errors
}

// agree runs every rule and session of c with both evaluators, on the
// case's rows mutated by r, and fails t where they disagree.
func agree(ctx context.Context, t *testing.T, c *difftest.Case, r *rand.Rand) stats {
	t.Helper()
	var st stats
	set, err := engine.New(ctx, c.Policy)
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	for _, rule := range c.Rules {
		tbl := c.Policy.Tables[rule.Table]
		for _, vars := range c.Sessions[rule.Key()] {
			vars = maps.Clone(vars)
			if len(vars) > 0 && r.IntN(8) == 0 {
				// A variable missing or malformed: both refuse alike.
				k := slices.Sorted(maps.Keys(vars))[r.IntN(len(vars))]
				if r.IntN(2) == 0 {
					delete(vars, k)
				} else {
					vars[k] = "{not a value"
				}
			}
			in := engine.CheckInput{Session: engine.Session{Role: rule.Role, Vars: vars}, Table: rule.Table, Op: rule.Op, Tables: c.Rows}
			if r.IntN(4) == 0 {
				// Other tables' rows absent: _exists needs data.
				in.Tables = nil
			}
			if r.IntN(3) == 0 {
				cols := tbl.ColumnNames()
				for range 1 + r.IntN(2) {
					in.Columns = append(in.Columns, cols[r.IntN(len(cols))])
				}
			}
			rows := c.Rows[rule.Table]
			for i, row := range rows {
				n := c.Nested(tbl, row, rule.Depth)
				values := mutate(n, r)
				er := engine.Row{ID: fmt.Sprint(i), Values: values}
				if rule.Op == model.OpUpdate && r.IntN(2) == 0 {
					// The new row: another row's values, some of them.
					other := c.Nested(tbl, rows[r.IntN(len(rows))], rule.Depth)
					er.New = mutate(other, r)
				}
				in.Rows = append(in.Rows, er)
			}
			res, cerr, disagree := enginetest.CheckBoth(ctx, set, in)
			if disagree != nil {
				t.Errorf("%s session %v: %v", rule.Key(), vars, disagree)
				continue
			}
			st.requests++
			if cerr != nil {
				st.errors++
				continue
			}
			for _, rr := range res.Rows {
				st.rows++
				switch rr.Decision {
				case engine.Allow:
					st.allow++
				case engine.Deny:
					st.deny++
				case engine.NeedsData:
					st.needs++
				}
			}
		}
	}
	return st
}

// mutate returns a copy of row with, now and then, a key dropped (a
// column or a relationship: the rules may need data the row lacks).
func mutate(row map[string]any, r *rand.Rand) map[string]any {
	out := maps.Clone(row)
	if len(out) > 1 && r.IntN(3) == 0 {
		keys := slices.Sorted(maps.Keys(out))
		delete(out, keys[r.IntN(len(keys))])
	}
	return out
}
