package server

import (
	"math"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// The wire form of a FilterResponse, written without protobuf's
// reflection: the bytes proto.Marshal writes (fields in number order, a
// oneof's after the others, proto3 zero values left out, oneof members
// and optional fields written when set), for the messages a Filter
// answer is made of. Anything else (presets, an explanation, unknown
// fields, a node kind or value this writer does not write, a string
// that is not UTF-8, a nil message in a oneof or a list) is declined:
// the caller marshals with protobuf, which also reports any error.
//
// One pass, as the trees' writer (wiretrees.go): a message's length is
// written after its content (openMsg, closeMsg).

// respWriter writes a FilterResponse; ok turns false where it declines
// (what it wrote is then dropped).
type respWriter struct{ ok bool }

// marshalFilterResponse appends m's wire form to b; ok is false when the
// writer does not take m (b is then returned as it was).
func marshalFilterResponse(b []byte, m *wardenv1.FilterResponse) (out []byte, ok bool) {
	w := respWriter{ok: true}
	out = w.filterResponse(b, m, nil)
	if !w.ok {
		return b, false
	}
	return out, true
}

// respBufPool recycles the buffers responses are written in before they
// are copied to the transport's buffer at their size.
var respBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func (w *respWriter) fail(b []byte) []byte {
	w.ok = false
	return b
}

// unknown says whether m holds unknown fields (which the writer leaves to
// protobuf).
func unknown(m proto.Message) bool { return len(m.ProtoReflect().GetUnknown()) > 0 }

// str writes a string field when not empty (proto3), declining text that
// is not UTF-8; strAlways writes it even when empty (a oneof member, a
// list's element).
func (w *respWriter) str(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return w.strAlways(b, num, s)
}

func (w *respWriter) strAlways(b []byte, num protowire.Number, s string) []byte {
	if !utf8.ValidString(s) {
		return w.fail(b)
	}
	return appendStrAlways(b, num, s)
}

func appendStr(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return appendStrAlways(b, num, s)
}

func appendStrAlways(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	return appendVarintAlways(b, num, v)
}

// appendVarintAlways appends a varint field written even when zero (a
// oneof member, an optional field).
func appendVarintAlways(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendBool(b []byte, num protowire.Number, v bool) []byte {
	if !v {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return append(b, 1)
}

func appendBoolAlways(b []byte, num protowire.Number, v bool) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendWritten appends a message field whose message is written
// already (its bytes, without tag and length).
func appendWritten(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

// filterResponse writes m with trees (nil: none) in place of its trees,
// which m must then leave out, its predicate treesInWire (declined
// otherwise: one tree or the other, never both, one written for each
// column condition; and treesInWire without trees).
func (w *respWriter) filterResponse(b []byte, m *wardenv1.FilterResponse, trees *treeWire) []byte {
	if m.Presets != nil || m.Explanation != nil || unknown(m) {
		return w.fail(b)
	}
	if trees != nil {
		if m.Predicate != treesInWire || m.Check != nil || trees.pred == nil || len(trees.cols) != len(m.ColumnConditions) {
			return w.fail(b)
		}
	} else if m.Predicate == treesInWire {
		return w.fail(b)
	}
	b = appendVarint(b, 1, uint64(m.Kind))
	b = w.str(b, 2, m.Revision)
	var s int
	if trees != nil {
		b = appendWritten(b, 3, trees.pred)
		if trees.check != nil {
			b = appendWritten(b, 4, trees.check)
		}
	} else {
		if m.Predicate != nil {
			b, s = openMsg(b, 3)
			b = closeMsg(w.predicate(b, m.Predicate), s)
		}
		if m.Check != nil {
			b, s = openMsg(b, 4)
			b = closeMsg(w.predicate(b, m.Check), s)
		}
	}
	for _, c := range m.Columns {
		b = w.strAlways(b, 5, c)
	}
	for i, c := range m.ColumnConditions {
		if c == nil {
			return w.fail(b)
		}
		b, s = openMsg(b, 6)
		b = closeMsg(w.columnCondition(b, c, trees.col(i)), s)
	}
	if m.Limit != nil {
		b = appendVarintAlways(b, 7, uint64(int64(*m.Limit)))
	}
	b = appendBool(b, 8, m.AllowAggregations)
	if m.Sql != nil {
		b, s = openMsg(b, 10)
		b = closeMsg(w.sqlFilter(b, m.Sql), s)
	}
	b = w.str(b, 11, m.Role)
	b = w.str(b, 12, m.DecisionId)
	b = w.str(b, 13, m.Reason)
	for _, c := range m.ComputedFields {
		b = w.strAlways(b, 14, c)
	}
	for _, c := range m.JsonNullPresets {
		b = w.strAlways(b, 15, c)
	}
	return b
}

// columnCondition writes m with the predicate pred, written already
// (nil: m's own), in place of m's, which m must then leave out.
func (w *respWriter) columnCondition(b []byte, m *wardenv1.ColumnCondition, pred []byte) []byte {
	if unknown(m) || (pred != nil && m.Predicate != nil) {
		return w.fail(b)
	}
	b = w.str(b, 1, m.Column)
	if pred != nil {
		b = appendWritten(b, 2, pred)
	}
	var s int
	if m.Predicate != nil {
		b, s = openMsg(b, 2)
		b = closeMsg(w.predicate(b, m.Predicate), s)
	}
	if m.Sql != nil {
		b, s = openMsg(b, 3)
		b = closeMsg(w.sqlFragment(b, m.Sql), s)
	}
	return b
}

// predicate writes the content of m.
func (w *respWriter) predicate(b []byte, m *wardenv1.Predicate) []byte {
	if unknown(m) {
		return w.fail(b)
	}
	var s int
	switch x := m.Node.(type) {
	case nil:
		return b
	case *wardenv1.Predicate_Constant:
		return appendBoolAlways(b, 1, x.Constant)
	case *wardenv1.Predicate_All:
		if x.All == nil {
			return w.fail(b)
		}
		b, s = openMsg(b, 2)
		b = w.predicateList(b, x.All)
	case *wardenv1.Predicate_Any:
		if x.Any == nil {
			return w.fail(b)
		}
		b, s = openMsg(b, 3)
		b = w.predicateList(b, x.Any)
	case *wardenv1.Predicate_Negation:
		if x.Negation == nil {
			return w.fail(b)
		}
		b, s = openMsg(b, 4)
		b = w.predicate(b, x.Negation)
	case *wardenv1.Predicate_Comparison:
		if x.Comparison == nil {
			return w.fail(b)
		}
		b, s = openMsg(b, 5)
		b = w.comparison(b, x.Comparison)
	case *wardenv1.Predicate_IsNull:
		if x.IsNull == nil {
			return w.fail(b)
		}
		return w.columnRef(b, 6, x.IsNull)
	case *wardenv1.Predicate_InList:
		if x.InList == nil {
			return w.fail(b)
		}
		b, s = openMsg(b, 7)
		b = w.inList(b, x.InList)
	case *wardenv1.Predicate_Exists:
		if x.Exists == nil {
			return w.fail(b)
		}
		b, s = openMsg(b, 10)
		b = w.exists(b, x.Exists)
	default:
		return w.fail(b)
	}
	return closeMsg(b, s)
}

func (w *respWriter) predicateList(b []byte, m *wardenv1.PredicateList) []byte {
	if unknown(m) {
		return w.fail(b)
	}
	for _, it := range m.Items {
		if it == nil {
			return w.fail(b)
		}
		var s int
		b, s = openMsg(b, 1)
		b = closeMsg(w.predicate(b, it), s)
	}
	return b
}

// columnRef writes field num, the ColumnRef m.
func (w *respWriter) columnRef(b []byte, num protowire.Number, m *wardenv1.ColumnRef) []byte {
	if unknown(m) {
		return w.fail(b)
	}
	out, ok := refFields(m).appendField(b, num)
	if !ok {
		return w.fail(b)
	}
	return out
}

// columnFields are a ColumnRef's fields: a message's (refFields) or a
// template's column's (columnFieldsOf).
type columnFields struct {
	name, function string
	root, lower    bool
	kind           wardenv1.ColumnKind
	padTo          uint32
}

func refFields(m *wardenv1.ColumnRef) columnFields {
	return columnFields{name: m.Name, function: m.Function, root: m.Root, lower: m.Lower, kind: m.Kind, padTo: m.PadTo}
}

// size is the size of the ColumnRef of c (-1: not UTF-8).
func (c columnFields) size() int {
	if !utf8.ValidString(c.name) || !utf8.ValidString(c.function) {
		return -1
	}
	n := 0
	if c.name != "" {
		n += protowire.SizeTag(1) + protowire.SizeBytes(len(c.name))
	}
	if c.function != "" {
		n += protowire.SizeTag(6) + protowire.SizeBytes(len(c.function))
	}
	if c.root {
		n += 2
	}
	if c.kind != 0 {
		n += 1 + protowire.SizeVarint(uint64(c.kind))
	}
	if c.lower {
		n += 2
	}
	if c.padTo != 0 {
		n += 1 + protowire.SizeVarint(uint64(c.padTo))
	}
	return n
}

// appendField writes field num, the ColumnRef of c; ok is false (b
// returned as it was) when a name is not UTF-8.
func (c columnFields) appendField(b []byte, num protowire.Number) (out []byte, ok bool) {
	n := c.size()
	if n < 0 {
		return b, false
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	return c.append(b), true
}

func (c columnFields) append(b []byte) []byte {
	b = appendStr(b, 1, c.name)
	b = appendBool(b, 2, c.root)
	b = appendVarint(b, 3, uint64(c.kind))
	b = appendBool(b, 4, c.lower)
	b = appendVarint(b, 5, uint64(c.padTo))
	return appendStr(b, 6, c.function)
}

// comparison writes the content of m.
func (w *respWriter) comparison(b []byte, m *wardenv1.Comparison) []byte {
	if unknown(m) {
		return w.fail(b)
	}
	b = appendVarint(b, 1, uint64(m.Operator))
	if m.Column != nil {
		b = w.columnRef(b, 2, m.Column)
	}
	// A oneof's fields after the others (protobuf's order, as the
	// golang/protobuf module wrote it).
	b = w.str(b, 5, m.ValueJson)
	switch x := m.Right.(type) {
	case nil:
	case *wardenv1.Comparison_OtherColumn:
		if x.OtherColumn == nil {
			return w.fail(b)
		}
		b = w.columnRef(b, 3, x.OtherColumn)
	case *wardenv1.Comparison_Value:
		if x.Value == nil {
			return w.fail(b)
		}
		b, s := openMsg(b, 4)
		b = closeMsg(w.value(b, x.Value), s)
		return b
	case *wardenv1.Comparison_Clock:
		if x.Clock == nil || unknown(x.Clock) {
			return w.fail(b)
		}
		b = appendClock(b, x.Clock.Word)
	default:
		return w.fail(b)
	}
	return b
}

// appendClock writes a Comparison's clock field (a ClockValue of word).
func appendClock(b []byte, word wardenv1.ClockWord) []byte {
	b = protowire.AppendTag(b, 6, protowire.BytesType)
	if word == 0 {
		return append(b, 0)
	}
	b = protowire.AppendVarint(b, uint64(1+protowire.SizeVarint(uint64(word))))
	return appendVarintAlways(b, 1, uint64(word))
}

// inList writes the content of m.
func (w *respWriter) inList(b []byte, m *wardenv1.InList) []byte {
	if unknown(m) {
		return w.fail(b)
	}
	if m.Column != nil {
		b = w.columnRef(b, 1, m.Column)
	}
	if m.Values != nil {
		var s int
		b, s = openMsg(b, 2)
		b = closeMsg(w.listValue(b, m.Values), s)
	}
	for _, v := range m.ValuesJson {
		b = w.strAlways(b, 3, v)
	}
	return b
}

// exists writes the content of m.
func (w *respWriter) exists(b []byte, m *wardenv1.ExistsPredicate) []byte {
	if unknown(m) {
		return w.fail(b)
	}
	b = w.str(b, 1, m.Table)
	b = w.str(b, 2, m.Relationship)
	for _, p := range m.On {
		if p == nil || unknown(p) || !utf8.ValidString(p.Local) || !utf8.ValidString(p.Remote) {
			return w.fail(b)
		}
		b = appendPair(b, p.Local, p.Remote)
	}
	if m.Where != nil {
		var s int
		b, s = openMsg(b, 4)
		b = closeMsg(w.predicate(b, m.Where), s)
	}
	return w.str(b, 5, m.Function)
}

// appendPair writes an ExistsPredicate's on field (a ColumnPair) of
// names in UTF-8.
func appendPair(b []byte, local, remote string) []byte {
	n := 0
	if local != "" {
		n += 1 + protowire.SizeBytes(len(local))
	}
	if remote != "" {
		n += 1 + protowire.SizeBytes(len(remote))
	}
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	b = appendStr(b, 1, local)
	return appendStr(b, 2, remote)
}

// value writes the content of m.
func (w *respWriter) value(b []byte, m *structpb.Value) []byte {
	if unknown(m) {
		return w.fail(b)
	}
	switch x := m.Kind.(type) {
	case nil:
		return b
	case *structpb.Value_NullValue:
		return appendVarintAlways(b, 1, uint64(x.NullValue))
	case *structpb.Value_NumberValue:
		return appendNumber(b, x.NumberValue)
	case *structpb.Value_StringValue:
		return w.strAlways(b, 3, x.StringValue)
	case *structpb.Value_BoolValue:
		return appendBoolAlways(b, 4, x.BoolValue)
	case *structpb.Value_ListValue:
		if x.ListValue == nil {
			return w.fail(b)
		}
		b, s := openMsg(b, 6)
		return closeMsg(w.listValue(b, x.ListValue), s)
	}
	return w.fail(b)
}

func appendNumber(b []byte, f float64) []byte {
	b = protowire.AppendTag(b, 2, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, math.Float64bits(f))
}

// listValue writes the content of m.
func (w *respWriter) listValue(b []byte, m *structpb.ListValue) []byte {
	if unknown(m) {
		return w.fail(b)
	}
	for _, v := range m.Values {
		if v == nil {
			return w.fail(b)
		}
		var s int
		b, s = openMsg(b, 1)
		b = closeMsg(w.value(b, v), s)
	}
	return b
}

// sqlFilter writes the content of m.
func (w *respWriter) sqlFilter(b []byte, m *wardenv1.SqlFilter) []byte {
	if unknown(m) {
		return w.fail(b)
	}
	b = appendVarint(b, 1, uint64(m.Dialect))
	var s int
	if m.Where != nil {
		b, s = openMsg(b, 2)
		b = closeMsg(w.sqlFragment(b, m.Where), s)
	}
	if m.Check != nil {
		b, s = openMsg(b, 3)
		b = closeMsg(w.sqlFragment(b, m.Check), s)
	}
	return b
}

// sqlFragment writes the content of m.
func (w *respWriter) sqlFragment(b []byte, m *wardenv1.SqlFragment) []byte {
	if unknown(m) {
		return w.fail(b)
	}
	b = w.str(b, 1, m.Sql)
	for _, p := range m.Parameters {
		if p == nil {
			return w.fail(b)
		}
		var s int
		b, s = openMsg(b, 2)
		b = closeMsg(w.sqlParameter(b, p), s)
	}
	return b
}

// sqlParameter writes the content of m.
func (w *respWriter) sqlParameter(b []byte, m *wardenv1.SqlParameter) []byte {
	if unknown(m) {
		return w.fail(b)
	}
	switch x := m.Value.(type) {
	case nil:
		return b
	case *wardenv1.SqlParameter_Text:
		return w.strAlways(b, 1, x.Text)
	case *wardenv1.SqlParameter_Integer:
		return appendVarintAlways(b, 2, uint64(x.Integer))
	case *wardenv1.SqlParameter_Boolean:
		return appendBoolAlways(b, 3, x.Boolean)
	case *wardenv1.SqlParameter_Real:
		b = protowire.AppendTag(b, 4, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(x.Real))
	case *wardenv1.SqlParameter_Array:
		if x.Array == nil {
			return w.fail(b)
		}
		b, s := openMsg(b, 5)
		return closeMsg(w.sqlArray(b, x.Array), s)
	}
	return w.fail(b)
}

// sqlArray writes the content of m.
func (w *respWriter) sqlArray(b []byte, m *wardenv1.SqlArray) []byte {
	if unknown(m) {
		return w.fail(b)
	}
	for _, e := range m.Elements {
		if e == nil {
			return w.fail(b)
		}
		var s int
		b, s = openMsg(b, 1)
		b = closeMsg(w.sqlParameter(b, e), s)
	}
	return b
}
