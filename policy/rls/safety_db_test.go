package rls_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardenpdp/warden/policy/rls"
)

// TestRLSSafety: what the helpers and the preset trigger must refuse, on
// the blog: a script run by a role that does not bypass row-level
// security, a role acting as two mapped roles with different presets,
// the helpers called by a role they are not granted to, and a session
// not where the script reads it.
func TestRLSSafety(t *testing.T) {
	ctx := context.Background()
	db := openPG(ctx, t)
	run := runID()
	schema, _, set, roles := blogSet(ctx, t, db, run)
	ns := "https://hasura.io/jwt/claims"
	s, err := rls.Generate(set, rls.Options{Roles: roles, Schemas: map[string]string{"public": schema}, FunctionSchema: schema, ClaimsPath: []string{ns}})
	if err != nil {
		t.Fatal(err)
	}
	other := "wrls_" + run + "_other"
	for _, stmt := range []string{`CREATE ROLE ` + qi(other) + ` NOLOGIN`, `GRANT USAGE, CREATE ON SCHEMA ` + qi(schema) + ` TO ` + qi(other)} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		c := context.WithoutCancel(ctx)
		db.ExecContext(c, `DROP OWNED BY `+qi(other))
		db.ExecContext(c, `DROP ROLE `+qi(other))
	})
	code := func(err error) string {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return pe.Code
		}
		return ""
	}

	t.Run("the script's role must bypass row-level security", func(t *testing.T) {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// The tables' owner, but neither superuser nor BYPASSRLS: the
		// helpers it would own could not read what the rules read.
		stmts := []string{"BEGIN"}
		for _, tb := range []string{"organisations", "users", "articles", "comments"} {
			stmts = append(stmts, `ALTER TABLE `+qi(schema)+`.`+tb+` OWNER TO `+qi(other))
		}
		stmts = append(stmts, `SET LOCAL ROLE `+qi(other))
		for _, stmt := range stmts {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		_, err = conn.ExecContext(ctx, s.Apply)
		if err == nil || !strings.Contains(err.Error(), "does not bypass row-level security") {
			t.Errorf("the script ran as a role that does not bypass row-level security: %v", err)
		}
		if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
			t.Fatal(err)
		}
	})

	if _, err := db.ExecContext(ctx, s.Apply); err != nil {
		t.Fatalf("apply: %v", err)
	}
	articles := qi(schema) + ".articles"
	as := func(role, claims string, stmt string) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `SET LOCAL ROLE `+qi(role)); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `SELECT set_config('`+rls.DefaultSetting+`', $1, true)`, claims); err != nil {
			t.Fatal(err)
		}
		_, err = tx.ExecContext(ctx, stmt)
		return err
	}
	session := `{"` + ns + `": {"x-hasura-user-id": "1", "x-hasura-org-id": "1"}}`
	insert := `INSERT INTO ` + articles + ` (title, body, published) VALUES ('t', 'b', true)`

	t.Run("one role, its presets", func(t *testing.T) {
		if err := as(roles["user"], session, insert); err != nil {
			t.Fatalf("user's insert: %v", err)
		}
	})

	t.Run("two mapped roles with different presets", func(t *testing.T) {
		both := "wrls_" + run + "_both"
		for _, stmt := range []string{`CREATE ROLE ` + qi(both) + ` NOLOGIN`,
			`GRANT ` + qi(roles["user"]) + `, ` + qi(roles["author_editor"]) + ` TO ` + qi(both)} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		defer db.ExecContext(context.WithoutCancel(ctx), `DROP ROLE `+qi(both))
		err := as(both, session, insert)
		if err == nil || !strings.Contains(err.Error(), "whose presets differ") || code(err) != "42501" {
			t.Errorf("a role acting as user and author_editor inserted: %v", err)
		}
	})

	t.Run("the session elsewhere than the script reads it", func(t *testing.T) {
		err := as(roles["user"], `{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}`, `SELECT count(*) FROM `+articles)
		if err == nil || !strings.Contains(err.Error(), "holds no session") || code(err) != "42501" {
			t.Errorf("a session at the top level was read: %v", err)
		}
	})

	t.Run("helpers", func(t *testing.T) {
		var helpers, definer, public, others int
		if err := db.QueryRowContext(ctx, `SELECT count(*),
			count(*) FILTER (WHERE p.prosecdef AND p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp', 'row_security=off']),
			count(*) FILTER (WHERE has_function_privilege('public', p.oid, 'EXECUTE')),
			count(*) FILTER (WHERE has_function_privilege($2, p.oid, 'EXECUTE'))
			FROM pg_proc AS p WHERE p.pronamespace = to_regnamespace($1) AND p.proname ~ '_(using|check)$'`,
			qi(schema), other).Scan(&helpers, &definer, &public, &others); err != nil {
			t.Fatal(err)
		}
		if helpers == 0 || definer != helpers || public != 0 || others != 0 {
			t.Errorf("%d helpers: %d SECURITY DEFINER with the safe settings, %d executable by PUBLIC, %d by an unmapped role", helpers, definer, public, others)
		}
	})
}

