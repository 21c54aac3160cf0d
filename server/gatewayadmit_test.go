package server

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestGatewayAdmitsBeforeBody: the gateway refuses a call from its
// headers — no caller, a caller without the route's grant, a caller over
// its rate limit — without reading a byte of its body: the body here is
// a pipe nobody writes to, so a server that read it would hang. The
// answer is the status the gRPC tap gives, as HTTP, and nothing is
// decided.
func TestGatewayAdmitsBeforeBody(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Callers.RateLimit, cfg.Callers.RateBurst = 0.001, 2
	ts := startTest(t, cfg, notesPolicy(t))
	base := "http://" + ts.httpAddr
	decisions := decisionsMade(t, ts)
	refused := func(reason string) float64 { return testutil.ToFloat64(ts.srv.metrics.refused.WithLabelValues(reason)) }

	// stalled POSTs path with a body that never comes, as caller.
	stalled := func(path, caller string) (int, http.Header, string) {
		t.Helper()
		pr, pw := io.Pipe()
		// A server that waits for the body fails the test, not hangs it.
		stop := time.AfterFunc(5*time.Second, func() { pw.CloseWithError(io.ErrUnexpectedEOF) })
		defer stop.Stop()
		defer pw.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, "POST", base+path, pr)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = 1 << 20 // declared, never sent
		req.Header.Set("Content-Type", "application/json")
		if caller != "" {
			req.Header.Set("X-Warden-Api-Key", ts.keys[caller])
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatalf("POST %s as %q: %v (the server waited for the body?)", path, caller, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	for _, c := range []struct {
		name, path, caller string
		code               int
		reason             string
	}{
		{"no key", "/v1/check", "", http.StatusUnauthorized, "MISSING_CALLER_CREDENTIALS"},
		{"no key, filter", "/v1/filter", "", http.StatusUnauthorized, "MISSING_CALLER_CREDENTIALS"},
		{"without the check grant", "/v1/check", "scraper", http.StatusForbidden, "CALLER_NOT_PERMITTED"},
		{"without the filter grant", "/v1/filter", "checker", http.StatusForbidden, "CALLER_NOT_PERMITTED"},
		{"echo without a key", "/v1/diagnostics/echo", "", http.StatusUnauthorized, "MISSING_CALLER_CREDENTIALS"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := refused(c.reason)
			code, _, body := stalled(c.path, c.caller)
			if code != c.code || !strings.Contains(body, c.reason) {
				t.Errorf("%d %s, want %d with %s", code, body, c.code, c.reason)
			}
			if got := refused(c.reason) - before; got != 1 {
				t.Errorf("counted %v refusals before decoding, want 1", got)
			}
		})
	}

	// The rate limit: a burst of 2, counted once per HTTP call (the
	// in-process gRPC server does not count it again), then 429 from the
	// headers.
	key := map[string]string{"X-Warden-Api-Key": ts.keys["gateway"]}
	for i := range 2 {
		if code, _, body := httpCall(t, "POST", base+"/v1/check", key, noteCheck); code != http.StatusOK {
			t.Fatalf("call %d within the burst of 2: %d %s (counted twice?)", i+1, code, body)
		}
	}
	code, header, body := stalled("/v1/check", "gateway")
	if code != http.StatusTooManyRequests || !strings.Contains(body, "RATE_LIMITED") || header.Get("Retry-After") == "" {
		t.Errorf("third call: %d %s (Retry-After %q), want 429 RATE_LIMITED with Retry-After", code, body, header.Get("Retry-After"))
	}
	if got := decisionsMade(t, ts) - decisions; got != 2 {
		t.Errorf("%v decisions, want the 2 of the calls admitted", got)
	}

	// An oversize body: the caller first (401), then its size (413). A
	// refused body is never read, so a client gets the 401 before it
	// sends the body only if it waits for 100 Continue, as curl does for
	// large bodies; otherwise the connection may be reset under it.
	big := strings.Repeat(" ", cfg.MaxRecvMsgSize+1)
	expecting := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, ExpectContinueTimeout: 5 * time.Second}}
	req, _ := http.NewRequest("POST", base+"/v1/check", strings.NewReader(big))
	req.Header.Set("Expect", "100-continue")
	resp, err := expecting.Do(req)
	if err != nil {
		t.Fatalf("oversize body without a key: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("oversize body without a key: %s, want 401", resp.Status)
	}
	if code, _, body := httpCall(t, "POST", base+"/v1/check", map[string]string{"X-Warden-Api-Key": ts.keys["checker"]}, big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversize body with a key: %d %s, want 413", code, body)
	}
}

// TestGatewayBodyMethodsCoverHTTPRules: every route of http.yaml with a
// body is authorized before its body is read, for its own method.
func TestGatewayBodyMethodsCoverHTTPRules(t *testing.T) {
	data, err := os.ReadFile("../proto/warden/v1/http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var selector string
	posts := 0
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "- selector: "); ok {
			selector = v
		}
		if path, ok := strings.CutPrefix(line, "post: "); ok {
			posts++
			i := strings.LastIndexByte(selector, '.')
			want := "/" + selector[:i] + "/" + selector[i+1:]
			if got := gatewayBodyMethods["POST "+path]; got != want {
				t.Errorf("POST %s: authorized before its body as %q, want %q", path, got, want)
			}
		}
	}
	if posts != len(gatewayBodyMethods) || posts == 0 {
		t.Errorf("%d POST routes in http.yaml, %d in gatewayBodyMethods", posts, len(gatewayBodyMethods))
	}
}
