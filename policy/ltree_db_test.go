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

// ltreeDBPolicy has one role per operator Warden leaves to the database
// on ltree and array columns.
var ltreeDBPolicy = fstest.MapFS{
	"schema.yaml": {Data: []byte(`
tables:
  - name: public.nodes
    primary_key: [id]
    columns:
      - {name: id, type: integer}
      - {name: path, type: ltree}
      - {name: ns, type: "int4[]"}
      - {name: tags, type: "text[]"}
`)},
	"databases/databases.yaml": {Data: []byte(`
- name: default
  kind: postgres
  tables:
    - table: nodes
      select_permissions:
        - {role: matches, permission: {columns: [id], filter: {path: {_matches: "*.Astronomy.*"}}}}
        - {role: not_matches, permission: {columns: [id], filter: {_not: {path: {_matches: "*.Astronomy.*"}}}}}
        - {role: fulltext, permission: {columns: [id], filter: {path: {_matches_fulltext: "Astro*"}}}}
        - {role: fulltext_session, permission: {columns: [id], filter: {path: {_matches_fulltext: X-Hasura-Q}}}}
        - {role: matches_any, permission: {columns: [id], filter: {path: {_matches_any: ["Top.Hobbies.*", "*.ab"]}}}}
        - {role: ancestor_any, permission: {columns: [id], filter: {path: {_ancestor_any: [Top.Science.Astronomy.Stars, Top.a.c]}}}}
        - {role: descendant_any, permission: {columns: [id], filter: {path: {_descendant_any: [Top.Science, Top.Hobbies]}}}}
        - {role: descendant_any_session, permission: {columns: [id], filter: {path: {_descendant_any: X-Hasura-Paths}}}}
        - {role: path_gt, permission: {columns: [id], filter: {path: {_gt: Top.a}}}}
        - {role: path_lte_session, permission: {columns: [id], filter: {path: {_lte: X-Hasura-Path}}}}
        - {role: ns_gt, permission: {columns: [id], filter: {ns: {_gt: [1, 2]}}}}
        - {role: tags_lt, permission: {columns: [id], filter: {tags: {_lt: ["a"]}}}}
        - role: mine_or_matches
          permission:
            columns: [id]
            filter: {_or: [{id: {_eq: X-Hasura-User-Id}}, {path: {_matches: "*.Astronomy.*"}}]}
`)},
}

