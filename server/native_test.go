package server

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// nativeDatabases has a logical model whose select permission lets user
// read the id and title of its own rows, and a native query returning it;
// "article" is also a native query, colliding with the table.
const nativeDatabases = `- name: default
  kind: postgres
  tables: "!include default/tables/tables.yaml"
  functions: "!include default/functions/functions.yaml"
  logical_models:
    - name: summary
      fields: [{name: id, type: {scalar: integer}}, {name: owner, type: {scalar: integer}}, {name: secret, type: {scalar: text}}]
      select_permissions:
        - {role: user, permission: {columns: [id, owner], filter: {owner: {_eq: X-Hasura-User-Id}}}}
  native_queries:
    - {root_field_name: summaries, code: SELECT 1, returns: summary}
    - {root_field_name: article, code: SELECT 1, returns: summary}
`

// TestNativeQueryRPC: Check, Filter and CheckGraphQL on a native query
// over gRPC decide its rows by the logical model's select permission.
func TestNativeQueryRPC(t *testing.T) {
	set := graphqlSetWith(t, map[string]string{"metadata/databases/databases.yaml": nativeDatabases})
	ts := startTest(t, DefaultConfig(), set)
	// ops may call Filter (gateway has only the check grant).
	client := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "ops"))
	ctx := context.Background()
	user := &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "42"}}

	rows := func(vals ...map[string]any) []*wardenv1.Row {
		var out []*wardenv1.Row
		for i, v := range vals {
			s, err := structpb.NewStruct(v)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, &wardenv1.Row{Id: string(rune('a' + i)), Values: s})
		}
		return out
	}
	for _, name := range []string{"summaries", "public.summaries", "native_query.summaries"} {
		c, err := client.Check(ctx, &wardenv1.CheckRequest{Principal: user, Table: name, Operation: wardenv1.Operation_OPERATION_SELECT, Explain: true,
			Rows: rows(map[string]any{"id": 1, "owner": 42}, map[string]any{"id": 2, "owner": 7})})
		if err != nil {
			t.Fatalf("Check %s: %v", name, err)
		}
		if d := c.GetDecisions(); d[0].GetDecision() != wardenv1.Decision_DECISION_ALLOW || d[1].GetDecision() != wardenv1.Decision_DECISION_DENY {
			t.Errorf("Check %s = %v, want allow own row, deny the other", name, d)
		}
		if c.GetDecisions()[0].GetExplanation().GetFilter() == nil {
			t.Errorf("Check %s with explain: no explanation of the rule", name)
		}
	}
	f, err := client.Filter(ctx, &wardenv1.FilterRequest{Principal: user, Table: "summaries", Operation: wardenv1.Operation_OPERATION_SELECT,
		Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES}, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.GetKind() != wardenv1.FilterKind_FILTER_KIND_CONDITIONAL || !strings.Contains(f.GetSql().GetWhere().GetSql(), `"summaries"."owner"`) ||
		strings.Join(f.GetColumns(), ",") != "id,owner" {
		t.Errorf("Filter = %v %q %v, want conditional on \"summaries\".\"owner\" (the root field as default alias), columns id, owner", f.GetKind(), f.GetSql().GetWhere().GetSql(), f.GetColumns())
	}
	if f.GetExplanation() == nil {
		t.Error("Filter with explain: no explanation")
	}
	f, err = client.Filter(ctx, &wardenv1.FilterRequest{Principal: user, Table: "summaries", Operation: wardenv1.Operation_OPERATION_SELECT,
		Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES, TableAlias: "nq"}})
	if err != nil || !strings.Contains(f.GetSql().GetWhere().GetSql(), `"nq"."owner"`) {
		t.Errorf("Filter with alias nq = %q %v", f.GetSql().GetWhere().GetSql(), err)
	}

	// Only select; a name that is a table and a native query is ambiguous.
	for _, c := range []struct {
		table string
		op    wardenv1.Operation
		want  string
	}{
		{"summaries", wardenv1.Operation_OPERATION_INSERT, "native query"},
		{"article", wardenv1.Operation_OPERATION_SELECT, "ambiguous"},
	} {
		_, err := client.Filter(ctx, &wardenv1.FilterRequest{Principal: user, Table: c.table, Operation: c.op})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Filter %s %v: %v, want InvalidArgument saying %q", c.table, c.op, err, c.want)
		}
	}

	// CheckGraphQL: the filtered root field is allowed, with Filter's
	// answer on the native query's rows.
	resp, err := client.CheckGraphQL(ctx, &wardenv1.CheckGraphQLRequest{Principal: user, Query: `{ summaries { id owner } }`})
	if err != nil {
		t.Fatal(err)
	}
	rf := resp.GetRootFields()[0]
	if resp.GetDecision() != wardenv1.OperationDecision_OPERATION_DECISION_ALLOW || len(rf.GetTable().GetSelections()) != 1 {
		t.Fatalf("CheckGraphQL = %v (%s), table %v, want ALLOW with a selection", resp.GetDecision(), rf.GetReason(), rf.GetTable())
	}
	sel := rf.GetTable().GetSelections()[0]
	if sel.GetTable() != "native_query.summaries" || sel.GetFilter().GetKind() != wardenv1.FilterKind_FILTER_KIND_CONDITIONAL {
		t.Errorf("selection = %v, want the native query's conditional filter", sel)
	}
}

