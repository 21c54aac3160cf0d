package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// A policy set with inconsistent objects, as Hasura would report them: a
// permission naming an unknown column, a relationship over mismatched
// columns and a permission that uses it, a table of an mssql source, and an
// inherited role whose parent's permission is inconsistent.
var inconsistentFS = fstest.MapFS{
	"schema.yaml": {Data: []byte(`
tables:
  - name: notes
    columns: [{name: id, type: integer}, {name: owner_id, type: integer}, {name: tag, type: text}]
    primary_key: [id]
  - name: people
    columns: [{name: id, type: uuid}]
    primary_key: [id]
`)},
	"metadata.json": {Data: []byte(`{
  "resource_version": 3,
  "metadata": {
    "version": 3,
    "sources": [
      {"name": "default", "kind": "postgres", "configuration": {},
       "tables": [
        {"table": {"schema": "public", "name": "notes"},
         "object_relationships": [
           {"name": "owner", "using": {"manual_configuration": {"remote_table": "people", "column_mapping": {"owner_id": "id"}}}}
         ],
         "select_permissions": [
           {"role": "user", "permission": {"columns": ["id"], "filter": {"owner_id": {"_eq": "X-Hasura-User-Id"}}}},
           {"role": "typo", "permission": {"columns": ["id"], "filter": {"ownr_id": {"_eq": "X-Hasura-User-Id"}}}}
         ],
         "delete_permissions": [
           {"role": "user", "permission": {"filter": {"owner": {"id": {"_eq": "X-Hasura-User-Id"}}}}}
         ],
         "update_permissions": [
           {"role": "user", "permission": {"columns": ["tag"], "filter": {}, "check": null, "set": null}}
         ]}
       ]},
      {"name": "warehouse", "kind": "mssql", "configuration": {},
       "tables": [{"table": {"schema": "dbo", "name": "orders"},
                   "select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {}}}]}]}
    ],
    "inherited_roles": [{"role_name": "both", "role_set": ["user", "typo"]}]
  }
}`)},
}

func TestInconsistentObjects(t *testing.T) {
	ctx := context.Background()
	if _, err := load.FS(ctx, inconsistentFS, "test", load.WithStrict()); !errors.Is(err, load.ErrInvalidPolicy) {
		t.Fatalf("strict load: err = %v, want the set refused", err)
	}
	p, err := load.FS(ctx, inconsistentFS, "test")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	var listed []string
	for _, i := range p.Inconsistent {
		listed = append(listed, i.String())
	}
	want := []string{
		"table dbo.orders",
		"relationship owner of public.notes",
		"select permission of role typo on public.notes",
		"delete permission of role user on public.notes",
		"select permission of role both on public.notes",
		"delete permission of role both on public.notes",
	}
	if strings.Join(listed, "\n") != strings.Join(want, "\n") {
		t.Errorf("inconsistent objects:\n%s\nwant:\n%s", strings.Join(listed, "\n"), strings.Join(want, "\n"))
	}
	set, err := New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	notes := TableName("public.notes")
	user := Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "7"}}
	row := []Row{{ID: "r", Values: map[string]any{"id": 1.0, "owner_id": 7.0, "tag": "a"}}}

	// What is consistent decides as before.
	res, err := set.Check(ctx, CheckInput{Session: user, Table: notes, Op: model.OpSelect, Rows: row})
	if err != nil || res.Rows[0].Decision != Allow {
		t.Fatalf("select of user: %+v, %v; want allow", res, err)
	}
	res, err = set.Check(ctx, CheckInput{Session: user, Table: notes, Op: model.OpUpdate, Rows: row})
	if err != nil || res.Rows[0].Decision != Allow {
		t.Fatalf("update of user (check: null): %+v, %v; want allow", res, err)
	}
	// A role without any permission is still denied, not refused.
	res, err = set.Check(ctx, CheckInput{Session: Session{Role: "nobody"}, Table: notes, Op: model.OpSelect, Rows: row})
	if err != nil || res.Rows[0].Decision != Deny {
		t.Fatalf("select of a role with no permission: %+v, %v; want deny", res, err)
	}

	refused := []struct {
		name  string
		table model.TableName
		op    model.Operation
		role  string
		want  string
	}{
		{"a permission naming an unknown column", notes, model.OpSelect, "typo", `unknown column or relationship "ownr_id"`},
		{"a permission using an inconsistent relationship", notes, model.OpDelete, "user", "relationship owner of public.notes is inconsistent"},
		{"an inherited role whose parent's permission is inconsistent", notes, model.OpSelect, "both", "select permission of role typo on public.notes is inconsistent"},
		{"a table of an mssql source", TableName("dbo.orders"), model.OpSelect, "user", "source warehouse of kind mssql"},
		{"a table of an mssql source, as admin", TableName("dbo.orders"), model.OpSelect, model.AdminRole, "source warehouse of kind mssql"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			s := Session{Role: tc.role, Vars: user.Vars}
			_, cerr := set.Check(ctx, CheckInput{Session: s, Table: tc.table, Op: tc.op, Rows: row})
			_, ferr := set.Filter(ctx, FilterInput{Session: s, Table: tc.table, Op: tc.op})
			for what, err := range map[string]error{"Check": cerr, "Filter": ferr} {
				var ie *InconsistentError
				if !errors.As(err, &ie) || !errors.Is(err, ErrInconsistent) {
					t.Errorf("%s: err = %v, want an *InconsistentError", what, err)
					continue
				}
				if !strings.Contains(strings.Join(ie.Object.Reasons, "\n"), tc.want) {
					t.Errorf("%s: reasons %q lack %q", what, ie.Object.Reasons, tc.want)
				}
			}
		})
	}
}

// TableName parses a table name for tests.
func TableName(s string) model.TableName {
	n, err := model.ParseTableName(s)
	if err != nil {
		panic(err)
	}
	return n
}
