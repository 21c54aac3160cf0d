package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// deepPolicy writes a policy set whose one select filter nests deeper than
// the default --max-rule-depth, and returns its directory.
func deepPolicy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	filter := `{"owner_id": {"_eq": "X-Hasura-User-Id"}}`
	for range 40 {
		filter = `{"_and": [` + filter + `]}`
	}
	files := map[string]string{
		"schema.yaml": `tables:
  - name: public.notes
    columns:
      - {name: id, type: integer}
      - {name: owner_id, type: integer, nullable: false}
    primary_key: [id]
`,
		"databases/databases.yaml": `- name: default
  kind: postgres
  tables: "!include default/tables/tables.yaml"
`,
		"databases/default/tables/tables.yaml": `- "!include public_notes.yaml"
`,
		"databases/default/tables/public_notes.yaml": `table: {name: notes, schema: public}
select_permissions:
  - role: user
    permission:
      columns: [id, owner_id]
      filter: ` + filter + `
`,
	}
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRuleLimitFlags: every command that loads a policy set takes serve's
// --max-rule-depth, so a policy set the server loads with a raised limit
// also loads offline, and one it refuses is refused offline.
func TestRuleLimitFlags(t *testing.T) {
	dir := deepPolicy(t)
	commands := map[string][]string{
		"check": {"check", "--policy", dir, "--role", "user", "--session", "x-hasura-user-id=1",
			"--table", "notes", "--operation", "select", "--row", `{"id": 1, "owner_id": 1}`},
		"filter":   {"filter", "--policy", dir, "--role", "user", "--session", "x-hasura-user-id=1", "--table", "notes"},
		"compile":  {"compile", "--policy", dir},
		"validate": {"validate", "--policy", dir},
	}
	// Strictly, the deep rule refuses the set; loaded as Hasura does, its
	// permission is inconsistent: check and filter are refused naming it,
	// validate lists it, compile leaves it out.
	for name, args := range commands {
		commands[name] = append(args, "--strict")
	}
	for name, args := range commands {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, err := runCLI(t, nil, args...)
			if err == nil {
				t.Fatalf("%s with the default --max-rule-depth loaded a filter 40 levels deep", name)
			}
			if !strings.Contains(stdout+stderr, "nested deeper than 32") {
				t.Errorf("%s: output lacks the depth problem:\nstdout:\n%s\nstderr:\n%s", name, stdout, stderr)
			}
			stdout, stderr, err = runCLI(t, nil, append(args, "--max-rule-depth", "64")...)
			if err != nil {
				t.Fatalf("%s --max-rule-depth 64: %v\nstdout:\n%s\nstderr:\n%s", name, err, stdout, stderr)
			}
			_, _, err = runCLI(t, map[string]string{"WARDEN_MAX_RULE_DEPTH": "64"}, args...)
			if err != nil {
				t.Errorf("%s with WARDEN_MAX_RULE_DEPTH=64: %v", name, err)
			}
			_, _, err = runCLI(t, nil, append(args, "--max-rule-nodes", "0")...)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Errorf("%s --max-rule-nodes 0: err = %v, want a usage error", name, err)
			}
		})
	}

	t.Run("check decides", func(t *testing.T) {
		stdout, stderr, err := runCLI(t, nil, append(commands["check"], "--max-rule-depth", "64")...)
		if err != nil {
			t.Fatalf("check: %v\n%s", err, stderr)
		}
		if !strings.Contains(stdout, "0    ALLOW") {
			t.Errorf("check --max-rule-depth 64 did not allow the own row:\n%s", stdout)
		}
	})
}
