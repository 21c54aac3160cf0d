package server

import (
	"fmt"
	"math"
	"sync"
	"unicode/utf8"
	"unsafe"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/policy/engine"
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
//
// The same walk checks the request caps (decodecaps.go), in the order
// RequestCaps.Check would meet them; when every row holds only an id and
// values and the rest of the request only its table, operation and
// explain flag, the request is built without protobuf at all.

// wireMaxDepth is the deepest nesting of values the fast path decodes
// (the request caps refuse deeper by default: --max-value-depth 32).
const wireMaxDepth = 64

// Field numbers of the messages the fast path reads.
const (
	checkRequestPrincipal = 1 // CheckRequest.principal
	checkRequestTable     = 2 // CheckRequest.table
	checkRequestOperation = 3 // CheckRequest.operation
	checkRequestRows      = 4 // CheckRequest.rows
	checkRequestExplain   = 7 // CheckRequest.explain
	principalRole         = 1 // Principal.role
	principalSession      = 2 // Principal.session_variables (map entries)
	principalBackendOnly  = 3 // Principal.use_backend_only_permissions
	rowID                 = 1 // Row.id
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

// wireRow holds a row's values and new_values as the engine reads them:
// Objects (lists of fields), nested objects Objects too, values otherwise
// as Struct.AsMap returns them; nil when the row has none.
type wireRow struct {
	values, newValues engine.Object
}

// strippedPool recycles the buffers that hold a request without its rows'
// values.
var strippedPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBytes: a larger buffer is left to the garbage collector rather
// than kept for the next request.
const maxPooledBytes = 1 << 20

// decodeCheckWire unmarshals the wire form b of a CheckRequest into req,
// its rows' values into the wireRows it returns, and checks b against
// caps in the same walk (decodecaps.go; the walk meets the same cap
// first, in the same order, as RequestCaps.Check would). err is the cap
// b exceeds. ok is false when the fast path does not take b: the caller
// then checks the caps and unmarshals b whole.
func decodeCheckWire(b []byte, req *wardenv1.CheckRequest, caps RequestCaps) (rows *wireRows, ok bool, err error) {
	// The codec runs before the recovery interceptor: a fault of the fast
	// path (FuzzWireRows looks for them in decodeRows) must not take the
	// server down, and protobuf's decoding of the whole request stays
	// right.
	defer func() {
		if recover() != nil {
			rows, ok, err = nil, false, nil
		}
	}()
	return decodeRows(b, req, caps)
}

// decodeRows is decodeCheckWire without the recovery.
func decodeRows(b []byte, req *wardenv1.CheckRequest, caps RequestCaps) (*wireRows, bool, error) {
	d := newWireDecoder(b, caps)
	defer d.release()
	if !d.request(b) {
		return nil, false, d.err
	}
	switch {
	case d.slab != nil && d.plain(req):
		// Every row plain, the rest of the request only scalars the fast
		// path reads: no protobuf decoding at all.
	case d.slab != nil:
		// The rows come from the slab, the rest from protobuf. Unmarshal
		// resets req first; on failure the caller unmarshals b whole,
		// which resets it again.
		if err := proto.Unmarshal(d.out, req); err != nil {
			return nil, false, nil
		}
	default:
		// A row holds more than its id and values: protobuf decodes the
		// rows, without their values.
		if !d.appendRows(b) {
			return nil, false, nil
		}
		if err := proto.Unmarshal(d.out, req); err != nil {
			return nil, false, nil
		}
	}
	if d.slab != nil {
		req.Rows = make([]*wardenv1.Row, len(d.slab))
		for i := range d.slab {
			req.Rows[i] = &d.slab[i]
		}
	}
	if len(req.GetRows()) != len(d.rows) {
		return nil, false, nil
	}
	req.Principal = d.principal
	return &wireRows{req: req, rows: d.rows}, true, nil
}

// newWireDecoder returns a decoder for the request b, its out buffer from
// strippedPool: release returns it.
func newWireDecoder(b []byte, caps RequestCaps) wireDecoder {
	bp := strippedPool.Get().(*[]byte)
	sp := scratchPool.Get().(*[]engine.Field)
	d := wireDecoder{out: (*bp)[:0], pooled: bp, scratch: (*sp)[:0], pooledScratch: sp,
		arenaChunk: min(len(b), maxArenaChunk), fieldChunk: min(max(len(b)/16, 8), maxFieldChunk)}
	if caps != (RequestCaps{}) {
		d.caps = &capWalk{caps: caps}
		d.nestLimit = maxMessageNesting + 2*max(caps.MaxDepth, 0)
	}
	return d
}

// release returns the out buffer to strippedPool, unless it grew too
// large to keep.
func (d *wireDecoder) release() {
	if cap(d.out) <= maxPooledBytes {
		*d.pooled = d.out[:0]
		strippedPool.Put(d.pooled)
	}
	if cap(d.scratch) <= maxPooledFields {
		// Cleared: a pooled buffer keeps no request's values alive.
		clear(d.scratch[:cap(d.scratch)])
		*d.pooledScratch = d.scratch[:0]
		scratchPool.Put(d.pooledScratch)
	}
}

// scratchPool recycles the buffers an object's fields are collected in
// (wireDecoder.scratch).
var scratchPool = sync.Pool{New: func() any { s := make([]engine.Field, 0, 64); return &s }}

// maxPooledFields: a larger scratch buffer is left to the garbage
// collector.
const maxPooledFields = 4096

// wireDecoder walks a CheckRequest: out collects the request without its
// principal and rows, rows the rows' values.
type wireDecoder struct {
	out []byte
	// pooled holds out between requests (strippedPool).
	pooled *[]byte
	rows   []wireRow
	// slab holds the rows themselves while every row has only an id and
	// values (what gateways send): they are built here rather than
	// decoded by protobuf from out. nil once a row has more.
	slab []wardenv1.Row
	// principal is the request's principal, decoded here too: protobuf
	// decodes a map through reflection, several allocations per entry.
	principal *wardenv1.Principal
	// keys are the column names met so far (a request repeats them on
	// every row), kept to share one string among the rows.
	keys []string
	// scratch collects the fields of the objects being decoded, the
	// innermost last; a finished object moves to fields (pooledScratch
	// holds it between requests).
	scratch       []engine.Field
	pooledScratch *[]engine.Field
	// fields holds the request's objects, many to a chunk of fieldChunk.
	fields     []engine.Field
	fieldChunk int
	// arena holds the bytes of the strings decoded (see str).
	arena      []byte
	arenaChunk int
	// caps counts what the request would build against the request caps
	// (nil: no caps); err is the cap exceeded.
	caps      *capWalk
	nestLimit int
	err       error
}

// maxPrealloc bounds the room made beforehand for rows, a Struct's
// entries or a list's elements (counted before they are decoded); more
// grow as they come. The caps are checked as the walk goes: a request of
// two-byte elements must not make room for millions before the cap on a
// list's elements refuses it (nor a Struct of entries without values,
// which the caps do not count, for millions of entries that share one
// key).
const maxPrealloc = 1024

// maxSharedKeys bounds the names a request shares.
const maxSharedKeys = 64

// Strings of up to maxArenaString bytes share chunks of up to
// maxArenaChunk bytes: one allocation for many strings, and a string kept
// keeps at most a chunk alive.
const (
	maxArenaChunk  = 4096
	maxArenaString = 256
)

// str returns s as a string. Its bytes are copied (the request's buffer
// is freed after decoding), into the arena: the arena's bytes are written
// once, before the string is made, and never after.
func (d *wireDecoder) str(s []byte) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) > maxArenaString || d.arenaChunk < len(s) {
		return string(s)
	}
	if cap(d.arena)-len(d.arena) < len(s) {
		d.arena = make([]byte, 0, d.arenaChunk)
	}
	start := len(d.arena)
	d.arena = append(d.arena, s...)
	return unsafe.String(&d.arena[start], len(s))
}

