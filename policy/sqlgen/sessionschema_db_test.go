package sqlgen_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/wardenpdp/warden/policy/sqlgen"
)

// sessionSchema makes a scratch schema on PostgreSQL whose "read"
// function returns the setting wtest.<setting> (the stand-in for the
// session reader SessionSQL calls), then runs the statements extra gives
// for the schema's name, and drops it when t ends. The returned
// SessionRead reads through it; List and Timestamptz are the caller's.
func sessionSchema(t *testing.T, db *sql.DB, prefix, setting string, extra func(schema string) []string) *sqlgen.SessionRead {
	t.Helper()
	ctx := context.Background()
	schema := fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), time.Now().UnixNano()%1_000_000_000)
	stmts := []string{
		`CREATE SCHEMA "` + schema + `"`,
		`CREATE FUNCTION "` + schema + `"."read"(setting text, name text) RETURNS text LANGUAGE sql STABLE AS 'SELECT current_setting(setting)'`,
	}
	if extra != nil {
		stmts = append(stmts, extra(schema)...)
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() { db.ExecContext(context.Background(), `DROP SCHEMA "`+schema+`" CASCADE`) })
	return &sqlgen.SessionRead{Schema: schema, Function: "read", Setting: "wtest." + setting}
}

// readSession runs q with the setting s reads set to text and $1 Check's
// value of it (NULL when Check refuses it: cerr).
func readSession(t *testing.T, db *sql.DB, s *sqlgen.SessionRead, q, text string, v any, cerr error) (string, error) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "SELECT set_config($1, $2, false)", s.Setting, text); err != nil {
		t.Fatal(err)
	}
	var arg any
	if cerr == nil {
		arg = v
	}
	var got string
	err := db.QueryRowContext(ctx, q, arg).Scan(&got)
	return got, err
}
