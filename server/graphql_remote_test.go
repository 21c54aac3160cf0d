package server

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// remoteSchemasFile: the accounts remote schema, where role user sees
// its own user (user_id preset from the session) and the messages it
// owns (where.owner preset).
const remoteSchemasFile = `
- name: accounts
  definition: {url: http://accounts.internal/graphql}
  permissions:
    - role: user
      definition:
        schema: |
          type User { id: ID! name: String! }
          type Message { id: Int! body: String! }
          input MessageWhere { id: Int owner: Int @preset(value: "x-hasura-user-id") }
          type Query {
            me(user_id: Int! @preset(value: "x-hasura-user-id")): User
            messages(where: MessageWhere): [Message]
          }
`

// TestCheckGraphQLRemoteSchema: remote schema root fields over gRPC,
// with their presets resolved for the session, and the status of a
// preset the session cannot give.
func TestCheckGraphQLRemoteSchema(t *testing.T) {
	set := graphqlSetWith(t, map[string]string{"metadata/remote_schemas.yaml": remoteSchemasFile})
	ts := startTest(t, DefaultConfig(), set)
	client := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
	ask := func(role string, vars map[string]string, query string) (*wardenv1.CheckGraphQLResponse, error) {
		return client.CheckGraphQL(context.Background(), &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: role, SessionVariables: vars}, Query: query})
	}
	vars := map[string]string{"X-Hasura-User-Id": "42"}

	resp, err := ask("user", vars, `{ me { id name } inbox: messages(where: {id: 3}) { body } }`)
	if err != nil {
		t.Fatal(err)
	}
	want := []*wardenv1.RootFieldDecision{
		{ResponseKey: "me", Name: "me", Kind: wardenv1.RootFieldKind_ROOT_FIELD_KIND_REMOTE_SCHEMA, RemoteSchema: "accounts",
			Decision:      wardenv1.OperationDecision_OPERATION_DECISION_ALLOW,
			RemotePresets: []*wardenv1.RemotePreset{{Path: "me", Field: "Query.me", Argument: "user_id", Value: structpb.NewNumberValue(42), SessionVariables: []string{"x-hasura-user-id"}}}},
		{ResponseKey: "inbox", Name: "messages", Kind: wardenv1.RootFieldKind_ROOT_FIELD_KIND_REMOTE_SCHEMA, RemoteSchema: "accounts",
			Decision:      wardenv1.OperationDecision_OPERATION_DECISION_ALLOW,
			RemotePresets: []*wardenv1.RemotePreset{{Path: "inbox", Field: "Query.messages", Argument: "where.owner", Value: structpb.NewNumberValue(42), SessionVariables: []string{"x-hasura-user-id"}}}},
	}
	if d := cmp.Diff(want, resp.GetRootFields(), protocmp.Transform(), protocmp.IgnoreFields(&wardenv1.RootFieldDecision{}, "reason")); d != "" {
		t.Errorf("root fields (-want +got):\n%s", d)
	}
	if resp.GetDecision() != wardenv1.OperationDecision_OPERATION_DECISION_ALLOW {
		t.Errorf("decision %v, want allow", resp.GetDecision())
	}

	for _, c := range []struct{ name, role, query string }{
		{"a preset argument given", "user", `{ me(user_id: 7) { id } }`},
		{"a preset input field given", "user", `{ messages(where: {owner: 7}) { id } }`},
		{"a field hidden from the role", "user", `{ me { id email } }`},
		{"a role without a permission", "anonymous", `{ me { id } }`},
	} {
		resp, err := ask(c.role, vars, c.query)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if resp.GetDecision() != wardenv1.OperationDecision_OPERATION_DECISION_DENY || len(resp.GetRootFields()[0].GetRemotePresets()) != 0 {
			t.Errorf("%s: %v, want a deny without presets", c.name, resp)
		}
	}

	_, err = ask("user", nil, `{ me { id } }`)
	if status.Code(err) != codes.FailedPrecondition || !hasReason(err, ReasonMissingSessionVariables) {
		t.Errorf("missing x-hasura-user-id: %v, want FAILED_PRECONDITION %s", err, ReasonMissingSessionVariables)
	}
	_, err = ask("user", map[string]string{"x-hasura-user-id": "forty-two"}, `{ me { id } }`)
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("x-hasura-user-id not an Int: %v, want INVALID_ARGUMENT", err)
	}
}

func hasReason(err error, reason string) bool {
	for _, d := range status.Convert(err).Details() {
		if ei, ok := d.(*errdetails.ErrorInfo); ok && ei.GetReason() == reason {
			return true
		}
	}
	return false
}

// TestCheckGraphQLNativeQuery: a native query root field over gRPC, as
// the select permission of its logical model decides it.
func TestCheckGraphQLNativeQuery(t *testing.T) {
	databases := `- name: default
  kind: postgres
  tables: "!include default/tables/tables.yaml"
  functions: "!include default/functions/functions.yaml"
  logical_models:
    - name: summary
      fields: [{name: id, type: {scalar: integer}}, {name: secret, type: {scalar: text}}]
      select_permissions:
        - {role: user, permission: {columns: [id], filter: {}}}
  native_queries:
    - {root_field_name: summaries, code: SELECT 1, returns: summary}
`
	set := graphqlSetWith(t, map[string]string{"metadata/databases/databases.yaml": databases})
	ts := startTest(t, DefaultConfig(), set)
	client := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
	for _, c := range []struct {
		role, query string
		want        wardenv1.OperationDecision
	}{
		{"user", `{ summaries { id } }`, wardenv1.OperationDecision_OPERATION_DECISION_ALLOW},
		{"user", `{ summaries { id secret } }`, wardenv1.OperationDecision_OPERATION_DECISION_DENY},
		{"anonymous", `{ summaries { id } }`, wardenv1.OperationDecision_OPERATION_DECISION_DENY},
	} {
		resp, err := client.CheckGraphQL(context.Background(), &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: c.role}, Query: c.query})
		if err != nil {
			t.Fatal(err)
		}
		f := resp.GetRootFields()[0]
		if resp.GetDecision() != c.want || f.GetKind() != wardenv1.RootFieldKind_ROOT_FIELD_KIND_NATIVE_QUERY {
			t.Errorf("%s %s: %v (%v, %s), want %v", c.role, c.query, resp.GetDecision(), f.GetKind(), f.GetReason(), c.want)
		}
	}
}