// TestNativeQueryInheritedRPC: an inherited role whose parents grant
// different columns of a logical model is decided as for a table (Hasura
// combines the permissions alike): Filter answers with a condition on
// the column only one parent grants, and CheckGraphQL allows the field
// with that answer.
func TestNativeQueryInheritedRPC(t *testing.T) {
	dbs := strings.Replace(nativeDatabases, "        - {role: user, permission: {columns: [id, owner], filter: {owner: {_eq: X-Hasura-User-Id}}}}\n",
		"        - {role: user, permission: {columns: [id, owner], filter: {owner: {_eq: X-Hasura-User-Id}}}}\n        - {role: reader, permission: {columns: [id], filter: {}}}\n", 1)
	set := graphqlSetWith(t, map[string]string{"metadata/databases/databases.yaml": dbs,
		"metadata/inherited_roles.yaml": "- role_name: both\n  role_set: [user, reader]\n"})
	ts := startTest(t, DefaultConfig(), set)
	client := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "ops"))
	ctx := context.Background()
	both := &wardenv1.Principal{Role: "both", SessionVariables: map[string]string{"x-hasura-user-id": "42"}}
	f, err := client.Filter(ctx, &wardenv1.FilterRequest{Principal: both, Table: "summaries", Operation: wardenv1.Operation_OPERATION_SELECT,
		Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES}})
	if err != nil {
		t.Fatal(err)
	}
	cc := f.GetColumnConditions()
	if f.GetKind() != wardenv1.FilterKind_FILTER_KIND_ALWAYS_ALLOWED || strings.Join(f.GetColumns(), ",") != "id,owner" ||
		len(cc) != 1 || cc[0].GetColumn() != "owner" || !strings.Contains(cc[0].GetSql().GetSql(), `"summaries"."owner"`) {
		t.Errorf("Filter = %v %v %v, want every row, owner only on the user's rows", f.GetKind(), f.GetColumns(), cc)
	}
	resp, err := client.CheckGraphQL(ctx, &wardenv1.CheckGraphQLRequest{Principal: both, Query: `{ summaries(where: {secret: {_eq: "x"}}) { id owner } }`})
	if err != nil {
		t.Fatal(err)
	}
	if rf := resp.GetRootFields()[0]; resp.GetDecision() != wardenv1.OperationDecision_OPERATION_DECISION_ALLOW || len(rf.GetTable().GetSelections()) != 1 ||
		len(rf.GetTable().GetSelections()[0].GetFilter().GetColumnConditions()) != 1 {
		t.Errorf("CheckGraphQL = %v (%s) %v, want ALLOW with Filter's answer and its column condition", resp.GetDecision(), rf.GetReason(), rf.GetTable())
	}
}
