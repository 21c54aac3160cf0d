package server

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/tracing"
)

// decisionReceiver is an HTTP decision-log receiver.
type decisionReceiver struct {
	mu     sync.Mutex
	events map[string]map[string]any // by decision id
}

func (r *decisionReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	zr, err := gzip.NewReader(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var batch []map[string]any
	if err := json.NewDecoder(zr).Decode(&batch); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	for _, e := range batch {
		r.events[e["decision_id"].(string)] = e
	}
	r.mu.Unlock()
}

func (r *decisionReceiver) get(id string) map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events[id]
}

func notesCheck(user string, owners ...int) *wardenv1.CheckRequest {
	req := &wardenv1.CheckRequest{
		Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": user, "x-hasura-org-id": "secret-org-424242"}},
		Table:     "notes",
		Operation: wardenv1.Operation_OPERATION_SELECT,
	}
	for i, o := range owners {
		v, _ := structpb.NewStruct(map[string]any{"id": i, "owner_id": o})
		req.Rows = append(req.Rows, &wardenv1.Row{Id: string(rune('a' + i)), Values: v})
	}
	return req
}

// Every decision can be found by its id in the HTTP sink and in
// ListDecisions, with its revision, caller and each row's reason; session
// values are masked unless kept.
func TestDecisionLogRecordsEveryDecision(t *testing.T) {
	rc := &decisionReceiver{events: map[string]map[string]any{}}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	cfg := DefaultConfig()
	cfg.DecisionLog.Sinks = []string{"http"}
	cfg.DecisionLog.URL = hs.URL
	cfg.DecisionLog.Flush = 20 * time.Millisecond
	cfg.DecisionLog.KeepColumns = []string{"owner_id"}
	cfg.DecisionLog.Drop = []string{"call=check,outcome=deny,role=user"}
	ts := startTest(t, cfg, notesPolicy(t))
	cc := ts.conn(t, "gateway")
	authz := wardenv1.NewAuthorizationServiceClient(cc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// The caller's trace: the event carries its ids even with tracing off.
	tctx := metadata.AppendToOutgoingContext(ctx, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	mixed, err := authz.Check(tctx, notesCheck("7", 7, 8)) // allowed and denied: mixed, kept
	if err != nil {
		t.Fatal(err)
	}
	denied, err := authz.Check(ctx, notesCheck("7", 9)) // all denied: dropped by the rule
	if err != nil {
		t.Fatal(err)
	}
	filter, err := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "ops")).Filter(ctx, &wardenv1.FilterRequest{
		Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "7", "x-hasura-org-id": "secret-org-424242"}},
		Table:     "notes", Operation: wardenv1.Operation_OPERATION_SELECT,
		Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES},
	})
	if err != nil {
		t.Fatal(err)
	}

	var ev map[string]any
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ev = rc.get(mixed.GetDecisionId()); ev != nil && rc.get(filter.GetDecisionId()) != nil {
			break
		}
	}
	if ev == nil {
		t.Fatalf("the Check's event never reached the HTTP sink; metrics:\n%s", grepLines(scrape(t, ts), "decision_log"))
	}
	if ev["requested_by"] != "gateway" || ev["revision"] != "rev1" || ev["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("event = %v", ev)
	}
	res := ev["result"].(map[string]any)
	rows := res["rows"].([]any)
	if res["outcome"] != "mixed" || len(rows) != 2 || rows[0].(map[string]any)["decision"] != "allow" || rows[1].(map[string]any)["decision"] != "deny" {
		t.Errorf("result = %v", res)
	}
	if rows[1].(map[string]any)["reason"] == "" {
		t.Errorf("denied row without its reason: %v", rows[1])
	}
	in := ev["input"].(map[string]any)
	if v := in["rows"].([]any)[1].(map[string]any)["values"].(map[string]any); v["owner_id"] != float64(8) || len(v) != 1 {
		t.Errorf("kept row values = %v, want owner_id only", v)
	}
	b, _ := json.Marshal(ev)
	if strings.Contains(string(b), "secret-org-424242") || !strings.Contains(string(b), "x-hasura-org-id") {
		t.Errorf("a masked session value is in the event, or its name is not: %s", b)
	}
	fe := rc.get(filter.GetDecisionId())
	if fe == nil || fe["result"].(map[string]any)["filter_kind"] != "conditional" || !strings.Contains(fe["result"].(map[string]any)["sql"].(string), "$1") {
		t.Errorf("filter event = %v", fe)
	}
	if rc.get(denied.GetDecisionId()) != nil {
		t.Error("the drop rule did not drop the denied Check")
	}

	admin := wardenv1.NewAdminServiceClient(ts.conn(t, "ops"))
	list, err := admin.ListDecisions(ctx, &wardenv1.ListDecisionsRequest{Call: "check"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetDecisions()) != 1 || list.GetDecisions()[0].GetDecisionId() != mixed.GetDecisionId() || list.GetDecisions()[0].GetOutcome() != "mixed" {
		t.Errorf("ListDecisions(check) = %v", list.GetDecisions())
	}
	all, err := admin.ListDecisions(ctx, &wardenv1.ListDecisionsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.GetDecisions()) != 2 || all.GetDecisions()[0].GetDecisionId() != filter.GetDecisionId() {
		t.Errorf("ListDecisions() = %v, want the Filter then the Check", all.GetDecisions())
	}
	// Only admins read decisions.
	if _, err := wardenv1.NewAdminServiceClient(cc).ListDecisions(ctx, &wardenv1.ListDecisionsRequest{}); err == nil {
		t.Error("a user-level caller read the decisions")
	}
}

