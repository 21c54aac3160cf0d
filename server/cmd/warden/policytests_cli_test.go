package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenpdp/warden/policy/load"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server"
)

// exampleTests is how many tests the blog example's suites hold.
const exampleTests = 19

const wrongSuite = `sessions:
  alice:
    role: user
    variables: {x-hasura-user-id: 1, x-hasura-org-id: 1}
fixtures:
  users:
    - {id: 3, org_id: 2, name: Carol, email: carol@globex.example}
tests:
  - name: alice reads carol, wrongly
    session: alice
    table: users
    check:
      - {row: 3, decision: allow}
`

// blogWithAWrongTest is the blog example with one more suite, whose one
// test (tests/wrong.yaml:9) expects what the policy denies.
func blogWithAWrongTest(t *testing.T) string {
	t.Helper()
	dir := copyBlog(t)
	if err := os.WriteFile(filepath.Join(dir, "tests", "wrong.yaml"), []byte(wrongSuite), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestServeRunsThePolicyTests: serve runs the policy directory's suites
// against the set it loaded, and GetStatus reports the outcome with the
// failing test named and why.
func TestServeRunsThePolicyTests(t *testing.T) {
	dir := blogWithAWrongTest(t)
	srv := startServer(t, "--policy", dir)
	st := waitForStatus(t, srv.admin(), "the policy tests' run", func(st *wardenv1.GetStatusResponse) bool {
		return st.GetPolicyTests().GetRanAt() != nil
	})
	pt := st.GetPolicyTests()
	if pt.GetRevision() != st.GetRevision() || pt.GetNoTests() || pt.GetError() != "" || pt.GetRunning() {
		t.Fatalf("policy tests %v; want a finished run on revision %s", pt, st.GetRevision())
	}
	if pt.GetPassed() != exampleTests || pt.GetFailed() != 1 || pt.GetErrored() != 0 {
		t.Errorf("passed %d, failed %d, errored %d; want %d, 1, 0", pt.GetPassed(), pt.GetFailed(), pt.GetErrored(), exampleTests)
	}
	if len(pt.GetFailures()) != 1 {
		t.Fatalf("failures %v, want the one wrong test", pt.GetFailures())
	}
	f := pt.GetFailures()[0]
	if f.GetName() != "alice reads carol, wrongly" || f.GetFile() != "tests/wrong.yaml" || f.GetLine() != 9 {
		t.Errorf("failure %v, want alice reads carol, wrongly at tests/wrong.yaml:9", f)
	}
	if !strings.Contains(f.GetMessage(), "expected allow, got deny") {
		t.Errorf("failure message %q, want the expected and the actual decision", f.GetMessage())
	}
	if !strings.Contains(srv.stderr.String(), "policy tests failed") {
		t.Errorf("serve did not log the failing tests:\n%s", srv.stderr)
	}

	// A reload that swaps in a new set runs the suites again, on it.
	if err := os.Remove(filepath.Join(dir, "tests", "wrong.yaml")); err != nil {
		t.Fatal(err)
	}
	appendTo(t, filepath.Join(dir, "databases", "default", "tables", "public_articles.yaml"), "# edited\n")
	if _, err := srv.admin().Reload(context.Background(), &wardenv1.ReloadRequest{}); err != nil {
		t.Fatal(err)
	}
	st2 := waitForStatus(t, srv.admin(), "the run on the reloaded set", func(s *wardenv1.GetStatusResponse) bool {
		return s.GetRevision() != st.GetRevision() && s.GetPolicyTests().GetRevision() == s.GetRevision() && !s.GetPolicyTests().GetRunning()
	})
	if pt := st2.GetPolicyTests(); pt.GetPassed() != exampleTests || pt.GetFailed()+pt.GetErrored() != 0 || len(pt.GetFailures()) != 0 || !pt.GetRanAt().AsTime().After(st.GetPolicyTests().GetRanAt().AsTime()) {
		t.Errorf("after the reload, policy tests %v; want %d passed in a new run", pt, exampleTests)
	}
}

// TestServeWithoutPolicyTests: a policy directory without tests/ says so.
func TestServeWithoutPolicyTests(t *testing.T) {
	dir := copyBlog(t)
	if err := os.RemoveAll(filepath.Join(dir, "tests")); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "--policy", dir)
	st := waitForStatus(t, srv.admin(), "the policy tests' run", func(st *wardenv1.GetStatusResponse) bool {
		return st.GetPolicyTests().GetRanAt() != nil
	})
	if pt := st.GetPolicyTests(); !pt.GetNoTests() || pt.GetPassed()+pt.GetFailed()+pt.GetErrored() != 0 || pt.GetError() != "" {
		t.Errorf("policy tests %v, want no_tests", pt)
	}
}

// TestServeRunsTheEmbeddedExampleTests: without --policy the embedded
// example's own suites run, and pass.
func TestServeRunsTheEmbeddedExampleTests(t *testing.T) {
	srv := startServer(t)
	st := waitForStatus(t, srv.admin(), "the policy tests' run", func(st *wardenv1.GetStatusResponse) bool {
		return st.GetPolicyTests().GetRanAt() != nil
	})
	if pt := st.GetPolicyTests(); pt.GetPassed() != exampleTests || pt.GetFailed()+pt.GetErrored() != 0 || pt.GetNoTests() || pt.GetError() != "" {
		t.Errorf("policy tests %v, want %d passed", pt, exampleTests)
	}
}

// TestPolicyTestsBounds: what a run keeps is capped (20 failures listed,
// all counted), and a run that does not finish in time says so.
func TestPolicyTestsBounds(t *testing.T) {
	dir := copyBlog(t)
	var many strings.Builder
	many.WriteString(strings.Split(wrongSuite, "tests:\n")[0] + "tests:\n")
	for i := range 25 {
		fmt.Fprintf(&many, "  - name: wrong %d\n    session: alice\n    table: users\n    check:\n      - {row: 3, decision: allow}\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "tests", "many.yaml"), []byte(many.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.Policy = dir
	set, err := loadSet(context.Background(), cfg, func([]load.Problem) {})
	if err != nil {
		t.Fatal(err)
	}
	p := newPolicyTests(context.Background(), slog.New(slog.DiscardHandler), nil, dir)
	r := p.run(set)
	if r.GetFailed() != 25 || r.GetPassed() != exampleTests || len(r.GetFailures()) != maxPolicyTestFailures || r.GetFailures()[0].GetName() != "wrong 0" {
		t.Errorf("run: passed %d, failed %d, %d failures listed (first %v); want %d, 25, %d from wrong 0",
			r.GetPassed(), r.GetFailed(), len(r.GetFailures()), r.GetFailures()[0], exampleTests, maxPolicyTestFailures)
	}

	p.timeout = time.Nanosecond
	if r := p.run(set); !strings.Contains(r.GetError(), "did not finish in 1ns") || r.GetPassed()+r.GetFailed() != 0 {
		t.Errorf("run with a timeout of 1ns: %v, want that it did not finish", r)
	}
}
