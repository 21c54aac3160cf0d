package main

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	_ "modernc.org/sqlite"

	"github.com/wardenpdp/warden/policy/load"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
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

// TestFilterEndToEnd calls Filter over real gRPC as an admin-level caller
// stating a session, and as a check-only caller (PermissionDenied), and
// reads the Filter metrics.
func TestFilterEndToEnd(t *testing.T) {
	srv := startServer(t)
	req := &wardenv1.FilterRequest{
		Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}},
		Table:     "public.articles",
		Operation: wardenv1.Operation_OPERATION_SELECT,
		Sql:       &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_SQLITE, TableAlias: "a"},
	}
	resp, err := wardenv1.NewAuthorizationServiceClient(srv.dial(t, "ops")).Filter(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetKind() != wardenv1.FilterKind_FILTER_KIND_CONDITIONAL || resp.GetPredicate().GetAny() == nil ||
		!strings.Contains(resp.GetSql().GetWhere().GetSql(), `"a"."author_id" = ?`) || resp.GetLimit() != 100 || resp.GetDecisionId() == "" {
		t.Errorf("Filter answered %v", resp)
	}
	_, err = wardenv1.NewAuthorizationServiceClient(srv.dial(t, "checker")).Filter(t.Context(), req)
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("a check-only caller got %v, want PermissionDenied", err)
	}
	// Missing variable: FailedPrecondition over the wire too.
	req.Principal.SessionVariables = map[string]string{"x-hasura-user-id": "1"}
	_, err = wardenv1.NewAuthorizationServiceClient(srv.dial(t, "ops")).Filter(t.Context(), req)
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "x-hasura-org-id") {
		t.Errorf("missing variable: %v, want FailedPrecondition naming x-hasura-org-id", err)
	}
	httpReq, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+srv.httpAddr+"/metrics", nil)
	httpReq.Header.Set("X-Warden-Api-Key", srv.keys["scraper"])
	hr, err := http.DefaultClient.Do(httpReq)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(hr.Body)
	hr.Body.Close()
	for _, want := range []string{
		`warden_filters_total{kind="conditional",operation="select",role="user",table="public.articles"} 1`,
		`warden_filter_partial_evaluations_total 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// notesWithComputed writes a policy directory of one table, public.notes
// (id, title), with the computed field title_len and the select
// permissions perms (JSON objects, comma-separated), and returns it.
func notesWithComputed(t *testing.T, perms string) string {
	t.Helper()
	dir := t.TempDir()
	writeTestFile(t, dir, "schema.yaml", "functions: [{name: public.title_len, returns: integer}]\ntables:\n  - name: notes\n    columns: [{name: id, type: integer}, {name: title, type: text}]\n    primary_key: [id]\n")
	writeTestFile(t, dir, "metadata.json", `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "configuration": {}, "tables": [
  {"table": {"schema": "public", "name": "notes"},
   "computed_fields": [{"name": "title_len", "definition": {"function": {"schema": "public", "name": "title_len"}}}],
   "select_permissions": [`+perms+`]}]}]}`)
	return dir
}

// TestFilterComputedFieldsJSON: the computed fields a select permission
// grants are in `warden filter --output json`, apart from the columns.
func TestFilterComputedFieldsJSON(t *testing.T) {
	dir := notesWithComputed(t, `{"role": "user", "permission": {"columns": ["id"], "computed_fields": ["title_len"], "filter": {"title_len": {"_gt": 3}}}}`)
	stdout, stderr, err := runCLI(t, nil, "filter", dir, "--role", "user", "--table", "notes", "--dialect", "postgres", "--output", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var got struct {
		SQL            string   `json:"sql"`
		Columns        []string `json:"columns"`
		ComputedFields []string `json:"computed_fields"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if !slices.Equal(got.Columns, []string{"id"}) || !slices.Equal(got.ComputedFields, []string{"title_len"}) ||
		!strings.Contains(got.SQL, `"public"."title_len"(`) {
		t.Errorf("filter JSON %+v, want columns [id], computed_fields [title_len] and the function in the SQL", got)
	}
	// The text summary lists them too.
	text, stderr, err := runCLI(t, nil, "filter", dir, "--role", "user", "--table", "notes", "--output", "text")
	if err != nil || !strings.Contains(text, "\ncolumns: id\ncomputed fields: title_len\n") {
		t.Errorf("filter text: err %v %s, want the computed fields after the columns:\n%s", err, stderr, text)
	}
}

