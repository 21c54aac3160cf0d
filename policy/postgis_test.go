package policy_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// postgisPolicy has a geometry and a geography column and one role per
// PostGIS operator form.
var postgisPolicy = fstest.MapFS{
	"schema.yaml": {Data: []byte(`
tables:
  - name: public.places
    primary_key: [id]
    columns:
      - {name: id, type: integer}
      - {name: owner, type: integer}
      - {name: at, type: "geometry(Point,4326)"}
      - {name: area, type: "geography(Polygon,4326)"}
`)},
	"databases/databases.yaml": {Data: []byte(`
- name: default
  kind: postgres
  tables:
    - table: places
      select_permissions:
        - {role: within, permission: {columns: [id], filter: {at: {_st_within: {type: Polygon, coordinates: [[[0,0],[0,10],[10,10],[10,0],[0,0]]]}}}}}
        - {role: not_within, permission: {columns: [id], filter: {_not: {at: {_st_within: {type: Polygon, coordinates: [[[0,0],[0,10],[10,10],[10,0],[0,0]]]}}}}}}
        - {role: region, permission: {columns: [id], filter: {at: {_st_intersects: X-Hasura-Region}}}}
        - {role: near, permission: {columns: [id], filter: {at: {_st_d_within: {distance: 1.5, from: {type: Point, coordinates: [0, 0]}}}}}}
        - {role: equals, permission: {columns: [id], filter: {at: {_st_equals: {type: Point, coordinates: [5, 5]}}}}}
        - {role: geo_near, permission: {columns: [id], filter: {area: {_st_d_within: {distance: 1000, from: {type: Point, coordinates: [1, 1]}}}}}}
        - {role: geo_sphere, permission: {columns: [id], filter: {area: {_st_d_within: {distance: 1000, from: {type: Point, coordinates: [1, 1]}, use_spheroid: false}}}}}
        - {role: geo_hit, permission: {columns: [id], filter: {area: {_st_intersects: {type: Point, coordinates: [11, 11]}}}}}
        - role: owner_or_within
          permission:
            columns: [id]
            filter: {_or: [{owner: {_eq: X-Hasura-User-Id}}, {at: {_st_within: {type: Polygon, coordinates: [[[0,0],[0,10],[10,10],[10,0],[0,0]]]}}}]}
`)},
}

