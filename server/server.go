// Package server serves a policy set over gRPC: the AuthorizationService
// and AdminService of warden.v1, grpc.health.v1 and server reflection; and
// over HTTP the Prometheus metrics, a health endpoint and the HTTP/JSON
// gateway to the same services.
//
// Two security layers come first. Caller authentication (package
// callerauth) decides which service is calling — an API key or a client
// certificate, with its level and grants — and rate-limits it. Session
// resolution (package session) decides for which end user: a JWT or an
// auth webhook, as Hasura does, a session a trusted caller states, or the
// unauthorized role. Only then does the policy engine decide.
//
// Every error a caller sees is a gRPC status made in one place
// (StatusFromError) or by the security packages (statuses with an
// ErrorInfo reason); requests are validated by hand before any handler
// runs (ValidateRequest); the live policy set is swapped atomically and
// requests never take a lock.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/netutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/test/bufconn"

	"github.com/wardenpdp/warden/policy/engine"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/consoledb"
	"github.com/wardenpdp/warden/server/decisionlog"
	"github.com/wardenpdp/warden/server/reload"
	"github.com/wardenpdp/warden/server/session"
)

// ErrNoCallers is New's error when no caller is configured: every call
// but health would be refused.
var ErrNoCallers = errors.New("no callers configured: give --api-keys or --api-keys-file (entries from 'warden keys generate')")

// Option configures New.
type Option func(*options)

type options struct {
	log     *slog.Logger
	version string
	now     func() time.Time
	callers []callerauth.Entry
	source  PolicySource
	loaded  func(*engine.Set)
	tests   func() *wardenv1.PolicyTestsResult
}

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithVersion sets the version GetStatus reports.
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// WithCallers adds callers to those of the configuration (the generated
// key of --dev).
func WithCallers(entries ...callerauth.Entry) Option {
	return func(o *options) { o.callers = append(o.callers, entries...) }
}

// Server is one Warden server: gRPC on one listener, HTTP (metrics,
// health, gateway) on another. Build it with New and run it once with
// Serve.
type Server struct {
	cfg     Config
	log     *slog.Logger
	version string
	now     func() time.Time
	// policyTests reports the latest run of the policy's own test suites
	// for GetStatus; nil when the command runs none.
	policyTests func() *wardenv1.PolicyTestsResult

	auth     *callerauth.Authenticator
	limiter  *callerauth.RateLimiter
	certs    *callerauth.CertReloader // nil: plaintext
	resolver *session.Resolver

	live atomic.Pointer[snapshot]
	// policy and keys reload the policy set and the caller keys
	// (policysource.go); source is where the set comes from.
	policy, keys   *reload.Reloader
	source         PolicySource
	watchingPolicy atomic.Bool
	grpc           *grpc.Server
	health         *health.Server
	metrics        *metrics
	http           *http.Server
	httpMux        *http.ServeMux
	served         atomic.Bool
	// services are the implementations registered, by service name.
	services map[string]any
	codec    *holdingCodec

	// The gateway's own gRPC server, on an in-memory listener: the same
	// services and interceptors without transport credentials; nil when
	// the gateway is off.
	inproc      *grpc.Server
	inprocLis   *bufconn.Listener
	gatewayConn *grpc.ClientConn

	// decisions is the decision log (nil: off).
	decisions *decisionlog.Logger
	// consoleDBs are the databases QueryDatabase reads (none: off).
	consoleDBs *consoledb.Databases
}

// snapshot is the live policy set with when it was loaded: immutable, and
// replaced as a whole.
type snapshot struct {
	set      *engine.Set
	loadedAt time.Time
}

// New builds a server for the policy set. It does not listen yet. It
// fails on an invalid configuration, and with ErrNoCallers when no caller
// could ever be served.
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
	s := &Server{cfg: cfg, log: o.log, version: o.version, now: o.now, services: map[string]any{}, source: o.source, policyTests: o.tests}
	s.metrics = newMetrics(func() float64 {
		if snap := s.current(); snap != nil {
			return float64(len(snap.set.Policy().Inconsistent))
		}
		return 0
	}, func() string {
		if snap := s.current(); snap != nil {
			return snap.set.Revision()
		}
		return ""
	})
	s.SetPolicy(set)

	entries, err := s.callerEntries(o.callers)
	if err != nil {
		return nil, err
	}
	if s.auth, err = callerauth.NewAuthenticator(entries); err != nil {
		return nil, err
	}
	s.newReloaders(o, entries)
	s.limiter = cfg.Callers.NewRateLimiter()
	if s.certs, err = cfg.Callers.NewCertReloader(callerauth.WithTLSLogger(s.log)); err != nil {
		return nil, err
	}
	if s.resolver, err = session.NewResolver(cfg.Sessions, session.WithLogger(s.log), session.WithObserver(s.metrics.observeSessionCall)); err != nil {
		return nil, err
	}

	if s.decisions, err = s.newDecisionLog(cfg.DecisionLog); err != nil {
		return nil, err
	}
	if s.consoleDBs, err = consoledb.Open(cfg.ConsoleDatabases); err != nil {
		s.closeDecisionLog()
		return nil, err
	}

	s.buildGRPC()
	s.buildHTTP()
	return s, nil
}

// Close releases a server that Serve will not run: New starts the gRPC
// servers' stream workers. Serve releases everything itself; Close after
// Serve does nothing more.
func (s *Server) Close() {
	s.grpc.Stop()
	if s.inproc != nil {
		s.inproc.Stop()
	}
	s.closeDecisionLog()
	s.consoleDBs.Close()
}

