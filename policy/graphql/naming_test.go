package graphql_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/graphql"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// TestGraphqlDefaultNames: under naming_convention graphql-default the
// table root fields have Hasura's camelCase names (the documented
// my_schema.my_table -> mySchemaMyTableAggregate, type MySchemaMyTable);
// custom names stay as written; the source's prefix and suffix keep
// theirs and raise the name's first letter.
func TestGraphqlDefaultNames(t *testing.T) {
	p, err := load.Dir(context.Background(), "testdata/naming")
	if err != nil {
		t.Fatal(err)
	}
	posts := model.TableName{Schema: "public", Name: "blog_posts"}
	mine := model.TableName{Schema: "my_schema", Name: "my_table"}
	authors := model.TableName{Schema: "public", Name: "authors"}
	events := model.TableName{Schema: "public", Name: "events"}
	want := map[string]model.TableRootField{
		"blogPosts":                {Table: posts, Kind: model.RootSelect, TypeName: "BlogPosts", GraphQLDefault: true},
		"blogPostsByPk":            {Table: posts, Kind: model.RootSelectByPk, TypeName: "BlogPosts", GraphQLDefault: true},
		"blogPostsAggregate":       {Table: posts, Kind: model.RootSelectAggregate, TypeName: "BlogPosts", GraphQLDefault: true},
		"blogPostsStream":          {Table: posts, Kind: model.RootSelectStream, TypeName: "BlogPosts", GraphQLDefault: true},
		"insertBlogPosts":          {Table: posts, Kind: model.RootInsert, TypeName: "BlogPosts", GraphQLDefault: true},
		"insertBlogPostsOne":       {Table: posts, Kind: model.RootInsertOne, TypeName: "BlogPosts", GraphQLDefault: true},
		"updateBlogPosts":          {Table: posts, Kind: model.RootUpdate, TypeName: "BlogPosts", GraphQLDefault: true},
		"updateBlogPostsByPk":      {Table: posts, Kind: model.RootUpdateByPk, TypeName: "BlogPosts", GraphQLDefault: true},
		"updateBlogPostsMany":      {Table: posts, Kind: model.RootUpdateMany, TypeName: "BlogPosts", GraphQLDefault: true},
		"deleteBlogPosts":          {Table: posts, Kind: model.RootDelete, TypeName: "BlogPosts", GraphQLDefault: true},
		"deleteBlogPostsByPk":      {Table: posts, Kind: model.RootDeleteByPk, TypeName: "BlogPosts", GraphQLDefault: true},
		"mySchemaMyTableAggregate": {Table: mine, Kind: model.RootSelectAggregate, TypeName: "MySchemaMyTable", GraphQLDefault: true},
		"writers":                  {Table: authors, Kind: model.RootSelect, TypeName: "writers", GraphQLDefault: true},
		"writer":                   {Table: authors, Kind: model.RootSelectByPk, TypeName: "writers", GraphQLDefault: true},
		"insertWritersOne":         {Table: authors, Kind: model.RootInsertOne, TypeName: "writers", GraphQLDefault: true},
		"x_Events_v1":              {Table: events, Kind: model.RootSelect, TypeName: "XEvents", GraphQLDefault: true},
		"x_InsertEvents_v1":        {Table: events, Kind: model.RootInsert, TypeName: "XEvents", GraphQLDefault: true},
		"x_EventsByPk_v1":          {Table: events, Kind: model.RootSelectByPk, TypeName: "XEvents", GraphQLDefault: true},
	}
	for name, f := range want {
		if got, ok := p.GraphQL.TableFields[name]; !ok || got != f {
			t.Errorf("root field %s = %+v (%v), want %+v", name, got, ok, f)
		}
	}
	for _, gone := range []string{"blog_posts", "insert_blog_posts", "blog_posts_by_pk", "writers_by_pk", "bad__name", "badName", "x_events_v1"} {
		if f, ok := p.GraphQL.TableFields[gone]; ok {
			t.Errorf("%s is in the index: %+v", gone, f)
		}
	}
	noted := false
	for _, n := range p.Notes {
		noted = noted || strings.Contains(n, "graphql-default") && strings.Contains(n, "bad__name")
	}
	if !noted {
		t.Errorf("notes = %q, want one on bad__name", p.Notes)
	}
}