// TestPostGIS: Filter's PostgreSQL SQL for every PostGIS operator form,
// run by PostGIS on real rows, keeps exactly the rows worked out by hand
// (a point on a polygon's boundary is not within it but intersects it; a
// NULL geometry passes neither an operator nor its negation); Check
// answers NEEDS_DATA naming the column and the operator, unless the rule
// holds or fails without it; MySQL and SQLite answer SQL_UNSUPPORTED. The
// test makes a scratch database with the postgis extension; without
// PostgreSQL or PostGIS it skips, but not under CI=true.
func TestPostGIS(t *testing.T) {
	ctx := context.Background()
	p, set := strictSet(ctx, t, postgisPolicy, "postgis")
	places := model.TableName{Schema: "public", Name: "places"}
	session := func(role string) engine.Session {
		return engine.Session{Role: role, Vars: map[string]string{
			"x-hasura-role": role, "x-hasura-user-id": "4",
			"x-hasura-region": `{"type": "Polygon", "coordinates": [[[0,0],[0,10],[10,10],[10,0],[0,0]]]}`,
		}}
	}

	// Check: never decided by a guess.
	res, err := set.Check(ctx, engine.CheckInput{Session: session("within"), Table: places, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "in", Values: map[string]any{"id": 1, "at": map[string]any{"type": "Point", "coordinates": []any{1, 1}}}},
		{ID: "absent", Values: map[string]any{"id": 2}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Rows {
		if r.Decision != engine.NeedsData || len(r.MissingData) != 1 || !strings.Contains(r.MissingData[0], "at (_st_within") {
			t.Errorf("Check row %s: %v %v, want NEEDS_DATA naming at and _st_within", r.ID, r.Decision, r.MissingData)
		}
	}
	res, err = set.Check(ctx, engine.CheckInput{Session: session("owner_or_within"), Table: places, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "mine", Values: map[string]any{"id": 4, "owner": 4, "at": nil}},
		{ID: "theirs", Values: map[string]any{"id": 2, "owner": 2, "at": map[string]any{"type": "Point", "coordinates": []any{5, 5}}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0].Decision != engine.Allow || res.Rows[1].Decision != engine.NeedsData {
		t.Errorf("owner_or_within: %v %v, want ALLOW (the owner holds) and NEEDS_DATA", res.Rows[0].Decision, res.Rows[1].Decision)
	}

	// A session value that is not GeoJSON is invalid, in Check and Filter.
	bad := session("region")
	bad.Vars["x-hasura-region"] = `{"type": "Circle", "radius": 1}`
	_, checkErr := set.Check(ctx, engine.CheckInput{Session: bad, Table: places, Op: model.OpSelect, Rows: []engine.Row{{ID: "r", Values: map[string]any{"id": 1}}}})
	_, filterErr := set.Filter(ctx, engine.FilterInput{Session: bad, Table: places, Op: model.OpSelect})
	for _, err := range []error{checkErr, filterErr} {
		if !errors.Is(err, engine.ErrInvalidValue) || !strings.Contains(err.Error(), "x-hasura-region") {
			t.Errorf("a region that is not GeoJSON: %v, want an invalid value naming the variable", err)
		}
	}

	render := selectRenderer(ctx, t, p, set, places, session)
	for _, d := range []sqlgen.Dialect{sqlgen.MySQL, sqlgen.SQLite} {
		if _, err := render("within", d); !strings.Contains(fmt.Sprint(err), "_st_within") {
			t.Errorf("%s: %v, want the operator unsupported", d, err)
		}
		// warden validate --dialect lists every PostGIS rule.
		if errs := sqlgen.Validate(p, d); len(errs) != 9 {
			t.Errorf("Validate(%s): %d rules, want the 9 PostGIS ones: %v", d, len(errs), errs)
		}
	}
	if errs := sqlgen.Validate(p, sqlgen.Postgres); len(errs) != 0 {
		t.Errorf("Validate(postgres): %v", errs)
	}
	if f, err := render("geo_sphere", sqlgen.Postgres); err != nil || !strings.Contains(f.SQL, `ST_DWithin("public"."places"."area", ST_GeomFromGeoJSON($1::text)::geography, $2::numeric, $3::boolean)`) {
		t.Errorf("geo_sphere: %v %v", f, err)
	}

	db := extensionDatabase(t, "gis_postgis", "postgis", ": apt-get install postgresql-15-postgis-3")
	for _, stmt := range []string{
		`CREATE TABLE places (id integer PRIMARY KEY, owner integer, at geometry(Point,4326), area geography(Polygon,4326))`,
		`INSERT INTO places VALUES
			(1, 1, 'SRID=4326;POINT(1 1)', 'SRID=4326;POLYGON((0 0,0 2,2 2,2 0,0 0))'),
			(2, 2, 'SRID=4326;POINT(5 5)', NULL),
			(3, 3, 'SRID=4326;POINT(20 20)', 'SRID=4326;POLYGON((10 10,10 12,12 12,12 10,10 10))'),
			(4, 4, NULL, NULL),
			(5, 5, 'SRID=4326;POINT(0 0)', NULL)`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	for _, c := range []struct {
		role string
		want []int
	}{
		{"within", []int{1, 2}},             // 5 is on the boundary, 3 outside, 4 NULL
		{"not_within", []int{3, 5}},         // NULL passes no negation either
		{"region", []int{1, 2, 5}},          // the boundary intersects
		{"near", []int{1, 5}},               // √2 and 0 from the origin
		{"equals", []int{2}},                //
		{"geo_near", []int{1}},              // (1,1) is inside 1's area
		{"geo_sphere", []int{1}},            //
		{"geo_hit", []int{3}},               //
		{"owner_or_within", []int{1, 2, 4}}, // owner 4, and 1, 2 within
	} {
		f, err := render(c.role, sqlgen.Postgres)
		if err != nil {
			t.Errorf("%s: %v", c.role, err)
			continue
		}
		got, err := selectIDs(ctx, db, "places", f.SQL, f.Args)
		if err != nil {
			t.Errorf("%s: %s %v: %v", c.role, f.SQL, f.Args, err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %s %v keeps %v, want %v", c.role, f.SQL, f.Args, got, c.want)
		}
	}
}
