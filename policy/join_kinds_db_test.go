package policy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// TestJoinDateWithTimestamptz: a manual relationship joining a date with a
// timestamptz (dailykit's insights.date.orders) loads, as Hasura takes it;
// Filter's SQL joins them in PostgreSQL as PostgreSQL compares them (the
// date at midnight, the database running in UTC), and SQLite, which keeps
// each kind as text of its own, answers unsupported rather than a join
// that never matches.
func TestJoinDateWithTimestamptz(t *testing.T) {
	ctx := context.Background()
	schema := fmt.Sprintf("wjk_%d", os.Getpid())
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(fmt.Sprintf(`
tables:
  - name: %[1]s.days
    columns: [{name: day, type: date}, {name: label, type: text}]
    primary_key: [day]
  - name: %[1]s.orders
    columns: [{name: id, type: integer}, {name: created_at, type: timestamptz}, {name: amount, type: integer}]
    primary_key: [id]
`, schema))},
		"metadata.json": {Data: []byte(fmt.Sprintf(`{"version": 3, "sources": [{"name": "default", "kind": "postgres", "configuration": {}, "tables": [
  {"table": {"schema": %[1]q, "name": "orders"}},
  {"table": {"schema": %[1]q, "name": "days"},
   "array_relationships": [{"name": "orders", "using": {"manual_configuration": {"remote_table": {"schema": %[1]q, "name": "orders"}, "column_mapping": {"day": "created_at"}}}}],
   "select_permissions": [{"role": "user", "permission": {"columns": ["day"], "filter": {"orders": {"amount": {"_gt": 10}}}}}]}]}]}`, schema))},
	}
	p, set := strictSet(ctx, t, fsys, "join")
	days := model.TableName{Schema: schema, Name: "days"}
	fr, err := set.Filter(ctx, engine.FilterInput{Session: engine.Session{Role: "user"}, Table: days, Op: model.OpSelect})
	if err != nil {
		t.Fatal(err)
	}
	r, err := sqlgen.NewRenderer(p, days, sqlgen.Options{Dialect: sqlgen.SQLite})
	if err != nil {
		t.Fatal(err)
	}
	var ue *sqlgen.UnsupportedError
	if _, err := r.Render(fr.Predicate); !errors.As(err, &ue) {
		t.Errorf("SQLite: %v, want an UnsupportedError", err)
	}
	if errs := sqlgen.Validate(p, sqlgen.SQLite); len(errs) != 1 {
		t.Errorf("validate --dialect sqlite: %v, want the join reported", errs)
	}

	db := scratchSchema(ctx, t, schema,
		fmt.Sprintf(`CREATE TABLE %s.days (day date PRIMARY KEY, label text)`, schema),
		fmt.Sprintf(`CREATE TABLE %s.orders (id integer PRIMARY KEY, created_at timestamptz, amount integer)`, schema),
		fmt.Sprintf(`INSERT INTO %s.days VALUES ('2024-01-01', 'a'), ('2024-01-02', 'b'), ('2024-01-03', 'c')`, schema),
		// Only an order at midnight joins its day, as PostgreSQL compares.
		fmt.Sprintf(`INSERT INTO %s.orders VALUES (1, '2024-01-01T00:00:00Z', 50), (2, '2024-01-02T10:00:00Z', 50), (3, '2024-01-03T00:00:00Z', 5)`, schema),
	)
	pr, err := sqlgen.NewRenderer(p, days, sqlgen.Options{Dialect: sqlgen.Postgres, Alias: "d"})
	if err != nil {
		t.Fatal(err)
	}
	frag, err := pr.Render(fr.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET TIME ZONE 'UTC'`); err != nil {
		t.Fatal(err)
	}
	got := queryColumn(ctx, t, conn, fmt.Sprintf(`SELECT label FROM %s.days AS d WHERE %s ORDER BY day`, schema, frag.SQL), frag.Args...)
	if want := []string{"a"}; !slices.Equal(got, want) {
		t.Errorf("days with a big order at their midnight: %v, want %v (SQL %s)", got, want, frag.SQL)
	}
	// Check decides on the orders the caller nests under the day.
	res, err := set.Check(ctx, engine.CheckInput{Session: engine.Session{Role: "user"}, Table: days, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "a", Values: map[string]any{"day": "2024-01-01", "orders": []any{map[string]any{"id": 1.0, "amount": 50.0}}}},
		{ID: "c", Values: map[string]any{"day": "2024-01-03", "orders": []any{map[string]any{"id": 3.0, "amount": 5.0}}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0].Decision != engine.Allow || res.Rows[1].Decision != engine.Deny {
		t.Errorf("Check: %v %v, want ALLOW DENY", res.Rows[0].Decision, res.Rows[1].Decision)
	}
}
