package graphql_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/graphql"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// loadFuncNames loads testdata/funcnames: tracked functions in sources
// without customization (default), with a namespace, prefix, suffix and
// type names (ext), with a prefix and suffix only (pre), under
// graphql-default with all three (gd), and under a naming convention
// Hasura does not have (odd).
func loadFuncNames(t *testing.T) *model.Policy {
	t.Helper()
	p, err := load.Dir(context.Background(), "testdata/funcnames")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFunctionNamesCustomized: load names tracked functions' root fields
// as Hasura does: the function's GraphQL name (getFunctionGQLName:
// custom_root_fields.function, else custom_name, else the name,
// <schema>_<name> outside public; graphql-default camelCases the last),
// its aggregate's (getFunctionAggregateGQLName:
// custom_root_fields.function_aggregate, else custom_name + _aggregate,
// else the name + _aggregate), and the Relay API's connection (the
// GraphQL name + _connection, selectFunctionConnection); then the
// source's root field prefix and suffix around each, as around table
// root fields (buildSource's MkRootFieldName; under graphql-default the
// prefix as written and the name and suffix with a capital), and the
// namespace over them.
func TestFunctionNamesCustomized(t *testing.T) {
	p := loadFuncNames(t)
	g := &p.GraphQL
	names := func(m map[string]*model.TrackedFunction) map[string]string {
		out := map[string]string{}
		for name, f := range m {
			out[name] = f.Name.String()
		}
		return out
	}
	for _, c := range []struct {
		what string
		got  map[string]*model.TrackedFunction
		want map[string]string
	}{
		{"root fields", g.Functions, map[string]string{
			"search_articles": "public.search_articles", "search_articles_aggregate": "public.search_articles",
			"best_articles": "app.top_articles", "best_articles_aggregate": "app.top_articles",
			"reset_article": "public.reset_article",
			"search_logs":   "public.search_logs", "search_logs_aggregate": "public.search_logs",
			"p_lookup_notes_q": "public.find_notes", "p_lookup_aggregate_q": "public.find_notes",
		}},
		{"namespace ext", g.FunctionNamespaces["ext"], map[string]string{
			"x_search_events_v1": "public.search_events", "x_events_stats_v1": "public.search_events",
			"x_archive_event_v1": "public.archive_event",
		}},
		{"namespace blog (graphql-default)", g.FunctionNamespaces["blog"], map[string]string{
			"gd_SearchPosts_v2": "public.search_posts", "gd_SearchPostsAggregate_v2": "public.search_posts",
			"gd_LatestPosts_v2": "public.latest_posts", "gd_LatestPostsAggregate_v2": "public.latest_posts",
		}},
		{"Relay connections", g.RelayFunctions, map[string]string{
			"search_articles_connection": "public.search_articles", "best_articles_connection": "app.top_articles",
			"reset_article_connection": "public.reset_article", "search_logs_connection": "public.search_logs",
			"p_lookup_notes_connection_q": "public.find_notes",
		}},
		{"Relay connections of namespace ext", g.RelayFunctionNamespaces["ext"], map[string]string{
			"x_search_events_connection_v1": "public.search_events", "x_archive_event_connection_v1": "public.archive_event",
		}},
		{"Relay connections of namespace blog", g.RelayFunctionNamespaces["blog"], map[string]string{
			"gd_SearchPosts_connection_v2": "public.search_posts", "gd_LatestPosts_connection_v2": "public.latest_posts",
		}},
	} {
		if got := names(c.got); !maps.Equal(got, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.what, got, c.want)
		}
	}
	if ns := slices.Sorted(maps.Keys(g.FunctionNamespaces)); !slices.Equal(ns, []string{"blog", "ext"}) {
		t.Errorf("function namespaces %v, want blog and ext", ns)
	}
	// A source whose naming convention Warden does not know: no root
	// field, but Check and Filter on the function still answer.
	things := model.TableName{Schema: "public", Name: "find_things"}
	if f := g.FunctionsByName[things]; f == nil {
		t.Error("find_things is not in FunctionsByName")
	}
	noted := false
	for _, n := range p.Notes {
		noted = noted || strings.Contains(n, "root fields of tracked function public.find_things are not decided")
	}
	if !noted {
		t.Errorf("notes = %q, want one on find_things", p.Notes)
	}
}