// field reads the field at the start of b: its number, wire type and
// value (the content of a length-delimited one), and the bytes after
// it; ok is false for malformed bytes.
func field(b []byte) (num protowire.Number, typ protowire.Type, value, rest []byte, ok bool) {
	// The common case inline: a tag of one byte (fields 1 to 15) and a
	// length of one byte, or a fixed64.
	if len(b) >= 2 && b[0] < 0x80 && b[0] >= 1<<3 {
		switch protowire.Type(b[0] & 7) {
		case protowire.BytesType:
			if l := int(b[1]); l < 0x80 && 2+l <= len(b) {
				return protowire.Number(b[0] >> 3), protowire.BytesType, b[2 : 2+l], b[2+l:], true
			}
		case protowire.Fixed64Type:
			if len(b) >= 9 {
				return protowire.Number(b[0] >> 3), protowire.Fixed64Type, b[1:9], b[9:], true
			}
		}
	}
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, nil, nil, false
	}
	b = b[n:]
	if typ == protowire.BytesType {
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return 0, 0, nil, nil, false
		}
		return num, typ, v, b[n:], true
	}
	n = protowire.ConsumeFieldValue(num, typ, b)
	if n < 0 {
		return 0, 0, nil, nil, false
	}
	return num, typ, b[:n], b[n:], true
}