// TestLtreeDatabase: Filter's PostgreSQL SQL for ltree's lquery and
// ltxtquery operators, their _any forms and the ordering of ltree and
// arrays, run by PostgreSQL on real rows, keeps exactly the rows worked
// out by hand from the ltree documentation (an lquery matches whole
// labels; ltree orders label by label with memcmp, so "Top.Science" sorts
// before "Top.a" and "Top.ab" after "Top.a.c"; a text[] column ordered by
// its collation, here "C", puts {B} before {a}; a NULL column passes
// neither an operator nor its negation). Check answers NEEDS_DATA naming
// the column and the operator unless the rule holds without it; MySQL and
// SQLite answer SQL_UNSUPPORTED. The test makes a scratch database with
// the ltree extension; without PostgreSQL it skips, but not under CI=true.
func TestLtreeDatabase(t *testing.T) {
	ctx := context.Background()
	p, set := strictSet(ctx, t, ltreeDBPolicy, "ltree")
	nodes := model.TableName{Schema: "public", Name: "nodes"}
	session := func(role string) engine.Session {
		return engine.Session{Role: role, Vars: map[string]string{
			"x-hasura-role": role, "x-hasura-user-id": "4", "x-hasura-q": "Amateurs*",
			"x-hasura-paths": "{Top.a.c,Top.Hobbies}", "x-hasura-path": "Top.Science",
		}}
	}

	// Check: never decided by a guess.
	for role, want := range map[string]string{
		"matches":        "path (_matches: ltree, decided by the database)",
		"not_matches":    "path (_matches: ltree, decided by the database)",
		"fulltext":       "path (_matches_fulltext: ltree, decided by the database)",
		"matches_any":    "path (_matches_any: ltree, decided by the database)",
		"ancestor_any":   "path (_ancestor_any: ltree, decided by the database)",
		"descendant_any": "path (_descendant_any: ltree, decided by the database)",
		"path_gt":        "path (_gt: ltree, decided by the database)",
		"ns_gt":          "ns (_gt: int4[], decided by the database)",
		"tags_lt":        "tags (_lt: text[], decided by the database)",
	} {
		res, err := set.Check(ctx, engine.CheckInput{Session: session(role), Table: nodes, Op: model.OpSelect, Rows: []engine.Row{
			{ID: "set", Values: map[string]any{"id": 1, "path": "Top.Science.Astronomy", "ns": "{1,2}", "tags": "{a}"}},
			{ID: "null", Values: map[string]any{"id": 2, "path": nil, "ns": nil, "tags": nil}},
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
	res, err := set.Check(ctx, engine.CheckInput{Session: session("mine_or_matches"), Table: nodes, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "mine", Values: map[string]any{"id": 4, "path": "Top"}},
		{ID: "theirs", Values: map[string]any{"id": 2, "path": "Top.Science.Astronomy"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0].Decision != engine.Allow || res.Rows[1].Decision != engine.NeedsData {
		t.Errorf("mine_or_matches: %v %v, want ALLOW (the id holds) and NEEDS_DATA", res.Rows[0].Decision, res.Rows[1].Decision)
	}

	render := filterRenderer(ctx, t, set, p, nodes, session)
	wantUnsupported(t, render, "matches", "ancestor_any", "path_gt", "tags_lt")
	for _, d := range []sqlgen.Dialect{sqlgen.MySQL, sqlgen.SQLite} {
		// warden validate --dialect lists every rule.
		if errs := sqlgen.Validate(p, d); len(errs) != 13 {
			t.Errorf("Validate(%s): %d rules, want all 13: %v", d, len(errs), errs)
		}
	}
	if errs := sqlgen.Validate(p, sqlgen.Postgres); len(errs) != 0 {
		t.Errorf("Validate(postgres): %v", errs)
	}
	for role, want := range map[string]string{
		"matches":        `"public"."nodes"."path" ~ $1::text::lquery`,
		"fulltext":       `"public"."nodes"."path" @ $1::text::ltxtquery`,
		"matches_any":    `"public"."nodes"."path" ? $1::text::lquery[]`,
		"ancestor_any":   `"public"."nodes"."path" @> $1::text::ltree[]`,
		"descendant_any": `"public"."nodes"."path" <@ $1::text::ltree[]`,
		"path_gt":        `"public"."nodes"."path" > $1::text::ltree`,
		"ns_gt":          `"public"."nodes"."ns" > $1::text::integer[]`,
	} {
		f, err := render(role, sqlgen.Postgres)
		if err != nil || !strings.Contains(f.SQL, want) || len(f.Args) != 1 {
			t.Errorf("%s: %q %v %v, want %s with one parameter", role, f.SQL, f.Args, err, want)
		}
	}

	db := extensionDatabase(t, "ltree_db", "ltree", "")
	for _, stmt := range []string{
		`CREATE TABLE nodes (id integer PRIMARY KEY, path ltree, ns int4[], tags text[] COLLATE "C")`,
		`INSERT INTO nodes VALUES
			(1, 'Top.Science.Astronomy', '{1,2}', '{b,a}'),
			(2, 'Top.Science', '{1}', '{a}'),
			(3, 'Top.Hobbies.Amateurs_Astronomy', '{2}', '{B}'),
			(4, NULL, NULL, NULL),
			(5, 'Top.ab', '{1,2,3}', '{}'),
			(6, 'Top.a.c', '{1,3}', NULL)`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	for _, c := range []struct {
		role string
		want []int
	}{
		{"matches", []int{1}},                   // the label Astronomy, not Amateurs_Astronomy
		{"not_matches", []int{2, 3, 5, 6}},      // NULL passes no negation either
		{"fulltext", []int{1}},                  // a label starting with Astro
		{"fulltext_session", []int{3}},          // Amateurs*
		{"matches_any", []int{3, 5}},            //
		{"ancestor_any", []int{1, 2, 6}},        // ancestors of either path, or equal
		{"descendant_any", []int{1, 2, 3}},      //
		{"descendant_any_session", []int{3, 6}}, // {Top.a.c,Top.Hobbies}
		{"path_gt", []int{5, 6}},                // memcmp: Science < a; ab and a.c > a
		{"path_lte_session", []int{2, 3}},       // Top.Hobbies... (H < S) and Top.Science; the longer Top.Science.Astronomy is after
		{"ns_gt", []int{3, 5, 6}},               // {2}, {1,2,3}, {1,3} > {1,2}; {1} shorter
		{"tags_lt", []int{3, 5}},                // "C": {B} < {a}, {} < {a}
		{"mine_or_matches", []int{1, 4}},        // id 4, and 1 matches
	} {
		f, err := render(c.role, sqlgen.Postgres)
		if err != nil {
			t.Errorf("%s: %v", c.role, err)
			continue
		}
		got, err := selectIDs(ctx, db, "nodes", f.SQL, f.Args)
		if err != nil {
			t.Errorf("%s: %s %v: %v", c.role, f.SQL, f.Args, err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %s %v keeps %v, want %v", c.role, f.SQL, f.Args, got, c.want)
		}
	}

	// A bad lquery in a session variable is PostgreSQL's to reject: a
	// parameter, never SQL text.
	bad := session("fulltext_session")
	bad.Vars["x-hasura-q"] = "a' OR true --"
	f, err := set.Filter(ctx, engine.FilterInput{Session: bad, Table: nodes, Op: model.OpSelect})
	if err != nil {
		t.Fatal(err)
	}
	r, err := sqlgen.NewRenderer(p, nodes, sqlgen.Options{Dialect: sqlgen.Postgres})
	if err != nil {
		t.Fatal(err)
	}
	frag, err := r.Render(f.Predicate)
	if err != nil || strings.Contains(frag.SQL, "OR true") {
		t.Fatalf("%q %v: the value must be a parameter", frag.SQL, err)
	}
	if _, err := db.ExecContext(ctx, "SELECT id FROM nodes WHERE "+frag.SQL, frag.Args...); err == nil || !strings.Contains(err.Error(), "syntax") {
		t.Errorf("a bad ltxtquery: %v, want PostgreSQL's syntax error", err)
	}
}
