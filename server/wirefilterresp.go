package server

import (
	"math"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// The wire form of a FilterResponse, written without protobuf's
// reflection: the bytes proto.Marshal writes (fields in number order, a
// oneof's after the others, proto3 zero values left out, oneof members
// and optional fields written when set), for the messages a Filter
// answer is made of. Anything else (presets, an explanation, unknown
// fields, a node kind or value this writer does not write, a string
// that is not UTF-8, a nil message in a oneof or a list) makes the size
// -1: the caller marshals with protobuf, which also reports any error.
//
// Two passes, as protobuf's: the first (size*) records the size of
// every message in the order the second (append*) writes them, which
// reads each before writing the message.

// wireSizes holds the messages' sizes: s in the order written, i the
// next to read.
type wireSizes struct {
	s []int
	i int
}

var wireSizesPool = sync.Pool{New: func() any { return &wireSizes{s: make([]int, 0, 64)} }}

// marshalFilterResponse appends m's wire form to b; ok is false when the
// writer does not take m (b is then returned as it was).
func marshalFilterResponse(b []byte, m *wardenv1.FilterResponse) (out []byte, ok bool) {
	w := wireSizesPool.Get().(*wireSizes)
	defer w.release()
	n := w.sizeFilterResponse(m, nil)
	if n < 0 {
		return b, false
	}
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	return w.appendFilterResponse(b, m, nil), true
}

func (w *wireSizes) release() {
	if cap(w.s) > 1<<16 {
		return
	}
	w.s, w.i = w.s[:0], 0
	wireSizesPool.Put(w)
}

// open reserves the size of a message, in the order written.
func (w *wireSizes) open() int {
	w.s = append(w.s, 0)
	return len(w.s) - 1
}

// close records n at k, and returns it.
func (w *wireSizes) close(k, n int) int {
	w.s[k] = n
	return n
}

// head writes the tag and length of the next message; its append* then
// skips its size (next).
func (w *wireSizes) head(b []byte, num protowire.Number) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(w.s[w.i]))
}

func (w *wireSizes) next() { w.i++ }

func tagSize(num protowire.Number) int { return protowire.SizeTag(num) }

// strSize is the size of a string field written when not empty (proto3),
// -1 when not UTF-8.
func strSize(num protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return strAlways(num, s)
}

// strAlways is the size of a string field written even when empty (a
// oneof member, a list's element), -1 when not UTF-8.
func strAlways(num protowire.Number, s string) int {
	if !utf8.ValidString(s) {
		return -1
	}
	return tagSize(num) + protowire.SizeBytes(len(s))
}

func varintSize(num protowire.Number, v uint64) int {
	if v == 0 {
		return 0
	}
	return tagSize(num) + protowire.SizeVarint(v)
}

func boolSize(num protowire.Number, v bool) int {
	if !v {
		return 0
	}
	return tagSize(num) + 1
}

// msgSize is the size of a message field whose message is n bytes (-1:
// not taken).
func msgSize(num protowire.Number, n int) int {
	if n < 0 {
		return -1
	}
	return tagSize(num) + protowire.SizeBytes(n)
}

