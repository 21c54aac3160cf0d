package residual

import (
	"reflect"

	"github.com/wardenpdp/warden/policy/model"
)

// Simplify folds constants (TRUE and FALSE through AND, OR, NOT and
// EXISTS; IN over an empty list; _has_keys_any and _has_keys_all over no
// keys), flattens nested ANDs and ORs, and drops repeated items.
func Simplify(e Expr) Expr { return simplify(e, true) }

// fold is Simplify without the (quadratic) removal of repeated items, for
// the request path.
func fold(e Expr) Expr { return simplify(e, false) }

func simplify(e Expr, dedup bool) Expr {
	switch x := e.(type) {
	case And:
		return junction(x.Items, true, dedup)
	case Or:
		return junction(x.Items, false, dedup)
	case Not:
		switch it := simplify(x.Item, dedup).(type) {
		case True:
			return False{}
		case False:
			return True{}
		case Not:
			return it.Item
		default:
			return Not{Item: it}
		}
	case Exists:
		w := simplify(x.Where, dedup)
		if _, ok := w.(False); ok {
			return False{}
		}
		x.Where = w
		return x
	case In:
		if v, ok := x.List.(Value); ok {
			if l, ok := v.V.([]any); ok && len(l) == 0 {
				return False{}
			}
		}
	case Empty:
		if v, ok := x.List.(Value); ok {
			if emptyList(v.V) {
				return True{}
			}
			return False{}
		}
	case JSONB:
		if v, ok := x.Value.(Value); ok {
			if l, ok := v.V.([]any); ok && len(l) == 0 {
				switch x.Op {
				case model.OpHasKeysAny:
					return False{}
				case model.OpHasKeysAll:
					return True{}
				}
			}
		}
	}
	return e
}

// junction simplifies an AND (and=true) or an OR of items.
func junction(items []Expr, and, dedup bool) Expr {
	out := make([]Expr, 0, len(items))
	var add func(it Expr) bool
	add = func(it Expr) bool {
		switch y := it.(type) {
		case True:
			return and // absorbing for OR
		case False:
			return !and // absorbing for AND
		case And:
			if and {
				for _, z := range y.Items {
					if !add(z) {
						return false
					}
				}
				return true
			}
		case Or:
			if !and {
				for _, z := range y.Items {
					if !add(z) {
						return false
					}
				}
				return true
			}
		}
		if dedup {
			for _, o := range out {
				if reflect.DeepEqual(o, it) {
					return true
				}
			}
		}
		out = append(out, it)
		return true
	}
	for _, it := range items {
		if !add(simplify(it, dedup)) {
			if and {
				return False{}
			}
			return True{}
		}
	}
	switch len(out) {
	case 0:
		if and {
			return True{}
		}
		return False{}
	case 1:
		return out[0]
	}
	if and {
		return And{Items: out}
	}
	return Or{Items: out}
}
