package rls_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/rls"
)

// TestBackendOnlyUnderRLS: a backend_only permission (Hasura applies it
// only to a request with x-hasura-use-backend-only-permissions: true and
// the admin secret; Check only to a session with BackendOnly, which the
// server grants admin-level callers only) holds under row-level security
// only where the backend-only setting is exactly 'true'; without the
// option it is refused, naming it. The role's other permissions hold
// either way, as in Check.
func TestBackendOnlyUnderRLS(t *testing.T) {
	ctx := context.Background()
	db := openPG(ctx, t)
	run := runID()
	schema := "wrls_" + run + "_bo"
	setupSchema(ctx, t, db, schema,
		`CREATE SCHEMA `+qi(schema),
		`CREATE TABLE `+qi(schema)+`.jobs (id integer PRIMARY KEY, owner text)`,
		`INSERT INTO `+qi(schema)+`.jobs VALUES (1, 'a'), (2, 'b')`,
	)
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(`tables:
  - name: public.jobs
    columns: [{name: id, type: integer}, {name: owner, type: text}]
    primary_key: [id]
`)},
		"databases/databases.yaml": {Data: []byte(`- name: default
  kind: postgres
  tables:
    - table: {schema: public, name: jobs}
      select_permissions:
        - role: svc
          permission: {columns: [id, owner], filter: {owner: {_eq: X-Hasura-Owner}}}
      insert_permissions:
        - role: svc
          permission: {columns: [id, owner], check: {owner: {_eq: X-Hasura-Owner}}, backend_only: true}
      delete_permissions:
        - role: svc
          permission: {filter: {owner: {_eq: X-Hasura-Owner}}, backend_only: true}
      update_permissions:
        - role: svc
          permission: {columns: [owner], filter: {owner: {_eq: X-Hasura-Owner}}, check: {owner: {_eq: X-Hasura-Owner}}}
`)},
	}
	p, err := load.FS(ctx, fsys, "test:"+run)
	if err != nil {
		t.Fatal(err)
	}
	set, err := engine.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	// Without the option: refused, with the reason naming it.
	s, err := rls.Generate(set, rls.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Refused) != 2 || !strings.Contains(s.Refused[0].Error(), "--backend-only-setting") {
		t.Errorf("refused %v, want the insert and delete, naming --backend-only-setting", s.Refused)
	}
	roles := createRoles(ctx, t, db, p, run+"_bo", schema)
	l := newLeg(ctx, t, db, set, schema, roles, nil)
	if len(l.script.Refused) > 0 {
		t.Fatalf("refused: %v", l.script.Refused)
	}
	jobs := p.Tables[model.TableName{Schema: "public", Name: "jobs"}]
	l.rows = map[model.TableName][]map[string]any{jobs.Name: blogRows(ctx, t, db, qi(schema)+".jobs")}
	sessions := []map[string]string{{"x-hasura-owner": "a"}, {"x-hasura-owner": "b"}, {"x-hasura-owner": "c"}}
	counts := map[bool][2]int{}
	for _, backend := range []bool{false, true} {
		l.backendOnly = backend
		for _, op := range []model.Operation{model.OpSelect, model.OpInsert, model.OpUpdate, model.OpDelete} {
			before := l.allowed[op]
			l.compare(ctx, t, jobs, op, "svc", sessions, l.rows[jobs.Name])
			c := counts[backend]
			if op == model.OpInsert || op == model.OpDelete {
				c[0] += l.allowed[op] - before
			} else {
				c[1] += l.allowed[op] - before
			}
			counts[backend] = c
		}
	}
	t.Logf("allowed (backend_only permissions, others): without the setting %v, with it %v", counts[false], counts[true])
	if counts[false][0] != 0 || counts[true][0] == 0 || counts[false][1] == 0 || counts[false][1] != counts[true][1] {
		t.Errorf("allowed (backend_only, others): without %v, with %v; want backend_only only with the setting, the others alike", counts[false], counts[true])
	}
	// Only 'true' asks: not 'TRUE', 'on' or '1' (an insert Check would
	// allow with BackendOnly).
	for _, v := range []string{"TRUE", "on", "1", "t", ""} {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`SET LOCAL ROLE ` + qi(roles["svc"]), `SELECT set_config('request.jwt.claims', '{"x-hasura-owner": "a"}', true)`,
			`SELECT set_config('` + backendOnlySetting + `', '` + v + `', true)`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO `+qi(schema)+`.jobs VALUES (3, 'a')`)
		tx.Rollback()
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("backend-only setting %q: insert %v, want a row-level security refusal", v, err)
		}
	}
}
