package residual

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wardenpdp/warden/policy/compile"
)

// A Check that answers NEEDS_DATA partially evaluates a rule with some of
// the row unknown, and the library stays out of inlining: a library call
// on a column the request sent keeps its constant arguments
// (jsonb_contains({"a": 1}, {"b": 2}), not_in(3, [1])). Such a call is
// decided here, by OPA on the library itself, so that the residual
// translates and the rest of the rule can decide the row, as the native
// evaluator decides it.

// libQueries caches a prepared query per library function and arity.
var libQueries sync.Map // "name/arity" -> *libQuery

type libQuery struct {
	once sync.Once
	q    rego.PreparedEvalQuery
	err  error
}

// libFunction names the library function a call's operator refers to
// (as compiled, or as partial evaluation's copy under data.partial), or
// "" for another operator or a function Warden never evaluates.
func libFunction(op string) string {
	name := strings.TrimPrefix(strings.TrimPrefix(op, "data.partial."), "data.")
	fn, ok := strings.CutPrefix(name, compile.LibPackage+".")
	if !ok || fn == compile.Spatial || fn == compile.SpatialCast || fn == compile.Database || fn == compile.DatabaseCast || strings.Contains(fn, ".") {
		return ""
	}
	return fn
}

// constantArgs reports whether every argument is a constant term.
func constantArgs(args []*ast.Term) bool {
	for _, a := range args {
		if !ast.IsConstant(a.Value) {
			return false
		}
	}
	return true
}

// libHolds evaluates the library function fn on constant arguments.
func libHolds(fn string, args []*ast.Term) (bool, error) {
	key := fn + "/" + strconv.Itoa(len(args))
	v, _ := libQueries.LoadOrStore(key, &libQuery{})
	lq := v.(*libQuery)
	lq.once.Do(func() {
		params := make([]string, len(args))
		for i := range params {
			params[i] = "input[" + strconv.Itoa(i) + "]"
		}
		lib := compile.LibModule()
		lq.q, lq.err = rego.New(
			rego.Query("data."+compile.LibPackage+"."+fn+"("+strings.Join(params, ", ")+")"),
			rego.Module(lib.Path, lib.Source),
		).PrepareForEval(context.Background())
	})
	if lq.err != nil {
		return false, lq.err
	}
	rs, err := lq.q.Eval(context.Background(), rego.EvalParsedInput(ast.NewArray(args...)))
	if err != nil {
		return false, err
	}
	return len(rs) > 0, nil
}
