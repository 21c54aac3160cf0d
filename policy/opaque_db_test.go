package policy_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// opaqueDBPolicy has one role per generic comparison on columns Warden
// loads as opaque (tsvector, int4range, tstzrange).
var opaqueDBPolicy = fstest.MapFS{
	"schema.yaml": {Data: []byte(`
tables:
  - name: public.docs
    primary_key: [id]
    columns:
      - {name: id, type: integer}
      - {name: tsv, type: tsvector}
      - {name: span, type: int4range}
      - {name: during, type: tstzrange}
`)},
	"databases/databases.yaml": {Data: []byte(`
- name: default
  kind: postgres
  tables:
    - table: docs
      select_permissions:
        - {role: tsv_eq, permission: {columns: [id], filter: {tsv: {_eq: "'a' 'b'"}}}}
        - {role: span_eq, permission: {columns: [id], filter: {span: {_eq: "[1,5)"}}}}
        - {role: span_neq, permission: {columns: [id], filter: {span: {_neq: "[1,4]"}}}}
        - {role: span_gt, permission: {columns: [id], filter: {span: {_gt: "[2,3)"}}}}
        - {role: span_lte_session, permission: {columns: [id], filter: {span: {_lte: X-Hasura-Span}}}}
        - {role: span_in, permission: {columns: [id], filter: {span: {_in: ["[1,5)", "empty"]}}}}
        - {role: span_nin, permission: {columns: [id], filter: {span: {_nin: ["[1,5)"]}}}}
        - {role: span_nin_empty, permission: {columns: [id], filter: {span: {_nin: []}}}}
        - {role: span_in_session, permission: {columns: [id], filter: {span: {_in: X-Hasura-Spans}}}}
        - {role: span_nin_session, permission: {columns: [id], filter: {span: {_nin: X-Hasura-Spans}}}}
        - {role: during_gte, permission: {columns: [id], filter: {during: {_gte: "[2024-01-01 00:00+00,2024-02-01 00:00+00)"}}}}
        - {role: span_null, permission: {columns: [id], filter: {span: {_is_null: true}}}}
        - role: mine_or_span
          permission:
            columns: [id]
            filter: {_or: [{id: {_eq: X-Hasura-User-Id}}, {span: {_eq: "[1,5)"}}]}
`)},
}

