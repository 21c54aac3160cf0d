package server

import (
	"maps"
	"math"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// Decoding a Check's rows through google.protobuf.Struct costs more than
// deciding them: every column value becomes a Value, its oneof wrapper
// and its map entry, and Struct.AsMap then copies it all into the Go
// values the engine reads. So the codec reads the values and new_values
// of a CheckRequest's rows straight from the wire into those Go values
// (what AsMap would return), and unmarshals the rest of the request
// with protobuf, the rows' Structs cut out. The message's rows are then
// left without values; the call's wireRows carries them, and validation,
// the conversion to the engine's input and the decision log read them
// there (columnsOf).
//
// The fast path takes only what it reads exactly as protobuf does. Wire
// data it would have to merge (a Struct, a map entry's value or a
// Value's kind given twice), a field of a known number with another
// wire type, invalid UTF-8, malformed bytes, values nested deeper than
// wireMaxDepth: on any of these it gives up and the request is
// unmarshalled whole, so every error and every edge case stays
// protobuf's. FuzzWireRows holds the two paths to the same result.

// wireMaxDepth is the deepest nesting of values the fast path decodes
// (the request caps refuse deeper by default: --max-value-depth 32).
const wireMaxDepth = 64

// Field numbers of the messages the fast path reads.
const (
	checkRequestPrincipal = 1 // CheckRequest.principal
	checkRequestRows      = 4 // CheckRequest.rows
	principalRole         = 1 // Principal.role
	principalSession      = 2 // Principal.session_variables (map entries)
	principalBackendOnly  = 3 // Principal.use_backend_only_permissions
	rowValues             = 2 // Row.values
	rowNewValues          = 3 // Row.new_values

	structFields   = 1 // Struct.fields (map entries: key 1, value 2)
	mapEntryKey    = 1
	mapEntryValue  = 2
	valueNull      = 1 // Value.null_value
	valueNumber    = 2
	valueString    = 3
	valueBool      = 4
	valueStruct    = 5
	valueList      = 6
	listValueItems = 1 // ListValue.values
)

// wireRows are the values of a CheckRequest's rows, decoded from the
// wire; rows[i] belongs to req.Rows[i].
type wireRows struct {
	req  *wardenv1.CheckRequest
	rows []wireRow
}

// wireRow holds a row's values and new_values as Struct.AsMap returns
// them; nil when the row has none.
type wireRow struct {
	values, newValues map[string]any
}

// strippedPool recycles the buffers that hold a request without its rows'
// values.
var strippedPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBytes: a larger buffer is left to the garbage collector rather
// than kept for the next request.
const maxPooledBytes = 1 << 20

// decodeCheckWire unmarshals the wire form b of a CheckRequest into req,
// its rows' values into the wireRows it returns. ok is false when the
// fast path does not take b: the caller then unmarshals b whole.
func decodeCheckWire(b []byte, req *wardenv1.CheckRequest) (rows *wireRows, ok bool) {
	// The codec runs before the recovery interceptor: a fault of the fast
	// path (FuzzWireRows looks for them in decodeRows) must not take the
	// server down, and protobuf's decoding of the whole request stays
	// right.
	defer func() {
		if recover() != nil {
			rows, ok = nil, false
		}
	}()
	return decodeRows(b, req)
}

// decodeRows is decodeCheckWire without the recovery.
func decodeRows(b []byte, req *wardenv1.CheckRequest) (*wireRows, bool) {
	bp := strippedPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledBytes {
			*bp = (*bp)[:0]
			strippedPool.Put(bp)
		}
	}()
	d := wireDecoder{out: (*bp)[:0]}
	if !d.request(b) {
		return nil, false
	}
	*bp = d.out
	// Unmarshal resets req first; on failure the caller unmarshals b
	// whole, which resets it again.
	if err := proto.Unmarshal(d.out, req); err != nil || len(req.GetRows()) != len(d.rows) {
		return nil, false
	}
	req.Principal = d.principal
	return &wireRows{req: req, rows: d.rows}, true
}

