package server

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// TestTreePlanAsSearch: a template tree converted with its plan
// (treePlan: each Param's value position found once, the nodes allocated
// together) is the tree converted the old way, searching the params for
// each Param operand: the same messages, the same wire bytes, and an
// error wherever the search's is (a Param without a value: never a
// predicate). Random trees of every node kind predicateConv reads a
// value for, over params with repeats, params absent from the list and
// values shorter than the params.
func TestTreePlanAsSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	converted, refused := 0, 0
	for i := range 5000 {
		e, params, values := randomTemplate(rng)
		search := predicateConv{params: params, values: values, unbound: true}
		want, wantErr := search.toProto(e)
		plan := planTree(e, params)
		got, err := search.tree(e, plan)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("case %d: %#v with %v = %v: error %v, searching %v", i, e, params, values, err, wantErr)
		}
		if err != nil {
			refused++
			continue
		}
		converted++
		if !proto.Equal(got, want) {
			t.Fatalf("case %d: %#v:\n planned %v\nsearched %v", i, e, got, want)
		}
		gb, err1 := proto.MarshalOptions{Deterministic: true}.Marshal(got)
		wb, err2 := proto.MarshalOptions{Deterministic: true}.Marshal(want)
		if (err1 != nil) != (err2 != nil) || string(gb) != string(wb) {
			t.Fatalf("case %d: the wire bytes differ (%v, %v)", i, err1, err2)
		}
	}
	if converted < 1000 || refused < 1000 {
		t.Fatalf("%d trees converted, %d refused: the generator no longer covers both", converted, refused)
	}
}

// randomTemplate is a random template tree of every node kind
// predicateConv reads a value for, with params (repeated, some absent
// from the tree) and their values (fewer than the params at times): of
// every kind a session gives, a clock word, a pattern, a map, text not in
// UTF-8.
func randomTemplate(rng *rand.Rand) (e residual.Expr, params []residual.Param, values []any) {
	pool := []residual.Param{
		{Name: "x-hasura-user-id", Kind: model.KindInteger},
		{Name: "x-hasura-user-id", Kind: model.KindText},
		{Name: "x-hasura-teams", Kind: model.KindInteger, Array: true},
		{Name: "x-hasura-name", Kind: model.KindText, Fold: true},
		{Name: "x-hasura-pat", Kind: model.KindText, Pattern: model.OpLike},
		{Name: "x-hasura-doc", Kind: model.KindJSONB},
		{Name: "x-hasura-path", Kind: model.KindText},
	}
	scalars := []any{json.Number("7"), json.Number("9007199254740993"), json.Number("1.5"), "ann", "\xff", true, nil,
		residual.Clock{Word: model.ClockNow}, []any{json.Number("1"), "x"}, map[string]any{"a": json.Number("2")},
		residual.PatternValue{Text: "a%", Regex: "^a.*$"}}
	col := func() residual.Column {
		return residual.Column{Name: fmt.Sprint("c", rng.IntN(3)), Root: rng.IntN(3) == 0,
			Kind: model.Kind(rng.IntN(10)), Lower: rng.IntN(5) == 0, Pad: rng.IntN(3) - 1}
	}
	operand := func() residual.Operand {
		if rng.IntN(5) == 0 {
			return residual.Value{V: scalars[rng.IntN(len(scalars))]}
		}
		return pool[rng.IntN(len(pool))]
	}
	var gen func(depth int) residual.Expr
	gen = func(depth int) residual.Expr {
		k := rng.IntN(14)
		if depth >= 3 && k < 4 {
			k += 4
		}
		switch k {
		case 0, 1:
			items := make([]residual.Expr, rng.IntN(4))
			for i := range items {
				items[i] = gen(depth + 1)
			}
			if k == 0 {
				return residual.And{Items: items}
			}
			return residual.Or{Items: items}
		case 2:
			return residual.Not{Item: gen(depth + 1)}
		case 3:
			ex := residual.Exists{Table: model.TableName{Schema: "public", Name: fmt.Sprint("t", rng.IntN(3))},
				Relationship: "rel", Where: gen(depth + 1)}
			for range rng.IntN(3) {
				ex.On = append(ex.On, model.ColumnPair{Local: "a", Remote: "b"})
			}
			return ex
		case 4, 5:
			var right residual.Operand = operand()
			if rng.IntN(6) == 0 {
				right = col()
			}
			return residual.Compare{Op: residual.CmpOp(rng.IntN(6)), Left: col(), Right: right}
		case 6:
			return residual.In{Column: col(), List: operand()}
		case 7:
			return residual.Match{Op: model.OpLike, Column: col(), Pattern: operand(), Regex: "^x$"}
		case 8:
			return residual.JSONB{Op: model.OpContains, Column: col(), Value: operand()}
		case 9:
			return residual.Array{Op: model.OpContains, Column: col(), Value: operand()}
		case 10:
			return residual.Database{Op: model.OpMatches, Column: col(), Value: operand(), Symbol: "~", Type: "lquery"}
		case 11:
			return residual.IsNull{Column: col()}
		case 12:
			return residual.True{}
		}
		return residual.Compare{Op: residual.Eq, Left: col(), Right: operand()}
	}
	e = gen(0)
	params = make([]residual.Param, rng.IntN(len(pool)+2))
	for j := range params {
		params[j] = pool[rng.IntN(len(pool))]
	}
	values = make([]any, max(0, len(params)-rng.IntN(3)))
	for j := range values {
		switch params[j].Kind {
		case model.KindInteger:
			values[j] = []any{json.Number(fmt.Sprint(rng.IntN(100)))}[0]
			if params[j].Array {
				values[j] = []any{json.Number("1"), json.Number(fmt.Sprint(rng.IntN(100)))}
			}
		default:
			values[j] = scalars[rng.IntN(len(scalars))]
		}
	}
	return e, params, values
}

// TestPlansOfKeptWithTemplate: an answer's plans are made once per
// permission (TemplateCache.Once) and are the plans of its trees.
func TestPlansOfKeptWithTemplate(t *testing.T) {
	p := residual.Param{Name: "x-hasura-user-id", Kind: model.KindInteger}
	u := &engine.FilterUnbound{
		Predicate:        residual.Compare{Op: residual.Eq, Left: residual.Column{Name: "a", Kind: model.KindInteger}, Right: p},
		Check:            residual.And{Items: []residual.Expr{residual.True{}}},
		ColumnConditions: map[string]residual.Expr{"b": residual.In{Column: residual.Column{Name: "b"}, List: p}},
		Params:           []residual.Param{{Name: "x-hasura-other", Kind: model.KindInteger}, p},
		Values:           []any{json.Number("1"), json.Number("2")},
		Cache:            &engine.TemplateCache{},
	}
	ap := plansOf(u)
	if ap == nil || ap != plansOf(u) {
		t.Fatal("plans not kept with the template")
	}
	if ap.pred.root.param != 1 || ap.pred.compares != 1 || ap.check.lists != 1 || ap.colPlan("b").root.param != 1 || ap.colPlan("c") != nil {
		t.Errorf("plans %+v %+v %+v", ap.pred, ap.check, ap.cols)
	}
	if fmt.Sprint(ap.sortedCols()) != "[b]" {
		t.Errorf("sorted columns %v", ap.sortedCols())
	}
	if u.Cache.Len() != 0 {
		t.Error("the plans took an entry of the cache's bound")
	}
	if plansOf(&engine.FilterUnbound{Predicate: u.Predicate}) != nil {
		t.Error("plans without a cache")
	}
}
