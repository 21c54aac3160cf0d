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
	geography := mc.Type.Spatial == model.SpatialGeography
	if x.Cast != "" {
		if !model.SpatialCast(mc, x.Cast) {
			return fmt.Errorf("sqlgen: %s on %s: no _cast from %s to %q", x.Op, mc.Name, mc.Type.Spatial, x.Cast)
		}
		geography = x.Cast == model.SpatialGeography
	}
	if geography != x.Geography {
		return fmt.Errorf("sqlgen: %s on %s: geography %v, but the operator sees %v", x.Op, mc.Name, x.Geography, geography)
	}
	ref, err := w.value(cf, mc)
	if err != nil {
		return err
	}
	if x.Cast != "" {
		// Hasura's _cast: (col)::geography, the type a constant of our
		// own, never the caller's text.
		ref = "(" + ref + ")::" + x.Cast
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
	if geography {
		g += "::geography"
	}
	var rest []string
	if m != nil {
		d, err := w.param(model.KindNumeric, m["distance"])
		if err != nil {
			return err
		}
		rest = append(rest, d)
		if s, ok := m["use_spheroid"]; ok && geography {
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

// database renders an operator Warden leaves to the database
// (residual.Database) as Hasura does: column Symbol value, the value a
// text parameter cast to the operator's type (col ~ $1::text::lquery,
// col @> $1::text::ltree[], col > $1::text::text[]). Only PostgreSQL has
// ltree and these orders.
func (w *work) database(x residual.Database, f *frame) error {
	if w.d != Postgres {
		return &UnsupportedError{Op: string(x.Op) + " on " + x.Type, Dialect: w.d, Reason: "only PostgreSQL has the type and its operator"}
	}
	cf, mc, err := w.col(x.Column, f)
	if err != nil {
		return err
	}
	if x.Cast != "" && !model.JSONBTextCast(mc, x.Cast) {
		return fmt.Errorf("sqlgen: %s on %s: no _cast from %s to %q", x.Op, mc.Name, mc.Type.Declared, x.Cast)
	}
	d, ok := model.DatabaseDecidedCast(mc, x.Op, x.Cast)
	if !ok || model.IsSpatial(x.Op) || d.Symbol != x.Symbol {
		return fmt.Errorf("sqlgen: %s on %s, which Warden does not leave to the database", x.Op, mc.Name)
	}
	if oc, ok := x.Value.(residual.Column); ok {
		return w.databaseColumns(x, cf, mc, oc, f)
	}
	typ := d.Type
	if typ == "" {
		typ = mc.Type.Cast
	}
	if mc.Type.Kind == model.KindOpaque && model.OpaqueCast(mc.Type.Cast) != mc.Type.Cast {
		return fmt.Errorf("sqlgen: %s on %s: type %q cannot be written into SQL", x.Op, mc.Name, mc.Type.Cast)
	}
	if typ != x.Type || typ == "" {
		return fmt.Errorf("sqlgen: %s on %s: operand type %q, want %q", x.Op, mc.Name, x.Type, typ)
	}
	ref, err := w.value(cf, mc)
	if err != nil {
		return err
	}
	if x.Cast != "" {
		// Hasura's _cast: (col)::text, the operator text's.
		ref = "(" + ref + ")::" + x.Cast
	}
	v, ok := x.Value.(residual.Value)
	s, isText := v.V.(string)
	if !ok || !isText {
		return fmt.Errorf("sqlgen: %s takes bound text, got %T", x.Op, x.Value)
	}
	p, err := w.param(model.KindText, s)
	if err != nil {
		return err
	}
	if x.Symbol == model.SymbolAny {
		// _in on an opaque column: = ANY over an array of its type.
		w.b.WriteString(ref + " = ANY(" + p + "::" + typ + ")")
		return nil
	}
	w.b.WriteString(ref + " " + x.Symbol + " " + p + "::" + typ)
	return nil
}

// databaseColumns renders a column comparison Warden leaves to the
// database (model.DatabaseColumns) as Hasura does: a > b, both columns
// quoted identifiers, no cast, the operator PostgreSQL's for their type.
func (w *work) databaseColumns(x residual.Database, cf *frame, mc *model.Column, oc residual.Column, f *frame) error {
	if _, columns := model.DatabaseColumns[x.Op]; !columns {
		return fmt.Errorf("sqlgen: %s on %s takes a value, not a column", x.Op, mc.Name)
	}
	of, omc, err := w.col(oc, f)
	if err != nil {
		return err
	}
	if omc.Type.Kind != mc.Type.Kind || omc.Type.Canon != mc.Type.Canon {
		return fmt.Errorf("sqlgen: %s compares %s with %s, of another type", x.Op, mc.Name, omc.Name)
	}
	l, err := w.value(cf, mc)
	if err != nil {
		return err
	}
	r, err := w.value(of, omc)
	if err != nil {
		return err
	}
	w.b.WriteString(l + " " + x.Symbol + " " + r)
	return nil
}