// wireDecoder walks a CheckRequest: out collects the request without its
// rows' values, rows the values.
type wireDecoder struct {
	out  []byte
	rows []wireRow
	// principal is the request's principal, decoded here too: protobuf
	// decodes a map through reflection, several allocations per entry.
	principal *wardenv1.Principal
	// keys are the column names met so far (a request repeats them on
	// every row), kept to share one string among the rows.
	keys []string
}

// maxSharedKeys bounds the names a request shares.
const maxSharedKeys = 64

// walkFields calls f with each field of the wire form b (its number,
// wire type, value and whole bytes, tag included) until f returns false;
// it returns false then, and for malformed bytes.
func walkFields(b []byte, f func(num protowire.Number, typ protowire.Type, value, whole []byte) bool) bool {
	for len(b) > 0 {
		num, typ, tn := protowire.ConsumeTag(b)
		if tn < 0 {
			return false
		}
		fn := protowire.ConsumeFieldValue(num, typ, b[tn:])
		if fn < 0 {
			return false
		}
		if !f(num, typ, b[tn:tn+fn], b[:tn+fn]) {
			return false
		}
		b = b[tn+fn:]
	}
	return true
}

// bytesOf is the content of a length-delimited value.
func bytesOf(value []byte) []byte {
	v, _ := protowire.ConsumeBytes(value)
	return v
}

// countMessages counts the occurrences of the message field num in b; ok
// is false for malformed bytes or the field with another wire type.
func countMessages(b []byte, num protowire.Number) (n int, ok bool) {
	ok = walkFields(b, func(fnum protowire.Number, typ protowire.Type, _, _ []byte) bool {
		if fnum == num {
			n++
			return typ == protowire.BytesType
		}
		return true
	})
	return n, ok
}

func (d *wireDecoder) request(b []byte) bool {
	n, ok := countMessages(b, checkRequestRows)
	if !ok {
		return false
	}
	d.rows = make([]wireRow, 0, n)
	return walkFields(b, func(num protowire.Number, typ protowire.Type, value, whole []byte) bool {
		switch num {
		case checkRequestRows:
			return d.row(bytesOf(value))
		case checkRequestPrincipal:
			if typ != protowire.BytesType {
				return false
			}
			if d.principal == nil {
				d.principal = &wardenv1.Principal{}
			}
			// Given twice, the second merges into the first, as in
			// protobuf (wardenbench sends the session and the role in
			// two segments).
			return mergePrincipal(d.principal, bytesOf(value))
		}
		d.out = append(d.out, whole...)
		return true
	})
}

// mergePrincipal decodes a Principal into p as protobuf merges one: the
// last role and backend-only flag given win, as does the last entry of a
// name given twice. Anything else (an unknown field, a known one with
// another wire type, invalid UTF-8, a map entry with more than a key and
// a value) is left to protobuf.
func mergePrincipal(p *wardenv1.Principal, b []byte) bool {
	return walkFields(b, func(num protowire.Number, typ protowire.Type, value, _ []byte) bool {
		switch {
		case num == principalRole && typ == protowire.BytesType:
			s := bytesOf(value)
			p.Role = string(s)
			return utf8.Valid(s)
		case num == principalBackendOnly && typ == protowire.VarintType:
			v, _ := protowire.ConsumeVarint(value)
			p.UseBackendOnlyPermissions = protowire.DecodeBool(v)
			return true
		case num == principalSession && typ == protowire.BytesType:
			k, v, ok := stringEntry(bytesOf(value))
			if ok {
				if p.SessionVariables == nil {
					p.SessionVariables = make(map[string]string, 4)
				}
				p.SessionVariables[k] = v
			}
			return ok
		}
		return false
	})
}

