package server

import (
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

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
// rest by protobuf, and checks b against caps in the same walk. A
// FilterRequest holds no values, so no cap refuses one today; the walk
// stays for the day one does. ok is false when the fast path does not
// take b (anything mergePrincipal leaves to protobuf): the caller then
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
			d.out = append(d.out, b[:len(b)-len(rest)]...)
		}
		b = rest
	}
	if err := proto.Unmarshal(d.out, req); err != nil {
		return false, nil
	}
	req.Principal = d.principal
	return true, nil
}
