package graphql_test

import (
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/graphql"
)

// TestDecideRelayFunctionConnections: in Hasura's Relay API a tracked
// function has <function>_connection (buildRelayQueryAndSubscriptionFields,
// selectFunctionConnection) when it is exposed as a query and the table
// it returns has a primary key, for a role with a select permission on
// that table; query_root_fields does not hide it, and no function
// permission is asked for. Its nodes are read as a table connection's
// (id is the node id there, not a column); /v1/graphql's function fields
// are not in the Relay API.
func TestDecideRelayFunctionConnections(t *testing.T) {
	p := loadFuncNames(t)
	uid := map[string]string{"x-hasura-user-id": "7"}
	cases := []struct {
		name, role, query string
		want              graphql.Decision
		why, ns           string
		sels              []relSel
	}{
		{name: "args, where, order_by and paging", role: "user",
			query: `{ search_articles_connection(args: {q: "go"}, first: 2, where: {title: {_like: "a%"}}, order_by: {id: asc}) { pageInfo { hasNextPage } edges { cursor node { id title } } } }`,
			want:  graphql.Allow, sels: []relSel{{"search_articles_connection.edges.node", "public.articles", "", []string{"title"}}}},
		{name: "on the subscription root too", role: "user",
			query: `subscription { search_articles_connection { edges { node { id } } } }`,
			want:  graphql.Allow, sels: []relSel{{"search_articles_connection.edges.node", "public.articles", "", []string{}}}},
		{name: "a column outside the permission", role: "user",
			query: `{ search_articles_connection { edges { node { secret } } } }`, want: graphql.Deny, why: "field 'secret' not found in type: 'articles'"},
		{name: "a remote relationship in where", role: "user",
			query: `{ search_articles_connection(where: {event: {kind: {_eq: "x"}}}) { edges { node { id } } } }`,
			want:  graphql.Deny, why: "field 'event' not found in type: 'articles_bool_exp'"},
		{name: "limit is not a connection argument", role: "user",
			query: `{ search_articles_connection(limit: 1) { edges { node { id } } } }`, want: graphql.Deny, why: "no argument named 'limit'"},
		{name: "no select permission on the returned table", role: "nobody",
			query: `{ search_articles_connection { edges { node { id } } } }`, want: graphql.Deny, why: "field 'search_articles_connection' not found: role nobody has no select permission on public.articles"},
		{name: "query_root_fields does not hide a function's connection", role: "reader",
			query: `{ search_articles_connection { edges { node { title } } } }`,
			want:  graphql.Allow, sels: []relSel{{"search_articles_connection.edges.node", "public.articles", "", []string{"title"}}}},
		{name: "while it hides the table's", role: "reader",
			query: `{ articles_connection { edges { node { title } } } }`, want: graphql.Deny, why: "query_root_fields"},
		{name: "cursors and node ids give away a primary key not granted", role: "titler",
			query: `{ search_articles_connection { edges { cursor node { id title } } } }`,
			want:  graphql.Allow, why: "the node ids and cursors of public.articles encode its primary key (id), which Hasura returns though role titler may not select id"},
		{name: "admin", role: "admin",
			query: `{ search_articles_connection { edges { node { id secret } } } }`, want: graphql.Allow, why: "admin may use every function connection"},
		{name: "a returned table without a primary key", role: "user",
			query: `{ search_logs_connection { edges { node { message } } } }`, want: graphql.Deny, why: "field 'search_logs_connection' not found in type: 'query_root': function public.search_logs returns rows of public.logs, which has no primary key"},
		{name: "a returned table without a primary key, for admin", role: "admin",
			query: `{ search_logs_connection { edges { node { message } } } }`, want: graphql.Deny, why: "has no primary key"},
		{name: "a function exposed as a mutation has none", role: "editor",
			query: `{ reset_article_connection { edges { node { id } } } }`, want: graphql.Deny, why: "exposed as a mutation"},
		{name: "named by custom_name", role: "user",
			query: `{ best_articles_connection { edges { node { id } } } }`,
			want:  graphql.Allow, sels: []relSel{{"best_articles_connection.edges.node", "public.articles", "", []string{}}}},
		{name: "not by the function's own name when it has a custom_name", role: "user",
			query: `{ app_top_articles_connection { edges { node { id } } } }`, want: graphql.Undecided, why: "neither"},
		{name: "in a namespace, with the source's prefix and suffix", role: "user",
			query: `{ ext { x_search_events_connection_v1 { edges { node { id kind } } } } }`, ns: "ext",
			want: graphql.Allow, sels: []relSel{{"x_search_events_connection_v1.edges.node", "public.events", "", []string{"kind"}}}},
		{name: "a namespaced column outside the permission, with the source's type prefix", role: "user",
			query: `{ ext { x_search_events_connection_v1 { edges { node { payload } } } } }`, ns: "ext",
			want: graphql.Deny, why: "field 'payload' not found in type: 'X_events'"},
		{name: "prefix and suffix around custom_root_fields.function", role: "user",
			query: `{ p_lookup_notes_connection_q { edges { node { body } } } }`,
			want:  graphql.Allow, sels: []relSel{{"p_lookup_notes_connection_q.edges.node", "public.notes", "", []string{"body"}}}},
		{name: "a graphql-default source's connection is decided", role: "user",
			query: `{ blog { gd_SearchPosts_connection_v2 { edges { node { id } } } } }`, ns: "blog",
			want: graphql.Allow, sels: []relSel{{"gd_SearchPosts_connection_v2.edges.node", "public.posts", "", []string{}}}},
		{name: "but it is absent for a role without the select permission", role: "nobody",
			query: `{ blog { gd_SearchPosts_connection_v2 { edges { node { id } } } } }`, ns: "blog",
			want: graphql.Deny, why: "role nobody has no select permission on public.posts"},
		// /v1/graphql's function fields are not in the Relay API.
		{name: "a function's field", role: "user",
			query: `{ search_articles { id } }`, want: graphql.Deny, why: "field 'search_articles' not found in type: 'query_root'"},
		{name: "a function's aggregate", role: "editor",
			query: `{ search_articles_aggregate { aggregate { count } } }`, want: graphql.Deny, why: "not found in type: 'query_root'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := graphql.Decide(p, graphql.Request{Role: c.role, Vars: uid, Query: c.query, Relay: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.RootFields) != 1 {
				t.Fatalf("%d root fields, want 1: %+v", len(res.RootFields), res.RootFields)
			}
			f := res.RootFields[0]
			if f.Decision != c.want || !strings.Contains(f.Reason, c.why) || f.Namespace != c.ns {
				t.Fatalf("%v (%s) in namespace %q, want %v saying %q in namespace %q", f.Decision, f.Reason, f.Namespace, c.want, c.why, c.ns)
			}
			if c.want == graphql.Allow && f.Kind == graphql.FunctionField && (f.Table == nil || f.Table.Kind != "function_connection") {
				t.Errorf("table %+v, want kind function_connection", f.Table)
			}
			if c.sels != nil {
				checkSels(t, f, c.sels)
			}
		})
	}
	// Outside the Relay API a function's connection is not a field.
	res, err := graphql.Decide(p, graphql.Request{Role: "user", Vars: uid, Query: `{ search_articles_connection { edges { node { id } } } }`})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.RootFields[0]; f.Decision != graphql.Undecided {
		t.Errorf("on /v1/graphql: %v (%s), want undecided", f.Decision, f.Reason)
	}
}