// countMessages counts the occurrences of the message field num in b; ok
// is false for malformed bytes or the field with another wire type.
func countMessages(b []byte, num protowire.Number) (n int, ok bool) {
	for len(b) > 0 {
		fnum, typ, _, rest, ok := field(b)
		if !ok || fnum == num && typ != protowire.BytesType {
			return 0, false
		}
		if fnum == num {
			n++
		}
		b = rest
	}
	return n, true
}

// The caps, checked as RequestCaps.Check walks: nesting is the nesting of
// messages (the request at 0, a row at 1, its values' Struct at 2, a
// map entry at 3, a column's Value at 4), depth that of values.

// enter checks a message at nesting against the walk's recursion bound.
func (d *wireDecoder) enter(nesting int) bool {
	if d.caps != nil && nesting > d.nestLimit {
		d.err = d.caps.tooDeep()
		return false
	}
	return true
}

// enterValue counts a Value at depth.
func (d *wireDecoder) enterValue(nesting, depth int) bool {
	if d.caps == nil {
		return true
	}
	if !d.enter(nesting) {
		return false
	}
	w := d.caps
	w.values++
	if w.caps.MaxValues > 0 && w.values > w.caps.MaxValues {
		d.err = capStatus(codes.ResourceExhausted, ReasonTooManyValues, "max-request-values", w.caps.MaxValues,
			fmt.Sprintf("the request holds more than %d values (--max-request-values)", w.caps.MaxValues))
		return false
	}
	if w.caps.MaxDepth > 0 && depth > w.caps.MaxDepth {
		d.err = w.tooDeep()
		return false
	}
	return true
}

// element counts the elements-th element of a list.
func (d *wireDecoder) element(elements int) bool {
	if d.caps != nil && d.caps.caps.MaxListElements > 0 && elements > d.caps.caps.MaxListElements {
		limit := d.caps.caps.MaxListElements
		d.err = capStatus(codes.ResourceExhausted, ReasonListTooLong, "max-list-elements", limit,
			fmt.Sprintf("a list value of the request has more than %d elements (--max-list-elements)", limit))
		return false
	}
	return true
}

// walkKept walks, for the caps, a field the fast path leaves to
// protobuf: field num of a message of node at nesting, value v.
func (d *wireDecoder) walkKept(node *walkNode, num protowire.Number, typ protowire.Type, v []byte, nesting int) bool {
	if d.caps == nil || typ != protowire.BytesType {
		return true
	}
	child := node.child(num)
	if child == nil {
		return true
	}
	if err := d.caps.message(v, child, 0, nesting+1); err != nil {
		if err != errMalformed {
			d.err = err
		}
		return false
	}
	return true
}

