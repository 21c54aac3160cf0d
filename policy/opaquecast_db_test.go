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

// opaqueCastRoles are the roles of opaqueCastPolicy on public.things,
// with the SQL Hasura writes for them (col OP value::type, the value a
// parameter) and the parameter.
var opaqueCastRoles = []struct {
	role, filter, hasura string
	arg                  string
	cast                 string // the cast Filter's SQL must write
}{
	{"range_eq", `{r: {_eq: "[1,5)"}}`, `"r" = $1::"My Range"`, "[1,5)", `::"My Range"`},
	{"quoted_gt", `{q: {_gt: "[2,3)"}}`, `"q" > $1::"S"."t""q"`, "[2,3)", `::"S"."t""q"`},
	{"interval_fields_lt", `{d: {_lt: "1 day"}}`, `"d" < $1::interval day to second`, "1 day", "::interval day to second"},
	{"interval_fields_in", `{d: {_in: X-Hasura-Ds}}`, `"d" = ANY($1::interval day to second[])`, `{"1 day",00:00:01}`, "::interval day to second[]"},
	{"timestamps_eq", `{ts: {_eq: "{2020-01-01 10:00:00.1234}"}}`, `"ts" = $1::timestamp(3) without time zone[]`,
		"{2020-01-01 10:00:00.1234}", "::timestamp(3) without time zone[]"},
	{"doubles_gt", `{dp: {_gt: "{1.5}"}}`, `"dp" > $1::double precision[]`, "{1.5}", "::double precision[]"},
	{"bits_nin", `{bv: {_nin: X-Hasura-Bits}}`, `NOT ("bv" = ANY($1::bit varying(5)[]))`, "{101,1}", "::bit varying(5)[]"},
}

const opaqueCastSchema = `
tables:
  - name: public.things
    primary_key: [id]
    columns:
      - {name: id, type: integer}
      - {name: r, type: '"My Range"'}
      - {name: q, type: '"S"."t""q"'}
      - {name: d, type: interval day to second}
      - {name: ts, type: "timestamp(3) without time zone[]"}
      - {name: dp, type: "double precision[]"}
      - {name: bv, type: bit varying(5)}
`

// TestOpaqueCastDatabase: an opaque column whose type is a quoted name
// (a double quote inside it doubled) or one of SQL's multi-word names
// takes Hasura's comparisons, which Filter's PostgreSQL SQL casts to the
// declared type; on real rows PostgreSQL keeps exactly the rows of
// Hasura's col OP value::type (the timestamp(3) cast rounds the value as
// the column rounds its rows; an interval day to second reads its
// fields), NULLs included.
func TestOpaqueCastDatabase(t *testing.T) {
	ctx := context.Background()
	var roles, filters []string
	for _, r := range opaqueCastRoles {
		roles, filters = append(roles, r.role), append(filters, r.filter)
	}
	p, set := selectRolesPolicy(ctx, t, opaqueCastSchema, "things", nil, roles, filters)
	things := model.TableName{Schema: "public", Name: "things"}
	session := func(role string) engine.Session {
		return engine.Session{Role: role, Vars: map[string]string{"x-hasura-role": role,
			"x-hasura-ds": `{"1 day",00:00:01}`, "x-hasura-bits": "{101,1}"}}
	}
	db := extensionDatabase(t, "opaquecast_db", "ltree", "")
	for _, stmt := range []string{
		`CREATE TYPE "My Range" AS RANGE (subtype = int4)`,
		`CREATE SCHEMA "S"`,
		`CREATE TYPE "S"."t""q" AS RANGE (subtype = int8)`,
		`CREATE TABLE things (id integer PRIMARY KEY, r "My Range", q "S"."t""q", d interval day to second,
			ts timestamp(3) without time zone[], dp double precision[], bv bit varying(5))`,
		`INSERT INTO things VALUES
			(1, '[1,4]', '[3,4)', '23:59:59', '{2020-01-01 10:00:00.123}', '{2}', '101'),
			(2, '[1,5)', '[2,3)', '1 day', '{2020-01-01 10:00:00.124}', '{1.5}', '1'),
			(3, '[2,3)', '[1,9)', '00:00:01', '{2020-01-01 10:00:00.1234}', '{1.5,0}', '11'),
			(4, NULL, NULL, NULL, NULL, NULL, NULL),
			(5, 'empty', 'empty', '2 days', '{}', '{}', '')`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	kept := map[string][]int{}
	for _, r := range opaqueCastRoles {
		frag, err := renderSession(ctx, t, set, p, things, session(r.role), sqlgen.Postgres)
		if err != nil {
			t.Errorf("%s: %v", r.role, err)
			continue
		}
		if !strings.Contains(frag.SQL, r.cast) {
			t.Errorf("%s: %s, want the cast %s", r.role, frag.SQL, r.cast)
		}
		got, err := selectIDs(ctx, db, "things", frag.SQL, frag.Args)
		if err != nil {
			t.Errorf("%s: %s %v: %v", r.role, frag.SQL, frag.Args, err)
			continue
		}
		hasura, err := selectIDs(ctx, db, "things", r.hasura, []any{r.arg})
		if err != nil {
			t.Fatalf("%s: Hasura's %s: %v", r.role, r.hasura, err)
		}
		if !slices.Equal(got, hasura) {
			t.Errorf("%s: %s %v keeps %v, Hasura's %s keeps %v", r.role, frag.SQL, frag.Args, got, r.hasura, hasura)
		}
		kept[r.role] = got
	}
	// Worked out by hand, so that the comparison above is not between two
	// empty sets.
	for role, want := range map[string][]int{
		"range_eq":           {2},    // no canonical function for a range type of our own: [1,4] is not [1,5)
		"quoted_gt":          {1},    // lower 3 > 2
		"interval_fields_lt": {1, 3}, // 23:59:59 and 1 s
		"interval_fields_in": {2, 3}, //
		"timestamps_eq":      {1, 3}, // .1234 rounds to .123 in the column and in the cast
		"doubles_gt":         {1, 3}, // {2} > {1.5}; {1.5,0} is longer
		"bits_nin":           {3, 5}, // NULL passes no NOT (c = ANY(non-empty))
	} {
		if !slices.Equal(kept[role], want) {
			t.Errorf("%s keeps %v, want %v", role, kept[role], want)
		}
	}
}
