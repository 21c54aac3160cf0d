package server

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	protocodec "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// grpc-go decodes a unary request inside the generated method handler,
// before any interceptor runs, and answers every decoding failure itself,
// at once, as Internal ("failed to unmarshal": a request nested deeper
// than protobuf's recursion limit, or malformed wire data). That is the
// caller's mistake, not the server's; and the answer would skip caller
// authentication, the log and the metrics.
//
// So the server decodes with holdingCodec, and registers every service
// through guardRegistrar. For a unary request the guard arms the codec
// for that message; a failure to decode it is then held rather than
// returned (the message is left empty), the interceptors run — the caller
// is authenticated and rate-limited first — and decodeInterceptor, just
// before validation, answers InvalidArgument. The handler never sees a
// request that did not decode. Messages the guard did not arm (those of
// streams) fail as grpc-go makes them fail.

// holdingCodec is the proto codec that checks a request's wire bytes
// against the request caps before decoding it (decodecaps.go), and holds
// back the decoding failures — a cap exceeded among them — of armed
// messages. An armed CheckRequest has its rows' values decoded straight
// from the wire (wirerows.go).
type holdingCodec struct {
	base  encoding.CodecV2
	caps  RequestCaps
	armed sync.Map // message -> *decodeSlot
	// structRows turns the fast path off: every row through
	// google.protobuf.Struct (tests and benchmarks compare the two).
	structRows atomic.Bool
	// protoResponses turns the FilterResponse writer off: every
	// response marshalled by protobuf, its trees built as messages
	// (benchmarks compare the two).
	protoResponses atomic.Bool
}

// decodeSlot is what decoding one unary request leaves to the rest of
// its call: a held failure, or the rows the codec decoded from the wire.
// The Filter handler leaves in filter its answer when the response
// leaves its trees out (wiretrees.go): the guard replies with it, for
// the codec to write the trees, rather than with the response.
type decodeSlot struct {
	err    error
	rows   *wireRows
	filter atomic.Pointer[filterResponseNode]
}

func newHoldingCodec(caps RequestCaps) *holdingCodec {
	return &holdingCodec{base: encoding.GetCodecV2(protocodec.Name), caps: caps}
}

func (c *holdingCodec) Name() string { return protocodec.Name }

// Marshal marshals as grpc-go's proto codec does; a FilterResponse the
// wire writer takes (wirefilterresp.go) without protobuf's reflection,
// into a pooled buffer (marshalFilterWire): the same bytes.
func (c *holdingCodec) Marshal(v any) (mem.BufferSlice, error) {
	if n, ok := v.(*filterResponseNode); ok && n != nil {
		// The Filter handler's reply (guard), which may hold its trees
		// in their wire form.
		return n.marshal(c)
	}
	if m, ok := v.(*wardenv1.FilterResponse); ok && m != nil {
		if m.Predicate == treesInWire {
			// Its trees are in its node, which did not reach the codec:
			// never sent without them.
			return nil, errors.New("internal error: a filter answer without its trees")
		}
		if !c.protoResponses.Load() {
			if data, ok := marshalFilterWire(m, nil); ok {
				return data, nil
			}
		}
	}
	return c.base.Marshal(v)
}

// marshalFilterWire is m's wire form, with trees in place of the trees
// m leaves out (nil: none), in a buffer of grpc-go's pool, which grpc-go
// frees once it has written the message: also below the size grpc-go's
// proto codec pools from, a small response's buffer and its wrapper
// were two of the Filter call's allocations. ok is false when the wire
// writer does not take m.
func marshalFilterWire(m *wardenv1.FilterResponse, trees *treeWire) (mem.BufferSlice, bool) {
	sp := respBufPool.Get().(*[]byte)
	defer func() {
		if cap(*sp) <= maxPooledBytes {
			respBufPool.Put(sp)
		}
	}()
	w := respWriter{ok: true}
	b := w.filterResponse((*sp)[:0], m, trees)
	*sp = b[:0]
	if !w.ok {
		return nil, false
	}
	// Copied to a buffer of its size from grpc-go's pool, which the
	// transport frees once written.
	pool := mem.DefaultBufferPool()
	buf := pool.Get(len(b))
	copy(*buf, b)
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, true
}

func (c *holdingCodec) Unmarshal(data mem.BufferSlice, v any) error {
	var slot *decodeSlot
	if held, ok := c.armed.Load(v); ok {
		slot = held.(*decodeSlot)
	}
	err := c.unmarshal(data, v, slot)
	if err == nil {
		return nil
	}
	if slot != nil {
		slot.err = err
		if r, ok := v.(interface{ Reset() }); ok {
			r.Reset()
		}
		return nil
	}
	return err
}

