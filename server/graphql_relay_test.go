package server

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// TestCheckGraphQLRelay: CheckGraphQLRequest.relay decides the operation
// as Hasura's Relay API serves it: article_connection and node there,
// not article; without it, article_connection is no field Warden knows.
func TestCheckGraphQLRelay(t *testing.T) {
	ts := startTest(t, DefaultConfig(), graphqlSetWith(t, nil))
	client := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
	ask := func(query string, relay bool) *wardenv1.RootFieldDecision {
		t.Helper()
		resp, err := client.CheckGraphQL(context.Background(), &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"X-Hasura-User-Id": "7"}},
			Query:     query, Relay: relay})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetRootFields()) != 1 {
			t.Fatalf("%s: %d root fields", query, len(resp.GetRootFields()))
		}
		return resp.GetRootFields()[0]
	}
	const conn = `{ article_connection(first: 10) { edges { cursor node { id title author { name } } } } }`
	got := ask(conn, true)
	want := &wardenv1.RootFieldDecision{ResponseKey: "article_connection", Name: "article_connection",
		Kind: wardenv1.RootFieldKind_ROOT_FIELD_KIND_TABLE, Decision: wardenv1.OperationDecision_OPERATION_DECISION_ALLOW,
		Table: &wardenv1.TableRootField{Table: "public.article", Kind: "select_connection", Selections: []*wardenv1.TableSelection{
			{Path: "article_connection.edges.node", Table: "public.article", Operation: wardenv1.Operation_OPERATION_SELECT, Columns: []string{"title"}},
			{Path: "article_connection.edges.node.author", Table: "public.author", Operation: wardenv1.Operation_OPERATION_SELECT, Relationship: "author", Columns: []string{"name"}},
		}}}
	if d := cmp.Diff(want, got, protocmp.Transform(), protocmp.IgnoreFields(&wardenv1.RootFieldDecision{}, "reason"),
		protocmp.IgnoreFields(&wardenv1.TableSelection{}, "filter")); d != "" {
		t.Errorf("connection (-want +got):\n%s", d)
	}
	if d := ask(conn, false).GetDecision(); d != wardenv1.OperationDecision_OPERATION_DECISION_UNDECIDED {
		t.Errorf("article_connection on /v1/graphql: %v, want undecided", d)
	}
	if d := ask(`{ article { title } }`, true).GetDecision(); d != wardenv1.OperationDecision_OPERATION_DECISION_DENY {
		t.Errorf("article on the Relay API: %v, want deny", d)
	}
	id := base64.StdEncoding.EncodeToString([]byte(`[1, "public", "article", 3]`))
	node := ask(`{ node(id: "`+id+`") { id ... on article { title } } }`, true)
	if node.GetDecision() != wardenv1.OperationDecision_OPERATION_DECISION_ALLOW || node.GetTable().GetTable() != "public.article" || node.GetTable().GetKind() != "node" {
		t.Errorf("node: %v", node)
	}
}

// TestCheckGraphQLRemoteCustomized: a remote schema with a root field
// namespace and renamed fields over gRPC: the field under the namespace,
// its preset in the remote's own names.
func TestCheckGraphQLRemoteCustomized(t *testing.T) {
	const remotes = `
- name: accounts
  definition:
    url: http://accounts.internal/graphql
    customization:
      root_fields_namespace: accounts
      field_names: [{parent_type: Query, mapping: {me: currentUser}}]
  permissions:
    - role: user
      definition:
        schema: |
          type User { id: ID! name: String! }
          type Query { me(user_id: Int! @preset(value: "x-hasura-user-id")): User }
`
	ts := startTest(t, DefaultConfig(), graphqlSetWith(t, map[string]string{"metadata/remote_schemas.yaml": remotes}))
	client := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
	resp, err := client.CheckGraphQL(context.Background(), &wardenv1.CheckGraphQLRequest{
		Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"X-Hasura-User-Id": "42"}},
		Query:     `{ accounts { currentUser { name } } }`})
	if err != nil {
		t.Fatal(err)
	}
	want := []*wardenv1.RootFieldDecision{{ResponseKey: "currentUser", Name: "currentUser", Namespace: "accounts",
		Kind: wardenv1.RootFieldKind_ROOT_FIELD_KIND_REMOTE_SCHEMA, RemoteSchema: "accounts",
		Decision:      wardenv1.OperationDecision_OPERATION_DECISION_ALLOW,
		RemotePresets: []*wardenv1.RemotePreset{{Path: "currentUser", Field: "Query.me", Argument: "user_id", Value: structpb.NewNumberValue(42), SessionVariables: []string{"x-hasura-user-id"}}}}}
	if d := cmp.Diff(want, resp.GetRootFields(), protocmp.Transform(), protocmp.IgnoreFields(&wardenv1.RootFieldDecision{}, "reason")); d != "" {
		t.Errorf("root fields (-want +got):\n%s", d)
	}
	if resp.GetDecision() != wardenv1.OperationDecision_OPERATION_DECISION_ALLOW {
		t.Errorf("decision %v, want allow", resp.GetDecision())
	}
}
