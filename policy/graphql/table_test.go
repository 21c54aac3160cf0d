package graphql_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/graphql"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

func loadTables(t testing.TB) *model.Policy {
	t.Helper()
	// Not strict: staff's delete permission on articles is inconsistent
	// (its parents' differ) and left out, as Hasura does.
	p, err := load.Dir(context.Background(), "testdata/tables")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sel is an expected table selection: "path op table [cols]".
type sel struct {
	path, op, table string
	cols            []string
}

// TestTableRootFields: table root fields are decided as Hasura builds
// the role's schema (testdata/tables: custom names, root field
// visibility, a namespaced source, presets, backend_only, an inherited
// role), and an allowed field lists what it reads and writes.
func TestTableRootFields(t *testing.T) {
	p := loadTables(t)
	uid := map[string]string{"x-hasura-user-id": "7"}
	cases := []struct {
		name      string
		role      string
		query     string
		vars      map[string]any
		backend   bool
		want      []graphql.Decision
		reason    string // in the first non-allowed field's reason
		sels      []sel  // of the first field, when allowed
		namespace string
	}{
		{name: "select with object relationship", role: "user",
			query: "{ articles(where: {published: {_eq: true}}, order_by: {title: asc}) { id title author { id name } } }",
			want:  []graphql.Decision{graphql.Allow},
			sels:  []sel{{"articles", "select", "public.articles", []string{"id", "title"}}, {"articles.author", "select", "public.authors", []string{"id", "name"}}}},
		{name: "column outside the permission", role: "user", query: "{ articles { id reviewer_notes } }",
			want: []graphql.Decision{graphql.Deny}, reason: "field 'reviewer_notes' not found in type: 'articles'"},
		{name: "aggregate left out of query_root_fields", role: "user", query: "{ articles_aggregate { aggregate { count } } }",
			want: []graphql.Decision{graphql.Deny}, reason: "query_root_fields"},
		{name: "aggregate with allow_aggregations", role: "editor",
			query: "{ articles_aggregate(where: {published: {_eq: true}}) { aggregate { count(columns: [author_id]) max { id } } nodes { title } } }",
			want:  []graphql.Decision{graphql.Allow},
			sels:  []sel{{"articles_aggregate", "select", "public.articles", []string{"author_id", "id"}}, {"articles_aggregate.nodes", "select", "public.articles", []string{"title"}}}},
		{name: "aggregate column outside the permission", role: "user", query: "{ writers_aggregate { aggregate { count } } }",
			want: []graphql.Decision{graphql.Deny}, reason: "does not allow aggregations"},
		{name: "subscription root fields: select hidden", role: "user", query: "subscription { articles { id } }",
			want: []graphql.Decision{graphql.Deny}, reason: "subscription_root_fields"},
		{name: "subscription root fields: stream shown", role: "user",
			query: "subscription { articles_stream(batch_size: 1, cursor: {initial_value: {id: 0}}) { id } }",
			want:  []graphql.Decision{graphql.Allow}},
		{name: "stream cursor on a column outside the permission", role: "user",
			query: "subscription { articles_stream(batch_size: 1, cursor: {initial_value: {reviewer_notes: \"a\"}}) { id } }",
			want:  []graphql.Decision{graphql.Deny}, reason: "articles_stream_cursor_value_input"},
		{name: "stream is not on the query root", role: "user", query: "{ articles_stream(batch_size: 1, cursor: {initial_value: {id: 0}}) { id } }",
			want: []graphql.Decision{graphql.Undecided}},
		{name: "empty query_root_fields: only through relationships", role: "reader", query: "{ articles { id } }",
			want: []graphql.Decision{graphql.Deny}, reason: "query_root_fields"},
		{name: "absent subscription_root_fields: all", role: "reader", query: "subscription { articles { id title } }",
			want: []graphql.Decision{graphql.Allow}},
		{name: "by_pk", role: "user", query: "{ articles_by_pk(id: 1) { id body } }", want: []graphql.Decision{graphql.Allow},
			sels: []sel{{"articles_by_pk", "select", "public.articles", []string{"body", "id"}}}},
		{name: "by_pk without a primary key", role: "user", query: "{ audit_log_by_pk(id: 1) { id } }",
			want: []graphql.Decision{graphql.Deny}, reason: "has no primary key"},
		{name: "custom_name and custom_root_fields", role: "user", query: "{ writers { id name } w: writer(id: 1) { id } }",
			want: []graphql.Decision{graphql.Allow, graphql.Allow}},
		{name: "the table's own name is not a root field once renamed", role: "user", query: "{ authors { id } }",
			want: []graphql.Decision{graphql.Undecided}},
		{name: "column custom_name", role: "editor", query: "{ writers { emailAddress } }", want: []graphql.Decision{graphql.Allow},
			sels: []sel{{"writers", "select", "public.authors", []string{"email"}}}},
		{name: "renamed column under its column name", role: "editor", query: "{ writers { email } }",
			want: []graphql.Decision{graphql.Deny}, reason: "field 'email' not found in type: 'writers'"},
		{name: "schema prefix outside public", role: "user", query: "{ app_tags { label } }", want: []graphql.Decision{graphql.Allow}},
		{name: "namespace, prefix and suffix", role: "user", query: "{ ns: ext { x_events_v1 { id } } }",
			want: []graphql.Decision{graphql.Allow}, namespace: "ns",
			sels: []sel{{"x_events_v1", "select", "public.events", []string{"id"}}}},
		{name: "type_names prefix in the error", role: "user", query: "{ ext { x_events_v1 { kind } } }",
			want: []graphql.Decision{graphql.Deny}, reason: "not found in type: 'Xevents'", namespace: "ext"},
		{name: "relationship to a table without select permission", role: "reader", query: "subscription { articles { id author { id } } }",
			want: []graphql.Decision{graphql.Deny}, reason: "no select permission on public.authors"},
		{name: "array relationship and its aggregate", role: "editor",
			query: "{ writers { articles(where: {published: {_eq: true}}) { title } articles_aggregate { aggregate { count } } } }",
			want:  []graphql.Decision{graphql.Allow},
			sels: []sel{{"writers", "select", "public.authors", []string{}}, {"writers.articles", "select", "public.articles", []string{"title"}},
				{"writers.articles_aggregate", "select", "public.articles", []string{}}}},
		{name: "where on a column outside the permission", role: "user", query: "{ articles(where: {reviewer_notes: {_eq: \"x\"}}) { id } }",
			want: []graphql.Decision{graphql.Deny}, reason: "'articles_bool_exp'"},
		{name: "where through a relationship", role: "user", query: "{ articles(where: {author: {emailAddress: {_eq: \"x\"}}}) { id } }",
			want: []graphql.Decision{graphql.Deny}, reason: "field 'emailAddress' not found in type: 'writers_bool_exp'"},
		{name: "aggregation predicate over readable columns", role: "editor",
			query: "{ writers(where: {articles_aggregate: {count: {arguments: [title], filter: {published: {_eq: true}}, predicate: {_gt: 1}}}}) { id } }",
			want:  []graphql.Decision{graphql.Allow}},
		{name: "aggregation predicate without allow_aggregations", role: "staff",
			query: "{ articles(where: {author: {articles_aggregate: {count: {predicate: {_gt: 1}}}}}) { id } }",
			want:  []graphql.Decision{graphql.Deny}, reason: "does not allow aggregations"},
		{name: "aggregation predicate's filter is a where on the target", role: "editor",
			query: "{ writers(where: {articles_aggregate: {count: {filter: {emailAddress: {_eq: \"x\"}}, predicate: {_gt: 1}}}}) { id } }",
			want:  []graphql.Decision{graphql.Deny}, reason: "field 'emailAddress' not found in type: 'articles_bool_exp'"},
		{name: "aggregation predicate's arguments are columns of the target", role: "editor",
			query: "{ writers(where: {articles_aggregate: {count: {arguments: [nope], predicate: {_gt: 1}}}}) { id } }",
			want:  []graphql.Decision{graphql.Deny}, reason: "value 'nope' not found in enum: 'articles_select_column'"},
		{name: "order_by on a column outside the permission", role: "user", query: "{ articles(order_by: [{reviewer_notes: desc}]) { id } }",
			want: []graphql.Decision{graphql.Deny}, reason: "articles_order_by"},
		{name: "inherited role: root fields and columns unioned", role: "staff", query: "{ articles { id body } }",
			want: []graphql.Decision{graphql.Allow}},
		{name: "inherited role: aggregate still hidden", role: "staff", query: "{ articles_aggregate { aggregate { count } } }",
			want: []graphql.Decision{graphql.Deny}},
		{name: "a remote relationship is not decided", role: "user", query: "{ articles { id reviews { stars } } }",
			want: []graphql.Decision{graphql.Undecided}, reason: "reviews is a remote relationship of public.articles"},
		{name: "admin reads everything", role: "admin", query: "{ articles { reviewer_notes author { emailAddress } } }",
			want: []graphql.Decision{graphql.Allow}},
		{name: "no permission at all", role: "anonymous", query: "{ articles { id } }",
			want: []graphql.Decision{graphql.Deny}, reason: "role anonymous has no select permission on public.articles"},

		// Mutations.
		{name: "insert with returning", role: "user", query: `mutation { insert_articles(objects: [{title: "t", body: "b"}]) { affected_rows returning { id } } }`,
			want: []graphql.Decision{graphql.Allow},
			sels: []sel{{"insert_articles", "insert", "public.articles", []string{"body", "title"}}, {"insert_articles.returning", "select", "public.articles", []string{"id"}}}},
		{name: "insert of a preset column", role: "user", query: `mutation { insert_articles(objects: {title: "t", author_id: 5}) { affected_rows } }`,
			want: []graphql.Decision{graphql.Deny}, reason: "the permission presets it"},
		{name: "insert rows from variables", role: "user", query: `mutation M($o: [articles_insert_input!]!) { insert_articles(objects: $o) { affected_rows } }`,
			vars: map[string]any{"o": []any{map[string]any{"title": "a"}, map[string]any{"title": "b", "published": true}}},
			want: []graphql.Decision{graphql.Deny}, reason: "field 'published' not found in type: 'articles_insert_input'"},
		{name: "insert_one", role: "user", query: `mutation { insert_articles_one(object: {title: "t"}) { id title } }`,
			want: []graphql.Decision{graphql.Allow},
			sels: []sel{{"insert_articles_one", "insert", "public.articles", []string{"title"}}, {"insert_articles_one", "select", "public.articles", []string{"id", "title"}}}},
		{name: "backend_only insert, frontend request", role: "importer", query: `mutation { insert_articles(objects: {title: "t"}) { affected_rows } }`,
			want: []graphql.Decision{graphql.Deny}, reason: "backend_only"},
		{name: "backend_only insert, backend request", role: "importer", backend: true,
			query: `mutation { insert_articles(objects: {title: "t", reviewer_notes: "n"}) { affected_rows } }`,
			want:  []graphql.Decision{graphql.Allow}},
		{name: "insert_one needs the select permission", role: "importer", backend: true,
			query: `mutation { insert_articles_one(object: {title: "t"}) { id } }`,
			want:  []graphql.Decision{graphql.Deny}, reason: "no select permission"},
		{name: "returning needs the select permission", role: "importer", backend: true,
			query: `mutation { insert_articles(objects: {title: "t"}) { returning { id } } }`,
			want:  []graphql.Decision{graphql.Deny}, reason: "field 'returning' not found in type: 'articles_mutation_response'"},
		{name: "nested insert", role: "editor",
			query: `mutation { insert_writers(objects: [{name: "a", emailAddress: "e", articles: {data: [{title: "x", published: false}]}}]) { affected_rows } }`,
			want:  []graphql.Decision{graphql.Allow},
			sels:  []sel{{"insert_writers", "insert", "public.authors", []string{"email", "name"}}, {"insert_writers.articles", "insert", "public.articles", []string{"published", "title"}}}},
		{name: "nested insert without the target's insert permission", role: "user",
			query: `mutation { insert_articles(objects: {title: "t", author: {data: {name: "x"}}}) { affected_rows } }`,
			want:  []graphql.Decision{graphql.Deny}, reason: "no insert permission on public.authors"},
		{name: "upsert", role: "user",
			query: `mutation { insert_articles(objects: {title: "t"}, on_conflict: {constraint: articles_pkey, update_columns: [title]}) { affected_rows } }`,
			want:  []graphql.Decision{graphql.Allow},
			sels:  []sel{{"insert_articles", "insert", "public.articles", []string{"title"}}, {"insert_articles.on_conflict", "update", "public.articles", []string{"title"}}}},
		{name: "upsert of a column the update permission lacks", role: "user",
			query: `mutation { insert_articles(objects: {title: "t"}, on_conflict: {constraint: articles_pkey, update_columns: [published]}) { affected_rows } }`,
			want:  []graphql.Decision{graphql.Deny}, reason: "articles_update_column"},
		{name: "upsert without update permission", role: "editor",
			query: `mutation { insert_writers(objects: {name: "t"}, on_conflict: {constraint: authors_pkey, update_columns: []}) { affected_rows } }`,
			want:  []graphql.Decision{graphql.Deny}, reason: "argument 'on_conflict' not found"},
		{name: "update", role: "user", query: `mutation { update_articles(where: {id: {_eq: 1}}, _set: {title: "x"}) { affected_rows } }`,
			want: []graphql.Decision{graphql.Allow},
			sels: []sel{{"update_articles", "update", "public.articles", []string{"title"}}}},
		{name: "update of a column outside the permission", role: "user", query: `mutation { update_articles(where: {}, _set: {published: true}) { affected_rows } }`,
			want: []graphql.Decision{graphql.Deny}, reason: "field 'published' not found in type: 'articles_set_input'"},
		{name: "update_by_pk", role: "user", query: `mutation { update_articles_by_pk(pk_columns: {id: 1}, _set: {body: "b"}) { id } }`,
			want: []graphql.Decision{graphql.Allow}},
		{name: "update_many with an unreadable where", role: "user",
			query: `mutation { update_articles_many(updates: [{where: {id: {_eq: 1}}, _set: {title: "a"}}, {where: {reviewer_notes: {_is_null: true}}, _set: {body: "b"}}]) { affected_rows } }`,
			want:  []graphql.Decision{graphql.Deny}, reason: "reviewer_notes"},
		{name: "delete", role: "user", query: `mutation { delete_articles(where: {author_id: {_eq: 1}}) { affected_rows } }`,
			want: []graphql.Decision{graphql.Allow}, sels: []sel{{"delete_articles", "delete", "public.articles", []string{}}}},
		{name: "delete_by_pk", role: "reader", query: `mutation { delete_articles_by_pk(id: 1) { id title } }`,
			want: []graphql.Decision{graphql.Allow}},
		{name: "inconsistent permission is undecided", role: "staff", query: `mutation { delete_articles(where: {}) { affected_rows } }`,
			want: []graphql.Decision{graphql.Undecided}, reason: "inconsistent"},
		{name: "a mutation's where under an inconsistent select permission is undecided", role: "auditor",
			query: `mutation { delete_audit_log(where: {}) { affected_rows } }`,
			want:  []graphql.Decision{graphql.Undecided}, reason: "inconsistent"},
		{name: "delete without permission", role: "editor", query: `mutation { delete_articles(where: {}) { affected_rows } }`,
			want: []graphql.Decision{graphql.Deny}, reason: "no delete permission"},
		{name: "a mutation is not on the query root", role: "user", query: `{ insert_articles(objects: []) { affected_rows } }`,
			want: []graphql.Decision{graphql.Undecided}},

		// @skip and @include.
		{name: "skipped column", role: "user", query: "query Q($s: Boolean!) { articles { id reviewer_notes @skip(if: $s) } }",
			vars: map[string]any{"s": true}, want: []graphql.Decision{graphql.Allow}},
		{name: "column not skipped", role: "user", query: "query Q($s: Boolean!) { articles { id reviewer_notes @skip(if: $s) } }",
			vars: map[string]any{"s": false}, want: []graphql.Decision{graphql.Deny}},
		{name: "root field left out by @include default", role: "user", query: "query Q($i: Boolean = false) { writers { id } articles_aggregate @include(if: $i) { aggregate { count } } }",
			want: []graphql.Decision{graphql.Allow}},
		{name: "fragment left out by a literal @include", role: "user", query: "{ articles { id ...F @include(if: false) } } fragment F on articles { reviewer_notes }",
			want: []graphql.Decision{graphql.Allow}},
		{name: "fragment included", role: "user", query: "{ articles { id ...F } } fragment F on articles { reviewer_notes }",
			want: []graphql.Decision{graphql.Deny}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := graphql.Decide(p, graphql.Request{Role: c.role, Vars: uid, Query: c.query, Variables: c.vars, BackendOnly: c.backend})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.RootFields) != len(c.want) {
				t.Fatalf("%d root fields, want %d: %+v", len(res.RootFields), len(c.want), res.RootFields)
			}
			for i, f := range res.RootFields {
				if f.Decision != c.want[i] {
					t.Fatalf("field %s: %v (%s), want %v", f.Name, f.Decision, f.Reason, c.want[i])
				}
				if f.Decision != graphql.Allow && c.reason != "" && !strings.Contains(f.Reason, c.reason) {
					t.Errorf("field %s: reason %q, want it to hold %q", f.Name, f.Reason, c.reason)
				}
				if c.want[i] != graphql.Undecided && f.Name != "__typename" && (f.Kind != graphql.TableRootFieldKind || f.Table == nil) {
					t.Errorf("field %s: kind %v, table %v: want a table root field", f.Name, f.Kind, f.Table)
				}
				if f.Namespace != c.namespace {
					t.Errorf("field %s: namespace %q, want %q", f.Name, f.Namespace, c.namespace)
				}
			}
			overall := graphql.Allow
			for _, d := range c.want {
				if d == graphql.Deny || d == graphql.Undecided && overall != graphql.Deny {
					overall = d
				}
			}
			if res.Decision != overall {
				t.Errorf("operation %v, want %v", res.Decision, overall)
			}
			if c.sels == nil {
				return
			}
			got := res.RootFields[0].Table.Selections
			if len(got) != len(c.sels) {
				t.Fatalf("%d selections, want %d: %+v", len(got), len(c.sels), got)
			}
			for i, w := range c.sels {
				g := got[i]
				if g.Path != w.path || g.Op.String() != w.op || g.Table.String() != w.table || !slices.Equal(g.Columns, w.cols) {
					t.Errorf("selection %d = %s %s %s %v, want %s %s %s %v", i, g.Path, g.Op, g.Table, g.Columns, w.path, w.op, w.table, w.cols)
				}
			}
		})
	}
}

