package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"

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
//
// One pass: a message's length is written after its content, in the one
// byte kept for it before, the content moved up when the length needs
// more (a message of 128 bytes or more, rare in a tree). Sizing every
// node first, as protobuf does, walked every tree twice: the one pass
// took 24% less time (BenchmarkFilterTreesWire).
func (t *treeWire) write(conv predicateConv, pred, check residual.Expr, conds map[string]residual.Expr, cols []string, plans *answerPlans) bool {
	sp := treeBufPool.Get().(*[]byte)
	defer func() {
		if cap(*sp) <= maxPooledBytes {
			treeBufPool.Put(sp)
		}
	}()
	pw := planWriter{c: conv, ok: true}
	buf := (*sp)[:0]
	// ends[i] is where tree i ends in buf.
	var room [8]int
	ends := room[:0]
	buf = pw.predicate(buf, pred, plans.predPlan().rootNode())
	ends = append(ends, len(buf))
	if check != nil {
		buf = pw.predicate(buf, check, plans.checkPlan().rootNode())
		ends = append(ends, len(buf))
	}
	for _, col := range cols {
		cond, ok := conds[col]
		if !ok {
			return false
		}
		buf = pw.predicate(buf, cond, plans.colPlan(col).rootNode())
		ends = append(ends, len(buf))
		if !pw.ok {
			break
		}
	}
	*sp = buf[:0]
	if !pw.ok {
		return false
	}
	// The trees are kept with the answer: one allocation of their size.
	out := make([]byte, len(buf))
	copy(out, buf)
	start := 0
	tree := func() []byte {
		b := out[start:ends[0]:ends[0]]
		start, ends = ends[0], ends[1:]
		return b
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
	return true
}

// treeBufPool recycles the buffer the trees are written in before they
// are copied out at their size.
var treeBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// openMsg writes the tag of field num, a message, and one byte for its
// length; closeMsg, given what openMsg returned, writes the length.
func openMsg(b []byte, num protowire.Number) ([]byte, int) {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = append(b, 0)
	return b, len(b)
}

// closeMsg writes the length of the message whose content starts at
// start (openMsg): in its byte when under 128, else the content is moved
// up to make room for a longer varint (protobuf's minimal one).
func closeMsg(b []byte, start int) []byte {
	n := len(b) - start
	if n < 0x80 {
		b[start-1] = byte(n)
		return b
	}
	extra := protowire.SizeVarint(uint64(n)) - 1
	b = append(b, make([]byte, extra)...)
	copy(b[start+extra:], b[start:start+n])
	protowire.AppendVarint(b[:start-1], uint64(n))
	return b
}

// rootNode is the plan's root (nil: no plan).
func (t *treePlan) rootNode() *planNode {
	if t == nil {
		return nil
	}
	return t.root
}

// planWriter writes the wire form of the tree c.conv builds; ok turns
// false where conv would fail or the writer does not take the node (what
// it wrote is then dropped).
type planWriter struct {
	c  predicateConv
	ok bool
}

// fail marks the trees not taken, and returns b.
func (p *planWriter) fail(b []byte) []byte {
	p.ok = false
	return b
}

// predicate writes the content of the Predicate of e.
func (p *planWriter) predicate(b []byte, e residual.Expr, pn *planNode) []byte {
	var s int
	switch x := e.(type) {
	case residual.True:
		return appendBoolAlways(b, 1, true)
	case residual.False:
		return appendBoolAlways(b, 1, false)
	case residual.And:
		return p.list(b, 2, x.Items, pn)
	case residual.Or:
		return p.list(b, 3, x.Items, pn)
	case residual.Not:
		b, s = openMsg(b, 4)
		b = p.predicate(b, x.Item, pn.kid(0, 1))
	case residual.Compare:
		b, s = openMsg(b, 5)
		b = p.comparison(b, x, pn)
	case residual.IsNull:
		return p.column(b, 6, x.Column, pn)
	case residual.In:
		b, s = openMsg(b, 7)
		b = p.inList(b, x, pn)
	case residual.Exists:
		b, s = openMsg(b, 10)
		b = p.exists(b, x, pn)
	default:
		return p.fail(b)
	}
	return closeMsg(b, s)
}

// list writes field num, the PredicateList of items.
func (p *planWriter) list(b []byte, num protowire.Number, items []residual.Expr, pn *planNode) []byte {
	b, s := openMsg(b, num)
	for i, it := range items {
		var si int
		b, si = openMsg(b, 1)
		b = closeMsg(p.predicate(b, it, pn.kid(i, len(items))), si)
	}
	return closeMsg(b, s)
}

// column writes field num, the ColumnRef of c: written already in the
// plan when pn has it (planNode.written), else here.
func (p *planWriter) column(b []byte, num protowire.Number, c residual.Column, pn *planNode) []byte {
	if written := pn.written(c); written != nil {
		return appendWritten(b, num, written)
	}
	out, ok := columnFieldsOf(c).appendField(b, num)
	if !ok {
		return p.fail(b)
	}
	return out
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

// comparison writes the content of the Comparison of x.
func (p *planWriter) comparison(b []byte, x residual.Compare, pn *planNode) []byte {
	r, ok := p.right(x, pn)
	if !ok {
		return p.fail(b)
	}
	b = appendVarint(b, 1, uint64(cmpOpToProto(x.Op)))
	b = p.column(b, 2, x.Left, pn)
	switch {
	case r.isCol:
		return p.column(b, 3, r.col, pn)
	case r.isClock:
		return appendClock(b, r.clock)
	}
	b, s := openMsg(b, 4)
	return closeMsg(p.value(b, r.v), s)
}

// inItems are an in-list's values: a list (conv's error otherwise), of a
// column that is not JSON (whose values_json this writer does not
// write).
func (p *planWriter) inItems(x residual.In, pn *planNode) ([]any, bool) {
	v, ok := p.c.value(x.List, pn)
	items, isList := v.V.([]any)
	return items, ok && isList && x.Column.Kind != model.KindJSONB
}

// inList writes the content of the InList of x.
func (p *planWriter) inList(b []byte, x residual.In, pn *planNode) []byte {
	items, ok := p.inItems(x, pn)
	if !ok {
		return p.fail(b)
	}
	b = p.column(b, 1, x.Column, pn)
	b, s := openMsg(b, 2)
	return closeMsg(p.values(b, items), s)
}

// exists writes the content of the ExistsPredicate of x.
func (p *planWriter) exists(b []byte, x residual.Exists, pn *planNode) []byte {
	table, function := existsNames(x, pn)
	if !utf8.ValidString(table) || !utf8.ValidString(x.Relationship) || !utf8.ValidString(function) {
		return p.fail(b)
	}
	b = appendStr(b, 1, table)
	b = appendStr(b, 2, x.Relationship)
	for _, pair := range x.On {
		if !utf8.ValidString(pair.Local) || !utf8.ValidString(pair.Remote) {
			return p.fail(b)
		}
		b = appendPair(b, pair.Local, pair.Remote)
	}
	b, s := openMsg(b, 4)
	b = closeMsg(p.predicate(b, x.Where, pn.kid(0, 1)), s)
	return appendStr(b, 5, function)
}

// value writes the content of the Value protoValue makes of v, for the
// values the writer takes: null, a number, text, a bool, a list of them.
func (p *planWriter) value(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil, model.JSONNullValue:
		return appendVarintAlways(b, 1, 0)
	case json.Number:
		f, s, isNum := protoNumber(x)
		if isNum {
			return appendNumber(b, f)
		}
		if !utf8.ValidString(s) {
			return p.fail(b)
		}
		return appendStrAlways(b, 3, s)
	case string:
		if !utf8.ValidString(x) {
			return p.fail(b)
		}
		return appendStrAlways(b, 3, x)
	case bool:
		return appendBoolAlways(b, 4, x)
	case []any:
		b, s := openMsg(b, 6)
		return closeMsg(p.values(b, x), s)
	}
	return p.fail(b)
}

// values writes the content of the ListValue of items.
func (p *planWriter) values(b []byte, items []any) []byte {
	for _, it := range items {
		var s int
		b, s = openMsg(b, 1)
		b = closeMsg(p.value(b, it), s)
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
