package decisionlog

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/grpc"
)

func event(id, role, decision string) *Event {
	return &Event{
		DecisionID: id, Timestamp: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC), Revision: "rev1",
		Call: CallCheck, CallerID: "svc", CallerLevel: "user", Role: role, Table: "public.articles", Operation: "select",
		Rows:    []Row{{ID: "1", Decision: decision, Reason: "filter held"}},
		Latency: 42 * time.Microsecond, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7",
	}
}

// countStats records what the logger reports.
type countStats struct {
	mu      sync.Mutex
	dropped map[string]int
	written map[string]int
}

func newCountStats() *countStats {
	return &countStats{dropped: map[string]int{}, written: map[string]int{}}
}
func (c *countStats) Dropped(sink, reason string, n int) {
	c.mu.Lock()
	c.dropped[sink+"/"+reason] += n
	c.mu.Unlock()
}
func (c *countStats) Written(sink string, n int) {
	c.mu.Lock()
	c.written[sink] += n
	c.mu.Unlock()
}
func (c *countStats) QueueDepth(string, int) {}
func (c *countStats) get(m map[string]int, k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return m[k]
}

// syncBuffer is a bytes.Buffer safe to read while a sink writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestMaskKeepsNamesAndListedValuesOnly(t *testing.T) {
	var out syncBuffer
	l := New(Config{
		Mask:  Mask{SessionVars: []string{"X-Hasura-Org-Id"}, Columns: []string{"public.articles.status", "id"}},
		Sinks: []Sink{NewWriterSink("stdout", &out)},
	})
	e := event("d1", "user", "allow")
	l.Log(e, map[string]string{"x-hasura-user-id": "alice@example.com", "x-hasura-org-id": "7"},
		mapRows{{"id": 1, "status": "draft", "author_email": "bob@example.com"}})
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, secret := range []string{"alice@example.com", "bob@example.com"} {
		if strings.Contains(s, secret) {
			t.Errorf("masked value %q in the log: %s", secret, s)
		}
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(s), &got); err != nil {
		t.Fatalf("not one JSON line: %v: %s", err, s)
	}
	in := got["input"].(map[string]any)
	if sess := in["session"].(map[string]any); len(sess) != 1 || sess["x-hasura-org-id"] != "7" {
		t.Errorf("session = %v, want only the kept org id", sess)
	}
	if names := in["session_variables"].([]any); len(names) != 2 {
		t.Errorf("session_variables = %v, want both names", names)
	}
	vals := in["rows"].([]any)[0].(map[string]any)["values"].(map[string]any)
	if len(vals) != 2 || vals["status"] != "draft" || vals["id"] != float64(1) {
		t.Errorf("row values = %v, want status and id only", vals)
	}
	if erased := got["erased"].([]any); len(erased) != 1 || erased[0] != "/input/session/x-hasura-user-id" {
		t.Errorf("erased = %v", erased)
	}
	// OPA's fields a decision-log receiver reads.
	for _, k := range []string{"decision_id", "timestamp", "path", "input", "result", "requested_by", "labels", "bundles", "metrics", "trace_id"} {
		if _, ok := got[k]; !ok {
			t.Errorf("field %s missing: %s", k, s)
		}
	}
	if got["bundles"].(map[string]any)["warden"].(map[string]any)["revision"] != "rev1" {
		t.Errorf("bundles = %v", got["bundles"])
	}
	if got["result"].(map[string]any)["outcome"] != "allow" {
		t.Errorf("result = %v", got["result"])
	}
}

type mapRows []map[string]any

func (m mapRows) Value(i int, col string) (any, bool) {
	v, ok := m[i][col]
	return v, ok
}

func TestDropRules(t *testing.T) {
	r, err := ParseDropRule("role=anonymous,decision=allow")
	if err != nil {
		t.Fatal(err)
	}
	l := New(Config{Drop: []DropRule{r}})
	l.Log(event("a", "anonymous", "allow"), nil, nil)
	l.Log(event("b", "anonymous", "deny"), nil, nil)
	l.Log(event("c", "user", "allow"), nil, nil)
	var ids []string
	for _, e := range l.Recent(Query{}) {
		ids = append(ids, e.DecisionID)
	}
	if strings.Join(ids, ",") != "c,b" || l.DroppedByRules() != 1 {
		t.Errorf("kept %v (dropped %d), want c,b and 1 dropped", ids, l.DroppedByRules())
	}
	for _, bad := range []string{"", "role", "colour=red", "outcome=maybe", "call=select"} {
		if _, err := ParseDropRule(bad); err == nil {
			t.Errorf("ParseDropRule(%q): no error", bad)
		}
	}
}

