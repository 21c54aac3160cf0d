package server

import (
	"context"
	"fmt"
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
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
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
		// The body, as a gRPC message, within --message-recv-timeout of
		// the headers.
		ReadTimeout: 10*time.Second + s.cfg.MessageRecvTimeout,
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
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
	// The caller first, then the body's size.
	s.httpMux.Handle("/v1/", s.cfg.corsHandler(s.callerFirst(gw, limitBody(gw, int64(s.cfg.MaxRecvMsgSize), s.cfg.requestCaps(), s.cfg.MaxRows, gw))))
	// The console calls the gateway from the same origin (server/console.go).
	s.httpMux.Handle("/console/", consoleHandler())
	return nil
}

// gatewayBodyMethods are the gateway's routes that carry a body, with
// their gRPC methods (proto/warden/v1/http.yaml): their caller's grant is
// checked before the body is read. The routes without a body are
// authorized by the in-process server, as any call.
var gatewayBodyMethods = map[string]string{
	"POST /v1/check":            wardenv1.AuthorizationService_Check_FullMethodName,
	"POST /v1/filter":           wardenv1.AuthorizationService_Filter_FullMethodName,
	"POST /v1/check-graphql":    wardenv1.AuthorizationService_CheckGraphQL_FullMethodName,
	"POST /v1/diagnostics/echo": wardenv1.DiagnosticsService_Echo_FullMethodName,
	"POST /v1/admin/reload":     wardenv1.AdminService_Reload_FullMethodName,
	"POST /v1/admin/query":      wardenv1.AdminService_QueryDatabase_FullMethodName,
}

// callerFirst admits a gateway call from its headers, before a byte of
// its body is read, as the gRPC tap does: the caller is authenticated,
// authorized for the method when the route has a body, and counted once
// against its rate limit (the in-process server does not count it
// again). A call without valid caller credentials is 401, not a 400 for
// its body; over the rate limit, 429 with Retry-After.
func (s *Server) callerFirst(gw *runtime.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		md := metadata.MD{callerauth.APIKeyMetadata: r.Header.Values(callerauth.APIKeyMetadata)}
		c, err := s.auth.Authenticate(metadata.NewIncomingContext(r.Context(), md))
		if method, ok := gatewayBodyMethods[r.Method+" "+r.URL.Path]; ok && err == nil {
			err = s.auth.Authorize(c, method)
		}
		if err == nil {
			err = s.limiter.Allow(c)
		}
		if err != nil {
			if e, ok := err.(*callerauth.Error); ok {
				s.metrics.refusedBeforeDecode(e.Reason)
			}
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
		next.ServeHTTP(w, r)
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
