package graphql_test

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/graphql"
	"github.com/wardenpdp/warden/policy/load"
)

// nodeID is Hasura's V1 node id: base64 of [1, schema, table, pk...].
func nodeID(json string) string { return base64.StdEncoding.EncodeToString([]byte(json)) }

// TestDecideRelay decides operations sent to Hasura's Relay API
// (testdata/relay): <table>_connection fields and node(id:), under the
// same select permissions as /v1/graphql, with the Relay schema's types
// (id is the node id; array relationships have <rel>_connection).
func TestDecideRelay(t *testing.T) {
	p, err := load.Dir(context.Background(), "testdata/relay", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	uid := map[string]string{"x-hasura-user-id": "7"}
	article5 := nodeID(`[1, "public", "articles", 5]`)
	cases := []struct {
		name, role, query string
		vars              map[string]any
		relay             bool
		want              graphql.Decision
		why               string // in the reason
		table             string // the field's table, when allowed
		sels              []sel
	}{
		{name: "a connection with where, order_by and paging", role: "user", relay: true,
			query: `{ articles_connection(first: 2, after: "WzFd", where: {title: {_like: "a%"}}, order_by: {title: asc}) { pageInfo { hasNextPage endCursor } edges { cursor node { id title author { id name } } } } }`,
			want:  graphql.Allow, table: "public.articles",
			sels: []sel{{"articles_connection.edges.node", "select", "public.articles", []string{"title"}},
				{"articles_connection.edges.node.author", "select", "public.authors", []string{"name"}}}},
		{name: "pageInfo only still reads the rows", role: "user", relay: true,
			query: `{ articles_connection { pageInfo { hasPreviousPage } } }`, want: graphql.Allow, table: "public.articles",
			sels: []sel{{"articles_connection", "select", "public.articles", []string{}}}},
		{name: "a column outside the permission", role: "user", relay: true,
			query: `{ articles_connection { edges { node { secret } } } }`, want: graphql.Deny, why: "field 'secret' not found in type: 'articles'"},
		{name: "a where on a column outside the permission", role: "user", relay: true,
			query: `{ articles_connection(where: {secret: {_eq: "x"}}) { edges { node { title } } } }`, want: graphql.Deny, why: "field 'secret' not found"},
		{name: "limit is not a connection argument", role: "user", relay: true,
			query: `{ articles_connection(limit: 1) { edges { node { title } } } }`, want: graphql.Deny, why: "no argument named 'limit'"},
		{name: "first and last at once", role: "user", relay: true,
			query: `{ articles_connection(first: 1, last: 1) { edges { node { title } } } }`, want: graphql.Deny, why: `"first" and "last" are not allowed at once`},
		{name: "a field the connection type lacks", role: "user", relay: true,
			query: `{ articles_connection { nodes { title } } }`, want: graphql.Deny, why: "not found in type: 'articlesConnection'"},
		{name: "a table without a primary key", role: "user", relay: true,
			query: `{ logs_connection { edges { node { message } } } }`, want: graphql.Deny, why: "has no primary key"},
		{name: "a table without a primary key for admin", role: "admin", relay: true,
			query: `{ logs_connection { edges { node { message } } } }`, want: graphql.Deny, why: "has no primary key"},
		{name: "no select permission", role: "nobody", relay: true,
			query: `{ articles_connection { edges { node { title } } } }`, want: graphql.Deny, why: "no select permission"},
		{name: "query_root_fields without select", role: "reader", relay: true,
			query: `{ articles_connection { edges { node { title } } } }`, want: graphql.Deny, why: "query_root_fields"},
		{name: "a relationship's connection", role: "user", relay: true,
			query: `{ authors_connection { edges { node { name articles_connection(first: 1, order_by: {title: desc}) { edges { node { title } } } } } } }`,
			want:  graphql.Allow, table: "public.authors",
			sels: []sel{{"authors_connection.edges.node", "select", "public.authors", []string{"name"}},
				{"authors_connection.edges.node.articles_connection.edges.node", "select", "public.articles", []string{"title"}}}},
		{name: "a node id of a table without a primary key", role: "user", relay: true,
			query: `{ articles_connection { edges { node { log { id } } } } }`, want: graphql.Deny, why: "has no primary key, so its Relay type has no node id"},
		{name: "the node id and cursors give away a primary key not granted", role: "user", relay: true,
			query: `{ comments_connection { edges { cursor node { id body } } } }`, want: graphql.Allow, table: "public.comments",
			why:  "the node ids and cursors of public.comments encode its primary key (article_id, comment_no), which Hasura returns though role user may not select article_id, comment_no",
			sels: []sel{{"comments_connection.edges.node", "select", "public.comments", []string{"body"}}}},
		{name: "outside the Relay API a table without an id column has no id", role: "user",
			query: `{ comments { id } }`, want: graphql.Deny, why: "field 'id' not found in type: 'comments'"},
		{name: "/v1/graphql's select field is not in the Relay API", role: "user", relay: true,
			query: `{ articles { title } }`, want: graphql.Deny, why: "Relay API serves node and <table>_connection"},
		{name: "nor its by_pk field", role: "user", relay: true,
			query: `{ articles_by_pk(id: 1) { title } }`, want: graphql.Deny, why: "Relay API serves node"},
		{name: "a connection outside the Relay API", role: "user",
			query: `{ articles_connection { edges { node { title } } } }`, want: graphql.Undecided, why: "neither"},
		{name: "id is a column outside the Relay API", role: "user",
			query: `{ articles { id } }`, want: graphql.Allow, table: "public.articles",
			sels: []sel{{"articles", "select", "public.articles", []string{"id"}}}},
		{name: "a mutation returns Relay types", role: "editor", relay: true,
			query: `mutation { insert_articles_one(object: {title: "t", author_id: 7}) { id title } }`, want: graphql.Allow, table: "public.articles"},
		{name: "a mutation's id is the node id in the Relay API", role: "writer", relay: true,
			query: `mutation { insert_articles_one(object: {title: "t", author_id: 7}) { id title } }`, want: graphql.Allow, table: "public.articles",
			why: "the node ids of public.articles encode its primary key (id), which Hasura returns though role writer may not select id"},
		{name: "and the id column, not granted, on /v1/graphql", role: "writer",
			query: `mutation { insert_articles_one(object: {title: "t", author_id: 7}) { id title } }`, want: graphql.Deny, why: "field 'id' not found in type: 'articles'"},
		{name: "node with fragments", role: "user", relay: true,
			query: `{ node(id: "` + article5 + `") { id __typename ... on articles { title author { name } } ...A } } fragment A on authors { name }`,
			want:  graphql.Allow, table: "public.articles",
			sels: []sel{{"node", "select", "public.articles", []string{"title"}}, {"node.author", "select", "public.authors", []string{"name"}}}},
		{name: "node with the id in a variable and no fragment of its table", role: "user", relay: true,
			query: `query($id: ID!) { node(id: $id) { id ... on articles { title } } }`, vars: map[string]any{"id": nodeID(`[1, "public", "authors", 3]`)},
			want: graphql.Allow, table: "public.authors", sels: []sel{{"node", "select", "public.authors", []string{}}}},
		{name: "node with a field Node lacks", role: "user", relay: true,
			query: `{ node(id: "` + article5 + `") { title } }`, want: graphql.Deny, why: "field 'title' not found in type: 'Node'"},
		{name: "node with a fragment field outside the permission", role: "user", relay: true,
			query: `{ node(id: "` + article5 + `") { ... on authors { email } } }`, want: graphql.Deny, why: "field 'email' not found in type: 'authors'"},
		{name: "node with a fragment on a table without a primary key", role: "user", relay: true,
			query: `{ node(id: "` + article5 + `") { ... on logs { message } } }`, want: graphql.Deny, why: "not a table type that implements Node"},
		{name: "node id of a table without a primary key", role: "user", relay: true,
			query: `{ node(id: "` + nodeID(`[1, "public", "logs", 1]`) + `") { id } }`, want: graphql.Deny, why: "no such table found"},
		{name: "node id of a table the role may not read", role: "reader", relay: true,
			query: `{ node(id: "` + nodeID(`[1, "public", "authors", 1]`) + `") { id } }`, want: graphql.Deny, why: "no such table found"},
		{name: "node id missing a primary key value", role: "user", relay: true,
			query: `{ node(id: "` + nodeID(`[1, "public", "comments", 1]`) + `") { id } }`, want: graphql.Deny, why: "primary key columns comment_no are missing"},
		{name: "node id of version 2", role: "user", relay: true,
			query: `{ node(id: "` + nodeID(`[2, "default", "postgres", {"schema": "public", "name": "articles"}, 5]`) + `") { id } }`, want: graphql.Deny, why: "unsupported GUID version"},
		{name: "node id not base64", role: "user", relay: true,
			query: `{ node(id: "%%%") { id } }`, want: graphql.Deny, why: "invalid node id"},
		{name: "node is not on /v1/graphql", role: "user",
			query: `{ node(id: "` + article5 + `") { id } }`, want: graphql.Undecided, why: "neither"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := graphql.Decide(p, graphql.Request{Role: c.role, Vars: uid, Query: c.query, Variables: c.vars, Relay: c.relay})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.RootFields) != 1 {
				t.Fatalf("%d root fields, want 1: %+v", len(res.RootFields), res.RootFields)
			}
			f := res.RootFields[0]
			if f.Decision != c.want || !strings.Contains(f.Reason, c.why) {
				t.Fatalf("%v (%s), want %v saying %q", f.Decision, f.Reason, c.want, c.why)
			}
			if c.want != graphql.Allow {
				return
			}
			if f.Table == nil || f.Table.Table.String() != c.table {
				t.Fatalf("table %+v, want %s", f.Table, c.table)
			}
			if c.sels == nil {
				return
			}
			var got []sel
			for _, s := range f.Table.Selections {
				got = append(got, sel{s.Path, s.Op.String(), s.Table.String(), s.Columns})
			}
			if !slices.EqualFunc(got, c.sels, func(a, b sel) bool {
				return a.path == b.path && a.op == b.op && a.table == b.table && slices.Equal(a.cols, b.cols)
			}) {
				t.Errorf("selections:\n got %+v\nwant %+v", got, c.sels)
			}
		})
	}
}

