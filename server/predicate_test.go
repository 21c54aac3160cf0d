package server

import (
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// TestPredicateLowerColumns: a lower-cased (citext) column says so in the
// API's tree, wherever it is an operand; other columns do not.
func TestPredicateLowerColumns(t *testing.T) {
	email := residual.Column{Name: "email", Kind: model.KindText, Lower: true}
	alt := residual.Column{Name: "alt", Kind: model.KindText, Lower: true, Root: true}
	title := residual.Column{Name: "title", Kind: model.KindText}
	e := residual.And{Items: []residual.Expr{
		residual.Compare{Op: residual.Eq, Left: email, Right: residual.Value{V: "ann", Kind: model.KindText}},
		residual.Compare{Op: residual.Lt, Left: email, Right: alt},
		residual.In{Column: email, List: residual.Value{V: []any{"a", "b"}, Kind: model.KindText}},
		residual.Compare{Op: residual.Eq, Left: title, Right: residual.Value{V: "Ann", Kind: model.KindText}},
		residual.Not{Item: residual.IsNull{Column: residual.Column{Name: "email", Kind: model.KindText}}},
	}}
	p, err := PredicateToProto(e)
	if err != nil {
		t.Fatal(err)
	}
	items := p.GetAll().GetItems()
	if len(items) != 5 {
		t.Fatalf("%d items", len(items))
	}
	if c := items[0].GetComparison(); !c.GetColumn().GetLower() || c.GetValue().GetStringValue() != "ann" {
		t.Errorf("comparison with a value: %v", c)
	}
	if c := items[1].GetComparison(); !c.GetColumn().GetLower() || !c.GetOtherColumn().GetLower() || !c.GetOtherColumn().GetRoot() {
		t.Errorf("comparison of two columns: %v", c)
	}
	if l := items[2].GetInList(); !l.GetColumn().GetLower() {
		t.Errorf("in-list: %v", l)
	}
	if c := items[3].GetComparison(); c.GetColumn().GetLower() {
		t.Errorf("text column marked lower: %v", c)
	}
	if n := items[4].GetNegation().GetIsNull(); n.GetLower() {
		t.Errorf("is_null marked lower: %v", n)
	}
	js, err := protojson.Marshal(items[0])
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Comparison struct {
			Column struct {
				Lower bool `json:"lower"`
			} `json:"column"`
		} `json:"comparison"`
	}
	if err := json.Unmarshal(js, &doc); err != nil || !doc.Comparison.Column.Lower {
		t.Errorf("JSON %s: no column.lower (%v)", js, err)
	}
}

// TestPredicatePadColumns: a character(n) column padded for a pattern match
// says pad_to = n in the API's tree (and in its JSON); other columns do
// not.
func TestPredicatePadColumns(t *testing.T) {
	e := residual.And{Items: []residual.Expr{
		residual.Match{Op: model.OpLike, Column: residual.Column{Name: "code", Kind: model.KindText, Pad: 5},
			Pattern: residual.Value{V: "ab%", Kind: model.KindText}, Regex: `(?s)^ab.*$`},
		residual.Match{Op: model.OpLike, Column: residual.Column{Name: "title", Kind: model.KindText},
			Pattern: residual.Value{V: "ab%", Kind: model.KindText}, Regex: `(?s)^ab.*$`},
		residual.Compare{Op: residual.Eq, Left: residual.Column{Name: "code", Kind: model.KindText}, Right: residual.Value{V: "ab", Kind: model.KindText}},
	}}
	p, err := PredicateToProto(e)
	if err != nil {
		t.Fatal(err)
	}
	items := p.GetAll().GetItems()
	if len(items) != 3 {
		t.Fatalf("%d items", len(items))
	}
	if m := items[0].GetPattern(); m.GetColumn().GetPadTo() != 5 || m.GetRegex() != `(?s)^ab.*$` {
		t.Errorf("padded pattern: %v", m)
	}
	if m := items[1].GetPattern(); m.GetColumn().GetPadTo() != 0 {
		t.Errorf("text pattern padded: %v", m)
	}
	if c := items[2].GetComparison(); c.GetColumn().GetPadTo() != 0 {
		t.Errorf("comparison padded: %v", c)
	}
	js, err := protojson.Marshal(items[0])
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Pattern struct {
			Column struct {
				PadTo int `json:"padTo"`
			} `json:"column"`
		} `json:"pattern"`
	}
	if err := json.Unmarshal(js, &doc); err != nil || doc.Pattern.Column.PadTo != 5 {
		t.Errorf("JSON %s: no column.padTo 5 (%v)", js, err)
	}
}

