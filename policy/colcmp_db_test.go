package policy_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// colcmpSchema has pairs of columns Warden cannot compare itself: ltree
// and arrays (PostgreSQL's order is not their text's) and opaque types
// (ranges, tsvector, an interval restricted to fields, whose name is not
// written into SQL).
const colcmpSchema = `
tables:
  - name: public.pairs
    primary_key: [id]
    columns:
      - {name: id, type: integer}
      - {name: a, type: ltree}
      - {name: b, type: ltree}
      - {name: xs, type: "int4[]"}
      - {name: ys, type: "int4[]"}
      - {name: ts, type: "text[]"}
      - {name: us, type: "text[]"}
      - {name: r1, type: int4range}
      - {name: r2, type: int4range}
      - {name: v1, type: tsvector}
      - {name: v2, type: tsvector}
      - {name: d1, type: interval day to second}
      - {name: d2, type: interval day to second}
  - name: public.grants
    primary_key: [id]
    columns:
      - {name: id, type: integer}
      - {name: path, type: ltree}
      - {name: span, type: int4range}
`

// colcmpRoles are the roles of colcmpPolicy with the SQL Hasura writes for
// their filter on public.pairs (no session variables but X-Hasura-User-Id
// = 4).
var colcmpRoles = []struct {
	role, filter, hasura string
	// missing is Check's NEEDS_DATA for a row carrying every column.
	missing []string
}{
	{"ltree_cgt", `{a: {_cgt: b}}`, `"a" > "b"`,
		[]string{"a (_cgt: ltree, decided by the database)", "b (_cgt: ltree, decided by the database)"}},
	{"ltree_clte", `{a: {_clte: b}}`, `"a" <= "b"`,
		[]string{"a (_clte: ltree, decided by the database)", "b (_clte: ltree, decided by the database)"}},
	{"int_array_clt", `{xs: {_clt: ys}}`, `"xs" < "ys"`,
		[]string{"xs (_clt: int4[], decided by the database)", "ys (_clt: int4[], decided by the database)"}},
	{"text_array_cgte", `{ts: {_cgte: us}}`, `"ts" >= "us"`,
		[]string{"ts (_cgte: text[], decided by the database)", "us (_cgte: text[], decided by the database)"}},
	{"range_ceq", `{r1: {_ceq: r2}}`, `"r1" = "r2"`,
		[]string{"r1 (_ceq: int4range, decided by the database)", "r2 (_ceq: int4range, decided by the database)"}},
	{"range_cneq", `{r1: {_cneq: r2}}`, `"r1" <> "r2"`,
		[]string{"r1 (_cneq: int4range, decided by the database)", "r2 (_cneq: int4range, decided by the database)"}},
	{"range_cgt", `{r1: {_cgt: r2}}`, `"r1" > "r2"`,
		[]string{"r1 (_cgt: int4range, decided by the database)", "r2 (_cgt: int4range, decided by the database)"}},
	{"not_range_cgt", `{_not: {r1: {_cgt: r2}}}`, `NOT ("r1" > "r2")`,
		[]string{"r1 (_cgt: int4range, decided by the database)", "r2 (_cgt: int4range, decided by the database)"}},
	{"tsv_ceq", `{v1: {_ceq: v2}}`, `"v1" = "v2"`,
		[]string{"v1 (_ceq: tsvector, decided by the database)", "v2 (_ceq: tsvector, decided by the database)"}},
	{"interval_fields_clt", `{d1: {_clt: d2}}`, `"d1" < "d2"`,
		[]string{"d1 (_clt: interval day to second, decided by the database)", "d2 (_clt: interval day to second, decided by the database)"}},
	{"mine_or_range_cgt", `{_or: [{id: {_eq: X-Hasura-User-Id}}, {r1: {_cgt: r2}}]}`, `"id" = 4 OR "r1" > "r2"`,
		[]string{"r1 (_cgt: int4range, decided by the database)", "r2 (_cgt: int4range, decided by the database)"}},
	{"exists_root_path", `{_exists: {_table: grants, _where: {path: {_cgt: ["$", a]}}}}`,
		`EXISTS (SELECT 1 FROM grants g WHERE g."path" > pairs."a")`,
		[]string{"a (_cgt: ltree, decided by the database)", "public.grants[].path (_cgt: ltree, decided by the database)"}},
	{"exists_root_span", `{_exists: {_table: grants, _where: {span: {_ceq: ["$", r1]}}}}`,
		`EXISTS (SELECT 1 FROM grants g WHERE g."span" = pairs."r1")`,
		[]string{"public.grants[].span (_ceq: int4range, decided by the database)", "r1 (_ceq: int4range, decided by the database)"}},
}

