package rls_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
)

// TestBpcharSessionUnderRLS: a session variable compared with a
// character(n) column is read with its trailing spaces (only spaces)
// trimmed, as Check trims them, and compared as text with the column's
// value, whose cast to text trims its padding: equality and ordering
// agree with Check, a value longer than n included.
func TestBpcharSessionUnderRLS(t *testing.T) {
	ctx := context.Background()
	db := openPG(ctx, t)
	run := runID()
	schema := "wrls_" + run + "_bpc"
	setupSchema(ctx, t, db, schema,
		`CREATE SCHEMA `+qi(schema),
		`CREATE TABLE `+qi(schema)+`.codes (id integer PRIMARY KEY, code character(4), note text)`,
		`INSERT INTO `+qi(schema)+`.codes VALUES (1, 'ab', 'a'), (2, 'ab  ', 'b'), (3, 'abc', 'c'), (4, NULL, 'd'), (5, 'a b', 'e'), (6, 'ab' || chr(9), 'f'), (7, '', 'g'), (8, 'B', 'h')`,
	)
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(`tables:
  - name: public.codes
    columns: [{name: id, type: integer}, {name: code, type: character(4)}, {name: note, type: text}]
    primary_key: [id]
`)},
		"databases/databases.yaml": {Data: []byte(`- name: default
  kind: postgres
  tables:
    - table: {schema: public, name: codes}
      select_permissions:
        - role: eq
          permission:
            columns: [id, note]
            filter: {code: {_eq: X-Hasura-Code}}
        - role: gt
          permission:
            columns: [id, note]
            filter: {code: {_gt: X-Hasura-Code}}
      delete_permissions:
        - role: eq
          permission:
            filter: {_not: {code: {_neq: X-Hasura-Code}}}
`)},
	}
	p, _, l := fsLeg(ctx, t, db, fsys, run+"_bpc", schema)
	if !strings.Contains(l.script.Apply, `pg_catalog.rtrim(`) {
		t.Errorf("the variable is not read trimmed:\n%s", l.script.Apply)
	}
	codes := p.Tables[model.TableName{Schema: "public", Name: "codes"}]
	l.rows = map[model.TableName][]map[string]any{codes.Name: blogRows(ctx, t, db, qi(schema)+".codes")}
	var sessions []map[string]string
	for _, c := range []string{"ab", "ab  ", "ab\t", " ab", "abc ", "abcdefg", "", "   ", "a b", "B", "b", "é"} {
		sessions = append(sessions, map[string]string{"x-hasura-code": c})
	}
	for _, rc := range []struct {
		role string
		op   model.Operation
	}{{"eq", model.OpSelect}, {"gt", model.OpSelect}, {"eq", model.OpDelete}} {
		l.compare(ctx, t, codes, rc.op, rc.role, sessions, l.rows[codes.Name])
	}
	for _, op := range []model.Operation{model.OpSelect, model.OpDelete} {
		t.Logf("%s: %d allowed, %d denied, in agreement", op, l.allowed[op], l.denied[op])
		if l.allowed[op] == 0 || l.denied[op] == 0 {
			t.Errorf("%s: the comparison shows nothing", op)
		}
	}
}