// TestTableVariablesErrors: a variable that decides and is not given (nor
// defaulted) is a request error on variables, as Hasura refuses it.
func TestTableVariablesErrors(t *testing.T) {
	p := loadTables(t)
	cases := []struct{ name, query, field string }{
		{"required @skip variable missing", "query Q($s: Boolean!) { articles { id @skip(if: $s) } }", "variables"},
		{"undeclared variable", "{ articles { id @skip(if: $s) } }", "query"},
		{"@skip without if", "{ articles { id @skip } }", "query"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := graphql.Decide(p, graphql.Request{Role: "user", Query: c.query})
			var oe *graphql.OperationError
			if !errors.As(err, &oe) || oe.Field != c.field {
				t.Fatalf("err = %v, want an OperationError on %s", err, c.field)
			}
		})
	}
	_, err := graphql.Decide(p, graphql.Request{Role: "user", Query: "query Q($s: Boolean!) { articles { id @skip(if: $s) } }", Variables: map[string]any{"s": "yes"}})
	if err == nil || !strings.Contains(err.Error(), "must be a Boolean") {
		t.Errorf("a string for @skip(if:) = %v, want an error", err)
	}
}

// FuzzDecideTables: over the table fixture, any document and variables
// either fail as a request or decide without panicking; the operation is
// allowed only when every field is, and only allowed table fields carry
// selections.
func FuzzDecideTables(f *testing.F) {
	for _, s := range []string{
		"{ articles(where: {author: {name: {_eq: \"a\"}}}, order_by: [{author: {name: asc}}]) { id author { articles_aggregate { aggregate { max { id } } } } } }",
		`mutation M($o: [articles_insert_input!]!) { insert_articles(objects: $o, on_conflict: {constraint: c, update_columns: title}) { returning { id } } }`,
		`mutation { update_articles_many(updates: [{where: {id: {_eq: 1}}, _inc: {id: 1}}]) { affected_rows } }`,
		"query Q($s: Boolean = true) { ext { x_events_v1 @skip(if: $s) { id } __typename } }",
		"subscription { articles_stream(batch_size: 1, cursor: {initial_value: {id: 0}}) { ...F } } fragment F on articles { id ... on articles { title } }",
	} {
		f.Add(s, "user", `{"o": [{"title": "a", "author": {"data": {"name": "x"}}}], "s": false}`)
	}
	p := loadTables(f)
	f.Fuzz(func(t *testing.T, query, role, vars string) {
		var v map[string]any
		_ = json.Unmarshal([]byte(vars), &v)
		res, err := graphql.Decide(p, graphql.Request{Role: role, Query: query, Variables: v, Vars: map[string]string{"x-hasura-user-id": "1"}})
		if err != nil {
			return
		}
		for _, rf := range res.RootFields {
			if rf.Decision != graphql.Allow && res.Decision == graphql.Allow {
				t.Fatalf("operation allowed with field %s %v", rf.Name, rf.Decision)
			}
			if rf.Decision != graphql.Allow && rf.Table != nil && len(rf.Table.Selections) > 0 {
				t.Fatalf("field %s is %v and carries selections", rf.Name, rf.Decision)
			}
		}
	})
}
