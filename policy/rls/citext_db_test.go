package rls_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/rls"
)

// TestCitextSessionUnderRLS: a session variable compared (_eq, _neq, and
// under _not) with a citext column is lower-cased as Check lower-cases
// it, for ASCII text, and the column's values as Go lower-cases them to
// ASCII (the Kelvin sign and the capital I with dot above included), in
// agreement with Check; a variable holding text beyond ASCII fails the
// statement instead of being lower-cased by the database's rules.
func TestCitextSessionUnderRLS(t *testing.T) {
	ctx := context.Background()
	db := openPG(ctx, t)
	run := runID()
	schema := "wrls_" + run + "_cit"
	setupSchema(ctx, t, db, schema,
		`CREATE EXTENSION IF NOT EXISTS citext`,
		`CREATE SCHEMA `+qi(schema),
		`CREATE TABLE `+qi(schema)+`.people (id integer PRIMARY KEY, name citext, note text)`,
		`INSERT INTO `+qi(schema)+`.people VALUES (1, 'Alice', 'a'), (2, 'ALICE', 'b'), (3, 'bob', 'c'), (4, NULL, 'd'),
			(5, 'Kate', 'e'), (6, E'\u212Aate', 'f'), (7, E'\u0130zmir', 'g'), (8, 'izmir', 'h'), (9, E'stra\u00dfe', 'i'), (10, E'\u00c9mile', 'j'), (11, '', 'k'), (12, E'\u0131', 'l')`,
	)
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(`tables:
  - name: public.people
    columns: [{name: id, type: integer}, {name: name, type: citext}, {name: note, type: text}]
    primary_key: [id]
`)},
		"databases/databases.yaml": {Data: []byte(`- name: default
  kind: postgres
  tables:
    - table: {schema: public, name: people}
      select_permissions:
        - role: eq
          permission:
            columns: [id, note]
            filter: {name: {_eq: X-Hasura-Name}}
        - role: neq
          permission:
            columns: [id, note]
            filter: {name: {_neq: X-Hasura-Name}}
        - role: nt
          permission:
            columns: [id, note]
            filter: {_not: {name: {_eq: X-Hasura-Name}}}
`)},
	}
	p, roles, l := fsLeg(ctx, t, db, fsys, run+"_cit", schema)
	if !strings.Contains(l.script.Apply, `pg_catalog.translate(`) {
		t.Errorf("the variable is not read lower-cased:\n%s", l.script.Apply)
	}
	people := p.Tables[model.TableName{Schema: "public", Name: "people"}]
	l.rows = map[model.TableName][]map[string]any{people.Name: blogRows(ctx, t, db, qi(schema)+".people")}
	var sessions []map[string]string
	for _, n := range []string{"alice", "ALICE", "aLiCe", "kate", "KATE", "izmir", "IZMIR", "", "bob ", "Bob", "strasse", "~!@"} {
		sessions = append(sessions, map[string]string{"x-hasura-name": n})
	}
	for _, role := range []string{"eq", "neq", "nt"} {
		l.compare(ctx, t, people, model.OpSelect, role, sessions, l.rows[people.Name])
	}
	t.Logf("select: %d allowed, %d denied, in agreement", l.allowed[model.OpSelect], l.denied[model.OpSelect])
	if l.allowed[model.OpSelect] == 0 || l.denied[model.OpSelect] == 0 {
		t.Error("the comparison shows nothing")
	}
	// Beyond ASCII: the statement fails, whatever the rows (Check may
	// allow: the documented corner case).
	for _, n := range []string{"\u00e9mile", "stra\u00dfe", "\u212a", "\u0131", "\u0130"} {
		for _, role := range []string{"eq", "neq", "nt"} {
			js, _ := json.Marshal(map[string]string{"x-hasura-name": n})
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			var cnt int
			if _, err := tx.ExecContext(ctx, `SET LOCAL ROLE `+qi(roles[role])); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, `SELECT set_config('`+rls.DefaultSetting+`', $1, true)`, string(js)); err != nil {
				t.Fatal(err)
			}
			err = tx.QueryRowContext(ctx, `SELECT count(*) FROM `+qi(schema)+`.people`).Scan(&cnt)
			tx.Rollback()
			if err == nil || !strings.Contains(err.Error(), "beyond ASCII") {
				t.Errorf("%s with %q: %d rows, error %v; want the statement to fail", role, n, cnt, err)
			}
		}
	}
}
