package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenpdp/warden/policy/examples"
)

const failingSuite = "testdata/permtest/failing.yaml"

// The example policy's own suite passes, embedded and from the directory.
func TestTestCommandExampleSuite(t *testing.T) {
	for _, args := range [][]string{{"test"}, {"test", "--policy", "../../../policy/examples/blog"}} {
		out, errOut, err := runCLI(t, nil, args...)
		if err != nil {
			t.Fatalf("%v: %v\nstdout:\n%s\nstderr:\n%s", args, err, out, errOut)
		}
		if !strings.Contains(out, "ok    19 tests passed") {
			t.Errorf("%v: stdout %q, want the 19 tests of policy/examples/blog/tests passed", args, out)
		}
	}
}

// A failing test fails the command and shows, per expectation, what was
// expected and what came.
func TestTestCommandFailure(t *testing.T) {
	out, _, err := runCLI(t, nil, "test", failingSuite)
	if !errors.Is(err, errTestsFailed) || exitCode(err, &syncBuffer{}) != 1 {
		t.Fatalf("err %v, want errTestsFailed with exit status 1", err)
	}
	for _, want := range []string{
		"FAIL  testdata/permtest/failing.yaml:19: users read their colleagues' drafts",
		"check row 4: decision  allow         deny",
		"(role user: filter does not hold)",
		"filter rows            [1, 2, 3, 4]  [1, 2, 3]",
		"not selected: 4",
		// why row 4 was denied: the rule's tree with the values compared
		"why: row 4:",
		"author_id = 1                          false   author_id=2 vs 1",
		"published = true                     false   published=false vs true",
		"check row 1: columns  [body, id, title]  [created_at, id, title]",
		"FAIL  2 of 3 tests failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "visitors read published articles") {
		t.Errorf("a passing test is listed without -v:\n%s", out)
	}
}

type testJSON struct {
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	Tests  []struct {
		Name     string `json:"name"`
		Passed   bool   `json:"passed"`
		Failures []struct {
			What, Expected, Actual string
		} `json:"failures"`
	} `json:"tests"`
}

func TestTestCommandFormats(t *testing.T) {
	out, _, err := runCLI(t, nil, "test", "--format", "json", failingSuite)
	if !errors.Is(err, errTestsFailed) {
		t.Fatalf("json: err %v, want errTestsFailed", err)
	}
	var doc testJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if doc.Passed != 1 || doc.Failed != 2 || len(doc.Tests) != 3 {
		t.Fatalf("json: %+v, want 1 passed and 2 failed of 3", doc)
	}
	f := doc.Tests[0].Failures
	if len(f) != 2 || f[0].What != "check row 4: decision" || f[0].Expected != "allow" || f[0].Actual != "deny" ||
		f[1].What != "filter rows" || f[1].Expected != "[1, 2, 3, 4]" || f[1].Actual != "[1, 2, 3]" {
		t.Errorf("json: failures of the first test %+v", f)
	}

	out, _, _ = runCLI(t, nil, "test", "--format", "junit", failingSuite)
	var ju struct {
		Tests  int `xml:"tests,attr"`
		Fails  int `xml:"failures,attr"`
		Suites []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &ju); err != nil {
		t.Fatalf("junit: %v\n%s", err, out)
	}
	if ju.Tests != 3 || ju.Fails != 2 || len(ju.Suites) != 1 || len(ju.Suites[0].Cases) != 3 ||
		ju.Suites[0].Cases[0].Failure == nil || ju.Suites[0].Cases[2].Failure != nil ||
		ju.Suites[0].Cases[0].Failure.Message != "check row 4: decision: expected allow, actual deny" {
		t.Errorf("junit: %+v\n%s", ju, out)
	}

	out, _, _ = runCLI(t, nil, "test", "--format", "tap", failingSuite)
	for _, want := range []string{"TAP version 13\n1..3\n", "not ok 1 - users read their colleagues' drafts\n", "ok 3 - visitors read published articles\n", `expected: "[1, 2, 3, 4]"`} {
		if !strings.Contains(out, want) {
			t.Errorf("tap lacks %q:\n%s", want, out)
		}
	}
}

