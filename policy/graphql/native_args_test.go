package graphql_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/graphql"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// nativeArgsSource: logical model doc_row (three scalar fields and a
// field of logical model doc_meta), of which user may select id and
// title of the rows of positive id and owner every scalar field of its own rows;
// note_row, of which user may select id and body. Native query docs
// returns doc_row, with an array and an object relationship to native
// query notes (note_row).
const nativeArgsSource = `- name: default
  kind: postgres
  tables: "!include default/tables/tables.yaml"
  logical_models:
    - name: doc_row
      fields:
        id: {type: {scalar: integer}}
        title: {type: {scalar: text}}
        secret: {type: {scalar: text}}
        meta: {type: {logical_model: doc_meta}}
      select_permissions:
        - role: user
          permission: {columns: [id, title], filter: {id: {_gt: 0}}}
        - role: owner
          permission: {columns: [id, title, secret], filter: {id: {_eq: X-Hasura-User-Id}}}
    - name: doc_meta
      fields:
        tag: {type: {scalar: text}}
      select_permissions:
        - role: user
          permission: {columns: [tag], filter: {}}
    - name: note_row
      fields:
        id: {type: {scalar: integer}}
        doc_id: {type: {scalar: integer}}
        body: {type: {scalar: text}}
        hidden: {type: {scalar: text}}
      select_permissions:
        - role: user
          permission: {columns: [id, body], filter: {}}
        - role: owner
          permission: {columns: [id, body], filter: {}}
  native_queries:
    - root_field_name: docs
      code: SELECT 1
      returns: doc_row
      array_relationships:
        - {name: notes, using: {column_mapping: {id: doc_id}, remote_native_query: notes}}
      object_relationships:
        - {name: first_note, using: {column_mapping: {id: doc_id}, remote_native_query: notes}}
    - root_field_name: notes
      code: SELECT 1
      returns: note_row
`