func TestRecentRingIsBoundedAndFiltered(t *testing.T) {
	l := New(Config{Recent: 5})
	for i := range 12 {
		role := "user"
		if i%2 == 0 {
			role = "editor"
		}
		l.Log(event(string(rune('a'+i)), role, "allow"), nil, nil)
	}
	all := l.Recent(Query{})
	if len(all) != 5 || all[0].DecisionID != "l" || all[4].DecisionID != "h" {
		t.Fatalf("recent = %d events from %s, want the last 5 newest first", len(all), all[0].DecisionID)
	}
	ed := l.Recent(Query{Role: "editor", Limit: 1})
	if len(ed) != 1 || ed[0].DecisionID != "k" {
		t.Errorf("editor's newest = %v", ed)
	}
	after := l.Recent(Query{After: 10})
	if len(after) != 2 {
		t.Errorf("after 10: %d events, want 2", len(after))
	}
}

// receiver is an HTTP decision-log receiver that fails its first
// failures uploads with 503.
type receiver struct {
	mu       sync.Mutex
	batches  [][]map[string]any
	failures atomic.Int32
	attempts atomic.Int32
	t        *testing.T
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.attempts.Add(1)
	if req.Header.Get("Content-Encoding") != "gzip" || req.Header.Get("Content-Type") != "application/json" || req.Method != http.MethodPost {
		r.t.Errorf("upload: %s with %v", req.Method, req.Header)
	}
	if r.failures.Add(-1) >= 0 {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	zr, err := gzip.NewReader(req.Body)
	if err != nil {
		r.t.Errorf("not gzip: %v", err)
		return
	}
	var batch []map[string]any
	if err := json.NewDecoder(zr).Decode(&batch); err != nil {
		r.t.Errorf("not a JSON array: %v", err)
	}
	r.mu.Lock()
	r.batches = append(r.batches, batch)
	r.mu.Unlock()
}

func TestHTTPSinkBatchesGzipAndRetries(t *testing.T) {
	rc := &receiver{t: t}
	rc.failures.Store(2)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	stats := newCountStats()
	l := New(Config{Stats: stats, Sinks: []Sink{&HTTPSink{URL: srv.URL, Batch: 50, FlushEvery: 200 * time.Millisecond, MinBackoff: 10 * time.Millisecond}}})
	for i := range 120 {
		l.Log(event("d"+string(rune('A'+i%26))+strings.Repeat("x", i/26), "user", "allow"), nil, nil)
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	seen := map[string]bool{}
	for _, b := range rc.batches {
		if len(b) > 50 {
			t.Errorf("batch of %d events, want at most 50", len(b))
		}
		for _, e := range b {
			id := e["decision_id"].(string)
			if seen[id] {
				t.Errorf("event %s delivered twice", id)
			}
			seen[id] = true
			n++
		}
	}
	if n != 120 || len(rc.batches) < 3 {
		t.Errorf("received %d events in %d batches, want 120 in at least 3", n, len(rc.batches))
	}
	if rc.attempts.Load() != int32(len(rc.batches))+2 {
		t.Errorf("%d attempts for %d batches, want 2 retries", rc.attempts.Load(), len(rc.batches))
	}
	if stats.get(stats.written, "http") != 120 || stats.get(stats.dropped, "http/write_failed") != 0 {
		t.Errorf("stats %v %v", stats.written, stats.dropped)
	}
}

func TestHTTPSinkGivesUpAndCounts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusBadRequest) // permanent: not retried
	}))
	defer srv.Close()
	stats := newCountStats()
	l := New(Config{Stats: stats, Sinks: []Sink{&HTTPSink{URL: srv.URL, Batch: 10, FlushEvery: 10 * time.Millisecond}}})
	for range 10 {
		l.Log(event("d", "user", "allow"), nil, nil)
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := stats.get(stats.dropped, "http/write_failed"); got != 10 {
		t.Errorf("write_failed drops = %d, want 10", got)
	}
}

