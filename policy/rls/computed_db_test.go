package rls_test

import (
	"context"
	"database/sql"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// TestComputedFieldUnderRLS: a rule over a computed field whose function
// reads a table the role may not read, and over a relationship to it.
// Hasura calls the function over every row, whatever the role's
// permissions (and Check takes its value as the caller computed it); the
// helper does the same. Called as the role, the function would count no
// owners, and the rule would select other rows.
func TestComputedFieldUnderRLS(t *testing.T) {
	ctx := context.Background()
	db := openPG(ctx, t)
	run := runID()
	schema := "wrls_" + run + "_cf"
	fn := "wrls_" + run + "_rank"
	for _, stmt := range []string{
		`CREATE SCHEMA ` + qi(schema),
		`CREATE TABLE ` + qi(schema) + `.owners (id integer PRIMARY KEY, org_id integer)`,
		`CREATE TABLE ` + qi(schema) + `.docs (id integer PRIMARY KEY, owner_id integer, body text)`,
		`INSERT INTO ` + qi(schema) + `.owners VALUES (1, 1), (2, 2)`,
		`INSERT INTO ` + qi(schema) + `.docs VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 1, 'c'), (4, NULL, 'd'), (5, 2, 'e')`,
		// The metadata names the function public.<fn>, where it lives.
		`CREATE FUNCTION public.` + qi(fn) + `(d ` + qi(schema) + `.docs) RETURNS integer LANGUAGE sql STABLE
			AS $$ SELECT d.id + (SELECT count(*)::integer FROM ` + qi(schema) + `.owners) $$`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() {
		c := context.WithoutCancel(ctx)
		db.ExecContext(c, `DROP SCHEMA `+qi(schema)+` CASCADE`)
		db.ExecContext(c, `DROP FUNCTION IF EXISTS public.`+qi(fn)+`(`+qi(schema)+`.docs)`)
	})
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(`functions: [{name: public.` + fn + `, returns: integer}]
tables:
  - name: public.owners
    columns: [{name: id, type: integer}, {name: org_id, type: integer}]
    primary_key: [id]
  - name: public.docs
    columns: [{name: id, type: integer}, {name: owner_id, type: integer}, {name: body, type: text}]
    primary_key: [id]
    foreign_keys: [{columns: [owner_id], references: {table: public.owners, columns: [id]}}]
`)},
		"databases/databases.yaml": {Data: []byte(`- name: default
  kind: postgres
  tables:
    - table: {schema: public, name: owners}
    - table: {schema: public, name: docs}
      computed_fields:
        - name: rank
          definition: {function: {schema: public, name: ` + fn + `}}
      object_relationships:
        - name: owner
          using: {foreign_key_constraint_on: owner_id}
      select_permissions:
        - role: reader
          permission:
            columns: [id, body]
            filter:
              _and:
                - rank: {_gt: 3}
                - _or:
                    - owner: {org_id: {_eq: X-Hasura-Org-Id}}
                    - owner_id: {_is_null: true}
`)},
	}
	p, _, l := fsLeg(ctx, t, db, fsys, run+"_cf", schema)
	if !strings.Contains(l.script.Apply, `"public".`+qi(fn)+`("warden_row".*)`) {
		t.Errorf("the helper does not call the computed field on its row:\n%s", l.script.Apply)
	}
	// Check takes the computed field's value from the row, as the caller
	// (here the superuser) computed it.
	docs := p.Tables[model.TableName{Schema: "public", Name: "docs"}]
	l.rows = map[model.TableName][]map[string]any{
		{Schema: "public", Name: "owners"}: blogRows(ctx, t, db, qi(schema)+".owners"),
		docs.Name:                          blogRows(ctx, t, db, `(SELECT d.*, public.`+qi(fn)+`(d) AS rank FROM `+qi(schema)+`.docs AS d)`),
	}
	var sessions []map[string]string
	for _, org := range []string{"1", "2", "3"} {
		sessions = append(sessions, map[string]string{"x-hasura-org-id": org})
	}
	l.compare(ctx, t, docs, model.OpSelect, "reader", sessions, l.rows[docs.Name])
	t.Logf("select: %d allowed, %d denied, in agreement", l.allowed[model.OpSelect], l.denied[model.OpSelect])
	if l.allowed[model.OpSelect] == 0 || l.denied[model.OpSelect] == 0 {
		t.Error("the comparison shows nothing")
	}
}

// fsLeg loads a policy from fsys, creates its roles and applies its
// script (nothing refused) to schema.
func fsLeg(ctx context.Context, t *testing.T, db *sql.DB, fsys fs.FS, run, schema string) (*model.Policy, map[string]string, *leg) {
	t.Helper()
	p, err := load.FS(ctx, fsys, "test:"+run)
	if err != nil {
		t.Fatal(err)
	}
	set, err := engine.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	roles := createRoles(ctx, t, db, p, run, schema)
	l := newLeg(ctx, t, db, set, schema, roles, nil)
	if len(l.script.Refused) > 0 {
		t.Fatalf("refused: %v", l.script.Refused)
	}
	return p, roles, l
}
