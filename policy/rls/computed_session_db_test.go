package rls_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/rls"
)

// TestComputedSessionArgumentUnderRLS: a computed field whose function
// takes the session (session_argument). Hasura passes it the session as a
// json object of the variables, names lower-cased, with x-hasura-role
// (Hasura's docs, "Computed fields": "session_argument: the name of the
// argument that takes the JSON object of the session variables"); Filter
// passes it so (sqlgen.Options.SessionVars), and Check takes the field's
// value as the caller computed it. The policy's helper passes the object
// warden_session_json builds from the setting. The function below answers
// from the user id, the role and the number of variables the object
// holds, so that a name not lower-cased, a variable too many (a claim
// that is not a session variable) or another role shows. Check's rows are
// computed, per session, with the object Filter would pass.
func TestComputedSessionArgumentUnderRLS(t *testing.T) {
	ctx := context.Background()
	db := openPG(ctx, t)
	run := runID()
	schema := "wrls_" + run + "_cfs"
	fn := "wrls_" + run + "_mine"
	docs := qi(schema) + ".docs"
	for _, stmt := range []string{
		`CREATE SCHEMA ` + qi(schema),
		`CREATE TABLE ` + docs + ` (id integer PRIMARY KEY, owner_id text, nkeys integer)`,
		`INSERT INTO ` + docs + ` VALUES (1, '1', 2), (2, '1', 3), (3, '2', 2), (4, '2', 3), (5, NULL, 2), (6, 'u"1', 3), (7, 'É', 2)`,
		`CREATE FUNCTION public.` + qi(fn) + `(d ` + docs + `, hasura_session json) RETURNS boolean LANGUAGE sql STABLE
			AS $$ SELECT d.owner_id = hasura_session->>'x-hasura-user-id' AND hasura_session->>'x-hasura-role' = 'reader'
				AND (SELECT count(*) FROM json_object_keys(hasura_session)) = d.nkeys $$`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() {
		c := context.WithoutCancel(ctx)
		db.ExecContext(c, `DROP FUNCTION IF EXISTS public.`+qi(fn)+`(`+docs+`, json)`)
		db.ExecContext(c, `DROP SCHEMA `+qi(schema)+` CASCADE`)
	})
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(`functions: [{name: public.` + fn + `, returns: boolean}]
tables:
  - name: public.docs
    columns: [{name: id, type: integer}, {name: owner_id, type: text}, {name: nkeys, type: integer}]
    primary_key: [id]
`)},
		"databases/databases.yaml": {Data: []byte(`- name: default
  kind: postgres
  tables:
    - table: {schema: public, name: docs}
      computed_fields:
        - name: mine
          definition: {function: {schema: public, name: ` + fn + `}, session_argument: hasura_session}
      select_permissions:
        - role: reader
          permission:
            columns: [id]
            filter: {_or: [{mine: {_eq: true}}, {id: {_eq: X-Hasura-Doc-Id}}]}
      delete_permissions:
        - role: reader
          permission:
            filter: {mine: {_eq: true}}
`)},
	}
	p, roles, l := fsLeg(ctx, t, db, fsys, run+"_cfs", schema)
	if !strings.Contains(l.script.Apply, `"hasura_session" => `+qi(schema)+`."`+rls.JSONFunctionName+`"('request.jwt.claims', '{}'::text[], 'reader')`) {
		t.Fatalf("the helper does not pass the session read from the setting:\n%s", l.script.Apply)
	}
	table := p.Tables[model.TableName{Schema: "public", Name: "docs"}]
	// Names in any case, as a token or a service may spell them; Check's
	// session is case-insensitive, and the object's names are lower-case.
	sessions := []map[string]string{
		{"x-hasura-user-id": "1", "x-hasura-doc-id": "3"},
		{"X-Hasura-User-Id": "1", "x-hasura-doc-id": "7", "X-HASURA-TEAM": "a"},
		{"x-hasura-user-id": "2", "x-hasura-doc-id": "1", "x-hasura-team": ""},
		{"x-hasura-user-id": `u"1`, "x-hasura-doc-id": "5", "x-hasura-team": "b"},
		{"x-hasura-user-id": "É", "x-hasura-doc-id": "2"},
		{"x-hasura-user-id": "1"}, // no x-hasura-doc-id: Check refuses the session
	}
	check := func(l *leg, claimsPath []string) {
		t.Helper()
		for _, vars := range sessions {
			// The object Filter passes (sqlgen.computed): lower-cased
			// names and x-hasura-role.
			obj := map[string]string{"x-hasura-role": "reader"}
			for k, v := range vars {
				obj[strings.ToLower(k)] = v
			}
			js, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			rows := computedRows(ctx, t, db, `(SELECT d.*, public.`+qi(fn)+`(d, '`+strings.ReplaceAll(string(js), "'", "''")+`'::json) AS mine FROM `+docs+` AS d)`)
			l.rows = map[model.TableName][]map[string]any{table.Name: rows}
			for _, op := range []model.Operation{model.OpSelect, model.OpDelete} {
				l.compare(ctx, t, table, op, "reader", []map[string]string{vars}, rows)
			}
		}
		for _, op := range []model.Operation{model.OpSelect, model.OpDelete} {
			t.Logf("path %v %s: %d allowed, %d denied, in agreement", claimsPath, op, l.allowed[op], l.denied[op])
			if l.allowed[op] == 0 || l.denied[op] == 0 {
				t.Errorf("path %v %s: the comparison shows nothing", claimsPath, op)
			}
		}
	}
	check(l, nil)
	// The same under Hasura's claims namespace inside a token's claims.
	path := []string{"https://hasura.io/jwt/claims"}
	check(newLeg(ctx, t, db, l.set, schema, roles, path), path)

	// The object itself, read as the role: claims that are not session
	// variables, a token's role claims and an x-hasura-role of the
	// setting's are not passed; the role is the policy's.
	fnRef := qi(schema) + `."` + rls.JSONFunctionName + `"`
	sessionJSON := func(claims string) (string, error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `SET LOCAL ROLE "`+roles["reader"]+`"`); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `SELECT set_config('request.jwt.claims', $1, true)`, claims); err != nil {
			t.Fatal(err)
		}
		var out string
		err = tx.QueryRowContext(ctx, `SELECT `+fnRef+`('request.jwt.claims', '{}'::text[], 'reader')::text`).Scan(&out)
		return out, err
	}
	got, err := sessionJSON(`{"sub": "u", "role": "x", "X-Hasura-User-Id": "1", "x-hasura-role": "admin", "x-hasura-allowed-roles": ["admin"], "X-Hasura-Default-Role": "admin", "x-hasura-Team": "a b"}`)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(got), &obj); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"x-hasura-role": "reader", "x-hasura-user-id": "1", "x-hasura-team": "a b"}; !maps.Equal(obj, want) {
		t.Errorf("session json %s, want %v", got, want)
	}
	// What Check's session could not be: an error, not another session.
	for _, claims := range []string{
		`{"x-hasura-user-id": "1", "X-Hasura-User-Id": "2"}`, // two spellings
		`{"x-hasura-user-id": 1}`,                            // not a string
		`{"x-hasura-user-id": null}`,
		`{"x-haſura-user-id": "1"}`, // Go's EqualFold takes ſ for s
		`[1]`,
		``,
	} {
		got, err := sessionJSON(claims)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("claims %s: %q, %v; want an insufficient_privilege error", claims, got, err)
		}
	}
}

// computedRows reads rows (with a computed field's value) for Check.
func computedRows(ctx context.Context, t *testing.T, db *sql.DB, ref string) []map[string]any {
	t.Helper()
	return blogRows(ctx, t, db, ref)
}
