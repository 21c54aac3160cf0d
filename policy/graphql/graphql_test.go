package graphql

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

// TestNormalize: documents equal for Hasura's allow list normalise to the
// same text, and documents it tells apart do not.
func TestNormalize(t *testing.T) {
	base := `query Profile($id: Int!) { user(id: $id, active: true) { id name } }`
	same := []struct{ name, doc string }{
		{"whitespace and commas", "query   Profile( $id :Int! ) {\n  user(id: $id,\n active: true) {\n    id,\n    name\n  }\n}\n"},
		{"comments", "# the profile\nquery Profile($id: Int!) { user(id: $id, active: true) { id # key\n name } }"},
		{"argument order", `query Profile($id: Int!) { user(active: true, id: $id) { id name } }`},
		{"__typename stripped", `query Profile($id: Int!) { user(id: $id, active: true) { __typename id name } }`},
	}
	different := []struct{ name, doc string }{
		{"field order", `query Profile($id: Int!) { user(id: $id, active: true) { name id } }`},
		{"operation name", `query Other($id: Int!) { user(id: $id, active: true) { id name } }`},
		{"argument value", `query Profile($id: Int!) { user(id: $id, active: false) { id name } }`},
		{"alias", `query Profile($id: Int!) { u: user(id: $id, active: true) { id name } }`},
		{"variable type", `query Profile($id: Int) { user(id: $id, active: true) { id name } }`},
		{"extra field", `query Profile($id: Int!) { user(id: $id, active: true) { id name email } }`},
		{"string vs enum", `query Profile($id: Int!) { user(id: $id, active: "true") { id name } }`},
	}
	want, err := Normalize(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range same {
		got, err := Normalize(c.doc)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != want {
			t.Errorf("%s: normalised differently:\n%s\nwant\n%s", c.name, got, want)
		}
	}
	for _, c := range different {
		got, err := Normalize(c.doc)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got == want {
			t.Errorf("%s: normalised the same as the base, want different", c.name)
		}
	}
	objA, _ := Normalize(`{ f(where: {a: 1, b: {c: 2, d: [1, 2]}}) }`)
	objB, _ := Normalize(`{ f(where: {b: {d: [1, 2], c: 2}, a: 1}) }`)
	objC, _ := Normalize(`{ f(where: {b: {d: [2, 1], c: 2}, a: 1}) }`)
	if objA != objB || objA == objC {
		t.Errorf("input objects: fields in any order are equal, list order counts: A=%q B=%q C=%q", objA, objB, objC)
	}
	short, _ := Normalize("{ a }")
	long, _ := Normalize("query { a }")
	if short == long {
		t.Errorf("{ a } and query { a } normalise alike (%q); Hasura's parser tells them apart", short)
	}
	var pe *ParseError
	if _, err := Normalize("query { x "); !errors.As(err, &pe) || pe.Line != 1 {
		t.Errorf("syntax error = %v, want a ParseError with its line", err)
	}
}

func testMeta(t testing.TB) *model.Policy {
	t.Helper()
	q := func(name, doc string) model.CollectionQuery {
		n, err := Normalize(doc)
		if err != nil {
			t.Fatal(err)
		}
		return model.CollectionQuery{Name: name, Query: doc, Normalized: n}
	}
	article := model.TableName{Schema: "public", Name: "article"}
	search := &model.TrackedFunction{Name: model.TableName{Schema: "public", Name: "search_articles"}, Returns: article,
		RootField: "search_articles", AggregateField: "search_articles_aggregate"}
	reset := &model.TrackedFunction{Name: model.TableName{Schema: "app", Name: "reset_article"}, Returns: article, Mutation: true,
		RootField: "app_reset_article", Roles: map[string]bool{"manager": true}}
	cols := []string{"id", "title"}
	tables := map[model.TableName]*model.Table{article: {Name: article,
		Columns: []*model.Column{{Name: "id", Type: model.Type{Kind: model.KindInteger}}, {Name: "title", Type: model.Type{Kind: model.KindText}}},
		Permissions: map[model.Operation]map[string]*model.Permission{
			model.OpSelect: {"user": {Columns: cols}, "manager": {Columns: cols, AllowAggregations: true}, "team_lead": {Columns: cols[:1]}},
		}}}
	return &model.Policy{Tables: tables, GraphQL: model.GraphQLMetadata{
		IntrospectionDisabled: map[string]bool{"anonymous": true},
		Functions:             map[string]*model.TrackedFunction{"search_articles": search, "search_articles_aggregate": search, "app_reset_article": reset},
		Actions: map[string]*model.Action{
			"login":        {Name: "login", Type: model.ActionMutation, Roles: map[string]bool{"anonymous": true}},
			"getProfile":   {Name: "getProfile", Type: model.ActionQuery, Roles: map[string]bool{"user": true}, InheritedRoles: map[string]bool{"team_lead": true}},
			"exportReport": {Name: "exportReport", Type: model.ActionMutation, Async: true, Roles: map[string]bool{"manager": true}},
		},
		Collections: map[string]*model.QueryCollection{
			"public":  {Name: "public", Queries: []model.CollectionQuery{q("profile", "query Profile { getProfile { id } }")}},
			"manager": {Name: "manager", Queries: []model.CollectionQuery{q("export", "mutation { exportReport(month: \"01\") }")}},
		},
		AllowList: []model.AllowListEntry{
			{Collection: "public", Global: true},
			{Collection: "manager", Roles: []string{"manager"}},
		},
	}}
}

func TestDecide(t *testing.T) {
	meta := testMeta(t)
	vars := map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "42"}
	cases := []struct {
		name      string
		req       Request
		decision  Decision
		fields    []Decision
		allowList bool
	}{
		{"query action allowed", Request{Role: "user", Vars: vars, Query: "query Profile { getProfile { id } }"}, Allow, []Decision{Allow}, true},
		{"query action, role without permission", Request{Role: "anonymous", Query: "query Profile { getProfile { id } }"}, Deny, []Decision{Deny}, true},
		{"inherited role", Request{Role: "team_lead", Query: "{ getProfile { id } }"}, Allow, []Decision{Allow}, false},
		{"admin any action", Request{Role: "admin", Query: "mutation { login(username: \"a\", password: \"b\") { accessToken } }"}, Allow, []Decision{Allow}, true},
		{"mutation action on the query root is not that action", Request{Role: "anonymous", Query: "{ login { accessToken } }"}, Undecided, []Decision{Undecided}, false},
		{"async result on query", Request{Role: "manager", Query: "{ exportReport(id: \"x\") { output } }"}, Allow, []Decision{Allow}, false},
		{"async result via subscription", Request{Role: "user", Query: "subscription { exportReport(id: \"x\") { output } }"}, Deny, []Decision{Deny}, false},
		{"a name no index holds is undecided", Request{Role: "user", Query: "{ getProfile { id } article { id } }"}, Undecided, []Decision{Allow, Undecided}, false},
		{"deny wins over undecided", Request{Role: "anonymous", Query: "{ article { id } getProfile { id } }"}, Deny, []Decision{Undecided, Deny}, false},
		{"typename", Request{Role: "anonymous", Query: "{ __typename }"}, Allow, []Decision{Allow}, false},
		{"introspection enabled", Request{Role: "user", Query: "{ __schema { types { name } } }"}, Allow, []Decision{Allow}, false},
		{"introspection disabled for the role", Request{Role: "anonymous", Query: "{ __type(name: \"x\") { name } }"}, Deny, []Decision{Deny}, false},
		{"introspection for admin", Request{Role: "admin", Query: "{ __schema { queryType { name } } }"}, Allow, []Decision{Allow}, true},
		{"fragments on the root expanded", Request{Role: "user", Query: "query { ...F ... on query_root { getProfile { name } } } fragment F on query_root { getProfile { id } }"}, Allow, []Decision{Allow, Allow}, false},
		{"allow list enforced, not listed", Request{Role: "user", Vars: vars, Query: "{ getProfile { id name } }", EnforceAllowList: true}, Deny, []Decision{Allow}, false},
		{"allow list enforced, listed", Request{Role: "user", Vars: vars, Query: "query Profile{getProfile{id __typename}}", EnforceAllowList: true}, Allow, []Decision{Allow}, true},
		{"role-scoped allow list, other role", Request{Role: "user", Query: "mutation { exportReport(month: \"01\") }", EnforceAllowList: true}, Deny, []Decision{Deny}, false},
		{"role-scoped allow list, its role", Request{Role: "manager", Query: "mutation { exportReport(month: \"01\") }", EnforceAllowList: true}, Allow, []Decision{Allow}, true},
		{"admin not held to the allow list", Request{Role: "admin", Query: "mutation { exportReport(month: \"02\") }", EnforceAllowList: true}, Allow, []Decision{Allow}, true},
		{"query function, role with select", Request{Role: "user", Query: "{ search_articles(args: {q: \"go\"}) { id } }"}, Allow, []Decision{Allow}, false},
		{"query function, a column outside the select permission", Request{Role: "team_lead", Query: "{ search_articles(args: {q: \"go\"}) { id title } }"}, Deny, []Decision{Deny}, false},
		{"query function, role without select", Request{Role: "anonymous", Query: "{ search_articles(args: {q: \"go\"}) { id } }"}, Deny, []Decision{Deny}, false},
		{"query function in a subscription", Request{Role: "user", Query: "subscription { search_articles { id } }"}, Allow, []Decision{Allow}, false},
		{"aggregate without allow_aggregations", Request{Role: "user", Query: "{ search_articles_aggregate { aggregate { count } } }"}, Deny, []Decision{Deny}, false},
		{"aggregate with allow_aggregations", Request{Role: "manager", Query: "{ search_articles_aggregate { aggregate { count } } }"}, Allow, []Decision{Allow}, false},
		{"query function is not on the mutation root", Request{Role: "user", Query: "mutation { search_articles { id } }"}, Undecided, []Decision{Undecided}, false},
		{"mutation function, select but no function permission", Request{Role: "user", Query: "mutation { app_reset_article { id } }"}, Deny, []Decision{Deny}, false},
		{"mutation function with permission", Request{Role: "manager", Query: "mutation { app_reset_article { id } }"}, Allow, []Decision{Allow}, false},
		{"mutation function for admin", Request{Role: "admin", Query: "mutation { app_reset_article { id } }"}, Allow, []Decision{Allow}, true},
		{"operation by name", Request{Role: "user", Query: "query A { getProfile { id } } mutation B { login { accessToken } }", OperationName: "B"}, Deny, []Decision{Deny}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Decide(meta, c.req)
			if err != nil {
				t.Fatal(err)
			}
			if res.Decision != c.decision {
				t.Errorf("decision = %v, want %v (%+v)", res.Decision, c.decision, res)
			}
			if len(res.RootFields) != len(c.fields) {
				t.Fatalf("root fields = %+v, want %d", res.RootFields, len(c.fields))
			}
			for i, d := range c.fields {
				if res.RootFields[i].Decision != d {
					t.Errorf("field %s: %v (%s), want %v", res.RootFields[i].Name, res.RootFields[i].Decision, res.RootFields[i].Reason, d)
				}
			}
			if res.AllowList.Allowed != c.allowList {
				t.Errorf("allow list = %+v, want allowed %v", res.AllowList, c.allowList)
			}
		})
	}
}

