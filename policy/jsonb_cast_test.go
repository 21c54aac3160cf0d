package policy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// jsonbCastPolicy uses Hasura's _cast of a jsonb column to text, on the
// table docs of schema.
func jsonbCastPolicy(schema string) fstest.MapFS {
	return fstest.MapFS{
		"schema.yaml": {Data: []byte(`
tables:
  - name: ` + schema + `.docs
    columns:
      - {name: id, type: integer}
      - {name: owner, type: integer}
      - {name: doc, type: jsonb}
`)},
		"databases/databases.yaml": {Data: []byte(`
- name: default
  kind: postgres
  tables:
    - table: {schema: ` + schema + `, name: docs}
      select_permissions:
        - {role: like, permission: {columns: [id], filter: {doc: {_cast: {text: {_like: "%foo%"}}}}}}
        - {role: nlike, permission: {columns: [id], filter: {doc: {_cast: {text: {_nlike: "%foo%"}}}}}}
        - {role: eq_var, permission: {columns: [id], filter: {doc: {_cast: {TEXT: {_eq: X-Hasura-Doc}}}}}}
        - {role: in, permission: {columns: [id], filter: {doc: {_cast: {text: {_in: ["1", "\"x\"", "null"]}}}}}}
        - {role: nin_var, permission: {columns: [id], filter: {doc: {_cast: {text: {_nin: X-Hasura-Docs}}}}}}
        - {role: nin_empty, permission: {columns: [id], filter: {doc: {_cast: {text: {_nin: []}}}}}}
        - {role: iregex, permission: {columns: [id], filter: {doc: {$cast: {text: {_iregex: "\"a\""}}}}}}
        - {role: gt, permission: {columns: [id], filter: {doc: {_cast: {text: {_gt: "["}}}}}}
        - {role: not_ilike, permission: {columns: [id], filter: {_not: {doc: {_cast: {text: {_ilike: "%X%"}}}}}}}
        - {role: similar_set, permission: {columns: [id], filter: {doc: {_cast: {text: {_similar: "%(1|2)%", _is_null: false}}}}}}
        - role: owner_or_like
          permission:
            columns: [id]
            filter: {_or: [{owner: {_eq: X-Hasura-User-Id}}, {doc: {_cast: {text: {_like: "%foo%"}}}}]}
`)},
	}
}

// jsonbCastHasuraSQL is each role's filter as Hasura writes it (the text
// operator on ("doc")::text), with the session's values inline: the
// oracle Filter's SQL must agree with.
var jsonbCastHasuraSQL = map[string]string{
	"like":          `("doc")::text LIKE '%foo%'`,
	"nlike":         `("doc")::text NOT LIKE '%foo%'`,
	"eq_var":        `("doc")::text = '{"a": "foo", "b": 1}'`,
	"in":            `("doc")::text IN ('1', '"x"', 'null')`,
	"nin_var":       `NOT (("doc")::text = ANY('{1,"null"}'::text[]))`,
	"nin_empty":     `NOT (("doc")::text = ANY('{}'::text[]))`,
	"iregex":        `("doc")::text ~* '"a"'`,
	"gt":            `("doc")::text > '['`,
	"not_ilike":     `NOT (("doc")::text ILIKE '%X%')`,
	"similar_set":   `("doc")::text SIMILAR TO '%(1|2)%' AND ("doc") IS NOT NULL`,
	"owner_or_like": `"owner" = 4 OR ("doc")::text LIKE '%foo%'`,
}