// --run selects tests by name; a pattern that selects none is an error,
// not a pass.
func TestTestCommandRun(t *testing.T) {
	out, _, err := runCLI(t, nil, "test", "--run", "published", "--format", "json", failingSuite)
	if err != nil {
		t.Fatalf("err %v, want the one passing test alone to pass", err)
	}
	var doc testJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Tests) != 1 || doc.Tests[0].Name != "visitors read published articles" {
		t.Errorf("--run published: %v %+v", err, doc)
	}
	if _, _, err := runCLI(t, nil, "test", "--run", "no such test", failingSuite); err == nil || !strings.Contains(err.Error(), "no test matches") {
		t.Errorf("--run matching nothing: %v, want an error", err)
	}
	if _, _, err := runCLI(t, nil, "test", "--run", "(", failingSuite); exitCode(err, &syncBuffer{}) != 2 {
		t.Errorf("--run '(': %v, want a usage error", err)
	}
}

// A mistake in a suite is an error naming its file and line; a misspelt
// expectation is one, not an expectation silently left out.
func TestTestCommandSuiteErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct{ suite, want string }{
		"misspelt key": {`
sessions: {a: {role: user, variables: {x-hasura-user-id: 1, x-hasura-org-id: 1}}}
tests:
  - name: t
    session: a
    table: articles
    check:
      - {row: 1, decison: deny}
`, "x.yaml:8: test at line 4: check row: unknown key \"decison\""},
		"unknown session": {`
sessions: {a: {role: user}}
tests:
  - {name: t, session: b, table: articles, filter: {kind: conditional}}
`, "x.yaml:4: test \"t\": session \"b\" is not defined"},
		"unknown fixture column": {`
sessions: {a: {role: user}}
fixtures:
  articles:
    - {id: 1, colour: red}
tests:
  - {name: t, session: a, table: articles, filter: {kind: conditional}}
`, "x.yaml:4: fixtures articles: row 1: no column \"colour\""},
		"no tests": {`
sessions: {a: {role: user}}
`, "x.yaml:2: no tests"},
		"unknown row": {`
sessions: {a: {role: user, variables: {x-hasura-user-id: 1, x-hasura-org-id: 1}}}
fixtures:
  articles:
    - {id: 1, org_id: 1, author_id: 1, title: t, published: true, created_at: "2024-01-01T00:00:00Z"}
tests:
  - {name: t, session: a, table: articles, check: [{row: 7, decision: deny}]}
`, "could not run: line 7: row 7: no fixture row of articles has id 7"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, "x.yaml")
			if err := os.WriteFile(p, []byte(c.suite), 0o644); err != nil {
				t.Fatal(err)
			}
			out, _, err := runCLI(t, nil, "test", p)
			if err == nil || !strings.Contains(err.Error()+out, c.want) {
				t.Errorf("err %v, stdout %q; want %q", err, out, c.want)
			}
		})
	}
	if _, _, err := runCLI(t, nil, "test", t.TempDir()); err == nil || !strings.Contains(err.Error(), "no test suite files") {
		t.Errorf("a directory without suites: %v, want an error", err)
	}
}

