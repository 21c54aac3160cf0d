package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// BenchmarkCheckDecisionLog measures Check over gRPC on loopback with the
// decision log off and on, in one run, so that the cost of logging is a
// ratio of figures measured side by side:
//
//	go test ./server -run '^$' -bench CheckDecisionLog -count 6 -cpu 2 | tee /tmp/dl.txt
//	go tool benchstat -col /log /tmp/dl.txt
//
// off: no sink and no recent decisions; ring: the default (the last 1000
// in memory); file: the NDJSON file sink as well; dead-http: an HTTP sink
// whose receiver never answers (every event beyond its queue is dropped).
func BenchmarkCheckDecisionLog(b *testing.B) {
	block := make(chan struct{})
	dead := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
	defer dead.Close()
	defer close(block)
	dir := b.TempDir()
	modes := []struct {
		name string
		set  func(*DecisionLogConfig)
	}{
		{"off", func(c *DecisionLogConfig) { c.Recent = 0 }},
		{"ring", func(*DecisionLogConfig) {}},
		{"file", func(c *DecisionLogConfig) {
			c.Sinks, c.File = []string{"file"}, filepath.Join(dir, "d.ndjson")
		}},
		{"dead-http", func(c *DecisionLogConfig) {
			c.Sinks, c.URL, c.Queue = []string{"http"}, dead.URL, 1000
		}},
	}
	for _, m := range modes {
		b.Run("log="+m.name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.ShutdownTimeout = 100 * time.Millisecond
			m.set(&cfg.DecisionLog)
			ts := startTest(b, cfg, notesPolicy(b))
			authz := wardenv1.NewAuthorizationServiceClient(ts.conn(b, "gateway"))
			req := notesCheck("7", 7)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetParallelism(16)
			b.ResetTimer()
			cpu0 := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := authz.Check(ctx, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			// CPU time (client and server, one process) per call: less
			// swayed than wall time by what else the machine runs.
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the process's user and system CPU time so far, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