// add adds sizes, -1 when one is.
func add(a, b int) int {
	if a < 0 || b < 0 {
		return -1
	}
	return a + b
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

// sizeFilterResponse is the size of m with trees (nil: none) in place
// of its trees, which m must then leave out, its predicate treesInWire
// (-1 otherwise: one tree or the other, never both, one written for each
// column condition; and -1 for treesInWire without trees).
func (w *wireSizes) sizeFilterResponse(m *wardenv1.FilterResponse, trees *treeWire) int {
	k := w.open()
	if m.Presets != nil || m.Explanation != nil || len(m.ProtoReflect().GetUnknown()) > 0 {
		return -1
	}
	n := add(varintSize(1, uint64(m.Kind)), strSize(2, m.Revision))
	if trees != nil {
		if m.Predicate != treesInWire || m.Check != nil || trees.pred == nil || len(trees.cols) != len(m.ColumnConditions) {
			return -1
		}
		n = add(n, msgSize(3, len(trees.pred)))
		if trees.check != nil {
			n = add(n, msgSize(4, len(trees.check)))
		}
	} else {
		if m.Predicate == treesInWire {
			return -1
		}
		if m.Predicate != nil {
			n = add(n, msgSize(3, w.sizePredicate(m.Predicate)))
		}
		if m.Check != nil {
			n = add(n, msgSize(4, w.sizePredicate(m.Check)))
		}
	}
	for _, s := range m.Columns {
		n = add(n, strAlways(5, s))
	}
	for i, c := range m.ColumnConditions {
		if c == nil {
			return -1
		}
		n = add(n, msgSize(6, w.sizeColumnCondition(c, trees.col(i))))
	}
	if m.Limit != nil {
		n = add(n, tagSize(7)+protowire.SizeVarint(uint64(int64(*m.Limit))))
	}
	n = add(n, boolSize(8, m.AllowAggregations))
	if m.Sql != nil {
		n = add(n, msgSize(10, w.sizeSqlFilter(m.Sql)))
	}
	n = add(n, strSize(11, m.Role))
	n = add(n, strSize(12, m.DecisionId))
	n = add(n, strSize(13, m.Reason))
	for _, s := range m.ComputedFields {
		n = add(n, strAlways(14, s))
	}
	for _, s := range m.JsonNullPresets {
		n = add(n, strAlways(15, s))
	}
	return w.close(k, n)
}

func (w *wireSizes) appendFilterResponse(b []byte, m *wardenv1.FilterResponse, trees *treeWire) []byte {
	w.next()
	b = appendVarint(b, 1, uint64(m.Kind))
	b = appendStr(b, 2, m.Revision)
	if trees != nil {
		b = appendWritten(b, 3, trees.pred)
		if trees.check != nil {
			b = appendWritten(b, 4, trees.check)
		}
	} else {
		if m.Predicate != nil {
			b = w.appendPredicate(w.head(b, 3), m.Predicate)
		}
		if m.Check != nil {
			b = w.appendPredicate(w.head(b, 4), m.Check)
		}
	}
	for _, s := range m.Columns {
		b = appendStrAlways(b, 5, s)
	}
	for i, c := range m.ColumnConditions {
		b = w.appendColumnCondition(w.head(b, 6), c, trees.col(i))
	}
	if m.Limit != nil {
		b = appendVarintAlways(b, 7, uint64(int64(*m.Limit)))
	}
	b = appendBool(b, 8, m.AllowAggregations)
	if m.Sql != nil {
		b = w.appendSqlFilter(w.head(b, 10), m.Sql)
	}
	b = appendStr(b, 11, m.Role)
	b = appendStr(b, 12, m.DecisionId)
	b = appendStr(b, 13, m.Reason)
	for _, s := range m.ComputedFields {
		b = appendStrAlways(b, 14, s)
	}
	for _, s := range m.JsonNullPresets {
		b = appendStrAlways(b, 15, s)
	}
	return b
}

// sizeColumnCondition is the size of m with the predicate pred, written
// already (nil: m's own), in place of m's, which m must then leave out.
func (w *wireSizes) sizeColumnCondition(m *wardenv1.ColumnCondition, pred []byte) int {
	k := w.open()
	if len(m.ProtoReflect().GetUnknown()) > 0 || (pred != nil && m.Predicate != nil) {
		return -1
	}
	n := strSize(1, m.Column)
	if pred != nil {
		n = add(n, msgSize(2, len(pred)))
	}
	if m.Predicate != nil {
		n = add(n, msgSize(2, w.sizePredicate(m.Predicate)))
	}
	if m.Sql != nil {
		n = add(n, msgSize(3, w.sizeSqlFragment(m.Sql)))
	}
	return w.close(k, n)
}

func (w *wireSizes) appendColumnCondition(b []byte, m *wardenv1.ColumnCondition, pred []byte) []byte {
	w.next()
	b = appendStr(b, 1, m.Column)
	if pred != nil {
		b = appendWritten(b, 2, pred)
	}
	if m.Predicate != nil {
		b = w.appendPredicate(w.head(b, 2), m.Predicate)
	}
	if m.Sql != nil {
		b = w.appendSqlFragment(w.head(b, 3), m.Sql)
	}
	return b
}

func (w *wireSizes) sizePredicate(m *wardenv1.Predicate) int {
	k := w.open()
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return -1
	}
	n := -1
	switch x := m.Node.(type) {
	case nil:
		n = 0
	case *wardenv1.Predicate_Constant:
		n = tagSize(1) + 1
	case *wardenv1.Predicate_All:
		if x.All != nil {
			n = msgSize(2, w.sizePredicateList(x.All))
		}
	case *wardenv1.Predicate_Any:
		if x.Any != nil {
			n = msgSize(3, w.sizePredicateList(x.Any))
		}
	case *wardenv1.Predicate_Negation:
		if x.Negation != nil {
			n = msgSize(4, w.sizePredicate(x.Negation))
		}
	case *wardenv1.Predicate_Comparison:
		if x.Comparison != nil {
			n = msgSize(5, w.sizeComparison(x.Comparison))
		}
	case *wardenv1.Predicate_IsNull:
		if x.IsNull != nil {
			n = msgSize(6, w.sizeColumnRef(x.IsNull))
		}
	case *wardenv1.Predicate_InList:
		if x.InList != nil {
			n = msgSize(7, w.sizeInList(x.InList))
		}
	case *wardenv1.Predicate_Exists:
		if x.Exists != nil {
			n = msgSize(10, w.sizeExists(x.Exists))
		}
	}
	return w.close(k, n)
}