// `warden test` decides as the server does: the same suites run against a
// live server through the Go client give the same results, failures and
// their actual answers included.
func TestTestCommandLiveServerAgrees(t *testing.T) {
	srv := startServer(t)
	for _, suite := range []string{failingSuite, "../../../policy/examples/blog/tests"} {
		offline, _, offErr := runCLI(t, nil, "test", "--format", "json", suite)
		live, stderr, liveErr := runCLI(t, nil, "test", "--format", "json", "--server", srv.grpcAddr, "--api-key", srv.keys["ops"], suite)
		if (offErr == nil) != (liveErr == nil) {
			t.Fatalf("%s: offline err %v, live err %v\n%s", suite, offErr, liveErr, stderr)
		}
		var doc testJSON
		if err := json.Unmarshal([]byte(live), &doc); err != nil || len(doc.Tests) == 0 {
			t.Fatalf("%s: live output %v\n%s\n%s", suite, err, live, stderr)
		}
		if offline != live {
			t.Errorf("%s: offline and live results differ\noffline:\n%s\nlive:\n%s", suite, offline, live)
		}
	}
	// The live run asks the server: a caller it does not know is refused.
	out, _, err := runCLI(t, nil, "test", "--format", "json", "--server", srv.grpcAddr, "--api-key", "wrong", failingSuite)
	if err == nil || !strings.Contains(out, "UNAUTHENTICATED") {
		t.Errorf("live run with a wrong key: err %v, want failures naming UNAUTHENTICATED:\n%s", err, out)
	}
}

// --coverage lists the permissions no test exercised and the comparisons
// the tests' rows only ever made true (or false); --min-coverage fails a
// run below the share.
func TestTestCommandCoverage(t *testing.T) {
	out, _, err := runCLI(t, nil, "test", "--coverage")
	if err != nil {
		t.Fatalf("err %v\n%s", err, out)
	}
	for _, want := range []string{
		"coverage: 16 of 31 permissions exercised (51.6%)",
		"not exercised:      public.comments update user",
		"comparison only ever true: public.articles delete user: filter: and[0].author_id =",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "public.articles select user") {
		t.Errorf("articles select user is exercised with both outcomes of every comparison, yet listed:\n%s", out)
	}
	_, errOut, err := runCLI(t, nil, "test", "--min-coverage", "60")
	if !errors.Is(err, errTestsFailed) || !strings.Contains(errOut, "coverage 51.6% is below --min-coverage 60%") {
		t.Errorf("--min-coverage 60: err %v, stderr %q", err, errOut)
	}
	if _, _, err := runCLI(t, nil, "test", "--min-coverage", "50"); err != nil {
		t.Errorf("--min-coverage 50: %v", err)
	}
	if strings.Contains(out, "check: true") {
		t.Errorf("an update without a check lists its constant as a comparison:\n%s", out)
	}
	if _, _, err := runCLI(t, nil, "test", "--min-coverage", "101"); exitCode(err, &syncBuffer{}) != 2 {
		t.Errorf("--min-coverage 101: %v, want a usage error", err)
	}
}

