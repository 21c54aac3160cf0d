package load

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenpdp/warden/policy/model"
)

// TestSpatialOperators: which PostGIS rules load, and the problem that
// leaves each other one out.
func TestSpatialOperators(t *testing.T) {
	schema := `
tables:
  - name: public.places
    columns:
      - {name: id, type: integer}
      - {name: at, type: "geometry(Point,4326)"}
      - {name: area, type: extensions.geography}
      - {name: title, type: text}
      - {name: doc, type: jsonb}
      - {name: meta, type: json}
`
	point := `{type: Point, coordinates: [1, 2]}`
	cases := []struct {
		name, filter, problem string
	}{
		{"intersects", `{at: {_st_intersects: ` + point + `}}`, ""},
		{"a session variable", `{at: {_st_within: X-Hasura-Region}}`, ""},
		{"d_within on geometry", `{at: {_st_d_within: {distance: 3, from: ` + point + `}}}`, ""},
		{"3d d_within", `{at: {_st_3d_d_within: {distance: 3, from: ` + point + `}}}`, ""},
		{"d_within on geography", `{area: {_st_d_within: {distance: 3, from: ` + point + `, use_spheroid: false}}}`, ""},
		{"a collection", `{at: {_st_intersects: {type: GeometryCollection, geometries: [` + point + `]}}}`, ""},
		{"is_null", `{at: {_is_null: true}}`, ""},
		{"_eq on geometry", `{at: {_eq: ` + point + `}}`, "operator _eq on column at of type geometry(Point,4326): Warden cannot decide it"},
		{"contains on geography", `{area: {_st_contains: ` + point + `}}`, "operator _st_contains does not apply to geography column area"},
		{"on text", `{title: {_st_intersects: ` + point + `}}`, "applies to PostGIS geometry and geography columns only"},
		{"not GeoJSON", `{at: {_st_intersects: {type: Circle, coordinates: [1, 2]}}}`, "type Circle is not Point"},
		{"no coordinates", `{at: {_st_intersects: {type: Point}}}`, "coordinates missing"},
		{"a string", `{at: {_st_intersects: "POINT(1 2)"}}`, "want a GeoJSON geometry"},
		{"no distance", `{at: {_st_d_within: {from: ` + point + `}}}`, "needs distance and from"},
		{"a negative distance", `{at: {_st_d_within: {distance: -1, from: ` + point + `}}}`, "distance must be a number of at least 0"},
		{"use_spheroid on geometry", `{at: {_st_d_within: {distance: 1, from: ` + point + `, use_spheroid: true}}}`, "on geography columns only"},
		{"d_within from a variable", `{at: {_st_d_within: X-Hasura-Near}}`, "not a session variable"},
		// Hasura's _cast: geometry to geography and back, the operators
		// and values of the target type.
		{"cast to geography", `{at: {_cast: {geography: {_st_d_within: {distance: 3, from: ` + point + `}}}}}`, ""},
		{"$cast, case-insensitive", `{at: {$cast: {Geography: {_st_intersects: ` + point + `, _is_null: false}}}}`, ""},
		{"cast to geometry", `{area: {_cast: {geometry: {_st_contains: ` + point + `}}}}`, ""},
		{"cast and a variable", `{area: {_cast: {geometry: {_st_within: X-Hasura-Region}}}}`, ""},
		{"cast beside an operator", `{area: {_st_intersects: ` + point + `, _cast: {geometry: {_st_touches: ` + point + `}}}}`, ""},
		{"geometry op after cast to geography", `{at: {_cast: {geography: {_st_contains: ` + point + `}}}}`, "operator _st_contains does not apply to geography column at::geography"},
		{"use_spheroid after cast to geometry", `{area: {_cast: {geometry: {_st_d_within: {distance: 1, from: ` + point + `, use_spheroid: true}}}}}`, "on geography columns only"},
		{"_eq after cast", `{at: {_cast: {geography: {_eq: ` + point + `}}}}`, "operator _eq on column at::geography of type geography"},
		{"cast to the same type", `{at: {_cast: {geometry: {_st_within: ` + point + `}}}}`, "cannot cast column at of type geometry(Point,4326) to type geometry"},
		{"cast to text", `{at: {_cast: {text: {_like: "%"}}}}`, "cannot cast column at of type geometry(Point,4326) to type text"},
		{"cast of a text column", `{title: {_cast: {geography: {_st_intersects: ` + point + `}}}}`, "cannot cast column title of type text to type geography"},
		{"a nested cast", `{at: {_cast: {geography: {_cast: {geometry: {_st_within: ` + point + `}}}}}}`, "nested cast"},
		{"jsonb to text", `{doc: {_cast: {text: {_like: "%a%"}}}}`, ""},
		{"jsonb to TEXT with a variable and a list", `{doc: {_cast: {TEXT: {_nin: X-Hasura-Docs, _in: ["{}", "1"], _is_null: false}}}}`, ""},
		{"jsonb to text, every text operator", `{doc: {_cast: {text: {_eq: a, _neq: a, _gt: a, _lt: a, _gte: a, _lte: a, _nlike: a, _ilike: a, _nilike: a, _similar: a, _nsimilar: a, _regex: a, _nregex: a, _iregex: a, _niregex: a}}}}`, ""},
		{"jsonb operator after cast to text", `{doc: {_cast: {text: {_contains: {a: 1}}}}}`, `operator "_contains" inside _cast to text on jsonb column doc`},
		{"column operator after cast to text", `{doc: {_cast: {text: {_ceq: title}}}}`, `operator "_ceq" inside _cast to text`},
		{"unknown operator after cast to text", `{doc: {_cast: {text: {_foo: a}}}}`, `operator "_foo" inside _cast to text`},
		{"cast inside cast to text", `{doc: {_cast: {text: {_cast: {jsonb: {_eq: a}}}}}}`, "_cast inside _cast on column doc::text"},
		{"number after cast to text", `{doc: {_cast: {text: {_eq: 1}}}}`, "takes the value as text"},
		{"list element variable after cast to text", `{doc: {_cast: {text: {_in: [X-Hasura-A]}}}}`, "cannot be an element of a list"},
		{"cast to text of a json column", `{meta: {_cast: {text: {_eq: a}}}}`, "cannot cast column meta of type json to type text"},
		{"cast of jsonb to geometry", `{doc: {_cast: {geometry: {_st_within: ` + point + `}}}}`, "cannot cast column doc of type jsonb to type geometry"},
		{"cast takes an object", `{at: {_cast: geography}}`, "_cast must be an object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"schema.yaml": {Data: []byte(schema)},
				"databases/databases.yaml": {Data: []byte(`
- name: default
  kind: postgres
  tables:
    - table: places
      select_permissions:
        - role: user
          permission:
            columns: [id]
            filter: ` + c.filter + "\n")},
			}
			p, err := FS(context.Background(), fsys, "test")
			if err != nil {
				t.Fatal(err)
			}
			places := p.Tables[model.TableName{Schema: "public", Name: "places"}]
			perm, ok := places.Permission(model.OpSelect, "user")
			inc := places.Inconsistent[model.OpSelect]["user"]
			switch {
			case c.problem == "" && !ok:
				t.Errorf("left out: %v", inc.Reasons)
			case c.problem != "" && (inc == nil || !strings.Contains(strings.Join(inc.Reasons, "\n"), c.problem)):
				t.Errorf("loaded as %v (inconsistent %v), want the problem %q", perm, inc, c.problem)
			}
		})
	}
}
