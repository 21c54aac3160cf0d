package introspect_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/introspect"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// TestPullPostGIS pulls PostGIS geometry and geography columns from
// PostgreSQL (in a scratch database of its own, where it creates the
// extension): the schema file records each type as PostgreSQL writes it,
// with the geometry type and SRID of a typed column, and the columns load
// as PostGIS ones: _is_null and _st_intersects apply, while _eq (which
// Warden cannot decide on geometry) and _st_contains on geography are
// load problems naming the column and the operator. Without the postgis
// extension installed the test skips, but not under CI=true.
func TestPullPostGIS(t *testing.T) {
	url := scratchDatabase(t, introspect.Postgres)
	db, d, err := introspect.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE EXTENSION postgis"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CREATE EXTENSION postgis: %v (under CI=true the PostGIS test runs: install postgresql-15-postgis-3)", err)
		}
		t.Skipf("CREATE EXTENSION postgis: %v: skipping (apt-get install postgresql-15-postgis-3)", err)
	}
	execAll(t, db, `
		CREATE TABLE public.places (
			id integer PRIMARY KEY,
			at geometry(Point, 4326) NOT NULL,
			area geography(Polygon, 4326),
			shape geometry
		)`)
	ctx := context.Background()
	names := []model.TableName{{Schema: "public", Name: "places"}}
	tables, _, err := introspect.Tables(ctx, db, d, names)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := introspect.WriteSchema(&buf, tables, nil, "pulled in a test"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`{name: "at", type: "geometry(Point,4326)", nullable: false}`,
		`{name: "area", type: "geography(Polygon,4326)", nullable: true}`,
		`{name: "shape", type: "geometry", nullable: true}`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the schema file lacks %s:\n%s", want, buf.String())
		}
	}
	// PostGIS columns take _st_*: schema pull does not warn that only
	// _is_null applies to them.
	if w := introspect.Warnings(tables); len(w) != 0 {
		t.Errorf("warnings about PostGIS columns: %v", w)
	}

	dir := t.TempDir()
	meta := `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [{"table": {"schema": "public", "name": "places"},
		"select_permissions": [
			{"role": "user", "permission": {"columns": ["id"], "filter": {"area": {"_is_null": false}}}},
			{"role": "near", "permission": {"columns": ["id"], "filter": {"at": {"_st_intersects": {"type": "Point", "coordinates": [1, 2]}}}}},
			{"role": "same", "permission": {"columns": ["id"], "filter": {"at": {"_eq": {"type": "Point", "coordinates": [1, 2]}}}}},
			{"role": "covers", "permission": {"columns": ["id"], "filter": {"area": {"_st_contains": {"type": "Point", "coordinates": [1, 2]}}}}}]}]}]}`
	if err := os.WriteFile(filepath.Join(dir, "metadata.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "schema.yaml"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := load.Dir(ctx, dir)
	if err != nil {
		t.Fatalf("the pulled schema does not load:\n%v\n%s", err, buf.String())
	}
	places := p.Tables[names[0]]
	for c, want := range map[string]string{"at": model.SpatialGeometry, "area": model.SpatialGeography, "shape": model.SpatialGeometry} {
		col, ok := places.Column(c)
		if !ok || col.Type.Kind != model.KindOpaque || col.Type.Spatial != want {
			t.Errorf("column %s: %+v, want an opaque %s column", c, col, want)
		}
	}
	if at, _ := places.Column("at"); at.Type.Declared != "geometry(Point,4326)" {
		t.Errorf("at is declared %q, want its type with the SRID", at.Type.Declared)
	}
	for _, role := range []string{"user", "near"} {
		if _, ok := places.Permission(model.OpSelect, role); !ok {
			t.Errorf("the rule of role %s did not load: %v", role, places.Inconsistent[model.OpSelect][role])
		}
	}
	for role, want := range map[string]string{"same": "operator _eq on column at", "covers": "operator _st_contains does not apply to geography column area"} {
		inc := places.Inconsistent[model.OpSelect][role]
		if inc == nil || !strings.Contains(strings.Join(inc.Reasons, "\n"), want) {
			t.Errorf("the rule of role %s: %+v, want it left out as inconsistent: %s", role, inc, want)
		}
	}
}
