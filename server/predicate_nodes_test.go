package server

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// TestPredicateNodesAsMessages: the trees PredicateToProto builds from
// its one-allocation nodes are the messages built one by one (the
// reference below), for random trees of junctions, comparisons and
// in-lists over every kind of value, and fail where the reference fails.
func TestPredicateNodesAsMessages(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	values := []any{
		json.Number("0"), json.Number("-17"), json.Number("9007199254740991"), json.Number("9007199254740993"),
		json.Number("-9007199254740993"), json.Number("1.5"), json.Number("1e400"), json.Number("0.1000"),
		"", "ann", "\xff not UTF-8", true, false, nil, model.JSONNullValue{},
		[]any{json.Number("1"), "x"}, map[string]any{"b": json.Number("2"), "a": []any{true}},
	}
	col := func() residual.Column {
		return residual.Column{Name: fmt.Sprint("c", rng.IntN(3)), Root: rng.IntN(2) == 0,
			Kind: model.Kind(rng.IntN(10)), Lower: rng.IntN(4) == 0, Pad: rng.IntN(3) - 1}
	}
	var gen func(depth int) residual.Expr
	gen = func(depth int) residual.Expr {
		switch k := rng.IntN(6); {
		case k < 2 && depth < 3:
			items := make([]residual.Expr, rng.IntN(4))
			for i := range items {
				items[i] = gen(depth + 1)
			}
			if k == 0 {
				return residual.And{Items: items}
			}
			return residual.Or{Items: items}
		case k < 4:
			return residual.Compare{Op: residual.CmpOp(rng.IntN(6)), Left: col(), Right: residual.Value{V: values[rng.IntN(len(values))]}}
		default:
			list := make([]any, rng.IntN(5))
			for i := range list {
				list[i] = values[rng.IntN(len(values))]
			}
			return residual.In{Column: col(), List: residual.Value{V: list}}
		}
	}
	built, failed := 0, 0
	for i := range 3000 {
		e := gen(0)
		got, err := PredicateToProto(e)
		want, wantErr := referenceProto(e)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("case %d: %#v: error %v, the reference's %v", i, e, err, wantErr)
		}
		if err != nil {
			failed++
			continue
		}
		built++
		if !proto.Equal(got, want) {
			t.Fatalf("case %d: %#v:\n got %v\nwant %v", i, e, got, want)
		}
		gb, err1 := proto.MarshalOptions{Deterministic: true}.Marshal(got)
		wb, err2 := proto.MarshalOptions{Deterministic: true}.Marshal(want)
		if err1 != nil || err2 != nil || string(gb) != string(wb) {
			t.Fatalf("case %d: the wire bytes differ (%v, %v)", i, err1, err2)
		}
	}
	if built < 1000 || failed < 100 {
		t.Fatalf("%d trees built, %d refused: the generator no longer covers both", built, failed)
	}
}

// referenceProto converts the node kinds of the test one message at a
// time.
func referenceProto(e residual.Expr) (*wardenv1.Predicate, error) {
	list := func(items []residual.Expr) (*wardenv1.PredicateList, error) {
		out := &wardenv1.PredicateList{Items: make([]*wardenv1.Predicate, len(items))}
		for i, it := range items {
			p, err := referenceProto(it)
			if err != nil {
				return nil, err
			}
			out.Items[i] = p
		}
		return out, nil
	}
	switch x := e.(type) {
	case residual.And:
		l, err := list(x.Items)
		return &wardenv1.Predicate{Node: &wardenv1.Predicate_All{All: l}}, err
	case residual.Or:
		l, err := list(x.Items)
		return &wardenv1.Predicate{Node: &wardenv1.Predicate_Any{Any: l}}, err
	case residual.Compare:
		v := x.Right.(residual.Value).V
		pv, err := protoValue(v)
		if err != nil {
			return nil, err
		}
		c := &wardenv1.Comparison{Operator: cmpOpToProto(x.Op), Column: columnRef(x.Left), Right: &wardenv1.Comparison_Value{Value: pv}}
		if x.Left.Kind == model.KindJSONB {
			if c.ValueJson, err = jsonText(v); err != nil {
				return nil, err
			}
		}
		return &wardenv1.Predicate{Node: &wardenv1.Predicate_Comparison{Comparison: c}}, nil
	case residual.In:
		items := x.List.(residual.Value).V.([]any)
		l := &structpb.ListValue{}
		in := &wardenv1.InList{Column: columnRef(x.Column), Values: l}
		for _, it := range items {
			pv, err := protoValue(it)
			if err != nil {
				return nil, err
			}
			l.Values = append(l.Values, pv)
			if x.Column.Kind == model.KindJSONB {
				js, err := jsonText(it)
				if err != nil {
					return nil, err
				}
				in.ValuesJson = append(in.ValuesJson, js)
			}
		}
		if l.Values == nil {
			l.Values = []*structpb.Value{}
		}
		return &wardenv1.Predicate{Node: &wardenv1.Predicate_InList{InList: in}}, nil
	}
	return nil, fmt.Errorf("unexpected %T", e)
}
