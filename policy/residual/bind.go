package residual

import (
	"fmt"
	"sort"
)

// PatternValue is the bound value of a pattern Param: the pattern text and
// its regular expression (compile.PatternRegex).
type PatternValue struct {
	Text  string
	Regex string
}

// Params lists the distinct parameters of e, sorted by name then form.
func Params(e Expr) []Param {
	seen := map[Param]bool{}
	var out []Param
	add := func(o Operand) {
		if p, ok := o.(Param); ok && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	Walk(e, func(x Expr) {
		switch y := x.(type) {
		case Compare:
			add(y.Right)
		case In:
			add(y.List)
		case Empty:
			add(y.List)
		case Match:
			add(y.Pattern)
		case JSONB:
			add(y.Value)
		case Array:
			add(y.Value)
		case Spatial:
			add(y.Value)
		case Database:
			add(y.Value)
		}
	})
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}

// Walk calls f for e and every node under it, parents first.
func Walk(e Expr, f func(Expr)) {
	f(e)
	switch x := e.(type) {
	case And:
		for _, it := range x.Items {
			Walk(it, f)
		}
	case Or:
		for _, it := range x.Items {
			Walk(it, f)
		}
	case Not:
		Walk(x.Item, f)
	case Exists:
		Walk(x.Where, f)
	}
}

// Bind replaces every Param of a template with its value: values[i] is
// the value of params[i], in the canonical form of the Param's kind for a
// scalar, a []any for an array, a PatternValue for a pattern. Constants are
// folded afterwards (an _in over an empty array is FALSE). A Param missing
// from params is an error. A template without Params is returned as is.
func Bind(e Expr, params []Param, values []any) (Expr, error) {
	out, _, err := BindFolded(e, params, values)
	return out, err
}

// BindFolded is Bind, and says whether the bound tree was folded: whether
// some value (an empty list, a jsonb null, an Empty node's list) made
// Bind fold constants, so that the result's shape may differ from e's.
// When folded is false the result is e with every Param operand replaced
// by Value{V: its value, Kind: the Param's Kind} (and a Match's Regex set
// from its PatternValue), node for node.
func BindFolded(e Expr, params []Param, values []any) (out Expr, folded bool, err error) {
	if len(params) == 0 {
		return e, false, nil
	}
	b := binder{params: params, values: values}
	out, changed := b.bind(e)
	if b.err != nil {
		return nil, false, b.err
	}
	if !changed {
		return e, false, nil
	}
	if b.empty {
		return fold(out), true, nil
	}
	return out, false, nil
}

type binder struct {
	params []Param
	values []any
	// some: a Param without a value stays in the tree (BindSome).
	some bool
	err  error
	// empty: a value was bound that folds (an empty list, null).
	empty bool
}

func (b *binder) get(p Param) any {
	for i := range b.params {
		if b.params[i] == p && i < len(b.values) {
			return b.values[i]
		}
	}
	if b.err == nil {
		b.err = fmt.Errorf("residual: no value for session variable %s", p.Name)
	}
	return nil
}

func (b *binder) operand(o Operand) (Operand, bool) {
	p, ok := o.(Param)
	if !ok || b.some && !b.has(p) {
		return o, false
	}
	return Value{V: b.value(p), Kind: p.Kind}, true
}

// value is p's value; an empty list folds.
func (b *binder) value(p Param) any {
	v := b.get(p)
	if l, ok := v.([]any); ok && len(l) == 0 {
		b.empty = true
	}
	return v
}

// pattern is the value of a pattern Param.
func (b *binder) pattern(p Param) PatternValue {
	v := b.get(p)
	pv, ok := v.(PatternValue)
	if !ok && b.err == nil {
		// Not bound as Regex "", which matches everything.
		b.err = fmt.Errorf("residual: session variable %s: a pattern binds a PatternValue, got %T", p.Name, v)
	}
	return pv
}

// Folds says what BindFolded(e, params, values) would say of folding,
// with its error, without building the bound tree: when it says false,
// the bound tree is e with each Param replaced by its value, and
// values[i] is the value of the first params[i] equal to a Param.
// A caller that reads the template and the values instead of the bound
// tree saves the allocations of binding.
func Folds(e Expr, params []Param, values []any) (bool, error) {
	if len(params) == 0 {
		return false, nil
	}
	b := binder{params: params, values: values}
	b.scan(e)
	if b.err != nil {
		return false, b.err
	}
	return b.empty, nil
}

// scan is bind without building: it sets b.empty and b.err as bind
// would. Keep the two in step (TestFoldsMatchesBindFolded).
func (b *binder) scan(e Expr) {
	switch x := e.(type) {
	case And:
		for _, it := range x.Items {
			b.scan(it)
		}
	case Or:
		for _, it := range x.Items {
			b.scan(it)
		}
	case Not:
		b.scan(x.Item)
	case Exists:
		b.scan(x.Where)
	}
	p, ok := ParamOperand(e)
	if !ok {
		return
	}
	switch e.(type) {
	case Compare:
		if b.value(p) == nil {
			b.empty = true // compareNull
		}
	case Empty:
		b.value(p)
		b.empty = true
	case Match:
		b.pattern(p)
	default:
		b.value(p)
	}
}

func (b *binder) bind(e Expr) (Expr, bool) {
	switch x := e.(type) {
	case And:
		items, changed := b.list(x.Items)
		if changed {
			return And{Items: items}, true
		}
	case Or:
		items, changed := b.list(x.Items)
		if changed {
			return Or{Items: items}, true
		}
	case Not:
		if it, changed := b.bind(x.Item); changed {
			return Not{Item: it}, true
		}
	case Exists:
		if w, changed := b.bind(x.Where); changed {
			x.Where = w
			return x, true
		}
	case Compare:
		if r, changed := b.operand(x.Right); changed {
			if v, ok := r.(Value); ok && v.V == nil {
				// A jsonb session variable "null": Rego compares with
				// null, which SQL NULL is too.
				b.empty = true
				return compareNull(x.Op, x.Left), true
			}
			x.Right = r
			return x, true
		}
	case In:
		if l, changed := b.operand(x.List); changed {
			x.List = l
			return x, true
		}
	case Empty:
		if l, changed := b.operand(x.List); changed {
			// Never left in a bound tree; folded away.
			b.empty = true
			if emptyList(l.(Value).V) {
				return True{}, true
			}
			return False{}, true
		}
	case JSONB:
		if v, changed := b.operand(x.Value); changed {
			x.Value = v
			return x, true
		}
	case Array:
		if v, changed := b.operand(x.Value); changed {
			x.Value = v
			return x, true
		}
	case Spatial:
		if v, changed := b.operand(x.Value); changed {
			x.Value = v
			return x, true
		}
	case Database:
		if v, changed := b.operand(x.Value); changed {
			x.Value = v
			return x, true
		}
	case Match:
		if p, ok := x.Pattern.(Param); ok && (!b.some || b.has(p)) {
			pv := b.pattern(p)
			x.Pattern = Value{V: pv.Text, Kind: p.Kind}
			x.Regex = pv.Regex
			return x, true
		}
	}
	return e, false
}

// has says whether p has a value.
func (b *binder) has(p Param) bool {
	for i := range b.params {
		if b.params[i] == p && i < len(b.values) {
			return true
		}
	}
	return false
}

// BindSome is Bind for the Params that params lists; the others stay in
// the tree, which remains a template. The database's clock (Clock values)
// can so be bound where the rest of the session is read inside the
// database (row-level security).
func BindSome(e Expr, params []Param, values []any) (Expr, error) {
	if len(params) == 0 {
		return e, nil
	}
	b := binder{params: params, values: values, some: true}
	out, changed := b.bind(e)
	if b.err != nil {
		return nil, b.err
	}
	if !changed {
		return e, nil
	}
	if b.empty {
		return fold(out), nil
	}
	return out, nil
}

func (b *binder) list(items []Expr) ([]Expr, bool) {
	var out []Expr
	for i, it := range items {
		n, changed := b.bind(it)
		if changed && out == nil {
			out = make([]Expr, len(items))
			copy(out, items[:i])
		}
		if out != nil {
			out[i] = n
		}
	}
	return out, out != nil
}

// ParamOperand returns the Param operand of a node (a comparison's value,
// a list, a pattern, a jsonb, array, spatial or database operator's
// value), if it has one.
func ParamOperand(e Expr) (Param, bool) {
	var o Operand
	switch x := e.(type) {
	case Compare:
		o = x.Right
	case In:
		o = x.List
	case Empty:
		o = x.List
	case Match:
		o = x.Pattern
	case JSONB:
		o = x.Value
	case Array:
		o = x.Value
	case Spatial:
		o = x.Value
	case Database:
		o = x.Value
	}
	p, ok := o.(Param)
	return p, ok
}