// TestPredicateJSONBExact: a jsonb value holding numbers a double cannot
// hold keeps them as numbers, exactly, in value_json (value has them as
// strings, which inside JSON mean strings); other kinds have no
// value_json.
func TestPredicateJSONBExact(t *testing.T) {
	meta := residual.Column{Name: "meta", Kind: model.KindJSONB}
	big := json.Number("76561198000000001")
	e := residual.And{Items: []residual.Expr{
		residual.JSONB{Op: model.OpContains, Column: meta, Value: residual.Value{V: map[string]any{"steam": big, "tag": "<a&b>"}, Kind: model.KindJSONB}},
		residual.Compare{Op: residual.Eq, Left: meta, Right: residual.Value{V: map[string]any{"n": json.Number("9223372036854775807")}, Kind: model.KindJSONB}},
		residual.In{Column: meta, List: residual.Value{V: []any{json.Number("-9223372036854775808"), "x"}, Kind: model.KindJSONB}},
		residual.Compare{Op: residual.Eq, Left: residual.Column{Name: "id", Kind: model.KindInteger}, Right: residual.Value{V: json.Number("9223372036854775807"), Kind: model.KindInteger}},
		residual.JSONB{Op: model.OpHasKey, Column: meta, Value: residual.Value{V: "k", Kind: model.KindText}},
	}}
	p, err := PredicateToProto(e)
	if err != nil {
		t.Fatal(err)
	}
	items := p.GetAll().GetItems()
	if got := items[0].GetJsonb().GetValueJson(); got != `{"steam":76561198000000001,"tag":"<a&b>"}` {
		t.Errorf("contains: value_json %s", got)
	}
	if got := items[0].GetJsonb().GetValue().GetStructValue().GetFields()["steam"].GetStringValue(); got != "76561198000000001" {
		t.Errorf("contains: value %v, want the number as a string (as before)", items[0].GetJsonb().GetValue())
	}
	if got := items[1].GetComparison().GetValueJson(); got != `{"n":9223372036854775807}` {
		t.Errorf("jsonb comparison: value_json %s", got)
	}
	if got := items[2].GetInList().GetValuesJson(); len(got) != 2 || got[0] != "-9223372036854775808" || got[1] != `"x"` {
		t.Errorf("jsonb in-list: values_json %q", got)
	}
	if c := items[3].GetComparison(); c.GetValueJson() != "" || c.GetValue().GetStringValue() != "9223372036854775807" {
		t.Errorf("bigint comparison: %v", c)
	}
	if got := items[4].GetJsonb().GetValueJson(); got != `"k"` {
		t.Errorf("has key: value_json %s", got)
	}
}