var (
	checkRequestNode = sync.OnceValue(func() *walkNode {
		return walkNodeOf((&wardenv1.CheckRequest{}).ProtoReflect().Descriptor())
	})
	rowNode = sync.OnceValue(func() *walkNode { return checkRequestNode().child(checkRequestRows) })
)

func (d *wireDecoder) request(b []byte) bool {
	n, ok := countMessages(b, checkRequestRows)
	if !ok {
		return false
	}
	d.rows = make([]wireRow, 0, min(n, maxPrealloc))
	d.slab = make([]wardenv1.Row, 0, min(n, maxPrealloc))
	reqNode := checkRequestNode()
	for len(b) > 0 {
		num, typ, v, rest, ok := field(b)
		if !ok {
			return false
		}
		switch {
		case num == checkRequestRows:
			if !d.enter(1) || !d.row(v) {
				return false
			}
		case num == checkRequestPrincipal:
			if typ != protowire.BytesType {
				return false
			}
			if d.principal == nil {
				d.principal = &wardenv1.Principal{}
			}
			// Given twice, the second merges into the first, as in
			// protobuf (wardenbench sends the session and the role in
			// two segments). A Principal holds no values: nothing for
			// the caps.
			if !d.mergePrincipal(d.principal, v) {
				return false
			}
		default:
			if !d.walkKept(reqNode, num, typ, v, 0) {
				return false
			}
			d.out = append(d.out, b[:len(b)-len(rest)]...)
		}
		b = rest
	}
	return true
}

// mergePrincipal decodes a Principal into p as protobuf merges one: the
// last role and backend-only flag given win, as does the last entry of a
// name given twice. Anything else (an unknown field, a known one with
// another wire type, invalid UTF-8, a map entry with more than a key and
// a value) is left to protobuf.
func (d *wireDecoder) mergePrincipal(p *wardenv1.Principal, b []byte) bool {
	for len(b) > 0 {
		num, typ, v, rest, ok := field(b)
		if !ok {
			return false
		}
		switch {
		case num == principalRole && typ == protowire.BytesType:
			if !utf8.Valid(v) {
				return false
			}
			p.Role = d.str(v)
		case num == principalBackendOnly && typ == protowire.VarintType:
			x, _ := protowire.ConsumeVarint(v)
			p.UseBackendOnlyPermissions = protowire.DecodeBool(x)
		case num == principalSession && typ == protowire.BytesType:
			k, val, ok := d.stringEntry(v)
			if !ok {
				return false
			}
			if p.SessionVariables == nil {
				p.SessionVariables = make(map[string]string, 4)
			}
			p.SessionVariables[k] = val
		default:
			return false
		}
		b = rest
	}
	return true
}

// stringEntry decodes an entry of a map<string, string>: a missing key or
// value is "", as in protobuf.
func (d *wireDecoder) stringEntry(b []byte) (k, v string, ok bool) {
	for len(b) > 0 {
		num, typ, s, rest, ok := field(b)
		if !ok || typ != protowire.BytesType || (num != mapEntryKey && num != mapEntryValue) || !utf8.Valid(s) {
			return "", "", false
		}
		if num == mapEntryKey {
			k = d.str(s)
		} else {
			v = d.str(s)
		}
		b = rest
	}
	return k, v, true
}

// row decodes one Row's values and new_values. While every row is plain
// (an id and values), the row goes to slab; the first that is not sends
// them all to protobuf (appendRows).
func (d *wireDecoder) row(b []byte) bool {
	var r wireRow
	var id string
	plain := true
	for len(b) > 0 {
		num, typ, v, rest, ok := field(b)
		if !ok {
			return false
		}
		switch num {
		case rowValues, rowNewValues:
			into := &r.values
			if num == rowNewValues {
				into = &r.newValues
			}
			if typ != protowire.BytesType || *into != nil {
				return false // given twice: protobuf merges the two
			}
			m, ok := d.structObject(v, 1, 2)
			if !ok {
				return false
			}
			*into = m
		case rowID:
			// The last id given wins, as in protobuf; another wire type
			// is an unknown field, left to protobuf.
			if typ != protowire.BytesType || !utf8.Valid(v) {
				plain = false
			} else if d.slab != nil {
				id = d.str(v)
			}
		default:
			plain = false
			if !d.walkKept(rowNode(), num, typ, v, 1) {
				return false
			}
		}
		b = rest
	}
	if !plain {
		d.slab = nil
	} else if d.slab != nil {
		d.slab = append(d.slab, wardenv1.Row{Id: id})
	}
	d.rows = append(d.rows, r)
	return true
}

