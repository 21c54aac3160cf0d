package server

import (
	"context"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// graphqlSet is the loader's v3 layout fixture with the actions, query
// collections, allow list and inherited roles of its graphql fixture.
func graphqlSet(t testing.TB) *engine.Set { return graphqlSetWith(t, nil) }

// graphqlSetWith is graphqlSet with some files replaced.
func graphqlSetWith(t testing.TB, files map[string]string) *engine.Set {
	t.Helper()
	fsys := fstest.MapFS{}
	add := func(dir, under string) {
		err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path.Join(dir, p))
			fsys[path.Join(under, p)] = &fstest.MapFile{Data: b}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	add("../policy/load/testdata/layouts/v3dir", ".")
	add("../policy/load/testdata/graphql", "metadata")
	add("../policy/load/testdata/graphql/functions", "metadata/databases/default/functions")
	extra, err := os.ReadFile("../policy/load/testdata/graphql/schema-functions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fsys["schema.yaml"].Data = append(fsys["schema.yaml"].Data, extra...)
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return testSet(t, fsys, "test:graphql", load.WithStrict())
}

func TestCheckGraphQLRPC(t *testing.T) {
	ts := startTest(t, DefaultConfig(), graphqlSet(t))
	userVars := map[string]string{"x-hasura-user-id": "42", "X-Hasura-Org-Id": "7"}
	cases := []struct {
		name     string
		caller   string
		req      *wardenv1.CheckGraphQLRequest
		code     codes.Code
		decision wardenv1.OperationDecision
		field    string // the field violation of an INVALID_ARGUMENT
	}{
		{"user may run getProfile", "gateway", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user", SessionVariables: userVars},
			Query:     "query Profile { getProfile { id name } }"}, codes.OK, wardenv1.OperationDecision_OPERATION_DECISION_ALLOW, ""},
		{"anonymous may not", "gateway", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "anonymous"},
			Query:     "{ getProfile { id } }"}, codes.OK, wardenv1.OperationDecision_OPERATION_DECISION_DENY, ""},
		{"inherited role", "gateway", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "team_lead"},
			Query:     "mutation { exportReport(month: \"01\") }"}, codes.OK, wardenv1.OperationDecision_OPERATION_DECISION_ALLOW, ""},
		{"allow list enforced", "gateway", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user"}, EnforceAllowList: true,
			Query: "{ getProfile { name id } }"}, codes.OK, wardenv1.OperationDecision_OPERATION_DECISION_DENY, ""},
		{"tracked function, role with select", "gateway", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user", SessionVariables: userVars},
			Query:     "query { findArticles(args: {q: \"go\"}) { id title } }"}, codes.OK, wardenv1.OperationDecision_OPERATION_DECISION_ALLOW, ""},
		{"tracked function, role without select", "gateway", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "nobody"},
			Query:     "query { findArticles { id } }"}, codes.OK, wardenv1.OperationDecision_OPERATION_DECISION_DENY, ""},
		{"mutation function with its permission", "gateway", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user", SessionVariables: userVars},
			Query:     "mutation { app_reset_article(args: {id: 1}) { id } }"}, codes.OK, wardenv1.OperationDecision_OPERATION_DECISION_ALLOW, ""},
		{"tracked function: its rows' filter needs the session's variables", "gateway", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user"},
			Query:     "query { findArticles(args: {q: \"go\"}) { id title } }"}, codes.FailedPrecondition, 0, ""},
		{"admin caller asks as admin", "ops", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "admin"},
			Query:     "mutation { purgeCache }"}, codes.OK, wardenv1.OperationDecision_OPERATION_DECISION_ALLOW, ""},
		{"no check grant", "scraper", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user"}, Query: "{ getProfile { id } }"}, codes.PermissionDenied, 0, ""},
		{"session stated without the trusted-session grant", "checker", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user", SessionVariables: userVars}, Query: "{ getProfile { id } }"}, codes.PermissionDenied, 0, ""},
		{"admin asked by a user-level caller", "gateway", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "admin"}, Query: "mutation { purgeCache }"}, codes.PermissionDenied, 0, ""},
		{"no caller key", "", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user"}, Query: "{ getProfile { id } }"}, codes.Unauthenticated, 0, ""},
		{"query missing", "gateway", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user"}}, codes.InvalidArgument, 0, "query"},
		{"query too large", "gateway", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user"}, Query: "{ a }" + strings.Repeat(" ", MaxGraphQLQueryBytes)}, codes.InvalidArgument, 0, "query"},
		{"syntax error", "gateway", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user"}, Query: "{ getProfile { id }"}, codes.InvalidArgument, 0, "query"},
		{"unknown operation name", "gateway", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user"}, Query: "query A { getProfile { id } }", OperationName: "B"}, codes.InvalidArgument, 0, "operation_name"},
		{"bad session variable name", "gateway", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"user-id": "1"}}, Query: "{ getProfile { id } }"}, codes.InvalidArgument, 0, "principal.session_variables[user-id]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := wardenv1.NewAuthorizationServiceClient(ts.conn(t, c.caller))
			resp, err := client.CheckGraphQL(context.Background(), c.req)
			if status.Code(err) != c.code {
				t.Fatalf("err = %v, want %v", err, c.code)
			}
			if c.field != "" {
				if got := fields(t, err); len(got) != 1 || got[0] != c.field {
					t.Errorf("field violations = %v, want [%s]", got, c.field)
				}
			}
			if err != nil {
				return
			}
			if resp.GetDecision() != c.decision {
				t.Errorf("decision = %v, want %v: %v", resp.GetDecision(), c.decision, resp)
			}
			if resp.GetRevision() == "" || resp.GetDecisionId() == "" || resp.GetRole() != c.req.GetPrincipal().GetRole() {
				t.Errorf("response lacks revision, decision id or role: %v", resp)
			}
		})
	}
}