// TestDecideRelayNames: a connection is named by the table's GraphQL
// name (custom_name; <schema>_<name> outside public), then the source's
// root field prefix, suffix and namespace (Hasura's
// buildTableRelayQueryFields); custom_root_fields does not name it.
func TestDecideRelayNames(t *testing.T) {
	p := loadTables(t)
	uid := map[string]string{"x-hasura-user-id": "7"}
	for _, c := range []struct {
		name, query string
		want        graphql.Decision
		ns, table   string
	}{
		{"custom_name", `{ writers_connection { edges { node { name } } } }`, graphql.Allow, "", "public.authors"},
		{"the table's own name after custom_name", `{ authors_connection { edges { node { name } } } }`, graphql.Undecided, "", ""},
		{"a schema other than public", `{ app_tags_connection { edges { node { label } } } }`, graphql.Allow, "", "app.tags"},
		{"a namespaced source with prefix and suffix", `{ ext { x_events_connection_v1 { edges { node { id } } } } }`, graphql.Allow, "ext", "public.events"},
		{"a namespaced source without its prefix", `{ ext { events_connection { edges { node { kind } } } } }`, graphql.Undecided, "ext", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := graphql.Decide(p, graphql.Request{Role: "user", Vars: uid, Query: c.query, Relay: true})
			if err != nil {
				t.Fatal(err)
			}
			f := res.RootFields[0]
			if len(res.RootFields) != 1 || f.Decision != c.want || f.Namespace != c.ns {
				t.Fatalf("%+v, want one %v in namespace %q", res.RootFields, c.want, c.ns)
			}
			if c.table != "" && (f.Table == nil || f.Table.Table.String() != c.table) {
				t.Errorf("table %+v, want %s", f.Table, c.table)
			}
		})
	}
}

