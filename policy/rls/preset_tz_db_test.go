package rls_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
)

// TestTimestamptzPresetUnderRLS: a timestamptz column preset from a
// session variable is stored as Check reads the text, without an offset
// as UTC, whatever the database session's TimeZone (the leg runs under
// America/St_Johns); a text Check rejects fails the insert as Check
// fails, and the check reads the preset.
func TestTimestamptzPresetUnderRLS(t *testing.T) {
	ctx := context.Background()
	db := openPG(ctx, t)
	run := runID()
	schema := "wrls_" + run + "_tzp"
	setupSchema(ctx, t, db, schema,
		`CREATE SCHEMA `+qi(schema),
		`CREATE TABLE `+qi(schema)+`.events (id integer PRIMARY KEY, at timestamptz, note text)`,
		`INSERT INTO `+qi(schema)+`.events VALUES (1, NULL, 'a'), (2, '2020-01-01 00:00:00+00', 'b')`,
	)
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(`tables:
  - name: public.events
    columns: [{name: id, type: integer}, {name: at, type: timestamptz}, {name: note, type: text}]
    primary_key: [id]
`)},
		"databases/databases.yaml": {Data: []byte(`- name: default
  kind: postgres
  tables:
    - table: {schema: public, name: events}
      insert_permissions:
        - role: writer
          permission:
            columns: [id, note]
            set: {at: X-Hasura-At}
            check: {at: {_gte: "2024-01-01T00:00:00Z"}}
`)},
	}
	p, _, l := fsLeg(ctx, t, db, fsys, run+"_tzp", schema)
	if !strings.Contains(l.script.Apply, `NEW."at" := `+qi(schema)+`."warden_session_timestamptz"(`) {
		t.Errorf("the preset is not read through the timestamptz function:\n%s", l.script.Apply)
	}
	events := p.Tables[model.TableName{Schema: "public", Name: "events"}]
	l.rows = map[model.TableName][]map[string]any{events.Name: blogRows(ctx, t, db, qi(schema)+".events")}
	var sessions []map[string]string
	for _, at := range []string{
		"2024-01-01 00:00:00",       // UTC: the check holds
		"2023-12-31 23:30",          // UTC: before; in St_Johns it would be after
		"2024-01-01T02:00:00+03:00", // 2023-12-31 23:00 UTC: before
		"2024-01-01 00:00:00-01",    // 01:00 UTC: after
		"2024-06-30T12:00:00.5Z",
		"2024-01-01 00:00:00 EST", // a zone name: Check rejects it
		"now",                     // Check rejects it
		"10000-01-01 00:00:00",    // beyond Check's years
	} {
		sessions = append(sessions, map[string]string{"x-hasura-at": at})
	}
	l.compare(ctx, t, events, model.OpInsert, "writer", sessions, l.rows[events.Name])
	t.Logf("insert: %d allowed, %d denied, in agreement; %d presets stored as Check reports them",
		l.allowed[model.OpInsert], l.denied[model.OpInsert], l.presets)
	if l.allowed[model.OpInsert] == 0 || l.denied[model.OpInsert] == 0 || l.presets == 0 {
		t.Error("the comparison shows nothing")
	}
}

// setupSchema runs stmts (the first creating schema) and drops the
// schema when the test ends.
func setupSchema(ctx context.Context, t *testing.T, db *sql.DB, schema string, stmts ...string) {
	t.Helper()
	t.Cleanup(func() { db.ExecContext(context.WithoutCancel(ctx), `DROP SCHEMA IF EXISTS `+qi(schema)+` CASCADE`) })
	for _, stmt := range stmts {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}
