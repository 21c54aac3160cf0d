package server

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/wardenpdp/warden/policy/sqlgen"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// TestFragmentParametersAsMessages: the parameters fragmentToProto builds
// in place are the messages built one by one (the reference below), for
// every argument type sqlgen gives, nested arrays included, and fail
// where the reference fails.
func TestFragmentParametersAsMessages(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	var arg func(depth int) any
	arg = func(depth int) any {
		n := r.IntN(4)
		switch r.IntN(10) {
		case 0:
			return "t" + fmt.Sprint(r.IntN(9))
		case 1:
			return r.Int64() - r.Int64()
		case 2:
			return r.IntN(100)
		case 3:
			return r.IntN(2) == 0
		case 4:
			return json.Number("12.50")
		case 5:
			l := make([]string, n)
			for i := range l {
				l[i] = fmt.Sprint("s", i)
			}
			return l
		case 6:
			l := make([]int64, n)
			for i := range l {
				l[i] = int64(i) * 1e12
			}
			return l
		case 7:
			l := make([]bool, n)
			for i := range l {
				l[i] = i%2 == 0
			}
			return l
		case 8:
			if depth < 2 {
				l := make([]any, n)
				for i := range l {
					l[i] = arg(depth + 1)
				}
				return l
			}
		}
		return 1.5 // no double: an error
	}
	built, failed := 0, 0
	for range 3000 {
		f := sqlgen.Fragment{SQL: "x", Args: make([]any, r.IntN(4))}
		for i := range f.Args {
			f.Args[i] = arg(0)
		}
		got, err := fragmentToProto(f)
		want, wantErr := referenceFragment(f)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("%#v: error %v, the reference's %v", f.Args, err, wantErr)
		}
		if err != nil {
			failed++
			continue
		}
		built++
		if !proto.Equal(got, want) {
			t.Fatalf("%#v:\n got %v\nwant %v", f.Args, got, want)
		}
	}
	if built < 1000 || failed < 250 {
		t.Fatalf("%d built, %d refused: the generator no longer covers both", built, failed)
	}
}

// referenceFragment converts the arguments one message at a time.
func referenceFragment(f sqlgen.Fragment) (*wardenv1.SqlFragment, error) {
	var param func(a any) (*wardenv1.SqlParameter, error)
	array := func(n int, elem func(i int) any) (*wardenv1.SqlParameter, error) {
		arr := &wardenv1.SqlArray{Elements: make([]*wardenv1.SqlParameter, n)}
		for i := range n {
			p, err := param(elem(i))
			if err != nil {
				return nil, err
			}
			arr.Elements[i] = p
		}
		return &wardenv1.SqlParameter{Value: &wardenv1.SqlParameter_Array{Array: arr}}, nil
	}
	param = func(a any) (*wardenv1.SqlParameter, error) {
		switch v := a.(type) {
		case string:
			return &wardenv1.SqlParameter{Value: &wardenv1.SqlParameter_Text{Text: v}}, nil
		case int64:
			return &wardenv1.SqlParameter{Value: &wardenv1.SqlParameter_Integer{Integer: v}}, nil
		case int:
			return &wardenv1.SqlParameter{Value: &wardenv1.SqlParameter_Integer{Integer: int64(v)}}, nil
		case bool:
			return &wardenv1.SqlParameter{Value: &wardenv1.SqlParameter_Boolean{Boolean: v}}, nil
		case json.Number:
			return &wardenv1.SqlParameter{Value: &wardenv1.SqlParameter_Text{Text: v.String()}}, nil
		case []string:
			return array(len(v), func(i int) any { return v[i] })
		case []int64:
			return array(len(v), func(i int) any { return v[i] })
		case []bool:
			return array(len(v), func(i int) any { return v[i] })
		case []any:
			return array(len(v), func(i int) any { return v[i] })
		}
		return nil, fmt.Errorf("unexpected SQL argument type %T", a)
	}
	out := &wardenv1.SqlFragment{Sql: f.SQL, Parameters: make([]*wardenv1.SqlParameter, len(f.Args))}
	for i, a := range f.Args {
		p, err := param(a)
		if err != nil {
			return nil, fmt.Errorf("parameter %d: %w", i+1, err)
		}
		out.Parameters[i] = p
	}
	return out, nil
}
