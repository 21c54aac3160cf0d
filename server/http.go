package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/wardenpdp/warden/server/callerauth"
	gatewayv1 "github.com/wardenpdp/warden/server/internal/gatewaypb/warden/v1"
)

// gatewayMaxResponseBytes bounds an answer from the in-process gRPC server
// to the gateway (the Rego of a large table).
const gatewayMaxResponseBytes = 64 << 20

// buildHTTP builds the HTTP server: /metrics for callers with the metrics
// grant, /healthz for anyone; Serve adds the gateway under /v1/.
func (s *Server) buildHTTP() {
	s.httpMux = http.NewServeMux()
	s.httpMux.Handle("GET /metrics", s.auth.HTTPMiddleware(callerauth.GrantMetrics, s.metrics.handler()))
	s.httpMux.HandleFunc("GET /healthz", s.healthz)
	s.http = &http.Server{
		Handler:           s.httpMux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// startGateway connects the gateway to the in-process gRPC server and
// serves it under /v1/. Serve calls it, so that a Server that is never
// served holds no connection.
func (s *Server) startGateway() error {
	if s.inproc == nil {
		return nil
	}
	gw, err := s.gateway()
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	s.httpMux.Handle("/v1/", s.cfg.corsHandler(limitBody(int64(s.cfg.MaxRecvMsgSize), s.callerFirst(gw))))
	// The console calls the gateway from the same origin (server/console.go).
	s.httpMux.Handle("/console/", consoleHandler())
	return nil
}

// callerFirst refuses a gateway call without valid caller credentials
// before its body is decoded, as gRPC does: a malformed body from no
// caller is 401, not 400. Grants are checked by the gRPC interceptor, as
// for every call.
func (s *Server) callerFirst(gw *runtime.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		md := metadata.MD{callerauth.APIKeyMetadata: r.Header.Values(callerauth.APIKeyMetadata)}
		if _, err := s.auth.Authenticate(metadata.NewIncomingContext(r.Context(), md)); err != nil {
			// The one log line of a call that never reached gRPC.
			client, _, _ := net.SplitHostPort(r.RemoteAddr)
			s.log.InfoContext(r.Context(), "finished call", slog.String("protocol", "http"),
				slog.String("http.method", r.Method), slog.String("http.path", r.URL.Path),
				slog.String("http.client", client), slog.String("grpc.code", status.Code(err).String()),
				slog.String("grpc.error", status.Convert(err).Message()))
			_, out := runtime.MarshalerForRequest(gw, r)
			gatewayError(r.Context(), gw, out, w, r, err)
			return
		}
		gw.ServeHTTP(w, r)
	})
}

// gateway is the HTTP/JSON gateway (routes in proto/warden/v1/http.yaml).
// It calls the in-process gRPC server, so a call over HTTP passes the same
// interceptors as one over gRPC: caller authentication, the rate limit,
// validation, metrics and the log.
func (s *Server) gateway() (*runtime.ServeMux, error) {
	conn, err := grpc.NewClient("passthrough:///warden-gateway",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return s.inprocLis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(gatewayMaxResponseBytes)),
	)
	if err != nil {
		return nil, err
	}
	s.gatewayConn = conn
	mux := runtime.NewServeMux(
		runtime.WithIncomingHeaderMatcher(gatewayHeader),
		runtime.WithOutgoingHeaderMatcher(func(string) (string, bool) { return "", false }),
		// Unknown fields are errors: a misspelt "principal" must not
		// quietly become no principal.
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{},
			UnmarshalOptions: protojson.UnmarshalOptions{},
		}),
		runtime.WithErrorHandler(gatewayError),
	)
	ctx := context.Background()
	for _, register := range []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
		gatewayv1.RegisterAuthorizationServiceHandler,
		gatewayv1.RegisterAdminServiceHandler,
		gatewayv1.RegisterDiagnosticsServiceHandler,
	} {
		if err := register(ctx, mux, conn); err != nil {
			return nil, err
		}
	}
	return mux, nil
}

func (s *Server) closeGateway() {
	if s.gatewayConn != nil {
		s.gatewayConn.Close()
	}
}

// gatewayHeader picks the HTTP headers that become gRPC metadata: the
// caller's API key and the cookie (a JWT may travel in one). The gateway
// itself forwards Authorization (the end user's token) and adds
// X-Forwarded-For and X-Forwarded-Host. Nothing else passes: in
// particular no Grpc-Metadata-* header, so an HTTP client states nothing
// a gRPC client could not.
func gatewayHeader(key string) (string, bool) {
	switch k := strings.ToLower(key); k {
	case callerauth.APIKeyMetadata, "cookie":
		return k, true
	case "traceparent", "tracestate": // W3C trace context: the call joins the caller's trace
		return k, true
	}
	return "", false
}

// gatewayError writes a status as grpc-gateway does — JSON
// {"code","message","details"} with the HTTP status of the code (401,
// 403, 429, ...) — and adds Retry-After when the status says when to retry.
func gatewayError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	for _, d := range status.Convert(err).Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			secs := int(math.Ceil(ri.GetRetryDelay().AsDuration().Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		}
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
}

// limitBody refuses a body over the gRPC message limit: with 413 when its
// length is declared, and as a read error (400) when it is not.
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			// Read (a bounded part of) what the client is sending before
			// answering, or it may see a reset connection, not the 413.
			_, _ = io.CopyN(io.Discard, r.Body, limit)
			st := status.Newf(codes.ResourceExhausted, "request body of %d bytes; at most %d", r.ContentLength, limit)
			body, _ := protojson.Marshal(st.Proto())
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			w.Write(body)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// healthz answers 200 SERVING or 503 NOT_SERVING, to anyone, as the gRPC
// health service does: for load balancers that probe over HTTP.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	resp, err := s.health.Check(r.Context(), &healthpb.HealthCheckRequest{})
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("NOT_SERVING\n"))
		return
	}
	w.Write([]byte("SERVING\n"))
}