func (w *wireSizes) appendPredicate(b []byte, m *wardenv1.Predicate) []byte {
	w.next()
	switch x := m.Node.(type) {
	case *wardenv1.Predicate_Constant:
		return appendBoolAlways(b, 1, x.Constant)
	case *wardenv1.Predicate_All:
		return w.appendPredicateList(w.head(b, 2), x.All)
	case *wardenv1.Predicate_Any:
		return w.appendPredicateList(w.head(b, 3), x.Any)
	case *wardenv1.Predicate_Negation:
		return w.appendPredicate(w.head(b, 4), x.Negation)
	case *wardenv1.Predicate_Comparison:
		return w.appendComparison(w.head(b, 5), x.Comparison)
	case *wardenv1.Predicate_IsNull:
		return w.appendColumnRef(w.head(b, 6), x.IsNull)
	case *wardenv1.Predicate_InList:
		return w.appendInList(w.head(b, 7), x.InList)
	case *wardenv1.Predicate_Exists:
		return w.appendExists(w.head(b, 10), x.Exists)
	}
	return b
}

func (w *wireSizes) sizePredicateList(m *wardenv1.PredicateList) int {
	k := w.open()
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return -1
	}
	n := 0
	for _, it := range m.Items {
		if it == nil {
			return -1
		}
		n = add(n, msgSize(1, w.sizePredicate(it)))
	}
	return w.close(k, n)
}

func (w *wireSizes) appendPredicateList(b []byte, m *wardenv1.PredicateList) []byte {
	w.next()
	for _, it := range m.Items {
		b = w.appendPredicate(w.head(b, 1), it)
	}
	return b
}

func (w *wireSizes) sizeColumnRef(m *wardenv1.ColumnRef) int {
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return -1
	}
	return w.sizeColumn(refFields(m))
}

