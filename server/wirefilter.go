package server

import (
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// filterRequestPrincipal is FilterRequest.principal.
const filterRequestPrincipal = 1

var filterRequestNode = sync.OnceValue(func() *walkNode {
	return walkNodeOf((&wardenv1.FilterRequest{}).ProtoReflect().Descriptor())
})

// decodeFilterWire unmarshals the wire form b of a FilterRequest into req
// with its principal read by the wire walk (protobuf decodes the session
// variables' map through reflection, several allocations per entry), the
// other fields too (filterFields: protobuf would reach SqlOptions through
// reflection), and checks b against caps in the same walk. A
// FilterRequest holds no values, so no cap refuses one today; the walk
// stays for the day one does. ok is false when the fast path does not
// take b (anything mergePrincipal or filterFields leave to protobuf): the caller then
// checks the caps and unmarshals b whole.
func decodeFilterWire(b []byte, req *wardenv1.FilterRequest, caps RequestCaps) (ok bool, err error) {
	defer func() {
		if recover() != nil {
			ok, err = false, nil
		}
	}()
	d := newWireDecoder(b, caps)
	defer d.release()
	node := filterRequestNode()
	var f filterFields
	for len(b) > 0 {
		num, typ, v, rest, ok := field(b)
		if !ok {
			return false, nil
		}
		if num == filterRequestPrincipal {
			if typ != protowire.BytesType {
				return false, nil
			}
			if d.principal == nil {
				d.principal = &wardenv1.Principal{}
			}
			if !d.mergePrincipal(d.principal, v) {
				return false, nil
			}
		} else {
			if !d.walkKept(node, num, typ, v, 0) {
				return false, d.err
			}
			if !f.merge(num, typ, v) {
				return false, nil
			}
		}
		b = rest
	}
	req.Reset()
	req.Principal, req.Table, req.Operation, req.Sql, req.Explain = d.principal, f.table, f.op, f.sql, f.explain
	return true, nil
}

// The fields of FilterRequest and SqlOptions besides the principal.
const (
	filterRequestTable     = 2
	filterRequestOperation = 3
	filterRequestSql       = 4
	filterRequestExplain   = 5

	sqlOptionsDialect          = 1
	sqlOptionsTableAlias       = 2
	sqlOptionsFirstPlaceholder = 3
)

// filterFields are a FilterRequest's fields besides the principal, read
// from the wire as protobuf reads them: the last of a scalar, the
// messages merged.
type filterFields struct {
	table   string
	op      wardenv1.Operation
	sql     *wardenv1.SqlOptions
	explain bool
}

// merge reads one field; false for what it leaves to protobuf (another
// field, another wire type, text not in UTF-8, malformed bytes), which
// also reports any error.
func (f *filterFields) merge(num protowire.Number, typ protowire.Type, v []byte) bool {
	switch {
	case num == filterRequestTable && typ == protowire.BytesType:
		if !utf8.Valid(v) {
			return false
		}
		f.table = string(v)
	case num == filterRequestOperation && typ == protowire.VarintType:
		x, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return false
		}
		f.op = wardenv1.Operation(int32(x))
	case num == filterRequestSql && typ == protowire.BytesType:
		if f.sql == nil {
			f.sql = &wardenv1.SqlOptions{}
		}
		return mergeSqlOptions(f.sql, v)
	case num == filterRequestExplain && typ == protowire.VarintType:
		x, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return false
		}
		f.explain = protowire.DecodeBool(x)
	default:
		return false
	}
	return true
}

// mergeSqlOptions merges the wire form b into o as protobuf does; false
// for what it leaves to protobuf.
func mergeSqlOptions(o *wardenv1.SqlOptions, b []byte) bool {
	for len(b) > 0 {
		num, typ, v, rest, ok := field(b)
		if !ok {
			return false
		}
		switch {
		case num == sqlOptionsTableAlias && typ == protowire.BytesType:
			if !utf8.Valid(v) {
				return false
			}
			o.TableAlias = string(v)
		case (num == sqlOptionsDialect || num == sqlOptionsFirstPlaceholder) && typ == protowire.VarintType:
			x, n := protowire.ConsumeVarint(v)
			if n < 0 {
				return false
			}
			if num == sqlOptionsDialect {
				o.Dialect = wardenv1.SqlDialect(int32(x))
			} else {
				o.FirstPlaceholder = int32(x)
			}
		default:
			return false
		}
		b = rest
	}
	return true
}
