package residual

import (
	"fmt"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

// TestFoldsMatchesBindFolded holds Folds to BindFolded on every node that
// reads a Param, with each kind of value: a value, an empty list, nil, no
// value, a pattern that is not a PatternValue.
func TestFoldsMatchesBindFolded(t *testing.T) {
	col := Column{Name: "c", Kind: model.KindText}
	p := Param{Name: "x-hasura-v", Kind: model.KindText}
	other := Param{Name: "x-hasura-w", Kind: model.KindText}
	leaves := func(o Operand) []Expr {
		return []Expr{
			Compare{Op: Eq, Left: col, Right: o},
			In{Column: col, List: o},
			Empty{List: o},
			Match{Op: model.OpLike, Column: col, Pattern: o},
			JSONB{Op: model.OpContains, Column: col, Value: o},
			Array{Op: model.OpContains, Column: col, Value: o},
			Spatial{Op: model.OpStIntersects, Column: col, Value: o},
			Database{Op: "_x", Column: col, Value: o},
		}
	}
	values := []any{"a", []any{"a"}, []any{}, nil, PatternValue{Text: "a%", Regex: "^a"}, 7}
	n := 0
	for _, o := range []Operand{p, other, Value{V: "k"}} {
		for _, leaf := range leaves(o) {
			trees := []Expr{leaf, And{Items: []Expr{True{}, leaf}}, Or{Items: []Expr{Not{Item: leaf}, False{}}},
				Exists{Where: And{Items: []Expr{leaf, leaf}}}}
			for _, tree := range trees {
				for _, v := range values {
					for _, params := range [][]Param{{p}, nil} {
						_, wantFold, wantErr := BindFolded(tree, params, []any{v})
						fold, err := Folds(tree, params, []any{v})
						if fold != wantFold || fmt.Sprint(err) != fmt.Sprint(wantErr) {
							t.Errorf("%#v with %v = %#v: Folds %v, %v; BindFolded %v, %v", tree, params, v, fold, err, wantFold, wantErr)
						}
						if wantFold {
							n++
						}
					}
				}
			}
		}
	}
	if n == 0 {
		t.Error("nothing folded: the test proves nothing")
	}
}
