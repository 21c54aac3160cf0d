package policy_test

import (
	"context"
	"slices"
	"testing"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/explain"
	"github.com/wardenpdp/warden/policy/model"
)

// minExplained keeps the faithfulness test from passing on nothing.
const minExplained = 300

// The explanation of a row is a second evaluation beside Check's: its root
// outcome must be Check's decision (true: allow, false: deny, unknown:
// needs data) on every row of the conformance cases it applies to: select
// and delete, whose decision is the filter alone, and insert, whose
// decision is the check on the row with the presets applied when the row
// states no preset column, writes only columns it may, and the request
// asks for no columns.
func TestExplainAgreesWithCheck(t *testing.T) {
	ctx := context.Background()
	compared, byOutcome := 0, map[explain.Outcome]int{}
	for _, s := range loadSuites(t) {
		if len(s.LoadError) > 0 || s.KnownFailure != "" {
			continue
		}
		var set *engine.Set
		for _, c := range s.Checks {
			if c.Error != nil || c.KnownFailure != "" || len(c.Columns) > 0 {
				continue
			}
			in, err := s.input(c)
			if err != nil {
				t.Fatalf("%s %s: %v", s.name, c.Name, err)
			}
			if in.Op == model.OpUpdate {
				continue
			}
			if set == nil {
				set = s.build(t)
			}
			chk, err := set.Check(ctx, in)
			if err != nil {
				continue
			}
			res, err := set.Filter(ctx, engine.FilterInput{Session: in.Session, Table: in.Table, Op: in.Op})
			if err != nil {
				t.Errorf("%s %s: Check answered, Filter failed: %v", s.name, c.Name, err)
				continue
			}
			tbl := set.Policy().Tables[set.Policy().Resolve(in.Table, "")]
			for i, row := range in.Rows {
				values := row.Values
				if in.Op == model.OpInsert {
					if statesPreset(res, values) || writesOthers(res, values) {
						continue
					}
					values = explain.WithPresets(values, res.Presets)
				}
				ex := explain.Row(set.Policy(), tbl, res.Predicate, values, in.Tables, 0)
				want := map[engine.Decision]explain.Outcome{engine.Allow: explain.True, engine.Deny: explain.False, engine.NeedsData: explain.Unknown}[chk.Rows[i].Decision]
				if ex.Root == nil || ex.Root.Outcome != want {
					t.Errorf("%s %s row %s: explanation root %v, Check %s (%s)\npredicate: %v", s.name, c.Name, row.ID, rootOutcome(ex), decisionName(chk.Rows[i].Decision), chk.Rows[i].Reason, res.Predicate)
				}
				compared++
				byOutcome[want]++
			}
		}
	}
	t.Logf("explanations compared with Check on %d rows: %d allowed, %d denied, %d needing data", compared, byOutcome[explain.True], byOutcome[explain.False], byOutcome[explain.Unknown])
	if compared < minExplained {
		t.Errorf("compared %d rows, want at least %d", compared, minExplained)
	}
}

func statesPreset(res *engine.FilterResult, row map[string]any) bool {
	for k := range res.Presets {
		if _, ok := row[k]; ok {
			return true
		}
	}
	return false
}

// writesOthers: the row writes a column the permission does not let it
// write, which denies it whatever the check says.
func writesOthers(res *engine.FilterResult, row map[string]any) bool {
	for k := range row {
		if !slices.Contains(res.Columns, k) {
			return true
		}
	}
	return false
}

func rootOutcome(ex *explain.Explanation) any {
	if ex.Root == nil {
		return "no root"
	}
	return ex.Root.Outcome
}
