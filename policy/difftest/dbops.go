package difftest

import (
	"encoding/json"
	"fmt"

	"github.com/wardenpdp/warden/policy/model"
)

// This file generates the comparisons Warden leaves to the database
// (model.DatabaseDecided): PostGIS's _st_* on a geometry column (also
// through Hasura's _cast to geography), Hasura's generic comparisons on
// opaque columns (tsvector, int4range: model.DatabaseOpaque) and the
// ordering of arrays. Check may not decide a row by them: it answers
// NEEDS_DATA, or a decision the rest of the rule forces; Filter's
// PostgreSQL SQL must keep exactly the rows of Hasura's SQL
// (hasura_test.go), and MySQL and SQLite answer SQL_UNSUPPORTED. They are
// value comparisons only, in select and delete filters, and a table whose
// select rules use them gets no inherited role (its column conditions
// would leave columns to the database too).

// geometryType is the generated PostGIS column's type, as load makes it.
var geometryType = model.Type{Declared: "geometry", Kind: model.KindOpaque, Spatial: model.SpatialGeometry}

// geometryRows are the row values of geometry columns: EWKT, which
// PostgreSQL reads as geometry (elsewhere stored as text, where only
// _is_null reads them). A point on the rules' polygon's boundary, inside
// it, outside it; a polygon; a line crossing it.
var geometryRows = []any{
	"SRID=4326;POINT(0 0)", "SRID=4326;POINT(1 1)", "SRID=4326;POINT(5 5)", "SRID=4326;POINT(3 1)",
	"SRID=4326;POLYGON((0 0,0 2,2 2,2 0,0 0))", "SRID=4326;LINESTRING(-1 -1,4 4)",
}

// geometries are the GeoJSON values of the rules: points, the polygon
// [0,3]x[0,3], a line.
var geometries = []string{
	`{"type":"Point","coordinates":[1,1]}`,
	`{"type":"Point","coordinates":[0,0]}`,
	`{"type":"Polygon","coordinates":[[[0,0],[0,3],[3,3],[3,0],[0,0]]]}`,
	`{"type":"LineString","coordinates":[[0,3],[3,0]]}`,
}

// spatialOps are the PostGIS operators generated on geometry.
var spatialOps = []model.Operator{
	model.OpStWithin, model.OpStIntersects, model.OpStContains, model.OpStEquals, model.OpStTouches,
	model.OpStCrosses, model.OpStOverlaps, model.OpStDWithin, model.OpStDWithin,
}

// usesDatabase reports whether e has a comparison Warden leaves to the
// database.
func usesDatabase(e model.BoolExp) bool {
	found := false
	model.EachCompare(e, func(x model.Compare) {
		if _, ok := model.DatabaseDecidedCast(x.Column, x.Op, x.Cast); ok {
			found = true
		}
	})
	return found
}

// databaseCompare generates a comparison of c that the database decides,
// or reports false for a column that has none.
func (g *gen) databaseCompare(c *model.Column) (model.BoolExp, bool) {
	switch t := c.Type; {
	case t.Spatial == model.SpatialGeometry:
		return g.spatialCompare(c), true
	case t.Kind == model.KindOpaque && t.Cast != "":
		ops := []model.Operator{model.OpEq, model.OpNeq, model.OpGt, model.OpLt, model.OpGte, model.OpLte, model.OpIn, model.OpNin}
		op := ops[g.r.IntN(len(ops))]
		pool := opaqueValues[t.Declared]
		if op == model.OpIn || op == model.OpNin {
			// load: the list as PostgreSQL's array text.
			elems := make([]string, g.r.IntN(3))
			for i := range elems {
				elems[i] = pool[g.r.IntN(len(pool))].(string)
			}
			return model.Compare{Column: c, Op: op, Value: model.Literal{V: model.PGArrayText(elems)}}, true
		}
		return model.Compare{Column: c, Op: op, Value: model.Literal{V: pool[g.r.IntN(len(pool))]}}, true
	case t.Kind == model.KindJSONB && !t.JSON && g.r.IntN(3) == 0:
		// Hasura's _cast of jsonb to text: text's operators on the text
		// PostgreSQL writes for the value.
		ops := []model.Operator{model.OpEq, model.OpNeq, model.OpGt, model.OpLte, model.OpIn, model.OpNin,
			model.OpLike, model.OpNlike, model.OpIlike, model.OpNilike, model.OpSimilar, model.OpNsimilar,
			model.OpRegex, model.OpNregex, model.OpIregex, model.OpNiregex}
		op := ops[g.r.IntN(len(ops))]
		if op == model.OpIn || op == model.OpNin {
			elems := make([]string, g.r.IntN(3))
			for i := range elems {
				elems[i] = jsonbTexts[g.r.IntN(len(jsonbTexts))]
			}
			return model.Compare{Column: c, Op: op, Value: model.Literal{V: model.PGArrayText(elems)}, Cast: model.CastText}, true
		}
		pool := jsonbTexts
		if p, pattern := jsonbPatterns[op]; pattern {
			pool = p
		}
		return model.Compare{Column: c, Op: op, Value: model.Literal{V: pool[g.r.IntN(len(pool))]}, Cast: model.CastText}, true
	case t.Canon == model.CanonArray && g.r.IntN(3) == 0:
		ops := []model.Operator{model.OpGt, model.OpLt, model.OpGte, model.OpLte}
		op := ops[g.r.IntN(len(ops))]
		return model.Compare{Column: c, Op: op, Value: g.normalize(c, op, model.Literal{V: g.literalOf(t.Kind, t)})}, true
	}
	return nil, false
}

