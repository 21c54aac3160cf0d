package rls_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/rls"
)

// TestCitextSessionUnderRLS: a session variable compared (_eq, _neq,
// under _not, _gt, _lte, and a list with _in and _nin) with a citext
// column: both sides lower-cased by warden_fold as Check lower-cases them
// (Go's strings.ToLower: the Kelvin sign, the capital I with dot above,
// final sigma, sharp s as they are), compared bytewise as Go compares
// strings, whatever the database's locale, in agreement with Check.
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
        - role: gt
          permission:
            columns: [id, note]
            filter: {name: {_gt: X-Hasura-Name}}
        - role: lte
          permission:
            columns: [id, note]
            filter: {_not: {name: {_lte: X-Hasura-Name}}}
        - role: in
          permission:
            columns: [id, note]
            filter: {name: {_in: X-Hasura-Names}}
        - role: nin
          permission:
            columns: [id, note]
            filter: {name: {_nin: X-Hasura-Names}}
`)},
	}
	p, _, l := fsLeg(ctx, t, db, fsys, run+"_cit", schema)
	if !strings.Contains(l.script.Apply, `"`+rls.FoldFunctionName+`"(`) {
		t.Errorf("the variable is not read lower-cased:\n%s", l.script.Apply)
	}
	people := p.Tables[model.TableName{Schema: "public", Name: "people"}]
	l.rows = map[model.TableName][]map[string]any{people.Name: blogRows(ctx, t, db, qi(schema)+".people")}
	var sessions []map[string]string
	names := []string{"alice", "ALICE", "aLiCe", "kate", "KATE", "izmir", "IZMIR", "", "bob ", "Bob", "strasse", "~!@",
		"\u00e9mile", "\u00c9MILE", "stra\u00dfe", "STRA\u1e9eE", "\u212aate", "\u0131", "\u0130zmir", "\u03a3\u03a3", "\u03c3\u03c2", "\u01c5", "\U0001f642"}
	for i, n := range names {
		list := `{"` + n + `","` + names[(i+5)%len(names)] + `"}`
		sessions = append(sessions, map[string]string{"x-hasura-name": n, "x-hasura-names": list})
	}
	sessions = append(sessions, map[string]string{"x-hasura-name": "a", "x-hasura-names": "{}"})
	for _, role := range []string{"eq", "neq", "nt", "gt", "lte", "in", "nin"} {
		l.compare(ctx, t, people, model.OpSelect, role, sessions, l.rows[people.Name])
	}
	t.Logf("select: %d allowed, %d denied, in agreement", l.allowed[model.OpSelect], l.denied[model.OpSelect])
	if l.allowed[model.OpSelect] == 0 || l.denied[model.OpSelect] == 0 {
		t.Error("the comparison shows nothing")
	}
}
