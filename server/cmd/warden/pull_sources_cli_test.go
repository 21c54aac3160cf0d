package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sqliteFiles creates one SQLite database per name with its DDL.
func sqliteFiles(t *testing.T, dir string, ddl map[string]string) {
	t.Helper()
	for name, script := range ddl {
		db, err := sql.Open("sqlite", filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(script, ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("%s: %s: %v", name, stmt, err)
			}
		}
		db.Close()
	}
}

// policyWithSources writes a policy directory under dir whose
// databases/databases.yaml is the given YAML, and returns its path.
func policyWithSources(t *testing.T, dir, databases string) string {
	t.Helper()
	policy := filepath.Join(dir, "policy")
	if err := os.MkdirAll(filepath.Join(policy, "databases"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(policy, "databases"), "databases.yaml", databases)
	return policy
}

// TestSchemaPullSourceWithoutTables: a source that databases.yaml lists
// with no tracked table yet (an empty tables list, as a project that moves
// tables between databases commits) is still a source. Before, --database-url
// SOURCE=URL naming it was refused ("the metadata has no source"); and such
// a source without a URL is not pulled, with a warning, rather than refused.
func TestSchemaPullSourceWithoutTables(t *testing.T) {
	dir := t.TempDir()
	sqliteFiles(t, dir, map[string]string{"one.db": "CREATE TABLE a (id integer PRIMARY KEY)", "two.db": "CREATE TABLE z (id integer PRIMARY KEY)"})
	policy := policyWithSources(t, dir, `
- name: default
  kind: postgres
  configuration: {}
  tables:
    - table: a
- name: later
  kind: postgres
  configuration: {}
  tables: []
- name: idle
  kind: postgres
  configuration: {}
`)
	one, two := "sqlite://"+filepath.Join(dir, "one.db"), "sqlite://"+filepath.Join(dir, "two.db")
	stdout, stderr, err := runCLI(t, nil, "schema", "pull", policy, "--database-url", "default="+one, "--database-url", "later="+two)
	if err != nil {
		t.Fatalf("schema pull with a URL for the source without tables: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, `name: {schema: "public", name: "a"}`) || strings.Contains(stdout, `name: "z"`) {
		t.Errorf("schema:\n%s", stdout)
	}
	if !strings.Contains(stderr, "source idle: tracks no table or function: not pulled") {
		t.Errorf("stderr lacks the idle source's warning:\n%s", stderr)
	}
	if _, _, err := runCLI(t, nil, "schema", "pull", policy, "--database-url", "nope="+one); err == nil || !strings.Contains(err.Error(), "the metadata has no source nope") {
		t.Errorf("err = %v, want the unknown source still refused", err)
	}
}