// TestCheckGraphQLHandlerSession: the action's entry carries the session
// Hasura would post to the handler, resolved as Check resolves it.
func TestCheckGraphQLHandlerSession(t *testing.T) {
	ts := startTest(t, DefaultConfig(), graphqlSet(t))
	client := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
	resp, err := client.CheckGraphQL(context.Background(), &wardenv1.CheckGraphQLRequest{
		Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"X-Hasura-User-Id": "42"}},
		Query:     "query Profile {\n  getProfile { __typename id, name }\n}", EnforceAllowList: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetRootFields()) != 1 {
		t.Fatalf("root fields = %v", resp.GetRootFields())
	}
	f := resp.GetRootFields()[0]
	sv := f.GetSessionVariables()
	if f.GetKind() != wardenv1.RootFieldKind_ROOT_FIELD_KIND_ACTION || len(sv) != 2 || sv["x-hasura-user-id"] != "42" || sv["x-hasura-role"] != "user" {
		t.Errorf("root field = %v, want action getProfile with session {x-hasura-user-id: 42, x-hasura-role: user}", f)
	}
	al := resp.GetAllowList()
	if !al.GetAllowed() || al.GetCollection() != "allowed-queries" || al.GetQueryName() != "profile" || resp.GetDecision() != wardenv1.OperationDecision_OPERATION_DECISION_ALLOW {
		t.Errorf("allow list = %v, decision %v: want query profile of allowed-queries, allowed", al, resp.GetDecision())
	}
}

// TestCheckGraphQLGateway: the HTTP/JSON route answers as gRPC.
func TestCheckGraphQLGateway(t *testing.T) {
	ts := startTest(t, DefaultConfig(), graphqlSet(t))
	post := func(caller, body string) (int, string) { return postCheckGraphQL(t, ts, caller, body) }
	code, body := post("gateway", `{"principal": {"role": "manager"}, "query": "mutation Export($month: String!) { exportReport(month: $month) }", "enforceAllowList": true}`)
	if code != 200 || !strings.Contains(body, `"decision":"OPERATION_DECISION_ALLOW"`) || !strings.Contains(body, `"collection":"manager-queries"`) {
		t.Errorf("manager export: %d %s", code, body)
	}
	code, body = post("gateway", `{"principal": {"role": "user"}, "query": "{"}`)
	if code != 400 || !strings.Contains(body, "syntax error") {
		t.Errorf("syntax error: %d %s, want 400", code, body)
	}
	code, _ = post("scraper", `{"principal": {"role": "user"}, "query": "{ getProfile { id } }"}`)
	if code != 403 {
		t.Errorf("caller without the check grant: %d, want 403", code)
	}
}