// stringEntry decodes an entry of a map<string, string>: a missing key or
// value is "", as in protobuf.
func stringEntry(b []byte) (k, v string, ok bool) {
	ok = walkFields(b, func(num protowire.Number, typ protowire.Type, value, _ []byte) bool {
		if typ != protowire.BytesType || (num != mapEntryKey && num != mapEntryValue) {
			return false
		}
		s := bytesOf(value)
		if num == mapEntryKey {
			k = string(s)
		} else {
			v = string(s)
		}
		return utf8.Valid(s)
	})
	return k, v, ok
}

// row decodes one Row's values and new_values and appends the Row,
// without them, to out.
func (d *wireDecoder) row(b []byte) bool {
	var r wireRow
	kept := 0
	ok := walkFields(b, func(num protowire.Number, typ protowire.Type, value, whole []byte) bool {
		if num != rowValues && num != rowNewValues {
			kept += len(whole)
			return true
		}
		into := &r.values
		if num == rowNewValues {
			into = &r.newValues
		}
		if typ != protowire.BytesType || *into != nil {
			return false // given twice: protobuf merges the two
		}
		m, ok := d.structMap(bytesOf(value), 1)
		*into = m
		return ok
	})
	if !ok {
		return false
	}
	d.out = protowire.AppendTag(d.out, checkRequestRows, protowire.BytesType)
	d.out = protowire.AppendVarint(d.out, uint64(kept))
	walkFields(b, func(num protowire.Number, _ protowire.Type, _, whole []byte) bool {
		if num != rowValues && num != rowNewValues {
			d.out = append(d.out, whole...)
		}
		return true
	})
	d.rows = append(d.rows, r)
	return true
}

// structMap decodes a google.protobuf.Struct as Struct.AsMap returns it;
// depth is the nesting of the values it holds.
func (d *wireDecoder) structMap(b []byte, depth int) (map[string]any, bool) {
	n, ok := countMessages(b, structFields)
	if !ok || depth > wireMaxDepth {
		return nil, false
	}
	m := make(map[string]any, n)
	ok = walkFields(b, func(num protowire.Number, _ protowire.Type, value, _ []byte) bool {
		if num != structFields {
			return true // an unknown field: protobuf keeps it aside, AsMap ignores it
		}
		k, v, ok := d.entry(bytesOf(value), depth)
		m[k] = v // a key given twice: the last entry wins, as in protobuf
		return ok
	})
	return m, ok
}

// entry decodes one map entry of Struct.fields.
func (d *wireDecoder) entry(b []byte, depth int) (string, any, bool) {
	var key []byte
	var val any
	seen := false
	ok := walkFields(b, func(num protowire.Number, typ protowire.Type, value, _ []byte) bool {
		switch num {
		case mapEntryKey:
			key = bytesOf(value)
			// protobuf checks every occurrence, and keeps the last
			return typ == protowire.BytesType && utf8.Valid(key)
		case mapEntryValue:
			if typ != protowire.BytesType || seen {
				return false // given twice: protobuf merges the two
			}
			seen = true
			var ok bool
			val, ok = d.value(bytesOf(value), depth)
			return ok
		}
		return true
	})
	if !ok {
		return "", nil, false
	}
	return d.key(key), val, true
}

// key returns the column name k as a string, shared with the rows before.
func (d *wireDecoder) key(k []byte) string {
	for _, s := range d.keys {
		if s == string(k) {
			return s
		}
	}
	s := string(k)
	if len(d.keys) < maxSharedKeys {
		d.keys = append(d.keys, s)
	}
	return s
}

