package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestJudge(t *testing.T) {
	tests := []struct {
		t          Target
		met        bool
		wantMargin string
	}{
		{Target{Measured: 0.77, Limit: 0.70, AtLeast: true, Available: true}, true, "met, 10% to spare"},
		{Target{Measured: 0.35, Limit: 0.70, AtLeast: true, Available: true}, false, "missed by 50%"},
		{Target{Measured: 1.0, Limit: 2, Available: true}, true, "met, 50% to spare"},
		{Target{Measured: 3.0, Limit: 2, Available: true}, false, "missed by 50%"},
		{Target{Measured: 3.0, Limit: 2}, false, "not measured"},
	}
	for _, tc := range tests {
		tc.t.Judge()
		if tc.t.Met != tc.met || tc.t.Margin != tc.wantMargin {
			t.Errorf("%+v: met %v %q, want %v %q", tc.t, tc.t.Met, tc.t.Margin, tc.met, tc.wantMargin)
		}
	}
}

func TestWrite(t *testing.T) {
	r := &Report{
		Date:    time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC),
		Command: "go run ./bench/cmd/wardenbench",
		Runs: []*Run{
			{ID: "a", Scenario: "check-1", Users: 1, Server: "warden", API: "Check", Mode: "closed", Workers: 64, Requests: 10, RPS: 1000, Errors: map[string]int64{"Unavailable": 2}, VsEcho: 0.5},
			{ID: "b", Scenario: "filter", Users: 1, Server: "warden", Skipped: "not built"},
		},
		Targets: []*Target{{Name: "t", Measured: 0.5, Limit: 0.7, AtLeast: true, Available: true, Unit: "x"}},
		Notes:   []string{"a note"},
	}
	r.Targets[0].Judge()
	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2026-11-23 06:00 UTC", "| check-1 | 1 | warden | Check | 64 workers | 1000 |", "2 Unavailable", "0.500x", "skipped: not built", "missed by 29%", "- a note"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Runs) != 2 || back.Runs[0].RPS != 1000 || back.Targets[0].Margin != "missed by 29%" {
		t.Errorf("JSON round trip: %+v", back)
	}
}