func loadNativeArgs(t *testing.T, source string) *model.Policy {
	t.Helper()
	fsys := v3dir(t)
	fsys["metadata/databases/databases.yaml"] = &fstest.MapFile{Data: []byte(source)}
	// auditor's parents grant different columns (secret only owner's).
	fsys["metadata/inherited_roles.yaml"] = &fstest.MapFile{Data: []byte("- role_name: auditor\n  role_set: [user, owner]\n")}
	p, err := load.FS(context.Background(), fsys, "test", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNativeQueryArguments: the where, order_by and distinct_on of a
// native query's rows are decided as Hasura builds them from the logical
// model (logicalModelBoolExp, logicalModelOrderByExp,
// logicalModelDistinctArg): every scalar field, whether or not the role
// may select it, is in <model>_bool_exp and <model>_order_by, and every
// field in <model>_enum_name; a name outside them is Hasura's
// validation error, a denial. On the root field and on an array
// relationship to a native query; an object relationship takes none.
func TestNativeQueryArguments(t *testing.T) {
	p := loadNativeArgs(t, nativeArgsSource)
	cases := []struct {
		name, role, query string
		vars              map[string]any
		want              graphql.Decision
		why               string
	}{
		// where
		{name: "where on a selectable column", query: `{ docs(where: {title: {_eq: "a"}}) { id } }`, want: graphql.Allow},
		{name: "where on a column the role may not select (in the model's bool_exp)", query: `{ docs(where: {secret: {_eq: "a"}}) { id } }`, want: graphql.Allow},
		{name: "where on no field of the model", query: `{ docs(where: {body: {_eq: "a"}}) { id } }`,
			want: graphql.Deny, why: "field 'body' not found in type: 'doc_row_bool_exp'"},
		{name: "where on a relationship (not a field of the logical model)", query: `{ docs(where: {notes: {id: {_eq: 1}}}) { id } }`,
			want: graphql.Deny, why: "field 'notes' not found in type: 'doc_row_bool_exp'"},
		{name: "where on a nested logical model field (no nested objects on postgres)", query: `{ docs(where: {meta: {tag: {_eq: "x"}}}) { id } }`,
			want: graphql.Deny, why: "field 'meta' not found in type: 'doc_row_bool_exp'"},
		{name: "_and, _or, _not", query: `{ docs(where: {_and: [{id: {_gt: 1}}, {_or: [{title: {_like: "a%"}}, {_not: {secret: {_is_null: true}}}]}]}) { id } }`,
			want: graphql.Allow},
		{name: "an unknown field deep in _and, _or, _not", query: `{ docs(where: {_and: [{id: {_gt: 1}}, {_or: [{title: {_like: "a%"}}, {_not: {nope: {_is_null: true}}}]}]}) { id } }`,
			want: graphql.Deny, why: "field 'nope' not found in type: 'doc_row_bool_exp'"},
		{name: "where from a variable", query: `query($w: doc_row_bool_exp) { docs(where: $w) { id } }`,
			vars: map[string]any{"w": map[string]any{"_or": []any{map[string]any{"secret": map[string]any{"_eq": "x"}}, map[string]any{"id": map[string]any{"_eq": 1}}}}}, want: graphql.Allow},
		{name: "an unknown field from a variable", query: `query($w: doc_row_bool_exp) { docs(where: $w) { id } }`,
			vars: map[string]any{"w": map[string]any{"_not": map[string]any{"nope": map[string]any{"_eq": 1}}}}, want: graphql.Deny, why: "field 'nope' not found in type: 'doc_row_bool_exp'"},
		{name: "an unknown field in a variable inside where", query: `query($c: doc_row_bool_exp) { docs(where: {_and: [$c]}) { id } }`,
			vars: map[string]any{"c": map[string]any{"nope": map[string]any{"_eq": 1}}}, want: graphql.Deny, why: "field 'nope' not found in type: 'doc_row_bool_exp'"},
		// order_by
		{name: "order_by on the model's fields", query: `{ docs(order_by: [{title: asc}, {secret: desc_nulls_last}]) { id } }`, want: graphql.Allow},
		{name: "order_by on no field of the model", query: `{ docs(order_by: {nope: asc}) { id } }`,
			want: graphql.Deny, why: "field 'nope' not found in type: 'doc_row_order_by'"},
		{name: "order_by on a relationship's aggregate", query: `{ docs(order_by: {notes_aggregate: {count: asc}}) { id } }`,
			want: graphql.Deny, why: "field 'notes_aggregate' not found in type: 'doc_row_order_by'"},
		{name: "order_by from a variable", query: `query($o: [doc_row_order_by!]) { docs(order_by: $o) { id } }`,
			vars: map[string]any{"o": []any{map[string]any{"meta": "asc"}}}, want: graphql.Deny, why: "field 'meta' not found in type: 'doc_row_order_by'"},
		// distinct_on, limit, offset
		{name: "distinct_on every field, selectable or not", query: `{ docs(distinct_on: [id, secret, meta], limit: 5, offset: 1) { id } }`, want: graphql.Allow},
		{name: "distinct_on no field of the model", query: `{ docs(distinct_on: [nope]) { id } }`,
			want: graphql.Deny, why: "value 'nope' not found in enum: 'doc_row_enum_name'"},
		{name: "distinct_on from a variable", query: `query($d: [doc_row_enum_name!]) { docs(distinct_on: $d) { id } }`,
			vars: map[string]any{"d": []any{"title", "notes"}}, want: graphql.Deny, why: "value 'notes' not found in enum: 'doc_row_enum_name'"},
		// relationship targets
		{name: "array relationship: the target's arguments", query: `{ docs { id notes(where: {hidden: {_eq: "x"}}, order_by: {body: asc}, distinct_on: [hidden], limit: 2, offset: 1) { id } } }`,
			want: graphql.Allow},
		{name: "array relationship: where on no field of the target", query: `{ docs { notes(where: {_or: [{id: {_eq: 1}}, {title: {_eq: "a"}}]}) { id } } }`,
			want: graphql.Deny, why: "field 'title' not found in type: 'note_row_bool_exp'"},
		{name: "array relationship: order_by on no field of the target", query: `{ docs { notes(order_by: {secret: asc}) { id } } }`,
			want: graphql.Deny, why: "field 'secret' not found in type: 'note_row_order_by'"},
		{name: "array relationship: distinct_on no field of the target", query: `{ docs { notes(distinct_on: [title]) { id } } }`,
			want: graphql.Deny, why: "value 'title' not found in enum: 'note_row_enum_name'"},
		{name: "object relationship: no where", query: `{ docs { first_note(where: {id: {_eq: 1}}) { id } } }`,
			want: graphql.Deny, why: "'first_note' has no argument named 'where'"},
		{name: "object relationship: no order_by", query: `{ docs { first_note(order_by: {id: asc}) { id } } }`,
			want: graphql.Deny, why: "'first_note' has no argument named 'order_by'"},
		{name: "object relationship without arguments", query: `{ docs { first_note { id body } } }`, want: graphql.Allow},
		// a denial stands whatever Warden decides of the rows
		{name: "filtered rows (owner) with a where on its fields", role: "owner", query: `{ docs(where: {secret: {_eq: "a"}}) { id secret } }`, want: graphql.Allow, why: "Filter on"},
		{name: "an inherited role (parents granting different columns), a where Hasura allows", role: "auditor", query: `{ docs(where: {secret: {_eq: "a"}}) { id secret } }`,
			want: graphql.Allow, why: "Filter on"},
		{name: "an inherited role, a where Hasura refuses", role: "auditor", query: `{ docs(where: {nope: {_eq: "a"}}) { id } }`,
			want: graphql.Deny, why: "field 'nope' not found in type: 'doc_row_bool_exp'"},
		{name: "a selection Hasura refuses and a where it allows", query: `{ docs(where: {id: {_eq: 1}}) { secret } }`,
			want: graphql.Deny, why: "not among the columns"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			role := c.role
			if role == "" {
				role = "user"
			}
			res, err := graphql.Decide(p, graphql.Request{Role: role, Vars: map[string]string{"x-hasura-user-id": "7"}, Query: c.query, Variables: c.vars})
			if err != nil {
				t.Fatal(err)
			}
			f := res.RootFields[0]
			if f.Decision != c.want || !strings.Contains(f.Reason, c.why) {
				t.Errorf("%v (%s), want %v saying %q", f.Decision, f.Reason, c.want, c.why)
			}
			if f.Kind != graphql.NativeQueryField {
				t.Errorf("kind %v, want NativeQueryField", f.Kind)
			}
		})
	}
}

// TestNativeQueryArgumentsNestedBackend: on a backend that may have
// nested objects (Hasura's backendSupportsNestedObjects holds for data
// connectors), a field of another logical model may be in the where and
// order_by types: a where or order_by of a model with such fields is
// undecided, never denied or allowed on a guess; one of a model of
// scalar fields only is decided.
func TestNativeQueryArgumentsNestedBackend(t *testing.T) {
	src := strings.Replace(nativeArgsSource, "kind: postgres", "kind: mongo", 1)
	src = strings.Replace(src, "  tables: \"!include default/tables/tables.yaml\"\n", "  tables: []\n", 1)
	p := loadNativeArgs(t, src)
	for _, c := range []struct {
		query string
		want  graphql.Decision
		why   string
	}{
		{`{ docs(where: {meta: {tag: {_eq: "x"}}}) { id } }`, graphql.Undecided, "nested objects"},
		{`{ docs(order_by: {id: asc}) { id } }`, graphql.Undecided, "nested objects"},
		{`{ docs(distinct_on: [meta]) { id } }`, graphql.Allow, ""},
		{`{ notes(where: {nope: {_eq: 1}}) { id } }`, graphql.Deny, "field 'nope' not found in type: 'note_row_bool_exp'"},
		{`{ notes(where: {hidden: {_eq: "x"}}) { id } }`, graphql.Allow, ""},
	} {
		res, err := graphql.Decide(p, graphql.Request{Role: "user", Query: c.query})
		if err != nil {
			t.Fatal(err)
		}
		if f := res.RootFields[0]; f.Decision != c.want || !strings.Contains(f.Reason, c.why) {
			t.Errorf("%s: %v (%s), want %v saying %q", c.query, f.Decision, f.Reason, c.want, c.why)
		}
	}
}

// TestNativeQueryFilterUndecided: a select permission whose filter
// Warden does not have (model.LogicalSelect.Filter nil: a parent's
// filter it could not read) leaves the rows undecided, never allowed;
// a denial of the arguments stands.
func TestNativeQueryFilterUndecided(t *testing.T) {
	p := loadNativeArgs(t, nativeArgsSource)
	p.GraphQL.LogicalModels["default"]["doc_row"].Select["auditor"].Filter = nil
	for _, c := range []struct {
		query string
		want  graphql.Decision
		why   string
	}{
		{`{ docs(where: {secret: {_eq: "a"}}) { id } }`, graphql.Undecided, "filters its rows"},
		{`{ docs(where: {nope: {_eq: "a"}}) { id } }`, graphql.Deny, "field 'nope' not found in type: 'doc_row_bool_exp'"},
		{`{ docs { id notes(distinct_on: [nope]) { id } } }`, graphql.Deny, "value 'nope' not found in enum: 'note_row_enum_name'"},
	} {
		res, err := graphql.Decide(p, graphql.Request{Role: "auditor", Vars: map[string]string{"x-hasura-user-id": "7"}, Query: c.query})
		if err != nil {
			t.Fatal(err)
		}
		if f := res.RootFields[0]; f.Decision != c.want || !strings.Contains(f.Reason, c.why) {
			t.Errorf("%s: %v (%s), want %v saying %q", c.query, f.Decision, f.Reason, c.want, c.why)
		}
	}
}
