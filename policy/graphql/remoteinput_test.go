package graphql_test

import (
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/graphql"
)

// TestRemoteRelationshipInWhereAndOrderBy: a remote relationship is a
// field of the table's type, never of its <table>_bool_exp or
// <table>_order_by: Hasura's tableBoolExp (Schema/BoolExp.hs) and
// orderByExp (Schema/OrderBy.hs) map FIRemoteRelationship to empty, and
// aggregation predicates come from the table's own array relationships.
// So a where or order_by naming one is denied for every role, admin
// included, in Hasura's words, whatever the relationship reaches and
// whether or not Warden could read its definition.
func TestRemoteRelationshipInWhereAndOrderBy(t *testing.T) {
	p := loadRemoteRel(t)
	uid := map[string]string{"x-hasura-user-id": "7"}
	cases := []struct {
		name, role, query string
		want              graphql.Decision
		why               string
	}{
		{"to_source object in where", "user", `{ articles(where: {author_profile: {name: {_eq: "x"}}}) { id } }`,
			graphql.Deny, "field 'author_profile' not found in type: 'articles_bool_exp'"},
		{"to_source array in where, inside _and and _not", "user", `{ articles(where: {_and: [{id: {_eq: 1}}, {_not: {payments: {amount: {_gt: 1}}}}]}) { id } }`,
			graphql.Deny, "field 'payments' not found in type: 'articles_bool_exp'"},
		{"to_source array's aggregation predicate in where", "user", `{ articles(where: {payments_aggregate: {count: {predicate: {_gt: 1}}}}) { id } }`,
			graphql.Deny, "field 'payments_aggregate' not found in type: 'articles_bool_exp': payments_aggregate is the aggregate of remote relationship payments"},
		{"to a remote schema in where", "user", `{ articles(where: {reviews: {stars: {_eq: 5}}}) { id } }`,
			graphql.Deny, "field 'reviews' not found in type: 'articles_bool_exp'"},
		{"a definition Warden could not read, in where", "user", `{ articles(where: {broken: {id: {_eq: 1}}}) { id } }`,
			graphql.Deny, "field 'broken' not found in type: 'articles_bool_exp'"},
		{"a target in a graphql-default source, in where", "user", `{ articles(where: {ledger: {id: {_eq: 1}}}) { id } }`,
			graphql.Deny, "field 'ledger' not found in type: 'articles_bool_exp'"},
		{"admin in where", "admin", `{ articles(where: {author_profile: {name: {_eq: "x"}}}) { id } }`,
			graphql.Deny, "field 'author_profile' not found in type: 'articles_bool_exp'"},
		{"admin in a delete's where", "admin", `mutation { delete_articles(where: {author_profile: {name: {_eq: "x"}}}) { affected_rows } }`,
			graphql.Deny, "field 'author_profile' not found"},
		{"admin in an aggregate's where", "admin", `{ articles_aggregate(where: {payments: {amount: {_gt: 1}}}) { aggregate { count } } }`,
			graphql.Deny, "field 'payments' not found in type: 'articles_bool_exp'"},
		{"a subscription's where: not found before any remote join", "user", `subscription { articles(where: {author_profile: {name: {_eq: "x"}}}) { id } }`,
			graphql.Deny, "field 'author_profile' not found in type: 'articles_bool_exp'"},
		{"to_source object in order_by", "user", `{ articles(order_by: {author_profile: {name: asc}}) { id } }`,
			graphql.Deny, "field 'author_profile' not found in type: 'articles_order_by'"},
		{"to_source array's aggregate in order_by", "editor", `{ articles(order_by: [{id: asc}, {payments_aggregate: {count: desc}}]) { id } }`,
			graphql.Deny, "field 'payments_aggregate' not found in type: 'articles_order_by'"},
		{"admin in order_by", "admin", `{ articles(order_by: {reviews: {stars: asc}}) { id } }`,
			graphql.Deny, "field 'reviews' not found in type: 'articles_order_by'"},
		// The same table's columns and the relationship selected are as before.
		{"a column in where and order_by", "user", `{ articles(where: {id: {_eq: 1}}, order_by: {title: asc}) { id author_profile { name } } }`,
			graphql.Allow, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := graphql.Decide(p, graphql.Request{Role: c.role, Vars: uid, Query: c.query})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.RootFields) != 1 {
				t.Fatalf("%d root fields, want 1", len(res.RootFields))
			}
			f := res.RootFields[0]
			if f.Decision != c.want || !strings.Contains(f.Reason, c.why) {
				t.Fatalf("%v (%s), want %v saying %q", f.Decision, f.Reason, c.want, c.why)
			}
		})
	}
}
