package residual

import (
	"cmp"
	"time"

	"github.com/wardenpdp/warden/policy/model"
)

// Program is a template compiled for EvalTemplate's evaluation: each node
// a closure made once, each Param resolved to its position in the values,
// a constant integer parsed once. Check evaluates the template of a
// permission on every row of every request: walking the tree instead
// (eval) type-switched on every node, copied every node out of its
// interface and searched the params for every Param by comparing
// structs. Nodes without a closure of their own (Match, JSONB, Array,
// Empty, the database's) are evaluated by eval, so the two cannot
// differ there; TestProgramIsEvalTemplate holds them alike everywhere
// else.
type Program struct {
	run    pred
	params []Param
}

// pred evaluates a node on the current row cur (the root row or, inside
// an Exists, a related row), the session's values in d.
type pred func(d Data, cur map[string]any) bool

// reader reads an operand's value.
type reader func(d Data, cur map[string]any) any

// CompileTemplate compiles the template e with the Params params
// (CheckTemplate's: Program.Eval takes their values in that order).
func CompileTemplate(e Expr, params []Param) Program {
	return Program{run: compilePred(e, params), params: params}
}

// Eval is EvalTemplate(e, params, values, d) for the e and params p was
// compiled from.
func (p Program) Eval(values []any, d Data) bool {
	d.params, d.values = p.params, values
	return p.run(d, d.Row)
}

func compilePred(e Expr, params []Param) pred {
	switch x := e.(type) {
	case True:
		return func(Data, map[string]any) bool { return true }
	case False:
		return func(Data, map[string]any) bool { return false }
	case And:
		items := compileAll(x.Items, params)
		if len(items) == 2 {
			a, b := items[0], items[1]
			return func(d Data, cur map[string]any) bool { return a(d, cur) && b(d, cur) }
		}
		return func(d Data, cur map[string]any) bool {
			for _, it := range items {
				if !it(d, cur) {
					return false
				}
			}
			return true
		}
	case Or:
		items := compileAll(x.Items, params)
		if len(items) == 2 {
			a, b := items[0], items[1]
			return func(d Data, cur map[string]any) bool { return a(d, cur) || b(d, cur) }
		}
		return func(d Data, cur map[string]any) bool {
			for _, it := range items {
				if it(d, cur) {
					return true
				}
			}
			return false
		}
	case Not:
		item := compilePred(x.Item, params)
		return func(d Data, cur map[string]any) bool { return !item(d, cur) }
	case IsNull:
		col := compileColumn(x.Column)
		return func(d Data, cur map[string]any) bool { return col(d, cur) == nil }
	case Compare:
		return compileCompare(x, params)
	case In:
		return compileIn(x, params)
	case Exists:
		where := compilePred(x.Where, params)
		return func(d Data, cur map[string]any) bool {
			for _, r := range existsRows(x, d, cur) {
				if m, ok := r.(map[string]any); ok && where(d, m) {
					return true
				}
			}
			return false
		}
	}
	return func(d Data, cur map[string]any) bool { return eval(e, d, cur) }
}

func compileAll(items []Expr, params []Param) []pred {
	out := make([]pred, len(items))
	for i, it := range items {
		out[i] = compilePred(it, params)
	}
	return out
}

// compileColumn reads a column as eval's col does.
func compileColumn(c Column) reader {
	name := c.Name
	switch {
	case c.Lower || c.Pad > 0:
		return func(d Data, cur map[string]any) any { return columnValue(c, &d, cur) }
	case c.Root:
		return func(d Data, _ map[string]any) any { return d.Row[name] }
	}
	return func(_ Data, cur map[string]any) any { return cur[name] }
}

// paramIndex is p's position in params as Data.param finds it (the
// first equal), -1 for none.
func paramIndex(params []Param, p Param) int {
	for i := range params {
		if params[i] == p {
			return i
		}
	}
	return -1
}

// paramValue is the value at position i of the session's values, as
// Data.param gives it; ok is false when there is none.
func paramValue(d Data, i int) (any, bool) {
	if i < 0 || i >= len(d.values) {
		return nil, false
	}
	return d.values[i], true
}

// compileOperand reads an operand as eval's val does.
func compileOperand(o Operand, params []Param) reader {
	switch x := o.(type) {
	case Column:
		return compileColumn(x)
	case Value:
		if c, ok := x.V.(Clock); ok {
			return func(Data, map[string]any) any { return c.At(x.Kind, time.Now()) }
		}
		v := x.V
		return func(Data, map[string]any) any { return v }
	case Param:
		i, kind := paramIndex(params, x), x.Kind
		return func(d Data, _ map[string]any) any {
			v, _ := paramValue(d, i)
			if c, ok := v.(Clock); ok {
				return c.At(kind, time.Now())
			}
			return v
		}
	}
	return func(Data, map[string]any) any { return nil }
}

// holdsFor is whether the order c of two values satisfies op (false for
// an operator Compare does not know).
func holdsFor(op CmpOp, c int) bool {
	switch op {
	case Eq:
		return c == 0
	case Neq:
		return c != 0
	case Lt:
		return c < 0
	case Lte:
		return c <= 0
	case Gt:
		return c > 0
	case Gte:
		return c >= 0
	}
	return false
}

func compileCompare(x Compare, params []Param) pred {
	left, kind, op := compileColumn(x.Left), x.Left.Kind, x.Op
	if p, ok := x.Right.(Param); ok {
		// As eval: a Param bound to nil (a jsonb session variable "null")
		// compares as Bind makes it.
		i := paramIndex(params, p)
		null := compilePred(compareNull(x.Op, x.Left), params)
		right := compileOperand(p, params)
		return func(d Data, cur map[string]any) bool {
			if v, ok := paramValue(d, i); ok && v == nil {
				return null(d, cur)
			}
			a, b := left(d, cur), right(d, cur)
			if a == nil || b == nil {
				return false
			}
			c, ok := compareValues(kind, a, b)
			return ok && holdsFor(op, c)
		}
	}
	if v, ok := x.Right.(Value); ok {
		if _, clock := v.V.(Clock); !clock {
			b := v.V
			if b == nil {
				return func(Data, map[string]any) bool { return false }
			}
			if j, ok := int64Of(b); ok && (kind == model.KindInteger || kind == model.KindNumeric) {
				// An integer constant, parsed once: compareValues'
				// first test, the other operand an integer too.
				return func(d Data, cur map[string]any) bool {
					a := left(d, cur)
					if a == nil {
						return false
					}
					if i, ok := int64Of(a); ok {
						return holdsFor(op, cmp.Compare(i, j))
					}
					c, ok := compareValues(kind, a, b)
					return ok && holdsFor(op, c)
				}
			}
			return func(d Data, cur map[string]any) bool {
				a := left(d, cur)
				if a == nil {
					return false
				}
				c, ok := compareValues(kind, a, b)
				return ok && holdsFor(op, c)
			}
		}
	}
	right := compileOperand(x.Right, params)
	return func(d Data, cur map[string]any) bool {
		a, b := left(d, cur), right(d, cur)
		if a == nil || b == nil {
			return false
		}
		c, ok := compareValues(kind, a, b)
		return ok && holdsFor(op, c)
	}
}

func compileIn(x In, params []Param) pred {
	col, kind := compileColumn(x.Column), x.Column.Kind
	list := compileOperand(x.List, params)
	return func(d Data, cur map[string]any) bool {
		a := col(d, cur)
		l, _ := list(d, cur).([]any)
		if a == nil {
			return false
		}
		for _, el := range l {
			if c, ok := compareValues(kind, a, el); ok && c == 0 {
				return true
			}
		}
		return false
	}
}
