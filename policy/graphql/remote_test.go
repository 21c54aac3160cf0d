package graphql_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/graphql"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// remoteSchemas follows Hasura's documentation of remote schema
// permissions: role user sees part of the accounts schema with presets
// from its session; guest sees hello only; billing is a second remote
// schema.
const remoteSchemas = `
- name: accounts
  definition: {url: http://accounts.internal/graphql}
  permissions:
    - role: user
      definition:
        schema: |
          schema { query: Query mutation: Mutation }
          type User { id: ID! first_name: String! messages(where: MessageWhere, limit: Int @preset(value: 10)): [Message] }
          interface Communication { id: Int! msg: String! }
          type Message implements Communication { id: Int! msg: String! }
          type Notice implements Communication { id: Int! msg: String! }
          union Feed = Message | Notice
          enum Order { ASC DESC }
          input IntCompare { eq: Int gt: Int }
          input MessageWhere { id: IntCompare owner: Int @preset(value: "x-hasura-user-id") }
          input Tenant { org: String @preset(value: "x-hasura-org-id") }
          type Query {
            user(user_id: Int! @preset(value: "x-hasura-user-id")): User
            messages(where: MessageWhere, order: Order, tenant: Tenant): [Message]
            feed: [Feed]
            comms: [Communication]
            hello: String
            flag(on: Boolean @preset(value: "X-Hasura-Flag")): String
            literal(id: String @preset(value: "x-hasura-user-id", static: true)): String
            sorted(order: Order @preset(value: "x-hasura-order")): String
          }
          type Mutation { sendMessage(msg: String!): Message }
          type Subscription { newMessages: [Message] }
    - role: guest
      definition:
        schema: "type Query { hello: String }"
- name: billing
  definition: {url_from_env: BILLING_URL}
  permissions:
    - role: user
      definition:
        schema: "type Query { invoices(ids: [Int] @preset(value: [1, 2])): [String] }"
`