// TestDecideCustomizedFunctions: a tracked function of a customized
// source is decided by its customized names, under the source's
// namespace, with the source's type names in Hasura's messages; the
// names without the customization are not fields.
func TestDecideCustomizedFunctions(t *testing.T) {
	p := loadFuncNames(t)
	uid := map[string]string{"x-hasura-user-id": "7"}
	cases := []struct {
		name, role, query string
		want              graphql.Decision
		why, ns           string
		sels              []relSel
	}{
		{name: "a namespaced, prefixed function", role: "user", query: `{ ext { x_search_events_v1(args: {q: "a"}, where: {kind: {_eq: "b"}}) { id kind } } }`,
			want: graphql.Allow, ns: "ext", sels: []relSel{{"x_search_events_v1", "public.events", "", []string{"id", "kind"}}}},
		{name: "its aggregate by custom_root_fields.function_aggregate", role: "user", query: `{ ext { stats: x_events_stats_v1 { aggregate { count } } } }`,
			want: graphql.Allow, ns: "ext", sels: []relSel{{"stats", "public.events", "", []string{}}}},
		{name: "a column outside the permission, named with the source's type prefix", role: "user", query: `{ ext { x_search_events_v1 { payload } } }`,
			want: graphql.Deny, ns: "ext", why: "field 'payload' not found in type: 'X_events'"},
		{name: "a namespaced mutation function with its permission", role: "editor", query: `mutation { ext { x_archive_event_v1(args: {id: 1}) { id payload } } }`,
			want: graphql.Allow, ns: "ext", sels: []relSel{{"x_archive_event_v1", "public.events", "", []string{"id", "payload"}}}},
		{name: "a namespaced mutation function without one", role: "user", query: `mutation { ext { x_archive_event_v1(args: {id: 1}) { id } } }`,
			want: graphql.Deny, ns: "ext", why: "exposed as a mutation and has no permission for role user"},
		{name: "a role without the select permission", role: "nobody", query: `{ ext { x_search_events_v1 { id } } }`,
			want: graphql.Deny, ns: "ext", why: "no select permission"},
		{name: "the name without the prefix and suffix", role: "user", query: `{ ext { search_events { id } } }`,
			want: graphql.Undecided, ns: "ext", why: "neither a table root field nor a tracked function of the namespace"},
		{name: "the customized name outside the namespace", role: "user", query: `{ x_search_events_v1 { id } }`,
			want: graphql.Undecided, why: "neither"},
		{name: "a mutation function on the query root", role: "editor", query: `{ ext { x_archive_event_v1 { id } } }`,
			want: graphql.Undecided, ns: "ext", why: "neither"},
		{name: "a table root field beside the functions", role: "user", query: `{ ext { x_events_v1 { id } } }`,
			want: graphql.Allow, ns: "ext", sels: []relSel{{"x_events_v1", "public.events", "", []string{"id"}}}},
		// Prefix and suffix without a namespace.
		{name: "custom_root_fields.function with the prefix and suffix", role: "user", query: `{ p_lookup_notes_q { id body } }`,
			want: graphql.Allow, sels: []relSel{{"p_lookup_notes_q", "public.notes", "", []string{"body", "id"}}}},
		{name: "the aggregate by custom_name + _aggregate, without allow_aggregations", role: "user", query: `{ p_lookup_aggregate_q { aggregate { count } } }`,
			want: graphql.Deny, why: "does not allow aggregations"},
		{name: "custom_root_fields.function without the prefix", role: "user", query: `{ lookup_notes { id } }`,
			want: graphql.Undecided, why: "neither"},
		{name: "the function's own name with the prefix", role: "user", query: `{ p_find_notes_q { id } }`,
			want: graphql.Undecided, why: "neither"},
		// graphql-default under a namespace, prefix and suffix.
		{name: "graphql-default: the camelCase name after the prefix takes a capital", role: "user", query: `{ blog { gd_SearchPosts_v2(args: {q: "x"}) { id viewCount } } }`,
			want: graphql.Allow, ns: "blog", sels: []relSel{{"gd_SearchPosts_v2", "public.posts", "", []string{"id", "view_count"}}}},
		{name: "graphql-default: the aggregate", role: "user", query: `{ blog { gd_SearchPostsAggregate_v2 { aggregate { count } } } }`,
			want: graphql.Allow, ns: "blog"},
		{name: "graphql-default: custom_root_fields.function", role: "user", query: `{ blog { gd_LatestPosts_v2 { title } } }`,
			want: graphql.Allow, ns: "blog"},
		{name: "graphql-default: a snake_case column", role: "user", query: `{ blog { gd_SearchPosts_v2 { view_count } } }`,
			want: graphql.Deny, ns: "blog", why: "field 'view_count' not found in type: 'Posts'"},
		{name: "graphql-default: the name without the capital", role: "user", query: `{ blog { gd_searchPosts_v2 { id } } }`,
			want: graphql.Undecided, ns: "blog", why: "neither"},
		// No customization; an unknown naming convention.
		{name: "custom_name", role: "user", query: `{ best_articles { id } }`,
			want: graphql.Allow, sels: []relSel{{"best_articles", "public.articles", "", []string{"id"}}}},
		{name: "a source whose names Warden cannot tell", role: "user", query: `{ find_things { id } }`,
			want: graphql.Undecided, why: "neither"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := graphql.Decide(p, graphql.Request{Role: c.role, Vars: uid, Query: c.query})
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
			if c.want == graphql.Allow && f.Kind != graphql.TableRootFieldKind && f.Kind != graphql.FunctionField {
				t.Errorf("kind %v", f.Kind)
			}
			if c.sels != nil {
				checkSels(t, f, c.sels)
			}
		})
	}
}

