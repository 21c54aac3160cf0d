// Package client sends the load generator's prepared requests: gRPC to
// Warden with the bytes encoded beforehand, and HTTP to OPA's REST API.
// Both are kept light because the generator shares the machine with the
// server it measures.
package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"

	"github.com/wardenpdp/warden/server/callerauth"
)

// GRPC sends pre-encoded requests over a few connections.
type GRPC struct {
	conns []*grpc.ClientConn
	codec grpc.CallOption
}

// DialGRPC opens conns connections to addr (host:port). A non-empty
// apiKey is sent with every call.
func DialGRPC(addr string, conns int, apiKey string) (*GRPC, error) {
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64 << 20)),
		// Fixed windows, as the server's: no BDP PING with each response.
		grpc.WithInitialWindowSize(1 << 20),
		grpc.WithInitialConnWindowSize(4 << 20),
	}
	if apiKey != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(apiKeyCreds{md: map[string]string{callerauth.APIKeyMetadata: apiKey}}))
	}
	g := &GRPC{codec: grpc.ForceCodecV2(rawCodec{})}
	for range max(conns, 1) {
		cc, err := grpc.NewClient("passthrough:///"+addr, opts...)
		if err != nil {
			g.Close()
			return nil, err
		}
		cc.Connect()
		g.conns = append(g.conns, cc)
	}
	return g, nil
}

// Conn returns the first connection, for typed calls outside the measured
// path (checking answers, health).
func (g *GRPC) Conn() *grpc.ClientConn { return g.conns[0] }

// Close closes every connection.
func (g *GRPC) Close() {
	for _, cc := range g.conns {
		cc.Close()
	}
}

// Invoke sends the concatenation of segs as the request of method on the
// connection of worker, and discards the response.
func (g *GRPC) Invoke(ctx context.Context, worker int, method string, segs mem.BufferSlice) error {
	var d discard
	return g.conns[worker%len(g.conns)].Invoke(ctx, method, &frame{segs: segs}, &d, g.codec)
}

// frame is a request already encoded, in segments.
type frame struct{ segs mem.BufferSlice }

// discard receives a response without decoding it.
type discard struct{}

// rawCodec writes frames as they are and reads nothing. Its name is
// "proto" so that the server decodes the bytes with its protobuf codec.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	f, ok := v.(*frame)
	if !ok {
		return nil, fmt.Errorf("raw codec: cannot send %T", v)
	}
	// The segments are mem.SliceBuffer, whose Free does nothing, so gRPC
	// may free them after sending and they stay valid for the next call.
	return f.segs, nil
}

func (rawCodec) Unmarshal(_ mem.BufferSlice, v any) error {
	if _, ok := v.(*discard); !ok {
		return fmt.Errorf("raw codec: cannot receive into %T", v)
	}
	return nil
}

type apiKeyCreds struct{ md map[string]string }

// GetRequestMetadata returns the same read-only map for every call.
func (c apiKeyCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return c.md, nil
}

func (apiKeyCreds) RequireTransportSecurity() bool { return false }

// Classify names an error for the report: the gRPC code, "http 500", or
// the error's text.
func Classify(err error) string {
	var he *HTTPError
	if errors.As(err, &he) {
		return "http " + strconv.Itoa(he.Status)
	}
	if s, ok := status.FromError(err); ok {
		return s.Code().String()
	}
	return err.Error()
}

// HTTPError is a non-200 answer.
type HTTPError struct {
	Status int
	Body   string
}

func (e *HTTPError) Error() string {
	return "http " + strconv.Itoa(e.Status) + " " + http.StatusText(e.Status) + ": " + e.Body
}
