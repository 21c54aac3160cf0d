package server

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// tablesSet is the table root field fixture of policy/graphql.
func tablesSet(t testing.TB) *engine.Set {
	return testSet(t, os.DirFS("../policy/graphql/testdata/tables"), "test:tables")
}

// testSet loads a policy set from fsys and builds its engine.
func testSet(t testing.TB, fsys fs.FS, source string, opts ...load.Option) *engine.Set {
	t.Helper()
	p, err := load.FS(context.Background(), fsys, source, opts...)
	if err != nil {
		t.Fatal(err)
	}
	set, err := engine.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestCheckGraphQLTablesRPC: over gRPC, an allowed table root field
// carries each selection with Filter's answer for the session — the
// predicate, the SQL asked for, the limit, presets resolved — and the
// errors are the request's, as Filter's are.
func TestCheckGraphQLTablesRPC(t *testing.T) {
	ts := startTest(t, DefaultConfig(), tablesSet(t))
	client := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
	user := &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"X-Hasura-User-Id": "7"}}
	ask := func(req *wardenv1.CheckGraphQLRequest) (*wardenv1.CheckGraphQLResponse, error) {
		return client.CheckGraphQL(context.Background(), req)
	}

	t.Run("select with a relationship, SQL for PostgreSQL", func(t *testing.T) {
		resp, err := ask(&wardenv1.CheckGraphQLRequest{Principal: user,
			Query: "{ articles { id title author { name } } }",
			Sql:   &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetDecision() != wardenv1.OperationDecision_OPERATION_DECISION_ALLOW || len(resp.GetRootFields()) != 1 {
			t.Fatalf("response = %v", resp)
		}
		f := resp.GetRootFields()[0]
		if f.GetKind() != wardenv1.RootFieldKind_ROOT_FIELD_KIND_TABLE || f.GetTable().GetTable() != "public.articles" || f.GetTable().GetKind() != "select" {
			t.Fatalf("root field = %v", f)
		}
		sels := f.GetTable().GetSelections()
		if len(sels) != 2 {
			t.Fatalf("selections = %v", sels)
		}
		root, author := sels[0], sels[1]
		if root.GetPath() != "articles" || !slices.Equal(root.GetColumns(), []string{"id", "title"}) || root.GetOperation() != wardenv1.Operation_OPERATION_SELECT {
			t.Errorf("root selection = %v", root)
		}
		rf := root.GetFilter()
		if rf.GetKind() != wardenv1.FilterKind_FILTER_KIND_CONDITIONAL || rf.GetLimit() != 20 || rf.GetRole() != "user" {
			t.Errorf("root filter = %v, want conditional with limit 20", rf)
		}
		where := rf.GetSql().GetWhere()
		if !strings.Contains(where.GetSql(), `"author_id"`) || len(where.GetParameters()) == 0 {
			t.Errorf("root SQL = %v, want the author_id comparison with its parameter", where)
		}
		if author.GetPath() != "articles.author" || author.GetRelationship() != "author" || author.GetTable() != "public.authors" ||
			author.GetFilter().GetKind() != wardenv1.FilterKind_FILTER_KIND_ALWAYS_ALLOWED {
			t.Errorf("author selection = %v, want public.authors through author, always allowed", author)
		}
	})

	t.Run("insert: check and presets resolved for the session", func(t *testing.T) {
		resp, err := ask(&wardenv1.CheckGraphQLRequest{Principal: user,
			Query: `mutation { insert_articles_one(object: {title: "t"}) { id } }`})
		if err != nil {
			t.Fatal(err)
		}
		sels := resp.GetRootFields()[0].GetTable().GetSelections()
		if resp.GetDecision() != wardenv1.OperationDecision_OPERATION_DECISION_ALLOW || len(sels) != 2 {
			t.Fatalf("response = %v", resp)
		}
		ins := sels[0]
		if ins.GetOperation() != wardenv1.Operation_OPERATION_INSERT || !slices.Equal(ins.GetColumns(), []string{"title"}) {
			t.Errorf("insert selection = %v", ins)
		}
		preset := ins.GetFilter().GetPresets().GetFields()["author_id"]
		if preset.GetNumberValue() != 7 {
			t.Errorf("presets = %v, want author_id 7 from the session", ins.GetFilter().GetPresets())
		}
	})

	t.Run("variables decide @skip", func(t *testing.T) {
		for _, skip := range []bool{true, false} {
			vars, err := structpb.NewStruct(map[string]any{"s": skip})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := ask(&wardenv1.CheckGraphQLRequest{Principal: user, Variables: vars,
				Query: "query Q($s: Boolean!) { articles { id reviewer_notes @skip(if: $s) } }"})
			if err != nil {
				t.Fatal(err)
			}
			want := wardenv1.OperationDecision_OPERATION_DECISION_DENY
			if skip {
				want = wardenv1.OperationDecision_OPERATION_DECISION_ALLOW
			}
			if resp.GetDecision() != want {
				t.Errorf("skip %v: decision %v, want %v: %v", skip, resp.GetDecision(), want, resp.GetRootFields())
			}
			if !skip && len(resp.GetRootFields()[0].GetTable().GetSelections()) != 0 {
				t.Errorf("a denied field carries selections: %v", resp.GetRootFields()[0])
			}
		}
	})

	errs := []struct {
		name  string
		req   *wardenv1.CheckGraphQLRequest
		code  codes.Code
		field string
	}{
		{"a session variable the filter needs is missing", &wardenv1.CheckGraphQLRequest{
			Principal: &wardenv1.Principal{Role: "user"}, Query: "{ articles { id } }"}, codes.FailedPrecondition, ""},
		{"a required variable is not given", &wardenv1.CheckGraphQLRequest{
			Principal: user, Query: "query Q($s: Boolean!) { articles { id @skip(if: $s) } }"}, codes.InvalidArgument, "variables"},
		{"a table alias for every selection", &wardenv1.CheckGraphQLRequest{
			Principal: user, Query: "{ articles { id } }",
			Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES, TableAlias: "a"}}, codes.InvalidArgument, "sql.table_alias"},
		{"SQL without a dialect, even for a denied field", &wardenv1.CheckGraphQLRequest{
			Principal: user, Query: "{ articles { reviewer_notes } }", Sql: &wardenv1.SqlOptions{}}, codes.InvalidArgument, "sql.dialect"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			_, err := ask(c.req)
			if status.Code(err) != c.code {
				t.Fatalf("err = %v, want %v", err, c.code)
			}
			if c.field != "" {
				if got := fields(t, err); len(got) != 1 || got[0] != c.field {
					t.Errorf("field violations = %v, want [%s]", got, c.field)
				}
			}
		})
	}
}