// TestOpaqueDatabase: Hasura's generic comparisons on opaque columns are
// the database's. Check answers NEEDS_DATA naming the column, operator and
// type unless the rule holds without them (_is_null stays exact); Filter's
// PostgreSQL SQL casts a text parameter to the column's type, and
// PostgreSQL, run on real rows, keeps the rows worked out by hand from
// the range documentation ('[1,4]' is '[1,5)' canonically; ranges order
// by lower bound, then upper; empty sorts first; _nin is Hasura's NOT (c =
// ANY(list)): NULL passes it only for an empty list). MySQL and SQLite
// answer SQL_UNSUPPORTED.
func TestOpaqueDatabase(t *testing.T) {
	ctx := context.Background()
	p, set := strictSet(ctx, t, opaqueDBPolicy, "opaque")
	docs := model.TableName{Schema: "public", Name: "docs"}
	session := func(role string) engine.Session {
		return engine.Session{Role: role, Vars: map[string]string{
			"x-hasura-role": role, "x-hasura-user-id": "4", "x-hasura-span": "[2,3)",
			"x-hasura-spans": `{"[1,4]",empty}`,
		}}
	}
	for role, want := range map[string]string{
		"tsv_eq":     "tsv (_eq: tsvector, decided by the database)",
		"span_eq":    "span (_eq: int4range, decided by the database)",
		"span_neq":   "span (_neq: int4range, decided by the database)",
		"span_gt":    "span (_gt: int4range, decided by the database)",
		"span_in":    "span (_in: int4range, decided by the database)",
		"span_nin":   "span (_nin: int4range, decided by the database)",
		"during_gte": "during (_gte: tstzrange, decided by the database)",
	} {
		res, err := set.Check(ctx, engine.CheckInput{Session: session(role), Table: docs, Op: model.OpSelect, Rows: []engine.Row{
			{ID: "set", Values: map[string]any{"id": 1, "tsv": "'a' 'b'", "span": "[1,5)", "during": "empty"}},
			{ID: "null", Values: map[string]any{"id": 2, "tsv": nil, "span": nil, "during": nil}},
			{ID: "absent", Values: map[string]any{"id": 3}},
		}})
		if err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		for _, r := range res.Rows {
			if r.Decision != engine.NeedsData || !slices.Equal(r.MissingData, []string{want}) {
				t.Errorf("Check %s row %s: %v %q, want NEEDS_DATA %q", role, r.ID, r.Decision, r.MissingData, want)
			}
		}
	}
	res, err := set.Check(ctx, engine.CheckInput{Session: session("span_null"), Table: docs, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "null", Values: map[string]any{"id": 1, "span": nil}},
		{ID: "set", Values: map[string]any{"id": 2, "span": "[1,5)"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0].Decision != engine.Allow || res.Rows[1].Decision != engine.Deny {
		t.Errorf("span_null: %v %v, want ALLOW and DENY (_is_null stays exact)", res.Rows[0].Decision, res.Rows[1].Decision)
	}
	res, err = set.Check(ctx, engine.CheckInput{Session: session("mine_or_span"), Table: docs, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "mine", Values: map[string]any{"id": 4, "span": "[7,8)"}},
		{ID: "theirs", Values: map[string]any{"id": 2, "span": "[1,5)"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0].Decision != engine.Allow || res.Rows[1].Decision != engine.NeedsData {
		t.Errorf("mine_or_span: %v %v, want ALLOW (the id holds) and NEEDS_DATA", res.Rows[0].Decision, res.Rows[1].Decision)
	}

	render := filterRenderer(ctx, t, set, p, docs, session)
	wantUnsupported(t, render, "tsv_eq", "span_gt", "span_in", "span_nin")
	for _, d := range []sqlgen.Dialect{sqlgen.MySQL, sqlgen.SQLite} {
		// warden validate --dialect lists every rule but _is_null's.
		if errs := sqlgen.Validate(p, d); len(errs) != 12 {
			t.Errorf("Validate(%s): %d rules, want 12: %v", d, len(errs), errs)
		}
	}
	if errs := sqlgen.Validate(p, sqlgen.Postgres); len(errs) != 0 {
		t.Errorf("Validate(postgres): %v", errs)
	}
	for role, want := range map[string]string{
		"tsv_eq":     `"public"."docs"."tsv" = $1::text::tsvector`,
		"span_gt":    `"public"."docs"."span" > $1::text::int4range`,
		"span_in":    `"public"."docs"."span" = ANY($1::text::int4range[])`,
		"during_gte": `"public"."docs"."during" >= $1::text::tstzrange`,
	} {
		f, err := render(role, sqlgen.Postgres)
		if err != nil || !strings.Contains(f.SQL, want) || len(f.Args) != 1 {
			t.Errorf("%s: %q %v %v, want %s with one parameter", role, f.SQL, f.Args, err, want)
		}
	}

	db := extensionDatabase(t, "opaque_db", "ltree", "")
	for _, stmt := range []string{
		`CREATE TABLE docs (id integer PRIMARY KEY, tsv tsvector, span int4range, during tstzrange)`,
		`INSERT INTO docs VALUES
			(1, 'b a', '[1,4]', '[2024-01-01 00:00+00,2024-02-01 00:00+00)'),
			(2, 'a', '[2,3)', '[2023-12-31 00:00+00,2024-03-01 00:00+00)'),
			(3, 'a b c', 'empty', '[2024-01-01 00:00+00,2024-03-01 00:00+00)'),
			(4, NULL, NULL, NULL),
			(5, 'a:1 b:2', '[3,9)', 'empty')`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	for _, c := range []struct {
		role string
		want []int
	}{
		{"tsv_eq", []int{1}},                     // 'b a' is 'a' 'b'; positions make 5 another value
		{"span_eq", []int{1}},                    // [1,4] is [1,5)
		{"span_neq", []int{2, 3, 5}},             // NULL passes no negation
		{"span_gt", []int{5}},                    // lower 3 > 2; [2,3) itself is not greater
		{"span_lte_session", []int{1, 2, 3}},     // [1,5) < [2,3) by lower bound; empty sorts first
		{"span_in", []int{1, 3}},                 //
		{"span_nin", []int{2, 3, 5}},             // NULL is not kept: NOT NULL
		{"span_nin_empty", []int{1, 2, 3, 4, 5}}, // Hasura's NOT (c = ANY('{}')): true, NULL included
		{"span_in_session", []int{1, 3}},         // {"[1,4]",empty}
		{"during_gte", []int{1, 3}},              // same lower bound, upper not smaller; empty first
		{"span_null", []int{4}},                  //
		{"mine_or_span", []int{1, 4}},            //
	} {
		f, err := render(c.role, sqlgen.Postgres)
		if err != nil {
			t.Errorf("%s: %v", c.role, err)
			continue
		}
		got, err := selectIDs(ctx, db, "docs", f.SQL, f.Args)
		if err != nil {
			t.Errorf("%s: %s %v: %v", c.role, f.SQL, f.Args, err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %s %v keeps %v, want %v", c.role, f.SQL, f.Args, got, c.want)
		}
	}

	// _nin over a session variable is Hasura's NOT (c = ANY($1)): an empty
	// array keeps every row, a NULL span included, in Filter's SQL and in
	// Check; a non-empty one keeps no NULL span (nor any row when an
	// element is NULL). The rows are those of Hasura's own SQL.
	for _, spans := range []string{`{}`, " {\t} ", `{"[1,4]",empty}`, `{"[2,3)"}`, `{NULL}`, `{"[1,4]",NULL}`} {
		sess := session("span_nin_session")
		sess.Vars["x-hasura-spans"] = spans
		fr, err := set.Filter(ctx, engine.FilterInput{Session: sess, Table: docs, Op: model.OpSelect})
		if err != nil {
			t.Fatal(err)
		}
		frag, err := renderSession(ctx, t, set, p, docs, sess, sqlgen.Postgres)
		if err != nil {
			t.Fatalf("%s: %v", spans, err)
		}
		got, err := selectIDs(ctx, db, "docs", frag.SQL, frag.Args)
		if err != nil {
			t.Fatalf("%s: %s %v: %v", spans, frag.SQL, frag.Args, err)
		}
		hasura, err := selectIDs(ctx, db, "docs", `NOT ("span" = ANY($1::int4range[]))`, []any{spans})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, hasura) {
			t.Errorf("_nin %q: %s %v keeps %v, Hasura's SQL %v", spans, frag.SQL, frag.Args, got, hasura)
		}
		empty := spans == `{}` || spans == " {\t} "
		if empty != (fr.Kind == engine.AlwaysAllowed) || empty != slices.Contains(hasura, 4) {
			t.Errorf("_nin %q: Filter %v, Hasura keeps %v: an empty array keeps every row, NULL included", spans, fr.Kind, hasura)
		}
		res, err := set.Check(ctx, engine.CheckInput{Session: sess, Table: docs, Op: model.OpSelect, Rows: []engine.Row{
			{ID: "null", Values: map[string]any{"id": 4, "span": nil}},
			{ID: "set", Values: map[string]any{"id": 1, "span": "[1,5)"}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range res.Rows {
			want := engine.NeedsData
			if empty {
				want = engine.Allow
			}
			if row.Decision != want {
				t.Errorf("Check _nin %q row %s: %v %q, want %v", spans, row.ID, row.Decision, row.MissingData, want)
			}
		}
	}

	// A session value is a parameter, never SQL text: a bad range is
	// PostgreSQL's error.
	bad := session("span_lte_session")
	bad.Vars["x-hasura-span"] = "[1,2) ' OR true --"
	f, err := set.Filter(ctx, engine.FilterInput{Session: bad, Table: docs, Op: model.OpSelect})
	if err != nil {
		t.Fatal(err)
	}
	r, err := sqlgen.NewRenderer(p, docs, sqlgen.Options{Dialect: sqlgen.Postgres})
	if err != nil {
		t.Fatal(err)
	}
	frag, err := r.Render(f.Predicate)
	if err != nil || strings.Contains(frag.SQL, "OR true") {
		t.Fatalf("%q %v: the value must be a parameter", frag.SQL, err)
	}
	if _, err := db.ExecContext(ctx, "SELECT id FROM docs WHERE "+frag.SQL, frag.Args...); err == nil || !strings.Contains(err.Error(), "malformed range") {
		t.Errorf("a bad range: %v, want PostgreSQL's malformed range literal", err)
	}
}
