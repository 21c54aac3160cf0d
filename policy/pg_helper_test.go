package policy_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"

	"github.com/wardenpdp/warden/policy/difftest"
)

// scratchSchema opens PostgreSQL, creates schema (dropped when the test
// ends) and runs the statements in it, in order. An unreachable database
// skips the test, or fails it under CI (CI=true).
func scratchSchema(ctx context.Context, t *testing.T, schema string, stmts ...string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", difftest.PostgresDSN)
	if err == nil {
		err = db.PingContext(ctx)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	stmts = append([]string{fmt.Sprintf(`DROP SCHEMA IF EXISTS %s CASCADE`, schema), fmt.Sprintf(`CREATE SCHEMA %s`, schema)}, stmts...)
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() { db.ExecContext(context.Background(), fmt.Sprintf(`DROP SCHEMA %s CASCADE`, schema)) })
	return db
}

// queryColumn runs a query of one column and returns its values as text.
func queryColumn(ctx context.Context, t *testing.T, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) []string {
	t.Helper()
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
