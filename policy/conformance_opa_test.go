package policy_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/engine/enginetest"
	"github.com/wardenpdp/warden/policy/model"
)

// TestConformanceOPA replays the conformance suite with OPA alone: the
// compiled modules are written to disk as .rego files, loaded by OPA's own
// loader and evaluated against the exact input documents Check builds
// (engine's Replay), with no Warden code in the evaluation. Every row the
// suite expects to be allowed or denied must get the same answer.
//
// A row is allowed when every replayed query is defined and true and every
// requested column is allowed. The allowed columns are the permission's
// columns from the metadata, those with an inherited-role condition only
// where OPA's columns rule grants them. Two gates are not Rego: admin may
// do everything, and a backend_only permission applies only when the
// session asks for it (both read from the metadata, as Check does).
// minReplayedRows keeps the replay from silently covering less.
const minReplayedRows = 500

func TestConformanceOPA(t *testing.T) {
	suites := loadSuites(t)
	ctx := context.Background()
	var replayed atomic.Int64
	t.Cleanup(func() {
		t.Logf("%d rows decided by OPA alone", replayed.Load())
		if n := replayed.Load(); n < minReplayedRows && !t.Failed() {
			t.Errorf("only %d rows were replayed with OPA, want at least %d", n, minReplayedRows)
		}
	})
	for _, s := range suites {
		if len(s.LoadError) > 0 {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			set := s.build(t)
			dir := t.TempDir()
			for _, m := range set.Modules() {
				p := filepath.Join(dir, filepath.FromSlash(m.Path))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(m.Source), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			o := &opaOnly{ctx: ctx, dir: dir, queries: map[string]*rego.PreparedEvalQuery{}}
			for _, c := range s.Checks {
				if c.Error != nil {
					continue
				}
				t.Run(c.Name, func(t *testing.T) {
					if c.KnownFailure != "" {
						t.Skipf("known failure (%s): Warden's answer differs from the expectation, and OPA reproduces Warden's", c.KnownFailure)
					}
					replayed.Add(int64(o.run(t, set, s, c)))
				})
			}
		})
	}
}

// opaOnly evaluates with plain OPA from the .rego files in dir, preparing
// each distinct query once.
type opaOnly struct {
	ctx     context.Context
	dir     string
	queries map[string]*rego.PreparedEvalQuery
}

func (o *opaOnly) prepared(t *testing.T, query string) *rego.PreparedEvalQuery {
	t.Helper()
	if q, ok := o.queries[query]; ok {
		return q
	}
	q, err := rego.New(
		rego.Load([]string{o.dir}, nil),
		rego.Query(query),
	).PrepareForEval(o.ctx)
	if err != nil {
		t.Fatalf("OPA could not prepare %s from %s: %v", query, o.dir, err)
	}
	o.queries[query] = &q
	return &q
}

// value evaluates a query; ok is false when it is undefined.
func (o *opaOnly) value(t *testing.T, query string, input ast.Value) (any, bool) {
	t.Helper()
	rs, err := o.prepared(t, query).Eval(o.ctx, rego.EvalParsedInput(input))
	if err != nil {
		t.Fatalf("OPA eval %s: %v", query, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, false
	}
	return rs[0].Expressions[0].Value, true
}

// run replays one check and returns the number of rows it decided.
func (o *opaOnly) run(t *testing.T, set *engine.Set, s *suite, c *check) int {
	in, err := s.input(c)
	if err != nil {
		t.Fatalf("case: %v", err)
	}
	in = resolved(set.Policy(), in)
	replay, err := set.Replay(o.ctx, in)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if len(replay) != len(in.Rows) {
		t.Fatalf("Replay returned %d rows, want %d", len(replay), len(in.Rows))
	}
	// Plain OPA on the emitted modules decides as Check does with either
	// evaluator.
	res, cerr, disagree := enginetest.CheckBoth(o.ctx, set, in)
	if disagree != nil {
		t.Errorf("the evaluators disagree: %v", disagree)
	}
	if cerr != nil {
		t.Fatalf("Check: %v", cerr)
	}
	var perm *model.Permission
	if tbl, ok := set.Policy().Tables[in.Table]; ok {
		perm = tbl.Permissions[in.Op][in.Session.Role]
	}
	n := 0
	for i, want := range c.Rows {
		if want.Expect != "allow" && want.Expect != "deny" {
			continue
		}
		n++
		got := "deny"
		if o.allowed(t, in, perm, replay[i]) {
			got = "allow"
		}
		if got != want.Expect {
			t.Errorf("row %s: OPA alone says %s, want %s", want.ID, got, want.Expect)
		}
		if d := decisionName(res.Rows[i].Decision); d != got {
			t.Errorf("row %s: OPA alone says %s, Check (both evaluators) %s", want.ID, got, d)
		}
	}
	return n
}

func (o *opaOnly) allowed(t *testing.T, in engine.CheckInput, perm *model.Permission, queries []engine.ReplayQuery) bool {
	switch {
	case in.Session.Role == model.AdminRole:
		return true
	case perm == nil:
		// No permission: the role's rule is not defined in the modules.
		rule := compile.RuleFilter
		if in.Op == model.OpInsert {
			rule = compile.RuleCheck
		}
		_, defined := o.value(t, compile.RuleRef(in.Table, in.Op, rule, in.Session.Role), ast.NewObject())
		if defined {
			t.Errorf("a role without a %s permission has a defined %s rule", in.Op, rule)
		}
		return false
	case perm.BackendOnly && !in.Session.BackendOnly:
		return false
	case len(queries) == 0:
		t.Errorf("Replay returned no queries for a role with a permission")
		return false
	}
	for _, q := range queries {
		// Value: the OPA value of Input, which alone keeps a JSON null
		// (an empty set, which JSON cannot write).
		v, ok := o.value(t, q.Query, q.Value)
		if b, isBool := v.(bool); !ok || !isBool || !b {
			return false
		}
	}
	if len(in.Columns) == 0 {
		return true
	}
	allowed := map[string]bool{}
	for _, col := range perm.Columns {
		if _, cond := perm.ColumnConditions[col]; !cond {
			allowed[col] = true
		}
	}
	if len(perm.ColumnConditions) > 0 {
		v, _ := o.value(t, compile.RuleRef(in.Table, in.Op, compile.RuleColumns, in.Session.Role), queries[0].Value)
		list, _ := v.([]any)
		for _, e := range list {
			if col, ok := e.(string); ok {
				allowed[col] = true
			}
		}
	}
	for _, col := range in.Columns {
		if !allowed[col] {
			return false
		}
	}
	return true
}
