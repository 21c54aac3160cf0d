package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/examples"
	"github.com/wardenpdp/warden/policy/load"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

const brokenPolicy = "testdata/broken"

// checkArgs is `warden check` for articlesRequest.
func checkArgs(t *testing.T, extra ...string) []string {
	t.Helper()
	own, err := json.Marshal(ownRow(t))
	if err != nil {
		t.Fatal(err)
	}
	other, err := json.Marshal(otherRow(t))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"check",
		"--role", "user",
		"--session", "x-hasura-user-id=1", "--session", "x-hasura-org-id=1",
		"--table", "public.articles", "--operation", "select",
		"--row", string(own), "--row", string(other),
	}, extra...)
}

func TestCheckJSONIsWhatTheRPCGives(t *testing.T) {
	srv := startServer(t)
	rpc, err := srv.authz().Check(t.Context(), articlesRequest(t))
	if err != nil {
		t.Fatal(err)
	}

	stdout, stderr, err := runCLI(t, nil, checkArgs(t, "--output", "json")...)
	if err != nil {
		t.Fatalf("check: %v\n%s", err, stderr)
	}
	var cli wardenv1.CheckResponse
	if err := protojson.Unmarshal([]byte(stdout), &cli); err != nil {
		t.Fatalf("check --output json printed no CheckResponse: %v\n%s", err, stdout)
	}
	if diff := cmp.Diff(rpc, &cli, protocmp.Transform(),
		protocmp.IgnoreFields(&wardenv1.CheckResponse{}, "decision_id")); diff != "" {
		t.Errorf("CLI and RPC differ (-rpc +cli):\n%s", diff)
	}
	if cli.GetDecisionId() == "" || cli.GetDecisionId() == rpc.GetDecisionId() {
		t.Errorf("decision id %q: want a fresh one", cli.GetDecisionId())
	}
	// The JSON is the canonical protobuf form, as grpcurl prints it.
	for _, want := range []string{`"decisionId"`, `"DECISION_ALLOW"`, `"DECISION_DENY"`, `"allowedColumns"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("JSON lacks %s:\n%s", want, stdout)
		}
	}
}

func TestCheckCLI(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		wantErr    bool
		wantUsage  bool
		wantStdout []string
		wantStderr []string
	}{
		{
			name:       "text",
			args:       checkArgs(t),
			wantStdout: []string{"role user, revision ", "0    ALLOW", "1    DENY"},
		},
		{
			name: "flags from the environment",
			env:  map[string]string{"WARDEN_ROLE": "user", "WARDEN_TABLE": "nope", "WARDEN_OUTPUT": "json"},
			args: []string{"check", "--table", "articles", "--operation", "delete",
				"--session", "x-hasura-user-id=1", "--row", `{"id": 1, "author_id": 1, "published": false}`},
			wantStdout: []string{`"DECISION_ALLOW"`},
		},
		{
			name:       "missing session variable",
			args:       []string{"check", "--role", "user", "--table", "articles", "--operation", "select", "--row", `{"id": 1}`},
			wantErr:    true,
			wantStderr: []string{"FailedPrecondition: missing session variable(s): x-hasura-org-id, x-hasura-user-id", "session_variable x-hasura-org-id"},
		},
		{
			name:       "unknown table",
			args:       checkArgs(t, "--table", "public.nope"),
			wantErr:    true,
			wantStderr: []string{"NotFound: unknown table public.nope"},
		},
		{
			name:       "bad request",
			args:       []string{"check", "--table", "articles", "--operation", "select"},
			wantErr:    true,
			wantStderr: []string{"InvalidArgument: ", "field principal.role: required", "field rows: at least one row is required"},
		},
		{
			// clients/testdata/jsonnull: role untagged reads meta IS NULL.
			name: "JSON null is not SQL NULL",
			args: []string{"check", "../../../clients/testdata/jsonnull", "--role", "untagged", "--table", "docs", "--operation", "select",
				"--row", `{"id": 1, "title": "t", "meta": null}`, "--row", `{"id": 2, "title": "t", "meta": null}`, "--json-null", "rows[1].values.meta"},
			wantStdout: []string{"0    ALLOW", "1    DENY"},
		},
		{
			name: "--json-null naming a value that is not null",
			args: []string{"check", "../../../clients/testdata/jsonnull", "--role", "untagged", "--table", "docs", "--operation", "select",
				"--row", `{"id": 1, "title": "t", "meta": {}}`, "--json-null", "rows[0].values.meta"},
			wantErr:    true,
			wantStderr: []string{"InvalidArgument: ", "field rows[0].json_nulls[0]: names a value that is not null"},
		},
		{name: "--json-null of no row", args: checkArgs(t, "--json-null", "rows[9].values.meta"), wantErr: true, wantUsage: true},
		{
			name:       "OPA's evaluator decides alike",
			args:       checkArgs(t, "--evaluator", "opa"),
			wantStdout: []string{"role user, revision ", "0    ALLOW", "1    DENY"},
		},
		{
			name:       "native evaluator",
			args:       checkArgs(t, "--evaluator", "native"),
			wantStdout: []string{"role user, revision ", "0    ALLOW", "1    DENY"},
		},
		{name: "bad evaluator", args: checkArgs(t, "--evaluator", "rego"), wantErr: true, wantUsage: true},
		{name: "bad session flag", args: checkArgs(t, "--session", "x-hasura-user-id"), wantErr: true, wantUsage: true},
		{name: "bad row", args: checkArgs(t, "--row", "[1]"), wantErr: true, wantUsage: true},
		{name: "bad operation", args: checkArgs(t, "--operation", "read"), wantErr: true, wantUsage: true},
		{name: "bad output", args: checkArgs(t, "--output", "yaml"), wantErr: true, wantUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := runCLI(t, tt.env, tt.args...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v\nstdout:\n%s\nstderr:\n%s", err, tt.wantErr, stdout, stderr)
			}
			var ue usageError
			if errors.As(err, &ue) != tt.wantUsage {
				t.Errorf("err = %v: usage error %v, want %v", err, !tt.wantUsage, tt.wantUsage)
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

func embeddedModules(t *testing.T) []compile.Module {
	t.Helper()
	p, err := load.FS(context.Background(), examples.Blog(), "embedded:example")
	if err != nil {
		t.Fatal(err)
	}
	mods, err := compile.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return mods
}

func TestCompile(t *testing.T) {
	mods := embeddedModules(t)

	t.Run("print", func(t *testing.T) {
		stdout, stderr, err := runCLI(t, nil, "compile")
		if err != nil {
			t.Fatalf("compile: %v\n%s", err, stderr)
		}
		for _, m := range mods {
			if !strings.Contains(stdout, "# "+m.Path+"\n"+m.Source) {
				t.Errorf("output lacks module %s", m.Path)
			}
		}
	})

	t.Run("out", func(t *testing.T) {
		dir := t.TempDir()
		stdout, stderr, err := runCLI(t, nil, "compile", "--out", dir)
		if err != nil {
			t.Fatalf("compile --out: %v\n%s", err, stderr)
		}
		var written []string
		err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			written = append(written, filepath.ToSlash(rel))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, m := range mods {
			want = append(want, m.Path)
			got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(m.Path)))
			if err != nil || string(got) != m.Source {
				t.Errorf("%s: content differs from the compiler's (%v)", m.Path, err)
			}
		}
		slices.Sort(written)
		slices.Sort(want)
		if !slices.Equal(written, want) {
			t.Errorf("wrote %q, want one .rego per module %q", written, want)
		}
		if n := strings.Count(stdout, "\n"); n != len(mods) {
			t.Errorf("listed %d files, want %d:\n%s", n, len(mods), stdout)
		}
	})

	t.Run("broken policy", func(t *testing.T) {
		_, stderr, err := runCLI(t, nil, "compile", "--strict", "--policy", brokenPolicy)
		if err == nil || !strings.Contains(stderr, "ownr_id") {
			t.Errorf("err = %v, stderr:\n%s", err, stderr)
		}
	})

	t.Run("broken policy, loaded as Hasura does", func(t *testing.T) {
		stdout, stderr, err := runCLI(t, nil, "compile", "--policy", brokenPolicy)
		if err != nil || !strings.Contains(stderr, "3 inconsistent object(s)") || !strings.Contains(stderr, "ownr_id") {
			t.Errorf("err = %v, stderr:\n%s", err, stderr)
		}
		// The left-out permissions are not compiled; the lib module is.
		if strings.Contains(stdout, `filter["user"]`) || !strings.Contains(stdout, "# warden/lib.rego") {
			t.Errorf("an inconsistent permission was compiled:\n%s", stdout)
		}
	})
}

func TestValidate(t *testing.T) {
	wantProblems := []string{
		"databases/default/tables/public_notes.yaml:20: delete_permissions[role=user].permission.filter.owner_id._equals: ",
		"databases/default/tables/public_notes.yaml:11: select_permissions[role=admin]",
		"databases/default/tables/public_notes.yaml:9: select_permissions[role=user].permission.filter.ownr_id: ",
	}
	// Loaded as Hasura does, the three are inconsistent objects, listed.
	wantInconsistent := []string{
		"3 inconsistent object(s), left out",
		"  select permission of role user on public.notes (databases/default/tables/public_notes.yaml: select_permissions[role=user])",
		"    databases/default/tables/public_notes.yaml:9: select_permissions[role=user].permission.filter.ownr_id: ",
		"  select permission of role admin on public.notes",
		"    databases/default/tables/public_notes.yaml:11: select_permissions[role=admin].role: no permission may be defined for role admin",
		"  delete permission of role user on public.notes",
		"    databases/default/tables/public_notes.yaml:20: delete_permissions[role=user].permission.filter.owner_id._equals: ",
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
		want    []string
	}{
		{name: "embedded example", args: []string{"validate"}, want: []string{"ok: embedded:example: 4 tables"}},
		{name: "broken", args: []string{"validate", "--strict", "--policy", brokenPolicy}, wantErr: "3 problem(s)", want: wantProblems},
		{name: "broken from the environment", env: map[string]string{"WARDEN_POLICY": brokenPolicy, "WARDEN_STRICT": "true"},
			args: []string{"validate"}, wantErr: "3 problem(s)", want: wantProblems},
		{name: "broken, loaded as Hasura does", args: []string{"validate", "--policy", brokenPolicy},
			wantErr: "3 inconsistent object(s)", want: wantInconsistent},
		{name: "an empty flag wins over the environment", env: map[string]string{"WARDEN_POLICY": brokenPolicy},
			args: []string{"validate", "--policy="}, want: []string{"ok: embedded:example"}},
		{name: "missing directory", args: []string{"validate", "--policy", "testdata/nope"}, wantErr: "testdata/nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := runCLI(t, tt.env, tt.args...)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q\nstdout:\n%s\nstderr:\n%s", err, tt.wantErr, stdout, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			if len(lines) < len(tt.want) {
				t.Fatalf("printed %d lines, want %d:\n%s", len(lines), len(tt.want), stdout)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("line %d = %q, want it to start %q", i, lines[i], w)
				}
			}
		})
	}
}

func TestServeRefusesABrokenPolicy(t *testing.T) {
	_, stderr, err := runCLI(t, nil, "serve", "--strict", "--policy", brokenPolicy, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "3 problem(s)") {
		t.Fatalf("serve with a broken policy: err = %v", err)
	}
	var problems int
	var printed []string
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			printed = append(printed, line)
			continue
		}
		if entry == nil {
			continue
		}
		if entry["msg"] == "policy problem" && entry["file"] == "databases/default/tables/public_notes.yaml" {
			problems++
		}
	}
	if problems != 3 {
		t.Errorf("logged %d problems, want 3:\n%s", problems, stderr)
	}
	// Besides the log, every problem on a line of its own, as validate
	// prints them.
	want := brokenLines(t)
	if len(printed) != len(want) {
		t.Fatalf("printed %d lines besides the log, want %d:\n%s", len(printed), len(want), stderr)
	}
	for i, w := range want {
		if !strings.HasPrefix(printed[i], w) {
			t.Errorf("line %d = %q, want it to start %q", i, printed[i], w)
		}
	}
	if strings.Contains(stderr, "listening") {
		t.Errorf("served anyway:\n%s", stderr)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		stdout   []string
		stderr   []string
	}{
		{name: "no command", args: nil, wantCode: 2, stderr: []string{"Usage:", "serve", "check", "compile", "validate"}},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, stderr: []string{"Usage:", `unknown command "frobnicate"`}},
		{name: "help", args: []string{"--help"}, wantCode: 0, stdout: []string{"Usage:", "WARDEN_GRPC_ADDR"}},
		{name: "serve --help", args: []string{"serve", "--help"}, wantCode: 0,
			stdout: []string{"Usage: warden serve", "--grpc-addr address", "(default 127.0.0.1:7400) [$WARDEN_GRPC_ADDR]",
				"(default 127.0.0.1:7401) [$WARDEN_HTTP_ADDR]", "[$WARDEN_SHUTDOWN_TIMEOUT]", "[$WARDEN_MAX_RECV_MSG_SIZE]"}},
		{name: "check --help", args: []string{"check", "--help"}, wantCode: 0, stdout: []string{"Usage: warden check", "--session name=value"}},
		{name: "compile -h", args: []string{"compile", "-h"}, wantCode: 0, stdout: []string{"Usage: warden compile", "--out directory"}},
		{name: "validate --help", args: []string{"validate", "--help"}, wantCode: 0, stdout: []string{"Usage: warden validate", "[$WARDEN_SCHEMA]"}},
		{name: "unknown flag", args: []string{"serve", "--nope"}, wantCode: 2, stderr: []string{"flag provided but not defined: -nope"}},
		{name: "stray argument", args: []string{"validate", "dir", "extra"}, wantCode: 2, stderr: []string{`unexpected argument "extra"`}},
		{name: "invalid config", args: []string{"serve", "--log-format", "xml"}, wantCode: 2, stderr: []string{"--log-format"}},
		{name: "bad environment", args: []string{"serve"}, wantCode: 2, stderr: []string{"WARDEN_MAX_ROWS"}},
		{name: "version", args: []string{"version"}, wantCode: 0, stdout: []string{"warden "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var env map[string]string
			if tt.name == "bad environment" {
				env = map[string]string{"WARDEN_MAX_ROWS": "lots"}
			}
			stdout, stderr, err := runCLI(t, env, tt.args...)
			var exitErr bytes.Buffer
			if code := exitCode(err, &exitErr); code != tt.wantCode {
				t.Errorf("exit code %d, want %d (err %v)", code, tt.wantCode, err)
			}
			stderr += exitErr.String()
			for _, w := range tt.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
	if code := exitCode(flag.ErrHelp, &bytes.Buffer{}); code != 0 {
		t.Errorf("exit code for --help = %d", code)
	}
}

// TestNoRoles: metadata in which no role has a permission would deny every
// request; it is refused unless --allow-no-roles says it is meant.
func TestNoRoles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"metadata.json": `{"resource_version": 1, "metadata": {"version": 3, "sources": [{"name": "default", "kind": "postgres", "configuration": {}, "tables": [{"table": {"schema": "public", "name": "notes"}}]}]}}`,
		"schema.yaml":   "tables:\n  - name: notes\n    columns: [{name: id, type: integer}]\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := runCLI(t, nil, "validate", "--policy", dir)
	if err == nil || !strings.Contains(err.Error(), "no role has a permission on any table (1 tables") {
		t.Errorf("validate: err = %v, want the set refused for having no role", err)
	}
	_, _, err = runCLI(t, nil, "serve", "--dev", "--policy", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "--allow-no-roles") {
		t.Errorf("serve: err = %v, want the set refused for having no role", err)
	}
	stdout, _, err := runCLI(t, nil, "validate", "--policy", dir, "--allow-no-roles")
	if err != nil || !strings.Contains(stdout, "ok: ") || !strings.Contains(stdout, "1 tables, 0 roles") {
		t.Errorf("validate --allow-no-roles: err = %v, stdout:\n%s", err, stdout)
	}

	// The only permission is on a table of a source Warden does not
	// decide (a real export's shape: one mssql source): the refusal names
	// the table left out and why, not only that no role has a permission.
	mssql := t.TempDir()
	if err := os.WriteFile(filepath.Join(mssql, "metadata.json"), []byte(`{"resource_version": 1, "metadata": {"version": 3, "sources": [`+
		`{"name": "main", "kind": "mssql", "configuration": {}, "tables": [{"table": {"schema": "dbo", "name": "user"}, `+
		`"select_permissions": [{"role": "user", "permission": {"columns": ["id"], "filter": {"id": {"_eq": "X-Hasura-User-Id"}}}}]}]}]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mssql, "schema.yaml"), []byte("tables: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = runCLI(t, nil, "validate", "--policy", mssql)
	if err == nil || !strings.Contains(err.Error(), "no role has a permission on any table") ||
		!strings.Contains(err.Error(), "Left out as inconsistent, which may be why: table dbo.user (") || !strings.Contains(err.Error(), "kind mssql") {
		t.Errorf("validate of an mssql-only set: err = %v, want the refusal to name dbo.user and its source's kind", err)
	}
}