// FuzzDecideCustomizedFunctions: any document decided against the
// customized sources of testdata/funcnames, on /v1/graphql or the Relay
// API, gives a result or a typed error, never a panic; a function field
// allowed to user is never allowed to a role without permissions.
func FuzzDecideCustomizedFunctions(f *testing.F) {
	p, err := load.Dir(context.Background(), "testdata/funcnames")
	if err != nil {
		f.Fatal(err)
	}
	for _, q := range []string{
		`{ ext { x_search_events_v1(args: {q: "a"}) { id kind } x_events_stats_v1 { aggregate { count } } } }`,
		`{ p_lookup_notes_q { id } blog { gd_SearchPosts_v2 { viewCount } } }`,
		`{ search_articles_connection(first: 1) { edges { cursor node { id title } } } }`,
		`{ ext { x_search_events_connection_v1 { pageInfo { hasNextPage } } } }`,
	} {
		f.Add(q, false)
		f.Add(q, true)
	}
	uid := map[string]string{"x-hasura-user-id": "7"}
	f.Fuzz(func(t *testing.T, q string, relay bool) {
		res, err := graphql.Decide(p, graphql.Request{Role: "user", Vars: uid, Query: q, Relay: relay})
		if err != nil {
			return
		}
		other, err := graphql.Decide(p, graphql.Request{Role: "nobody", Query: q, Relay: relay})
		if err != nil {
			t.Fatalf("nobody: %v (user: no error)", err)
		}
		for i, rf := range res.RootFields {
			if rf.Kind == graphql.FunctionField && i < len(other.RootFields) && other.RootFields[i].Decision == graphql.Allow {
				t.Fatalf("%s allowed to a role without permissions: %s", rf.Name, q)
			}
		}
	})
}