// TestFilterPredicateWithoutDialect: without --dialect, warden filter
// prints the predicate itself (an update's check and an inherited role's
// column conditions too), in --output json and text, as the --output
// proto form has it; with a dialect the SQL stands for it. Before, a
// conditional filter printed no condition at all unless --output proto
// was given.
func TestFilterPredicateWithoutDialect(t *testing.T) {
	args := []string{"filter", "--role", "user", "--session", "x-hasura-user-id=1", "--session", "x-hasura-org-id=2", "--table", "public.articles"}
	full := func(op string) *wardenv1.FilterResponse {
		t.Helper()
		stdout, stderr, err := runCLI(t, nil, append(args, "--operation", op, "--output", "proto")...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var r wardenv1.FilterResponse
		if err := protojson.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		return &r
	}
	tree := func(raw json.RawMessage) *wardenv1.Predicate {
		t.Helper()
		var p wardenv1.Predicate
		if err := protojson.Unmarshal(raw, &p); err != nil {
			t.Fatalf("%v\n%s", err, raw)
		}
		return &p
	}
	for _, op := range []string{"select", "update"} {
		want := full(op)
		stdout, stderr, err := runCLI(t, nil, append(args, "--operation", op)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var got struct {
			Kind      string          `json:"kind"`
			SQL       string          `json:"sql"`
			Predicate json.RawMessage `json:"predicate"`
			Check     json.RawMessage `json:"check"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		if got.Kind != "CONDITIONAL" || got.SQL != "" || got.Predicate == nil {
			t.Fatalf("%s without --dialect printed %s: want a conditional filter's predicate", op, stdout)
		}
		if p := tree(got.Predicate); !proto.Equal(p, want.GetPredicate()) {
			t.Errorf("%s: predicate %v, want %v", op, p, want.GetPredicate())
		}
		if op == "update" {
			if got.Check == nil || !proto.Equal(tree(got.Check), want.GetCheck()) {
				t.Errorf("update: check %s, want %v", got.Check, want.GetCheck())
			}
		} else if got.Check != nil {
			t.Errorf("select printed a check: %s", got.Check)
		}

		text, stderr, err := runCLI(t, nil, append(args, "--operation", op, "--output", "text")...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var line string
		for l := range strings.Lines(text) {
			if rest, ok := strings.CutPrefix(l, "predicate: "); ok {
				line = strings.TrimSpace(rest)
			}
		}
		if line == "" || !proto.Equal(tree(json.RawMessage(line)), want.GetPredicate()) {
			t.Errorf("%s --output text printed %q: want the predicate line", op, text)
		}
	}

	// An inherited role's column readable only where a parent's filter
	// holds (author_editor: email only through editor) gets its condition.
	inh := []string{"filter", "--role", "author_editor", "--session", "x-hasura-user-id=1", "--session", "x-hasura-org-id=2", "--table", "public.users"}
	pr, stderr, err := runCLI(t, nil, append(inh, "--output", "proto")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var want wardenv1.FilterResponse
	if err := protojson.Unmarshal([]byte(pr), &want); err != nil {
		t.Fatal(err)
	}
	if cc := want.GetColumnConditions(); len(cc) != 1 || cc[0].GetColumn() != "email" {
		t.Fatalf("author_editor on users: column conditions %v, want email's", cc)
	}
	stdout, stderr, err := runCLI(t, nil, inh...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var cols struct {
		ColumnPredicates map[string]json.RawMessage `json:"column_predicates"`
	}
	if err := json.Unmarshal([]byte(stdout), &cols); err != nil {
		t.Fatal(err)
	}
	if raw, ok := cols.ColumnPredicates["email"]; len(cols.ColumnPredicates) != 1 || !ok ||
		!proto.Equal(tree(raw), want.GetColumnConditions()[0].GetPredicate()) {
		t.Errorf("author_editor on users printed %s: want email's condition in column_predicates", stdout)
	}
	text, stderr, err := runCLI(t, nil, append(inh, "--output", "text")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(text, "\ncolumn email: {") {
		t.Errorf("author_editor on users, text: %q: want a column email line", text)
	}

	// With a dialect the SQL stands for the predicate.
	stdout, stderr, err = runCLI(t, nil, append(args, "--dialect", "postgres")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, `"sql"`) || strings.Contains(stdout, `"predicate"`) {
		t.Errorf("with --dialect printed %s: want the SQL and no predicate", stdout)
	}
}
