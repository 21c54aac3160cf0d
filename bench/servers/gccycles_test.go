package servers

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/server/callerauth"
)

// A Prometheus text exposition as the Go collector writes it, with names
// that begin like the count's and must not be taken for it.
const metricsText = `# HELP go_gc_duration_seconds A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 2.1e-05
go_gc_duration_seconds{quantile="1"} 0.000412
go_gc_duration_seconds_sum 0.0131
go_gc_duration_seconds_count_other 7
go_gc_duration_seconds_count 1234
go_goroutines 21
`

func TestGCCount(t *testing.T) {
	n, err := gcCount(strings.NewReader(metricsText))
	if err != nil || n != 1234 {
		t.Fatalf("gcCount = %d, %v; want 1234", n, err)
	}
	for name, text := range map[string]string{
		"missing":      "go_goroutines 21\ngo_gc_duration_seconds_sum 0.1\n",
		"not a number": "go_gc_duration_seconds_count many\n",
		"fractional":   "go_gc_duration_seconds_count 1.5\n",
		"negative":     "go_gc_duration_seconds_count -3\n",
	} {
		if n, err := gcCount(strings.NewReader(text)); err == nil {
			t.Errorf("%s: gcCount = %d, want an error", name, n)
		}
	}
}

// TestGCCyclesReadsMetrics: GCCycles asks /metrics with the caller key
// and reads the count; a refused request is an error, not a zero.
func TestGCCyclesReadsMetrics(t *testing.T) {
	const key = "wdn_test"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" || r.Header.Get(callerauth.APIKeyMetadata) != key {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, metricsText)
	}))
	defer srv.Close()
	p := &Process{Name: "warden", HTTPAddr: strings.TrimPrefix(srv.URL, "http://")}
	n, err := p.GCCycles(context.Background(), key)
	if err != nil || n != 1234 {
		t.Fatalf("GCCycles = %d, %v; want 1234", n, err)
	}
	if n, err := p.GCCycles(context.Background(), "wdn_other"); err == nil {
		t.Fatalf("GCCycles with another key = %d, want an error", n)
	}
	if _, err := (&Process{Name: "opa"}).GCCycles(context.Background(), key); err == nil {
		t.Fatal("GCCycles without an HTTP address: want an error")
	}
}
