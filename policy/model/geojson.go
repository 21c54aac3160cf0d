package model

import (
	"encoding/json"
	"fmt"
)

// geoJSONTypes are the GeoJSON geometry types (RFC 7946), which PostGIS's
// ST_GeomFromGeoJSON reads.
var geoJSONTypes = map[string]bool{
	"Point": true, "MultiPoint": true, "LineString": true, "MultiLineString": true,
	"Polygon": true, "MultiPolygon": true, "GeometryCollection": true,
}

// CheckGeoJSON says why v (a decoded JSON value) is not a GeoJSON
// geometry: an object with a geometry type and coordinates (geometries for
// a collection), and optionally a crs (which PostGIS reads for the SRID)
// and a bbox. The coordinates' shape is left to PostGIS.
func CheckGeoJSON(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("want a GeoJSON geometry (an object with type and coordinates)")
	}
	t, _ := m["type"].(string)
	if !geoJSONTypes[t] {
		return fmt.Errorf("want a GeoJSON geometry: type %v is not Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon or GeometryCollection", m["type"])
	}
	for k, x := range m {
		switch k {
		case "type", "crs", "bbox":
		case "coordinates":
			if _, ok := x.([]any); !ok || t == "GeometryCollection" {
				return fmt.Errorf("GeoJSON %s: coordinates must be an array", t)
			}
		case "geometries":
			list, ok := x.([]any)
			if !ok || t != "GeometryCollection" {
				return fmt.Errorf("GeoJSON %s: geometries belong to a GeometryCollection, as an array", t)
			}
			for _, g := range list {
				if err := CheckGeoJSON(g); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("GeoJSON geometry: unknown key %q", k)
		}
	}
	if _, ok := m["coordinates"]; !ok && t != "GeometryCollection" {
		return fmt.Errorf("GeoJSON %s: coordinates missing", t)
	}
	if _, ok := m["geometries"]; !ok && t == "GeometryCollection" {
		return fmt.Errorf("GeoJSON GeometryCollection: geometries missing")
	}
	return nil
}

// JSONNumber returns a decoded JSON number (float64, json.Number or a Go
// integer) as a float64.
func JSONNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}
