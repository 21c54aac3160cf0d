package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
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