// TestPredicateArrays: array containment becomes the API's array node,
// with the operator and the array in PostgreSQL's text form; an opaque
// column's is-null says its kind.
func TestPredicateArrays(t *testing.T) {
	tags := residual.Column{Name: "tags", Kind: model.KindText}
	e := residual.And{Items: []residual.Expr{
		residual.Array{Op: model.OpContains, Column: tags, Value: residual.Value{V: `{a,"b c"}`, Kind: model.KindText}},
		residual.Array{Op: model.OpContained, Column: tags, Value: residual.Value{V: "{}", Kind: model.KindText}},
		residual.IsNull{Column: residual.Column{Name: "ttl", Kind: model.KindOpaque}},
	}}
	p, err := PredicateToProto(e)
	if err != nil {
		t.Fatal(err)
	}
	items := p.GetAll().GetItems()
	if len(items) != 3 {
		t.Fatalf("%d items", len(items))
	}
	if a := items[0].GetArray(); a.GetOperator().String() != "ARRAY_OPERATOR_CONTAINS" || a.GetValue() != `{a,"b c"}` || a.GetColumn().GetName() != "tags" {
		t.Errorf("contains: %v", a)
	}
	if a := items[1].GetArray(); a.GetOperator().String() != "ARRAY_OPERATOR_CONTAINED_IN" || a.GetValue() != "{}" {
		t.Errorf("contained in: %v", a)
	}
	if n := items[2].GetIsNull(); n.GetKind().String() != "COLUMN_KIND_OPAQUE" {
		t.Errorf("is_null of an opaque column: %v", n)
	}
	if _, err := PredicateToProto(residual.Array{Op: model.OpContains, Column: tags, Value: residual.Param{Name: "x-hasura-tags"}}); err == nil {
		t.Error("an unbound array operand converted")
	}
}

// TestPredicateClock: a rule's "now()" reaches the API as a clock value,
// not as the time Filter answered.
func TestPredicateClock(t *testing.T) {
	p, err := PredicateToProto(residual.Compare{Op: residual.Gt,
		Left:  residual.Column{Name: "starts", Kind: model.KindTimestamptz},
		Right: residual.Value{V: residual.Clock{Word: model.ClockTomorrow}, Kind: model.KindTimestamptz}})
	if err != nil {
		t.Fatal(err)
	}
	c := p.GetComparison()
	if c.GetClock().GetWord() != wardenv1.ClockWord_CLOCK_WORD_TOMORROW || c.GetValue() != nil {
		t.Errorf("comparison %v, want the clock word tomorrow and no value", c)
	}
}

// TestPredicateSpatial: a PostGIS node reaches the API with its operator,
// the GeoJSON geometry as a JSON value, and the _d_within forms' distance
// and use_spheroid; an unbound one is an error, not an empty node.
func TestPredicateSpatial(t *testing.T) {
	at := residual.Column{Name: "at", Kind: model.KindOpaque}
	point := map[string]any{"type": "Point", "coordinates": []any{json.Number("1.5"), json.Number("2")}}
	e := residual.And{Items: []residual.Expr{
		residual.Spatial{Op: model.OpStWithin, Column: at, Value: residual.Value{V: point, Kind: model.KindJSONB}},
		residual.Spatial{Op: model.OpStDWithin, Column: at, Geography: true,
			Value: residual.Value{V: map[string]any{"distance": json.Number("1000"), "from": point, "use_spheroid": false}, Kind: model.KindJSONB}},
	}}
	p, err := PredicateToProto(e)
	if err != nil {
		t.Fatal(err)
	}
	items := p.GetAll().GetItems()
	if len(items) != 2 {
		t.Fatalf("%d items", len(items))
	}
	within := items[0].GetSpatial()
	g, _ := json.Marshal(within.GetGeometry().AsInterface())
	if within.GetOperator() != wardenv1.SpatialOperator_SPATIAL_OPERATOR_WITHIN || within.GetColumn().GetName() != "at" ||
		string(g) != `{"coordinates":[1.5,2],"type":"Point"}` || within.Distance != nil || within.GetGeography() {
		t.Errorf("within: %v (geometry %s)", within, g)
	}
	near := items[1].GetSpatial()
	if near.GetOperator() != wardenv1.SpatialOperator_SPATIAL_OPERATOR_D_WITHIN || near.Distance == nil || near.GetDistance() != 1000 ||
		near.UseSpheroid == nil || near.GetUseSpheroid() || !near.GetGeography() || near.GetGeometry().GetStructValue().GetFields()["type"].GetStringValue() != "Point" {
		t.Errorf("d_within: %v", near)
	}
	if _, err := PredicateToProto(residual.Spatial{Op: model.OpStWithin, Column: at, Value: residual.Param{Name: "x-hasura-region"}}); err == nil {
		t.Error("an unbound PostGIS operand converted")
	}
}

