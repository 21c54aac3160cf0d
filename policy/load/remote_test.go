package load

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

// remoteFixture is a remote schema with the permissions of Hasura's
// documentation example: user sees a part of the schema, its user_id
// argument preset from the session.
const remoteFixture = `
- name: accounts
  definition:
    url: http://accounts.internal/graphql
    forward_client_headers: true
    timeout_seconds: 60
    headers:
      - {name: x-api-key, value_from_env: ACCOUNTS_KEY}
  comment: the accounts service
  permissions:
    - role: user
      definition:
        schema: |
          schema { query: Query }
          type User { id: ID! first_name: String! }
          type Query { user(user_id: Int! @preset(value: "x-hasura-user-id")): User }
    - role: reader
      definition:
        schema: |
          type User { first_name: String! id: ID! }
          type Query { user(user_id: Int! @preset(value: "x-hasura-user-id")): User }
`

func loadRemote(t *testing.T, files map[string]string, opts ...Option) (*model.Policy, error) {
	t.Helper()
	fsys := withFiles(dirFS(t, "testdata/layouts/v3dir"), files)
	return FS(context.Background(), fsys, "test", opts...)
}

// TestRemoteSchemasLoad: the permissions of remote_schemas.yaml are read,
// their schemas parsed with the presets, and no note says remote schemas
// are not read.
func TestRemoteSchemasLoad(t *testing.T) {
	p, err := loadRemote(t, map[string]string{"metadata/remote_schemas.yaml": remoteFixture}, WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	rs := p.GraphQL.RemoteSchemas["accounts"]
	if rs == nil || len(rs.Roles) != 2 || rs.Customization != nil {
		t.Fatalf("remote schema accounts = %+v, want two roles", rs)
	}
	u := rs.Roles["user"]
	pv := u.Presets[model.PresetKey("Query", "user", "user_id")]
	if pv == nil || pv.Kind != model.PresetSession || pv.Session != "x-hasura-user-id" || pv.Type != "Int" {
		t.Errorf("preset of Query.user(user_id) = %+v, want the session variable x-hasura-user-id as an Int", pv)
	}
	if u.Schema.Query == nil || u.Schema.Query.Fields.ForName("user") == nil || u.Schema.Types["User"].Fields.ForName("last_name") != nil {
		t.Errorf("user's schema: %+v", u.Schema.Query)
	}
	if !contains(p.Roles, "reader") {
		t.Errorf("roles %v lack reader", p.Roles)
	}
	for _, n := range p.Notes {
		if strings.Contains(n, "remote") {
			t.Errorf("note %q", n)
		}
	}
}

// TestRemoteSchemasExport: the export's remote_schemas are read as the
// directory's file is.
func TestRemoteSchemasExport(t *testing.T) {
	base := dirFS(t, "testdata/layouts/export-v3")
	var doc map[string]any
	if err := json.Unmarshal(base["metadata.json"].Data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["remote_schemas"] = []any{map[string]any{
		"name":       "accounts",
		"definition": map[string]any{"url_from_env": "ACCOUNTS_URL"},
		"permissions": []any{map[string]any{"role": "user", "definition": map[string]any{
			"schema": "type Query { me(id: ID @preset(value: \"x-hasura-user-id\", static: true)): String }"}}},
	}}
	data, _ := json.Marshal(doc)
	p, err := FS(context.Background(), withFiles(base, map[string]string{"metadata.json": string(data)}), "test", WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	rs := p.GraphQL.RemoteSchemas["accounts"]
	if rs == nil || rs.Roles["user"] == nil {
		t.Fatalf("remote schema accounts = %+v", rs)
	}
	pv := rs.Roles["user"].Presets[model.PresetKey("Query", "me", "id")]
	if pv == nil || pv.Kind != model.PresetLiteral || pv.Literal != "x-hasura-user-id" {
		t.Errorf("static preset = %+v, want the literal string x-hasura-user-id", pv)
	}
}

// TestRemoteSchemaInvalid: a permission whose schema is not valid SDL, or
// whose presets Hasura refuses, is an inconsistent object naming the
// remote schema and the role; the other roles load. Strict loads fail.
func TestRemoteSchemaInvalid(t *testing.T) {
	good := `    - role: reader
      definition:
        schema: "type Query { hello: String }"
`
	cases := []struct{ name, schema, want string }{
		{"syntax", `type Query { hello: String`, "Expected"},
		{"undefined type", `type Query { me: User }`, "User"},
		{"no query root", `type Mutation { hello: String }`, "query root"},
		{"scalar preset of an object", `type Query { u(id: Int @preset(value: {id: 1})): String }`, "to be a scalar value"},
		{"unknown enum value", "enum Kind { A B }\ntype Query { u(k: Kind @preset(value: C)): String }", "not found in the enum"},
		{"enum literal string", "enum Kind { A B }\ntype Query { u(k: Kind @preset(value: \"A\")): String }", "to be an enum value"},
		{"session list", `type Query { u(ids: [Int] @preset(value: "x-hasura-ids")): String }`, "singleton"},
		{"unknown input field", "input W { id: Int }\ntype Query { u(w: W @preset(value: {name: 1})): String }", "does not exist in the input object"},
		{"static not boolean", `type Query { u(id: Int @preset(value: 1, static: "yes")): String }`, "Boolean"},
		{"no value", `type Query { u(id: Int @preset(static: true)): String }`, "not found"},
		{"preset on a field", `type Query { u: String @preset(value: 1) }`, "not applicable"},
		{"two presets", `type Query { u(id: Int @preset(value: 1) @preset(value: 2)): String }`, "once"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sdl, _ := json.Marshal(c.schema)
			file := "- name: accounts\n  definition: {url: http://x}\n  permissions:\n    - role: user\n      definition:\n        schema: " + string(sdl) + "\n" + good
			p, err := loadRemote(t, map[string]string{"metadata/remote_schemas.yaml": file})
			if err != nil {
				t.Fatal(err)
			}
			rs := p.GraphQL.RemoteSchemas["accounts"]
			bad := rs.Inconsistent["user"]
			if bad == nil || rs.Roles["user"] != nil || rs.Roles["reader"] == nil {
				t.Fatalf("want user inconsistent and reader loaded: %+v", rs)
			}
			if bad.String() != "permission of role user on remote schema accounts" || !strings.Contains(strings.Join(bad.Reasons, "\n"), c.want) {
				t.Errorf("inconsistency %s: %v, want it to say %q", bad, bad.Reasons, c.want)
			}
			if !containsObj(p.Inconsistent, bad) {
				t.Errorf("policy's inconsistent objects lack %s", bad)
			}
			if _, err := loadRemote(t, map[string]string{"metadata/remote_schemas.yaml": file}, WithStrict()); err == nil || !strings.Contains(err.Error(), "remote schema accounts") {
				t.Errorf("strict load: %v, want an error naming the remote schema", err)
			}
		})
	}
}

func containsObj(list []*model.Inconsistency, x *model.Inconsistency) bool {
	for _, i := range list {
		if i == x {
			return true
		}
	}
	return false
}

// TestRemoteSchemaDefinition: url and url_from_env, exactly one; admin
// takes no permission; customization is read.
func TestRemoteSchemaDefinition(t *testing.T) {
	for _, c := range []struct{ name, def, want string }{
		{"both urls", "{url: http://x, url_from_env: X}", "both url and url_from_env"},
		{"no url", "{timeout_seconds: 5}", "neither url nor url_from_env"},
		{"unknown key", "{url: http://x, handler: y}", `unknown key "handler"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := "- name: accounts\n  definition: " + c.def + "\n  permissions:\n    - role: user\n      definition: {schema: 'type Query { a: Int }'}\n"
			p, err := loadRemote(t, map[string]string{"metadata/remote_schemas.yaml": file})
			if err != nil {
				t.Fatal(err)
			}
			rs := p.GraphQL.RemoteSchemas["accounts"]
			if rs == nil || rs.Roles["user"] != nil || rs.Inconsistent[""] == nil || !strings.Contains(strings.Join(rs.Inconsistent[""].Reasons, ""), c.want) {
				t.Errorf("remote schema = %+v, want it inconsistent saying %q", rs, c.want)
			}
		})
	}
	_, err := loadRemote(t, map[string]string{"metadata/remote_schemas.yaml": "- name: a\n  definition: {url: http://x}\n  permissions:\n    - role: admin\n      definition: {schema: 'type Query { a: Int }'}\n"}, WithStrict())
	if err == nil || !strings.Contains(err.Error(), "admin") {
		t.Errorf("a permission for admin: %v", err)
	}
	p, err := loadRemote(t, map[string]string{"metadata/remote_schemas.yaml": "- name: a\n  definition: {url: http://x, customization: {root_fields_namespace: acc}}\n  permissions: []\n"}, WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	if c := p.GraphQL.RemoteSchemas["a"].Customization; c == nil || c.Namespace != "acc" || strings.Contains(strings.Join(p.Notes, "\n"), "customization") {
		t.Errorf("customization: %+v %v", c, p.Notes)
	}
}

// TestRemoteSchemaInherited: an inherited role takes its parents'
// permission when they are the same (order aside), and is inconsistent
// on the remote schema when they differ; its own permission overrides.
func TestRemoteSchemaInherited(t *testing.T) {
	roles := `
- role_name: both
  role_set: [user, reader]
- role_name: mixed
  role_set: [user, other]
- role_name: own
  role_set: [user, other]
`
	file := remoteFixture + `    - role: other
      definition:
        schema: "type Query { hello: String }"
    - role: own
      definition:
        schema: "type Query { hello: String }"
`
	p, err := loadRemote(t, map[string]string{"metadata/remote_schemas.yaml": file, "metadata/inherited_roles.yaml": roles})
	if err != nil {
		t.Fatal(err)
	}
	rs := p.GraphQL.RemoteSchemas["accounts"]
	if b := rs.Roles["both"]; b == nil || strings.Join(b.InheritedFrom, ",") != "user,reader" || b.Presets[model.PresetKey("Query", "user", "user_id")] == nil {
		t.Errorf("both = %+v, want user's schema inherited from user and reader (the same but for field order)", b)
	}
	if rs.Roles["mixed"] != nil || rs.Inconsistent["mixed"] == nil || !strings.Contains(rs.Inconsistent["mixed"].Reasons[0], "differ") {
		t.Errorf("mixed = %+v, %+v: want it inconsistent", rs.Roles["mixed"], rs.Inconsistent["mixed"])
	}
	if o := rs.Roles["own"]; o == nil || len(o.InheritedFrom) != 0 {
		t.Errorf("own = %+v, want its own permission", o)
	}
}

// FuzzRemoteRoleSchema: any schema document is parsed, validated or
// refused without a panic, and a built one compares with itself.
func FuzzRemoteRoleSchema(f *testing.F) {
	f.Add(`type Query { u(id: Int @preset(value: "x-hasura-user-id")): String }`)
	f.Add("input W { a: [Int] @preset(value: [1, 2]) b: W2 }\ninput W2 { c: Boolean @preset(value: true) }\ntype Query { q(w: W): Int }")
	f.Add("enum E { A B }\ntype Query { q(e: E @preset(value: \"x-hasura-e\"), f: [E] @preset(value: A)): Int }")
	f.Add("schema { query: Q mutation: M }\ntype Q { a: I }\ninterface I { x: Int }\ntype T implements I { x: Int }\ntype M { b: U }\nunion U = T")
	f.Fuzz(func(t *testing.T, sdl string) {
		rrs, errs := BuildRemoteRoleSchema("user", sdl)
		if len(errs) == 0 && (rrs == nil || rrs.Root("query") == nil) {
			t.Fatalf("no errors but no schema with a query root: %+v", rrs)
		}
		if rrs != nil && len(errs) == 0 && canonicalSchema(rrs.Schema) != canonicalSchema(rrs.Schema) {
			t.Fatal("canonical form differs from itself")
		}
	})
}