// traceCollector is an OTLP/gRPC trace receiver.
type traceCollector struct {
	coltracepb.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans map[string]spanInfo // by name
}

type spanInfo struct{ traceID, spanID, parentID string }

func (c *traceCollector) Export(_ context.Context, r *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range r.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				c.spans[sp.GetName()] = spanInfo{hexBytes(sp.GetTraceId()), hexBytes(sp.GetSpanId()), hexBytes(sp.GetParentSpanId())}
			}
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func hexBytes(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// startTracing turns tracing on, exporting to an OTLP/gRPC receiver on
// loopback, until the test ends (after the test's server stops).
func startTracing(t *testing.T) (*traceCollector, *sdktrace.TracerProvider) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	col := &traceCollector{spans: map[string]spanInfo{}}
	coltracepb.RegisterTraceServiceServer(gs, col)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)

	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(lis.Addr().String()), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	tracing.Use(tp)
	// Cleanups run last first: the server stops, then tracing, then the
	// receiver.
	t.Cleanup(func() {
		tracing.Off()
		_ = tp.Shutdown(context.Background())
	})
	return col, tp
}

// waitSpan waits for the receiver to hold the span called name.
func (c *traceCollector) waitSpan(name string) (spanInfo, bool) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		c.mu.Lock()
		sp, ok := c.spans[name]
		c.mu.Unlock()
		if ok {
			return sp, true
		}
	}
	return spanInfo{}, false
}

