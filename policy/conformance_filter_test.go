package policy_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// minFilteredRows keeps the Filter leg from silently shrinking.
const minFilteredRows = 500

// TestConformanceFilter runs the conformance suite through Filter: for
// every row the suite expects allowed or denied, the predicate Filter
// returns for the session (bound, from the partial-evaluation template)
// must hold exactly when the expectation is allow, evaluated on the row by
// residual.Eval — the reference the differential test (policy/difftest)
// holds the SQL renderings to in SQLite, PostgreSQL and MariaDB. A check
// whose expected error is a session error must fail in Filter with the
// same error. Column requirements are Check's alone and are not compared.
func TestConformanceFilter(t *testing.T) {
	suites := loadSuites(t)
	var filtered atomic.Int64
	t.Cleanup(func() {
		t.Logf("%d rows decided through Filter", filtered.Load())
		if n := filtered.Load(); n < minFilteredRows && !t.Failed() {
			t.Errorf("only %d rows went through Filter, want at least %d", n, minFilteredRows)
		}
	})
	for _, s := range suites {
		if len(s.LoadError) > 0 {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			set := s.build(t)
			for _, c := range s.Checks {
				t.Run(c.Name, func(t *testing.T) {
					if c.KnownFailure != "" {
						t.Skipf("known failure (%s)", c.KnownFailure)
					}
					filtered.Add(int64(filterCheck(t, set, s, c)))
				})
			}
		})
	}
}

func filterCheck(t *testing.T, set *engine.Set, s *suite, c *check) int {
	in, err := s.input(c)
	if err != nil {
		t.Fatalf("case: %v", err)
	}
	in = resolved(set.Policy(), in)
	res, err := set.Filter(context.Background(), engine.FilterInput{Session: in.Session, Table: in.Table, Op: in.Op})
	if c.Error != nil {
		switch c.Error.Kind {
		case "missing_session_variables":
			if !errors.Is(err, engine.ErrMissingSessionVariables) {
				t.Errorf("Filter: %v, want a missing session variable error", err)
			}
		case "unknown_table":
			if !errors.Is(err, engine.ErrUnknownTable) {
				t.Errorf("Filter: %v, want an unknown table error", err)
			}
		}
		// invalid_value and unknown_columns can come from the rows or
		// the requested columns, which Filter does not take.
		return 0
	}
	if err != nil {
		t.Fatalf("Filter: %v", err)
	}
	table := set.Policy().Tables[in.Table]
	rows, refused := writtenRows(t, set, in, res.Presets)
	n := 0
	for i, want := range c.Rows {
		if want.Expect != "allow" && want.Expect != "deny" {
			continue
		}
		n++
		if refused[i] {
			// Denied before the rules: the row writes what it may not.
			if want.Expect != "deny" {
				t.Errorf("row %s: writes a column the permission does not allow, want %s", want.ID, want.Expect)
			}
			continue
		}
		in.Rows[i] = rows[i]
		row := canonical(t, set.Policy(), table, in.Rows[i].Values)
		tables := map[model.TableName][]map[string]any{}
		for tn, rows := range in.Tables {
			for _, r := range rows {
				tables[tn] = append(tables[tn], canonical(t, set.Policy(), set.Policy().Tables[tn], r))
			}
		}
		holds := residual.Eval(res.Predicate, residual.Data{Row: row, Tables: tables})
		if res.Check != nil { // update: the check on the new row
			nv := row
			if in.Rows[i].New != nil {
				nv = canonical(t, set.Policy(), table, in.Rows[i].New)
			}
			holds = holds && residual.Eval(res.Check, residual.Data{Row: nv, Tables: tables})
		}
		// A row Check denies for its requested columns only is still in the
		// filter's rows.
		if want.Expect == "deny" && len(in.Columns) > 0 && holds {
			continue
		}
		if got := map[bool]string{true: "allow", false: "deny"}[holds]; got != want.Expect {
			t.Errorf("row %s: Filter's predicate %s says %s, want %s", want.ID, residual.String(res.Predicate), got, want.Expect)
		}
	}
	return n
}

// canonical coerces a row as Check does (related rows through their
// relationship's target table), for residual.Eval.
func canonical(t *testing.T, p *model.Policy, table *model.Table, values map[string]any) map[string]any {
	t.Helper()
	out := make(map[string]any, len(values))
	for k, v := range values {
		if col, ok := table.Column(k); ok {
			cv, err := model.CoerceColumn(col.Type, v, false)
			if err != nil {
				t.Fatalf("row value %s: %v", k, err)
			}
			out[k] = cv
			continue
		}
		rel, ok := table.Relationships[k]
		if !ok {
			t.Fatalf("row key %s is neither a column nor a relationship of %s", k, table.Name)
		}
		target := p.Tables[rel.Target]
		switch x := v.(type) {
		case map[string]any:
			out[k] = canonical(t, p, target, x)
		case []any:
			list := make([]any, len(x))
			for i, el := range x {
				m, _ := el.(map[string]any)
				list[i] = canonical(t, p, target, m)
			}
			out[k] = list
		default:
			out[k] = v
		}
	}
	return out
}

// writtenRows is the rows of an insert or update as its check reads them,
// presets applied (engine.WrittenRow), and which of them Check denies
// before its rules. Other operations' rows are returned as they are.
func writtenRows(t *testing.T, set *engine.Set, in engine.CheckInput, presets map[string]any) ([]engine.Row, []bool) {
	t.Helper()
	rows := slices.Clone(in.Rows)
	refused := make([]bool, len(rows))
	if in.Op != model.OpInsert && in.Op != model.OpUpdate {
		return rows, refused
	}
	table := set.Policy().Tables[in.Table]
	perm := table.Permissions[in.Op][in.Session.Role]
	if perm == nil {
		return rows, refused
	}
	for i, r := range rows {
		w, denied := engine.WrittenRow(table, perm, in.Op, r, presets)
		rows[i], refused[i] = w, denied != nil
	}
	return rows, refused
}
