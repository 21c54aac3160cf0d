package load

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
)

// graphqlLayouts is one set of actions, query collections and allow list
// (testdata/graphql) written into each layout: the v3 and v2 directories
// and the v3 export.
func graphqlLayouts(t *testing.T) map[string]fstest.MapFS {
	t.Helper()
	read := func(name string) string {
		b, err := os.ReadFile("testdata/graphql/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	files := map[string]string{}
	for _, f := range []string{"actions.yaml", "actions.graphql", "query_collections.yaml", "allow_list.yaml", "graphql_schema_introspection.yaml"} {
		files["metadata/"+f] = read(f)
	}
	// The functions' returned tables, in the schema file every layout
	// shares.
	schema := func(base fstest.MapFS) string {
		return string(base["schema.yaml"].Data) + read("schema-functions.yaml")
	}
	v3base := dirFS(t, "testdata/layouts/v3dir")
	v3 := withFiles(v3base, files)
	v3["metadata/inherited_roles.yaml"] = &fstest.MapFile{Data: []byte(read("inherited_roles.yaml"))}
	v3["schema.yaml"] = &fstest.MapFile{Data: []byte(schema(v3base))}
	for _, f := range []string{"functions.yaml", "public_search_articles.yaml", "app_reset_article.yaml"} {
		v3["metadata/databases/default/functions/"+f] = &fstest.MapFile{Data: []byte(read("functions/" + f))}
	}
	v2base := dirFS(t, "testdata/layouts/v2dir")
	v2 := withFiles(v2base, files)
	v2["schema.yaml"] = &fstest.MapFile{Data: []byte(schema(v2base))}
	v2["metadata/functions.yaml"] = &fstest.MapFile{Data: []byte(read("functions-v2.yaml"))}

	base := dirFS(t, "testdata/layouts/export-v3")
	var doc map[string]any
	if err := json.Unmarshal(base["metadata.json"].Data, &doc); err != nil {
		t.Fatal(err)
	}
	var parts map[string]any
	if err := json.Unmarshal([]byte(read("export-parts.json")), &parts); err != nil {
		t.Fatal(err)
	}
	sources := doc["sources"].([]any)
	sources[0].(map[string]any)["functions"] = parts["functions"]
	delete(parts, "functions")
	for k, v := range parts {
		doc[k] = v
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	export := withFiles(base, map[string]string{"metadata.json": string(data), "schema.yaml": schema(base)})
	return map[string]fstest.MapFS{"v3dir": v3, "v2dir": v2, "export-v3": export}
}

func TestGraphQLMetadataLayouts(t *testing.T) {
	for name, fsys := range graphqlLayouts(t) {
		t.Run(name, func(t *testing.T) {
			p, err := FS(context.Background(), fsys, name, WithStrict())
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			g := p.GraphQL
			for _, n := range p.Notes {
				if strings.Contains(n, "actions") || strings.Contains(n, "allow list") || strings.Contains(n, "collections") || strings.Contains(n, "tracked function") {
					t.Errorf("note for a part now read: %s", n)
				}
			}
			want := map[string]struct {
				typ   model.ActionType
				async bool
				roles []string
				not   []string
			}{
				"login":        {model.ActionMutation, false, []string{"anonymous", "admin"}, []string{"user"}},
				"getProfile":   {model.ActionQuery, false, []string{"user", "admin"}, []string{"anonymous", "manager"}},
				"exportReport": {model.ActionMutation, true, []string{"manager"}, []string{"user"}},
				"purgeCache":   {model.ActionMutation, false, []string{"admin"}, []string{"user", "manager", "anonymous"}},
			}
			if len(g.Actions) != len(want) {
				t.Errorf("%d actions, want %d: %v", len(g.Actions), len(want), g.Actions)
			}
			for name, w := range want {
				a := g.Actions[name]
				if a == nil {
					t.Errorf("action %s not read", name)
					continue
				}
				if a.Type != w.typ || a.Async != w.async {
					t.Errorf("action %s: type %s async %v, want %s async %v", name, a.Type, a.Async, w.typ, w.async)
				}
				for _, r := range w.roles {
					if !a.Allows(r) {
						t.Errorf("action %s does not allow role %s", name, r)
					}
				}
				for _, r := range w.not {
					if a.Allows(r) {
						t.Errorf("action %s allows role %s", name, r)
					}
				}
			}
			// An inherited role has the actions of every parent (v2 has no
			// inherited roles).
			if name != "v2dir" {
				if !g.Actions["getProfile"].Allows("team_lead") || !g.Actions["exportReport"].Allows("team_lead") || g.Actions["login"].Allows("team_lead") {
					t.Errorf("team_lead (user + manager): getProfile %v exportReport %v login %v, want true true false",
						g.Actions["getProfile"].Allows("team_lead"), g.Actions["exportReport"].Allows("team_lead"), g.Actions["login"].Allows("team_lead"))
				}
			}
			// Tracked functions: the query function under its custom root
			// fields, the mutation function with its permission.
			find, agg, reset := g.Functions["findArticles"], g.Functions["findArticlesAggregate"], g.Functions["app_reset_article"]
			if find == nil || agg != find || find.Mutation || find.Returns.String() != "public.article" || g.Functions["search_articles"] != nil {
				t.Errorf("function search_articles = %+v (aggregate %+v), want a query function on findArticles returning public.article", find, agg)
			}
			if reset == nil || !reset.Mutation || !reset.Roles["user"] || reset.AggregateField != "" {
				t.Errorf("function reset_article = %+v, want a mutation for user", reset)
			}
			if !g.IntrospectionDisabled["anonymous"] || len(g.IntrospectionDisabled) != 1 {
				t.Errorf("introspection disabled for %v, want anonymous", g.IntrospectionDisabled)
			}
			if c := g.Collections["allowed-queries"]; c == nil || len(c.Queries) != 2 || c.Queries[0].Name != "profile" || c.Queries[0].Normalized == "" {
				t.Errorf("collection allowed-queries = %+v", c)
			}
			if len(g.AllowList) != 2 || !g.AllowList[0].Global || g.AllowList[1].Global ||
				len(g.AllowList[1].Roles) != 1 || g.AllowList[1].Roles[0] != "manager" {
				t.Errorf("allow list = %+v, want allowed-queries global, manager-queries for manager", g.AllowList)
			}
		})
	}
}

// TestGraphQLMetadataProblems: each inconsistency is refused with its file
// and path, never loaded as an empty or open list.
func TestGraphQLMetadataProblems(t *testing.T) {
	base := graphqlLayouts(t)["v3dir"]
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"admin permission", map[string]string{"metadata/actions.yaml": "actions:\n  - name: purgeCache\n    definition: {kind: synchronous, handler: x}\n    permissions: [{role: admin}]\n"},
			"actions[name=purgeCache].permissions[0].role: no permission may be defined for admin"},
		{"duplicate action", map[string]string{"metadata/actions.yaml": "actions:\n  - name: login\n    definition: {handler: x}\n  - name: login\n    definition: {handler: y}\n"},
			"action login is defined twice"},
		{"sdl without yaml", map[string]string{"metadata/actions.yaml": "actions: []\n"},
			"actions.graphql declares Mutation.login, but actions.yaml has no action login"},
		{"type conflict", map[string]string{"metadata/actions.yaml": "actions:\n  - name: getProfile\n    definition: {handler: x, type: mutation}\n", "metadata/actions.graphql": "type Query { getProfile: Int }\n"},
			"action getProfile has type mutation, but actions.graphql declares it on Query"},
		{"bad kind", map[string]string{"metadata/actions.yaml": "actions:\n  - name: purgeCache\n    definition: {handler: x, kind: later}\n", "metadata/actions.graphql": "type Mutation { purgeCache: Int }\n"},
			`action kind "later" is not known`},
		{"query syntax", map[string]string{"metadata/query_collections.yaml": "- name: c\n  definition:\n    queries:\n      - name: broken\n        query: 'query { x '\n", "metadata/allow_list.yaml": "[]\n"},
			"[name=c].definition.queries[name=broken].query: query broken of collection c: GraphQL syntax error"},
		{"scoped without roles", map[string]string{"metadata/allow_list.yaml": "- collection: allowed-queries\n  scope: {global: false}\n"},
			"an allow list entry with global: false needs roles"},
		{"function permission for admin", map[string]string{"metadata/databases/default/functions/app_reset_article.yaml": "function: {schema: app, name: reset_article}\npermissions: [{role: admin}]\n"},
			"permissions[0].role: no permission may be defined for admin: admin may call every function"},
		{"exposed_as unknown", map[string]string{"metadata/databases/default/functions/app_reset_article.yaml": "function: {schema: app, name: reset_article}\nconfiguration: {exposed_as: trigger}\n"},
			`exposed_as "trigger" is not known`},
		{"function root field is an action", map[string]string{"metadata/databases/default/functions/app_reset_article.yaml": "function: {schema: app, name: reset_article}\nconfiguration: {custom_name: login, exposed_as: mutation}\n"},
			"function app.reset_article has the root field login, which is also an action"},
		{"function tracked twice", map[string]string{"metadata/databases/default/functions/functions.yaml": "- \"!include app_reset_article.yaml\"\n- \"!include app_reset_article.yaml\"\n"},
			"function app.reset_article is tracked twice"},
		{"global with roles", map[string]string{"metadata/allow_list.yaml": "- collection: allowed-queries\n  scope: {global: true, roles: [user]}\n"},
			"a global allow list entry takes no roles"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := FS(context.Background(), withFiles(base, c.files), "test", WithStrict())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
}

// TestAllowListUnknownCollection: an allow list entry naming a collection
// query_collections does not define loads, as Hasura loads it (its
// inlineAllowlist reads the missing collection as no queries; the console
// writes `allowed-queries` before any query is added): the entry allows
// nothing, and a note says so.
func TestAllowListUnknownCollection(t *testing.T) {
	base := graphqlLayouts(t)["v3dir"]
	p, err := FS(context.Background(), withFiles(base, map[string]string{
		"metadata/allow_list.yaml":        "- collection: allowed-queries\n  scope: {global: true}\n",
		"metadata/query_collections.yaml": "[]\n",
	}), "test", WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.GraphQL.AllowList) != 0 {
		t.Errorf("allow list = %+v, want no entry", p.GraphQL.AllowList)
	}
	noted := false
	for _, n := range p.Notes {
		noted = noted || strings.Contains(n, "collection allowed-queries, which query_collections does not define")
	}
	if !noted {
		t.Errorf("notes = %q, want one on the missing collection", p.Notes)
	}
}