// With tracing on, a Check's span is a child of the caller's span (W3C
// traceparent), with the session and evaluation spans under it, exported
// over OTLP to a real receiver.
func TestTracesJoinTheCallersTrace(t *testing.T) {
	col, _ := startTracing(t)
	ts := startTest(t, DefaultConfig(), notesPolicy(t))
	authz := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
	ctx := metadata.AppendToOutgoingContext(context.Background(), "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := authz.Check(ctx, notesCheck("7", 7))
	if err != nil {
		t.Fatal(err)
	}
	// The call's span ends once the answer is sent: wait for it.
	call, ok := col.waitSpan("warden.v1.AuthorizationService/Check")
	col.mu.Lock()
	defer col.mu.Unlock()
	if !ok {
		t.Fatalf("no span for the call among %v", col.spans)
	}
	if call.traceID != "4bf92f3577b34da6a3ce929d0e0e4736" || call.parentID != "00f067aa0ba902b7" {
		t.Errorf("call span %+v: not a child of the caller's span", call)
	}
	for _, name := range []string{"warden.session", "warden.evaluate"} {
		if sp := col.spans[name]; sp.traceID != call.traceID || sp.parentID != call.spanID {
			t.Errorf("%s span %+v: not a child of the call span %s", name, sp, call.spanID)
		}
	}
	// The decision log carries the server span's ids.
	list, err := wardenv1.NewAdminServiceClient(ts.conn(t, "ops")).ListDecisions(context.Background(), &wardenv1.ListDecisionsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if d := list.GetDecisions(); len(d) != 1 || d[0].GetDecisionId() != resp.GetDecisionId() || d[0].GetTraceId() != call.traceID {
		t.Errorf("ListDecisions = %v", d)
	}
}

// A session from the auth webhook: its request is a span under the
// session's, and its latency a metric.
func TestWebhookCallTracedAndTimed(t *testing.T) {
	col, _ := startTracing(t)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"X-Hasura-Role": "user", "X-Hasura-User-Id": "7"}`))
	}))
	defer hook.Close()
	cfg := DefaultConfig()
	cfg.Sessions.AuthHook = hook.URL
	cfg.Sessions.AuthHookSecret = "hook-secret"
	ts := startTest(t, cfg, notesPolicy(t))
	authz := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "checker"))
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer end-user-token")
	req := notesCheck("7", 7)
	req.Principal = nil
	resp, err := authz.Check(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetDecisions()[0].GetDecision() != wardenv1.Decision_DECISION_ALLOW {
		t.Fatalf("the webhook's session was not used: %v", resp)
	}
	hookSpan, ok := col.waitSpan("warden.session.webhook")
	if !ok {
		t.Fatal("no span for the webhook call")
	}
	sess, _ := col.waitSpan("warden.session")
	if hookSpan.parentID != sess.spanID || hookSpan.traceID != sess.traceID {
		t.Errorf("webhook span %+v is not a child of the session span %+v", hookSpan, sess)
	}
	if body := scrape(t, ts); !strings.Contains(body, `warden_session_call_duration_seconds_count{call="webhook",outcome="ok"} 1`) {
		t.Errorf("webhook latency not recorded:\n%s", grepLines(body, "warden_session_call"))
	}
}

// A gateway call carries the caller's W3C trace context too.
func TestGatewayDecisionCarriesTraceID(t *testing.T) {
	ts := startTest(t, DefaultConfig(), notesPolicy(t))
	body := `{"principal": {"role": "user", "sessionVariables": {"x-hasura-user-id": "7"}}, "table": "notes", "operation": "OPERATION_SELECT", "rows": [{"id": "a", "values": {"id": 1, "owner_id": 7}}]}`
	code, _, out := httpCall(t, "POST", "http://"+ts.httpAddr+"/v1/check", map[string]string{
		"X-Warden-Api-Key": ts.keys["ops"], "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
	}, body)
	if code != 200 {
		t.Fatalf("%d %s", code, out)
	}
	code, _, out = httpCall(t, "GET", "http://"+ts.httpAddr+"/v1/admin/decisions?call=check", map[string]string{"X-Warden-Api-Key": ts.keys["ops"]}, "")
	if code != 200 || !strings.Contains(out, `"traceId":"0af7651916cd43dd8448eb211c80319c"`) || !strings.Contains(out, `"outcome":"allow"`) {
		t.Errorf("GET /v1/admin/decisions: %d %s", code, out)
	}
}

// A sink that never answers costs a counter, not a failed or stalled call.
func TestDeadSinkDoesNotHoldUpCheck(t *testing.T) {
	block := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
	defer hs.Close()
	defer close(block)
	cfg := DefaultConfig()
	cfg.DecisionLog.Sinks = []string{"http"}
	cfg.DecisionLog.URL = hs.URL
	cfg.DecisionLog.Queue = 50
	cfg.DecisionLog.Batch = 10
	cfg.DecisionLog.Flush = time.Millisecond
	cfg.ShutdownTimeout = 200 * time.Millisecond
	ts := startTest(t, cfg, notesPolicy(t))
	authz := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 500 {
		if _, err := authz.Check(ctx, notesCheck("7", 7)); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	body := scrape(t, ts)
	if !strings.Contains(body, `warden_decision_log_dropped_total{reason="queue_full",sink="http"}`) {
		t.Errorf("no queue_full drops counted:\n%s", grepLines(body, "warden_decision_log"))
	}
}

func scrape(t *testing.T, ts *testServer) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+ts.httpAddr+"/metrics", nil)
	req.Header.Set("x-warden-api-key", ts.keys["ops"])
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String()
}

func grepLines(s, sub string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
