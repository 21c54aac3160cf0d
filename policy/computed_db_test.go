package policy_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// TestComputedFieldsInPostgreSQL: a rule that reads a computed field (a SQL
// function of the row) decides the same in Check, where the row carries
// the field's value, and in Filter's SQL run in PostgreSQL, where the
// function is called on each row. Without the value Check answers
// NEEDS_DATA naming it; MySQL and SQLite have no function to call.
func TestComputedFieldsInPostgreSQL(t *testing.T) {
	ctx := context.Background()
	schema := fmt.Sprintf("wcf_%d", os.Getpid())
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte(fmt.Sprintf(`
functions:
  - {name: %[1]s.title_len, returns: integer}
  - {name: %[1]s.is_mine, returns: boolean}
  - {name: %[1]s.same_n, setof: %[1]s.items}
tables:
  - name: %[1]s.items
    columns: [{name: id, type: integer}, {name: title, type: text}, {name: n, type: integer}]
    primary_key: [id]
`, schema))},
		"metadata.json": {Data: []byte(fmt.Sprintf(`{"version": 3, "sources": [{"name": "default", "kind": "postgres", "configuration": {}, "tables": [
  {"table": {"schema": %[1]q, "name": "items"},
   "computed_fields": [{"name": "title_len", "definition": {"function": {"schema": %[1]q, "name": "title_len"}, "table_argument": "row", "session_argument": null}, "comment": ""},
     {"name": "mine", "definition": {"function": {"schema": %[1]q, "name": "is_mine"}, "session_argument": "hasura_session"}},
     {"name": "twins", "definition": {"function": {"schema": %[1]q, "name": "same_n"}}}],
   "select_permissions": [{"role": "user", "permission": {"columns": ["id"], "computed_fields": ["title_len"],
     "filter": {"_or": [{"title_len": {"_gt": 3}}, {"n": {"_eq": "X-Hasura-N"}}]}}},
     {"role": "owner", "permission": {"columns": ["id"], "filter": {"mine": {"_eq": true}}}},
     {"role": "twin", "permission": {"columns": ["id"], "filter": {"twins": {"title": {"_like": "abcd%%"}}}}}]}
]}]}`, schema))},
	}
	p, set := strictSet(ctx, t, fsys, "computed")
	table := model.TableName{Schema: schema, Name: "items"}
	sess := engine.Session{Role: "user", Vars: map[string]string{"x-hasura-n": "7"}}

	db := scratchSchema(ctx, t, schema,
		fmt.Sprintf(`CREATE TABLE %s.items (id integer PRIMARY KEY, title text, n integer)`, schema),
		fmt.Sprintf(`CREATE FUNCTION %[1]s.title_len("row" %[1]s.items) RETURNS integer LANGUAGE sql STABLE AS 'SELECT length($1.title)'`, schema),
		fmt.Sprintf(`CREATE FUNCTION %[1]s.is_mine(%[1]s.items, hasura_session json) RETURNS boolean LANGUAGE sql STABLE AS $f$ SELECT $1.n = (hasura_session->>'x-hasura-n')::integer AND hasura_session->>'x-hasura-role' = 'owner' $f$`, schema),
		fmt.Sprintf(`CREATE FUNCTION %[1]s.same_n(r %[1]s.items) RETURNS SETOF %[1]s.items LANGUAGE sql STABLE AS $f$ SELECT * FROM %[1]s.items o WHERE o.n = r.n AND o.id <> r.id $f$`, schema),
		fmt.Sprintf(`INSERT INTO %s.items VALUES (1, 'ab', 1), (2, 'abcd', 1), (3, NULL, 1), (4, NULL, 7), (5, 'abcdef', NULL), (6, NULL, NULL)`, schema),
	)

	// Check, each row with the computed field's value as the caller reads
	// it from its database.
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT id, %[1]s.title_len(t), n FROM %[1]s.items t ORDER BY id`, schema))
	if err != nil {
		t.Fatal(err)
	}
	var in engine.CheckInput
	in.Session, in.Table, in.Op = sess, table, model.OpSelect
	for rows.Next() {
		var id int
		var tl, n sql.NullInt64
		if err := rows.Scan(&id, &tl, &n); err != nil {
			t.Fatal(err)
		}
		vals := map[string]any{"id": float64(id), "title_len": nil, "n": nil}
		if tl.Valid {
			vals["title_len"] = float64(tl.Int64)
		}
		if n.Valid {
			vals["n"] = float64(n.Int64)
		}
		in.Rows = append(in.Rows, engine.Row{ID: fmt.Sprint(id), Values: vals})
	}
	rows.Close()
	res, err := set.Check(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	var allowed []string
	for _, r := range res.Rows {
		if r.Decision == engine.Allow {
			allowed = append(allowed, r.ID)
		}
	}
	if want := []string{"2", "4", "5"}; !slices.Equal(allowed, want) {
		t.Errorf("Check allowed %v, want %v", allowed, want)
	}
	// The select permission's computed_fields are readable fields.
	if got := res.Rows[1].AllowedColumns; !slices.Equal(got, []string{"id", "title_len"}) {
		t.Errorf("allowed columns %v, want the column and the granted computed field", got)
	}
	asked, err := set.Check(ctx, engine.CheckInput{Session: sess, Table: table, Op: model.OpSelect, Columns: []string{"title_len"}, Rows: in.Rows[1:2]})
	if err != nil || asked.Rows[0].Decision != engine.Allow {
		t.Errorf("asking for the granted computed field: %+v, %v; want ALLOW", asked, err)
	}
	if _, err := set.Check(ctx, engine.CheckInput{Session: sess, Table: table, Op: model.OpSelect, Columns: []string{"nope"}, Rows: in.Rows[1:2]}); err == nil {
		t.Errorf("asking for an unknown field: no error")
	}

	// Filter's SQL, pushed into PostgreSQL, selects the same rows.
	fr, err := set.Filter(ctx, engine.FilterInput{Session: sess, Table: table, Op: model.OpSelect})
	if err != nil {
		t.Fatal(err)
	}
	r, err := sqlgen.NewRenderer(p, table, sqlgen.Options{Dialect: sqlgen.Postgres, Alias: "t"})
	if err != nil {
		t.Fatal(err)
	}
	frag, err := r.Render(fr.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SQL: %s %v", frag.SQL, frag.Args)
	if !slices.Equal(fr.ComputedFields, []string{"title_len"}) || slices.Contains(fr.Columns, "title_len") {
		t.Errorf("Filter columns %v, computed fields %v; want title_len among the computed fields only", fr.Columns, fr.ComputedFields)
	}
	selected := queryColumn(ctx, t, db, fmt.Sprintf(`SELECT id FROM %s.items AS t WHERE %s ORDER BY id`, schema, frag.SQL), frag.Args...)
	if !slices.Equal(selected, allowed) {
		t.Errorf("Filter's SQL selects %v, Check allows %v", selected, allowed)
	}

	// A row without the computed field's value: NEEDS_DATA naming it, unless
	// the rest of the rule decides.
	nd, err := set.Check(ctx, engine.CheckInput{Session: sess, Table: table, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "a", Values: map[string]any{"id": 1.0, "n": 1.0}},
		{ID: "b", Values: map[string]any{"id": 2.0, "n": 7.0}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if d := nd.Rows[0]; d.Decision != engine.NeedsData || !slices.Equal(d.MissingData, []string{"title_len"}) {
		t.Errorf("row without title_len: %v missing %v, want NEEDS_DATA missing [title_len]", d.Decision, d.MissingData)
	}
	if d := nd.Rows[1]; d.Decision != engine.Allow {
		t.Errorf("row without title_len whose n holds: %v, want ALLOW", d.Decision)
	}

	// MySQL and SQLite have no such function: the SQL is refused, and
	// validate --dialect says so at load.
	for _, d := range []sqlgen.Dialect{sqlgen.MySQL, sqlgen.SQLite} {
		r, err := sqlgen.NewRenderer(p, table, sqlgen.Options{Dialect: d})
		if err != nil {
			t.Fatal(err)
		}
		var ue *sqlgen.UnsupportedError
		if _, err := r.Render(fr.Predicate); !errors.As(err, &ue) {
			t.Errorf("%s: Render = %v, want an UnsupportedError", d, err)
		}
		if errs := sqlgen.Validate(p, d); len(errs) != 3 {
			t.Errorf("%s: Validate = %v, want the three computed fields reported", d, errs)
		}
	}

	// A computed field that takes the session: Filter's SQL passes the
	// session as Hasura does (a json object, x-hasura-role included).
	owner := engine.Session{Role: "owner", Vars: map[string]string{"x-hasura-n": "1"}}
	fo, err := set.Filter(ctx, engine.FilterInput{Session: owner, Table: table, Op: model.OpSelect})
	if err != nil {
		t.Fatal(err)
	}
	ro, err := sqlgen.NewRenderer(p, table, sqlgen.Options{Dialect: sqlgen.Postgres, Alias: "t",
		Role: "owner", SessionVars: map[string]string{"x-hasura-n": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	fragOwner, err := ro.Render(fo.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SQL: %s %v", fragOwner.SQL, fragOwner.Args)
	mine := queryColumn(ctx, t, db, fmt.Sprintf(`SELECT id FROM %s.items AS t WHERE %s ORDER BY id`, schema, fragOwner.SQL), fragOwner.Args...)
	if want := []string{"1", "2", "3"}; !slices.Equal(mine, want) {
		t.Errorf("owner's filter selects %v, want the rows whose n is the session's: %v", mine, want)
	}
	noSession, err := sqlgen.NewRenderer(p, table, sqlgen.Options{Dialect: sqlgen.Postgres})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noSession.Render(fo.Predicate); err == nil {
		t.Errorf("a computed field that takes the session rendered without one")
	}
	// Check reads the field's value from the row, as for any computed field.
	co, err := set.Check(ctx, engine.CheckInput{Session: owner, Table: table, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "yes", Values: map[string]any{"id": 1.0, "mine": true}},
		{ID: "no", Values: map[string]any{"id": 5.0, "mine": false}},
		{ID: "unknown", Values: map[string]any{"id": 6.0}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if co.Rows[0].Decision != engine.Allow || co.Rows[1].Decision != engine.Deny || co.Rows[2].Decision != engine.NeedsData {
		t.Errorf("owner's Check: %v %v %v, want ALLOW DENY NEEDS_DATA", co.Rows[0].Decision, co.Rows[1].Decision, co.Rows[2].Decision)
	}

	// A set-returning computed field is read like an array relationship:
	// EXISTS over the function's rows for the row. Rows with n = 1 are
	// 1 ('ab'), 2 ('abcd') and 3 (NULL): each of 1 and 3 has the twin 2.
	ft, err := set.Filter(ctx, engine.FilterInput{Session: engine.Session{Role: "twin"}, Table: table, Op: model.OpSelect})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := sqlgen.NewRenderer(p, table, sqlgen.Options{Dialect: sqlgen.Postgres, Alias: "t"})
	if err != nil {
		t.Fatal(err)
	}
	fragTwin, err := rt.Render(ft.Predicate)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SQL: %s %v", fragTwin.SQL, fragTwin.Args)
	twins := queryColumn(ctx, t, db, fmt.Sprintf(`SELECT id FROM %s.items AS t WHERE %s ORDER BY id`, schema, fragTwin.SQL), fragTwin.Args...)
	if want := []string{"1", "3"}; !slices.Equal(twins, want) {
		t.Errorf("twin's filter selects %v, want %v", twins, want)
	}
	ct, err := set.Check(ctx, engine.CheckInput{Session: engine.Session{Role: "twin"}, Table: table, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "1", Values: map[string]any{"id": 1.0, "twins": []any{map[string]any{"id": 2.0, "title": "abcd"}, map[string]any{"id": 3.0, "title": nil}}}},
		{ID: "2", Values: map[string]any{"id": 2.0, "twins": []any{map[string]any{"id": 1.0, "title": "ab"}}}},
		{ID: "4", Values: map[string]any{"id": 4.0, "twins": []any{}}},
		{ID: "5", Values: map[string]any{"id": 5.0}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	decided := []engine.Decision{ct.Rows[0].Decision, ct.Rows[1].Decision, ct.Rows[2].Decision, ct.Rows[3].Decision}
	if want := []engine.Decision{engine.Allow, engine.Deny, engine.Deny, engine.NeedsData}; !slices.Equal(decided, want) {
		t.Errorf("twin's Check %v, want %v", decided, want)
	}
}
