package policy_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
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

// extensionDatabase makes a database of its own (named prefix_pid_n) with
// the extension created, dropped when the test ends. PostgreSQL that is
// unreachable, or an extension it cannot create, skips the test, or fails
// it under CI (CI=true), where hint says how CI provides it.
func extensionDatabase(t *testing.T, prefix, extension, hint string) *sql.DB {
	t.Helper()
	skip := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format+" (under CI=true this test runs"+hint+")", args...)
		}
		t.Skipf(format+": skipping", args...)
	}
	admin, err := sql.Open("pgx", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		skip("PostgreSQL is not reachable on 127.0.0.1:5432 (%v)", err)
	}
	name := fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), time.Now().UnixNano()%1e9)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE " + name + " WITH (FORCE)")
		admin.Close()
	})
	db, err := sql.Open("pgx", "postgres://postgres@127.0.0.1:5432/"+name+"?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec("CREATE EXTENSION " + extension); err != nil {
		skip("CREATE EXTENSION %s: %v", extension, err)
	}
	return db
}

// selectIDs runs SELECT id FROM table WHERE where ORDER BY id.
func selectIDs(ctx context.Context, db *sql.DB, table, where string, args []any) ([]int, error) {
	rows, err := db.QueryContext(ctx, "SELECT id FROM "+table+" WHERE "+where+" ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// strictSet loads a policy set with load.WithStrict and builds its engine.
func strictSet(ctx context.Context, t *testing.T, fsys fs.FS, name string) (*model.Policy, *engine.Set) {
	t.Helper()
	p, err := load.FS(ctx, fsys, name, load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	set, err := engine.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return p, set
}

// selectRenderer renders a role's select Filter on table for a dialect,
// the role's session given by session.
func selectRenderer(ctx context.Context, t *testing.T, p *model.Policy, set *engine.Set, table model.TableName, session func(string) engine.Session) func(role string, d sqlgen.Dialect) (sqlgen.Fragment, error) {
	return func(role string, d sqlgen.Dialect) (sqlgen.Fragment, error) {
		t.Helper()
		f, err := set.Filter(ctx, engine.FilterInput{Session: session(role), Table: table, Op: model.OpSelect})
		if err != nil {
			t.Fatal(err)
		}
		r, err := sqlgen.NewRenderer(p, table, sqlgen.Options{Dialect: d})
		if err != nil {
			t.Fatal(err)
		}
		return r.Render(f.Predicate)
	}
}