func (w *wireSizes) appendColumnRef(b []byte, m *wardenv1.ColumnRef) []byte {
	return w.appendColumn(b, refFields(m))
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

// sizeColumn is the size of the ColumnRef of c.
func (w *wireSizes) sizeColumn(c columnFields) int {
	k := w.open()
	return w.close(k, c.size())
}

func (w *wireSizes) appendColumn(b []byte, c columnFields) []byte {
	w.next()
	return c.append(b)
}

// size is the size of the ColumnRef of c (-1: not UTF-8).
func (c columnFields) size() int {
	n := add(strSize(1, c.name), strSize(6, c.function))
	return add(n, boolSize(2, c.root)+varintSize(3, uint64(c.kind))+boolSize(4, c.lower)+varintSize(5, uint64(c.padTo)))
}

func (c columnFields) append(b []byte) []byte {
	b = appendStr(b, 1, c.name)
	b = appendBool(b, 2, c.root)
	b = appendVarint(b, 3, uint64(c.kind))
	b = appendBool(b, 4, c.lower)
	b = appendVarint(b, 5, uint64(c.padTo))
	return appendStr(b, 6, c.function)
}

func (w *wireSizes) sizeComparison(m *wardenv1.Comparison) int {
	k := w.open()
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return -1
	}
	n := add(varintSize(1, uint64(m.Operator)), strSize(5, m.ValueJson))
	if m.Column != nil {
		n = add(n, msgSize(2, w.sizeColumnRef(m.Column)))
	}
	switch x := m.Right.(type) {
	case nil:
	case *wardenv1.Comparison_OtherColumn:
		if x.OtherColumn == nil {
			return -1
		}
		n = add(n, msgSize(3, w.sizeColumnRef(x.OtherColumn)))
	case *wardenv1.Comparison_Value:
		if x.Value == nil {
			return -1
		}
		n = add(n, msgSize(4, w.sizeValue(x.Value)))
	case *wardenv1.Comparison_Clock:
		if x.Clock == nil || len(x.Clock.ProtoReflect().GetUnknown()) > 0 {
			return -1
		}
		n = add(n, clockSize(x.Clock.Word))
	default:
		return -1
	}
	return w.close(k, n)
}

func (w *wireSizes) appendComparison(b []byte, m *wardenv1.Comparison) []byte {
	w.next()
	b = appendVarint(b, 1, uint64(m.Operator))
	if m.Column != nil {
		b = w.appendColumnRef(w.head(b, 2), m.Column)
	}
	// A oneof's fields after the others (protobuf's order, as the
	// golang/protobuf module wrote it).
	b = appendStr(b, 5, m.ValueJson)
	switch x := m.Right.(type) {
	case *wardenv1.Comparison_OtherColumn:
		b = w.appendColumnRef(w.head(b, 3), x.OtherColumn)
	case *wardenv1.Comparison_Value:
		b = w.appendValue(w.head(b, 4), x.Value)
	case *wardenv1.Comparison_Clock:
		b = appendClock(b, x.Clock.Word)
	}
	return b
}

// clockSize is the size of a Comparison's clock field (a ClockValue of
// word).
func clockSize(word wardenv1.ClockWord) int {
	return msgSize(6, varintSize(1, uint64(word)))
}

func appendClock(b []byte, word wardenv1.ClockWord) []byte {
	b = protowire.AppendTag(b, 6, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(varintSize(1, uint64(word))))
	return appendVarint(b, 1, uint64(word))
}

func (w *wireSizes) sizeInList(m *wardenv1.InList) int {
	k := w.open()
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return -1
	}
	n := 0
	if m.Column != nil {
		n = msgSize(1, w.sizeColumnRef(m.Column))
	}
	if m.Values != nil {
		n = add(n, msgSize(2, w.sizeListValue(m.Values)))
	}
	for _, s := range m.ValuesJson {
		n = add(n, strAlways(3, s))
	}
	return w.close(k, n)
}

