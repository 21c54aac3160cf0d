package rls_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
)

// TestByteaSessionUnderRLS: a session variable compared with a bytea
// column (_eq, _gt, _lte under _not, _in with a list): the hex format
// Check reads (\x and pairs of hex digits, ASCII space between pairs, the
// vertical tab and form feed made spaces for PostgreSQL's input), the
// escape format and anything else refused, in agreement with Check.
func TestByteaSessionUnderRLS(t *testing.T) {
	ctx := context.Background()
	db := openPG(ctx, t)
	run := runID()
	schema := "wrls_" + run + "_by"
	setupSchema(ctx, t, db, schema,
		`CREATE SCHEMA `+qi(schema),
		`CREATE TABLE `+qi(schema)+`.blobs (id integer PRIMARY KEY, b bytea)`,
		`INSERT INTO `+qi(schema)+`.blobs VALUES (1, '\x'), (2, '\xde'), (3, '\xdead'), (4, '\xdf'), (5, '\xff00'), (6, NULL), (7, '\x00')`,
	)
	role := func(name, filter string) string {
		return "\n        - role: " + name + "\n          permission:\n            columns: [id]\n            filter: " + filter
	}
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(`tables:
  - name: public.blobs
    columns: [{name: id, type: integer}, {name: b, type: bytea}]
    primary_key: [id]
`)},
		"databases/databases.yaml": {Data: []byte(`- name: default
  kind: postgres
  tables:
    - table: {schema: public, name: blobs}
      select_permissions:` +
			role("eq", `{b: {_eq: X-Hasura-B}}`) +
			role("gt", `{b: {_gt: X-Hasura-B}}`) +
			role("nlte", `{_not: {b: {_lte: X-Hasura-B}}}`) +
			role("in", `{b: {_in: X-Hasura-Bs}}`) + "\n")},
	}
	p, _, l := fsLeg(ctx, t, db, fsys, run+"_by", schema)
	if !strings.Contains(l.script.Apply, `::bytea`) {
		t.Errorf("the variable is not read as bytea:\n%s", l.script.Apply)
	}
	blobs := p.Tables[model.TableName{Schema: "public", Name: "blobs"}]
	l.rows = map[model.TableName][]map[string]any{blobs.Name: blogRows(ctx, t, db, qi(schema)+".blobs")}
	bs := []string{`\xde`, `\xDE`, `\x de ad`, "\\xde\vad", `\x`, `\xff00`, `\xDEADBEEF`, `\x0`, `\Xde`, `\336`, `de`, ` \xde`, `\xdf `, `\x00`}
	var sessions []map[string]string
	for i, b := range bs {
		q := func(s string) string { return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"` }
		sessions = append(sessions, map[string]string{"x-hasura-b": b, "x-hasura-bs": "{" + q(b) + "," + q(bs[(i+3)%len(bs)]) + "}"})
	}
	for _, r := range []string{"eq", "gt", "nlte", "in"} {
		l.compare(ctx, t, blobs, model.OpSelect, r, sessions, l.rows[blobs.Name])
	}
	t.Logf("select: %d allowed, %d denied, in agreement", l.allowed[model.OpSelect], l.denied[model.OpSelect])
	if l.allowed[model.OpSelect] < 30 || l.denied[model.OpSelect] < 30 {
		t.Error("the comparison shows too little")
	}
}
