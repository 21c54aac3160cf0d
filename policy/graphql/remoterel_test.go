package graphql_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/graphql"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// loadRemoteRel loads testdata/remoterel: articles (source default) with
// remote relationships to profiles and payments (source accounts) and to
// remote schema reviews, and native queries with relationships.
func loadRemoteRel(t *testing.T) *model.Policy {
	t.Helper()
	p, err := load.Dir(context.Background(), "testdata/remoterel")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// relSel is an expected selection: path, table, relationship, columns.
type relSel struct {
	path, table, rel string
	cols             []string
}

func checkSels(t *testing.T, f graphql.RootField, want []relSel) {
	t.Helper()
	if f.Table == nil {
		t.Fatalf("no table selections, want %v", want)
	}
	var got []relSel
	for _, s := range f.Table.Selections {
		got = append(got, relSel{s.Path, s.Table.String(), s.Relationship, s.Columns})
	}
	if len(got) != len(want) {
		t.Fatalf("selections %v, want %v", got, want)
	}
	for i := range want {
		if got[i].path != want[i].path || got[i].table != want[i].table || got[i].rel != want[i].rel || !slices.Equal(got[i].cols, want[i].cols) {
			t.Errorf("selection %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestRemoteRelationships: a table's remote relationships are decided as
// Hasura builds them into the role's type (Schema/RemoteRelationship.hs):
// to another source's table by the target's select permission (its
// selection listed for Filter, as a local relationship's), to a remote
// schema by the role's schema of it (with the leaf field's presets); the
// join columns need not be readable (Schema/Table.hs tableSelectFields
// keeps every remote relationship).
func TestRemoteRelationships(t *testing.T) {
	p := loadRemoteRel(t)
	uid := map[string]string{"x-hasura-user-id": "7"}
	cases := []struct {
		name, role, query string
		vars              map[string]string
		want              graphql.Decision
		why               string
		sels              []relSel
		presets           []graphql.RemotePreset
	}{
		// To another source's table.
		{name: "to_source object: the target's columns, join column not readable", role: "user",
			query: "{ articles { id author_profile { name } } }", want: graphql.Allow,
			sels: []relSel{{"articles", "public.articles", "", []string{"id"}}, {"articles.author_profile", "public.profiles", "author_profile", []string{"name"}}}},
		{name: "to_source object: a column outside the target's permission", role: "user",
			query: "{ articles { author_profile { email } } }", want: graphql.Deny, why: "field 'email' not found in type: 'profiles'"},
		{name: "to_source array with where, and its aggregate", role: "user",
			query: "{ articles { payments(where: {amount: {_gt: 1}}, order_by: {amount: desc}) { id amount } payments_aggregate { aggregate { count } } } }", want: graphql.Allow,
			sels: []relSel{{"articles", "public.articles", "", []string{}}, {"articles.payments", "public.payments", "payments", []string{"amount", "id"}},
				{"articles.payments_aggregate", "public.payments", "payments", []string{}}}},
		{name: "to_source array: where on a column outside the target's permission", role: "user",
			query: "{ articles { payments(where: {payer_id: {_eq: 1}}) { id } } }", want: graphql.Deny, why: "'payments_bool_exp'"},
		{name: "to_source: no select permission on the target", role: "anonymous",
			query: "{ articles { id author_profile { name } } }", want: graphql.Deny, why: "field 'author_profile' not found in type: 'articles'"},
		{name: "to_source: no aggregate without allow_aggregations", role: "editor",
			query: "{ articles { payments_aggregate { aggregate { count } } } }", want: graphql.Deny, why: "does not allow aggregations"},
		{name: "to_source: admin", role: "admin", query: "{ articles { author_profile { email } } }", want: graphql.Allow,
			sels: []relSel{{"articles", "public.articles", "", []string{}}, {"articles.author_profile", "public.profiles", "author_profile", []string{"email"}}}},

		// To a remote schema.
		{name: "to_remote_schema: the leaf's preset injected", role: "user", vars: uid,
			query: "{ articles { id reviews(order: DESC) { stars } } }", want: graphql.Allow,
			sels:    []relSel{{"articles", "public.articles", "", []string{"id"}}},
			presets: []graphql.RemotePreset{{Path: "articles.reviews", Field: "Query.reviews", Argument: "reviewer", Value: int64(7), SessionVariables: []string{"x-hasura-user-id"}}}},
		{name: "to_remote_schema: an argument the relationship fills", role: "user", vars: uid,
			query: "{ articles { reviews(article_id: 3) { stars } } }", want: graphql.Deny, why: "filled by the relationship"},
		{name: "to_remote_schema: a preset argument given", role: "user", vars: uid,
			query: "{ articles { reviews(reviewer: 3) { stars } } }", want: graphql.Deny, why: "preset for the role"},
		{name: "to_remote_schema: a field outside the role's schema", role: "user", vars: uid,
			query: "{ articles { reviews { stars email } } }", want: graphql.Deny, why: "field email is not in type Review"},
		{name: "to_remote_schema: no permission on the remote schema", role: "anonymous",
			query: "{ articles { id reviews { stars } } }", want: graphql.Deny, why: "field 'reviews' not found in type: 'articles': remote schema reviews has no permission for role anonymous"},
		{name: "to_remote_schema: the role's schema lacks the field", role: "editor",
			query: "{ articles { reviews { stars } } }", want: graphql.Deny, why: "field 'reviews' not found in type: 'articles': role editor's schema of remote schema reviews has no field Query.reviews"},
		{name: "to_remote_schema: an input object field the relationship fills", role: "user",
			query: "{ articles { filtered_reviews { stars } } }", want: graphql.Allow},
		{name: "to_remote_schema: an input object field the role's schema lacks", role: "user",
			query: "{ articles { legacy { stars } } }", want: graphql.Deny, why: "input object ReviewWhere has no field nope"},
		{name: "to_remote_schema: extending an object the relationship fills", role: "user",
			query: "{ articles { filtered_reviews(where: {stars: 5}) { stars } } }", want: graphql.Undecided, why: "extends"},
		{name: "older form (remote_schema, hasura_fields), a nested field path", role: "editor",
			query: "{ articles { stats { views } } }", want: graphql.Allow},
		{name: "older form: a field outside the leaf's type", role: "editor",
			query: "{ articles { stats { clicks } } }", want: graphql.Deny, why: "field clicks is not in type Stats"},
		{name: "to_remote_schema: admin", role: "admin", query: "{ articles { reviews(article_id: 1) { anything } } }", want: graphql.Allow},

		{name: "not in a subscription (to_source)", role: "user", query: "subscription { articles { id author_profile { name } } }",
			want: graphql.Deny, why: "Remote relationships are not allowed in subscriptions"},
		{name: "not in a subscription (to_remote_schema)", role: "admin", query: "subscription { articles { reviews { stars } } }",
			want: graphql.Deny, why: "Remote relationships are not allowed in subscriptions"},

		// Left undecided.
		{name: "a remote schema Warden did not load", role: "user", query: "{ articles { elsewhere { id } } }",
			want: graphql.Undecided, why: "remote schema inventory, which is not in the metadata"},
		{name: "a target in a graphql-default source", role: "user", query: "{ articles { ledger { id } } }",
			want: graphql.Undecided, why: "graphql-default"},
		{name: "a definition Warden could not read", role: "user", query: "{ articles { broken { id } } }",
			want: graphql.Undecided, why: "could not read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := graphql.Decide(p, graphql.Request{Role: c.role, Vars: c.vars, Query: c.query})
			if err != nil {
				t.Fatal(err)
			}
			f := res.RootFields[0]
			if f.Decision != c.want || !strings.Contains(f.Reason, c.why) {
				t.Fatalf("%v (%s), want %v saying %q", f.Decision, f.Reason, c.want, c.why)
			}
			if c.sels != nil {
				checkSels(t, f, c.sels)
			}
			if c.want == graphql.Allow && len(f.Presets) != len(c.presets) {
				t.Fatalf("presets %+v, want %+v", f.Presets, c.presets)
			}
			for i, want := range c.presets {
				got := f.Presets[i]
				if got.Path != want.Path || got.Field != want.Field || got.Argument != want.Argument || got.Value != want.Value || !slices.Equal(got.SessionVariables, want.SessionVariables) {
					t.Errorf("preset %d = %+v, want %+v", i, got, want)
				}
			}
		})
	}
}

// TestRemoteRelationshipMissingSession: a remote relationship's preset
// that needs a session variable the session lacks is the request's error
// (as for a remote schema root field), never a deny.
func TestRemoteRelationshipMissingSession(t *testing.T) {
	p := loadRemoteRel(t)
	_, err := graphql.Decide(p, graphql.Request{Role: "user", Query: "{ articles { reviews { stars } } }"})
	var me *graphql.MissingSessionVariablesError
	if !errors.As(err, &me) || !slices.Equal(me.Names, []string{"x-hasura-user-id"}) {
		t.Fatalf("err = %v, want the missing x-hasura-user-id", err)
	}
}

// TestRemoteRelationshipsLoad: the three layouts of a remote relationship
// are read into the model: to_source, to_remote_schema, and the older
// remote_schema with hasura_fields (converted as Hasura does: lhs fields,
// a path of field calls with their arguments).
func TestRemoteRelationshipsLoad(t *testing.T) {
	p := loadRemoteRel(t)
	rels := p.Tables[model.TableName{Schema: "public", Name: "articles"}].GraphQL.RemoteRelationships
	src := rels["author_profile"]
	if src == nil || !src.ToSource || src.Kind != model.RelObject || src.Target != (model.TableName{Source: "accounts", Schema: "public", Name: "profiles"}) ||
		len(src.Mapping) != 1 || src.Mapping[0] != (model.ColumnPair{Local: "author_id", Remote: "user_id"}) {
		t.Errorf("author_profile = %+v", src)
	}
	if arr := rels["payments"]; arr == nil || arr.Kind != model.RelArray || arr.Target.Name != "payments" || arr.Target.Schema != "public" {
		t.Errorf("payments (table as a string) = %+v", arr)
	}
	rs := rels["reviews"]
	if rs == nil || rs.ToSource || rs.RemoteSchema != "reviews" || !slices.Equal(rs.LHSFields, []string{"id"}) ||
		len(rs.RemoteField) != 1 || rs.RemoteField[0].Field != "reviews" || rs.RemoteField[0].Arguments["article_id"] != "$id" {
		t.Errorf("reviews = %+v", rs)
	}
	old := rels["stats"]
	if old == nil || old.Unread != "" || old.RemoteSchema != "reviews" || !slices.Equal(old.LHSFields, []string{"id"}) ||
		len(old.RemoteField) != 2 || old.RemoteField[0].Field != "article" || old.RemoteField[0].Arguments["id"] != "$id" || old.RemoteField[1].Field != "stats" {
		t.Errorf("stats (older layout) = %+v", old)
	}
	if b := rels["broken"]; b == nil || !strings.Contains(b.Unread, "relationship_type") {
		t.Errorf("broken = %+v, want it unread for its relationship_type", b)
	}
}

// TestNativeQueryRelationships: a native query's relationships are
// decided as Hasura's nativeQueryRelationshipField builds them: to
// another native query by the select permission on its logical model
// (its rows under that permission's filter: a selection of its entity
// for Filter), to a table by the table's select permission.
func TestNativeQueryRelationships(t *testing.T) {
	p := loadRemoteRel(t)
	cases := []struct {
		name, role, query string
		want              graphql.Decision
		why               string
		sels              []relSel
	}{
		{name: "array relationship to a native query, filtered", role: "user",
			query: "{ recent_articles { id comments { id body } } }", want: graphql.Allow,
			sels: []relSel{{"recent_articles", "native_query.recent_articles", "", []string{"id"}},
				{"recent_articles.comments", "native_query.article_comments", "comments", []string{"body", "id"}}}},
		{name: "a field outside the target's columns", role: "user",
			query: "{ recent_articles { comments { flagged } } }", want: graphql.Deny, why: "field flagged of logical model comment_row is not among the columns"},
		{name: "no select permission on the target's logical model", role: "anonymous",
			query: "{ recent_articles { id comments { id } } }", want: graphql.Deny, why: "field 'comments' not found in type: 'recent_articles'"},
		{name: "nested back to the first native query", role: "editor",
			query: "{ r: recent_articles { comments { on_article { title } } } }", want: graphql.Allow,
			sels: []relSel{{"r", "native_query.recent_articles", "", []string{}}, {"r.comments", "native_query.article_comments", "comments", []string{}},
				{"r.comments.on_article", "native_query.recent_articles", "on_article", []string{"title"}}}},
		{name: "object relationship to a table, filtered", role: "user",
			query: "{ recent_articles { article { id title } } }", want: graphql.Allow,
			sels: []relSel{{"recent_articles", "native_query.recent_articles", "", []string{}}, {"recent_articles.article", "public.articles", "article", []string{"id", "title"}}}},
		{name: "relationship to a table: a column outside its permission", role: "user",
			query: "{ recent_articles { article { author_id } } }", want: graphql.Deny, why: "field 'author_id' not found in type: 'articles'"},
		{name: "relationship to a table's remote relationship", role: "user",
			query: "{ recent_articles { article { author_profile { name } } } }", want: graphql.Allow,
			sels: []relSel{{"recent_articles", "native_query.recent_articles", "", []string{}}, {"recent_articles.article", "public.articles", "article", []string{}},
				{"recent_articles.article.author_profile", "public.profiles", "author_profile", []string{"name"}}}},
		{name: "a fragment on the native query's type", role: "user",
			query: "{ recent_articles { ... on recent_articles { id } } }", want: graphql.Allow},
		{name: "where and order_by on the target's rows (its logical model's fields)", role: "user",
			query: "{ recent_articles { comments(where: {id: {_eq: 1}}, order_by: {flagged: asc}) { id } } }", want: graphql.Allow},
		{name: "where on no field of the target's logical model", role: "user",
			query: "{ recent_articles { comments(where: {nope: {_eq: 1}}) { id } } }", want: graphql.Deny, why: "field 'nope' not found in type: 'comment_row_bool_exp'"},
		{name: "a relationship Warden could not read", role: "user",
			query: "{ recent_articles { odd { id } } }", want: graphql.Undecided, why: "could not read"},
		{name: "admin", role: "admin", query: "{ recent_articles { comments { anything } } }", want: graphql.Allow},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := graphql.Decide(p, graphql.Request{Role: c.role, Vars: map[string]string{"x-hasura-user-id": "7"}, Query: c.query})
			if err != nil {
				t.Fatal(err)
			}
			f := res.RootFields[0]
			if f.Decision != c.want || !strings.Contains(f.Reason, c.why) {
				t.Fatalf("%v (%s), want %v saying %q", f.Decision, f.Reason, c.want, c.why)
			}
			if c.sels != nil {
				checkSels(t, f, c.sels)
			}
		})
	}
}

// TestRemoteRelationshipToUnknownNames: a remote relationship to a table
// whose GraphQL names Warden cannot tell (its source's customization
// unreadable: the loader marks it NamesUnknown) is undecided, as a
// relationship within the source to such a table is; it was allowed.
func TestRemoteRelationshipToUnknownNames(t *testing.T) {
	p := loadRemoteRel(t)
	target := p.Tables[p.Resolve(model.TableName{Source: "accounts", Schema: "public", Name: "profiles"}, "")]
	if target == nil {
		t.Fatal("no accounts.public.profiles in the fixture")
	}
	query := "{ articles { id author_profile { name } } }"
	res, err := graphql.Decide(p, graphql.Request{Role: "user", Query: query})
	if err != nil || res.RootFields[0].Decision != graphql.Allow {
		t.Fatalf("with its names known: %+v, %v; want Allow", res, err)
	}
	if target.GraphQL == nil {
		target.GraphQL = &model.TableGraphQL{}
	}
	target.GraphQL.NamesUnknown = true
	res, err = graphql.Decide(p, graphql.Request{Role: "user", Query: query})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.RootFields[0]; f.Decision != graphql.Undecided || !strings.Contains(f.Reason, "cannot tell") {
		t.Errorf("%s: %v (%s), want Undecided: its names are unknown", query, f.Decision, f.Reason)
	}
}