// spatialCompare is a PostGIS operator on a geometry column with a GeoJSON
// literal, as load gives it; one in four casts the column to geography
// (Hasura's _cast), where _st_intersects and _st_d_within (in meters, on
// the spheroid or the sphere) apply.
func (g *gen) spatialCompare(c *model.Column) model.BoolExp {
	geo := func() any {
		v, err := model.CoerceJSON(model.KindJSONB, decodeJSON(geometries[g.r.IntN(len(geometries))]))
		if err != nil {
			panic(err)
		}
		return v
	}
	if g.r.IntN(4) == 0 {
		if g.r.IntN(2) == 0 {
			return model.Compare{Column: c, Op: model.OpStIntersects, Value: model.Literal{V: geo()}, Cast: model.SpatialGeography}
		}
		d := []string{"0", "100000", "200000", "400000"}[g.r.IntN(4)]
		v := map[string]any{"distance": json.Number(d), "from": geo(), "use_spheroid": g.r.IntN(2) == 0}
		return model.Compare{Column: c, Op: model.OpStDWithin, Value: model.Literal{V: v}, Cast: model.SpatialGeography}
	}
	op := spatialOps[g.r.IntN(len(spatialOps))]
	if op == model.OpStDWithin {
		d := []string{"0", "1", "1.5", "3"}[g.r.IntN(4)]
		return model.Compare{Column: c, Op: op, Value: model.Literal{V: map[string]any{"distance": json.Number(d), "from": geo()}}}
	}
	return model.Compare{Column: c, Op: op, Value: model.Literal{V: geo()}}
}

// geoJSONText is a rule's GeoJSON value as the text Hasura's SQL passes to
// ST_GeomFromGeoJSON.
func geoJSONText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("GeoJSON %v: %v", v, err))
	}
	return string(b)
}

// jsonbTexts are texts of jsonb values as PostgreSQL writes them, and
// others, for comparisons of a jsonb column cast to text.
var jsonbTexts = []string{`{}`, `[]`, `1`, `null`, `"a"`, `{"a": 1}`, `[1, 2]`, `true`, `{"a":1}`}

// jsonbPatterns are the patterns of the pattern operators on a jsonb
// column cast to text.
var jsonbPatterns = map[model.Operator][]string{
	model.OpLike: {"%a%", "{%", "[%]", "%1%"}, model.OpNlike: {"%a%", "{%"},
	model.OpIlike: {"%A%", "%NULL%"}, model.OpNilike: {"%A%", "%TRUE%"},
	model.OpSimilar: {"%(1|2)%", "\\{%"}, model.OpNsimilar: {"%(a|b)%"},
	model.OpRegex: {"^\\{", "[0-9]", ": "}, model.OpNregex: {"^\\[", "a"},
	model.OpIregex: {"A", "^N"}, model.OpNiregex: {"TRUE", "^\\["},
}
