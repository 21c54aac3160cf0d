package residual

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/wardenpdp/warden/policy/model"
)

// TestDecide: a residual with operators the database decides is decided
// on the row where SQL's three-valued logic decides it whatever they are,
// and only there.
func TestDecide(t *testing.T) {
	span := Column{Name: "span", Kind: model.KindOpaque}
	db := Database{Op: model.OpGt, Column: span, Value: Value{V: "[1,2)", Kind: model.KindText}, Symbol: ">", Type: "int4range"}
	isNull := IsNull{Column: span}
	other := Column{Name: "note", Kind: model.KindText}
	row := Data{Row: map[string]any{"span": "[1,5)", "note": nil}}
	for _, c := range []struct {
		name           string
		e              Expr
		holds, decided bool
	}{
		{"the database's alone", db, false, false},
		{"OR a false item", Or{Items: []Expr{db, isNull}}, false, false},
		// The database's column is unknown in its IS NULL tests too.
		{"OR its IS NOT NULL", Or{Items: []Expr{db, Not{Item: isNull}}}, true, false},
		{"AND its IS NULL", And{Items: []Expr{isNull, db}}, false, false},
		{"OR another column's test", Or{Items: []Expr{db, IsNull{Column: other}}}, true, true},
		{"AND another column's test", And{Items: []Expr{Not{Item: IsNull{Column: other}}, db}}, false, true},
		{"NOT of a decided AND", Not{Item: And{Items: []Expr{db, Not{Item: IsNull{Column: other}}}}}, true, true},
		{"no database operator", Not{Item: isNull}, true, true},
	} {
		holds, decided := Decide(c.e, row)
		if decided != c.decided || decided && holds != c.holds {
			t.Errorf("%s: %s: holds %v decided %v, want %v %v", c.name, String(c.e), holds, decided, c.holds, c.decided)
		}
	}
}

// TestTranslateLibraryConstants: a library call on constants (a row the
// request sent, in a NEEDS_DATA partial evaluation) is decided by the
// library itself.
func TestTranslateLibraryConstants(t *testing.T) {
	p, tbl, _ := blog()
	for q, want := range map[string]Expr{
		`data.partial.warden.lib.jsonb_has_key({"a": 1}, "a")`:               True{},
		`data.warden.lib.jsonb_has_key({"a": 1}, "b")`:                       False{},
		`not data.warden.lib.jsonb_contains({"a": [1, 2]}, {"a": [2]})`:      Not{Item: True{}},
		`data.warden.lib.not_in(3, [1, 2])`:                                  True{},
		`data.warden.lib.not_in("00000000-0000-0000-0000-000000000000", [])`: True{},
	} {
		e, err := Translate([]ast.Body{ast.MustParseBody(q)}, nil, Source{Policy: p, Table: tbl})
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if String(e) != String(Simplify(want)) && String(e) != String(want) {
			t.Errorf("%s: got %s, want %s", q, String(e), String(want))
		}
	}
}

// TestDecideExists: an EXISTS is decided when a related row satisfies its
// condition whatever the database says, or when none can.
func TestDecideExists(t *testing.T) {
	span := Column{Name: "span", Kind: model.KindOpaque}
	db := Database{Op: model.OpGt, Column: span, Value: Value{V: "[1,2)", Kind: model.KindText}, Symbol: ">", Type: "int4range"}
	isNull := IsNull{Column: span}
	note := IsNull{Column: Column{Name: "note", Kind: model.KindText}}
	row := Data{Row: map[string]any{"kids": []any{map[string]any{"span": nil, "note": nil}, map[string]any{"span": "[1,3)", "note": "a"}}}}
	for _, c := range []struct {
		name           string
		where          Expr
		holds, decided bool
	}{
		{"one kid holds whatever", Or{Items: []Expr{db, note}}, true, true},
		{"none can", And{Items: []Expr{db, False{}}}, false, true},
		{"one kid decides false, another is the database's", And{Items: []Expr{note, db}}, false, false},
		{"its IS NULL is the database's", Or{Items: []Expr{db, isNull}}, false, false},
	} {
		holds, decided := Decide(Exists{Relationship: "kids", Where: c.where}, row)
		if decided != c.decided || decided && holds != c.holds {
			t.Errorf("%s: holds %v decided %v, want %v %v", c.name, holds, decided, c.holds, c.decided)
		}
	}
}