// TestGraphqlDefaultDecisions: a root field the role's schema lacks is
// denied whatever the convention; one it has is decided by the
// convention's names (gqldefault_test.go goes through them); the
// hasura-default names are not fields.
func TestGraphqlDefaultDecisions(t *testing.T) {
	p, err := load.Dir(context.Background(), "testdata/naming")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, role, query string
		want              graphql.Decision
		reason            string
	}{
		{"select the role has", "user", "{ blogPosts { id title } }", graphql.Allow, ""},
		{"aggregate left out of query_root_fields", "user", "{ blogPostsAggregate { aggregate { count } } }", graphql.Deny, "query_root_fields"},
		{"no delete permission", "user", "mutation { deleteBlogPosts(where: {}) { affectedRows } }", graphql.Deny, "no delete permission"},
		{"no update permission", "user", "mutation { updateBlogPostsByPk(pkColumns: {id: 1}, _set: {title: \"x\"}) { id } }", graphql.Deny, "no update permission"},
		{"insert the role has", "user", "mutation { insertBlogPosts(objects: [{title: \"a\"}]) { affectedRows } }", graphql.Allow, ""},
		{"insert one needs select too", "reader", "mutation { insertBlogPostsOne(object: {title: \"a\"}) { id } }", graphql.Deny, "no insert permission"},
		{"aggregate with allow_aggregations", "user", "{ mySchemaMyTableAggregate { aggregate { count } } }", graphql.Allow, ""},
		{"aggregate without allow_aggregations", "reader", "{ mySchemaMyTableAggregate { aggregate { count } } }", graphql.Deny, "does not allow aggregations"},
		{"custom root field, no permission", "user", "{ writer(id: 1) { id } }", graphql.Deny, "no select permission"},
		{"custom root field, permission", "reader", "{ writer(id: 1) { id } }", graphql.Allow, ""},
		{"prefixed and suffixed, no permission", "reader", "{ x_Events_v1 { id } }", graphql.Deny, "no select permission"},
		{"prefixed and suffixed, permission", "user", "{ x_Events_v1 { id } }", graphql.Allow, ""},
		{"hasura-default name", "user", "{ blog_posts { id } }", graphql.Undecided, ""},
		{"name Warden cannot tell", "user", "{ bad__name { id } }", graphql.Undecided, ""},
		{"admin", "admin", "{ blogPosts { id } }", graphql.Allow, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := graphql.Decide(p, graphql.Request{Role: c.role, Query: c.query})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.RootFields) != 1 {
				t.Fatalf("%d root fields, want 1: %+v", len(res.RootFields), res.RootFields)
			}
			f := res.RootFields[0]
			if f.Decision != c.want || res.Decision != c.want {
				t.Fatalf("field %s: %v (%s), operation %v, want %v", f.Name, f.Decision, f.Reason, res.Decision, c.want)
			}
			if !strings.Contains(f.Reason, c.reason) {
				t.Errorf("reason %q, want it to hold %q", f.Reason, c.reason)
			}
			if (c.reason != "" || c.want == graphql.Allow) && (f.Kind != graphql.TableRootFieldKind || f.Table == nil) {
				t.Errorf("kind %v, table %v: want a table root field", f.Kind, f.Table)
			}
		})
	}
}

// TestDefaultNamingConvention: load.WithDefaultNamingConvention (Hasura's
// HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION) names the convention of a
// source that sets none, customized or not; a source's own
// naming_convention wins; an unknown one leaves the fields undecided.
func TestDefaultNamingConvention(t *testing.T) {
	ctx := context.Background()
	p, err := load.Dir(ctx, "testdata/tables", load.WithDefaultNamingConvention("graphql-default"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"articlesByPk", "insertArticlesOne", "appTagsByPk", "deleteAuditLog", "writer", "insertWriters"} {
		if f, ok := p.GraphQL.TableFields[name]; !ok || !f.GraphQLDefault {
			t.Errorf("%s = %+v (%v), want a graphql-default root field", name, f, ok)
		}
	}
	if _, ok := p.GraphQL.TableFields["articles_by_pk"]; ok {
		t.Error("articles_by_pk is in the index")
	}
	if f, ok := p.GraphQL.Namespaces["ext"]["x_EventsByPk_v1"]; !ok || f.TypeName != "XEvents" {
		t.Errorf("ext.x_EventsByPk_v1 = %+v (%v), want type XEvents", f, ok)
	}
	res, err := graphql.Decide(p, graphql.Request{Role: "user", Query: "{ articlesByPk(id: 1) { id } }"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Decision != graphql.Allow {
		t.Errorf("articlesByPk: %v, want allow", res.Decision)
	}

	p, err = load.Dir(ctx, "testdata/naming", load.WithDefaultNamingConvention("hasura-default"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.GraphQL.TableFields["blogPostsByPk"]; !ok {
		t.Error("a source's own graphql-default gave way to the default")
	}

	p, err = load.Dir(ctx, "testdata/tables", load.WithDefaultNamingConvention("kebab-case"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.GraphQL.TableFields) != 0 || len(p.GraphQL.Namespaces) != 0 {
		t.Errorf("an unknown default convention: fields %v, namespaces %v, want none", p.GraphQL.TableFields, p.GraphQL.Namespaces)
	}
	noted := false
	for _, n := range p.Notes {
		noted = noted || strings.Contains(n, `default naming convention "kebab-case"`)
	}
	if !noted {
		t.Errorf("notes = %q, want one on the default naming convention", p.Notes)
	}
}
