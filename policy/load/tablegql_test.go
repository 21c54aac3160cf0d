package load

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
)

const tablesFixture = "../graphql/testdata/tables"

// loadTablesWith loads the CheckGraphQL tables fixture with metadata.json
// edited (old -> new replacements).
func loadTablesWith(t *testing.T, edits ...string) (*model.Policy, error) {
	t.Helper()
	fsys := dirFS(t, tablesFixture)
	meta := string(fsys["metadata.json"].Data)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(meta, edits[i]) {
			t.Fatalf("the fixture has no %q", edits[i])
		}
		meta = strings.Replace(meta, edits[i], edits[i+1], 1)
	}
	fsys["metadata.json"] = &fstest.MapFile{Data: []byte(meta)}
	return FS(context.Background(), fsys, "test:tables")
}

// TestTableGraphQLNames: the loader keeps what names tables' root fields —
// custom_name, custom_root_fields (string or {name, comment}),
// column_config, the source's root field customization — and the select
// permissions' root field visibility, inherited roles' unioned.
func TestTableGraphQLNames(t *testing.T) {
	p, err := loadTablesWith(t)
	if err != nil {
		t.Fatal(err)
	}
	authors := p.Tables[model.TableName{Schema: "public", Name: "authors"}]
	g := authors.GraphQL
	if g == nil || g.CustomName != "writers" || g.RootFields["select_by_pk"] != "writer" || g.RootFields["insert_one"] != "addWriter" ||
		authors.ColumnField("email") != "emailAddress" || authors.ColumnField("name") != "name" {
		t.Errorf("authors' GraphQL names = %+v", g)
	}
	want := map[string]model.TableRootField{
		"writers":              {Table: authors.Name, Kind: model.RootSelect, TypeName: "writers"},
		"writer":               {Table: authors.Name, Kind: model.RootSelectByPk, TypeName: "writers"},
		"addWriter":            {Table: authors.Name, Kind: model.RootInsertOne, TypeName: "writers"},
		"insert_writers":       {Table: authors.Name, Kind: model.RootInsert, TypeName: "writers"},
		"update_writers":       {Table: authors.Name, Kind: model.RootUpdate, TypeName: "writers"},
		"app_tags_by_pk":       {Table: model.TableName{Schema: "app", Name: "tags"}, Kind: model.RootSelectByPk, TypeName: "app_tags"},
		"delete_audit_log":     {Table: model.TableName{Schema: "public", Name: "audit_log"}, Kind: model.RootDelete, TypeName: "audit_log"},
		"articles_stream":      {Table: model.TableName{Schema: "public", Name: "articles"}, Kind: model.RootSelectStream, TypeName: "articles"},
		"update_articles_many": {Table: model.TableName{Schema: "public", Name: "articles"}, Kind: model.RootUpdateMany, TypeName: "articles"},
	}
	for name, f := range want {
		if got, ok := p.GraphQL.TableFields[name]; !ok || got != f {
			t.Errorf("root field %s = %+v (%v), want %+v", name, got, ok, f)
		}
	}
	for _, gone := range []string{"authors", "authors_by_pk", "writers_by_pk", "insert_writers_one", "x_events_v1", "events"} {
		if _, ok := p.GraphQL.TableFields[gone]; ok {
			t.Errorf("root field %s is in the index", gone)
		}
	}
	ev := p.GraphQL.Namespaces["ext"]["x_events_by_pk_v1"]
	if ev.Kind != model.RootSelectByPk || ev.TypeName != "Xevents" || len(p.GraphQL.Namespaces["ext"]) != len(model.TableRootKinds) {
		t.Errorf("namespace ext = %+v", p.GraphQL.Namespaces["ext"])
	}

	articles := p.Tables[model.TableName{Schema: "public", Name: "articles"}]
	sel := articles.Permissions[model.OpSelect]
	rootSet := func(m map[string]bool) []string {
		if m == nil {
			return nil
		}
		return append([]string{}, slices.Sorted(maps.Keys(m))...)
	}
	checks := []struct {
		role        string
		query, subs []string
	}{
		{"user", []string{"select", "select_by_pk"}, []string{"select_stream"}},
		{"reader", []string{}, nil},
		{"editor", nil, nil},
		// staff inherits user and reader: union, and reader's absent
		// subscription_root_fields (all) makes all.
		{"staff", []string{"select", "select_by_pk"}, nil},
	}
	for _, c := range checks {
		pm := sel[c.role]
		if pm == nil {
			t.Fatalf("no select permission for %s", c.role)
		}
		q, s := rootSet(pm.QueryRootFields), rootSet(pm.SubscriptionRootFields)
		if !slices.Equal(q, c.query) || (q == nil) != (c.query == nil) || !slices.Equal(s, c.subs) || (s == nil) != (c.subs == nil) {
			t.Errorf("%s: query_root_fields %v, subscription_root_fields %v; want %v, %v", c.role, q, s, c.query, c.subs)
		}
	}
}