func remotePolicy(t testing.TB) *model.Policy {
	t.Helper()
	fsys := v3dir(t)
	fsys["metadata/remote_schemas.yaml"] = &fstest.MapFile{Data: []byte(remoteSchemas)}
	p, err := load.FS(context.Background(), fsys, "test", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// v3dir is the loader's v3 layout fixture.
func v3dir(t testing.TB) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	root := os.DirFS("../load/testdata/layouts/v3dir")
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(root, p)
		fsys[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

type preset struct {
	path, field, arg string
	value            any
	vars             string
}

// TestDecideRemote decides remote schema root fields against the role's
// schema: fields, arguments, input objects, enums, fragments, presets.
func TestDecideRemote(t *testing.T) {
	p := remotePolicy(t)
	user := map[string]string{"x-hasura-user-id": "42", "x-hasura-org-id": "acme", "x-hasura-flag": "true", "x-hasura-order": "DESC"}
	cases := []struct {
		name, role, query string
		vars              map[string]string
		want              graphql.Decision
		schema            string
		why               string
		presets           []preset
	}{
		{"preset from the session", "user", `{ user { id first_name } }`, user, graphql.Allow, "accounts", "",
			[]preset{{"user", "Query.user", "user_id", int64(42), "x-hasura-user-id"}}},
		{"alias in the path, nested preset", "user", `{ me: user { id messages { id } } }`, user, graphql.Allow, "accounts", "",
			[]preset{{"me", "Query.user", "user_id", int64(42), "x-hasura-user-id"}, {"me.messages", "User.messages", "limit", int64(10), ""}}},
		{"a preset argument given", "user", `{ user(user_id: 1) { id } }`, user, graphql.Deny, "accounts", "preset for the role", nil},
		{"a field hidden from the role", "user", `{ user { id last_name } }`, user, graphql.Deny, "accounts", "field last_name is not in type User", nil},
		{"an argument hidden from the role", "user", `{ hello(lang: "en") }`, user, graphql.Deny, "accounts", "no argument lang", nil},
		{"input object preset field injected", "user", `{ messages(where: {id: {eq: 3}}, order: ASC) { id msg } }`, user, graphql.Allow, "accounts", "",
			[]preset{{"messages", "Query.messages", "where.owner", int64(42), "x-hasura-user-id"}, {"messages", "Query.messages", "tenant.org", "acme", "x-hasura-org-id"}}},
		{"input object preset field given", "user", `{ messages(where: {owner: 5}) { id } }`, user, graphql.Deny, "accounts", "field owner of input object MessageWhere is preset", nil},
		{"input object field hidden", "user", `{ messages(where: {name: "x"}) { id } }`, user, graphql.Deny, "accounts", "has no field name", nil},
		{"enum value not in the role's enum", "user", `{ messages(order: RANDOM) { id } }`, user, graphql.Deny, "accounts", "not a value of enum Order", nil},
		{"a variable: presets for the gateway", "user", `query($w: MessageWhere) { messages(where: $w) { id } }`, user, graphql.Allow, "accounts", "",
			[]preset{{"messages", "Query.messages", "where.owner", int64(42), "x-hasura-user-id"}, {"messages", "Query.messages", "tenant.org", "acme", "x-hasura-org-id"}}},
		{"union fragments", "user", `{ feed { __typename ... on Message { id } ... on Notice { msg } } }`, user, graphql.Allow, "accounts", "", nil},
		{"a field on a union", "user", `{ feed { id } }`, user, graphql.Deny, "accounts", "field id is not in type Feed", nil},
		{"interface with a fragment spread", "user", `{ comms { id ...M } } fragment M on Message { msg }`, user, graphql.Allow, "accounts", "", nil},
		{"a fragment that cannot apply", "user", `{ comms { ... on User { id } } }`, user, graphql.Deny, "accounts", "cannot apply", nil},
		{"a fragment on a hidden type", "user", `{ comms { ... on Secret { id } } }`, user, graphql.Deny, "accounts", "type Secret of a fragment", nil},
		{"a cycle of fragments", "user", `{ comms { ...A } } fragment A on Message { ...B } fragment B on Message { ...A }`, user, graphql.Deny, "accounts", "deeper", nil},
		{"mutation", "user", `mutation { sendMessage(msg: "hi") { id } }`, user, graphql.Allow, "accounts", "", nil},
		{"a remote subscription", "user", `subscription { newMessages { id } }`, user, graphql.Deny, "accounts", "does not forward subscriptions", nil},
		{"a required argument missing", "user", `mutation { sendMessage { id } }`, user, graphql.Deny, "accounts", "needs its argument msg", nil},
		{"a selection on a scalar", "user", `{ hello { x } }`, user, graphql.Deny, "accounts", "takes no selection", nil},
		{"an object without a selection", "user", `{ user }`, user, graphql.Deny, "accounts", "needs a selection", nil},
		{"static preset", "user", `{ literal }`, user, graphql.Allow, "accounts", "", []preset{{"literal", "Query.literal", "id", "x-hasura-user-id", ""}}},
		{"boolean from the session", "user", `{ flag }`, user, graphql.Allow, "accounts", "", []preset{{"flag", "Query.flag", "on", true, "x-hasura-flag"}}},
		{"enum from the session", "user", `{ sorted }`, user, graphql.Allow, "accounts", "", []preset{{"sorted", "Query.sorted", "order", "DESC", "x-hasura-order"}}},
		{"a second remote schema", "user", `{ invoices }`, user, graphql.Allow, "billing", "", []preset{{"invoices", "Query.invoices", "ids", []any{int64(1), int64(2)}, ""}}},
		{"a field of another role's schema", "guest", `{ user { id } }`, nil, graphql.Deny, "accounts", "not a query root field in role guest's schema", nil},
		{"guest's own field", "guest", `{ hello }`, nil, graphql.Allow, "accounts", "", nil},
		{"a role without a permission", "nobody", `{ hello }`, nil, graphql.Deny, "accounts", "no permission for role nobody", nil},
		{"admin sees everything", "admin", `{ user(user_id: 5) { anything } }`, nil, graphql.Allow, "accounts", "", nil},
		{"not a remote field", "user", `{ nothere }`, user, graphql.Undecided, "", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := graphql.Decide(p, graphql.Request{Role: c.role, Vars: c.vars, Query: c.query})
			if err != nil {
				t.Fatal(err)
			}
			f := res.RootFields[0]
			if f.Decision != c.want || f.RemoteSchema != c.schema || !strings.Contains(f.Reason, c.why) {
				t.Fatalf("%s %s: %v in %q (%s), want %v in %q saying %q", c.role, c.query, f.Decision, f.RemoteSchema, f.Reason, c.want, c.schema, c.why)
			}
			if c.schema != "" && f.Kind != graphql.RemoteSchemaField {
				t.Errorf("kind %v, want RemoteSchemaField", f.Kind)
			}
			var got []preset
			for _, x := range f.Presets {
				got = append(got, preset{x.Path, x.Field, x.Argument, x.Value, strings.Join(x.SessionVariables, ",")})
			}
			if !reflect.DeepEqual(got, c.presets) {
				t.Errorf("presets:\n got %+v\nwant %+v", got, c.presets)
			}
		})
	}
}

// TestDecideRemoteSessionErrors: a preset's session variable that the
// session lacks is an error (Hasura: "session variable expected, but not
// found"), as is a value that cannot be coerced to the argument's type.
func TestDecideRemoteSessionErrors(t *testing.T) {
	p := remotePolicy(t)
	for _, c := range []struct {
		name, query string
		vars        map[string]string
		missing     string
		invalid     string
	}{
		{"missing", `{ user { id } }`, nil, "x-hasura-user-id", ""},
		{"missing in an input object", `{ messages(where: {}) { id } }`, map[string]string{"x-hasura-org-id": "a"}, "x-hasura-user-id", ""},
		{"not an Int", `{ user { id } }`, map[string]string{"x-hasura-user-id": "abc"}, "", "cannot be coerced into an Int"},
		{"not a Boolean", `{ flag }`, map[string]string{"x-hasura-flag": "yes"}, "", "cannot be coerced into a Boolean"},
		{"not an enum value", `{ sorted }`, map[string]string{"x-hasura-order": "UP"}, "", "not a value of enum Order"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := graphql.Decide(p, graphql.Request{Role: "user", Vars: c.vars, Query: c.query})
			var mv *graphql.MissingSessionVariablesError
			var iv *graphql.SessionValueError
			switch {
			case c.missing != "":
				if !errors.As(err, &mv) || strings.Join(mv.Names, ",") != c.missing {
					t.Errorf("err = %v, want missing %s", err, c.missing)
				}
			case !errors.As(err, &iv) || !strings.Contains(iv.Error(), c.invalid):
				t.Errorf("err = %v, want an invalid value saying %q", err, c.invalid)
			}
		})
	}
}

// FuzzDecideRemote: any document decided against the remote schemas
// gives a result or a typed error, never a panic; a remote field allowed
// to user is denied to a role without a permission.
func FuzzDecideRemote(f *testing.F) {
	p := remotePolicy(f)
	for _, q := range []string{`{ user { id first_name } }`, `{ messages(where: {id: {eq: 3}}, order: ASC) { id msg } }`,
		`{ comms { id ...M } } fragment M on Message { msg }`, `{ feed { __typename ... on Message { id } } }`,
		`query($w: MessageWhere) { messages(where: $w) { id } }`, `mutation { sendMessage(msg: "hi") { id } }`} {
		f.Add(q)
	}
	vars := map[string]string{"x-hasura-user-id": "42", "x-hasura-org-id": "acme", "x-hasura-flag": "true", "x-hasura-order": "DESC"}
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
			if rf.Kind == graphql.RemoteSchemaField && other.RootFields[i].Decision == graphql.Allow {
				t.Fatalf("%s allowed to a role without a permission: %s", rf.Name, q)
			}
		}
	})
}