// TestColumnComparisonsDatabase: the column comparisons Warden cannot
// decide (_cgt ... on ltree and arrays, _ceq ... _clte on opaque
// columns) are the database's. Check answers NEEDS_DATA naming both
// columns and the operator unless the rest of the rule decides the row;
// Filter's PostgreSQL SQL compares the two quoted columns, and on real
// rows keeps exactly the rows Hasura's own SQL (col1 OP col2) keeps,
// NULLs included; MySQL and SQLite answer SQL_UNSUPPORTED.
func TestColumnComparisonsDatabase(t *testing.T) {
	ctx := context.Background()
	var roles, filters []string
	for _, r := range colcmpRoles {
		roles, filters = append(roles, r.role), append(filters, r.filter)
	}
	p, set := selectRolesPolicy(ctx, t, colcmpSchema, "pairs", []string{"grants"}, roles, filters)
	pairs := model.TableName{Schema: "public", Name: "pairs"}
	session := func(role string) engine.Session {
		return engine.Session{Role: role, Vars: map[string]string{"x-hasura-role": role, "x-hasura-user-id": "4"}}
	}
	full := map[string]any{"id": 1, "a": "a.b", "b": "a", "xs": "{1,2}", "ys": "{1,3}", "ts": "{a}", "us": "{B}",
		"r1": "[1,5)", "r2": "[1,5)", "v1": "a", "v2": "a", "d1": "1 day", "d2": "2 days"}
	grants := map[model.TableName][]map[string]any{{Schema: "public", Name: "grants"}: {{"id": 1, "path": "a", "span": "[1,5)"}}}
	for _, r := range colcmpRoles {
		res, err := set.Check(ctx, engine.CheckInput{Session: session(r.role), Table: pairs, Op: model.OpSelect, Tables: grants,
			Rows: []engine.Row{{ID: "full", Values: full}}})
		if err != nil {
			t.Fatalf("%s: %v", r.role, err)
		}
		if got := res.Rows[0]; got.Decision != engine.NeedsData || !slices.Equal(got.MissingData, r.missing) {
			t.Errorf("Check %s: %v %q, want NEEDS_DATA %q", r.role, got.Decision, got.MissingData, r.missing)
		}
	}
	// The rest of the rule decides a row: its id is the user's.
	mine := map[string]any{"id": 4, "r1": "[1,5)", "r2": "[1,5)"}
	res, err := set.Check(ctx, engine.CheckInput{Session: session("mine_or_range_cgt"), Table: pairs, Op: model.OpSelect,
		Rows: []engine.Row{{ID: "mine", Values: mine}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0].Decision != engine.Allow {
		t.Errorf("mine_or_range_cgt, the user's row: %v %q, want ALLOW", res.Rows[0].Decision, res.Rows[0].MissingData)
	}

	render := filterRenderer(ctx, t, set, p, pairs, session)
	wantUnsupported(t, render, roles...)
	for _, d := range []sqlgen.Dialect{sqlgen.MySQL, sqlgen.SQLite} {
		if errs := sqlgen.Validate(p, d); len(errs) != len(colcmpRoles) {
			t.Errorf("Validate(%s): %d rules, want %d: %v", d, len(errs), len(colcmpRoles), errs)
		}
	}
	if errs := sqlgen.Validate(p, sqlgen.Postgres); len(errs) != 0 {
		t.Errorf("Validate(postgres): %v", errs)
	}
	for role, want := range map[string]string{
		"ltree_cgt":           `"public"."pairs"."a" > "public"."pairs"."b"`,
		"range_cneq":          `"public"."pairs"."r1" <> "public"."pairs"."r2"`,
		"interval_fields_clt": `"public"."pairs"."d1" < "public"."pairs"."d2"`,
	} {
		f, err := render(role, sqlgen.Postgres)
		if err != nil || !strings.Contains(f.SQL, want) || len(f.Args) != 0 {
			t.Errorf("%s: %q %v %v, want %s without parameters", role, f.SQL, f.Args, err, want)
		}
	}

	db := extensionDatabase(t, "colcmp_db", "ltree", "")
	for _, stmt := range []string{
		`CREATE TABLE pairs (id integer PRIMARY KEY, a ltree, b ltree, xs int4[], ys int4[], ts text[], us text[],
			r1 int4range, r2 int4range, v1 tsvector, v2 tsvector, d1 interval day to second, d2 interval day to second)`,
		`CREATE TABLE grants (id integer PRIMARY KEY, path ltree, span int4range)`,
		// ltree orders label by label (a.b < ab: the label a is shorter);
		// {10} > {9} as integers, not as text.
		`INSERT INTO pairs VALUES
			(1, 'ab', 'a.b', '{10}', '{9}', '{a}', '{B}', '[1,4]', '[1,5)', 'b a', 'a b', '1 day', '24:00:00'),
			(2, 'a.b', 'ab', '{1,2}', '{1,2,0}', '{b}', '{a,z}', '[2,3)', '[1,9)', 'a', 'a:1', '1 day', '1 day 00:00:01'),
			(3, 'a', 'a', '{}', '{1}', '{}', '{}', 'empty', '[1,2)', 'a', 'b', '2 days', '1 day'),
			(4, NULL, 'a', NULL, '{1}', NULL, '{a}', NULL, '[1,2)', NULL, 'a', NULL, '1 day'),
			(5, 'b', NULL, '{1}', NULL, '{a}', NULL, '[1,2)', NULL, 'a', NULL, '1 day', NULL),
			(6, 'top.x', 'top', '{3,NULL}', '{3,1}', '{"a b"}', '{a}', '[5,9)', '[1,2)', 'c', 'c', '00:00:01', '00:00:02')`,
		`INSERT INTO grants VALUES (1, 'a.b.c', '[1,5)'), (2, 'top.y', '[2,3)'), (3, NULL, NULL)`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	kept := map[string][]int{}
	for _, r := range colcmpRoles {
		f, err := render(r.role, sqlgen.Postgres)
		if err != nil {
			t.Errorf("%s: %v", r.role, err)
			continue
		}
		got, err := selectIDs(ctx, db, "pairs", f.SQL, f.Args)
		if err != nil {
			t.Errorf("%s: %s %v: %v", r.role, f.SQL, f.Args, err)
			continue
		}
		hasura, err := selectIDs(ctx, db, "pairs", r.hasura, nil)
		if err != nil {
			t.Fatalf("%s: Hasura's %s: %v", r.role, r.hasura, err)
		}
		if !slices.Equal(got, hasura) {
			t.Errorf("%s: %s keeps %v, Hasura's %s keeps %v", r.role, f.SQL, got, r.hasura, hasura)
		}
		kept[r.role] = got
	}
	// The rows were chosen so that the database's order is not the text's
	// (worked out by hand from the ltree, array and range documentation).
	for role, want := range map[string][]int{
		"ltree_cgt":           {1, 6},    // ab > a.b; top.x > top
		"int_array_clt":       {2, 3},    // {10} > {9}; a prefix is smaller; {} first
		"range_ceq":           {1},       // [1,4] is [1,5)
		"range_cneq":          {2, 3, 6}, // NULL passes no negation
		"not_range_cgt":       {1, 3},    // empty sorts first; NULL on either side drops the row
		"tsv_ceq":             {1, 6},    // 'b a' is 'a' 'b'; 'a:1' has a position
		"interval_fields_clt": {2, 6},    // '1 day' = '24:00:00'
		"range_cgt":           {2, 6},    // by lower bound; empty sorts first
		"mine_or_range_cgt":   {2, 4, 6},
		"exists_root_path":    {1, 2, 3, 5, 6}, // top.y is greater than all but NULL
		"exists_root_span":    {1, 2},          // [1,5) = [1,4]; [2,3) = [2,3)
	} {
		if !slices.Equal(kept[role], want) {
			t.Errorf("%s keeps %v, want %v", role, kept[role], want)
		}
	}
}
