package server

import (
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// A Filter answer's trees (predicate, check, column conditions) written
// in their wire form straight from the residual trees and the values,
// without building the API's tree first: the bytes proto.Marshal writes
// for the tree predicateConv builds from the same input. Building that
// tree was nearly a fifth of the Filter handler's CPU (wardenbench's
// profile), only for the codec to walk it once more and drop it.
//
// The answer then leaves its trees out of the FilterResponse and keeps
// their bytes beside it (filterResponseNode.trees). Only the Filter RPC
// does so, and only for a call whose reply reaches the codec as the
// node itself (decodeSlot.filter, guard): interceptors, grpc-go's
// binary log and stats handlers see a proto.Message whose trees are put
// back in (decoded from the bytes) the first time it is read. Anything
// the writer does not take makes the answer build its trees as before,
// which also reports any error conv reports: a value it does not write
// (a map, text not in UTF-8, a Go type other than JSON's), a JSON
// column's comparison or in-list (value_json), node kinds other than
// the response writer's (wirefilterresp.go), a Param without a value.

// treesInWire stands for the predicate of a response that leaves its
// trees out, so that such a response is never written without them: the
// writer declines it and the codec refuses it (an error, not an answer
// without its predicate) unless it comes with its trees.
var treesInWire = &wardenv1.Predicate{}

// treeWire holds an answer's trees in their wire form: each the bytes of
// a Predicate message, without tag and length. pred is nil when the
// answer has its trees as messages.
type treeWire struct {
	pred, check []byte
	// cols are the column conditions' predicates, in the response's
	// order.
	cols [][]byte
}

// col is the i-th column condition's predicate (nil: none, or no trees).
func (t *treeWire) col(i int) []byte {
	if t == nil || i >= len(t.cols) {
		return nil
	}
	return t.cols[i]
}

// write writes the trees conv builds from pred, check and the conditions
// of cols (conds), with plans (nil: none), into t, and says whether it
// did: false leaves t empty, for conv to build them.
func (t *treeWire) write(conv predicateConv, pred, check residual.Expr, conds map[string]residual.Expr, cols []string, plans *answerPlans) bool {
	w := wireSizesPool.Get().(*wireSizes)
	defer w.release()
	pw := &planWriter{w: w, c: conv}
	// Every tree sized, then written in the same order into one buffer.
	exprs := make([]residual.Expr, 0, 8)
	nodes := make([]*planNode, 0, 8)
	exprs, nodes = append(exprs, pred), append(nodes, plans.predPlan().rootNode())
	if check != nil {
		exprs, nodes = append(exprs, check), append(nodes, plans.checkPlan().rootNode())
	}
	for _, col := range cols {
		cond, ok := conds[col]
		if !ok {
			return false
		}
		exprs, nodes = append(exprs, cond), append(nodes, plans.colPlan(col).rootNode())
	}
	total := 0
	for i, e := range exprs {
		n := pw.sizePredicate(e, nodes[i])
		if n < 0 {
			return false
		}
		total += n
	}
	buf := make([]byte, 0, total)
	next := 0
	tree := func() []byte {
		start := len(buf)
		buf = pw.appendPredicate(buf, exprs[next], nodes[next])
		next++
		return buf[start:len(buf):len(buf)]
	}
	t.pred = tree()
	if check != nil {
		t.check = tree()
	}
	if len(cols) > 0 {
		t.cols = make([][]byte, len(cols))
		for i := range t.cols {
			t.cols[i] = tree()
		}
	}
	if len(buf) != total {
		*t = treeWire{}
		return false
	}
	return true
}

// rootNode is the plan's root (nil: no plan).
func (t *treePlan) rootNode() *planNode {
	if t == nil {
		return nil
	}
	return t.root
}

// planWriter writes the wire form of the tree c.conv builds, with the
// wire writer's two passes (wireSizes). Each size* is -1 where conv
// would fail or the writer does not take the node.
type planWriter struct {
	w *wireSizes
	c predicateConv
}

func (p *planWriter) sizePredicate(e residual.Expr, pn *planNode) int {
	k := p.w.open()
	n := -1
	switch x := e.(type) {
	case residual.True, residual.False:
		n = tagSize(1) + 1
	case residual.And:
		n = msgSize(2, p.sizeList(x.Items, pn))
	case residual.Or:
		n = msgSize(3, p.sizeList(x.Items, pn))
	case residual.Not:
		n = msgSize(4, p.sizePredicate(x.Item, pn.kid(0, 1)))
	case residual.Compare:
		n = msgSize(5, p.sizeComparison(x, pn))
	case residual.IsNull:
		n = p.sizeColumn(6, x.Column, pn)
	case residual.In:
		n = msgSize(7, p.sizeInList(x, pn))
	case residual.Exists:
		n = msgSize(10, p.sizeExists(x, pn))
	}
	return p.w.close(k, n)
}

func (p *planWriter) appendPredicate(b []byte, e residual.Expr, pn *planNode) []byte {
	w := p.w
	w.next()
	switch x := e.(type) {
	case residual.True:
		return appendBoolAlways(b, 1, true)
	case residual.False:
		return appendBoolAlways(b, 1, false)
	case residual.And:
		return p.appendList(w.head(b, 2), x.Items, pn)
	case residual.Or:
		return p.appendList(w.head(b, 3), x.Items, pn)
	case residual.Not:
		return p.appendPredicate(w.head(b, 4), x.Item, pn.kid(0, 1))
	case residual.Compare:
		return p.appendComparison(w.head(b, 5), x, pn)
	case residual.IsNull:
		return p.appendColumn(b, 6, x.Column, pn)
	case residual.In:
		return p.appendInList(w.head(b, 7), x, pn)
	case residual.Exists:
		return p.appendExists(w.head(b, 10), x, pn)
	}
	return b
}

// sizeList is the size of the PredicateList of items.
func (p *planWriter) sizeList(items []residual.Expr, pn *planNode) int {
	k := p.w.open()
	n := 0
	for i, it := range items {
		n = add(n, msgSize(1, p.sizePredicate(it, pn.kid(i, len(items)))))
	}
	return p.w.close(k, n)
}

func (p *planWriter) appendList(b []byte, items []residual.Expr, pn *planNode) []byte {
	p.w.next()
	for i, it := range items {
		b = p.appendPredicate(p.w.head(b, 1), it, pn.kid(i, len(items)))
	}
	return b
}

// sizeColumn is the size of field num, the ColumnRef of c: written
// already in the plan when pn has it (planNode.written), else here.
func (p *planWriter) sizeColumn(num protowire.Number, c residual.Column, pn *planNode) int {
	if written := pn.written(c); written != nil {
		return msgSize(num, len(written))
	}
	return msgSize(num, p.w.sizeColumn(columnFieldsOf(c)))
}

func (p *planWriter) appendColumn(b []byte, num protowire.Number, c residual.Column, pn *planNode) []byte {
	if written := pn.written(c); written != nil {
		return appendWritten(b, num, written)
	}
	return p.w.appendColumn(p.w.head(b, num), columnFieldsOf(c))
}

// comparisonRight is a Comparison's right side as conv makes it:
// another column (isCol), a clock word (isClock) or a value.
type comparisonRight struct {
	col            residual.Column
	clock          wardenv1.ClockWord
	v              any
	isCol, isClock bool
}

// right is x's right side; ok is false where conv fails (no value), and
// for a value compared with a JSON column (whose value_json this writer
// does not write).
func (p *planWriter) right(x residual.Compare, pn *planNode) (r comparisonRight, ok bool) {
	if c, isCol := x.Right.(residual.Column); isCol {
		return comparisonRight{col: c, isCol: true}, true
	}
	v, ok := p.c.value(x.Right, pn)
	if !ok {
		return r, false
	}
	if clk, isClock := v.V.(residual.Clock); isClock {
		return comparisonRight{clock: clockWords[clk.Word], isClock: true}, true
	}
	return comparisonRight{v: v.V}, x.Left.Kind != model.KindJSONB
}

func (p *planWriter) sizeComparison(x residual.Compare, pn *planNode) int {
	k := p.w.open()
	r, ok := p.right(x, pn)
	if !ok {
		return -1
	}
	n := add(varintSize(1, uint64(cmpOpToProto(x.Op))), p.sizeColumn(2, x.Left, pn))
	switch {
	case r.isCol:
		n = add(n, p.sizeColumn(3, r.col, pn))
	case r.isClock:
		n = add(n, clockSize(r.clock))
	default:
		n = add(n, msgSize(4, p.sizeValue(r.v)))
	}
	return p.w.close(k, n)
}

func (p *planWriter) appendComparison(b []byte, x residual.Compare, pn *planNode) []byte {
	w := p.w
	w.next()
	r, _ := p.right(x, pn)
	b = appendVarint(b, 1, uint64(cmpOpToProto(x.Op)))
	b = p.appendColumn(b, 2, x.Left, pn)
	switch {
	case r.isCol:
		return p.appendColumn(b, 3, r.col, pn)
	case r.isClock:
		return appendClock(b, r.clock)
	}
	return p.appendValue(w.head(b, 4), r.v)
}

// inItems are an in-list's values: a list (conv's error otherwise), of a
// column that is not JSON (whose values_json this writer does not
// write).
func (p *planWriter) inItems(x residual.In, pn *planNode) ([]any, bool) {
	v, ok := p.c.value(x.List, pn)
	items, isList := v.V.([]any)
	return items, ok && isList && x.Column.Kind != model.KindJSONB
}

func (p *planWriter) sizeInList(x residual.In, pn *planNode) int {
	k := p.w.open()
	items, ok := p.inItems(x, pn)
	if !ok {
		return -1
	}
	n := add(p.sizeColumn(1, x.Column, pn), msgSize(2, p.sizeValues(items)))
	return p.w.close(k, n)
}

func (p *planWriter) appendInList(b []byte, x residual.In, pn *planNode) []byte {
	w := p.w
	w.next()
	items, _ := p.inItems(x, pn)
	b = p.appendColumn(b, 1, x.Column, pn)
	return p.appendValues(w.head(b, 2), items)
}

func (p *planWriter) sizeExists(x residual.Exists, pn *planNode) int {
	k := p.w.open()
	table, function := existsNames(x, pn)
	n := add(strSize(1, table), strSize(2, x.Relationship))
	n = add(n, strSize(5, function))
	for _, pair := range x.On {
		n = add(n, pairSize(pair.Local, pair.Remote))
	}
	n = add(n, msgSize(4, p.sizePredicate(x.Where, pn.kid(0, 1))))
	return p.w.close(k, n)
}

func (p *planWriter) appendExists(b []byte, x residual.Exists, pn *planNode) []byte {
	w := p.w
	w.next()
	table, function := existsNames(x, pn)
	b = appendStr(b, 1, table)
	b = appendStr(b, 2, x.Relationship)
	for _, pair := range x.On {
		b = appendPair(b, pair.Local, pair.Remote)
	}
	b = p.appendPredicate(w.head(b, 4), x.Where, pn.kid(0, 1))
	return appendStr(b, 5, function)
}

// sizeValue is the size of the Value protoValue makes of v, for the
// values the writer takes: null, a number, text, a bool, a list of them.
func (p *planWriter) sizeValue(v any) int {
	k := p.w.open()
	n := -1
	switch x := v.(type) {
	case nil, model.JSONNullValue:
		n = tagSize(1) + 1
	case json.Number:
		if _, s, isNum := protoNumber(x); isNum {
			n = numberSize
		} else {
			n = strAlways(3, s)
		}
	case string:
		n = strAlways(3, x)
	case bool:
		n = tagSize(4) + 1
	case []any:
		n = msgSize(6, p.sizeValues(x))
	}
	return p.w.close(k, n)
}

func (p *planWriter) appendValue(b []byte, v any) []byte {
	p.w.next()
	switch x := v.(type) {
	case nil, model.JSONNullValue:
		return appendVarintAlways(b, 1, 0)
	case json.Number:
		f, s, isNum := protoNumber(x)
		if isNum {
			return appendNumber(b, f)
		}
		return appendStrAlways(b, 3, s)
	case string:
		return appendStrAlways(b, 3, x)
	case bool:
		return appendBoolAlways(b, 4, x)
	case []any:
		return p.appendValues(p.w.head(b, 6), x)
	}
	return b
}

// sizeValues is the size of the ListValue of items.
func (p *planWriter) sizeValues(items []any) int {
	k := p.w.open()
	n := 0
	for _, it := range items {
		n = add(n, msgSize(1, p.sizeValue(it)))
	}
	return p.w.close(k, n)
}

func (p *planWriter) appendValues(b []byte, items []any) []byte {
	p.w.next()
	for _, it := range items {
		b = p.appendValue(p.w.head(b, 1), it)
	}
	return b
}

// marshal is the node's wire form as grpc-go's proto codec buffers it:
// from its trees' bytes while it has them, else as any FilterResponse.
func (n *filterResponseNode) marshal(c *holdingCodec) (mem.BufferSlice, error) {
	if !c.protoResponses.Load() {
		n.mu.Lock()
		var trees *treeWire
		if n.trees.pred != nil {
			trees = &n.trees
		}
		data, ok := marshalFilterWire(&n.resp, trees)
		n.mu.Unlock()
		if ok {
			return data, nil
		}
	}
	if err := n.materialize(); err != nil {
		return nil, err
	}
	return c.base.Marshal(&n.resp)
}

// hollow says whether the response leaves its trees out (n.trees has
// them).
func (n *filterResponseNode) hollow() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.trees.pred != nil
}