func (w *wireSizes) appendInList(b []byte, m *wardenv1.InList) []byte {
	w.next()
	if m.Column != nil {
		b = w.appendColumnRef(w.head(b, 1), m.Column)
	}
	if m.Values != nil {
		b = w.appendListValue(w.head(b, 2), m.Values)
	}
	for _, s := range m.ValuesJson {
		b = appendStrAlways(b, 3, s)
	}
	return b
}

func (w *wireSizes) sizeExists(m *wardenv1.ExistsPredicate) int {
	k := w.open()
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return -1
	}
	n := add(strSize(1, m.Table), strSize(2, m.Relationship))
	n = add(n, strSize(5, m.Function))
	for _, p := range m.On {
		if p == nil || len(p.ProtoReflect().GetUnknown()) > 0 {
			return -1
		}
		n = add(n, pairSize(p.Local, p.Remote))
	}
	if m.Where != nil {
		n = add(n, msgSize(4, w.sizePredicate(m.Where)))
	}
	return w.close(k, n)
}

func (w *wireSizes) appendExists(b []byte, m *wardenv1.ExistsPredicate) []byte {
	w.next()
	b = appendStr(b, 1, m.Table)
	b = appendStr(b, 2, m.Relationship)
	for _, p := range m.On {
		b = appendPair(b, p.Local, p.Remote)
	}
	if m.Where != nil {
		b = w.appendPredicate(w.head(b, 4), m.Where)
	}
	return appendStr(b, 5, m.Function)
}

// pairSize is the size of an ExistsPredicate's on field (a ColumnPair).
func pairSize(local, remote string) int {
	return msgSize(3, add(strSize(1, local), strSize(2, remote)))
}

func appendPair(b []byte, local, remote string) []byte {
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(strSize(1, local)+strSize(2, remote)))
	b = appendStr(b, 1, local)
	return appendStr(b, 2, remote)
}

func (w *wireSizes) sizeValue(m *structpb.Value) int {
	k := w.open()
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return -1
	}
	n := -1
	switch x := m.Kind.(type) {
	case nil:
		n = 0
	case *structpb.Value_NullValue:
		n = tagSize(1) + protowire.SizeVarint(uint64(x.NullValue))
	case *structpb.Value_NumberValue:
		n = numberSize
	case *structpb.Value_StringValue:
		n = strAlways(3, x.StringValue)
	case *structpb.Value_BoolValue:
		n = tagSize(4) + 1
	case *structpb.Value_ListValue:
		if x.ListValue != nil {
			n = msgSize(6, w.sizeListValue(x.ListValue))
		}
	}
	return w.close(k, n)
}

func (w *wireSizes) appendValue(b []byte, m *structpb.Value) []byte {
	w.next()
	switch x := m.Kind.(type) {
	case *structpb.Value_NullValue:
		return appendVarintAlways(b, 1, uint64(x.NullValue))
	case *structpb.Value_NumberValue:
		return appendNumber(b, x.NumberValue)
	case *structpb.Value_StringValue:
		return appendStrAlways(b, 3, x.StringValue)
	case *structpb.Value_BoolValue:
		return appendBoolAlways(b, 4, x.BoolValue)
	case *structpb.Value_ListValue:
		return w.appendListValue(w.head(b, 6), x.ListValue)
	}
	return b
}

// numberSize is the size of a Value's number_value.
const numberSize = 1 + 8

func appendNumber(b []byte, f float64) []byte {
	b = protowire.AppendTag(b, 2, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, math.Float64bits(f))
}

func (w *wireSizes) sizeListValue(m *structpb.ListValue) int {
	k := w.open()
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return -1
	}
	n := 0
	for _, v := range m.Values {
		if v == nil {
			return -1
		}
		n = add(n, msgSize(1, w.sizeValue(v)))
	}
	return w.close(k, n)
}

