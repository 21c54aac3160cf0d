package callerauth_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
)

// stub answers every RPC with the id of the caller it saw, and counts the
// calls that reached it.
type stub struct {
	wardenv1.UnimplementedAuthorizationServiceServer
	wardenv1.UnimplementedAdminServiceServer
	reached atomic.Int32
}

func (s *stub) callerID(ctx context.Context) string {
	s.reached.Add(1)
	if c, ok := callerauth.FromContext(ctx); ok {
		return c.ID
	}
	return "(none)"
}

func (s *stub) Check(ctx context.Context, _ *wardenv1.CheckRequest) (*wardenv1.CheckResponse, error) {
	return &wardenv1.CheckResponse{Role: s.callerID(ctx)}, nil
}

func (s *stub) Filter(ctx context.Context, _ *wardenv1.FilterRequest) (*wardenv1.FilterResponse, error) {
	return &wardenv1.FilterResponse{Revision: s.callerID(ctx)}, nil
}

func (s *stub) GetStatus(ctx context.Context, _ *wardenv1.GetStatusRequest) (*wardenv1.GetStatusResponse, error) {
	return &wardenv1.GetStatusResponse{Revision: s.callerID(ctx)}, nil
}

type serverOpts struct {
	limiter *callerauth.RateLimiter
	creds   credentials.TransportCredentials
}

// startServer serves the stub on 127.0.0.1 behind the caller interceptors,
// in the order the server uses: authentication, then the rate limit.
func startServer(t *testing.T, a *callerauth.Authenticator, o serverOpts) (string, *stub) {
	t.Helper()
	unary := []grpc.UnaryServerInterceptor{a.UnaryServerInterceptor()}
	stream := []grpc.StreamServerInterceptor{a.StreamServerInterceptor()}
	if o.limiter != nil {
		unary = append(unary, o.limiter.UnaryServerInterceptor())
		stream = append(stream, o.limiter.StreamServerInterceptor())
	}
	opts := []grpc.ServerOption{grpc.ChainUnaryInterceptor(unary...), grpc.ChainStreamInterceptor(stream...)}
	if o.creds != nil {
		opts = append(opts, grpc.Creds(o.creds))
	}
	srv := grpc.NewServer(opts...)
	s := &stub{}
	wardenv1.RegisterAuthorizationServiceServer(srv, s)
	wardenv1.RegisterAdminServiceServer(srv, s)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	reflection.Register(srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String(), s
}

func dial(t *testing.T, addr string, creds credentials.TransportCredentials) *grpc.ClientConn {
	t.Helper()
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

func withKeys(ctx context.Context, keys ...string) context.Context {
	for _, k := range keys {
		ctx = metadata.AppendToOutgoingContext(ctx, callerauth.APIKeyMetadata, k)
	}
	return ctx
}

// wantStatus checks the code and the ErrorInfo reason of err.
func wantStatus(t *testing.T, err error, code codes.Code, reason string) *status.Status {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code {
		t.Fatalf("code = %s (%q), want %s", st.Code(), st.Message(), code)
	}
	if reason == "" {
		return st
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			if info.GetReason() != reason || info.GetDomain() != callerauth.ErrorDomain {
				t.Fatalf("ErrorInfo = %s/%s, want %s/%s", info.GetDomain(), info.GetReason(), callerauth.ErrorDomain, reason)
			}
			return st
		}
	}
	t.Fatalf("no ErrorInfo in %v", st.Details())
	return st
}

func testCallers(t *testing.T) (*callerauth.Authenticator, map[string]string) {
	t.Helper()
	keys := map[string]string{}
	var entries []callerauth.Entry
	for _, e := range []callerauth.Entry{
		{ID: "checker", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantCheck}},
		{ID: "filterer", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantFilter}},
		{ID: "nogrants", Level: callerauth.LevelUser},
		{ID: "ops", Level: callerauth.LevelAdmin},
	} {
		key, hash, err := callerauth.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		e.Hash = hash
		keys[e.ID] = key
		entries = append(entries, e)
	}
	a, err := callerauth.NewAuthenticator(entries)
	if err != nil {
		t.Fatal(err)
	}
	return a, keys
}