// appendRows appends the rows of the request b to out, each without its
// values and new_values.
func (d *wireDecoder) appendRows(b []byte) bool {
	for len(b) > 0 {
		num, _, v, rest, ok := field(b)
		if !ok {
			return false
		}
		if num == checkRequestRows {
			d.out = protowire.AppendTag(d.out, checkRequestRows, protowire.BytesType)
			kept := 0
			for r := v; len(r) > 0; {
				rnum, _, _, rrest, ok := field(r)
				if !ok {
					return false
				}
				if rnum != rowValues && rnum != rowNewValues {
					kept += len(r) - len(rrest)
				}
				r = rrest
			}
			d.out = protowire.AppendVarint(d.out, uint64(kept))
			for r := v; len(r) > 0; {
				rnum, _, _, rrest, _ := field(r)
				if rnum != rowValues && rnum != rowNewValues {
					d.out = append(d.out, r[:len(r)-len(rrest)]...)
				}
				r = rrest
			}
		}
		b = rest
	}
	return true
}

// plain decodes into req the request out holds when it is only the
// scalars table, operation and explain, as protobuf would; false for
// anything else (req is then left to protobuf).
func (d *wireDecoder) plain(req *wardenv1.CheckRequest) bool {
	var table []byte
	var op wardenv1.Operation
	var explain bool
	for b := d.out; len(b) > 0; {
		num, typ, v, rest, ok := field(b)
		if !ok {
			return false
		}
		switch {
		case num == checkRequestTable && typ == protowire.BytesType:
			if !utf8.Valid(v) {
				return false
			}
			table = v
		case num == checkRequestOperation && typ == protowire.VarintType:
			x, _ := protowire.ConsumeVarint(v)
			op = wardenv1.Operation(int32(x))
		case num == checkRequestExplain && typ == protowire.VarintType:
			x, _ := protowire.ConsumeVarint(v)
			explain = protowire.DecodeBool(x)
		default:
			return false
		}
		b = rest
	}
	proto.Reset(req)
	req.Table = d.str(table)
	req.Operation = op
	req.Explain = explain
	return true
}

// structObject decodes a google.protobuf.Struct as an Object holding
// what Struct.AsMap returns (a key given twice: the last entry's value,
// as in protobuf); depth is the nesting of the values it holds, nesting
// the Struct's.
func (d *wireDecoder) structObject(b []byte, depth, nesting int) (engine.Object, bool) {
	if !d.enter(nesting) || depth > wireMaxDepth {
		return nil, false
	}
	start := len(d.scratch)
	var seen uint64          // the shared names met (d.keys' positions)
	var index map[string]int // past linearKeys fields: name -> position
	for len(b) > 0 {
		num, typ, v, rest, ok := field(b)
		if !ok {
			return nil, false
		}
		// Another field: unknown, protobuf keeps it aside, AsMap ignores
		// it. The entries with another wire type: protobuf keeps them
		// aside too, left to it.
		if num == structFields {
			if typ != protowire.BytesType {
				return nil, false
			}
			k, shared, val, ok := d.entry(v, depth, nesting+1)
			if !ok {
				return nil, false
			}
			// The entry's value may have pushed and popped fields of its
			// own: this object's are still scratch[start:].
			fields := d.scratch[start:]
			at := -1
			if shared >= 0 && seen&(1<<shared) == 0 {
				// A shared name not met in this object: not a repeat
				// (a name is shared, or never equal to a shared one).
				seen |= 1 << shared
			} else if index != nil {
				if i, ok := index[k]; ok {
					at = i
				}
			} else {
				for i := range fields {
					if fields[i].Name == k {
						at = i
						break
					}
				}
			}
			switch {
			case at >= 0:
				fields[at].Value = val // a key given twice: the last entry wins
			default:
				d.scratch = append(d.scratch, engine.Field{Name: k, Value: val})
				if n := len(d.scratch) - start; index != nil {
					index[k] = n - 1
				} else if n > linearKeys {
					index = make(map[string]int, 2*n)
					for i, f := range d.scratch[start:] {
						index[f.Name] = i
					}
				}
			}
		}
		b = rest
	}
	obj := d.object(d.scratch[start:])
	clear(d.scratch[start:])
	d.scratch = d.scratch[:start]
	return obj, true
}