// TestHandlerSession: an allowed action carries the session Hasura posts
// to its handler; a denied one carries none.
func TestHandlerSession(t *testing.T) {
	meta := testMeta(t)
	res, err := Decide(meta, Request{Role: "user", Vars: map[string]string{"X-Hasura-User-Id": "42", "x-hasura-org": "{1,2}"},
		Query: "{ getProfile { id } }"})
	if err != nil {
		t.Fatal(err)
	}
	got := res.RootFields[0].SessionVariables
	if len(got) != 3 || got["x-hasura-user-id"] != "42" || got["x-hasura-org"] != "{1,2}" || got["x-hasura-role"] != "user" {
		t.Errorf("session variables = %v, want user-id, org and role, lower-cased", got)
	}
	res, err = Decide(meta, Request{Role: "anonymous", Vars: map[string]string{"x-hasura-user-id": "1"}, Query: "{ getProfile { id } }"})
	if err != nil {
		t.Fatal(err)
	}
	if res.RootFields[0].SessionVariables != nil {
		t.Errorf("a denied action carries session variables %v", res.RootFields[0].SessionVariables)
	}
}

func TestDecideErrors(t *testing.T) {
	meta := testMeta(t)
	cases := []struct{ name, query, op, field, want string }{
		{"syntax", "{ getProfile { id }", "", "", "syntax error"},
		{"several operations, no name", "query A { a } query B { b }", "", "operation_name", "holds 2 operations"},
		{"unknown name", "query A { a }", "C", "operation_name", `no operation named "C"`},
		{"only fragments", "fragment F on Query { a }", "", "query", "holds no operation"},
		{"undefined fragment", "{ ...Missing }", "", "query", "fragment Missing is not defined"},
		{"fragments doubling per level", doubling(12), "", "query", "more than 1000 root fields"},
		{"fragment cycle", "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }", "", "query", "nest deeper"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decide(meta, Request{Role: "user", Query: c.query, OperationName: c.op})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			var oe *OperationError
			if c.field != "" && (!errors.As(err, &oe) || oe.Field != c.field) {
				t.Errorf("err = %#v, want an OperationError on %s", err, c.field)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"{ a }", "query A($x: Int = 1) @d { a(b: {c: [1, \"s\"]}) { ...F } } fragment F on T { __typename }", "{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n1, err := Normalize(s)
		if err != nil {
			return
		}
		// Normalising is stable: a document parses to the same form twice.
		if n2, _ := Normalize(s); n1 != n2 {
			t.Fatalf("unstable: %q vs %q", n1, n2)
		}
	})
}

// doubling is a document whose fragments spread the next one twice, n
// levels deep: 2^n root fields from a few hundred bytes.
func doubling(n int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { a }\n", n)
	return b.String()
}

func FuzzDecide(f *testing.F) {
	for _, s := range []string{"{ getProfile { id } }", "mutation { login { accessToken } app_reset_article { id } }",
		"subscription S { search_articles_aggregate { aggregate { count } } }", doubling(3), "{ ...A } fragment A on Query { ... on Query { __schema { types { name } } } }"} {
		f.Add(s, "user", "")
	}
	p := testMeta(f)
	f.Fuzz(func(t *testing.T, query, role, opName string) {
		res, err := Decide(p, Request{Role: role, Query: query, OperationName: opName, EnforceAllowList: true})
		if err != nil {
			return
		}
		if len(res.RootFields) > MaxRootFields {
			t.Fatalf("%d root fields", len(res.RootFields))
		}
		// Nothing undecided or denied is ever the whole answer's allow.
		for _, rf := range res.RootFields {
			if rf.Decision != Allow && res.Decision == Allow {
				t.Fatalf("operation allowed with field %s %v", rf.Name, rf.Decision)
			}
		}
	})
}

// TestFunctionSelections: an allowed function field's selection set is a
// read of the table it returns: listed for Filter, its columns within the
// select permission.
func TestFunctionSelections(t *testing.T) {
	meta := testMeta(t)
	cases := []struct {
		role, query, kind string
		aggregate         bool
		cols              []string
	}{
		{"user", `{ f: search_articles(args: {q: "go"}) { id title } }`, "function", false, []string{"id", "title"}},
		{"manager", `{ search_articles_aggregate { aggregate { max { id } } } }`, "function_aggregate", true, []string{"id"}},
		{"admin", `mutation { app_reset_article(args: {id: 1}) { title } }`, "function", false, []string{"title"}},
	}
	for _, c := range cases {
		res, err := Decide(meta, Request{Role: c.role, Query: c.query})
		if err != nil {
			t.Fatal(err)
		}
		rf := res.RootFields[0]
		if rf.Decision != Allow || rf.Kind != FunctionField || rf.Table == nil || rf.Table.Kind != c.kind || len(rf.Table.Selections) != 1 {
			t.Fatalf("%s: %+v (table %+v)", c.query, rf, rf.Table)
		}
		s := rf.Table.Selections[0]
		if s.Path != rf.ResponseKey || s.Table.Name != "article" || s.Op != model.OpSelect || s.Aggregate != c.aggregate || strings.Join(s.Columns, ",") != strings.Join(c.cols, ",") {
			t.Errorf("%s: selection %+v", c.query, s)
		}
	}
}