// value decodes a google.protobuf.Value as Value.AsInterface returns it.
func (d *wireDecoder) value(b []byte, depth int) (any, bool) {
	var out any // no kind: nil, as AsInterface
	kinds := 0
	ok := walkFields(b, func(num protowire.Number, typ protowire.Type, value, _ []byte) bool {
		if num < valueNull || num > valueList {
			return true // unknown
		}
		if kinds++; kinds > 1 {
			return false // a oneof given twice: protobuf keeps the last, or merges
		}
		switch {
		case num == valueNull && typ == protowire.VarintType:
			out = nil
		case num == valueNumber && typ == protowire.Fixed64Type:
			v, _ := protowire.ConsumeFixed64(value)
			out = numberValue(math.Float64frombits(v))
		case num == valueString && typ == protowire.BytesType:
			s := bytesOf(value)
			if !utf8.Valid(s) {
				return false
			}
			out = string(s)
		case num == valueBool && typ == protowire.VarintType:
			v, _ := protowire.ConsumeVarint(value)
			out = protowire.DecodeBool(v)
		case num == valueStruct && typ == protowire.BytesType:
			m, ok := d.structMap(bytesOf(value), depth+1)
			out = m
			return ok
		case num == valueList && typ == protowire.BytesType:
			l, ok := d.list(bytesOf(value), depth+1)
			out = l
			return ok
		default:
			return false // a known field with another wire type
		}
		return true
	})
	return out, ok
}

// numberValue is a number as Value.AsInterface gives it: NaN and the
// infinities as the strings of their JSON form.
func numberValue(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return f
}

// list decodes a google.protobuf.ListValue as ListValue.AsSlice returns it.
func (d *wireDecoder) list(b []byte, depth int) ([]any, bool) {
	n, ok := countMessages(b, listValueItems)
	if !ok || depth > wireMaxDepth {
		return nil, false
	}
	out := make([]any, 0, n)
	ok = walkFields(b, func(num protowire.Number, _ protowire.Type, value, _ []byte) bool {
		if num != listValueItems {
			return true
		}
		v, ok := d.value(bytesOf(value), depth)
		out = append(out, v)
		return ok
	})
	return out, ok
}

// row returns the decoded values of row i, or nil without wire rows.
func (w *wireRows) row(i int) *wireRow {
	if w == nil || i >= len(w.rows) {
		return nil
	}
	return &w.rows[i]
}

// rowColumns are the columns of a row's values (or new_values), in its
// Struct or decoded from the wire.
type rowColumns struct {
	s    *structpb.Struct
	m    map[string]any
	wire bool
}

// columnsOf returns the values and new_values of row r, the i-th of a
// request whose rows w decoded (nil: r's Structs hold them).
func columnsOf(r *wardenv1.Row, wr *wireRow) (values, newValues rowColumns) {
	if wr != nil {
		return rowColumns{m: wr.values, wire: true}, rowColumns{m: wr.newValues, wire: true}
	}
	return rowColumns{s: r.GetValues()}, rowColumns{s: r.GetNewValues()}
}

// present says whether the row gives them.
func (c rowColumns) present() bool {
	if c.wire {
		return c.m != nil
	}
	return c.s != nil
}

// has says whether they include col.
func (c rowColumns) has(col string) bool {
	if c.wire {
		_, ok := c.m[col]
		return ok
	}
	_, ok := c.s.GetFields()[col]
	return ok
}

// value is the value of col, as Value.AsInterface gives it.
func (c rowColumns) value(col string) (any, bool) {
	if c.wire {
		v, ok := c.m[col]
		return v, ok
	}
	v, ok := c.s.GetFields()[col]
	if !ok {
		return nil, false
	}
	return v.AsInterface(), true
}

// asMap is the values as Struct.AsMap returns them, for the engine's
// input: a map of the request's own when the caller will change it
// (values_json merged in, JSON nulls marked), so that wire rows keep what
// the caller sent for the decision log. deep: changes go into related
// rows too.
func (c rowColumns) asMap(willChange, deep bool) map[string]any {
	if !c.wire {
		return c.s.AsMap()
	}
	switch {
	case c.m == nil:
		return map[string]any{}
	case !willChange:
		return c.m
	case deep:
		return cloneValue(c.m).(map[string]any)
	}
	return maps.Clone(c.m)
}

// cloneValue copies the maps and lists of a decoded value.
func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}