// unmarshal decodes as grpc-go's proto codec does, after checking the
// wire bytes against the request caps; the rows of an armed CheckRequest
// go to slot.
func (c *holdingCodec) unmarshal(data mem.BufferSlice, v any, slot *decodeSlot) error {
	m, ok := v.(proto.Message)
	if !ok {
		return c.base.Unmarshal(data, v)
	}
	b, release := contiguous(data)
	defer release()
	if req, ok := m.(*wardenv1.CheckRequest); ok && slot != nil && !c.structRows.Load() {
		// The fast path checks the caps as it decodes. The buffer is
		// freed on return: nothing decoded aliases b.
		rows, ok, err := decodeCheckWire(b, req, c.caps)
		if err != nil {
			return err
		}
		if ok {
			slot.rows = rows
			return nil
		}
	}
	if req, ok := m.(*wardenv1.FilterRequest); ok && slot != nil && !c.structRows.Load() {
		if ok, err := decodeFilterWire(b, req, c.caps); ok || err != nil {
			return err
		}
	}
	if err := c.caps.Check(b, m.ProtoReflect().Descriptor()); err != nil {
		return err
	}
	return proto.Unmarshal(b, m)
}

// guardRegistrar registers services with their unary handlers guarded, and
// remembers each implementation (see Server.services).
type guardRegistrar struct {
	codec   *holdingCodec
	targets []grpc.ServiceRegistrar
	record  func(name string, impl any)
}

func (g guardRegistrar) RegisterService(sd *grpc.ServiceDesc, impl any) {
	guarded := *sd
	guarded.Methods = make([]grpc.MethodDesc, len(sd.Methods))
	for i, m := range sd.Methods {
		guarded.Methods[i] = grpc.MethodDesc{MethodName: m.MethodName, Handler: g.guard(m.Handler)}
	}
	for _, t := range g.targets {
		t.RegisterService(&guarded, impl)
	}
	g.record(sd.ServiceName, impl)
}

type decodeSlotKey struct{}

// guard wraps a generated unary handler: it arms the codec for the
// request message, and puts the call's decodeSlot in the context: a held
// failure for decodeInterceptor, a CheckRequest's rows for validation and
// the handler. Whatever the interceptor chain, the handler itself runs
// only on a request that decoded.
func (g guardRegistrar) guard(h grpc.MethodHandler) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
		slot := &decodeSlot{}
		held := func(m any) error {
			g.codec.armed.Store(m, slot)
			defer g.codec.armed.Delete(m)
			return dec(m)
		}
		ctx = context.WithValue(ctx, decodeSlotKey{}, slot)
		chain := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			checked := func(ctx context.Context, req any) (any, error) {
				if slot.err != nil {
					return nil, decodeStatus(slot.err)
				}
				resp, err := handler(ctx, req)
				if n := slot.filter.Load(); n != nil && resp == any(&n.resp) {
					return n, err
				}
				return resp, err
			}
			if interceptor == nil {
				return checked(ctx, req)
			}
			return interceptor(ctx, req, info, checked)
		}
		return h(srv, ctx, held, chain)
	}
}

// decodeInterceptor answers the call's held decoding failure, if any.
func decodeInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if s, ok := ctx.Value(decodeSlotKey{}).(*decodeSlot); ok && s.err != nil {
		return nil, decodeStatus(s.err)
	}
	return handler(ctx, req)
}

// wireRowsOf returns the rows the codec decoded from the wire for req in
// this call, or nil: req's rows then carry their values in their Structs.
func wireRowsOf(ctx context.Context, req any) *wireRows {
	s, ok := ctx.Value(decodeSlotKey{}).(*decodeSlot)
	if !ok || s.rows == nil || s.rows.req != req {
		return nil
	}
	return s.rows
}

// errTooDeep is protobuf's error for a message over its recursion limit
// (the text is all protobuf-go exposes).
const errTooDeep = "exceeded maximum recursion depth"

// decodeStatus is InvalidArgument for a request that does not decode. The
// message names the problem, never the bytes.
func decodeStatus(err error) error {
	if strings.Contains(err.Error(), errTooDeep) {
		return status.Error(codes.InvalidArgument, "the request is nested too deeply: it exceeds protobuf's recursion limit")
	}
	var st interface{ GRPCStatus() *status.Status }
	if errors.As(err, &st) {
		return err
	}
	return status.Error(codes.InvalidArgument, "the request does not decode as a protobuf message")
}

// contiguous returns the bytes of data in one slice, and what frees it.
// One buffer is read in place. Several (a message over more than one
// HTTP/2 frame) are copied into a buffer from rawPool, which, unlike
// grpc's pool, is not cleared first: the copy writes every byte read.
// Nothing decoded aliases the bytes (strings are copied out).
func contiguous(data mem.BufferSlice) ([]byte, func()) {
	if len(data) == 1 {
		return data[0].ReadOnlyData(), func() {}
	}
	n := data.Len()
	bp := rawPool.Get().(*[]byte)
	if cap(*bp) < n {
		*bp = make([]byte, n)
	}
	b := (*bp)[:n]
	data.CopyTo(b)
	return b, func() {
		if cap(*bp) <= maxPooledBytes {
			rawPool.Put(bp)
		}
	}
}

// rawPool recycles the buffers contiguous copies messages into.
var rawPool = sync.Pool{New: func() any { return new([]byte) }}