// check --explain prints each row's rule as a tree with the outcome of
// every node and the values compared.
func TestCheckExplainCLI(t *testing.T) {
	out, _, err := runCLI(t, nil, "check", "--role", "user", "--session", "x-hasura-user-id=1", "--session", "x-hasura-org-id=1",
		"--table", "articles", "--operation", "select", "--explain",
		"--row", `{"id":4,"org_id":1,"author_id":2,"published":false,"title":"x","created_at":"2024-01-01T00:00:00Z"}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"row 0:", "or", "author_id = 1", "false   author_id=2 vs 1", "true    org_id=1 vs 1", "false   published=false vs true"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runCLI(t, nil, "filter", "--role", "user", "--session", "x-hasura-user-id=1", "--session", "x-hasura-org-id=1",
		"--table", "articles", "--explain", "--output", "text")
	if err != nil || !strings.Contains(out, "bound: (author_id = 1 OR (org_id = 1 AND published = true))") ||
		!strings.Contains(out, "rule:  {_or: [{author_id: {_eq: X-Hasura-User-Id}}") {
		t.Errorf("filter --explain: %v\n%s", err, out)
	}

	// A comparison with an empty array session variable falls away.
	dir := t.TempDir()
	if err := os.CopyFS(dir, examples.Blog()); err != nil {
		t.Fatal(err)
	}
	meta := filepath.Join(dir, "databases", "default", "tables", "public_articles.yaml")
	b, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(b), "        _or:\n          - author_id:", "        _or:\n          - id:\n              _in: X-Hasura-Article-Ids\n          - author_id:", 1)
	if changed == string(b) {
		t.Fatal("the example's articles rule is not as this test expects")
	}
	if err := os.WriteFile(meta, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"filter", dir, "--role", "user", "--session", "x-hasura-user-id=1", "--session", "x-hasura-org-id=1", "--table", "articles", "--explain", "--output", "text"}
	out, _, err = runCLI(t, nil, append(args, "--session", "x-hasura-article-ids={}")...)
	if err != nil || !strings.Contains(out, "bound: (author_id = 1 OR (org_id = 1 AND published = true))") ||
		!strings.Contains(out, "fell away: {id: {_in: X-Hasura-Article-Ids}}: X-Hasura-Article-Ids is empty, so it is false for every row") {
		t.Errorf("filter --explain with no article ids: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, nil, append(args, "--session", "x-hasura-article-ids={5}")...)
	if err != nil || strings.Contains(out, "fell away") || !strings.Contains(out, "id IN [5]") {
		t.Errorf("filter --explain with an article id: %v\n%s", err, out)
	}
}

// --watch runs the suites again when a file changes, until interrupted.
func TestTestCommandWatch(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, examples.Blog()); err != nil {
		t.Fatal(err)
	}
	failing, err := os.ReadFile(failingSuite)
	if err != nil {
		t.Fatal(err)
	}
	defer func(d time.Duration) { watchInterval = d }(watchInterval)
	watchInterval = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"test", "--watch", "--policy", dir}, noEnv, &out, &errOut) }()
	waitFor := func(what string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(out.String(), what) {
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("no %q within 30s\nstdout:\n%s\nstderr:\n%s", what, out.String(), errOut.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("ok    19 tests passed")
	if err := os.WriteFile(filepath.Join(dir, "tests", "failing.yaml"), failing, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("--- rerun: files changed")
	waitFor("FAIL  2 of 22 tests failed")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("interrupted watch returned %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("watch did not stop within 30s of the interrupt")
	}
	if _, _, err := runCLI(t, nil, "test", "--watch"); exitCode(err, &syncBuffer{}) != 2 {
		t.Errorf("--watch on the embedded example: %v, want a usage error", err)
	}
}

// --database-url runs the filters' SQL in PostgreSQL and MariaDB: the
// same results as in SQLite, and the scratch database is gone after.
func TestTestCommandDatabaseURL(t *testing.T) {
	urls := map[string]string{
		"postgres": "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
		"mariadb":  "mysql://root@127.0.0.1:3306/test",
	}
	summary := func(out string) []string {
		var doc testJSON
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var s []string
		for _, tc := range doc.Tests {
			s = append(s, fmt.Sprintf("%s passed=%v", tc.Name, tc.Passed))
			for _, f := range tc.Failures {
				s = append(s, fmt.Sprintf("  %s: %s / %s", f.What, f.Expected, f.Actual))
			}
		}
		return s
	}
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			for _, suite := range []string{failingSuite, "../../../policy/examples/blog/tests"} {
				sqlite, _, _ := runCLI(t, nil, "test", "--format", "json", suite)
				out, errOut, err := runCLI(t, nil, "test", "--format", "json", "--database-url", url, suite)
				if err != nil && !errors.Is(err, errTestsFailed) {
					msg := fmt.Sprintf("%s is unreachable or refused: %v %s", name, err, errOut)
					if os.Getenv("CI") == "true" {
						t.Fatal(msg)
					}
					t.Skip(msg)
				}
				if a, b := summary(sqlite), summary(out); !slices.Equal(a, b) {
					t.Errorf("%s: SQLite and %s differ:\n%s\n---\n%s", suite, name, strings.Join(a, "\n"), strings.Join(b, "\n"))
				}
			}
			if _, _, err := runCLI(t, nil, "test", "--database-url", strings.NewReplacer(":5432", ":1", ":3306", ":1").Replace(url), failingSuite); err == nil ||
				!strings.Contains(err.Error(), "cannot connect") {
				t.Errorf("an unreachable database: %v, want cannot connect", err)
			}
		})
	}
}
