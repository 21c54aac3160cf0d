package server

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// TestCheckGraphQLGraphqlDefaultRPC: over gRPC, a source under Hasura's
// graphql-default naming convention (policy/graphql/testdata/gqldefault)
// is decided by its camelCase names: an allowed field's selections name
// the columns read (as the database names them) with Filter's answer, a
// denial is in Hasura's words with its PascalCase type, a tracked
// function has its camelCase root field.
func TestCheckGraphQLGraphqlDefaultRPC(t *testing.T) {
	set := testSet(t, os.DirFS("../policy/graphql/testdata/gqldefault"), "test:gqldefault")
	ts := startTest(t, DefaultConfig(), set)
	client := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
	user := &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"X-Hasura-User-Id": "7"}}
	ask := func(t *testing.T, query string) *wardenv1.CheckGraphQLResponse {
		t.Helper()
		resp, err := client.CheckGraphQL(context.Background(), &wardenv1.CheckGraphQLRequest{Principal: user, Query: query,
			Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetRootFields()) != 1 {
			t.Fatalf("response = %v", resp)
		}
		return resp
	}
	allow := wardenv1.OperationDecision_OPERATION_DECISION_ALLOW

	t.Run("select with camelCase columns, arguments and a relationship", func(t *testing.T) {
		resp := ask(t, `{ blogPosts(where: {viewCount: {_gt: 1}}, orderBy: {viewCount: DESC}) { id viewCount author { penName } } }`)
		f := resp.GetRootFields()[0]
		sels := f.GetTable().GetSelections()
		if resp.GetDecision() != allow || f.GetKind() != wardenv1.RootFieldKind_ROOT_FIELD_KIND_TABLE || len(sels) != 2 {
			t.Fatalf("response = %v", resp)
		}
		root, author := sels[0], sels[1]
		if root.GetPath() != "blogPosts" || root.GetTable() != "public.blog_posts" || !slices.Equal(root.GetColumns(), []string{"id", "view_count"}) {
			t.Errorf("root selection = %v", root)
		}
		where := root.GetFilter().GetSql().GetWhere()
		if root.GetFilter().GetKind() != wardenv1.FilterKind_FILTER_KIND_CONDITIONAL || !strings.Contains(where.GetSql(), `"author_id"`) {
			t.Errorf("root filter = %v, want the author_id comparison", root.GetFilter())
		}
		if author.GetPath() != "blogPosts.author" || author.GetTable() != "public.blog_authors" || !slices.Equal(author.GetColumns(), []string{"display_name"}) {
			t.Errorf("author selection = %v, want display_name (penName) of public.blog_authors", author)
		}
	})

	t.Run("insert one: presets resolved for the session", func(t *testing.T) {
		resp := ask(t, `mutation { insertBlogPostsOne(object: {title: "t", viewCount: 1}) { id } }`)
		sels := resp.GetRootFields()[0].GetTable().GetSelections()
		if resp.GetDecision() != allow || len(sels) != 2 {
			t.Fatalf("response = %v", resp)
		}
		ins := sels[0]
		if ins.GetOperation() != wardenv1.Operation_OPERATION_INSERT || !slices.Equal(ins.GetColumns(), []string{"title", "view_count"}) {
			t.Errorf("insert selection = %v", ins)
		}
		if preset := ins.GetFilter().GetPresets().GetFields()["author_id"]; preset.GetNumberValue() != 7 {
			t.Errorf("presets = %v, want author_id 7 from the session", ins.GetFilter().GetPresets())
		}
	})

	t.Run("a column the role may not read", func(t *testing.T) {
		resp := ask(t, `{ blogPosts { id reviewerNotes } }`)
		f := resp.GetRootFields()[0]
		if resp.GetDecision() != wardenv1.OperationDecision_OPERATION_DECISION_DENY ||
			!strings.Contains(f.GetReason(), "field 'reviewerNotes' not found in type: 'BlogPosts'") || len(f.GetTable().GetSelections()) != 0 {
			t.Errorf("response = %v", resp)
		}
	})

	t.Run("a tracked function by its camelCase name", func(t *testing.T) {
		resp := ask(t, `{ searchPosts(args: {q: "go"}) { id title } }`)
		f := resp.GetRootFields()[0]
		sels := f.GetTable().GetSelections()
		if resp.GetDecision() != allow || f.GetKind() != wardenv1.RootFieldKind_ROOT_FIELD_KIND_FUNCTION || len(sels) != 1 ||
			!slices.Equal(sels[0].GetColumns(), []string{"id", "title"}) {
			t.Errorf("response = %v", resp)
		}
	})
}
