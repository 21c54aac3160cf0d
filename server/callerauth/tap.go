package callerauth

import (
	"context"

	"google.golang.org/grpc/tap"
)

// Before the message: grpc-go reads and decodes a unary request before any
// interceptor runs, so a caller refused by the interceptors would already
// have cost the server the decoded request (a google.protobuf.Struct grows
// about twenty times in memory). TapHandle refuses it from its headers
// alone, before the transport reads its message; the interceptors then
// find the caller in the context and do not authenticate or count it
// again.

type tappedKey struct{}

// TapHandle authenticates, authorizes and rate-limits every call but the
// open methods from its headers (the API key) and its connection (the
// client certificate), as grpc.InTapHandle: a refused call is answered
// with the same status the interceptors would give, and refused(code) is
// called with its reason for the metrics. l may be nil (no rate limit).
func (a *Authenticator) TapHandle(l *RateLimiter, refused func(reason string)) tap.ServerInHandle {
	return func(ctx context.Context, info *tap.Info) (context.Context, error) {
		if a.methods.Lookup(info.FullMethodName).kind == reqOpen {
			return ctx, nil
		}
		c, err := a.authenticate(info.Header.Get(APIKeyMetadata), verifiedLeaf(ctx))
		if err == nil {
			err = a.Authorize(c, info.FullMethodName)
		}
		if err == nil && l != nil {
			err = l.Allow(c)
		}
		if err != nil {
			if e, ok := err.(*Error); ok && refused != nil {
				refused(e.Reason)
			}
			return nil, err
		}
		return context.WithValue(NewContext(ctx, c), tappedKey{}, true), nil
	}
}

// tapped says whether TapHandle authenticated (and rate-limited) the call.
func tapped(ctx context.Context) bool {
	t, _ := ctx.Value(tappedKey{}).(bool)
	return t
}
