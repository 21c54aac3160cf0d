package server

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/session"
	"github.com/wardenpdp/warden/server/session/sessiontest"
)

func noteRow(id string, owner int) *wardenv1.Row {
	v, _ := structpb.NewStruct(map[string]any{"id": 1, "owner_id": owner})
	return &wardenv1.Row{Id: id, Values: v}
}

func ownNote(p *wardenv1.Principal) *wardenv1.CheckRequest {
	return &wardenv1.CheckRequest{Principal: p, Table: "notes", Operation: wardenv1.Operation_OPERATION_SELECT,
		Rows: []*wardenv1.Row{noteRow("1", 7)}}
}

var user7 = &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "7"}}

func reason(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// TestNoAuthFuncOverride: go-grpc-middleware's auth interceptor lets a
// service that implements AuthFuncOverride replace caller authentication
// with its own. No Warden service may, or it would be open.
func TestNoAuthFuncOverride(t *testing.T) {
	cfg := DefaultConfig()
	withTestCallers(t, &cfg)
	srv, err := New(cfg, notesPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	var names []string
	for name, impl := range srv.services {
		names = append(names, name)
		if _, ok := impl.(auth.ServiceAuthFuncOverride); ok {
			t.Errorf("service %s implements AuthFuncOverride: it would bypass caller authentication", name)
		}
	}
	// Every service the server answers was seen, so the test checks them all.
	for name := range srv.grpc.GetServiceInfo() {
		if !slices.Contains(names, name) {
			t.Errorf("service %s is served but was not checked", name)
		}
	}
	if len(names) < 6 {
		t.Errorf("only %d services checked: %v", len(names), names)
	}
}

// TestInterceptorOrder: the caller is authenticated, and rate-limited,
// before anything about the request is looked at.
func TestInterceptorOrder(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxRows = 1
	cfg.Callers.RateLimit, cfg.Callers.RateBurst = 0.001, 1
	ts := startTest(t, cfg, notesPolicy(t))
	tooMany := ownNote(user7)
	tooMany.Rows = append(tooMany.Rows, noteRow("2", 7))

	_, err := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "")).Check(t.Context(), tooMany)
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("no key, invalid request: %v; want Unauthenticated before validation", err)
	}
	client := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
	if _, err := client.Check(t.Context(), tooMany); status.Code(err) != codes.ResourceExhausted || reason(err) == callerauth.ReasonRateLimited {
		t.Errorf("first call: %v; want the row limit", err)
	}
	_, err = client.Check(t.Context(), tooMany)
	if status.Code(err) != codes.ResourceExhausted || reason(err) != callerauth.ReasonRateLimited {
		t.Errorf("second call: %v; want the rate limit before validation", err)
	}
	var retry *errdetails.RetryInfo
	for _, d := range status.Convert(err).Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if retry.GetRetryDelay().AsDuration() <= 0 {
		t.Errorf("rate limited without RetryInfo: %v", status.Convert(err).Details())
	}
}

// nested is a value nested depth lists deep.
func nested(depth int) *structpb.Value {
	v := structpb.NewStringValue("x")
	for range depth {
		v = structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{v}})
	}
	return v
}

// TestDeeplyNestedRequest: a request beyond protobuf's recursion limit is
// InvalidArgument — grpc-go alone says Internal — and only after the
// caller is authenticated. (--max-value-depth is raised out of the way:
// TestRequestCapsServed covers it; this is protobuf's own limit, for a
// nesting the walk does not count.)
func TestDeeplyNestedRequest(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxRecvMsgSize = 16 << 20
	cfg.MaxValueDepth = 1 << 20
	ts := startTest(t, cfg, notesPolicy(t))
	deep := ownNote(user7)
	deep.Rows[0].Values.Fields["owner_id"] = nested(6000)
	for _, tt := range []struct {
		caller string
		code   codes.Code
	}{{"", codes.Unauthenticated}, {"gateway", codes.InvalidArgument}} {
		_, err := wardenv1.NewAuthorizationServiceClient(ts.conn(t, tt.caller)).Check(t.Context(), deep)
		if status.Code(err) != tt.code {
			t.Errorf("caller %q: %v; want %s", tt.caller, err, tt.code)
		}
		if tt.code == codes.InvalidArgument && !strings.Contains(status.Convert(err).Message(), "nested too deeply") {
			t.Errorf("message %q", status.Convert(err).Message())
		}
	}
	// Not deep: still decided.
	ok := ownNote(user7)
	ok.Rows[0].Values.Fields["owner_id"] = nested(100)
	if _, err := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway")).Check(t.Context(), ok); status.Code(err) != codes.InvalidArgument ||
		!strings.Contains(err.Error(), "owner_id") {
		t.Errorf("a value nested 100 deep: %v; want the engine's InvalidArgument on owner_id", err)
	}
	if !strings.Contains(ts.logs.String(), `"grpc.code":"InvalidArgument"`) {
		t.Errorf("the refused call is not in the log:\n%s", ts.logs)
	}
}

