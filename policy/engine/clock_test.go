package engine_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// TestClockWords: a rule's "now()" is never a value of the time the policy
// loaded: the Filter template keeps it as residual.Clock, the SQL reads the
// database's clock in every dialect, and a preset "now()" is the time of
// the decision.
func TestClockWords(t *testing.T) {
	ctx := context.Background()
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(`
tables:
  - name: events
    columns: [{name: id, type: integer}, {name: starts, type: timestamptz}, {name: day, type: date}]
    primary_key: [id]
`)},
		"metadata.json": {Data: []byte(`{"version": 3, "sources": [{"name": "default", "kind": "postgres", "configuration": {}, "tables": [
  {"table": {"schema": "public", "name": "events"},
   "select_permissions": [{"role": "user", "permission": {"columns": ["id"], "filter": {"starts": {"_gt": "now()"}, "day": {"_lt": "tomorrow"}}}}],
   "insert_permissions": [{"role": "user", "permission": {"check": {}, "set": {"starts": "now()", "day": "today"}}}]}]}]}`)},
	}
	p, err := load.FS(ctx, fsys, "clock", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	set, err := engine.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	table := model.TableName{Schema: "public", Name: "events"}
	user := engine.Session{Role: "user"}
	fr, err := set.Filter(ctx, engine.FilterInput{Session: user, Table: table, Op: model.OpSelect})
	if err != nil {
		t.Fatal(err)
	}
	if got := residual.String(fr.Predicate); !strings.Contains(got, "now()") || !strings.Contains(got, "tomorrow") {
		t.Errorf("predicate %s, want the clock words kept", got)
	}
	want := map[sqlgen.Dialect][]string{
		sqlgen.Postgres: {`"starts" > now()`, `"day" < ((now() AT TIME ZONE 'UTC')::date + 1)`},
		sqlgen.MySQL:    {"> UTC_TIMESTAMP(6)", "< (UTC_DATE() + INTERVAL 1 DAY)"},
		sqlgen.SQLite:   {"> (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')", "< date('now', '+1 day')"},
	}
	for d, parts := range want {
		r, err := sqlgen.NewRenderer(p, table, sqlgen.Options{Dialect: d})
		if err != nil {
			t.Fatal(err)
		}
		f, err := r.Render(fr.Predicate)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		for _, w := range parts {
			if !strings.Contains(f.SQL, w) {
				t.Errorf("%s: SQL %s lacks %s", d, f.SQL, w)
			}
		}
		if len(f.Args) != 0 {
			t.Errorf("%s: args %v, want none (the clock is the database's)", d, f.Args)
		}
	}

	before := time.Now().UTC().Truncate(time.Microsecond)
	res, err := set.Check(ctx, engine.CheckInput{Session: user, Table: table, Op: model.OpInsert,
		Rows: []engine.Row{{ID: "r", Values: map[string]any{"id": 1.0}}}})
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now().UTC()
	got, err := time.Parse("2006-01-02T15:04:05.000000Z", res.Presets["starts"].(string))
	if err != nil || got.Before(before) || got.After(after) {
		t.Errorf("preset starts = %v (%v), want the time of the decision, between %v and %v", res.Presets["starts"], err, before, after)
	}
	if res.Presets["day"] != after.Format("2006-01-02") && res.Presets["day"] != before.Format("2006-01-02") {
		t.Errorf("preset day = %v, want today", res.Presets["day"])
	}
}