// TestPredicateDatabase: an operator left to the database (ltree's
// lquery matching, ltree and array ordering) reaches the API with Hasura's
// operator, PostgreSQL's, the value text and its type; an unbound one is
// an error, not an empty node.
func TestPredicateDatabase(t *testing.T) {
	path := residual.Column{Name: "path", Kind: model.KindText}
	p, err := PredicateToProto(residual.Not{Item: residual.Database{Op: model.OpMatchesAny, Column: path,
		Value: residual.Value{V: `{"*.a","b.*"}`, Kind: model.KindText}, Symbol: "?", Type: "lquery[]"}})
	if err != nil {
		t.Fatal(err)
	}
	d := p.GetNegation().GetDatabase()
	if d.GetOperator() != "_matches_any" || d.GetColumn().GetName() != "path" || d.GetSqlOperator() != "?" ||
		d.GetValue() != `{"*.a","b.*"}` || d.GetType() != "lquery[]" {
		t.Errorf("database node: %v", d)
	}
	if _, err := PredicateToProto(residual.Database{Op: model.OpMatches, Column: path, Value: residual.Param{Name: "x-hasura-q"}, Symbol: "~", Type: "lquery"}); err == nil {
		t.Error("an unbound operand converted")
	}
}

// TestPredicateDatabaseColumns: a column comparison left to the database
// (_cgt of two ltree columns, $ inside _exists) names the other column in
// other_column, with no value.
func TestPredicateDatabaseColumns(t *testing.T) {
	p, err := PredicateToProto(residual.Database{Op: model.OpCgt, Column: residual.Column{Name: "path", Kind: model.KindText},
		Value: residual.Column{Name: "base", Kind: model.KindText, Root: true}, Symbol: ">", Type: "ltree"})
	if err != nil {
		t.Fatal(err)
	}
	d := p.GetDatabase()
	if d.GetOperator() != "_cgt" || d.GetColumn().GetName() != "path" || d.GetSqlOperator() != ">" || d.GetValue() != "" ||
		d.GetType() != "ltree" || d.GetOtherColumn().GetName() != "base" || !d.GetOtherColumn().GetRoot() || d.GetColumn().GetRoot() {
		t.Errorf("database node: %v", d)
	}
	p, err = PredicateToProto(residual.Database{Op: model.OpGt, Column: residual.Column{Name: "path", Kind: model.KindText},
		Value: residual.Value{V: "a.b", Kind: model.KindText}, Symbol: ">", Type: "ltree"})
	if err != nil || p.GetDatabase().GetOtherColumn() != nil {
		t.Errorf("a value comparison has an other_column: %v %v", p, err)
	}
}

// TestPredicateDatabaseCast: a text operator on a jsonb column cast to
// text (Hasura's _cast) carries the cast, so that a client writes
// (doc)::text LIKE value::text; other database nodes carry none.
func TestPredicateDatabaseCast(t *testing.T) {
	doc := residual.Column{Name: "doc", Kind: model.KindJSONB}
	p, err := PredicateToProto(residual.Database{Op: model.OpLike, Column: doc,
		Value: residual.Value{V: "%foo%", Kind: model.KindText}, Symbol: "LIKE", Type: "text", Cast: model.CastText})
	if err != nil {
		t.Fatal(err)
	}
	if d := p.GetDatabase(); d.GetCast() != "text" || d.GetSqlOperator() != "LIKE" || d.GetValue() != "%foo%" || d.GetType() != "text" {
		t.Errorf("database node: %v", d)
	}
	p, err = PredicateToProto(residual.Database{Op: model.OpMatches, Column: doc,
		Value: residual.Value{V: "a.*", Kind: model.KindText}, Symbol: "~", Type: "lquery"})
	if err != nil || p.GetDatabase().GetCast() != "" {
		t.Errorf("no cast: %v %v", p, err)
	}
}
