package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/wardenpdp/warden/policy/load"
)

// brokenLines are the problems of testdata/broken as validate and serve
// print them: file:line: path: message, with the file, line, path and
// message load gives (the line is load's to compute; each problem has one).
func brokenLines(t *testing.T) []string {
	t.Helper()
	_, err := load.Dir(t.Context(), brokenPolicy, load.WithStrict())
	var ve *load.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 3 {
		t.Fatalf("%s: err = %v, want 3 problems", brokenPolicy, err)
	}
	var out []string
	for _, p := range ve.Problems {
		if p.Line < 1 || p.Source.File == "" || p.Source.Path == "" {
			t.Fatalf("problem %+v lacks its file, line or path", p)
		}
		out = append(out, fmt.Sprintf("%s:%d: %s: %s", p.Source.File, p.Line, p.Source.Path, p.Message))
	}
	return out
}

func TestBrokenLines(t *testing.T) {
	// One anchor that does not depend on load: the admin permission's
	// problem is on the line "- role: admin".
	want := "databases/default/tables/public_notes.yaml:11: select_permissions[role=admin].role: no permission may be defined for role admin"
	if got := brokenLines(t)[1]; !strings.HasPrefix(got, want) {
		t.Errorf("problem line %q, want it to start %q", got, want)
	}
}

func TestPolicyDirectoryArgument(t *testing.T) {
	brokenLines := brokenLines(t)
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		stdout   []string // each a prefix of a line, in order
		stderr   string
	}{
		{name: "validate DIR", args: []string{"validate", brokenPolicy}, wantCode: 1, stdout: brokenLines},
		{name: "flags after DIR", args: []string{"validate", brokenPolicy, "--dialect", "sqlite"}, wantCode: 1, stdout: brokenLines},
		{name: "after --", args: []string{"validate", "--", brokenPolicy}, wantCode: 1, stdout: brokenLines},
		{name: "the same directory both ways", args: []string{"validate", "--policy", brokenPolicy, "./" + brokenPolicy + "/"}, wantCode: 1, stdout: brokenLines},
		{name: "the argument wins over the environment", env: map[string]string{"WARDEN_POLICY": "testdata/nope"},
			args: []string{"validate", brokenPolicy}, wantCode: 1, stdout: brokenLines},
		{name: "two directories", args: []string{"validate", "--policy", brokenPolicy, "testdata/other"}, wantCode: 2,
			stderr: "two policy directories: --policy testdata/broken and the argument testdata/other"},
		{name: "two arguments", args: []string{"validate", brokenPolicy, "testdata/other"}, wantCode: 2,
			stderr: `unexpected argument "testdata/other": give one policy directory`},
		{name: "no --policy, no argument", args: []string{"keys", "generate", "extra"}, wantCode: 2, stderr: `unexpected argument "extra"`},
		{name: "compile DIR", args: []string{"compile", brokenPolicy}, wantCode: 1, stderr: brokenLines[0]},
		{name: "check DIR", args: []string{"check", brokenPolicy, "--role", "user", "--session", "x-hasura-user-id=1",
			"--table", "notes", "--operation", "select", "--row", `{"id": 1}`}, wantCode: 1, stderr: brokenLines[1]},
		{name: "filter DIR", args: []string{"filter", brokenPolicy, "--role", "user", "--table", "notes"}, wantCode: 1, stderr: brokenLines[2]},
		{name: "serve DIR", args: []string{"serve", brokenPolicy, "--dev", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"},
			wantCode: 1, stderr: brokenLines[0]},
		{name: "schema pull DIR", args: []string{"schema", "pull", "testdata/nope", "--database-url", "sqlite://nope.db"},
			wantCode: 1, stderr: "testdata/nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Strictly, the broken policy's three problems refuse it (as
			// Hasura does, they are inconsistent objects: see TestValidate).
			args := tt.args
			if tt.wantCode != 2 && args[0] != "schema" {
				args = append([]string{args[0], "--strict"}, args[1:]...)
			}
			stdout, stderr, err := runCLI(t, tt.env, args...)
			var exitErr bytes.Buffer
			code := exitCode(err, &exitErr)
			stderr += exitErr.String()
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d (err %v)\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, err, stdout, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			if len(tt.stdout) > 0 && len(lines) != len(tt.stdout) {
				t.Fatalf("printed %d lines, want %d:\n%s", len(lines), len(tt.stdout), stdout)
			}
			for i, w := range tt.stdout {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("line %d = %q, want it to start %q", i, lines[i], w)
				}
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr)
			}
		})
	}
}

// manyProblems writes a policy set with n unknown columns in one filter:
// n problems.
func manyProblems(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	tables := filepath.Join(dir, "databases", "default", "tables")
	if err := os.MkdirAll(tables, 0o755); err != nil {
		t.Fatal(err)
	}
	var filter strings.Builder
	for i := range n {
		fmt.Fprintf(&filter, "          col_%03d: {_eq: 1}\n", i)
	}
	writeTestFile(t, dir, "schema.yaml", "tables:\n  - name: public.notes\n    columns:\n      - {name: id, type: integer}\n    primary_key: [id]\n")
	writeTestFile(t, filepath.Join(dir, "databases"), "databases.yaml", "- name: default\n  kind: postgres\n  tables: \"!include default/tables/tables.yaml\"\n")
	writeTestFile(t, tables, "tables.yaml", "- \"!include public_notes.yaml\"\n")
	// Every unknown column is a problem of its own.
	writeTestFile(t, tables, "public_notes.yaml", "table: {name: notes, schema: public}\nselect_permissions:\n  - role: user\n    permission:\n      columns: [id]\n      filter:\n"+filter.String())
	return dir
}

