package graphql_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/graphql"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// customizedRemotes follows Hasura's documentation of remote schema
// customization (remote-schemas/adding-schema, "GraphQL customizations"):
// accounts puts its root fields under the namespace acc, prefixes its
// types with Acc_ and renames User.first_name to firstName; billing
// prefixes its query root fields with bill_ and maps the type Invoice to
// BillInvoice. The roles' schemas are in the remotes' own names, as
// Hasura's permissions are.
const customizedRemotes = `
- name: accounts
  definition:
    url: http://accounts.internal/graphql
    customization:
      root_fields_namespace: acc
      type_names: {prefix: Acc_}
      field_names:
        - parent_type: User
          mapping: {first_name: firstName}
  permissions:
    - role: user
      definition:
        schema: |
          schema { query: Query mutation: Mutation }
          type User { id: ID! first_name: String! messages(limit: Int @preset(value: 10)): [Message] }
          type Message { id: Int! msg: String! }
          type Notice { id: Int! }
          union Feed = Message | Notice
          type Query {
            user(user_id: Int! @preset(value: "x-hasura-user-id")): User
            feed: [Feed]
            hello: String
          }
          type Mutation { sendMessage(msg: String!): Message }
    - role: guest
      definition:
        schema: "type Query { hello: String }"
- name: billing
  definition:
    url_from_env: BILLING_URL
    customization:
      type_names: {mapping: {Invoice: BillInvoice}}
      field_names:
        - parent_type: Query
          prefix: bill_
  permissions:
    - role: user
      definition:
        schema: |
          interface Doc { id: Int! }
          type Invoice implements Doc { id: Int! total: Float }
          type Query { invoices(ids: [Int] @preset(value: [1, 2])): [Doc] }
`