// TestDeadline: the caller's deadline bounds the whole call, the session
// webhook included: with a webhook slower than the deadline (and a hook
// timeout far beyond it), the server gives up at the deadline and decides
// nothing.
func TestDeadline(t *testing.T) {
	release := make(chan struct{})
	hook := sessiontest.NewWebhook(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.Write([]byte(`{"X-Hasura-Role": "user", "X-Hasura-User-Id": "7"}`))
	})
	defer close(release)
	cfg := DefaultConfig()
	cfg.Sessions.AuthHook, cfg.Sessions.AuthHookSecret, cfg.Sessions.AuthHookTimeout = hook.URL, "s3cret", time.Minute
	ts := startTest(t, cfg, notesPolicy(t))

	ctx, cancel := t.Context(), func() {}
	ctx, cancel = contextWithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer opaque")
	start := time.Now()
	_, err := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "checker")).Check(ctx, ownNote(nil))
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("%v; want DeadlineExceeded", err)
	}
	// The server's own account of the call: ended at the deadline — by its
	// own timer (DeadlineExceeded) or by the client's cancellation when the
	// client's timer fired first (Canceled) — and not at the webhook's
	// timeout.
	ended := regexp.MustCompile(`"grpc.code":"(DeadlineExceeded|Canceled)".*"grpc.time_ms":"(\d+)`)
	deadline := time.Now().Add(5 * time.Second)
	var m []string
	for m = ended.FindStringSubmatch(ts.logs.String()); m == nil; m = ended.FindStringSubmatch(ts.logs.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not end the call at the deadline:\n%s", ts.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ms, _ := strconv.Atoi(m[2]); ms > 1000 {
		t.Errorf("the server ended the call after %d ms; the deadline was 300 ms", ms)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %s", took)
	}
	if strings.Contains(ts.logs.String(), "warden.decision_id") {
		t.Errorf("a decision was made after the deadline:\n%s", ts.logs)
	}
}

// TestResolveSessionReturnsStatuses: the handler returns the resolver's
// status unchanged, ErrorInfo reason included.
func TestResolveSessionReturnsStatuses(t *testing.T) {
	ts := startTest(t, DefaultConfig(), notesPolicy(t))
	for _, tt := range []struct {
		caller string
		p      *wardenv1.Principal
		code   codes.Code
		reason string
	}{
		{"checker", user7, codes.PermissionDenied, session.ReasonSessionVariablesNotAllowed},
		{"checker", nil, codes.Unauthenticated, session.ReasonMissingToken},
		{"gateway", &wardenv1.Principal{Role: "admin"}, codes.PermissionDenied, session.ReasonAdminRoleNotAllowed},
		{"gateway", user7, codes.OK, ""},
		{"ops", &wardenv1.Principal{Role: "admin"}, codes.OK, ""},
	} {
		_, err := wardenv1.NewAuthorizationServiceClient(ts.conn(t, tt.caller)).Check(t.Context(), ownNote(tt.p), grpc.WaitForReady(true))
		if status.Code(err) != tt.code || reason(err) != tt.reason {
			t.Errorf("%s %v: %v (%s); want %s %s", tt.caller, tt.p, err, reason(err), tt.code, tt.reason)
		}
	}
}
