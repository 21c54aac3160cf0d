package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSourcesSharingATableName: two sources whose databases both have
// public.items. schema pull writes each source's table (source:), and
// check and filter address each as source:schema.name; the plain name is
// InvalidArgument naming both sources.
func TestSourcesSharingATableName(t *testing.T) {
	dir := t.TempDir()
	for name, ddl := range map[string]string{
		"one.db": "CREATE TABLE items (id integer PRIMARY KEY, owner integer)",
		"two.db": "CREATE TABLE items (id integer PRIMARY KEY, level text)",
	} {
		db, err := sql.Open("sqlite", filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ddl); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	policy := filepath.Join(dir, "policy")
	if err := os.MkdirAll(filepath.Join(policy, "databases"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(policy, "databases"), "databases.yaml", `
- name: one
  kind: postgres
  tables:
    - table: items
      select_permissions:
        - role: user
          permission: {columns: [id, owner], filter: {owner: {_eq: X-Hasura-User-Id}}}
- name: two
  kind: postgres
  tables:
    - table: items
      select_permissions:
        - role: user
          permission: {columns: [id, level], filter: {level: {_eq: public}}}
`)
	one, two := "sqlite://"+filepath.Join(dir, "one.db"), "sqlite://"+filepath.Join(dir, "two.db")
	schema, stderr, err := runCLI(t, nil, "schema", "pull", policy, "--database-url", "one="+one, "--database-url", "two="+two)
	if err != nil {
		t.Fatalf("schema pull: %v\n%s", err, stderr)
	}
	for _, want := range []string{"source: \"one\"\n    columns:\n      - {name: \"id\"", "source: \"two\""} {
		if !strings.Contains(schema, want) {
			t.Errorf("the schema lacks %q:\n%s", want, schema)
		}
	}
	writeTestFile(t, policy, "schema.yaml", schema)

	check := func(table, row string) (string, string, error) {
		return runCLI(t, nil, "check", policy, "--role", "user", "--session", "x-hasura-user-id=2",
			"--table", table, "--operation", "select", "--row", row, "--output", "json")
	}
	decision := func(out string) string {
		var resp struct {
			Decisions []struct{ Decision string } `json:"decisions"`
		}
		if err := json.Unmarshal([]byte(out), &resp); err != nil || len(resp.Decisions) != 1 {
			t.Fatalf("check printed %s (%v)", out, err)
		}
		return resp.Decisions[0].Decision
	}
	for _, c := range []struct{ table, row, want string }{
		{"one:public.items", `{"id": 1, "owner": 2}`, "DECISION_ALLOW"},
		{"one:public.items", `{"id": 1, "owner": 3}`, "DECISION_DENY"},
		{"two:public.items", `{"id": 1, "level": "public"}`, "DECISION_ALLOW"},
		{"two:items", `{"id": 1, "level": "secret"}`, "DECISION_DENY"},
	} {
		out, stderr, err := check(c.table, c.row)
		if err != nil {
			t.Errorf("check %s %s: %v\n%s", c.table, c.row, err, stderr)
			continue
		}
		if got := decision(out); got != c.want {
			t.Errorf("check %s %s: %s, want %s", c.table, c.row, got, c.want)
		}
	}
	// A column of the other source's table is not this one's.
	if _, stderr, err := check("two:public.items", `{"id": 1, "owner": 2}`); err == nil || !strings.Contains(stderr, "owner") {
		t.Errorf("two's items given one's column: err %v\n%s", err, stderr)
	}
	for _, cmd := range []string{"check", "filter"} {
		args := []string{cmd, policy, "--role", "user", "--session", "x-hasura-user-id=2", "--table", "public.items"}
		if cmd == "check" {
			args = append(args, "--operation", "select", "--row", `{"id": 1}`)
		}
		_, stderr, err := runCLI(t, nil, args...)
		if err == nil || !strings.Contains(stderr, "InvalidArgument") || !strings.Contains(stderr, "sources one, two") {
			t.Errorf("%s on the plain name: err %v, stderr %q: want InvalidArgument naming the sources", cmd, err, stderr)
		}
	}

	out, stderr, err := runCLI(t, nil, "filter", policy, "--role", "user", "--session", "x-hasura-user-id=2",
		"--table", "two:public.items", "--dialect", "postgres", "--output", "json")
	if err != nil {
		t.Fatalf("filter: %v\n%s", err, stderr)
	}
	var f struct {
		SQL    string `json:"sql"`
		Params []any  `json:"params"`
	}
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// The SQL names the table as its own database does: no source.
	if f.SQL != `("public"."items"."level" = $1::text)` || len(f.Params) != 1 || f.Params[0] != "public" {
		t.Errorf("filter two:public.items: %s %v", f.SQL, f.Params)
	}
}