// materialize puts the trees back into the response, decoded from their
// bytes: what the client decodes.
func (n *filterResponseNode) materialize() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	t := &n.trees
	if t.pred == nil {
		return nil
	}
	if len(t.cols) != len(n.resp.ColumnConditions) {
		return errors.New("internal error: filter answer: column conditions and their trees differ")
	}
	decode := func(b []byte) (*wardenv1.Predicate, error) {
		p := &wardenv1.Predicate{}
		if err := proto.Unmarshal(b, p); err != nil {
			return nil, fmt.Errorf("internal error: filter answer: a tree written does not decode: %w", err)
		}
		return p, nil
	}
	pred, err := decode(t.pred)
	if err != nil {
		return err
	}
	var check *wardenv1.Predicate
	if t.check != nil {
		if check, err = decode(t.check); err != nil {
			return err
		}
	}
	cols := make([]*wardenv1.Predicate, len(t.cols))
	for i, b := range t.cols {
		if cols[i], err = decode(b); err != nil {
			return err
		}
	}
	n.resp.Predicate, n.resp.Check = pred, check // treesInWire replaced
	for i, p := range cols {
		n.resp.ColumnConditions[i].Predicate = p
	}
	*t = treeWire{}
	return nil
}

// ProtoReflect makes the node the proto.Message of its response, trees
// put back first: what reads the reply besides the codec (an
// interceptor, grpc-go's binary log or stats handlers) reads the answer
// whole.
func (n *filterResponseNode) ProtoReflect() protoreflect.Message {
	if err := n.materialize(); err != nil {
		// Not reached: the bytes are proto.Marshal's (wiretrees_test.go).
		// Never a response read without its trees.
		panic(err)
	}
	return n.resp.ProtoReflect()
}