// seen, a uint64, holds a bit for each of the maxSharedKeys names.
const _ = uint64(1) << (maxSharedKeys - 1)

// linearKeys: an object of more fields finds a name given twice through
// a map rather than by comparing it with every field before it.
const linearKeys = 32

// maxFieldChunk bounds the fields of one chunk of wireDecoder.fields (32
// bytes each): a chunk kept alive by one object keeps at most that many.
const maxFieldChunk = 512

// object copies fields into the request's chunk of fields and returns
// the copy (never nil: an empty Struct is an empty Object).
func (d *wireDecoder) object(fields []engine.Field) engine.Object {
	if len(fields) == 0 {
		return engine.Object{}
	}
	if cap(d.fields)-len(d.fields) < len(fields) {
		d.fields = make([]engine.Field, 0, max(d.fieldChunk, len(fields)))
	}
	start := len(d.fields)
	d.fields = append(d.fields, fields...)
	// Capped: an append to one object cannot write into the next.
	return engine.Object(d.fields[start:len(d.fields):len(d.fields)])
}

// entry decodes one map entry of Struct.fields.
func (d *wireDecoder) entry(b []byte, depth, nesting int) (string, int, any, bool) {
	if !d.enter(nesting) {
		return "", -1, nil, false
	}
	var key []byte
	var val any
	seen, keyed := false, false
	for len(b) > 0 {
		num, typ, v, rest, ok := field(b)
		if !ok {
			return "", -1, nil, false
		}
		switch num {
		case mapEntryKey:
			// protobuf checks every occurrence, and keeps the last: the
			// last is checked by d.key, unless it is a name met before
			if typ != protowire.BytesType || keyed && !utf8.Valid(key) {
				return "", -1, nil, false
			}
			key, keyed = v, true
		case mapEntryValue:
			if typ != protowire.BytesType || seen {
				return "", -1, nil, false // given twice: protobuf merges the two
			}
			seen = true
			if val, ok = d.value(v, depth, nesting+1); !ok {
				return "", -1, nil, false
			}
		}
		b = rest
	}
	k, shared, ok := d.key(key)
	return k, shared, val, ok
}

// key returns the column name k as a string, shared with the rows before,
// and its position in d.keys (-1: not shared; a name not shared is never
// equal to one that is); ok is false for invalid UTF-8 (the names shared
// were checked).
func (d *wireDecoder) key(k []byte) (string, int, bool) {
	for i, s := range d.keys {
		if s == string(k) {
			return s, i, true
		}
	}
	if !utf8.Valid(k) {
		return "", -1, false
	}
	s := d.str(k)
	if len(d.keys) < maxSharedKeys {
		d.keys = append(d.keys, s)
		return s, len(d.keys) - 1, true
	}
	return s, -1, true
}

