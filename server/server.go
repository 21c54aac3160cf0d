// Package server serves a policy set over gRPC: the AuthorizationService
// and AdminService of warden.v1, grpc.health.v1 and server reflection, with
// Prometheus metrics on a separate HTTP listener.
//
// Every error a caller sees is a gRPC status made in one place
// (StatusFromError); requests are validated by hand before any handler runs
// (ValidateRequest); the live policy set is swapped atomically and requests
// never take a lock.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/wardenpdp/warden/policy/engine"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// Option configures New.
type Option func(*options)

type options struct {
	log     *slog.Logger
	version string
	now     func() time.Time
}

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithVersion sets the version GetStatus reports.
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// Server is one Warden gRPC server with its metrics listener. Build it with
// New and run it once with Serve.
type Server struct {
	cfg     Config
	log     *slog.Logger
	version string
	now     func() time.Time

	live    atomic.Pointer[snapshot]
	grpc    *grpc.Server
	health  *health.Server
	metrics *metrics
	http    *http.Server
	served  atomic.Bool
}

// snapshot is the live policy set with when it was loaded: immutable, and
// replaced as a whole.
type snapshot struct {
	set      *engine.Set
	loadedAt time.Time
}

// New builds a server for the policy set. It does not listen yet.
func New(cfg Config, set *engine.Set, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	if set == nil {
		return nil, errors.New("no policy set")
	}
	o := options{log: slog.New(slog.NewTextHandler(io.Discard, nil)), version: "(devel)", now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{cfg: cfg, log: o.log, version: o.version, now: o.now, metrics: newMetrics()}
	s.SetPolicy(set)

	s.grpc = grpc.NewServer(
		grpc.MaxRecvMsgSize(cfg.MaxRecvMsgSize),
		grpc.ChainUnaryInterceptor(
			recovery.UnaryServerInterceptor(recovery.WithRecoveryHandlerContext(s.recovered)),
			s.metrics.grpc.UnaryServerInterceptor(),
			logging.UnaryServerInterceptor(slogAdapter(s.log), logging.WithLogOnEvents(logging.FinishCall)),
			validationInterceptor(Limits{MaxRows: cfg.MaxRows}),
		),
		grpc.ChainStreamInterceptor(
			recovery.StreamServerInterceptor(recovery.WithRecoveryHandlerContext(s.recovered)),
			s.metrics.grpc.StreamServerInterceptor(),
			logging.StreamServerInterceptor(slogAdapter(s.log), logging.WithLogOnEvents(logging.FinishCall)),
		),
	)
	wardenv1.RegisterAuthorizationServiceServer(s.grpc, &authorizationService{s: s})
	wardenv1.RegisterAdminServiceServer(s.grpc, &adminService{s: s})
	wardenv1.RegisterDiagnosticsServiceServer(s.grpc, diagnosticsService{})
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	s.metrics.grpc.InitializeMetrics(s.grpc)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.handler())
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// SetPolicy swaps in a new policy set; calls in flight finish on the one
// they started with.
func (s *Server) SetPolicy(set *engine.Set) {
	s.live.Store(&snapshot{set: set, loadedAt: s.now()})
}

func (s *Server) current() *snapshot { return s.live.Load() }

// Serve serves gRPC on grpcLis and metrics on httpLis until ctx is
// cancelled or a listener fails, then shuts down: health NOT_SERVING,
// GracefulStop under the shutdown timeout, then Stop. It closes both
// listeners and returns nil after a shutdown asked for by ctx.
func (s *Server) Serve(ctx context.Context, grpcLis, httpLis net.Listener) error {
	if !s.served.CompareAndSwap(false, true) {
		return errors.New("server: Serve called twice")
	}
	s.markServing()
	s.log.InfoContext(ctx, "grpc listening on "+grpcLis.Addr().String(), slog.String("addr", grpcLis.Addr().String()))
	s.log.InfoContext(ctx, "metrics listening on http://"+httpLis.Addr().String()+"/metrics", slog.String("addr", httpLis.Addr().String()))

	errc := make(chan error, 2)
	go func() {
		if err := s.grpc.Serve(grpcLis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			errc <- fmt.Errorf("grpc: %w", err)
			return
		}
		errc <- nil
	}()
	go func() {
		if err := s.http.Serve(httpLis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("metrics http: %w", err)
			return
		}
		errc <- nil
	}()

	var err error
	pending := 2
	select {
	case <-ctx.Done():
		s.log.Info("shutting down", slog.String("reason", context.Cause(ctx).Error()))
	case err = <-errc:
		pending--
		s.log.Error("listener failed; shutting down", slog.Any("error", err))
	}
	s.shutdown()
	// A listener that Serve had not yet taken over is not closed by the
	// shutdown; close both (a second Close only returns an error).
	_ = grpcLis.Close()
	_ = httpLis.Close()
	for ; pending > 0; pending-- {
		if e := <-errc; e != nil && err == nil {
			err = e
		}
	}
	s.log.Info("stopped")
	return err
}

func (s *Server) markServing() {
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for name := range s.grpc.GetServiceInfo() {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
}

// shutdown stops both servers within the shutdown timeout.
func (s *Server) shutdown() {
	s.health.Shutdown() // every service NOT_SERVING
	deadline := time.Now().Add(s.cfg.ShutdownTimeout)

	var wg sync.WaitGroup
	wg.Go(func() {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		if err := s.http.Shutdown(ctx); err != nil {
			s.http.Close()
		}
	})

	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-stopped:
	case <-timer.C:
		s.log.Warn("graceful shutdown timed out; closing open calls", slog.Duration("timeout", s.cfg.ShutdownTimeout))
		s.grpc.Stop()
		<-stopped
	}
	wg.Wait()
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

// slogAdapter lets the logging interceptor write to slog.
func slogAdapter(l *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		l.Log(ctx, slog.Level(lvl), msg, fields...)
	})
}