// TestRLSQuoting: the rules' and presets' literals reach function bodies
// (helpers, the preset trigger) that the script dollar-quotes; a literal
// holding the quote's tag must stay a literal. The preset is stored
// exactly, and the helper's rule means what it says.
func TestRLSQuoting(t *testing.T) {
	ctx := context.Background()
	db := openPG(ctx, t)
	run := runID()
	schema := "wrls_" + run + "_q"
	evil := "$warden$'); DROP TABLE x; -- $warden1$ \\' $"
	for _, stmt := range []string{
		`CREATE SCHEMA ` + qi(schema),
		`CREATE TABLE ` + qi(schema) + `.notes (id integer PRIMARY KEY, owner text, tag text)`,
		`INSERT INTO ` + qi(schema) + `.notes VALUES (1, 'a', '$warden$'), (2, 'b', 'plain')`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() { db.ExecContext(context.WithoutCancel(ctx), `DROP SCHEMA `+qi(schema)+` CASCADE`) })
	js := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(`tables:
  - name: public.notes
    columns: [{name: id, type: integer}, {name: owner, type: text}, {name: tag, type: text}]
    primary_key: [id]
`)},
		"databases/databases.yaml": {Data: []byte(`- name: default
  kind: postgres
  tables:
    - table: {schema: public, name: notes}
      insert_permissions:
        - role: writer
          permission:
            columns: [id, tag]
            set: {owner: ` + js(evil) + `}
            check: {_exists: {_table: {schema: public, name: notes}, _where: {tag: {_eq: "$warden$"}}}}
      select_permissions:
        - role: writer
          permission:
            columns: [id, owner, tag]
            filter: {_exists: {_table: {schema: public, name: notes}, _where: {tag: {_eq: ` + js(evil) + `}}}}
`)},
	}
	_, roles, l := fsLeg(ctx, t, db, fsys, run+"_q", schema)
	if !strings.Contains(l.script.Apply, "$warden1$") {
		t.Error("no body was quoted with another tag, though the literals hold $warden$")
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var visible int
	for _, stmt := range []string{`SET LOCAL ROLE ` + qi(roles["writer"]), `SELECT set_config('` + rls.DefaultSetting + `', '{}', true)`,
		`INSERT INTO ` + qi(schema) + `.notes (id, tag) VALUES (3, 'new')`} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	// No row holds the select rule's tag: nothing is visible.
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+qi(schema)+`.notes`).Scan(&visible); err != nil || visible != 0 {
		t.Errorf("visible %d (%v), want 0", visible, err)
	}
	var owner string
	if _, err := tx.ExecContext(ctx, `RESET ROLE`); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT owner FROM `+qi(schema)+`.notes WHERE id = 3`).Scan(&owner); err != nil || owner != evil {
		t.Errorf("stored owner %q (%v), want the preset %q", owner, err, evil)
	}
}