// TestJSONBCastText: Hasura's _cast of a jsonb column to text. The text is
// PostgreSQL's output form of the value, which Warden does not reproduce:
// Check answers NEEDS_DATA naming the column, the operator and the cast
// unless the rest of the rule decides; Filter's PostgreSQL SQL casts the
// column as Hasura does and keeps, on real rows, exactly the rows of
// Hasura's own SQL (and those worked out by hand, where the collation
// does not matter); MySQL and SQLite answer SQL_UNSUPPORTED.
func TestJSONBCastText(t *testing.T) {
	ctx := context.Background()
	schema := fmt.Sprintf("jcast_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	p, set := strictSet(ctx, t, jsonbCastPolicy(schema), "jsonb_cast")
	docs := model.TableName{Schema: schema, Name: "docs"}
	session := func(role string) engine.Session {
		return engine.Session{Role: role, Vars: map[string]string{
			"x-hasura-role": role, "x-hasura-user-id": "4", "x-hasura-doc": `{"a": "foo", "b": 1}`, "x-hasura-docs": `{1,"null"}`,
		}}
	}

	res, err := set.Check(ctx, engine.CheckInput{Session: session("owner_or_like"), Table: docs, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "mine", Values: map[string]any{"id": 4, "owner": 4, "doc": map[string]any{"a": "foo"}}},
		{ID: "theirs", Values: map[string]any{"id": 1, "owner": 1, "doc": map[string]any{"a": "foo"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Rows[0]; r.Decision != engine.Allow {
		t.Errorf("owner_or_like, the owner's row: %v, want ALLOW (the owner holds)", r.Decision)
	}
	if r := res.Rows[1]; r.Decision != engine.NeedsData || len(r.MissingData) != 1 ||
		!strings.Contains(r.MissingData[0], "doc (_like: the column's text (_cast to text), decided by the database)") {
		t.Errorf("owner_or_like, another's row: %v %v, want NEEDS_DATA naming doc, _like and the cast", r.Decision, r.MissingData)
	}
	res, err = set.Check(ctx, engine.CheckInput{Session: session("nin_empty"), Table: docs, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "null", Values: map[string]any{"id": 3, "owner": 3, "doc": nil}},
	}})
	if err != nil || res.Rows[0].Decision != engine.Allow {
		t.Errorf("nin_empty on a NULL doc: %v %v, want ALLOW (NOT (x = ANY('{}')) is true)", res, err)
	}

	render := filterRenderer(ctx, t, set, p, docs, session)
	for _, d := range []sqlgen.Dialect{sqlgen.MySQL, sqlgen.SQLite} {
		var u *sqlgen.UnsupportedError
		if _, err := render("like", d); !errors.As(err, &u) || !strings.Contains(err.Error(), "_like") {
			t.Errorf("%s: %v, want the operator unsupported", d, err)
		}
	}
	if f, err := render("like", sqlgen.Postgres); err != nil || !strings.Contains(f.SQL, `("`+schema+`"."docs"."doc")::text LIKE $1::text`) {
		t.Errorf("like: %v %v", f, err)
	}

	db := scratchSchema(ctx, t, schema,
		`CREATE TABLE `+schema+`.docs (id integer PRIMARY KEY, owner integer, doc jsonb)`,
		`INSERT INTO `+schema+`.docs VALUES
			(1, 1, '{"b": 1, "a": "foo"}'),
			(2, 2, '[1, 2, "x"]'),
			(3, 3, NULL),
			(4, 4, '"x"'),
			(5, 5, 'null'),
			(6, 6, '{"A": 1e400, "A": -0}'),
			(7, 7, '1')`,
	)
	for _, c := range []struct {
		role string
		want []int // nil: only Hasura's SQL decides (the collation's order)
	}{
		{"like", []int{1}},
		{"nlike", []int{2, 4, 5, 6, 7}},           // NULL passes no negation
		{"eq_var", []int{1}},                      // keys as jsonb_out writes them
		{"in", []int{4, 5, 7}},                    // 'null' is the JSON null's text
		{"nin_var", []int{1, 2, 4, 6}},            // neither 1 nor null, and not NULL
		{"nin_empty", []int{1, 2, 3, 4, 5, 6, 7}}, // true, a NULL doc included
		{"iregex", []int{1, 6}},                   // "a" and "A"
		{"gt", nil},
		{"not_ilike", []int{1, 5, 6, 7}}, // 2 and 4 hold an x
		{"similar_set", []int{1, 2, 7}},  // 6 is {"A": 0}: the last key wins
		{"owner_or_like", []int{1, 4}},
	} {
		f, err := render(c.role, sqlgen.Postgres)
		if err != nil {
			t.Errorf("%s: %v", c.role, err)
			continue
		}
		got, err := selectIDs(ctx, db, schema+".docs", f.SQL, f.Args)
		if err != nil {
			t.Errorf("%s: %s %v: %v", c.role, f.SQL, f.Args, err)
			continue
		}
		hasura, err := selectIDs(ctx, db, schema+".docs", jsonbCastHasuraSQL[c.role], nil)
		if err != nil {
			t.Errorf("%s: Hasura's SQL %s: %v", c.role, jsonbCastHasuraSQL[c.role], err)
			continue
		}
		if !slices.Equal(got, hasura) || c.want != nil && !slices.Equal(got, c.want) {
			t.Errorf("%s: %s %v keeps %v; Hasura's SQL keeps %v; want %v", c.role, f.SQL, f.Args, got, hasura, c.want)
		}
	}
}
