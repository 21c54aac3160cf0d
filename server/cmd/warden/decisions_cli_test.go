package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serve --decision-log file writes each decision as an NDJSON event, and
// 'warden decisions tail' prints the recent ones, following new ones.
func TestDecisionsTailAndFileSink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "decisions.ndjson")
	srv := startServer(t, "--decision-log", "file", "--decision-log-file", path, "--decision-log-keep-session-vars", "x-hasura-org-id")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := srv.authz().Check(ctx, articlesRequest(t))
	if err != nil {
		t.Fatal(err)
	}

	stdout, stderr, err := runCLI(t, nil, "decisions", "tail", "--addr", srv.grpcAddr, "--api-key", srv.keys["ops"])
	if err != nil {
		t.Fatalf("decisions tail: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, resp.GetDecisionId()) || !strings.Contains(stdout, "role=user") ||
		!strings.Contains(stdout, "0=allow 1=deny") || !strings.Contains(stdout, "caller=ops") {
		t.Errorf("decisions tail printed:\n%s", stdout)
	}
	// A user-level key may not read decisions.
	if _, _, err := runCLI(t, nil, "decisions", "tail", "--addr", srv.grpcAddr, "--api-key", srv.keys["checker"]); err == nil {
		t.Error("a user-level key read the decisions")
	}

	// --follow prints decisions made after it started.
	tailCtx, stopTail := context.WithCancel(ctx)
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(tailCtx, []string{"decisions", "tail", "--addr", srv.grpcAddr, "--api-key", srv.keys["ops"],
			"--follow", "--interval", "50ms", "--output", "json"}, noEnv, out, &syncBuffer{})
	}()
	later, err := srv.authz().Check(ctx, articlesRequest(t))
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), later.GetDecisionId()) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	stopTail()
	if err := <-done; err != nil {
		t.Fatalf("tail --follow: %v", err)
	}
	if !strings.Contains(out.String(), later.GetDecisionId()) {
		t.Fatalf("tail --follow never printed the new decision:\n%s", out)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("--output json line %q: %v", line, err)
		}
	}

	if err := srv.stop(t); err != nil { // flushes the file sink
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var found int
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("file sink line %q: %v", line, err)
		}
		if ev["decision_id"] == resp.GetDecisionId() || ev["decision_id"] == later.GetDecisionId() {
			found++
			in := ev["input"].(map[string]any)
			if sess := in["session"].(map[string]any); sess["x-hasura-org-id"] != "1" || sess["x-hasura-user-id"] != nil {
				t.Errorf("session = %v, want the kept org id only", sess)
			}
		}
	}
	if found != 2 {
		t.Errorf("%d of the 2 decisions in the file sink:\n%s", found, b)
	}
}
