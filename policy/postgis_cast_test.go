package policy_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// castPolicy uses Hasura's _cast on a geometry and a geography column.
var castPolicy = fstest.MapFS{
	"schema.yaml": postgisPolicy["schema.yaml"],
	"databases/databases.yaml": {Data: []byte(`
- name: default
  kind: postgres
  tables:
    - table: places
      select_permissions:
        - {role: g_near, permission: {columns: [id], filter: {at: {_cast: {geography: {_st_d_within: {distance: 200000, from: {type: Point, coordinates: [0, 0]}}}}}}}}
        - {role: g_sphere, permission: {columns: [id], filter: {at: {$cast: {GEOGRAPHY: {_st_d_within: {distance: 200000, from: {type: Point, coordinates: [0, 0]}, use_spheroid: false}}}}}}}
        - {role: g_hit, permission: {columns: [id], filter: {at: {_cast: {geography: {_st_intersects: X-Hasura-Region, _is_null: false}}}}}}
        - {role: not_g_near, permission: {columns: [id], filter: {_not: {at: {_cast: {geography: {_st_d_within: {distance: 200000, from: {type: Point, coordinates: [0, 0]}}}}}}}}}
        - {role: area_contains, permission: {columns: [id], filter: {area: {_cast: {geometry: {_st_contains: {type: Point, coordinates: [1, 1]}}}}}}}
        - {role: area_touches, permission: {columns: [id], filter: {area: {_st_intersects: {type: Point, coordinates: [10, 11]}, _cast: {geometry: {_st_touches: {type: Point, coordinates: [10, 11]}}}}}}}
        - {role: area_within, permission: {columns: [id], filter: {area: {_cast: {geometry: {_st_within: X-Hasura-Region}}}}}}
        - role: owner_or_near
          permission:
            columns: [id]
            filter: {_or: [{owner: {_eq: X-Hasura-User-Id}}, {at: {_cast: {geography: {_st_d_within: {distance: 200000, from: {type: Point, coordinates: [0, 0]}}}}}}]}
`)},
}

// castHasuraSQL is each role's filter as Hasura writes it (its mkCastsExp:
// the operator applied to (column)::type, the value read by
// ST_GeomFromGeoJSON in the target type), with the values inline: the
// oracle Filter's SQL must agree with.
var castHasuraSQL = map[string]string{
	"g_near":        `ST_DWithin(("at")::geography, ST_GeomFromGeoJSON('{"type":"Point","coordinates":[0,0]}')::geography, 200000, true)`,
	"g_sphere":      `ST_DWithin(("at")::geography, ST_GeomFromGeoJSON('{"type":"Point","coordinates":[0,0]}')::geography, 200000, false)`,
	"g_hit":         `ST_Intersects(("at")::geography, ST_GeomFromGeoJSON('` + castRegion + `')::geography) AND (("at")::geography) IS NOT NULL`,
	"not_g_near":    `NOT ST_DWithin(("at")::geography, ST_GeomFromGeoJSON('{"type":"Point","coordinates":[0,0]}')::geography, 200000, true)`,
	"area_contains": `ST_Contains(("area")::geometry, ST_GeomFromGeoJSON('{"type":"Point","coordinates":[1,1]}'))`,
	"area_touches":  `ST_Intersects("area", ST_GeomFromGeoJSON('{"type":"Point","coordinates":[10,11]}')::geography) AND ST_Touches(("area")::geometry, ST_GeomFromGeoJSON('{"type":"Point","coordinates":[10,11]}'))`,
	"area_within":   `ST_Within(("area")::geometry, ST_GeomFromGeoJSON('` + castRegion + `'))`,
	"owner_or_near": `"owner" = 4 OR ST_DWithin(("at")::geography, ST_GeomFromGeoJSON('{"type":"Point","coordinates":[0,0]}')::geography, 200000, true)`,
}

const castRegion = `{"type":"Polygon","coordinates":[[[0,0],[0,3],[3,3],[3,0],[0,0]]]}`