func customizedPolicy(t testing.TB, remotes string) *model.Policy {
	t.Helper()
	fsys := v3dir(t)
	fsys["metadata/remote_schemas.yaml"] = &fstest.MapFile{Data: []byte(remotes)}
	p, err := load.FS(context.Background(), fsys, "test", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// field is one root field of a result, as the tests compare it.
type field struct {
	ns, key, name string
	d             graphql.Decision
	why           string
}

// TestDecideRemoteCustomized decides the root fields of customized remote
// schemas: under a namespace, renamed fields and types mapped back to the
// role's schema, presets resolved in the remote's own names.
func TestDecideRemoteCustomized(t *testing.T) {
	p := customizedPolicy(t, customizedRemotes)
	user := map[string]string{"x-hasura-user-id": "42"}
	cases := []struct {
		name, role, query string
		want              []field
		presets           []preset
	}{
		{"a namespaced field, renamed field selected", "user", `{ acc { user { id firstName } } }`,
			[]field{{"acc", "user", "user", graphql.Allow, "has user"}},
			[]preset{{"user", "Query.user", "user_id", int64(42), "x-hasura-user-id"}}},
		{"the remote's own field name is not shown", "user", `{ acc { user { first_name } } }`,
			[]field{{"acc", "user", "user", graphql.Deny, "field first_name is not in type Acc_User (User in the remote schema)"}}, nil},
		{"aliases, __typename and a nested preset", "user", `{ a: acc { __typename me: user { messages { msg } } } }`,
			[]field{{"a", "__typename", "__typename", graphql.Allow, "namespace acc"}, {"a", "me", "user", graphql.Allow, ""}},
			[]preset{{"me", "Query.user", "user_id", int64(42), "x-hasura-user-id"}, {"me.messages", "User.messages", "limit", int64(10), ""}}},
		{"a field outside the role's schema", "user", `{ acc { hidden } }`,
			[]field{{"acc", "hidden", "hidden", graphql.Deny, "is not a field of namespace acc on the query root in role user's schema"}}, nil},
		{"a preset argument given", "user", `{ acc { user(user_id: 1) { id } } }`,
			[]field{{"acc", "user", "user", graphql.Deny, "preset for the role"}}, nil},
		{"a fragment on the shown type name", "user", `{ acc { feed { ... on Acc_Message { id } ... on Acc_Notice { id } } } }`,
			[]field{{"acc", "feed", "feed", graphql.Allow, ""}}, nil},
		{"a fragment on the remote's own type name", "user", `{ acc { feed { ... on Message { id } } } }`,
			[]field{{"acc", "feed", "feed", graphql.Deny, "type Message of a fragment"}}, nil},
		{"a named fragment on the shown type name", "user", `{ acc { feed { ...M } } } fragment M on Acc_Message { msg }`,
			[]field{{"acc", "feed", "feed", graphql.Allow, ""}}, nil},
		{"a namespaced field at the root", "user", `{ hello }`,
			[]field{{"", "hello", "hello", graphql.Undecided, "neither"}}, nil},
		{"guest's own field", "guest", `{ acc { hello } }`, []field{{"acc", "hello", "hello", graphql.Allow, ""}}, nil},
		{"guest and user's field", "guest", `{ acc { user { id } } }`, []field{{"acc", "user", "user", graphql.Deny, "role guest's schema"}}, nil},
		{"a role without a permission", "nobody", `{ acc { __typename } }`,
			[]field{{"acc", "__typename", "__typename", graphql.Deny, "no permission for role nobody"}}, nil},
		{"a mutation under the namespace", "user", `mutation { acc { sendMessage(msg: "hi") { id } } }`,
			[]field{{"acc", "sendMessage", "sendMessage", graphql.Allow, ""}}, nil},
		{"a role without a mutation root", "guest", `mutation { acc { __typename } }`,
			[]field{{"acc", "__typename", "__typename", graphql.Deny, "has no mutation root"}}, nil},
		{"a subscription", "user", `subscription { acc { hello } }`,
			[]field{{"acc", "hello", "hello", graphql.Deny, "does not forward subscriptions"}}, nil},
		{"the namespace without a selection", "user", `{ acc }`,
			[]field{{"", "acc", "acc", graphql.Deny, "needs a selection"}}, nil},
		{"the namespace with an argument", "user", `{ acc(x: 1) { hello } }`,
			[]field{{"", "acc", "acc", graphql.Deny, "takes no arguments"}}, nil},
		{"admin under the namespace", "admin", `{ acc { anything(x: 1) { y } } }`,
			[]field{{"acc", "anything", "anything", graphql.Allow, "admin"}}, nil},
		{"introspection under the namespace", "admin", `{ acc { __schema { types { name } } } }`,
			[]field{{"acc", "__schema", "__schema", graphql.Deny, "only the remote schema's root fields and __typename"}}, nil},
		{"@skip under the namespace", "user", `{ acc { hidden @skip(if: true) hello } }`,
			[]field{{"acc", "hello", "hello", graphql.Allow, ""}}, nil},
		{"a prefixed root field", "user", `{ bill_invoices { id } }`,
			[]field{{"", "bill_invoices", "bill_invoices", graphql.Allow, "Query.invoices in the remote schema's names"}},
			[]preset{{"bill_invoices", "Query.invoices", "ids", []any{int64(1), int64(2)}, ""}}},
		{"the unprefixed root field", "user", `{ invoices { id } }`,
			[]field{{"", "invoices", "invoices", graphql.Undecided, "neither"}}, nil},
		{"a mapped type in a fragment", "user", `{ bill_invoices { ... on BillInvoice { total } } }`,
			[]field{{"", "bill_invoices", "bill_invoices", graphql.Allow, ""}},
			[]preset{{"bill_invoices", "Query.invoices", "ids", []any{int64(1), int64(2)}, ""}}},
		{"the unmapped type in a fragment", "user", `{ bill_invoices { ... on Invoice { total } } }`,
			[]field{{"", "bill_invoices", "bill_invoices", graphql.Deny, "type Invoice of a fragment"}}, nil},
		{"a prefixed root field for a role without a permission", "guest", `{ bill_invoices { id } }`,
			[]field{{"", "bill_invoices", "bill_invoices", graphql.Deny, "no permission for role guest"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var vars map[string]string
			if c.role == "user" {
				vars = user
			}
			res, err := graphql.Decide(p, graphql.Request{Role: c.role, Vars: vars, Query: c.query})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.RootFields) != len(c.want) {
				t.Fatalf("%d root fields %+v, want %d", len(res.RootFields), res.RootFields, len(c.want))
			}
			var got []preset
			for i, f := range res.RootFields {
				w := c.want[i]
				if f.Namespace != w.ns || f.ResponseKey != w.key || f.Name != w.name || f.Decision != w.d || !strings.Contains(f.Reason, w.why) {
					t.Errorf("field %d: %q %q %q %v (%s), want %q %q %q %v saying %q", i, f.Namespace, f.ResponseKey, f.Name, f.Decision, f.Reason, w.ns, w.key, w.name, w.d, w.why)
				}
				for _, x := range f.Presets {
					got = append(got, preset{x.Path, x.Field, x.Argument, x.Value, strings.Join(x.SessionVariables, ",")})
				}
			}
			if !reflect.DeepEqual(got, c.presets) {
				t.Errorf("presets:\n got %+v\nwant %+v", got, c.presets)
			}
		})
	}
}

// TestDecideRemoteNamespaceConflict: a namespace that is also another
// remote schema's namespace, or another root field, is undecided: Hasura
// reports the conflict and which it keeps is not Warden's to guess.
func TestDecideRemoteNamespaceConflict(t *testing.T) {
	second := `
- name: other
  definition: {url: http://other, customization: {root_fields_namespace: acc}}
  permissions:
    - role: user
      definition: {schema: "type Query { hello: String }"}
`
	p := customizedPolicy(t, customizedRemotes+second)
	res, err := graphql.Decide(p, graphql.Request{Role: "user", Query: `{ acc { hello } }`})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.RootFields[0]; len(res.RootFields) != 1 || f.Decision != graphql.Undecided || !strings.Contains(f.Reason, "remote schemas accounts, other") {
		t.Errorf("root fields %+v, want one undecided naming both remote schemas", res.RootFields)
	}
	// The namespace of a remote schema and a tracked table's root field.
	third := `
- name: third
  definition: {url: http://third, customization: {root_fields_namespace: article}}
  permissions:
    - role: user
      definition: {schema: "type Query { hello: String }"}
`
	p = customizedPolicy(t, customizedRemotes+third)
	res, err = graphql.Decide(p, graphql.Request{Role: "user", Query: `{ article { hello } }`})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.RootFields[0]; len(res.RootFields) != 1 || f.Decision != graphql.Undecided || !strings.Contains(f.Reason, "a table root field") {
		t.Errorf("root fields %+v, want one undecided naming the table root field", res.RootFields)
	}
}

// TestDecideRemoteCustomizedInconsistent: a customization Hasura rejects
// (two types renamed to one name) drops the remote schema: its namespace
// is denied to every role, admin too; not strict, the rest loads.
func TestDecideRemoteCustomizedInconsistent(t *testing.T) {
	const bad = `
- name: accounts
  definition:
    url: http://accounts.internal/graphql
    customization: {root_fields_namespace: acc, type_names: {mapping: {User: Message}}}
  permissions:
    - role: user
      definition:
        schema: "type User { id: ID! } type Message { id: ID! } type Query { user: User messages: [Message] }"
`
	fsys := v3dir(t)
	fsys["metadata/remote_schemas.yaml"] = &fstest.MapFile{Data: []byte(bad)}
	p, err := load.FS(context.Background(), fsys, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"user", "admin"} {
		res, err := graphql.Decide(p, graphql.Request{Role: role, Query: `{ acc { user { id } } }`})
		if err != nil {
			t.Fatal(err)
		}
		if f := res.RootFields[0]; f.Decision != graphql.Deny || !strings.Contains(f.Reason, "type name mappings are not distinct") {
			t.Errorf("%s: %v (%s), want a deny naming the conflict", role, f.Decision, f.Reason)
		}
	}
}

// TestDecideRemoteCustomizedInherited: an inherited role takes its
// parent's schema of a customized remote schema with its names.
func TestDecideRemoteCustomizedInherited(t *testing.T) {
	fsys := v3dir(t)
	fsys["metadata/remote_schemas.yaml"] = &fstest.MapFile{Data: []byte(customizedRemotes)}
	fsys["metadata/inherited_roles.yaml"] = &fstest.MapFile{Data: []byte("- {role_name: member, role_set: [guest]}\n")}
	p, err := load.FS(context.Background(), fsys, "test", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]graphql.Decision{`{ acc { hello } }`: graphql.Allow, `{ acc { feed { __typename } } }`: graphql.Deny} {
		res, err := graphql.Decide(p, graphql.Request{Role: "member", Query: q})
		if err != nil {
			t.Fatal(err)
		}
		if f := res.RootFields[0]; f.Decision != want {
			t.Errorf("%s: %v (%s), want %v", q, f.Decision, f.Reason, want)
		}
	}
}

// FuzzDecideRemoteCustomized: any document decided against customized
// remote schemas gives a result or a typed error, never a panic; a remote
// field allowed to user is denied to a role without a permission.
func FuzzDecideRemoteCustomized(f *testing.F) {
	p := customizedPolicy(f, customizedRemotes)
	for _, q := range []string{`{ acc { user { id firstName } } }`, `{ a: acc { __typename me: user { messages { msg } } } }`,
		`{ acc { feed { ... on Acc_Message { id } ... on Acc_Notice { id } } } }`, `{ bill_invoices { ... on BillInvoice { total } } }`,
		`mutation { acc { sendMessage(msg: "hi") { id } } }`} {
		f.Add(q)
	}
	vars := map[string]string{"x-hasura-user-id": "42"}
	f.Fuzz(func(t *testing.T, q string) {
		res, err := graphql.Decide(p, graphql.Request{Role: "user", Vars: vars, Query: q})
		if err != nil {
			return
		}
		other, err := graphql.Decide(p, graphql.Request{Role: "nobody", Query: q})
		if err != nil {
			t.Fatalf("nobody: %v (user: no error)", err)
		}
		for i, rf := range res.RootFields {
			if (rf.Kind == graphql.RemoteSchemaField || rf.Namespace != "") && i < len(other.RootFields) && other.RootFields[i].Decision == graphql.Allow {
				t.Fatalf("%s allowed to a role without a permission: %s", rf.Name, q)
			}
		}
	})
}
