package server

import (
	"errors"
	"fmt"
	"strconv"
	"sync"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
)

// A request's size on the wire says little about its size in memory: a
// google.protobuf.Value of two bytes (an empty list element) decodes to
// some fifty, so a Check of 4 MiB made of empty list elements decodes to
// about 60 MiB, and protobuf would accept it nested 10000 deep. The
// caller, not the configuration, would decide what a request costs.
//
// So before a request is unmarshalled, RequestCaps walks its wire bytes
// with the message's descriptor (protowire, no allocation) and counts
// what decoding would build: every google.protobuf.Value, the elements
// of every list, and how deeply Values nest. Over a cap, the request is
// refused without being decoded, with a status that names the cap and
// its flag. Malformed bytes are left to protobuf, which refuses them.
//
// A CheckRequest's rows decoded straight from the wire (wirerows.go) are
// counted in that decoding's own walk instead, which meets the same cap
// first and refuses with the same status, having built at most the cap's
// worth; whenever that decoding gives up, this walk runs as before.

// Defaults of RequestCaps.
const (
	// DefaultMaxRequestValues: 1000 rows (--max-rows) of 100 values; about
	// 10 MiB once decoded.
	DefaultMaxRequestValues = 100_000
	// DefaultMaxListElements: a jsonb array column of 10000 elements.
	DefaultMaxListElements = 10_000
	// DefaultMaxValueDepth: far deeper than rows of real tables nest, far
	// shallower than protobuf's recursion limit (10000).
	DefaultMaxValueDepth = 32
)

// ErrorInfo reasons of the caps.
const (
	ReasonTooManyValues = "REQUEST_TOO_MANY_VALUES"
	ReasonListTooLong   = "REQUEST_LIST_TOO_LONG"
	ReasonTooDeep       = "REQUEST_TOO_DEEP"
)

// RequestCaps bounds what decoding one request may build; a zero field is
// no cap.
type RequestCaps struct {
	// MaxValues bounds the google.protobuf.Value messages in one request,
	// at every depth (--max-request-values).
	MaxValues int
	// MaxListElements bounds the elements of one list value
	// (--max-list-elements).
	MaxListElements int
	// MaxDepth bounds the nesting of values: a scalar column value is at
	// depth 1, the elements of a list column at depth 2
	// (--max-value-depth).
	MaxDepth int
}

var (
	valueDesc     = (&structpb.Value{}).ProtoReflect().Descriptor()
	listValueDesc = (&structpb.ListValue{}).ProtoReflect().Descriptor()

	// errMalformed stops the walk: protobuf's own decoding says what is
	// wrong.
	errMalformed = errors.New("malformed")
)

// Check walks the wire form b of a message of type md and returns a
// status error for the first cap it exceeds, or nil.
func (c RequestCaps) Check(b []byte, md protoreflect.MessageDescriptor) error {
	if c == (RequestCaps{}) {
		return nil
	}
	w := capWalk{caps: c}
	if err := w.message(b, walkNodeOf(md), 0, 0); err != nil && err != errMalformed {
		return err
	}
	return nil
}

type capWalk struct {
	caps   RequestCaps
	values int
}

// maxMessageNesting bounds the walk's own recursion through messages
// other than values (none of Warden's requests nests so, but a walk must
// not trust the schema to stay so).
const maxMessageNesting = 100

