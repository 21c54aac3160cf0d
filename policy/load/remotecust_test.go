package load

import (
	"strings"
	"testing"
)

// TestRemoteCustomization: definition.customization is read as Hasura's
// RemoteSchemaCustomization, and each role's schema renamed as its
// getCustomizer renames the upstream schema (the mapping before the
// namespace's root prefix before prefix and suffix; built-in scalars and,
// without a namespace, root types keep their names). Bad names and the
// conflicts of validateSchemaCustomizations make the remote schema
// inconsistent.
func TestRemoteCustomization(t *testing.T) {
	const schema = `'interface Node { id: ID! } type User implements Node { id: ID! name: String } type Query { user: User me: Node } type Mutation { rename(name: String): User }'`
	file := func(cust string) string {
		return "- name: acc\n  definition: {url: http://x, customization: " + cust + "}\n  permissions:\n    - role: user\n      definition: {schema: " + schema + "}\n"
	}
	t.Run("names", func(t *testing.T) {
		p, err := loadRemote(t, map[string]string{"metadata/remote_schemas.yaml": file(
			`{type_names: {prefix: acc_, suffix: _t, mapping: {Node: AccNode}}, field_names: [{parent_type: Query, prefix: x_}, {parent_type: User, suffix: _f, mapping: {name: fullName}}, {parent_type: Node, prefix: no, suffix: _f}, {parent_type: Node, suffix: _f}]}`)}, WithStrict())
		if err != nil {
			t.Fatal(err)
		}
		rrs := p.GraphQL.RemoteSchemas["acc"].Roles["user"]
		for shown, orig := range map[string]string{"acc_User_t": "User", "AccNode": "Node", "Query": "Query", "Mutation": "Mutation", "String": "String", "ID": "ID"} {
			if got := rrs.Names.Types[shown]; got != orig {
				t.Errorf("type %s: %q, want %q", shown, got, orig)
			}
		}
		for _, c := range []struct{ typ, shown, orig string }{{"Query", "x_user", "user"}, {"Query", "x_me", "me"}, {"User", "fullName", "name"}, {"User", "id_f", "id"}, {"Mutation", "rename", "rename"}, {"Node", "id_f", "id"}} {
			if got, ok := rrs.Names.Fields[c.typ][c.shown]; !ok || got != c.orig {
				t.Errorf("field %s.%s: %q, want %q", c.typ, c.shown, got, c.orig)
			}
		}
	})
	t.Run("namespace renames the roots", func(t *testing.T) {
		p, err := loadRemote(t, map[string]string{"metadata/remote_schemas.yaml": file(`{root_fields_namespace: acc, type_names: {prefix: p_, mapping: {Mutation: AccMut}}}`)}, WithStrict())
		if err != nil {
			t.Fatal(err)
		}
		rrs := p.GraphQL.RemoteSchemas["acc"].Roles["user"]
		for shown, orig := range map[string]string{"accQuery": "Query", "AccMut": "Mutation", "p_User": "User", "Boolean": "Boolean"} {
			if got := rrs.Names.Types[shown]; got != orig {
				t.Errorf("type %s: %q, want %q", shown, got, orig)
			}
		}
	})
	for _, c := range []struct{ name, cust, want string }{
		{"types not distinct", `{type_names: {mapping: {User: Query}}}`, "type name mappings are not distinct"},
		{"fields not distinct", `{field_names: [{parent_type: User, mapping: {name: id}}]}`, "field name mappings for type User are not distinct"},
		{"interface and object differ", `{field_names: [{parent_type: User, prefix: u_}]}`, "inconsistent with mapping for type User"},
		{"a reserved field", `{field_names: [{parent_type: User, mapping: {__typename: t}}]}`, "reserved field name __typename"},
		{"not a name", `{root_fields_namespace: "a-b"}`, "is not a GraphQL name"},
		{"a suffix that is not a name", `{type_names: {suffix: "2"}}`, "is not a GraphQL name"},
		{"no parent type", `{field_names: [{prefix: a}]}`, "needs its parent_type"},
		{"unknown key", `{namespace: a}`, `unknown key "namespace"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := loadRemote(t, map[string]string{"metadata/remote_schemas.yaml": file(c.cust)})
			if err != nil {
				t.Fatal(err)
			}
			rs := p.GraphQL.RemoteSchemas["acc"]
			if rs.Roles != nil || rs.Inconsistent[""] == nil || !strings.Contains(strings.Join(rs.Inconsistent[""].Reasons, "\n"), c.want) {
				t.Errorf("remote schema = %+v %+v, want it inconsistent saying %q", rs, rs.Inconsistent[""], c.want)
			}
			if _, err := loadRemote(t, map[string]string{"metadata/remote_schemas.yaml": file(c.cust)}, WithStrict()); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("strict: %v, want an error saying %q", err, c.want)
			}
		})
	}
}
