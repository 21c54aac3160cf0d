package residual

import (
	"fmt"
	"math/rand/v2"
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

// TestFoldPlanMatchesFolds holds FoldPlan.Folds to Folds (and so to
// BindFolded) on random trees of every node that reads a Param, with
// Params given twice, missing, or with fewer values than params.
func TestFoldPlanMatchesFolds(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 8))
	col := Column{Name: "c", Kind: model.KindText}
	ps := []Param{{Name: "x-hasura-a", Kind: model.KindText}, {Name: "x-hasura-b", Kind: model.KindText}, {Name: "x-hasura-c", Kind: model.KindInteger}}
	operand := func() Operand {
		if r.IntN(5) == 0 {
			return Value{V: "k"}
		}
		return ps[r.IntN(len(ps))]
	}
	var gen func(depth int) Expr
	gen = func(depth int) Expr {
		if depth < 3 && r.IntN(3) == 0 {
			items := make([]Expr, r.IntN(4))
			for i := range items {
				items[i] = gen(depth + 1)
			}
			switch r.IntN(4) {
			case 0:
				return And{Items: items}
			case 1:
				return Or{Items: items}
			case 2:
				return Not{Item: gen(depth + 1)}
			}
			return Exists{Where: And{Items: items}}
		}
		switch r.IntN(9) {
		case 0:
			return Compare{Op: Eq, Left: col, Right: operand()}
		case 1:
			return In{Column: col, List: operand()}
		case 2:
			return Empty{List: operand()}
		case 3:
			return Match{Op: model.OpLike, Column: col, Pattern: operand()}
		case 4:
			return JSONB{Op: model.OpContains, Column: col, Value: operand()}
		case 5:
			return Array{Op: model.OpContains, Column: col, Value: operand()}
		case 6:
			return Spatial{Op: model.OpStIntersects, Column: col, Value: operand()}
		case 7:
			return Database{Op: "_x", Column: col, Value: operand()}
		}
		return True{}
	}
	values := []any{"a", []any{"a"}, []any{}, nil, PatternValue{Text: "a%", Regex: "^a"}, 7}
	folded, failed := 0, 0
	for range 20000 {
		tree := gen(0)
		params := make([]Param, r.IntN(4))
		for i := range params {
			params[i] = ps[r.IntN(len(ps))]
		}
		vals := make([]any, max(0, len(params)-r.IntN(2)))
		for i := range vals {
			vals[i] = values[r.IntN(len(values))]
		}
		plan := PlanFolds(tree, params)
		got, err := plan.Folds(vals)
		want, wantErr := Folds(tree, params, vals)
		if got != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("%#v with %v = %#v: plan %v, %v; Folds %v, %v", tree, params, vals, got, err, want, wantErr)
		}
		if want {
			folded++
		}
		if wantErr != nil {
			failed++
		}
	}
	if folded < 500 || failed < 3000 {
		t.Fatalf("%d folded, %d failed: the generator no longer covers both", folded, failed)
	}
}
