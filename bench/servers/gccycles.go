package servers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wardenpdp/warden/server/callerauth"
)

// gcCountMetric is the Go collector's count of completed garbage
// collections (the count of its go_gc_duration_seconds summary), which
// `warden serve` exports on /metrics.
const gcCountMetric = "go_gc_duration_seconds_count"

// GCCycles reads how many garbage collections the Warden p has completed
// since it started, from its /metrics with the caller key apiKey (the
// bench's admin key holds the metrics grant). It takes about a
// millisecond; call it between measurements, not during one.
func (p *Process) GCCycles(ctx context.Context, apiKey string) (int64, error) {
	if p.HTTPAddr == "" {
		return 0, fmt.Errorf("%s: no HTTP address", p.Name)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.HTTPAddr+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set(callerauth.APIKeyMetadata, apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s /metrics: %s", p.Name, resp.Status)
	}
	return gcCount(resp.Body)
}

// gcCount finds the count of collections in a Prometheus text exposition.
func gcCount(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, gcCountMetric)
		if !ok || !strings.HasPrefix(rest, " ") {
			continue // another metric, or one whose name only begins so
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil || f < 0 || f != float64(int64(f)) {
			return 0, fmt.Errorf("%s: not a count: %q", gcCountMetric, line)
		}
		return int64(f), nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in the metrics", gcCountMetric)
}
