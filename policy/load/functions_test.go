package load

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
)

const funcNamesFixture = "../graphql/testdata/funcnames"

// loadFuncNamesWith loads the CheckGraphQL fixture of customized
// function names with metadata.yaml edited (old -> new replacements).
func loadFuncNamesWith(t *testing.T, edits ...string) *model.Policy {
	t.Helper()
	fsys := dirFS(t, funcNamesFixture)
	meta := string(fsys["metadata.yaml"].Data)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(meta, edits[i]) {
			t.Fatalf("the fixture has no %q", edits[i])
		}
		meta = strings.Replace(meta, edits[i], edits[i+1], 1)
	}
	fsys["metadata.yaml"] = &fstest.MapFile{Data: []byte(meta)}
	p, err := FS(context.Background(), fsys, "test:funcnames")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func hasNote(p *model.Policy, s string) bool {
	for _, n := range p.Notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// TestFunctionRootFieldNames: a function's root fields are built from its
// GraphQL name and its source's customization (prefix, suffix,
// namespace; graphql-default's capitals), its aggregate's and its Relay
// connection's alike.
func TestFunctionRootFieldNames(t *testing.T) {
	p := loadFuncNamesWith(t)
	g := p.GraphQL
	for _, c := range []struct {
		got       *model.TrackedFunction
		fn        string
		root, agg string
	}{
		{g.Functions["search_articles"], "public.search_articles", "search_articles", "search_articles_aggregate"},
		{g.Functions["p_lookup_notes_q"], "public.find_notes", "p_lookup_notes_q", "p_lookup_aggregate_q"},
		{g.FunctionNamespaces["ext"]["x_search_events_v1"], "public.search_events", "x_search_events_v1", "x_events_stats_v1"},
		{g.FunctionNamespaces["ext"]["x_archive_event_v1"], "public.archive_event", "x_archive_event_v1", ""},
		{g.FunctionNamespaces["blog"]["gd_LatestPosts_v2"], "public.latest_posts", "gd_LatestPosts_v2", "gd_LatestPostsAggregate_v2"},
		{g.RelayFunctionNamespaces["blog"]["gd_SearchPosts_connection_v2"], "public.search_posts", "gd_SearchPosts_v2", "gd_SearchPostsAggregate_v2"},
	} {
		if c.got == nil || c.got.Name.String() != c.fn || c.got.RootField != c.root || c.got.AggregateField != c.agg {
			t.Errorf("%s: %+v, want root field %s and aggregate %q", c.fn, c.got, c.root, c.agg)
		}
	}
	for _, gone := range []string{"search_events", "x_search_events_v1", "find_notes", "lookup_notes", "searchPosts", "find_things"} {
		if f := g.Functions[gone]; f != nil {
			t.Errorf("%s is a root field: %+v", gone, f)
		}
	}
}

// TestFunctionRootFieldConflicts: a name a table and a function both
// claim in one namespace, a function namespace that is also a root field,
// and a Relay connection name a table and a function both claim are
// noted and not decided for the table (Hasura reports such conflicts as
// inconsistent metadata).
func TestFunctionRootFieldConflicts(t *testing.T) {
	// A table root field of ext named like a function's.
	p := loadFuncNamesWith(t, "      - table: {schema: public, name: events}\n",
		"      - table: {schema: public, name: events}\n        configuration: {custom_root_fields: {select: search_events}}\n")
	if _, ok := p.GraphQL.Namespaces["ext"]["x_search_events_v1"]; ok || p.GraphQL.FunctionNamespaces["ext"]["x_search_events_v1"] == nil {
		t.Errorf("ext.x_search_events_v1: table field kept, or function dropped")
	}
	if !hasNote(p, "root field ext.x_search_events_v1 of public.events is also a function's") {
		t.Errorf("notes = %q, want one on ext.x_search_events_v1", p.Notes)
	}

	// A function namespace that is also a top-level root field.
	p = loadFuncNamesWith(t, "root_fields: {namespace: blog,", "root_fields: {namespace: search_articles,")
	if p.GraphQL.FunctionNamespaces["search_articles"] != nil || p.GraphQL.RelayFunctionNamespaces["search_articles"] != nil {
		t.Errorf("namespace search_articles kept: %v", p.GraphQL.FunctionNamespaces)
	}
	if !hasNote(p, "root field namespace search_articles is also a root field: its functions are not decided") {
		t.Errorf("notes = %q, want one on namespace search_articles", p.Notes)
	}

	// A table connection named like a function's (the table's GraphQL
	// name is the function's).
	p = loadFuncNamesWith(t, "      - table: {schema: public, name: articles}\n",
		"      - table: {schema: public, name: articles}\n        configuration: {custom_name: search_articles}\n")
	if _, ok := p.GraphQL.RelayFields["search_articles_connection"]; ok || p.GraphQL.RelayFunctions["search_articles_connection"] != nil {
		t.Errorf("search_articles_connection decided: table %v, function %v", p.GraphQL.RelayFields["search_articles_connection"], p.GraphQL.RelayFunctions["search_articles_connection"])
	}
	if !hasNote(p, "Relay root field search_articles_connection is both a table's and a function's connection") {
		t.Errorf("notes = %q, want one on search_articles_connection", p.Notes)
	}
}