// TestTableGraphQLNamesUnread: configuration and customization shapes
// Warden cannot read, naming conventions it does not follow and names two
// tables claim never stop loading (they only shaped the GraphQL schema):
// each is a note, and the names are left out of the index, so that
// CheckGraphQL answers them undecided.
func TestTableGraphQLNamesUnread(t *testing.T) {
	cases := []struct {
		name  string
		edits []string
		note  string
		gone  []string
		kept  string
	}{
		{"custom_root_fields not an object", []string{`"custom_root_fields": {"select_by_pk": "writer", "insert_one": {"name": "addWriter", "comment": "one"}}`, `"custom_root_fields": "oops"`},
			"custom_root_fields not read", []string{"writers", "writer", "authors"}, "articles"},
		{"unknown custom root field", []string{`"select_by_pk": "writer"`, `"select_one": "writer"`},
			"custom_root_fields.select_one not read", []string{"writers"}, "articles"},
		{"naming convention", []string{`"type_names": {"prefix": "X"}`, `"type_names": {"prefix": "X"}, "naming_convention": "kebab-case"`},
			"naming_convention", nil, "articles"},
		{"two tables claim a name", []string{`"custom_name": "writers"`, `"custom_name": "articles"`},
			"claimed by more than one table", []string{"articles", "articles_aggregate", "insert_articles"}, "articles_by_pk"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := loadTablesWith(t, c.edits...)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, n := range p.Notes {
				found = found || strings.Contains(n, c.note)
			}
			if !found {
				t.Errorf("notes = %q, want one holding %q", p.Notes, c.note)
			}
			for _, g := range c.gone {
				if _, ok := p.GraphQL.TableFields[g]; ok {
					t.Errorf("%s is in the index", g)
				}
			}
			if _, ok := p.GraphQL.TableFields[c.kept]; !ok {
				t.Errorf("%s is not in the index", c.kept)
			}
			if c.name == "naming convention" && p.GraphQL.Namespaces["ext"] != nil {
				t.Errorf("namespace ext is in the index: %v", p.GraphQL.Namespaces["ext"])
			}
		})
	}
}

// TestRootFieldVisibilityValues: query_root_fields takes only the kinds of
// the query root (select_stream is a subscription's); another value makes
// the permission inconsistent, as Hasura rejects it.
func TestRootFieldVisibilityValues(t *testing.T) {
	p, err := loadTablesWith(t, `"query_root_fields": ["select", "select_by_pk"]`, `"query_root_fields": ["select", "select_stream"]`)
	if err != nil {
		t.Fatal(err)
	}
	articles := model.TableName{Schema: "public", Name: "articles"}
	i := p.Tables[articles].Inconsistent[model.OpSelect]["user"]
	if i == nil || !strings.Contains(strings.Join(i.Reasons, " "), `"select_stream" is not a root field kind here`) {
		t.Errorf("user's select permission: inconsistency %v", i)
	}
}