// TestCheckGraphQLTablesGateway: the HTTP/JSON route takes variables and
// answers the table selections as gRPC does.
func TestCheckGraphQLTablesGateway(t *testing.T) {
	ts := startTest(t, DefaultConfig(), tablesSet(t))
	post := func(body string) (int, string) { return postCheckGraphQL(t, ts, "gateway", body) }
	const q = `"query": "mutation M($o: [articles_insert_input!]!) { insert_articles(objects: $o) { affected_rows } }"`
	code, body := post(`{"principal": {"role": "user", "sessionVariables": {"x-hasura-user-id": "7"}}, ` + q + `, "variables": {"o": [{"title": "a"}]}}`)
	if code != 200 || !strings.Contains(body, `"decision":"OPERATION_DECISION_ALLOW"`) || !strings.Contains(body, `"operation":"OPERATION_INSERT"`) || !strings.Contains(body, `"columns":["title"]`) {
		t.Errorf("insert of title: %d %s", code, body)
	}
	code, body = post(`{"principal": {"role": "user", "sessionVariables": {"x-hasura-user-id": "7"}}, ` + q + `, "variables": {"o": [{"published": true}]}}`)
	if code != 200 || !strings.Contains(body, `"decision":"OPERATION_DECISION_DENY"`) || !strings.Contains(body, "published") {
		t.Errorf("insert of published: %d %s", code, body)
	}
}

// postCheckGraphQL posts a JSON body to the CheckGraphQL route as caller,
// returning the status code and body.
func postCheckGraphQL(t *testing.T, ts *testServer, caller, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", "http://"+ts.httpAddr+"/v1/check-graphql", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Warden-Api-Key", ts.keys[caller])
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
