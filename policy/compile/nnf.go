package compile

import "github.com/wardenpdp/warden/policy/model"

// node is a boolean expression in negation normal form: negations sit only
// on comparisons and on EXISTS.
type node interface{ isNode() }

type (
	nTrue  struct{}
	nFalse struct{}
	nAnd   struct{ items []node }
	nOr    struct{ items []node }
	// nCmp is a comparison; neg means NOT (comparison), which holds only
	// when the comparison is FALSE, not NULL.
	nCmp struct {
		c   model.Compare
		neg bool
	}
	// nRel is EXISTS over a relationship; neg means NOT EXISTS. EXISTS is
	// two-valued, so its negation needs no NULL guard.
	nRel struct {
		r   model.RelExists
		neg bool
	}
	// nExists is EXISTS over another table (_exists); neg as for nRel.
	nExists struct {
		e   model.Exists
		neg bool
	}
)

func (nTrue) isNode()   {}
func (nFalse) isNode()  {}
func (nAnd) isNode()    {}
func (nOr) isNode()     {}
func (nCmp) isNode()    {}
func (nRel) isNode()    {}
func (nExists) isNode() {}

// nnf pushes negations down to the leaves and simplifies constants. neg says
// whether e sits under an odd number of _not.
func nnf(e model.BoolExp, neg bool) node {
	switch x := e.(type) {
	case model.True:
		if neg {
			return nFalse{}
		}
		return nTrue{}
	case model.False:
		if neg {
			return nTrue{}
		}
		return nFalse{}
	case model.Not:
		return nnf(x.Item, !neg)
	case model.And:
		if neg {
			return orOf(mapNNF(x.Items, true))
		}
		return andOf(mapNNF(x.Items, false))
	case model.Or:
		if neg {
			return andOf(mapNNF(x.Items, true))
		}
		return orOf(mapNNF(x.Items, false))
	case model.Compare:
		return nCmp{c: x, neg: neg}
	case model.RelExists:
		return nRel{r: x, neg: neg}
	case model.Exists:
		return nExists{e: x, neg: neg}
	}
	// load never builds other nodes; an unknown one is never true.
	return nFalse{}
}

func mapNNF(items []model.BoolExp, neg bool) []node {
	out := make([]node, len(items))
	for i, it := range items {
		out[i] = nnf(it, neg)
	}
	return out
}

// andOf flattens nested ANDs, drops TRUE and collapses on FALSE.
func andOf(items []node) node {
	var out []node
	for _, it := range items {
		switch x := it.(type) {
		case nTrue:
			continue
		case nFalse:
			return nFalse{}
		case nAnd:
			out = append(out, x.items...)
		default:
			out = append(out, it)
		}
	}
	switch len(out) {
	case 0:
		return nTrue{}
	case 1:
		return out[0]
	}
	return nAnd{items: out}
}

// orOf flattens nested ORs, drops FALSE and collapses on TRUE.
func orOf(items []node) node {
	var out []node
	for _, it := range items {
		switch x := it.(type) {
		case nFalse:
			continue
		case nTrue:
			return nTrue{}
		case nOr:
			out = append(out, x.items...)
		default:
			out = append(out, it)
		}
	}
	switch len(out) {
	case 0:
		return nFalse{}
	case 1:
		return out[0]
	}
	return nOr{items: out}
}