// value decodes a google.protobuf.Value as Value.AsInterface returns it.
func (d *wireDecoder) value(b []byte, depth, nesting int) (any, bool) {
	if !d.enterValue(nesting, depth) {
		return nil, false
	}
	var out any // no kind: nil, as AsInterface
	kinds := 0
	for len(b) > 0 {
		num, typ, v, rest, ok := field(b)
		if !ok {
			return nil, false
		}
		b = rest
		if num < valueNull || num > valueList {
			continue // unknown
		}
		if kinds++; kinds > 1 {
			return nil, false // a oneof given twice: protobuf keeps the last, or merges
		}
		switch {
		case num == valueNull && typ == protowire.VarintType:
			out = nil
		case num == valueNumber && typ == protowire.Fixed64Type:
			x, _ := protowire.ConsumeFixed64(v)
			out = numberValue(math.Float64frombits(x))
		case num == valueString && typ == protowire.BytesType:
			if !utf8.Valid(v) {
				return nil, false
			}
			out = d.str(v)
		case num == valueBool && typ == protowire.VarintType:
			x, _ := protowire.ConsumeVarint(v)
			out = protowire.DecodeBool(x)
		case num == valueStruct && typ == protowire.BytesType:
			m, ok := d.structObject(v, depth+1, nesting+1)
			if !ok {
				return nil, false
			}
			out = m
		case num == valueList && typ == protowire.BytesType:
			l, ok := d.list(v, depth+1, nesting+1)
			if !ok {
				return nil, false
			}
			out = l
		default:
			return nil, false // a known field with another wire type
		}
	}
	return out, true
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
	if i := int(f); i >= 0 && i < len(smallNumbers) && math.Float64bits(float64(i)) == math.Float64bits(f) {
		return smallNumbers[i] // the same value, without an allocation
	}
	return f
}

// smallNumbers are the integers 0 to 1023 (not -0) as float64 values in
// an interface, shared: ids, foreign keys, counts. An interface's value
// cannot be changed through it.
var smallNumbers = func() (n [1024]any) {
	for i := range n {
		n[i] = float64(i)
	}
	return n
}()

// list decodes a google.protobuf.ListValue as ListValue.AsSlice returns
// it; depth is the nesting of its elements, nesting the ListValue's.
func (d *wireDecoder) list(b []byte, depth, nesting int) ([]any, bool) {
	if !d.enter(nesting) || depth > wireMaxDepth {
		return nil, false
	}
	n, ok := countMessages(b, listValueItems)
	if !ok {
		return nil, false
	}
	out := make([]any, 0, min(n, maxPrealloc))
	elements := 0
	for len(b) > 0 {
		num, _, v, rest, ok := field(b)
		if !ok {
			return nil, false
		}
		if num == listValueItems {
			if elements++; !d.element(elements) {
				return nil, false
			}
			x, ok := d.value(v, depth, nesting+1)
			if !ok {
				return nil, false
			}
			out = append(out, x)
		}
		b = rest
	}
	return out, true
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
	o    engine.Object
	wire bool
}

// columnsOf returns the values and new_values of row r, the i-th of a
// request whose rows w decoded (nil: r's Structs hold them).
func columnsOf(r *wardenv1.Row, wr *wireRow) (values, newValues rowColumns) {
	if wr != nil {
		return rowColumns{o: wr.values, wire: true}, rowColumns{o: wr.newValues, wire: true}
	}
	return rowColumns{s: r.GetValues()}, rowColumns{s: r.GetNewValues()}
}

// present says whether the row gives them.
func (c rowColumns) present() bool {
	if c.wire {
		return c.o != nil
	}
	return c.s != nil
}

// has says whether they include col.
func (c rowColumns) has(col string) bool {
	if c.wire {
		_, ok := c.o.Get(col)
		return ok
	}
	_, ok := c.s.GetFields()[col]
	return ok
}

// value is the value of col, as Value.AsInterface gives it.
func (c rowColumns) value(col string) (any, bool) {
	if c.wire {
		v, ok := c.o.Get(col)
		return engine.PlainValue(v), ok
	}
	v, ok := c.s.GetFields()[col]
	if !ok {
		return nil, false
	}
	return v.AsInterface(), true
}

// asMap is the values as Struct.AsMap returns them: a map of the
// request's own, which the caller may change (values_json merged in, JSON
// nulls marked): wire rows keep what the caller sent for the decision
// log.
func (c rowColumns) asMap() map[string]any {
	if !c.wire {
		return c.s.AsMap()
	}
	if c.o == nil {
		return map[string]any{}
	}
	return c.o.Map()
}