// TestPostGISCast: Hasura's _cast between geometry and geography. Filter's
// PostgreSQL SQL casts the column as Hasura does and keeps, on real
// PostGIS rows, exactly the rows of Hasura's own SQL for the rule (and the
// rows worked out by hand: 200 km on the spheroid from the origin reach
// (1,1) but not (5,5)); Check answers NEEDS_DATA naming the column, the
// operator and the cast unless the rest of the rule decides; MySQL and
// SQLite answer SQL_UNSUPPORTED.
func TestPostGISCast(t *testing.T) {
	ctx := context.Background()
	p, set := strictSet(ctx, t, castPolicy, "postgis_cast")
	places := model.TableName{Schema: "public", Name: "places"}
	session := func(role string) engine.Session {
		return engine.Session{Role: role, Vars: map[string]string{
			"x-hasura-role": role, "x-hasura-user-id": "4", "x-hasura-region": castRegion,
		}}
	}

	res, err := set.Check(ctx, engine.CheckInput{Session: session("owner_or_near"), Table: places, Op: model.OpSelect, Rows: []engine.Row{
		{ID: "mine", Values: map[string]any{"id": 4, "owner": 4, "at": nil}},
		{ID: "theirs", Values: map[string]any{"id": 1, "owner": 1, "at": map[string]any{"type": "Point", "coordinates": []any{1, 1}}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Rows[0]; r.Decision != engine.Allow {
		t.Errorf("owner_or_near, the owner's row: %v, want ALLOW (the owner holds)", r.Decision)
	}
	if r := res.Rows[1]; r.Decision != engine.NeedsData || len(r.MissingData) != 1 ||
		!strings.Contains(r.MissingData[0], "at (_st_d_within: PostGIS on the column cast to geography, decided by the database)") {
		t.Errorf("owner_or_near, another's row: %v %v, want NEEDS_DATA naming at, _st_d_within and the cast", r.Decision, r.MissingData)
	}

	render := selectRenderer(ctx, t, p, set, places, session)
	for _, d := range []sqlgen.Dialect{sqlgen.MySQL, sqlgen.SQLite} {
		var u *sqlgen.UnsupportedError
		if _, err := render("area_contains", d); !errors.As(err, &u) || !strings.Contains(err.Error(), "_st_contains") {
			t.Errorf("%s: %v, want the operator unsupported", d, err)
		}
	}
	if f, err := render("g_sphere", sqlgen.Postgres); err != nil || !strings.Contains(f.SQL, `ST_DWithin(("public"."places"."at")::geography, ST_GeomFromGeoJSON($1::text)::geography, $2::numeric, $3::boolean)`) {
		t.Errorf("g_sphere: %v %v", f, err)
	}
	if f, err := render("area_contains", sqlgen.Postgres); err != nil || !strings.Contains(f.SQL, `ST_Contains(("public"."places"."area")::geometry, ST_GeomFromGeoJSON($1::text))`) {
		t.Errorf("area_contains: %v %v", f, err)
	}

	db := extensionDatabase(t, "gis_cast", "postgis", ": apt-get install postgresql-15-postgis-3")
	for _, stmt := range []string{
		`CREATE TABLE places (id integer PRIMARY KEY, owner integer, at geometry(Point,4326), area geography(Polygon,4326))`,
		`INSERT INTO places VALUES
			(1, 1, 'SRID=4326;POINT(1 1)', 'SRID=4326;POLYGON((0 0,0 2,2 2,2 0,0 0))'),
			(2, 2, 'SRID=4326;POINT(5 5)', NULL),
			(3, 3, 'SRID=4326;POINT(20 20)', 'SRID=4326;POLYGON((10 10,10 12,12 12,12 10,10 10))'),
			(4, 4, NULL, NULL),
			(5, 5, 'SRID=4326;POINT(0 0)', 'SRID=4326;POLYGON((1 1,1 2,2 2,2 1,1 1))')`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	for _, c := range []struct {
		role string
		want []int
	}{
		{"g_near", []int{1, 5}},           // 157 km and 0; (5,5) is 785 km away
		{"g_sphere", []int{1, 5}},         //
		{"g_hit", []int{1, 5}},            // inside the region
		{"not_g_near", []int{2, 3}},       // NULL passes no negation either
		{"area_contains", []int{1}},       // 5's area has (1,1) on its boundary
		{"area_touches", []int{3}},        // (10,11) is on 3's boundary
		{"area_within", []int{1, 5}},      // both areas lie in the region
		{"owner_or_near", []int{1, 4, 5}}, // owner 4
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
		hasura, err := selectIDs(ctx, db, "places", castHasuraSQL[c.role], nil)
		if err != nil {
			t.Errorf("%s: Hasura's SQL %s: %v", c.role, castHasuraSQL[c.role], err)
			continue
		}
		if !slices.Equal(got, hasura) || !slices.Equal(got, c.want) {
			t.Errorf("%s: %s %v keeps %v; Hasura's SQL keeps %v; want %v", c.role, f.SQL, f.Args, got, hasura, c.want)
		}
	}
}
