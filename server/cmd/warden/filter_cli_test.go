package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/load"
	_ "modernc.org/sqlite"
)

func TestFilterCLI(t *testing.T) {
	stdout, stderr, err := runCLI(t, nil, "filter", "--role", "user",
		"--session", "x-hasura-user-id=1", "--session", "x-hasura-org-id=1",
		"--table", "public.articles", "--operation", "select", "--dialect", "postgres", "--output", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var got struct {
		Kind    string   `json:"kind"`
		SQL     string   `json:"sql"`
		Params  []any    `json:"params"`
		Columns []string `json:"columns"`
		Limit   *int     `json:"limit"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if got.Kind != "CONDITIONAL" || !strings.Contains(got.SQL, `"author_id" = $1`) || len(got.Params) != 3 || got.Limit == nil || *got.Limit != 100 || len(got.Columns) != 7 {
		t.Errorf("warden filter printed %s", stdout)
	}

	// A variable the rule reads is missing: the status the RPC would give.
	_, stderr, err = runCLI(t, nil, "filter", "--role", "user", "--session", "x-hasura-user-id=1",
		"--table", "public.articles", "--dialect", "sqlite")
	if err == nil || !strings.Contains(stderr, "FailedPrecondition") || !strings.Contains(stderr, "x-hasura-org-id") {
		t.Errorf("err %v, stderr %q: want FailedPrecondition naming x-hasura-org-id", err, stderr)
	}
}

func TestValidateDialect(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, "schema.yaml", `tables:
  - name: public.docs
    columns:
      - {name: id, type: integer}
      - {name: title, type: text}
    primary_key: [id]
`)
	writeTestFile(t, dir, "metadata.json", `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [
  {"table": {"schema": "public", "name": "docs"}, "select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {"title": {"_regex": "^A"}}}}]}]}]}`)
	if stdout, _, err := runCLI(t, nil, "validate", "--policy", dir, "--dialect", "postgres"); err != nil {
		t.Fatalf("postgres: %v\n%s", err, stdout)
	}
	stdout, _, err := runCLI(t, nil, "validate", "--policy", dir, "--dialect", "postgres,sqlite")
	if err == nil || !strings.Contains(stdout, "_regex") || !strings.Contains(stdout, "sqlite") || !strings.Contains(stdout, "role user") {
		t.Errorf("err %v, stdout %q: want the _regex rule reported for sqlite", err, stdout)
	}
	if _, _, err := runCLI(t, nil, "validate", "--dialect", "oracle"); err == nil {
		t.Error("an unknown dialect was accepted")
	}
}

func TestSchemaPullCLI(t *testing.T) {
	dir := t.TempDir()
	dbFile := filepath.Join(dir, "blog.db")
	db, err := sql.Open("sqlite", "file:"+dbFile)
	if err != nil {
		t.Fatal(err)
	}
	ddl, err := os.ReadFile("../../../policy/examples/blog/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(stripComments(string(ddl)), ";") {
		if strings.TrimSpace(stmt) != "" {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
	}
	db.Close()
	out := filepath.Join(dir, "schema.yaml")
	if _, stderr, err := runCLI(t, nil, "schema", "pull", "--database-url", dbFile, "--out", out); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	abs, err := filepath.Abs("../../../policy/examples/blog")
	if err != nil {
		t.Fatal(err)
	}
	p, err := load.Dir(t.Context(), abs, load.WithSchemaFile(out))
	if err != nil {
		b, _ := os.ReadFile(out)
		t.Fatalf("the example does not load with the pulled schema: %v\n%s", err, b)
	}
	if len(p.Tables) != 4 {
		t.Errorf("%d tables, want 4", len(p.Tables))
	}
	if _, _, err := runCLI(t, nil, "schema", "pull"); err == nil {
		t.Error("schema pull without --database-url succeeded")
	}
}

func writeTestFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
