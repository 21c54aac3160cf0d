package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSchemaPullForeignKeyToSharedName: a table pulled from one source
// whose foreign key references a name pulled from two sources (each
// database has its own kinds) keeps its source in the schema file, and so
// does a table that reaches it through another foreign key; the metadata
// then loads with the relationships over those keys. Before, those tables
// were written without a source and their references were "not in the
// schema" (found on a project with four sources sharing lookup tables).
func TestSchemaPullForeignKeyToSharedName(t *testing.T) {
	dir := t.TempDir()
	sqliteFiles(t, dir, map[string]string{
		"one.db": `CREATE TABLE kinds (code text PRIMARY KEY);
			CREATE TABLE items (id integer PRIMARY KEY, kind text REFERENCES kinds (code), owner integer);
			CREATE TABLE notes (id integer PRIMARY KEY, item_id integer REFERENCES items (id));
			CREATE TABLE plain (id integer PRIMARY KEY)`,
		"two.db": `CREATE TABLE kinds (code text PRIMARY KEY, label text)`,
	})
	policy := policyWithSources(t, dir, `
- name: default
  kind: postgres
  configuration: {}
  tables:
    - table: plain
    - table: items
      object_relationships:
        - name: kindByKind
          using: {foreign_key_constraint_on: kind}
      select_permissions:
        - role: user
          permission:
            columns: [id]
            filter: {owner: {_eq: X-Hasura-User-Id}, kindByKind: {code: {_neq: hidden}}}
    - table: notes
      object_relationships:
        - name: item
          using: {foreign_key_constraint_on: item_id}
      select_permissions:
        - role: user
          permission:
            columns: [id]
            filter: {item: {owner: {_eq: X-Hasura-User-Id}}}
- name: lookup
  kind: postgres
  configuration: {}
  tables:
    - table: kinds
`)
	one, two := "sqlite://"+filepath.Join(dir, "one.db"), "sqlite://"+filepath.Join(dir, "two.db")
	stdout, stderr, err := runCLI(t, nil, "schema", "pull", policy, "--database-url", "default="+one, "--database-url", "lookup="+two)
	if err != nil {
		t.Fatalf("schema pull: %v\n%s", err, stderr)
	}
	sourced := map[string]bool{}
	var current string
	for _, line := range strings.Split(stdout, "\n") {
		if i := strings.Index(line, `name: {schema: "public", name: "`); i >= 0 && strings.HasPrefix(strings.TrimSpace(line), "- name:") {
			current = strings.TrimSuffix(line[i+len(`name: {schema: "public", name: "`):], `"}`)
		}
		if strings.Contains(line, "source: ") {
			sourced[current] = true
		}
	}
	for table, want := range map[string]bool{"kinds": true, "items": true, "notes": true, "plain": false} {
		if sourced[table] != want {
			t.Errorf("table %s written with a source: %v, want %v\n%s", table, sourced[table], want, stdout)
		}
	}
	writeTestFile(t, policy, "schema.yaml", stdout)
	if out, stderr, err := runCLI(t, nil, "validate", policy); err != nil {
		t.Fatalf("validate with the pulled schema: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err := runCLI(t, nil, "filter", policy, "--role", "user", "--table", "notes", "--session", "x-hasura-user-id=7", "--dialect", "postgres", "--output", "json")
	if err != nil {
		t.Fatalf("filter: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, `\"items\" AS`) || !strings.Contains(out, `\"owner\" = $1`) {
		t.Errorf("notes' filter does not join items on owner:\n%s", out)
	}
}