// closeDecisionLog flushes the decision log's sinks within the shutdown
// timeout.
func (s *Server) closeDecisionLog() {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.decisions.Close(ctx); err != nil {
		s.log.Warn("decision log not flushed", slog.Any("error", err))
	}
}

// SetPolicy swaps in a new policy set; calls in flight finish on the one
// they started with.
func (s *Server) SetPolicy(set *engine.Set) {
	s.live.Store(&snapshot{set: set, loadedAt: s.now()})
}

func (s *Server) current() *snapshot { return s.live.Load() }

// Serve serves gRPC on grpcLis and HTTP on httpLis (both with TLS when it
// is configured) until ctx is cancelled or a listener fails, then shuts
// down: health NOT_SERVING, GracefulStop under the shutdown timeout, then
// Stop. It closes both listeners and returns nil after a shutdown asked
// for by ctx.
func (s *Server) Serve(ctx context.Context, grpcLis, httpLis net.Listener) error {
	if !s.served.CompareAndSwap(false, true) {
		return errors.New("server: Serve called twice")
	}
	if err := s.startGateway(); err != nil {
		s.Close()
		grpcLis.Close()
		httpLis.Close()
		return err
	}
	if s.cfg.MaxConnections > 0 {
		grpcLis = netutil.LimitListener(grpcLis, s.cfg.MaxConnections)
	}
	s.prefetch(ctx)
	reloadCtx, stopReloads := context.WithCancel(ctx)
	reloadsStopped := s.startReloads(reloadCtx)
	defer func() {
		stopReloads()
		reloadsStopped()
	}()
	s.markServing()
	scheme := "http"
	if s.certs != nil {
		scheme = "https"
		httpLis = tls.NewListener(httpLis, s.certs.ServerConfig("h2", "http/1.1"))
	}
	s.log.InfoContext(ctx, "grpc listening on "+grpcLis.Addr().String(),
		slog.String("addr", grpcLis.Addr().String()), slog.Bool("tls", s.certs != nil))
	s.log.InfoContext(ctx, "http listening on "+scheme+"://"+httpLis.Addr().String(),
		slog.String("addr", httpLis.Addr().String()), slog.Bool("gateway", s.inproc != nil))
	if s.certs == nil && !IsLoopbackAddr(grpcLis.Addr().String()) {
		s.log.WarnContext(ctx, "serving without TLS on a non-loopback address: API keys and end-user tokens cross the network in the clear; set --tls-cert-file and --tls-key-file unless a proxy or mesh encrypts the traffic")
	}

	type result struct {
		what string
		err  error
	}
	results := make(chan result, 3)
	pending := 0
	run := func(what string, serve func() error, ignore error) {
		pending++
		go func() {
			err := serve()
			if err != nil && errors.Is(err, ignore) {
				err = nil
			}
			results <- result{what, err}
		}()
	}
	run("grpc", func() error { return s.grpc.Serve(grpcLis) }, grpc.ErrServerStopped)
	run("http", func() error { return s.http.Serve(httpLis) }, http.ErrServerClosed)
	if s.inproc != nil {
		run("gateway grpc", func() error { return s.inproc.Serve(s.inprocLis) }, grpc.ErrServerStopped)
	}

	var err error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down", slog.String("reason", context.Cause(ctx).Error()))
	case r := <-results:
		pending--
		err = r.err
		if err == nil {
			err = errors.New("stopped unexpectedly")
		}
		err = fmt.Errorf("%s: %w", r.what, err)
		s.log.Error("listener failed; shutting down", slog.Any("error", err))
	}
	s.shutdown()
	// A listener that Serve had not yet taken over is not closed by the
	// shutdown; close both (a second Close only returns an error).
	_ = grpcLis.Close()
	_ = httpLis.Close()
	for ; pending > 0; pending-- {
		if r := <-results; r.err != nil && err == nil {
			err = fmt.Errorf("%s: %w", r.what, r.err)
		}
	}
	s.log.Info("stopped")
	return err
}

// prefetch fetches the JWKS before the first request needs it. A failure
// is only a warning: the keys are fetched again on demand.
func (s *Server) prefetch(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Sessions.JWKSFetchTimeout)
	defer cancel()
	if err := s.resolver.Prefetch(ctx); err != nil {
		s.log.WarnContext(ctx, "could not fetch the JWT signing keys at start; tokens fail with UNAVAILABLE until they can be fetched", slog.Any("error", err))
	}
}

func (s *Server) markServing() {
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for name := range s.grpc.GetServiceInfo() {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
}

// shutdown stops the servers within the shutdown timeout: HTTP first
// stops accepting and lets its calls (gateway calls among them) finish,
// alongside the gRPC servers' graceful stop; past the deadline every open
// call is cut.
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

	servers := []*grpc.Server{s.grpc}
	if s.inproc != nil {
		servers = append(servers, s.inproc)
	}
	stopped := make(chan struct{})
	go func() {
		var g sync.WaitGroup
		for _, gs := range servers {
			g.Go(gs.GracefulStop)
		}
		g.Wait()
		close(stopped)
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-stopped:
	case <-timer.C:
		s.log.Warn("graceful shutdown timed out; closing open calls", slog.Duration("timeout", s.cfg.ShutdownTimeout))
		for _, gs := range servers {
			gs.Stop()
		}
		<-stopped
	}
	wg.Wait()
	s.closeGateway()
	s.closeDecisionLog()
	s.consoleDBs.Close()
}
