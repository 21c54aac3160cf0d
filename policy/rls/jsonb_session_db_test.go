package rls_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
)

// TestJSONBSessionUnderRLS: jsonb operators whose operand is a session
// variable (_contains, _contained_in and _eq with a jsonb value, _in with
// a list of them, _has_key with a key, _has_keys_any and _has_keys_all
// with a list of keys), read inside the
// database as Check reads them: the value cast to jsonb, guarded so that
// what Check refuses (model.JSONTextRejected: \u0000 and surrogate
// escapes, numbers beyond the bounds, too many brackets) is refused
// there too; keys as text; lists split as Check splits them. Hasura casts
// the variable to jsonb the same way (its SQL reads the session's json
// and casts the text). No row holds a JSON null at the top, which the
// rows' reading for Check (row_to_json) would take for SQL NULL; the
// generated leg has them.
func TestJSONBSessionUnderRLS(t *testing.T) {
	ctx := context.Background()
	db := openPG(ctx, t)
	run := runID()
	schema := "wrls_" + run + "_jsb"
	setupSchema(ctx, t, db, schema,
		`CREATE SCHEMA `+qi(schema),
		`CREATE TABLE `+qi(schema)+`.docs (id integer PRIMARY KEY, doc jsonb, meta json)`,
		`INSERT INTO `+qi(schema)+`.docs VALUES
			(1, '{"a":1,"b":[1,2]}', '{"a":1}'), (2, '{"a":1.0}', '{"b":2}'), (3, '["a","b"]', '["a"]'), (4, '"a"', '"k"'),
			(5, '[null]', '[null]'), (6, NULL, NULL), (7, '{"a":{"b":[1,{"c":null}]}}', '{"é":1}'), (8, '[1,2,2]', '[]'),
			(9, '{"x y":2,"q\"u":[]}', '{"x y":0}'), (10, '1e999', '1'), (11, '{}', '{}'), (12, '{"a":"123e4567-e89b"}', '{"a":1,"a":2}')`,
	)
	role := func(name, filter string) string {
		return `
        - role: ` + name + `
          permission:
            columns: [id]
            filter: ` + filter
	}
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(`tables:
  - name: public.docs
    columns: [{name: id, type: integer}, {name: doc, type: jsonb}, {name: meta, type: json}]
    primary_key: [id]
`)},
		"databases/databases.yaml": {Data: []byte(`- name: default
  kind: postgres
  tables:
    - table: {schema: public, name: docs}
      select_permissions:` +
			role("contains", `{doc: {_contains: X-Hasura-Doc}}`) +
			role("contained", `{doc: {_contained_in: X-Hasura-Doc}}`) +
			role("ncontains", `{_not: {doc: {_contains: X-Hasura-Doc}}}`) +
			role("eq", `{doc: {_eq: X-Hasura-Doc}}`) +
			role("in", `{doc: {_in: X-Hasura-Docs}}`) +
			role("haskey", `{doc: {_has_key: X-Hasura-Key}}`) +
			role("any", `{doc: {_has_keys_any: X-Hasura-Keys}}`) +
			role("all", `{_or: [{doc: {_has_keys_all: X-Hasura-Keys}}, {doc: {_contained_in: X-Hasura-Doc}}]}`) + `
`)},
	}
	p, _, l := fsLeg(ctx, t, db, fsys, run+"_jsb", schema)
	if !strings.Contains(l.script.Apply, `::jsonb`) || !strings.Contains(l.script.Apply, ` ?| `) {
		t.Errorf("the variables are not read as jsonb and keys:\n%s", l.script.Apply)
	}
	docs := p.Tables[model.TableName{Schema: "public", Name: "docs"}]
	l.rows = map[model.TableName][]map[string]any{docs.Name: blogRows(ctx, t, db, qi(schema)+".docs")}
	values := []string{`{"a":1}`, `{"a":1.00}`, `{"a":2,"a":1}`, `"a"`, `["a"]`, `[]`, `{}`, `null`, `[1,2]`, `{"b":[2]}`, ` {"a" : 1} `,
		`1e999`, `1e1001`, `{"a":"\u0000"}`, `"\ud800"`, `"\ud83d\ude00"`, `{"a":1,}`, `{"x y":2,"q\"u":[]}`, `{"a":{"b":[{"c":null}]}}`,
		`[1` + strings.Repeat("0", 200) + `]`, `{"a":"123e4567-e89b"}`, `"\u0061"`}
	keys := []string{"a", "b", "", "x y", `q"u`, "é", "A", "k"}
	lists := []string{`{a,b}`, `{}`, `{"x y"}`, `{A}`, `{"q\"u",a}`, `{NULL}`, `{é,k}`}
	docLists := []string{`{"{\"a\":1}","[1,2,2]"}`, `{}`, `{"\"a\"",null}`, `{"{\"a\":1.0}"}`, `{"1e999","{}"}`, `{"\"\\\\u0000\""}`}
	var sessions []map[string]string
	for i, v := range values {
		sessions = append(sessions, map[string]string{
			"x-hasura-doc":  v,
			"x-hasura-key":  keys[i%len(keys)],
			"x-hasura-keys": lists[i%len(lists)],
			"x-hasura-docs": docLists[i%len(docLists)],
		})
	}
	for _, r := range []string{"contains", "contained", "ncontains", "eq", "in", "haskey", "any", "all"} {
		l.compare(ctx, t, docs, model.OpSelect, r, sessions, l.rows[docs.Name])
	}
	t.Logf("select: %d allowed, %d denied, in agreement", l.allowed[model.OpSelect], l.denied[model.OpSelect])
	if l.allowed[model.OpSelect] < 50 || l.denied[model.OpSelect] < 50 {
		t.Error("the comparison shows too little")
	}
}
