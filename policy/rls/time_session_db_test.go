package rls_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
)

// TestTimeSessionUnderRLS: a session variable compared with a time column
// (_eq, _gt, _lte under _not, _in with a list): cast to time, guarded to
// Check's grammar (H:MM[:SS[.ffffff]], no second 60, no words or zones),
// in agreement with Check's canonical text. A fraction of more than six
// digits is refused by the guard although Check reads it (rounding the
// seventh digit half up, PostgreSQL to even): the one narrowing, a
// denial, as for dates and timestamps; TestTimeSessionAsCheck counts it.
func TestTimeSessionUnderRLS(t *testing.T) {
	ctx := context.Background()
	db := openPG(ctx, t)
	run := runID()
	schema := "wrls_" + run + "_tm"
	setupSchema(ctx, t, db, schema,
		`CREATE SCHEMA `+qi(schema),
		`CREATE TABLE `+qi(schema)+`.slots (id integer PRIMARY KEY, at time)`,
		`INSERT INTO `+qi(schema)+`.slots VALUES (1, '00:00'), (2, '09:30'), (3, '09:30:00.000001'), (4, '23:59:59.999999'), (5, '24:00'), (6, NULL), (7, '12:00')`,
	)
	role := func(name, filter string) string {
		return "\n        - role: " + name + "\n          permission:\n            columns: [id]\n            filter: " + filter
	}
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(`tables:
  - name: public.slots
    columns: [{name: id, type: integer}, {name: at, type: time}]
    primary_key: [id]
`)},
		"databases/databases.yaml": {Data: []byte(`- name: default
  kind: postgres
  tables:
    - table: {schema: public, name: slots}
      select_permissions:` +
			role("eq", `{at: {_eq: X-Hasura-At}}`) +
			role("gt", `{at: {_gt: X-Hasura-At}}`) +
			role("nlte", `{_not: {at: {_lte: X-Hasura-At}}}`) +
			role("in", `{at: {_in: X-Hasura-Ats}}`) + "\n")},
	}
	p, _, l := fsLeg(ctx, t, db, fsys, run+"_tm", schema)
	if !strings.Contains(l.script.Apply, `::time`) {
		t.Errorf("the variable is not read as a time:\n%s", l.script.Apply)
	}
	slots := p.Tables[model.TableName{Schema: "public", Name: "slots"}]
	l.rows = map[model.TableName][]map[string]any{slots.Name: blogRows(ctx, t, db, qi(schema)+".slots")}
	ats := []string{"9:30", "09:30:00", " 09:30:00.000001 ", "24:00:00", "0:00", "23:59:59.999999", "12:00:60", "12:00 pm", "allballs", "12:00:00Z",
		"25:00", "12:00:00.5", "12", "T12:00"}
	var sessions []map[string]string
	for i, at := range ats {
		sessions = append(sessions, map[string]string{"x-hasura-at": at, "x-hasura-ats": `{"` + at + `","` + ats[(i+3)%len(ats)] + `"}`})
	}
	for _, r := range []string{"eq", "gt", "nlte", "in"} {
		l.compare(ctx, t, slots, model.OpSelect, r, sessions, l.rows[slots.Name])
	}
	t.Logf("select: %d allowed, %d denied, in agreement", l.allowed[model.OpSelect], l.denied[model.OpSelect])
	if l.allowed[model.OpSelect] < 30 || l.denied[model.OpSelect] < 30 {
		t.Error("the comparison shows too little")
	}
}
