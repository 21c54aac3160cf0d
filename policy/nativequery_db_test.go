package policy_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// nqSchema is the scratch schema of TestNativeQueryDatabase.
const nqSchema = "warden_lmodel_nq"

// nqCode is the native query: rows of the logical model, computed from a
// table (title upper-cased, rows with id 0 left out).
const nqCode = "SELECT id, owner, upper(title) AS title FROM " + nqSchema + ".items WHERE id > 0"

// nqRoles are the logical model's select filters, and the ids of the
// native query's rows each keeps for user 2 (worked out by hand from
// nqRows).
var nqRoles = []struct {
	role, filter string
	want         []int
}{
	{"owner", `{owner: {_eq: X-Hasura-User-Id}}`, []int{2, 4}},
	{"titled", `{_or: [{title: {_like: "A%"}}, {id: {_in: [5]}}]}`, []int{1, 3, 5}},
	{"untitled", `{title: {_is_null: true}}`, []int{5}},
	{"mine_titled", `{_and: [{owner: {_eq: X-Hasura-User-Id}}, {_not: {title: {_is_null: true}}}]}`, []int{2, 4}},
	{"everyone", `{}`, []int{1, 2, 3, 4, 5}},
}

// TestNativeQueryDatabase: Filter's SQL on a native query, run by
// PostgreSQL on the native query wrapped as a subquery with the table
// alias (SELECT ... FROM (<code>) AS q WHERE <Filter's SQL>), keeps the
// rows each rule means, and the rows Check allows one by one.
func TestNativeQueryDatabase(t *testing.T) {
	ctx := context.Background()
	db := scratchSchema(ctx, t, nqSchema,
		`CREATE TABLE `+nqSchema+`.items (id integer PRIMARY KEY, owner integer, title text)`,
		`INSERT INTO `+nqSchema+`.items VALUES (0, 2, 'ab'), (1, 1, 'abc'), (2, 2, 'b'), (3, 3, 'a'), (4, 2, 'x'), (5, 1, NULL)`)
	perms := ""
	for _, r := range nqRoles {
		perms += fmt.Sprintf("        - {role: %s, permission: {columns: [id, owner, title], filter: %s}}\n", r.role, r.filter)
	}
	fsys := fstest.MapFS{
		"schema.yaml": {Data: []byte("tables: []\n")},
		"databases/databases.yaml": {Data: []byte(`
- name: default
  kind: postgres
  tables: []
  logical_models:
    - name: item
      fields:
        - {name: id, type: {scalar: integer, nullable: false}}
        - {name: owner, type: {scalar: integer}}
        - {name: title, type: {scalar: text}}
      select_permissions:
` + perms + `  native_queries:
    - root_field_name: items_nq
      code: "` + nqCode + `"
      returns: item
`)},
	}
	_, set := strictSet(ctx, t, fsys, "nq")
	ns := set.NativeQueries()
	if ns == nil {
		t.Fatal("no native query set")
	}
	table := model.NativeTableName("items_nq")
	// The native query's rows, for Check.
	var rows []engine.Row
	res, err := db.QueryContext(ctx, "SELECT id, owner, title FROM ("+nqCode+") AS q ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for res.Next() {
		var id, owner int
		var title *string
		if err := res.Scan(&id, &owner, &title); err != nil {
			t.Fatal(err)
		}
		v := map[string]any{"id": id, "owner": owner, "title": nil}
		if title != nil {
			v["title"] = *title
		}
		rows = append(rows, engine.Row{ID: strconv.Itoa(id), Values: v})
	}
	res.Close()
	if len(rows) != 5 {
		t.Fatalf("the native query returned %d rows, want 5", len(rows))
	}
	for _, c := range nqRoles {
		t.Run(c.role, func(t *testing.T) {
			sess := engine.Session{Role: c.role, Vars: map[string]string{"x-hasura-role": c.role, "x-hasura-user-id": "2"}}
			f, err := ns.Filter(ctx, engine.FilterInput{Session: sess, Table: table, Op: model.OpSelect})
			if err != nil {
				t.Fatal(err)
			}
			r, err := sqlgen.NewRenderer(ns.Policy(), table, sqlgen.Options{Dialect: sqlgen.Postgres, Alias: "q"})
			if err != nil {
				t.Fatal(err)
			}
			frag, err := r.Render(f.Predicate)
			if err != nil {
				t.Fatal(err)
			}
			got, err := selectIDs(ctx, db, "("+nqCode+") AS q", frag.SQL, frag.Args)
			if err != nil {
				t.Fatalf("%s: %v", frag.SQL, err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("Filter's SQL %s keeps %v, want %v", frag.SQL, got, c.want)
			}
			chk, err := ns.Check(ctx, engine.CheckInput{Session: sess, Table: table, Op: model.OpSelect, Rows: rows})
			if err != nil {
				t.Fatal(err)
			}
			var allowed []int
			for _, d := range chk.Rows {
				if d.Decision == engine.Allow {
					id, _ := strconv.Atoi(d.ID)
					allowed = append(allowed, id)
				}
			}
			if !slices.Equal(allowed, c.want) {
				t.Errorf("Check allows %v, want %v", allowed, c.want)
			}
		})
	}
}