// A sink that never answers: Log never waits on it; what the queue cannot
// hold is dropped and counted.
func TestDeadSinkNeverBlocksLog(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	stats := newCountStats()
	l := New(Config{QueueSize: 100, Stats: stats, Sinks: []Sink{&HTTPSink{URL: srv.URL, Batch: 10, FlushEvery: time.Millisecond}}})
	done := make(chan struct{})
	go func() {
		for range 5000 {
			l.Log(event("d", "user", "allow"), nil, nil)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Log blocked on a dead sink")
	}
	// The sink holds one batch of 10 in its hung upload and 100 queued:
	// the rest were dropped.
	if d := stats.get(stats.dropped, "http/queue_full"); d < 5000-100-10 {
		t.Errorf("queue_full drops = %d, want at least %d", d, 5000-110)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := l.Close(ctx); err == nil {
		t.Error("Close flushed through a sink that never answers")
	}
}

func TestFileSinkRotates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "decisions.ndjson")
	sink := NewFileSink(path, 1, 3)
	big := strings.Repeat("r", 2000)
	// ~2.7 MB in three writes: two rotations at 1 MiB. Rotated files are
	// named by the millisecond, so the writes are a few apart.
	for range 3 {
		batch := make([]*Event, 400)
		for i := range batch {
			batch[i] = event("d", "user", "allow")
			batch[i].Rows[0].Reason = big
		}
		if err := sink.Write(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := sink.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "decisions*.ndjson"))
	if len(files) < 3 {
		t.Fatalf("files %v, want the current one and rotated ones", files)
	}
	lines := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(f); fi.Size() > 1<<20 {
			t.Errorf("%s is %d bytes, over the 1 MiB limit", f, fi.Size())
		}
		for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%s: bad line: %v", f, err)
			}
			lines++
		}
	}
	if lines != 1200 {
		t.Errorf("%d events across the files, want 1200", lines)
	}
}

// logsCollector is an OTLP/gRPC logs receiver.
type logsCollector struct {
	collogspb.UnimplementedLogsServiceServer
	mu   sync.Mutex
	reqs []*collogspb.ExportLogsServiceRequest
}

func (c *logsCollector) Export(_ context.Context, r *collogspb.ExportLogsServiceRequest) (*collogspb.ExportLogsServiceResponse, error) {
	c.mu.Lock()
	c.reqs = append(c.reqs, r)
	c.mu.Unlock()
	return &collogspb.ExportLogsServiceResponse{}, nil
}

func TestOTLPSinkExportsRecordsWithTraceIDs(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	col := &logsCollector{}
	collogspb.RegisterLogsServiceServer(gs, col)
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()

	sink, err := NewOTLPSink(context.Background(), nil, otlploggrpc.WithEndpoint(lis.Addr().String()), otlploggrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	l := New(Config{Sinks: []Sink{sink}})
	l.Log(event("dec-otlp-1", "user", "deny"), nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	var found bool
	for _, r := range col.reqs {
		for _, rl := range r.GetResourceLogs() {
			for _, sl := range rl.GetScopeLogs() {
				for _, lr := range sl.GetLogRecords() {
					attrs := map[string]string{}
					for _, kv := range lr.GetAttributes() {
						attrs[kv.GetKey()] = kv.GetValue().GetStringValue()
					}
					if attrs["warden.decision_id"] != "dec-otlp-1" {
						continue
					}
					found = true
					if attrs["warden.outcome"] != "deny" || attrs["warden.revision"] != "rev1" {
						t.Errorf("attributes %v", attrs)
					}
					if got := hexOf(lr.GetTraceId()); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
						t.Errorf("trace id %s", got)
					}
					if got := hexOf(lr.GetSpanId()); got != "00f067aa0ba902b7" {
						t.Errorf("span id %s", got)
					}
					if !strings.Contains(lr.GetBody().GetStringValue(), `"decision_id":"dec-otlp-1"`) {
						t.Errorf("body %s", lr.GetBody())
					}
				}
			}
		}
	}
	if !found {
		t.Fatalf("no log record for the decision among %d exports", len(col.reqs))
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

var _ io.Writer = (*syncBuffer)(nil)

func BenchmarkEventJSON(b *testing.B) {
	e := event("01a24d39-659f-7b7b-b8a7-e21cca5ae08b", "user", "allow")
	e.SessionNames = []string{"x-hasura-org-id", "x-hasura-role", "x-hasura-user-id"}
	e.Erased = []string{"/input/session/x-hasura-org-id", "/input/session/x-hasura-role", "/input/session/x-hasura-user-id"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}
