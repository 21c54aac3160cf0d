package graphql_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/graphql"
	"github.com/wardenpdp/warden/policy/load"
)

// nativeSource has a logical model (fields in the map form) whose
// permissions let user see every row's id and title, and editor only its
// own rows; a native query returns it.
const nativeSource = `- name: default
  kind: postgres
  tables: "!include default/tables/tables.yaml"
  logical_models:
    - name: article_summary
      fields:
        id: {type: {scalar: integer}}
        title: {type: {scalar: text}}
        secret: {type: {scalar: text}}
      select_permissions:
        - role: user
          permission: {columns: [id, title], filter: {}}
        - role: editor
          permission: {columns: "*", filter: {id: {_eq: X-Hasura-User-Id}}}
        - role: reviewer
          permission: {columns: [id], filter: {id: {_gt: 100}}}
  native_queries:
    - root_field_name: article_summaries
      code: SELECT 1
      returns: article_summary
      array_relationships:
        - {name: comments, using: {column_mapping: {id: article_id}, remote_native_query: comments}}
`

// TestDecideNativeQuery: a native query's root field is decided by the
// select permission of the logical model it returns.
func TestDecideNativeQuery(t *testing.T) {
	fsys := v3dir(t)
	fsys["metadata/databases/databases.yaml"] = &fstest.MapFile{Data: []byte(nativeSource)}
	fsys["metadata/inherited_roles.yaml"] = &fstest.MapFile{Data: []byte("- role_name: auditor\n  role_set: [reviewer, editor]\n")}
	p, err := load.FS(context.Background(), fsys, "test", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, role, query string
		want              graphql.Decision
		why               string
	}{
		{"permitted fields, every row", "user", `{ article_summaries(args: {q: "x"}) { id title __typename } }`, graphql.Allow, "every row"},
		{"a fragment on the logical model", "user", `{ article_summaries { ... on article_summary { id } ...F } } fragment F on article_summary { title }`, graphql.Allow, "every row"},
		{"a field outside the columns", "user", `{ article_summaries { id secret } }`, graphql.Deny, "not among the columns"},
		{"a field outside the columns, skipped", "user", `{ article_summaries { id secret @skip(if: true) ... on article_summary @include(if: false) { secret } } }`, graphql.Allow, "every row"},
		{"a field outside the columns, included", "user", `{ article_summaries { id secret @include(if: true) } }`, graphql.Deny, "not among the columns"},
		{"no such field", "user", `{ article_summaries { body } }`, graphql.Deny, "has no field body"},
		{"no selection", "user", `{ article_summaries }`, graphql.Deny, "needs a selection"},
		{"a relationship", "user", `{ article_summaries { id comments { id } } }`, graphql.Undecided, "relationship"},
		{"a filter restricts the rows", "editor", `{ s: article_summaries { id secret ... on article_summary { id } } }`, graphql.Allow, "Filter on native_query.article_summaries"},
		{"an inherited role whose parents grant different columns", "auditor", `{ article_summaries { id secret } }`, graphql.Allow, "Filter on native_query.article_summaries"},
		{"a filter restricts the rows (own columns)", "reviewer", `{ article_summaries { id } }`, graphql.Allow, "Filter on"},
		{"no select permission", "anonymous", `{ article_summaries { id } }`, graphql.Deny, "no select permission"},
		{"admin", "admin", `{ article_summaries { anything } }`, graphql.Allow, "admin"},
		{"not on the mutation root", "user", `mutation { article_summaries { id } }`, graphql.Undecided, "neither"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := graphql.Decide(p, graphql.Request{Role: c.role, Query: c.query})
			if err != nil {
				t.Fatal(err)
			}
			f := res.RootFields[0]
			if f.Decision != c.want || !strings.Contains(f.Reason, c.why) {
				t.Errorf("%v (%s), want %v saying %q", f.Decision, f.Reason, c.want, c.why)
			}
			// A row filter is given as a selection of the native query's
			// entity, with the columns selected.
			if c.role == "editor" {
				if f.Table == nil || len(f.Table.Selections) != 1 || f.Table.Selections[0].Path != "s" ||
					f.Table.Selections[0].Table.String() != "native_query.article_summaries" ||
					strings.Join(f.Table.Selections[0].Columns, ",") != "id,secret" {
					t.Errorf("table = %+v, want the entity's selection of id and secret at s", f.Table)
				}
			}
			if c.want != graphql.Undecided || c.why != "neither" {
				if f.Kind != graphql.NativeQueryField {
					t.Errorf("kind %v, want NativeQueryField", f.Kind)
				}
			}
		})
	}
}

// TestNativeQueryGraphqlDefault: the graphql-default naming convention
// leaves a native query's names as written (Hasura.NativeQuery.Schema
// names the field by root_field_name, Hasura.LogicalModel.Schema the
// logical model's fields by their names): it is decided as under
// hasura-default, and camelCased names are not its fields.
func TestNativeQueryGraphqlDefault(t *testing.T) {
	fsys := v3dir(t)
	fsys["metadata/databases/databases.yaml"] = &fstest.MapFile{Data: []byte(nativeSource)}
	p, err := load.FS(context.Background(), fsys, "test", load.WithDefaultNamingConvention("graphql-default"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		role, query string
		want        graphql.Decision
	}{
		{"user", `{ article_summaries { id title } }`, graphql.Allow},
		{"admin", `{ article_summaries { id secret } }`, graphql.Allow},
		{"user", `{ article_summaries { id secret } }`, graphql.Deny},
		{"user", `{ articleSummaries { id } }`, graphql.Undecided},
	}
	for _, c := range cases {
		res, err := graphql.Decide(p, graphql.Request{Role: c.role, Query: c.query})
		if err != nil {
			t.Fatal(err)
		}
		f := res.RootFields[0]
		if f.Decision != c.want || c.want != graphql.Undecided && f.Kind != graphql.NativeQueryField {
			t.Errorf("%s %s: %v %v (%s), want %v", c.role, c.query, f.Kind, f.Decision, f.Reason, c.want)
		}
	}
}

// TestNativeQueryFieldBudget: fragments spread twice per level in a
// native query's selection count against the operation's field budget,
// as a table's do (collect): the operation is refused, not walked 2^n
// times.
func TestNativeQueryFieldBudget(t *testing.T) {
	fsys := v3dir(t)
	fsys["metadata/databases/databases.yaml"] = &fstest.MapFile{Data: []byte(nativeSource)}
	p, err := load.FS(context.Background(), fsys, "test", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	var doc strings.Builder
	doc.WriteString("{ article_summaries { ...F15 } }\nfragment F0 on article_summary { id }\n")
	for i := 1; i <= 15; i++ {
		fmt.Fprintf(&doc, "fragment F%d on article_summary { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	_, err = graphql.Decide(p, graphql.Request{Role: "user", Query: doc.String()})
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("2^15 fields through fragments: err = %v, want the field budget's refusal", err)
	}
}
