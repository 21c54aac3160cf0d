package rls_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
)

// TestSessionPatternUnderRLS: _like and _ilike with a session pattern, on
// a text, a citext (where _like is Check's _ilike) and a character(3)
// column (matched padded, as Check sees it), under _not too: LIKE on
// both sides mapped to their simple case-folding orbits for _ilike (Go's
// (?i): the Kelvin sign matches k, ſ matches s, the capital I with dot
// above only itself), a lone trailing backslash a backslash, in agreement
// with Check.
func TestSessionPatternUnderRLS(t *testing.T) {
	ctx := context.Background()
	db := openPG(ctx, t)
	run := runID()
	schema := "wrls_" + run + "_pat"
	setupSchema(ctx, t, db, schema,
		`CREATE EXTENSION IF NOT EXISTS citext`,
		`CREATE SCHEMA `+qi(schema),
		`CREATE TABLE `+qi(schema)+`.words (id integer PRIMARY KEY, w text, c citext, p character(3))`,
		`INSERT INTO `+qi(schema)+`.words VALUES (1, 'Kate', 'Kate', 'ab'), (2, E'\u212Aate', E'\u212Aate', 'AB'), (3, 'ſun', 'SUN', 'a'),
			(4, E'\u0130zmir', 'izmir', E'a\\'), (5, 'straße', 'STRASSE', 'ß'), (6, E'a\\', E'A\\', NULL), (7, NULL, NULL, 'x_y'),
			(8, E'line\nbreak', 'ΟΔΟΣ', 'σς'), (9, '100%', 'a_b', '%')`,
	)
	role := func(name, filter string) string {
		return "\n        - role: " + name + "\n          permission:\n            columns: [id]\n            filter: " + filter
	}
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(`tables:
  - name: public.words
    columns: [{name: id, type: integer}, {name: w, type: text}, {name: c, type: citext}, {name: p, type: character(3)}]
    primary_key: [id]
`)},
		"databases/databases.yaml": {Data: []byte(`- name: default
  kind: postgres
  tables:
    - table: {schema: public, name: words}
      select_permissions:` +
			role("wl", `{w: {_like: X-Hasura-Like}}`) +
			role("wi", `{w: {_ilike: X-Hasura-Ilike}}`) +
			role("nwi", `{w: {_nilike: X-Hasura-Ilike}}`) +
			role("ci", `{c: {_like: X-Hasura-Ilike}}`) +
			role("pi", `{_or: [{p: {_ilike: X-Hasura-Ilike}}, {p: {_like: X-Hasura-Like}}]}`) +
			role("nt", `{_not: {c: {_ilike: X-Hasura-Ilike}}}`) + "\n")},
	}
	p, _, l := fsLeg(ctx, t, db, fsys, run+"_pat", schema)
	if !strings.Contains(l.script.Apply, `"warden_casefold"(`) {
		t.Errorf("_ilike is not read through the case-fold function:\n%s", l.script.Apply)
	}
	words := p.Tables[model.TableName{Schema: "public", Name: "words"}]
	l.rows = map[model.TableName][]map[string]any{words.Name: blogRows(ctx, t, db, qi(schema)+".words")}
	pats := []string{"k%", "K%", "\u212a%", "%ate", "s%", "S%", "ſ%", "%un", "İ%", "i%", "I%", "%ß%", "%SS%", "%ẞ%", `%\`, `%\\`, "a_", "A_ ", "_",
		"%", "", "%\n%", "_%_", `%\%`, `a\_b`, "ΟΔΟΣ", "%σ", "%ς", "a  ", "__ ", `\`}
	var sessions []map[string]string
	for i, pat := range pats {
		sessions = append(sessions, map[string]string{"x-hasura-ilike": pat, "x-hasura-like": pats[(i+7)%len(pats)]})
	}
	for _, r := range []string{"wl", "wi", "nwi", "ci", "pi", "nt"} {
		l.compare(ctx, t, words, model.OpSelect, r, sessions, l.rows[words.Name])
	}
	t.Logf("select: %d allowed, %d denied, in agreement", l.allowed[model.OpSelect], l.denied[model.OpSelect])
	if l.allowed[model.OpSelect] < 100 || l.denied[model.OpSelect] < 100 {
		t.Error("the comparison shows too little")
	}
}