// FuzzDecideRelay: any document decided for the Relay API gives a result
// or a typed error, never a panic; a field allowed to user is never
// allowed to a role without permissions.
func FuzzDecideRelay(f *testing.F) {
	p, err := load.Dir(context.Background(), "testdata/relay", load.WithStrict())
	if err != nil {
		f.Fatal(err)
	}
	for _, q := range []string{
		`{ articles_connection(first: 2, order_by: {title: asc}) { pageInfo { hasNextPage } edges { cursor node { id title } } } }`,
		`{ authors_connection { edges { node { articles_connection { edges { node { title } } } } } } }`,
		`{ node(id: "` + nodeID(`[1, "public", "articles", 5]`) + `") { id ... on articles { title } } }`,
		`{ node(id: "` + nodeID(`[1, "public", "comments", 1, 2]`) + `") { ...C } } fragment C on comments { body }`,
	} {
		f.Add(q)
	}
	uid := map[string]string{"x-hasura-user-id": "7"}
	f.Fuzz(func(t *testing.T, q string) {
		res, err := graphql.Decide(p, graphql.Request{Role: "user", Vars: uid, Query: q, Relay: true})
		if err != nil {
			return
		}
		other, err := graphql.Decide(p, graphql.Request{Role: "nobody", Query: q, Relay: true})
		if err != nil {
			t.Fatalf("nobody: %v (user: no error)", err)
		}
		for i, rf := range res.RootFields {
			if rf.Kind == graphql.TableRootFieldKind && i < len(other.RootFields) && other.RootFields[i].Decision == graphql.Allow {
				t.Fatalf("%s allowed to a role without permissions: %s", rf.Name, q)
			}
		}
	})
}
