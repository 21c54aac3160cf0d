package server

import (
	"context"
	"os"
	"strings"
	"testing"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// TestCheckGraphQLRelationshipFilters: the selection a remote
// relationship to another source's table makes, and the one a native
// query's relationship to another native query makes, carry Filter's
// answer for the target under the role's select permission — the
// target's row filter, as a table selection's.
func TestCheckGraphQLRelationshipFilters(t *testing.T) {
	set := testSet(t, os.DirFS("../policy/graphql/testdata/remoterel"), "test:remoterel")
	user := &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "7"}}
	pg := &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES}
	for _, c := range []struct {
		name, query, path, table, sql string
	}{
		{"a remote relationship to another source's table", "{ articles { id author_profile { name } } }",
			"articles.author_profile", "public.profiles", `"user_id" = $1`},
		{"an array remote relationship", "{ articles { payments { amount } } }",
			"articles.payments", "public.payments", `"payer_id" = $1`},
		{"a native query's relationship to a native query", "{ recent_articles { id comments { body } } }",
			"recent_articles.comments", "native_query.article_comments", `"author_id" = $1`},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := CheckGraphQLOffline(context.Background(), set, &wardenv1.CheckGraphQLRequest{Principal: user, Query: c.query, Sql: pg}, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetDecision() != wardenv1.OperationDecision_OPERATION_DECISION_ALLOW {
				t.Fatalf("response = %v", resp)
			}
			var found *wardenv1.TableSelection
			for _, s := range resp.GetRootFields()[0].GetTable().GetSelections() {
				if s.GetPath() == c.path {
					found = s
				}
			}
			if found == nil || found.GetTable() != c.table {
				t.Fatalf("selections = %v, want %s on %s", resp.GetRootFields()[0].GetTable().GetSelections(), c.path, c.table)
			}
			f := found.GetFilter()
			where := f.GetSql().GetWhere()
			if f.GetKind() != wardenv1.FilterKind_FILTER_KIND_CONDITIONAL || !strings.Contains(where.GetSql(), c.sql) ||
				len(where.GetParameters()) != 1 || !strings.Contains(where.GetParameters()[0].String(), "7") {
				t.Errorf("filter = %v, want conditional with %s", f, c.sql)
			}
		})
	}
}
