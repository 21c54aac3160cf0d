package residual

import "fmt"

// FoldPlan is Folds for one template and its params, worked out once:
// the reads of values Folds makes walking the template, in its order,
// each once. A template's shape never changes, so neither do they; a
// request then checks its values without walking the tree (Folds spends
// on the walk, copying every node it switches on, what binding would).
type FoldPlan struct {
	reads []foldRead
	// none: no params, nothing ever folds (Folds returns at once).
	none bool
}

// foldRead is one read of a Param's value.
type foldRead struct {
	// at are the indices of params equal to the Param, in order: its
	// value is values[at[i]] for the first at[i] < len(values) (binder.get).
	at   []int
	name string
	op   foldOp
}

type foldOp uint8

const (
	foldList    foldOp = iota // an empty list folds (binder.value)
	foldNil                   // nil or an empty list folds (Compare)
	foldAlways                // read, then folds (Empty)
	foldPattern               // a PatternValue, else an error (Match)
)

// PlanFolds returns the FoldPlan of e with params.
func PlanFolds(e Expr, params []Param) FoldPlan {
	if len(params) == 0 {
		return FoldPlan{none: true}
	}
	var p FoldPlan
	seen := map[foldKey]bool{}
	Walk(e, func(x Expr) {
		prm, ok := ParamOperand(x)
		if !ok {
			return
		}
		op := foldList
		switch x.(type) {
		case Compare:
			op = foldNil
		case Empty:
			op = foldAlways
		case Match:
			op = foldPattern
		}
		k := foldKey{prm, op}
		if seen[k] {
			// The same read again gives the same answer.
			return
		}
		seen[k] = true
		r := foldRead{name: prm.Name, op: op}
		for i := range params {
			if params[i] == prm {
				r.at = append(r.at, i)
			}
		}
		p.reads = append(p.reads, r)
	})
	return p
}

type foldKey struct {
	p  Param
	op foldOp
}

// Folds is Folds(e, params, values) for the e and params of the plan.
func (p *FoldPlan) Folds(values []any) (bool, error) {
	if p.none {
		return false, nil
	}
	empty := false
	var err error
	for _, r := range p.reads {
		v, ok := r.value(values)
		if !ok {
			if err == nil {
				err = fmt.Errorf("residual: no value for session variable %s", r.name)
			}
			// binder.get's nil: folds as nil does where nil folds.
		}
		switch r.op {
		case foldNil:
			if v == nil || noElements(v) {
				empty = true
			}
		case foldList:
			if noElements(v) {
				empty = true
			}
		case foldAlways:
			empty = true
		case foldPattern:
			if _, isPattern := v.(PatternValue); !isPattern && err == nil {
				err = fmt.Errorf("residual: session variable %s: a pattern binds a PatternValue, got %T", r.name, v)
			}
		}
	}
	if err != nil {
		return false, err
	}
	return empty, nil
}

func (r *foldRead) value(values []any) (any, bool) {
	for _, i := range r.at {
		if i < len(values) {
			return values[i], true
		}
	}
	return nil, false
}

// noElements says whether v is a list without elements (binder.value).
func noElements(v any) bool {
	l, ok := v.([]any)
	return ok && len(l) == 0
}
