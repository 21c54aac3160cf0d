package graphql_test

import (
	"context"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/graphql"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// loadGraphqlDefault loads testdata/gqldefault: one source under
// Hasura's graphql-default naming convention.
func loadGraphqlDefault(t *testing.T) *model.Policy {
	t.Helper()
	p, err := load.Dir(context.Background(), "testdata/gqldefault")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGraphqlDefaultFieldNames: load gives every column of a
// graphql-default table its camelCase field name as Hasura's
// buildTableInfo does (snake_case words joined, a leading underscore kept,
// a custom name as written), and names tracked functions as Hasura's
// getFunctionGQLName does; a table whose column names it cannot tell
// keeps no root field and is marked so that no selection reaches it.
func TestGraphqlDefaultFieldNames(t *testing.T) {
	p := loadGraphqlDefault(t)
	posts := p.Tables[model.TableName{Schema: "public", Name: "blog_posts"}]
	authors := p.Tables[model.TableName{Schema: "public", Name: "blog_authors"}]
	odd := p.Tables[model.TableName{Schema: "public", Name: "odd_columns"}]
	if posts == nil || authors == nil || odd == nil {
		t.Fatalf("tables: %v", slices.Collect(maps.Keys(p.Tables)))
	}
	want := map[string]string{"id": "id", "author_id": "authorId", "title": "title", "view_count": "viewCount",
		"_internal_rank": "_internalRank", "addr_2nd": "addr2nd", "reviewer_notes": "reviewerNotes", "meta": "meta", "odd_id": "oddId"}
	if got := posts.GraphQL.ColumnNames; !maps.Equal(got, want) {
		t.Errorf("blog_posts column names = %v, want %v", got, want)
	}
	if g := posts.GraphQL; !g.GraphQLDefault || g.TypeName != "BlogPosts" || g.TypeBase != "BlogPosts" {
		t.Errorf("blog_posts GraphQL = %+v", g)
	}
	if got := authors.ColumnField("display_name"); got != "penName" {
		t.Errorf("blog_authors.display_name = %q, want the custom name penName", got)
	}
	if !odd.GraphQL.NamesUnknown {
		t.Error("odd_columns (column bad__col) is not marked NamesUnknown")
	}
	if _, ok := p.GraphQL.TableFields["oddColumns"]; ok {
		t.Error("oddColumns is a decided root field")
	}
	for name, fn := range map[string]string{"searchPosts": "search_posts", "searchPostsAggregate": "search_posts", "latestPosts": "recent_posts", "latestPosts_aggregate": "recent_posts"} {
		if f := p.GraphQL.Functions[name]; f == nil || f.Name.Name != fn {
			t.Errorf("function root field %s = %+v, want function %s", name, f, fn)
		}
	}
	for _, gone := range []string{"search_posts", "search_posts_aggregate", "latestPostsAggregate"} {
		if f := p.GraphQL.Functions[gone]; f != nil {
			t.Errorf("%s is a function root field: %+v", gone, f)
		}
	}
}

// TestSnakeToCamel: Hasura's snakeToCamel (Data.Text.Casing), on the
// examples of its documentation and of the naming convention's.
func TestSnakeToCamel(t *testing.T) {
	for in, want := range map[string]string{
		"user_id": "userId", "favourite_day": "favouriteDay", "app_db_app_users_aggregate": "appDbAppUsersAggregate",
		"_hello_world_foo": "_helloWorldFoo", "addr_2nd": "addr2nd", "UserName": "userName", "stddev_pop": "stddevPop",
		"_delete_at_path": "_deleteAtPath", "_set": "_set", "where": "where", "a__b": "aB", "x_": "x", "_": "_",
	} {
		if got := model.SnakeToCamel(in); got != want {
			t.Errorf("SnakeToCamel(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestGraphqlDefaultDecide: under graphql-default, table root fields,
// their arguments, inputs and selections are decided by the names
// Hasura gives them there (camelCase columns and arguments, PascalCase
// types in the denials), as the hasura-default ones are; the
// hasura-default spellings are not fields; what Warden cannot name is
// undecided.
func TestGraphqlDefaultDecide(t *testing.T) {
	p := loadGraphqlDefault(t)
	uid := map[string]string{"x-hasura-user-id": "7"}
	cases := []struct {
		name, role, query string
		want              graphql.Decision
		reason            string // in the reason of a field not allowed
		kind              graphql.FieldKind
		sels              []sel // of an allowed field
	}{
		// Selections and their arguments.
		{name: "select with camelCase columns, where, orderBy, distinctOn", role: "user",
			query: `{ blogPosts(where: {viewCount: {_gt: 10}, _and: [{title: {_ilike: "%go%"}}, {_not: {addr2nd: {_isNull: true}}}]},
				orderBy: [{viewCount: DESC_NULLS_LAST}, {author: {penName: ASC}}], distinctOn: [viewCount], limit: 5, offset: 1) {
				id authorId viewCount _internalRank addr2nd author { id penName } } }`,
			want: graphql.Allow,
			sels: []sel{{"blogPosts", "select", "public.blog_posts", []string{"_internal_rank", "addr_2nd", "author_id", "id", "view_count"}},
				{"blogPosts.author", "select", "public.blog_authors", []string{"display_name", "id"}}}},
		{name: "a snake_case column is not a field", role: "user", query: `{ blogPosts { id view_count } }`,
			want: graphql.Deny, reason: "field 'view_count' not found in type: 'BlogPosts'"},
		{name: "a column the role may not read", role: "user", query: `{ blogPosts { id reviewerNotes } }`,
			want: graphql.Deny, reason: "field 'reviewerNotes' not found in type: 'BlogPosts': role user may not select column reviewer_notes"},
		{name: "a custom column name is kept", role: "user", query: `{ blogAuthors { id penName } }`,
			want: graphql.Allow, sels: []sel{{"blogAuthors", "select", "public.blog_authors", []string{"display_name", "id"}}}},
		{name: "a custom-named column has no camelCase name", role: "user", query: `{ blogAuthors { displayName } }`,
			want: graphql.Deny, reason: "field 'displayName' not found in type: 'BlogAuthors'"},
		{name: "where on an unreadable column", role: "user", query: `{ blogPosts(where: {reviewerNotes: {_isNull: true}}) { id } }`,
			want: graphql.Deny, reason: "field 'reviewerNotes' not found in type: 'BlogPostsBoolExp'"},
		{name: "orderBy on an unreadable column", role: "user", query: `{ blogPosts(orderBy: {reviewerNotes: ASC}) { id } }`,
			want: graphql.Deny, reason: "field 'reviewerNotes' not found in type: 'BlogPostsOrderBy'"},
		{name: "distinctOn an unreadable column", role: "user", query: `{ blogPosts(distinctOn: [reviewerNotes]) { id } }`,
			want: graphql.Deny, reason: "value 'reviewerNotes' not found in enum: 'BlogPostsSelectColumn'"},
		{name: "by pk with a camelCase selection", role: "reader", query: `{ blogPostsByPk(id: 1) { id title } }`,
			want: graphql.Allow, sels: []sel{{"blogPostsByPk", "select", "public.blog_posts", []string{"id", "title"}}}},
		{name: "stream with a camelCase cursor", role: "user",
			query: `subscription { blogPostsStream(batchSize: 10, cursor: {initialValue: {viewCount: 0}, ordering: ASC}) { id } }`,
			want:  graphql.Allow, sels: []sel{{"blogPostsStream", "select", "public.blog_posts", []string{"id"}}}},
		{name: "stream cursor on an unreadable column", role: "user",
			query: `subscription { blogPostsStream(batchSize: 10, cursor: {initialValue: {reviewerNotes: "a"}}) { id } }`,
			want:  graphql.Deny, reason: "field 'reviewerNotes' not found in type: 'BlogPostsStreamCursorValueInput'"},

		// Aggregates.
		{name: "aggregate with allow_aggregations", role: "user",
			query: `{ blogPostsAggregate(where: {authorId: {_eq: 7}}) { aggregate { count(columns: [viewCount], distinct: true) sum { viewCount } stddevPop { viewCount } max { addr2nd } } nodes { id title } } }`,
			want:  graphql.Allow,
			sels: []sel{{"blogPostsAggregate", "select", "public.blog_posts", []string{"addr_2nd", "view_count"}},
				{"blogPostsAggregate.nodes", "select", "public.blog_posts", []string{"id", "title"}}}},
		{name: "aggregate without allow_aggregations", role: "reader", query: `{ blogPostsAggregate { aggregate { count } } }`,
			want: graphql.Deny, reason: "does not allow aggregations"},
		{name: "a snake_case aggregate function is not a field", role: "user", query: `{ blogPostsAggregate { aggregate { stddev_pop { viewCount } } } }`,
			want: graphql.Deny, reason: "field 'stddev_pop' not found in type: 'BlogPostsAggregateFields'"},
		{name: "count over an unreadable column", role: "user", query: `{ blogPostsAggregate { aggregate { count(columns: [reviewerNotes]) } } }`,
			want: graphql.Deny, reason: "'BlogPostsSelectColumn'"},
		{name: "an array relationship and its aggregate", role: "user",
			query: `{ blogPosts(orderBy: {commentsAggregate: {count: DESC}}, where: {commentsAggregate: {count: {predicate: {_gt: 1}, filter: {bodyText: {_eq: "x"}}}}}) {
				id commentsAggregate(where: {bodyText: {_ilike: "%x%"}}) { aggregate { count } } comments(orderBy: {id: DESC}) { bodyText } } }`,
			want: graphql.Allow,
			sels: []sel{{"blogPosts", "select", "public.blog_posts", []string{"id"}},
				{"blogPosts.commentsAggregate", "select", "public.post_comments", []string{}},
				{"blogPosts.comments", "select", "public.post_comments", []string{"body_text"}}}},
		{name: "a relationship aggregate under hasura-default's name", role: "user", query: `{ blogPosts { comments_aggregate { aggregate { count } } } }`,
			want: graphql.Deny, reason: "field 'comments_aggregate' not found in type: 'BlogPosts'"},
		{name: "the aggregate of a snake_case relationship is undecided", role: "user", query: `{ blogPosts { allCommentsAggregate { aggregate { count } } } }`,
			want: graphql.Undecided, reason: "all_comments"},
		{name: "the snake_case relationship itself", role: "user", query: `{ blogPosts { all_comments { bodyText } } }`,
			want: graphql.Allow, sels: []sel{{"blogPosts", "select", "public.blog_posts", []string{}},
				{"blogPosts.all_comments", "select", "public.post_comments", []string{"body_text"}}}},
		{name: "an aggregation predicate without allow_aggregations on the target", role: "reader",
			query: `{ blogPosts(where: {commentsAggregate: {count: {predicate: {_gt: 1}}}}) { id } }`,
			want:  graphql.Deny, reason: "field 'commentsAggregate' not found in type: 'BlogPostsBoolExp'"},
		{name: "a relationship to a table whose names Warden cannot tell", role: "user", query: `{ blogPosts { id oddity { id } } }`,
			want: graphql.Undecided, reason: "cannot tell"},

		// Inserts.
		{name: "insert with a nested insert, onConflict and returning", role: "user",
			query: `mutation { insertBlogPosts(objects: [{title: "t", viewCount: 1, comments: {data: [{bodyText: "c"}]}}],
				onConflict: {constraint: blog_posts_pkey, updateColumns: [title, viewCount], where: {viewCount: {_lt: 5}}}) {
				affectedRows returning { id title } } }`,
			want: graphql.Allow,
			sels: []sel{{"insertBlogPosts", "insert", "public.blog_posts", []string{"title", "view_count"}},
				{"insertBlogPosts.comments", "insert", "public.post_comments", []string{"body_text"}},
				{"insertBlogPosts.onConflict", "update", "public.blog_posts", []string{"title", "view_count"}},
				{"insertBlogPosts.returning", "select", "public.blog_posts", []string{"id", "title"}}}},
		{name: "insert of a preset column", role: "user", query: `mutation { insertBlogPosts(objects: {authorId: 3, title: "t"}) { affectedRows } }`,
			want: graphql.Deny, reason: "field 'authorId' not found in type: 'BlogPostsInsertInput': role user may not insert column author_id of public.blog_posts (the permission presets it)"},
		{name: "insert under a snake_case column name", role: "user", query: `mutation { insertBlogPosts(objects: {view_count: 3}) { affectedRows } }`,
			want: graphql.Deny, reason: "field 'view_count' not found in type: 'BlogPostsInsertInput'"},
		{name: "onConflict updating a column the update permission lacks", role: "user",
			query: `mutation { insertBlogPosts(objects: {title: "t"}, onConflict: {constraint: blog_posts_pkey, updateColumns: [addr2nd]}) { affectedRows } }`,
			want:  graphql.Deny, reason: "value 'addr2nd' not found in enum: 'BlogPostsUpdateColumn'"},
		{name: "onConflict with the older update_columns spelling", role: "user",
			query: `mutation { insertBlogPosts(objects: {title: "t"}, onConflict: {constraint: blog_posts_pkey, update_columns: [title]}) { affected_rows } }`,
			want:  graphql.Allow,
			sels: []sel{{"insertBlogPosts", "insert", "public.blog_posts", []string{"title"}},
				{"insertBlogPosts.onConflict", "update", "public.blog_posts", []string{"title"}}}},
		{name: "onConflict with the older spelling of a column it may not update", role: "user",
			query: `mutation { insertBlogPosts(objects: {title: "t"}, onConflict: {constraint: blog_posts_pkey, update_columns: [addr2nd]}) { affectedRows } }`,
			want:  graphql.Deny, reason: "'BlogPostsUpdateColumn'"},
		{name: "insert one, its row read back", role: "user", query: `mutation { insertBlogPostsOne(object: {title: "t"}) { id viewCount } }`,
			want: graphql.Allow, sels: []sel{{"insertBlogPostsOne", "insert", "public.blog_posts", []string{"title"}},
				{"insertBlogPostsOne", "select", "public.blog_posts", []string{"id", "view_count"}}}},

		// Updates and deletes.
		{name: "update by pk with pkColumns, _set and _inc", role: "user",
			query: `mutation { updateBlogPostsByPk(pkColumns: {id: 1}, _set: {title: "x"}, _inc: {viewCount: 1}) { id title } }`,
			want:  graphql.Allow,
			sels: []sel{{"updateBlogPostsByPk", "update", "public.blog_posts", []string{"title", "view_count"}},
				{"updateBlogPostsByPk", "select", "public.blog_posts", []string{"id", "title"}}}},
		{name: "_set of a column the permission lacks", role: "user", query: `mutation { updateBlogPosts(where: {}, _set: {addr2nd: "x"}) { affectedRows } }`,
			want: graphql.Deny, reason: "field 'addr2nd' not found in type: 'BlogPostsSetInput': role user may not update it on public.blog_posts"},
		{name: "a camelCase jsonb operator", role: "user", query: `mutation { updateBlogPosts(where: {id: {_eq: 1}}, _deleteKey: {meta: "k"}) { affectedRows } }`,
			want: graphql.Allow, sels: []sel{{"updateBlogPosts", "update", "public.blog_posts", []string{"meta"}}}},
		{name: "a camelCase jsonb operator on a column the permission lacks", role: "user",
			query: `mutation { updateBlogPosts(where: {}, _deleteAtPath: {reviewerNotes: ["a"]}) { affectedRows } }`,
			want:  graphql.Deny, reason: "'BlogPostsDeleteAtPathInput'"},
		{name: "update many with an unreadable where", role: "user",
			query: `mutation { updateBlogPostsMany(updates: [{where: {id: {_eq: 1}}, _set: {title: "a"}}, {where: {reviewerNotes: {_isNull: true}}, _set: {viewCount: 2}}]) { affectedRows } }`,
			want:  graphql.Deny, reason: "field 'reviewerNotes' not found in type: 'BlogPostsBoolExp'"},
		{name: "delete", role: "user", query: `mutation { deleteBlogPosts(where: {authorId: {_eq: 7}}) { affectedRows } }`,
			want: graphql.Allow, sels: []sel{{"deleteBlogPosts", "delete", "public.blog_posts", []string{}}}},
		{name: "delete by pk", role: "user", query: `mutation { deleteBlogPostsByPk(id: 1) { id viewCount } }`,
			want: graphql.Allow, sels: []sel{{"deleteBlogPostsByPk", "delete", "public.blog_posts", []string{}},
				{"deleteBlogPostsByPk", "select", "public.blog_posts", []string{"id", "view_count"}}}},
		{name: "delete without the permission", role: "reader", query: `mutation { deleteBlogPosts(where: {}) { affectedRows } }`,
			want: graphql.Deny, reason: "no delete permission"},
		{name: "a field the mutation response lacks", role: "user", query: `mutation { deleteBlogPosts(where: {}) { rows } }`,
			want: graphql.Deny, reason: "field 'rows' not found in type: 'BlogPostsMutationResponse'"},

		// Tracked functions and native queries.
		{name: "a function by its camelCase name", role: "user",
			query: `{ searchPosts(args: {q: "go"}, where: {viewCount: {_gt: 1}}, orderBy: {title: ASC}) { id viewCount } }`,
			want:  graphql.Allow, kind: graphql.FunctionField,
			sels: []sel{{"searchPosts", "select", "public.blog_posts", []string{"id", "view_count"}}}},
		{name: "a function's aggregate", role: "user", query: `{ searchPostsAggregate(args: {q: "go"}) { aggregate { count } } }`,
			want: graphql.Allow, kind: graphql.FunctionField, sels: []sel{{"searchPostsAggregate", "select", "public.blog_posts", []string{}}}},
		{name: "a function's aggregate without allow_aggregations", role: "reader", query: `{ searchPostsAggregate(args: {q: "go"}) { aggregate { count } } }`,
			want: graphql.Deny, kind: graphql.FunctionField, reason: "does not allow aggregations"},
		{name: "a function selecting an unreadable column", role: "user", query: `{ searchPosts(args: {q: "go"}) { reviewerNotes } }`,
			want: graphql.Deny, kind: graphql.FunctionField, reason: "field 'reviewerNotes' not found in type: 'BlogPosts'"},
		{name: "a function with a custom name", role: "user", query: `{ latestPosts { id } }`,
			want: graphql.Allow, kind: graphql.FunctionField, sels: []sel{{"latestPosts", "select", "public.blog_posts", []string{"id"}}}},
		{name: "a function under its hasura-default name", role: "user", query: `{ search_posts(args: {q: "go"}) { id } }`,
			want: graphql.Undecided, reason: "neither"},
		{name: "a native query keeps its names", role: "user", query: `{ post_summaries { post_id } }`,
			want: graphql.Allow, kind: graphql.NativeQueryField},
		{name: "a native query field the role may not select", role: "user", query: `{ post_summaries { post_id title_text } }`,
			want: graphql.Deny, kind: graphql.NativeQueryField, reason: "title_text"},

		// hasura-default spellings of the arguments and inputs the
		// convention renames are not in the role's schema.
		{name: "order_by is not an argument", role: "user", query: `{ blogPosts(order_by: {reviewerNotes: asc}) { id } }`,
			want: graphql.Deny, reason: `"blogPosts" has no argument named "order_by"`},
		{name: "distinct_on on a relationship is not an argument", role: "user", query: `{ blogPosts { comments(distinct_on: [id]) { id } } }`,
			want: graphql.Deny, reason: `"comments" has no argument named "distinct_on"`},
		{name: "pk_columns is not an argument", role: "user", query: `mutation { updateBlogPostsByPk(pk_columns: {id: 1}, _set: {title: "x"}) { id } }`,
			want: graphql.Deny, reason: `"updateBlogPostsByPk" has no argument named "pk_columns"`},
		{name: "_delete_key is not an argument", role: "user", query: `mutation { updateBlogPosts(where: {}, _delete_key: {meta: "k"}) { affectedRows } }`,
			want: graphql.Deny, reason: `has no argument named "_delete_key"`},
		{name: "_delete_key is not a field of an update", role: "user", query: `mutation { updateBlogPostsMany(updates: [{where: {}, _delete_key: {meta: "k"}}]) { affectedRows } }`,
			want: graphql.Deny, reason: "field '_delete_key' not found in type: 'BlogPostsUpdates'"},
		{name: "on_conflict is not a field of a nested insert", role: "user",
			query: `mutation { insertBlogPosts(objects: {title: "t", comments: {data: [{bodyText: "c"}], on_conflict: {constraint: post_comments_pkey, update_columns: []}}}) { affectedRows } }`,
			want:  graphql.Deny, reason: "field 'on_conflict' not found in type: 'PostCommentsArrRelInsertInput'"},
		{name: "initial_value is not a field of a cursor", role: "user",
			query: `subscription { blogPostsStream(batchSize: 1, cursor: {initial_value: {id: 0}}) { id } }`,
			want:  graphql.Deny, reason: "field 'initial_value' not found in type: 'BlogPostsStreamCursorInput'"},
		{name: "order_by is not an argument of a function", role: "user", query: `{ searchPosts(order_by: {title: asc}) { id } }`,
			want: graphql.Deny, kind: graphql.FunctionField, reason: `"searchPosts" has no argument named "order_by"`},

		// Admin has every field, and only the convention's.
		{name: "admin reads every column", role: "admin", query: `{ blogPosts { reviewerNotes } }`,
			want: graphql.Allow, sels: []sel{{"blogPosts", "select", "public.blog_posts", []string{"reviewer_notes"}}}},
		{name: "admin has no snake_case column", role: "admin", query: `{ blogPosts { reviewer_notes } }`,
			want: graphql.Deny, reason: "field 'reviewer_notes' not found in type: 'BlogPosts'"},
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
			if f.Decision != c.want || res.Decision != c.want {
				t.Fatalf("field %s: %v (%s), operation %v, want %v", f.Name, f.Decision, f.Reason, res.Decision, c.want)
			}
			if c.reason != "" && !strings.Contains(f.Reason, c.reason) {
				t.Errorf("reason %q, want it to hold %q", f.Reason, c.reason)
			}
			kind := c.kind
			if kind == 0 {
				kind = graphql.TableRootFieldKind
			}
			if c.want != graphql.Undecided && f.Kind != kind {
				t.Errorf("kind %v, want %v", f.Kind, kind)
			}
			if c.sels == nil {
				return
			}
			if f.Table == nil {
				t.Fatalf("no table selections: %+v", f)
			}
			var got []sel
			for _, s := range f.Table.Selections {
				got = append(got, sel{s.Path, s.Op.String(), s.Table.String(), s.Columns})
			}
			if len(got) != len(c.sels) {
				t.Fatalf("selections %v, want %v", got, c.sels)
			}
			for i := range got {
				g, w := got[i], c.sels[i]
				if g.path != w.path || g.op != w.op || g.table != w.table || !slices.Equal(g.cols, w.cols) {
					t.Errorf("selection %d = %v, want %v", i, g, w)
				}
			}
		})
	}
}

// gqldefaultVariant loads testdata/gqldefault with its metadata.json
// edited (old replaced by new).
func gqldefaultVariant(t *testing.T, old, new string) *model.Policy {
	t.Helper()
	return gqldefaultVariantOf(t, map[string]string{old: new})
}

// gqldefaultVariantOf loads testdata/gqldefault with its metadata.json
// edited (each key replaced by its value).
func gqldefaultVariantOf(t *testing.T, edits map[string]string) *model.Policy {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, name := range []string{"metadata.json", "schema.yaml"} {
		b, err := os.ReadFile("testdata/gqldefault/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if name == "metadata.json" {
			for old, new := range edits {
				if !strings.Contains(string(b), old) {
					t.Fatalf("metadata.json has no %q", old)
				}
				b = []byte(strings.Replace(string(b), old, new, 1))
			}
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	p, err := load.FS(context.Background(), fsys, "test:gqldefault")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGraphqlDefaultUncertainNames: what Warden cannot name under
// graphql-default is undecided, never allowed: a table with a custom
// column name the convention might change (older Hasura versions
// camelCased custom names too) has no decided root field, and a
// relationship reaching it is undecided.
func TestGraphqlDefaultUncertainNames(t *testing.T) {
	p := gqldefaultVariant(t, `"table": {"schema": "public", "name": "blog_posts"},`,
		`"table": {"schema": "public", "name": "blog_posts"}, "configuration": {"column_config": {"view_count": {"custom_name": "view_total"}}},`)
	uid := map[string]string{"x-hasura-user-id": "7"}
	for query, reason := range map[string]string{
		`{ blogPosts { id } }`:                   "neither",
		`{ blogAuthors { id posts { id } } }`:    "cannot tell",
		`{ searchPosts(args: {q: "x"}) { id } }`: "cannot tell",
	} {
		res, err := graphql.Decide(p, graphql.Request{Role: "user", Vars: uid, Query: query})
		if err != nil {
			t.Fatal(err)
		}
		if f := res.RootFields[0]; f.Decision != graphql.Undecided || !strings.Contains(f.Reason, reason) {
			t.Errorf("%s: %v (%s), want undecided (%s)", query, f.Decision, f.Reason, reason)
		}
	}
	noted := false
	for _, n := range p.Notes {
		noted = noted || strings.Contains(n, `custom name "view_total"`)
	}
	if !noted {
		t.Errorf("notes = %q, want one on view_total", p.Notes)
	}

	p = gqldefaultVariant(t, `"customization": {"naming_convention": "graphql-default"}`,
		`"customization": {"naming_convention": "graphql-default", "root_fields": {"prefix": "blog_"}}`)
	if _, ok := p.GraphQL.TableFields["blog_BlogPosts"]; !ok {
		t.Error("blog_BlogPosts is not a table root field")
	}
	// The prefix applies to functions as to tables (funcnames_test.go
	// goes through the names).
	for _, name := range []string{"searchPosts", "search_posts", "blog_searchPosts"} {
		if f := p.GraphQL.Functions[name]; f != nil {
			t.Errorf("function root field %s: %+v, want none (a prefixed graphql-default source)", name, f)
		}
	}
	res, err := graphql.Decide(p, graphql.Request{Role: "user", Vars: uid, Query: `{ blog_SearchPosts(args: {q: "x"}) { id } }`})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.RootFields[0]; f.Decision != graphql.Allow || f.Kind != graphql.FunctionField {
		t.Errorf("blog_SearchPosts: %v (%s), want an allowed function", f.Decision, f.Reason)
	}
}

// TestUnreadableConfigurationReached: whatever the naming convention, a
// table whose configuration Warden cannot read (here column_config is
// not an object) has field names Warden cannot tell: a relationship
// reaching it is undecided, never decided by the default names.
func TestUnreadableConfigurationReached(t *testing.T) {
	p := gqldefaultVariant(t, `"customization": {"naming_convention": "graphql-default"}`, `"customization": {"naming_convention": "hasura-default"}`)
	uid := map[string]string{"x-hasura-user-id": "7"}
	res, err := graphql.Decide(p, graphql.Request{Role: "user", Vars: uid, Query: `{ blog_posts { id author { id display_name } } }`})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.RootFields[0]; f.Decision != graphql.Deny || !strings.Contains(f.Reason, "display_name") {
		t.Errorf("hasura-default, custom name penName: %v (%s), want a denial of display_name", f.Decision, f.Reason)
	}
	p = gqldefaultVariantOf(t, map[string]string{
		`"customization": {"naming_convention": "graphql-default"}`:                        `"customization": {"naming_convention": "hasura-default"}`,
		`"configuration": {"column_config": {"display_name": {"custom_name": "penName"}}}`: `"configuration": {"column_config": 5}`,
	})
	res, err = graphql.Decide(p, graphql.Request{Role: "user", Vars: uid, Query: `{ blog_posts { id author { id } } }`})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.RootFields[0]; f.Decision != graphql.Undecided || !strings.Contains(f.Reason, "cannot tell") {
		t.Errorf("a relationship to a table with an unreadable configuration: %v (%s), want undecided", f.Decision, f.Reason)
	}
}