func TestInterceptorAuthenticatesAndAuthorizes(t *testing.T) {
	a, keys := testCallers(t)
	addr, s := startServer(t, a, serverOpts{})
	cc := dial(t, addr, nil)
	authz := wardenv1.NewAuthorizationServiceClient(cc)
	admin := wardenv1.NewAdminServiceClient(cc)
	check := func(ctx context.Context) (string, error) {
		r, err := authz.Check(ctx, &wardenv1.CheckRequest{})
		return r.GetRole(), err
	}
	filter := func(ctx context.Context) (string, error) {
		r, err := authz.Filter(ctx, &wardenv1.FilterRequest{})
		return r.GetRevision(), err
	}
	status := func(ctx context.Context) (string, error) {
		r, err := admin.GetStatus(ctx, &wardenv1.GetStatusRequest{})
		return r.GetRevision(), err
	}
	ctx := context.Background()
	tests := []struct {
		name   string
		call   func(context.Context) (string, error)
		keys   []string
		code   codes.Code
		reason string
	}{
		{"no key", check, nil, codes.Unauthenticated, callerauth.ReasonMissingCallerCredentials},
		{"wrong key", check, []string{"wdn_wrong"}, codes.Unauthenticated, callerauth.ReasonInvalidCallerCredentials},
		{"empty key", check, []string{""}, codes.Unauthenticated, callerauth.ReasonInvalidCallerCredentials},
		{"hash sent as key", check, []string{callerauth.HashKey(keys["checker"])}, codes.Unauthenticated, callerauth.ReasonInvalidCallerCredentials},
		{"two keys", check, []string{keys["checker"], keys["ops"]}, codes.Unauthenticated, callerauth.ReasonInvalidCallerCredentials},
		{"check with check grant", check, []string{keys["checker"]}, codes.OK, ""},
		{"filter without filter grant", filter, []string{keys["checker"]}, codes.PermissionDenied, callerauth.ReasonCallerNotPermitted},
		{"check without check grant", check, []string{keys["filterer"]}, codes.PermissionDenied, callerauth.ReasonCallerNotPermitted},
		{"filter with filter grant", filter, []string{keys["filterer"]}, codes.OK, ""},
		{"check with no grants", check, []string{keys["nogrants"]}, codes.PermissionDenied, callerauth.ReasonCallerNotPermitted},
		{"admin service as user", status, []string{keys["checker"]}, codes.PermissionDenied, callerauth.ReasonCallerNotPermitted},
		{"admin service without key", status, nil, codes.Unauthenticated, callerauth.ReasonMissingCallerCredentials},
		{"admin service as admin", status, []string{keys["ops"]}, codes.OK, ""},
		{"check as admin", check, []string{keys["ops"]}, codes.OK, ""},
		{"filter as admin", filter, []string{keys["ops"]}, codes.OK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.reached.Load()
			got, err := tt.call(withKeys(ctx, tt.keys...))
			wantStatus(t, err, tt.code, tt.reason)
			reached := s.reached.Load() - before
			if tt.code != codes.OK {
				if reached != 0 || got != "" {
					t.Fatalf("a refused call reached the handler (%d) or answered %q", reached, got)
				}
				return
			}
			var wantID string
			for id, k := range keys {
				if k == tt.keys[0] {
					wantID = id
				}
			}
			if got != wantID {
				t.Fatalf("handler saw caller %q, want %q", got, wantID)
			}
		})
	}
}

func TestHealthOpenReflectionNeedsCaller(t *testing.T) {
	a, keys := testCallers(t)
	addr, _ := startServer(t, a, serverOpts{})
	cc := dial(t, addr, nil)
	ctx := context.Background()
	if _, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health without credentials: %v", err)
	}
	list := func(ctx context.Context) error {
		stream, err := reflectionpb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
		if err != nil {
			return err
		}
		// A server that refuses the stream may end it before the request
		// is sent: Send then says io.EOF, and Recv has the status.
		if err := stream.Send(&reflectionpb.ServerReflectionRequest{
			MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		_, err = stream.Recv()
		return err
	}
	wantStatus(t, list(ctx), codes.Unauthenticated, callerauth.ReasonMissingCallerCredentials)
	if err := list(withKeys(ctx, keys["nogrants"])); err != nil {
		t.Fatalf("reflection with a caller: %v", err)
	}
}

func TestUnknownMethodNeedsAdmin(t *testing.T) {
	a, _ := testCallers(t)
	for method, want := range map[string]callerauth.Requirement{
		wardenv1.AuthorizationService_Check_FullMethodName:  callerauth.RequireGrant(callerauth.GrantCheck),
		wardenv1.AuthorizationService_Filter_FullMethodName: callerauth.RequireGrant(callerauth.GrantFilter),
		wardenv1.AdminService_GetTableRego_FullMethodName:   callerauth.AdminOnly(),
		wardenv1.DiagnosticsService_Echo_FullMethodName:     callerauth.AnyCaller(),
		"/grpc.health.v1.Health/Watch":                      callerauth.Open(),
	} {
		if got := callerauth.DefaultMethods().Lookup(method); got != want {
			t.Errorf("%s requires %s, want %s", method, got, want)
		}
	}
	if r := callerauth.DefaultMethods().Lookup("/warden.v2.NewService/Do"); r != callerauth.AdminOnly() {
		t.Fatalf("unknown method requires %s", r)
	}
	err := a.Authorize(&callerauth.Caller{ID: "u", Level: callerauth.LevelUser, Grants: callerauth.Grants()}, "/x.Y/Z")
	wantStatus(t, err, codes.PermissionDenied, callerauth.ReasonCallerNotPermitted)
}

func TestReplaceKeys(t *testing.T) {
	a, keys := testCallers(t)
	if _, err := a.AuthenticateKey(keys["checker"]); err != nil {
		t.Fatal(err)
	}
	newKey, hash, _ := callerauth.GenerateKey()
	if err := a.Replace([]callerauth.Entry{{ID: "new", Hash: hash, Level: callerauth.LevelUser}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AuthenticateKey(keys["checker"]); err == nil {
		t.Fatal("a removed key still authenticates")
	}
	if c, err := a.AuthenticateKey(newKey); err != nil || c.ID != "new" {
		t.Fatalf("new key: %v, %v", c, err)
	}
	if err := a.Replace([]callerauth.Entry{{ID: "bad", Hash: "plain"}}); err == nil {
		t.Fatal("invalid entries replaced the good ones")
	}
	if _, err := a.AuthenticateKey(newKey); err != nil {
		t.Fatal("a failed Replace dropped the keys")
	}
}

func TestErrorIs(t *testing.T) {
	a, _ := testCallers(t)
	_, err := a.AuthenticateKey("nope")
	if !errors.Is(err, &callerauth.Error{Code: codes.Unauthenticated, Reason: callerauth.ReasonInvalidCallerCredentials}) {
		t.Fatalf("errors.Is failed for %v", err)
	}
}
