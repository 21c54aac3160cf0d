package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// existsPolicy writes a policy set whose rule reads another table through
// _exists: a member of a project's organisation sees the project.
func existsPolicy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeTestFile(t, dir, "schema.yaml", `tables:
  - name: public.projects
    primary_key: [id]
    columns:
      - {name: id, type: integer}
      - {name: org_id, type: integer}
  - name: public.memberships
    columns:
      - {name: user_id, type: integer}
      - {name: org_id, type: integer}
      - {name: since, type: timestamptz}
`)
	writeTestFile(t, dir, "metadata.json", `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [
  {"table": {"schema": "public", "name": "memberships"}},
  {"table": {"schema": "public", "name": "projects"}, "select_permissions": [{"role": "member", "permission": {
    "columns": ["id"],
    "filter": {"_exists": {"_table": {"schema": "public", "name": "memberships"},
      "_where": {"user_id": {"_eq": "X-Hasura-User-Id"}, "org_id": {"_ceq": ["$", "org_id"]}, "since": {"_lt": "2026-01-01T00:00:00Z"}}}}}}]}
]}]}`)
	return dir
}

func TestCheckExistsRows(t *testing.T) {
	dir := existsPolicy(t)
	yamlRows := filepath.Join(dir, "memberships.yaml")
	writeTestFile(t, dir, "memberships.yaml", `# the rows _exists reads
public.memberships:
  - {user_id: 1, org_id: 10, since: 2025-03-01T12:00:00Z}
  - {user_id: 2, org_id: 20, since: "2025-03-01T12:00:00Z"}
`)
	jsonRows := filepath.Join(dir, "memberships.json")
	writeTestFile(t, dir, "memberships.json", `{"memberships": [{"user_id": 1, "org_id": 10, "since": "2025-03-01T12:00:00Z"}]}`)
	emptyRows := filepath.Join(dir, "none.json")
	writeTestFile(t, dir, "none.json", `{"public.memberships": []}`)
	badRows := filepath.Join(dir, "bad.json")
	writeTestFile(t, dir, "bad.json", `{"public.memberships": {"user_id": 1}}`)
	unknownTable := filepath.Join(dir, "unknown.json")
	writeTestFile(t, dir, "unknown.json", `{"public.nope": [{"user_id": 1}]}`)

	args := func(extra ...string) []string {
		return append([]string{"check", dir, "--role", "member", "--session", "x-hasura-user-id=1",
			"--table", "projects", "--operation", "select", "--output", "json",
			"--row", `{"id": 1, "org_id": 10}`, "--row", `{"id": 2, "org_id": 20}`}, extra...)
	}
	tests := []struct {
		name    string
		args    []string
		want    []wardenv1.Decision
		wantErr string
	}{
		{name: "without the rows", args: args(),
			want: []wardenv1.Decision{wardenv1.Decision_DECISION_NEEDS_DATA, wardenv1.Decision_DECISION_NEEDS_DATA}},
		{name: "YAML", args: args("--exists-rows", yamlRows),
			want: []wardenv1.Decision{wardenv1.Decision_DECISION_ALLOW, wardenv1.Decision_DECISION_DENY}},
		{name: "JSON, table in schema public", args: args("--exists-rows", jsonRows),
			want: []wardenv1.Decision{wardenv1.Decision_DECISION_ALLOW, wardenv1.Decision_DECISION_DENY}},
		{name: "no rows", args: args("--exists-rows", emptyRows),
			want: []wardenv1.Decision{wardenv1.Decision_DECISION_DENY, wardenv1.Decision_DECISION_DENY}},
		{name: "not a list of rows", args: args("--exists-rows", badRows), wantErr: "--exists-rows " + badRows},
		{name: "missing file", args: args("--exists-rows", filepath.Join(dir, "nope.json")), wantErr: "nope.json"},
		{name: "unknown table", args: args("--exists-rows", unknownTable), wantErr: "tables[public.nope]: unknown table public.nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := runCLI(t, nil, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error()+stderr, tt.wantErr) {
					t.Fatalf("err = %v, want %q\n%s", err, tt.wantErr, stderr)
				}
				return
			}
			if err != nil {
				t.Fatalf("check: %v\n%s", err, stderr)
			}
			var resp wardenv1.CheckResponse
			if err := protojson.Unmarshal([]byte(stdout), &resp); err != nil {
				t.Fatalf("%v\n%s", err, stdout)
			}
			var got []wardenv1.Decision
			for _, d := range resp.GetDecisions() {
				got = append(got, d.GetDecision())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("decisions %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					b, _ := json.Marshal(resp.GetDecisions()[i].GetMissingData())
					t.Errorf("row %d: %s, want %s (missing %s)", i, got[i], tt.want[i], b)
				}
			}
		})
	}
}
