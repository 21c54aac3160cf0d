package handler

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	warden "github.com/wardenpdp/warden/clients/go"
)

// A column readable only under a condition (an inherited role) is selected
// as its CASE, and the arguments follow each dialect's binding: PostgreSQL
// by number (Warden numbers the filter first), SQLite in text order (the
// select list comes before the WHERE clause).
func TestSelectQueryColumnConditions(t *testing.T) {
	for _, tc := range []struct {
		dialect  warden.Dialect
		f        *warden.Filter
		wantSQL  string
		wantArgs []any
	}{
		{
			dialect: warden.Postgres,
			f: &warden.Filter{
				Fragment: warden.Fragment{SQL: `("t"."org_id" = $1::bigint)`, Args: []any{int64(1)}},
				ColumnConditions: []warden.ColumnCondition{{Column: "email",
					Fragment: warden.Fragment{SQL: `CASE WHEN ("t"."id" = $2::bigint) THEN "t"."email" END`, Args: []any{int64(7)}}}},
			},
			wantSQL:  `SELECT t."id", CASE WHEN ("t"."id" = $2::bigint) THEN "t"."email" END AS "email" FROM "public"."users" AS t WHERE ("t"."org_id" = $1::bigint) ORDER BY 1 LIMIT 10`,
			wantArgs: []any{int64(1), int64(7)},
		},
		{
			dialect: warden.SQLite,
			f: &warden.Filter{
				Fragment: warden.Fragment{SQL: `("t"."org_id" = ?)`, Args: []any{int64(1)}},
				ColumnConditions: []warden.ColumnCondition{{Column: "email",
					Fragment: warden.Fragment{SQL: `CASE WHEN ("t"."id" = ?) THEN "t"."email" END`, Args: []any{int64(7)}}}},
			},
			wantSQL:  `SELECT t."id", CASE WHEN ("t"."id" = ?) THEN "t"."email" END AS "email" FROM "users" AS t WHERE ("t"."org_id" = ?) ORDER BY 1 LIMIT 10`,
			wantArgs: []any{int64(7), int64(1)},
		},
	} {
		t.Run(tc.dialect.String(), func(t *testing.T) {
			sql, args, err := selectQuery(tc.dialect, "users", []string{"id", "email"}, tc.f, 10)
			if err != nil {
				t.Fatal(err)
			}
			if sql != tc.wantSQL {
				t.Errorf("SQL\n got %s\nwant %s", sql, tc.wantSQL)
			}
			if diff := cmp.Diff(tc.wantArgs, args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTableRefQuotes(t *testing.T) {
	for _, tc := range []struct {
		d     warden.Dialect
		table string
		want  string
	}{
		{warden.Postgres, "articles", `"public"."articles"`},
		{warden.Postgres, `sales.or"ders`, `"sales"."or""ders"`},
		{warden.SQLite, "public.articles", `"articles"`},
		{warden.SQLite, "sales.orders", `"sales"."orders"`},
	} {
		if got := tableRef(tc.d, tc.table); got != tc.want {
			t.Errorf("tableRef(%v, %q) = %s, want %s", tc.d, tc.table, got, tc.want)
		}
	}
}
