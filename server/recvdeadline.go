package server

import (
	"context"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/tap"
)

// A caller may open a call, send its headers, and then send its message
// slowly or never: the call holds a stream (of --max-concurrent-streams),
// a goroutine and the part of the message received so far, for as long as
// the caller likes; its own deadline, if it sent one, is its choice.
// grpc-go has no deadline for receiving a message (ConnectionTimeout
// covers the handshake only), so Warden sets one itself.
//
// The tap, which runs when the headers arrive, gives the call a context
// of its own whose Done is what grpc-go's transport waits on while it
// reads the message; a timer cancels it after --message-recv-timeout, and
// the context then reports DeadlineExceeded, so the caller gets
// DEADLINE_EXCEEDED. A stats handler stops the timer as soon as the first
// message has arrived whole (stats.InPayload) or the call ends: a call
// that received its message keeps only its own deadline. A stream's later
// messages are not timed.

// ReasonMessageRecvTimeout is the reason label, in
// warden_calls_refused_before_decode_total, of a call whose message did
// not arrive within --message-recv-timeout.
const ReasonMessageRecvTimeout = "MESSAGE_RECV_TIMEOUT"

type recvDeadlineKey struct{}

// recvDeadlineCtx is a call's context until its first message arrives.
type recvDeadlineCtx struct {
	context.Context // cancelled when the timer fires
	expired         atomic.Bool
	timer           *time.Timer
}

// Err is DeadlineExceeded once the timer fired, which grpc-go's transport
// turns into the status DEADLINE_EXCEEDED.
func (c *recvDeadlineCtx) Err() error {
	if c.expired.Load() {
		return context.DeadlineExceeded
	}
	return c.Context.Err()
}

func (c *recvDeadlineCtx) Value(key any) any {
	if key == (recvDeadlineKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// recvDeadlineTap wraps next (the caller's authentication): a call that
// next lets through gets timeout to deliver its first message; expired
// counts a call cut off.
func recvDeadlineTap(next tap.ServerInHandle, timeout time.Duration, expired func()) tap.ServerInHandle {
	return func(ctx context.Context, info *tap.Info) (context.Context, error) {
		ctx, err := next(ctx, info)
		if err != nil {
			return nil, err
		}
		inner, cancel := context.WithCancel(ctx)
		c := &recvDeadlineCtx{Context: inner}
		c.timer = time.AfterFunc(timeout, func() {
			c.expired.Store(true)
			expired() // before the caller can see the status
			cancel()
		})
		return c, nil
	}
}

// recvDeadlineStats stops a call's timer when its first message has
// arrived or the call ends.
type recvDeadlineStats struct{}

func (recvDeadlineStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }

func (recvDeadlineStats) HandleRPC(ctx context.Context, s stats.RPCStats) {
	switch s.(type) {
	case *stats.InPayload, *stats.End:
		if c, ok := ctx.Value(recvDeadlineKey{}).(*recvDeadlineCtx); ok {
			c.timer.Stop()
		}
	}
}

func (recvDeadlineStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

func (recvDeadlineStats) HandleConn(context.Context, stats.ConnStats) {}
