package server

import (
	"context"
	"testing"
	"testing/fstest"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// TestSourcesOverGRPC: two sources track public.items (and public.teams).
// Over gRPC each is named "source:schema.name" in Check, Filter, the
// _exists rows and GetTableRego; the plain name is InvalidArgument with
// reason AMBIGUOUS_TABLE naming both sources.
func TestSourcesOverGRPC(t *testing.T) {
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(`
tables:
  - {name: public.items, source: one, columns: [{name: id, type: integer}, {name: owner, type: integer}]}
  - {name: public.items, source: two, columns: [{name: id, type: integer}, {name: level, type: text}]}
  - {name: public.teams, columns: [{name: id, type: integer}, {name: open, type: boolean}]}
`)},
		"databases/databases.yaml": {Data: []byte(`
- name: one
  kind: postgres
  tables:
    - table: items
      select_permissions:
        - role: user
          permission: {columns: [id, owner], filter: {owner: {_eq: X-Hasura-User-Id}}}
    - table: teams
- name: two
  kind: postgres
  tables:
    - table: items
      select_permissions:
        - role: user
          permission: {columns: [id, level], filter: {_exists: {_table: teams, _where: {open: {_eq: true}}}}}
    - table: teams
`)},
	}
	p, err := load.FS(context.Background(), fsys, "test", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	set, err := engine.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	ts := startTest(t, DefaultConfig(), set)
	client := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "ops"))
	user := &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "2"}}
	row := func(m map[string]any) []*wardenv1.Row {
		s, err := structpb.NewStruct(m)
		if err != nil {
			t.Fatal(err)
		}
		return []*wardenv1.Row{{Id: "r", Values: s}}
	}
	teams := func(open bool) []*wardenv1.TableRows {
		s, _ := structpb.NewStruct(map[string]any{"id": 1, "open": open})
		return []*wardenv1.TableRows{{Table: "public.teams", Rows: []*structpb.Struct{s}}}
	}
	for _, c := range []struct {
		name   string
		req    *wardenv1.CheckRequest
		expect wardenv1.Decision
	}{
		{"one's own row", &wardenv1.CheckRequest{Principal: user, Table: "one:public.items", Operation: wardenv1.Operation_OPERATION_SELECT,
			Rows: row(map[string]any{"id": 1, "owner": 2})}, wardenv1.Decision_DECISION_ALLOW},
		{"one, another's row", &wardenv1.CheckRequest{Principal: user, Table: "one:public.items", Operation: wardenv1.Operation_OPERATION_SELECT,
			Rows: row(map[string]any{"id": 1, "owner": 3})}, wardenv1.Decision_DECISION_DENY},
		{"two, an open team (the _exists rows named without the source)", &wardenv1.CheckRequest{Principal: user, Table: "two:public.items",
			Operation: wardenv1.Operation_OPERATION_SELECT, Rows: row(map[string]any{"id": 1}), Tables: teams(true)}, wardenv1.Decision_DECISION_ALLOW},
		{"two, no open team", &wardenv1.CheckRequest{Principal: user, Table: "two:public.items",
			Operation: wardenv1.Operation_OPERATION_SELECT, Rows: row(map[string]any{"id": 1}), Tables: teams(false)}, wardenv1.Decision_DECISION_DENY},
	} {
		resp, err := client.Check(t.Context(), c.req)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := resp.GetDecisions()[0].GetDecision(); got != c.expect {
			t.Errorf("%s: %s, want %s", c.name, got, c.expect)
		}
	}

	f, err := client.Filter(t.Context(), &wardenv1.FilterRequest{Principal: user, Table: "two:public.items", Operation: wardenv1.Operation_OPERATION_SELECT,
		Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES}})
	if err != nil {
		t.Fatal(err)
	}
	if ex := f.GetPredicate().GetExists(); ex == nil || ex.GetTable() != "two:public.teams" {
		t.Errorf("Filter's predicate %v: want an exists over two:public.teams", f.GetPredicate())
	}
	// The SQL names the table as source two's database does.
	if want := `(EXISTS (SELECT 1 FROM "public"."teams" AS "_w1" WHERE ("_w1"."open" = $1::boolean)))`; f.GetSql().GetWhere().GetSql() != want {
		t.Errorf("Filter's SQL %q, want %q", f.GetSql().GetWhere().GetSql(), want)
	}

	_, checkErr := client.Check(t.Context(), &wardenv1.CheckRequest{Principal: user, Table: "public.items", Operation: wardenv1.Operation_OPERATION_SELECT,
		Rows: row(map[string]any{"id": 1})})
	_, filterErr := client.Filter(t.Context(), &wardenv1.FilterRequest{Principal: user, Table: "items", Operation: wardenv1.Operation_OPERATION_SELECT})
	for name, err := range map[string]error{"Check": checkErr, "Filter": filterErr} {
		st := status.Convert(err)
		if st.Code() != codes.InvalidArgument {
			t.Errorf("%s on the plain name: %v, want InvalidArgument", name, err)
			continue
		}
		var info *errdetails.ErrorInfo
		for _, d := range st.Details() {
			if i, ok := d.(*errdetails.ErrorInfo); ok {
				info = i
			}
		}
		if info == nil || info.GetReason() != ReasonAmbiguousTable || info.GetMetadata()["sources"] != "one,two" {
			t.Errorf("%s on the plain name: details %v, want ErrorInfo AMBIGUOUS_TABLE naming one,two", name, st.Details())
		}
	}

	rego, err := wardenv1.NewAdminServiceClient(ts.conn(t, "ops")).GetTableRego(t.Context(), &wardenv1.GetTableRegoRequest{Table: "one:public.items"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rego.GetModules()) == 0 || rego.GetModules()[0].GetPath() != "one:/public/items/select.rego" {
		t.Errorf("GetTableRego: %v", rego.GetModules())
	}
}
