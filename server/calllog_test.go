package server

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// finishedCalls are the "finished call" lines of a JSON log, decoded.
func finishedCalls(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, `"msg":"finished call"`) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// TestCallLogBelowInfo: a server that logs at warn writes no line for an
// OK call (its fields are never built), and writes the line of a call
// that fails at warn with the fields the library's interceptor gives it at
// info: the same keys and values, the call's own start time and duration.
func TestCallLogBelowInfo(t *testing.T) {
	missingVar := &wardenv1.Principal{Role: "user"} // no x-hasura-user-id: FailedPrecondition, logged at warn
	lines := map[string]map[string]any{}
	for _, level := range []string{"info", "warn"} {
		cfg := DefaultConfig()
		cfg.LogLevel = level
		ts := startTest(t, cfg, notesPolicy(t))
		client := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
		if _, err := client.Check(t.Context(), ownNote(user7)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err := client.Check(t.Context(), ownNote(missingVar))
		if status.Code(err) != codes.FailedPrecondition {
			t.Fatalf("%s: %v; want FailedPrecondition", level, err)
		}
		var got []map[string]any
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if got = finishedCalls(t, ts.logs.String()); len(got) > 0 && got[len(got)-1]["grpc.code"] == "FailedPrecondition" {
				break
			}
		}
		want := map[string]int{"info": 2, "warn": 1}[level]
		if len(got) != want {
			t.Fatalf("%s: %d finished-call lines, want %d:\n%s", level, len(got), want, ts.logs)
		}
		if level == "warn" && got[0]["grpc.code"] != "FailedPrecondition" {
			t.Fatalf("warn: the OK call was logged:\n%s", ts.logs)
		}
		line := got[len(got)-1]
		ms, err := strconv.ParseFloat(line["grpc.time_ms"].(string), 64)
		if err != nil || ms < 0 || ms > float64(time.Since(start).Milliseconds()+1) {
			t.Errorf("%s: grpc.time_ms %v is not the call's duration", level, line["grpc.time_ms"])
		}
		if st, err := time.Parse(time.RFC3339, line["grpc.start_time"].(string)); err != nil || st.Before(start.Add(-time.Second)) || st.After(time.Now()) {
			t.Errorf("%s: grpc.start_time %v is not the call's", level, line["grpc.start_time"])
		}
		lines[level] = line
	}
	info, warn := lines["info"], lines["warn"]
	for _, k := range []string{"time", "level", "grpc.start_time", "grpc.time_ms", "peer.address"} {
		delete(info, k)
		delete(warn, k)
	}
	for _, k := range []string{"grpc.method", "grpc.service", "grpc.code", "warden.role", "error.reason"} {
		if info[k] == nil {
			t.Errorf("the info line has no %s: %v", k, info)
		}
	}
	if len(info) != len(warn) {
		t.Errorf("the lines differ:\ninfo %v\nwarn %v", info, warn)
	}
	for k, v := range info {
		if warn[k] != v {
			t.Errorf("%s: info %v, warn %v", k, v, warn[k])
		}
	}
}
