package server

import (
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"

	"github.com/wardenpdp/warden/server/tracing"

	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
)

// inprocBufferBytes is the buffer of the in-memory connection between the
// gateway and its gRPC server.
const inprocBufferBytes = 1 << 20

// buildGRPC builds the gRPC server, and the gateway's in-process one, with
// every service registered.
func (s *Server) buildGRPC() {
	s.codec = newHoldingCodec(s.cfg.requestCaps())
	var creds []grpc.ServerOption
	if s.certs != nil {
		creds = append(creds, grpc.Creds(credentials.NewTLS(s.certs.ServerConfig())))
	}
	s.grpc = s.newGRPCServer(nil, s.limiter, creds...)
	targets := []grpc.ServiceRegistrar{s.grpc}
	if s.cfg.HTTPGateway {
		// No transport credentials: the listener is in memory, reachable
		// only through the HTTP listener, which has TLS when configured.
		// Its calls were counted against the rate limit by the gateway,
		// before the body was read (callerFirst): not again here.
		s.inproc = s.newGRPCServer(gatewayFields, nil)
		s.inprocLis = bufconn.Listen(inprocBufferBytes)
		targets = append(targets, s.inproc)
	}
	reg := guardRegistrar{codec: s.codec, targets: targets, record: func(name string, impl any) { s.services[name] = impl }}
	wardenv1.RegisterAuthorizationServiceServer(reg, &authorizationService{s: s})
	wardenv1.RegisterAdminServiceServer(reg, &adminService{s: s})
	wardenv1.RegisterDiagnosticsServiceServer(reg, diagnosticsService{})

	s.health = health.NewServer()
	public := guardRegistrar{codec: s.codec, targets: []grpc.ServiceRegistrar{s.grpc}, record: reg.record}
	healthpb.RegisterHealthServer(public, s.health)
	reflection.Register(recordingRegistrar{s.grpc, reg.record})
	s.metrics.grpc.InitializeMetrics(s.grpc)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
}

// HTTP/2 flow-control windows of the gRPC server (see newGRPCServer).
const (
	streamWindowBytes = 1 << 20
	connWindowBytes   = 4 << 20
)

// newGRPCServer builds a gRPC server with Warden's interceptors, in the
// order STYLE.md gives: recovery first (a generic message to the caller,
// the stack to the log), metrics, logging, caller authentication (health
// exempt), the per-caller rate limit, then the held decoding failure and
// validation, so that a request is counted and logged even when refused,
// and nothing about the request is looked at before its caller is known.
//
// The gateway's server adds transport fields to the log line (fields).
// The tap rate-limits with tapLimiter (nil: not at all); the limiter's
// interceptor does not count a call the tap let through.
func (s *Server) newGRPCServer(fields grpc.UnaryServerInterceptor, tapLimiter *callerauth.RateLimiter, extra ...grpc.ServerOption) *grpc.Server {
	if fields == nil {
		fields = func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			return handler(ctx, req)
		}
	}
	opts := []grpc.ServerOption{
		// Callers are authenticated and rate-limited from the headers,
		// before the message is read (callerauth.TapHandle); the message
		// must then arrive within --message-recv-timeout (recvdeadline.go).
		grpc.InTapHandle(recvDeadlineTap(s.auth.TapHandle(tapLimiter, s.metrics.refusedBeforeDecode),
			s.cfg.MessageRecvTimeout, func() { s.metrics.refusedBeforeDecode(ReasonMessageRecvTimeout) })),
		grpc.StatsHandler(recvDeadlineStats{}),
		grpc.MaxRecvMsgSize(s.cfg.MaxRecvMsgSize),
		grpc.MaxConcurrentStreams(uint32(s.cfg.MaxConcurrentStreams)), //nolint:gosec // bounded by Validate
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle:     s.cfg.MaxConnectionIdle,
			MaxConnectionAge:      s.cfg.MaxConnectionAge,
			MaxConnectionAgeGrace: s.cfg.MaxConnectionAge / 10,
		}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: s.cfg.KeepaliveMinTime}),
		grpc.NumStreamWorkers(uint32(s.cfg.StreamWorkers)), //nolint:gosec // bounded by Validate
		// Fixed flow-control windows turn off grpc-go's BDP estimation,
		// whose PING and its acknowledgement came with nearly every
		// request of a caller sending one at a time (two more frames to
		// write and read, 12 allocations a call). They are larger than
		// a typical Check and bound what a connection may have in
		// flight unread (BDP lets it grow to 16 MiB).
		grpc.InitialWindowSize(streamWindowBytes),
		grpc.InitialConnWindowSize(connWindowBytes),
		grpc.ForceServerCodecV2(s.codec),
		grpc.ChainUnaryInterceptor(
			recovery.UnaryServerInterceptor(recovery.WithRecoveryHandlerContext(s.recovered)),
			s.metrics.grpc.UnaryServerInterceptor(),
			unaryCallLog(s.log),
			fields,
			s.auth.UnaryServerInterceptor(),
			s.limiter.UnaryServerInterceptor(),
			decodeInterceptor,
			validationInterceptor(Limits{MaxRows: s.cfg.MaxRows}),
		),
		grpc.ChainStreamInterceptor(
			recovery.StreamServerInterceptor(recovery.WithRecoveryHandlerContext(s.recovered)),
			s.metrics.grpc.StreamServerInterceptor(),
			logging.StreamServerInterceptor(slogAdapter(s.log), callLogOptions()...),
			s.auth.StreamServerInterceptor(),
			s.limiter.StreamServerInterceptor(),
		),
	}
	if tracing.Enabled() {
		// A span per call, child of the caller's W3C trace context.
		opts = append(opts, grpc.StatsHandler(otelgrpc.NewServerHandler()))
	}
	return grpc.NewServer(append(opts, extra...)...)
}

// gatewayFields puts the HTTP client's address in the log line of a call
// that came through the gateway (whose gRPC peer is the in-memory
// connection): the last X-Forwarded-For entry, which the gateway itself
// appends from the HTTP connection; earlier entries are the client's say.
func gatewayFields(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	f := logging.Fields{"warden.transport", "http"}
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if xff := md.Get("x-forwarded-for"); len(xff) > 0 {
			hops := strings.Split(xff[len(xff)-1], ",")
			f = append(f, "http.client", strings.TrimSpace(hops[len(hops)-1]))
		}
	}
	logging.AddFields(ctx, f)
	return handler(ctx, req)
}

// recordingRegistrar registers as it is and remembers the implementation
// (server reflection has only streaming methods: nothing to guard).
type recordingRegistrar struct {
	*grpc.Server
	record func(name string, impl any)
}

func (r recordingRegistrar) RegisterService(sd *grpc.ServiceDesc, impl any) {
	r.Server.RegisterService(sd, impl)
	r.record(sd.ServiceName, impl)
}

// recovered turns a panic into Internal, with the stack in the log only.
func (s *Server) recovered(ctx context.Context, p any) error {
	method, _ := grpc.Method(ctx)
	s.log.ErrorContext(ctx, "panic in handler",
		slog.String("grpc.method", method),
		slog.String("panic", fmt.Sprint(p)),
		slog.String("stack", string(debug.Stack())))
	return status.Error(codes.Internal, internalMessage)
}
