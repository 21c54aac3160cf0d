package sqlgen

import (
	"encoding/json"
	"fmt"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// spatial renders a PostGIS operator as Hasura does: PostGIS's function of
// the column and the GeoJSON value, ST_GeomFromGeoJSON($n::text) (cast to
// geography for a geography column), with the distance and use_spheroid
// of the _d_within forms as parameters too. Only PostgreSQL has PostGIS.
func (w *work) spatial(x residual.Spatial, f *frame) error {
	if u := spatialSupport(w.d, x.Op); u != nil {
		return u
	}
	cf, mc, err := w.col(x.Column, f)
	if err != nil {
		return err
	}
	fn, ok := model.SpatialFunctions[x.Op]
	if !ok || mc.Type.Spatial == "" {
		return fmt.Errorf("sqlgen: %s on %s, which is not a PostGIS column", x.Op, mc.Name)
	}
	ref, err := w.value(cf, mc)
	if err != nil {
		return err
	}
	v, ok := x.Value.(residual.Value)
	if !ok {
		return fmt.Errorf("sqlgen: unbound PostGIS operand %T", x.Value)
	}
	geom, m := v.V, map[string]any(nil)
	if model.SpatialDistance(x.Op) {
		if m, ok = v.V.(map[string]any); !ok {
			return fmt.Errorf("sqlgen: %s takes {distance, from}, got %T", x.Op, v.V)
		}
		geom = m["from"]
	}
	text, err := json.Marshal(geom)
	if err != nil {
		return fmt.Errorf("sqlgen: %s: %w", x.Op, err)
	}
	g, err := w.param(model.KindText, string(text))
	if err != nil {
		return err
	}
	g = "ST_GeomFromGeoJSON(" + g + ")"
	if x.Geography {
		g += "::geography"
	}
	var rest []string
	if m != nil {
		d, err := w.param(model.KindNumeric, m["distance"])
		if err != nil {
			return err
		}
		rest = append(rest, d)
		if s, ok := m["use_spheroid"]; ok && x.Geography {
			b, err := w.param(model.KindBoolean, s)
			if err != nil {
				return err
			}
			rest = append(rest, b)
		}
	}
	w.b.WriteString(fn + "(" + ref + ", " + g)
	for _, r := range rest {
		w.b.WriteString(", " + r)
	}
	w.b.WriteString(")")
	return nil
}

// spatialSupport says whether a dialect has PostGIS: PostgreSQL only.
func spatialSupport(d Dialect, op model.Operator) *UnsupportedError {
	if d == Postgres {
		return nil
	}
	return &UnsupportedError{Op: string(op), Dialect: d, Reason: "PostGIS is PostgreSQL's"}
}