func TestServePrintsProblems(t *testing.T) {
	dir := manyProblems(t, 53)
	_, stderr, err := runCLI(t, nil, "serve", "--strict", "--dev", "--policy", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "53 problem(s)") {
		t.Fatalf("serve: err = %v, want 53 problems\n%s", err, stderr)
	}
	var printed, logged []string
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) != nil {
			printed = append(printed, line)
			continue
		}
		if entry["msg"] == "policy problem" {
			logged = append(logged, fmt.Sprint(entry["path"]))
		}
	}
	if len(logged) != 53 {
		t.Errorf("logged %d problems, want all 53", len(logged))
	}
	if len(printed) != maxPrintedProblems+1 {
		t.Fatalf("printed %d lines, want %d problems and one more:\n%s", len(printed), maxPrintedProblems, strings.Join(printed, "\n"))
	}
	for i, line := range printed[:maxPrintedProblems] {
		want := fmt.Sprintf("databases/default/tables/public_notes.yaml:%d: select_permissions[role=user].permission.filter.col_%03d: unknown column", 7+i, i)
		if !strings.HasPrefix(line, want) {
			t.Errorf("line %d = %q, want it to start %q", i, line, want)
		}
	}
	if last := printed[maxPrintedProblems]; !strings.HasPrefix(last, "... and 3 more") {
		t.Errorf("last line %q, want \"... and 3 more\"", last)
	}
}

func TestSchemaPullConnectionFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	url := fmt.Sprintf("postgres://postgres:s3cret-pw@127.0.0.1:%d/test", port)
	_, stderr, err := runCLI(t, nil, "schema", "pull", "--database-url", url)
	want := fmt.Sprintf("cannot connect to the database postgres://postgres:xxxxx@127.0.0.1:%d/test: ", port)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v, want it to start %q\n%s", err, want, stderr)
	}
	if msg := err.Error(); strings.Contains(msg, "s3cret-pw") || strings.Contains(msg, "table") {
		t.Errorf("err = %q shows the password or names a table", msg)
	}
}

// TestSchemaPullSources: each source of databases.yaml is pulled from its
// own database (SOURCE=URL), a source of a kind Warden does not decide is
// not pulled, and a source without a URL is a usage error.
func TestSchemaPullSources(t *testing.T) {
	dir := t.TempDir()
	sqliteFiles(t, dir, map[string]string{"one.db": "CREATE TABLE a (id integer PRIMARY KEY, n integer)", "two.db": "CREATE TABLE b (id integer PRIMARY KEY, t text)"})
	policy := policyWithSources(t, dir, `
- name: default
  kind: postgres
  configuration: {}
  tables:
    - table: a
- name: second
  kind: citus
  configuration: {}
  tables:
    - table: b
- name: warehouse
  kind: mssql
  configuration: {}
  tables:
    - table: {schema: dbo, name: orders}
`)
	one, two := "sqlite://"+filepath.Join(dir, "one.db"), "sqlite://"+filepath.Join(dir, "two.db")
	stdout, stderr, err := runCLI(t, nil, "schema", "pull", policy, "--database-url", "default="+one, "--database-url", "second="+two)
	if err != nil {
		t.Fatalf("schema pull: %v\n%s", err, stderr)
	}
	for _, want := range []string{`name: {schema: "public", name: "a"}`, `name: {schema: "public", name: "b"}`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the schema lacks %s:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "orders") || !strings.Contains(stderr, "source warehouse: kind mssql, which Warden does not decide: not pulled") {
		t.Errorf("the mssql source: stdout\n%s\nstderr\n%s", stdout, stderr)
	}
	// The tables of one source are looked for in its own database only.
	_, stderr, err = runCLI(t, nil, "schema", "pull", policy, "--database-url", "default="+two, "--database-url", "second="+two)
	if err != nil || !strings.Contains(stderr, "table public.a: not in the database of source default") {
		t.Errorf("a's source pointed at two.db: err %v\n%s", err, stderr)
	}
	_, _, err = runCLI(t, nil, "schema", "pull", policy, "--database-url", "default="+one)
	if err == nil || !strings.Contains(err.Error(), "source second has no --database-url") {
		t.Errorf("err = %v, want the source without a URL named", err)
	}
	_, _, err = runCLI(t, nil, "schema", "pull", policy, "--database-url", "nope="+one)
	if err == nil || !strings.Contains(err.Error(), "the metadata has no source nope") {
		t.Errorf("err = %v, want the unknown source named", err)
	}
	// One URL serves every source.
	if _, stderr, err := runCLI(t, nil, "schema", "pull", policy, "--database-url", one); err != nil || !strings.Contains(stderr, "table public.b: not in the database of source second") {
		t.Errorf("one URL for every source: err %v\n%s", err, stderr)
	}
}