// message walks one message; depth is the nesting of values around it,
// nesting that of messages.
func (w *capWalk) message(b []byte, node *walkNode, depth, nesting int) error {
	if nesting > maxMessageNesting+2*max(w.caps.MaxDepth, 0) {
		return w.tooDeep()
	}
	if node.value {
		w.values++
		depth++
		if w.caps.MaxValues > 0 && w.values > w.caps.MaxValues {
			return capStatus(codes.ResourceExhausted, ReasonTooManyValues, "max-request-values", w.caps.MaxValues,
				fmt.Sprintf("the request holds more than %d values (--max-request-values)", w.caps.MaxValues))
		}
		if w.caps.MaxDepth > 0 && depth > w.caps.MaxDepth {
			return w.tooDeep()
		}
	}
	elements := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errMalformed
		}
		b = b[n:]
		if typ == protowire.BytesType {
			if child := node.child(num); child != nil {
				v, n := protowire.ConsumeBytes(b)
				if n < 0 {
					return errMalformed
				}
				b = b[n:]
				if node.list {
					elements++
					if w.caps.MaxListElements > 0 && elements > w.caps.MaxListElements {
						return capStatus(codes.ResourceExhausted, ReasonListTooLong, "max-list-elements", w.caps.MaxListElements,
							fmt.Sprintf("a list value of the request has more than %d elements (--max-list-elements)", w.caps.MaxListElements))
					}
				}
				if err := w.message(v, child, depth, nesting+1); err != nil {
					return err
				}
				continue
			}
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return errMalformed
		}
		b = b[n:]
	}
	return nil
}

// walkNode is a message type as the walk reads it, built once from its
// descriptor (the descriptor's field lookups, interface calls, cost more
// than the walk): for each field number, the node of the message the
// field holds, nil for a scalar or a number the type does not have.
type walkNode struct {
	value, list bool // google.protobuf.Value, ListValue
	children    []*walkNode
	far         map[protowire.Number]*walkNode // numbers past maxWalkSlice
}

// maxWalkSlice: message fields numbered below it are found by index.
const maxWalkSlice = 256

func (n *walkNode) child(num protowire.Number) *walkNode {
	if int(num) < len(n.children) {
		return n.children[num]
	}
	return n.far[num]
}

var (
	walkNodesMu sync.Mutex
	walkNodes   sync.Map // protoreflect.MessageDescriptor -> *walkNode
)

// walkNodeOf returns the node of md, building the nodes it reaches the
// first time (messages that hold each other, as Value and Struct do,
// share them).
func walkNodeOf(md protoreflect.MessageDescriptor) *walkNode {
	if n, ok := walkNodes.Load(md); ok {
		return n.(*walkNode)
	}
	walkNodesMu.Lock()
	defer walkNodesMu.Unlock()
	built := map[protoreflect.MessageDescriptor]*walkNode{}
	n := buildWalkNode(md, built)
	for d, node := range built {
		walkNodes.Store(d, node)
	}
	return n
}

func buildWalkNode(md protoreflect.MessageDescriptor, built map[protoreflect.MessageDescriptor]*walkNode) *walkNode {
	if n, ok := walkNodes.Load(md); ok {
		return n.(*walkNode)
	}
	if n, ok := built[md]; ok {
		return n
	}
	n := &walkNode{value: md == valueDesc, list: md == listValueDesc}
	built[md] = n
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Message() == nil {
			continue
		}
		child := buildWalkNode(fd.Message(), built)
		if num := fd.Number(); num < maxWalkSlice {
			for len(n.children) <= int(num) {
				n.children = append(n.children, nil)
			}
			n.children[num] = child
		} else {
			if n.far == nil {
				n.far = map[protowire.Number]*walkNode{}
			}
			n.far[num] = child
		}
	}
	return n
}

func (w *capWalk) tooDeep() error {
	return capStatus(codes.InvalidArgument, ReasonTooDeep, "max-value-depth", w.caps.MaxDepth,
		fmt.Sprintf("the request's values nest more than %d deep (--max-value-depth)", w.caps.MaxDepth))
}

// capStatus is the refusal of a request over a cap: the ErrorInfo names
// the cap, its flag and its value; RESOURCE_EXHAUSTED adds a
// QuotaFailure, INVALID_ARGUMENT a BadRequest.
func capStatus(code codes.Code, reason, flag string, limit int, msg string) error {
	info := errorInfo(reason, "cap", flag, "limit", strconv.Itoa(limit))
	var detail protoDetail
	if code == codes.ResourceExhausted {
		detail = &errdetails.QuotaFailure{Violations: []*errdetails.QuotaFailure_Violation{{Subject: "request", Description: msg}}}
	} else {
		detail = &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "values", Description: msg}}}
	}
	return newStatus(code, msg, info, detail).Err()
}
