package load

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wardenpdp/warden/policy/model"
)

// spatial parses a PostGIS operator (Hasura's _st_*) on a geometry or
// geography column: its value is a GeoJSON geometry, or a session variable
// holding one; the _d_within forms take {distance, from, use_spheroid}
// with a literal geometry. Any other operator on a PostGIS column but
// _is_null is a problem: Warden cannot decide it.
func (p *exprParser) spatial(c *model.Column, op model.Operator, cls opClass, n *yaml.Node, l loc) model.BoolExp {
	switch {
	case cls != clsSpatial:
		p.problemf(l, n, "operator %s on column %s of type %s: Warden cannot decide it on this type (PostGIS: _is_null and %s apply)", op, c.Name, c.Type.Declared, spatialOps(c))
		return nil
	case c.Type.Spatial == "":
		p.problemf(l, n, "operator %s applies to PostGIS geometry and geography columns only; %s is %s", op, c.Name, typeLabel(c))
		return nil
	case c.Type.Spatial == model.SpatialGeography && !model.SpatialOnGeography(op):
		p.problemf(l, n, "operator %s does not apply to geography column %s (geography: %s)", op, c.Name, spatialOps(c))
		return nil
	}
	if s := deref(n); isString(s) && isSessionVar(s.Value) {
		if model.SpatialDistance(op) {
			p.problemf(l, n, "%s takes {distance, from} with a literal geometry, not a session variable", op)
			return nil
		}
		// The variable's value is GeoJSON text, read as JSON.
		// Spatial makes the engine check that it is GeoJSON
		// (model.Normalize): INVALID_ARGUMENT, not a database error.
		return model.Compare{Column: c, Op: op, Value: model.SessionVar{Name: strings.ToLower(s.Value), Kind: model.KindJSONB,
			Type: model.Type{Declared: "jsonb", Kind: model.KindJSONB, Spatial: c.Type.Spatial}}}
	}
	v, ok := p.literal(n, l)
	if !ok {
		return nil
	}
	if model.SpatialDistance(op) {
		v, ok = p.distance(c, op, v, n, l)
	} else if err := model.CheckGeoJSON(v); err != nil {
		p.problemf(l, n, "%s on column %s: %v", op, c.Name, err)
		ok = false
	}
	if !ok {
		return nil
	}
	cv, err := model.CoerceJSON(model.KindJSONB, v)
	if err != nil {
		p.problemf(l, n, "%s on column %s: %v", op, c.Name, err)
		return nil
	}
	return model.Compare{Column: c, Op: op, Value: model.Literal{V: cv}}
}

// distance checks {distance, from, use_spheroid}: a number of at least 0,
// a GeoJSON geometry, and for a geography column a boolean (Hasura's
// default true), which it makes explicit.
func (p *exprParser) distance(c *model.Column, op model.Operator, v any, n *yaml.Node, l loc) (any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		p.problemf(l, n, "%s on column %s takes {distance, from}, got %s", op, c.Name, describe(n))
		return nil, false
	}
	out := map[string]any{}
	for k, x := range m {
		switch k {
		case "distance":
			d, ok := model.JSONNumber(x)
			if !ok || d < 0 {
				p.problemf(l.key(k), n, "%s: distance must be a number of at least 0", op)
				return nil, false
			}
			out[k] = x
		case "from":
			if err := model.CheckGeoJSON(x); err != nil {
				p.problemf(l.key(k), n, "%s on column %s: from: %v", op, c.Name, err)
				return nil, false
			}
			out[k] = x
		case "use_spheroid":
			b, ok := x.(bool)
			if !ok || c.Type.Spatial != model.SpatialGeography {
				p.problemf(l.key(k), n, "%s: use_spheroid takes true or false, on geography columns only", op)
				return nil, false
			}
			out[k] = b
		default:
			p.problemf(l.key(k), n, "%s: unknown key %q (want distance, from, use_spheroid)", op, k)
			return nil, false
		}
	}
	if out["distance"] == nil || out["from"] == nil {
		p.problemf(l, n, "%s on column %s needs distance and from", op, c.Name)
		return nil, false
	}
	if _, ok := out["use_spheroid"]; !ok && c.Type.Spatial == model.SpatialGeography {
		out["use_spheroid"] = true
	}
	return out, true
}

// spatialOps lists the PostGIS operators a column takes.
func spatialOps(c *model.Column) string {
	var names []string
	for _, o := range operators {
		if o.cls == clsSpatial && (c.Type.Spatial == model.SpatialGeometry || model.SpatialOnGeography(o.op)) {
			names = append(names, string(o.op))
		}
	}
	return strings.Join(names, " ")
}
