package server

import (
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/residual"
)

// treePlan is a permission's template tree prepared once for
// predicateConv: the position in the values of each node's Param
// operand (an index where predicateConv.value would search the
// params), the strings of the tree that depend on no value, and how
// many of the nodes built most often a conversion makes, so that it
// allocates each kind of them together.
type treePlan struct {
	root                          *planNode
	lists, compares, ins, nodeRef int
}

// planNode is one node of a treePlan, for the template node it was made
// from.
type planNode struct {
	// param is the index of the value of the node's Param operand: the
	// first params[i] equal to it (residual.Bind's). -1 when the node has
	// no Param operand or no params[i] is equal to it: no value (an
	// error, never TRUE).
	param int
	// kids are the plans of And's and Or's items, of Not's item and of
	// Exists' Where (kids[0]).
	kids []*planNode
	// strings: table and function are Exists' Table.String() and
	// Function.Function.String() ("" without a function).
	strings         bool
	table, function string
	// column and other are the node's column (Compare's Left, In's and
	// IsNull's Column) and Compare's Right when a column, in wire form
	// for planWriter (wiretrees.go).
	column, other writtenColumn
}

// writtenColumn is a column's ColumnRef in wire form (without tag and
// length); wire is nil for none, or a column not in UTF-8.
type writtenColumn struct {
	of   residual.Column
	wire []byte
}

// written is the wire form of c, the node's column or other; nil when pn
// (nil: no plan) has neither equal to c.
func (pn *planNode) written(c residual.Column) []byte {
	switch {
	case pn == nil:
		return nil
	case pn.column.wire != nil && pn.column.of == c:
		return pn.column.wire
	case pn.other.wire != nil && pn.other.of == c:
		return pn.other.wire
	}
	return nil
}

// kid is the plan of the i-th of n children: nil (no plan) when pn is
// nil or has not n children (a plan of another shape).
func (pn *planNode) kid(i, n int) *planNode {
	if pn == nil || len(pn.kids) != n {
		return nil
	}
	return pn.kids[i]
}

// planTree makes the plan of the template tree e whose values stand for
// params.
func planTree(e residual.Expr, params []residual.Param) *treePlan {
	t := &treePlan{}
	t.root = t.node(e, params)
	return t
}

func (t *treePlan) node(e residual.Expr, params []residual.Param) *planNode {
	pn := &planNode{param: -1}
	kids := func(items ...residual.Expr) {
		pn.kids = make([]*planNode, len(items))
		for i, it := range items {
			pn.kids[i] = t.node(it, params)
		}
	}
	switch x := e.(type) {
	case residual.And:
		t.lists++
		t.nodeRef += len(x.Items)
		kids(x.Items...)
	case residual.Or:
		t.lists++
		t.nodeRef += len(x.Items)
		kids(x.Items...)
	case residual.Not:
		kids(x.Item)
	case residual.Exists:
		kids(x.Where)
		pn.strings, pn.table = true, x.Table.String()
		if x.Function != nil {
			pn.function = x.Function.Function.String()
		}
	case residual.Compare:
		t.compares++
		pn.column = columnWire(x.Left)
		if c, ok := x.Right.(residual.Column); ok {
			pn.other = columnWire(c)
		}
	case residual.In:
		t.ins++
		pn.column = columnWire(x.Column)
	case residual.IsNull:
		pn.column = columnWire(x.Column)
	}
	if p, ok := residual.ParamOperand(e); ok {
		for i := range params {
			if params[i] == p {
				pn.param = i
				break
			}
		}
	}
	return pn
}

// columnWire is c's ColumnRef in wire form (nil when not UTF-8: never
// written).
func columnWire(c residual.Column) writtenColumn {
	f := columnFieldsOf(c)
	n := f.size()
	if n < 0 {
		return writtenColumn{}
	}
	return writtenColumn{of: c, wire: f.append(make([]byte, 0, n))}
}

// answerPlans are the plans of a permission's template trees: its
// predicate, its check and its column conditions.
type answerPlans struct {
	pred, check *treePlan
	cols        map[string]*treePlan
	// sorted are the column conditions' columns, sorted (read only).
	sorted []string
}

// sortedCols is sortedKeys of the column conditions the plans are of.
func (ap *answerPlans) sortedCols() []string {
	if ap == nil {
		return nil
	}
	return ap.sorted
}

func (ap *answerPlans) predPlan() *treePlan {
	if ap == nil {
		return nil
	}
	return ap.pred
}

func (ap *answerPlans) checkPlan() *treePlan {
	if ap == nil {
		return nil
	}
	return ap.check
}

func (ap *answerPlans) colPlan(col string) *treePlan {
	if ap == nil {
		return nil
	}
	return ap.cols[col]
}

// plansOf returns the plans of u's trees, made at the first answer from
// the permission's template and kept with it (u.Cache); nil without a
// cache.
func plansOf(u *engine.FilterUnbound) *answerPlans {
	if u.Cache == nil {
		return nil
	}
	ap, _ := u.Cache.Once(func() any {
		ap := &answerPlans{pred: planTree(u.Predicate, u.Params)}
		if u.Check != nil {
			ap.check = planTree(u.Check, u.Params)
		}
		if len(u.ColumnConditions) > 0 {
			ap.cols = make(map[string]*treePlan, len(u.ColumnConditions))
			for col, e := range u.ColumnConditions {
				ap.cols[col] = planTree(e, u.Params)
			}
			ap.sorted = sortedKeys(u.ColumnConditions)
		}
		return ap
	}).(*answerPlans)
	return ap
}

// tree converts e, the tree plan was made from (nil: none): the nodes
// the plan counts allocated together.
func (c predicateConv) tree(e residual.Expr, plan *treePlan) (*wardenv1.Predicate, error) {
	if plan == nil {
		return c.conv(e, nil)
	}
	c.a = &nodeAlloc{}
	if plan.lists > 0 {
		c.a.lists = make([]listNode, plan.lists)
		c.a.refs = make([]*wardenv1.Predicate, plan.nodeRef)
	}
	if plan.compares > 0 {
		c.a.compares = make([]compareNode, plan.compares)
	}
	if plan.ins > 0 {
		c.a.ins = make([]inNode, plan.ins)
	}
	return c.conv(e, plan.root)
}

// nodeAlloc holds nodes allocated together for one tree. Each method
// takes the next node, or allocates one alone when the nodes counted
// are used up (nil: always).
type nodeAlloc struct {
	lists    []listNode
	compares []compareNode
	ins      []inNode
	refs     []*wardenv1.Predicate
}

func (a *nodeAlloc) list() *listNode {
	if a == nil {
		return &listNode{}
	}
	return take(&a.lists)
}

func (a *nodeAlloc) compare() *compareNode {
	if a == nil {
		return &compareNode{}
	}
	return take(&a.compares)
}

func (a *nodeAlloc) in() *inNode {
	if a == nil {
		return &inNode{}
	}
	return take(&a.ins)
}

// take is the first node of *room, which it then leaves out, or a new
// one when *room is empty.
func take[T any](room *[]T) *T {
	if len(*room) == 0 {
		return new(T)
	}
	n := &(*room)[0]
	*room = (*room)[1:]
	return n
}

// items is a list's n items.
func (a *nodeAlloc) items(n int) []*wardenv1.Predicate {
	if a == nil || len(a.refs) < n {
		return make([]*wardenv1.Predicate, n)
	}
	s := a.refs[:n:n]
	a.refs = a.refs[n:]
	return s
}