func (w *wireSizes) appendListValue(b []byte, m *structpb.ListValue) []byte {
	w.next()
	for _, v := range m.Values {
		b = w.appendValue(w.head(b, 1), v)
	}
	return b
}

func (w *wireSizes) sizeSqlFilter(m *wardenv1.SqlFilter) int {
	k := w.open()
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return -1
	}
	n := varintSize(1, uint64(m.Dialect))
	if m.Where != nil {
		n = add(n, msgSize(2, w.sizeSqlFragment(m.Where)))
	}
	if m.Check != nil {
		n = add(n, msgSize(3, w.sizeSqlFragment(m.Check)))
	}
	return w.close(k, n)
}

func (w *wireSizes) appendSqlFilter(b []byte, m *wardenv1.SqlFilter) []byte {
	w.next()
	b = appendVarint(b, 1, uint64(m.Dialect))
	if m.Where != nil {
		b = w.appendSqlFragment(w.head(b, 2), m.Where)
	}
	if m.Check != nil {
		b = w.appendSqlFragment(w.head(b, 3), m.Check)
	}
	return b
}

func (w *wireSizes) sizeSqlFragment(m *wardenv1.SqlFragment) int {
	k := w.open()
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return -1
	}
	n := strSize(1, m.Sql)
	for _, p := range m.Parameters {
		if p == nil {
			return -1
		}
		n = add(n, msgSize(2, w.sizeSqlParameter(p)))
	}
	return w.close(k, n)
}

func (w *wireSizes) appendSqlFragment(b []byte, m *wardenv1.SqlFragment) []byte {
	w.next()
	b = appendStr(b, 1, m.Sql)
	for _, p := range m.Parameters {
		b = w.appendSqlParameter(w.head(b, 2), p)
	}
	return b
}

func (w *wireSizes) sizeSqlParameter(m *wardenv1.SqlParameter) int {
	k := w.open()
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return -1
	}
	n := -1
	switch x := m.Value.(type) {
	case nil:
		n = 0
	case *wardenv1.SqlParameter_Text:
		n = strAlways(1, x.Text)
	case *wardenv1.SqlParameter_Integer:
		n = tagSize(2) + protowire.SizeVarint(uint64(x.Integer))
	case *wardenv1.SqlParameter_Boolean:
		n = tagSize(3) + 1
	case *wardenv1.SqlParameter_Real:
		n = tagSize(4) + 8
	case *wardenv1.SqlParameter_Array:
		if x.Array != nil {
			n = msgSize(5, w.sizeSqlArray(x.Array))
		}
	}
	return w.close(k, n)
}

func (w *wireSizes) appendSqlParameter(b []byte, m *wardenv1.SqlParameter) []byte {
	w.next()
	switch x := m.Value.(type) {
	case *wardenv1.SqlParameter_Text:
		return appendStrAlways(b, 1, x.Text)
	case *wardenv1.SqlParameter_Integer:
		return appendVarintAlways(b, 2, uint64(x.Integer))
	case *wardenv1.SqlParameter_Boolean:
		return appendBoolAlways(b, 3, x.Boolean)
	case *wardenv1.SqlParameter_Real:
		b = protowire.AppendTag(b, 4, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(x.Real))
	case *wardenv1.SqlParameter_Array:
		return w.appendSqlArray(w.head(b, 5), x.Array)
	}
	return b
}

func (w *wireSizes) sizeSqlArray(m *wardenv1.SqlArray) int {
	k := w.open()
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return -1
	}
	n := 0
	for _, e := range m.Elements {
		if e == nil {
			return -1
		}
		n = add(n, msgSize(1, w.sizeSqlParameter(e)))
	}
	return w.close(k, n)
}

func (w *wireSizes) appendSqlArray(b []byte, m *wardenv1.SqlArray) []byte {
	w.next()
	for _, e := range m.Elements {
		b = w.appendSqlParameter(w.head(b, 1), e)
	}
	return b
}
