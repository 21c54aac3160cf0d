package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// consoleArtifacts is where the console test keeps its screenshots:
// $WARDEN_TEST_ARTIFACTS/console when set (CI keeps that directory), else
// a fresh temporary directory that outlives the test, printed in the log.
func consoleArtifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("WARDEN_TEST_ARTIFACTS")
	var err error
	if dir != "" {
		dir = filepath.Join(dir, "console")
		err = os.MkdirAll(dir, 0o755)
	} else {
		dir, err = os.MkdirTemp("", "warden-console-screenshots-")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("console screenshots in %s", dir)
	return dir
}

// seededExampleFile writes the example's schema.sql and seed.sql into a
// SQLite file of the test's temporary directory and returns its path.
func seededExampleFile(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "blog.db")
	db, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range []string{"schema.sql", "seed.sql"} {
		script, err := os.ReadFile("../../../policy/examples/blog/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(stripComments(string(script)), ";") {
			if strings.TrimSpace(stmt) != "" {
				if _, err := db.Exec(stmt); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
		}
	}
	return file
}

// TestBrowserConsole drives the permissions console in headless Chromium
// against the example policy set: a user key is refused with a clear
// message, an admin key signs in (by keyboard), the matrix shows the
// example's kinds of cell, a cell opens its rule as Hasura YAML, Rego and
// SQL in each dialect, Check allows one row and denies the other with an
// explanation, Filter shows its SQL, "Run against database" shows the
// rows of the example seeded in SQLite, and the status page lists the
// decisions just made. Every form control has a label.
func TestBrowserConsole(t *testing.T) {
	chromium := chromiumPath(t)
	dbFile := seededExampleFile(t)
	srv := startServer(t, "--console-database", "default=sqlite://"+dbFile)
	base := "http://" + srv.httpAddr + "/console/"
	shots := consoleArtifacts(t)

	// The headers that keep the page to its own files.
	resp, err := http.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /console/: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()

	// CSP violations and script errors reach the browser's console (with
	// the log domain enabled, as for TestBrowserCORS).
	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(tab)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Uncaught") {
				mu.Lock()
				problems = append(problems, m.Text)
				mu.Unlock()
			}
		}
	}()
	if _, err := chromedp.Call(tab, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}

	step := func(t *testing.T, name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(t *testing.T, sel string) string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	// waitFor polls a JavaScript predicate, and fails naming it.
	waitFor := func(t *testing.T, what, js string) {
		t.Helper()
		if _, err := chromedp.Run(tab, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			t.Fatalf("waiting for %s (%s): %v", what, js, err)
		}
	}
	shot := func(t *testing.T, name string) {
		t.Helper()
		png, err := chromedp.Run(tab, chromedp.FullScreenshot(100)) // 100: PNG; below, JPEG
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eval := func(t *testing.T, js string) string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return s
	}

	step(t, "load the console", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS("#apikey")))

	// Labels: every control is named, by a <label> or aria-label.
	if unlabelled := eval(t, `[...document.querySelectorAll("input, select, textarea")].filter(e => e.labels.length === 0 && !e.getAttribute("aria-label")).map(e => e.id).join(",")`); unlabelled != "" {
		t.Errorf("controls without a label: %s", unlabelled)
	}

	t.Run("user key is refused", func(t *testing.T) {
		step(t, "sign in with a user key", chromedp.SendKeys(chromedp.CSS("#apikey"), srv.keys["checker"]), chromedp.Click(chromedp.CSS("#signin-form button")))
		waitFor(t, "the refusal", `document.getElementById("message").textContent.includes("admin-level")`)
		msg := text(t, "#message")
		if !strings.Contains(msg, "403") || !strings.Contains(msg, "admin-level API key") {
			t.Errorf("refusal says %q, want the 403 and that an admin-level key is needed", msg)
		}
		if stored := eval(t, `sessionStorage.getItem("warden.apiKey") || ""`); stored != "" {
			t.Errorf("a refused key stays in sessionStorage")
		}
		shot(t, "01-user-key-refused")
	})

	t.Run("sign in by keyboard", func(t *testing.T) {
		// Focus the key field as a keyboard user would, type, press Enter.
		step(t, "sign in", chromedp.Evaluate[chromedp.Void](`document.getElementById("apikey").value = ""`),
			chromedp.Focus(chromedp.CSS("#apikey")), chromedp.KeyEvent(srv.keys["ops"]), chromedp.KeyEvent("\r"))
		waitFor(t, "the matrix", `document.getElementById("matrix-grid") !== null && !document.getElementById("matrix").hidden`)
		if eval(t, `document.activeElement.id`) != "matrix-title" {
			t.Errorf("after sign-in focus is on %q, want the matrix heading", eval(t, `document.activeElement.id`))
		}
		if eval(t, `localStorage.length + ""`) != "0" || eval(t, `document.cookie`) != "" {
			t.Error("the key left the tab's sessionStorage")
		}
	})

	t.Run("matrix", func(t *testing.T) {
		kind := func(table, role, op string) string {
			return eval(t, `(document.querySelector('#matrix-grid button[data-table="`+table+`"][data-role="`+role+`"][data-op="OPERATION_`+op+`"]') || {dataset: {kind: "missing"}}).dataset.kind`)
		}
		for _, c := range []struct{ table, role, op, want string }{
			{"public.articles", "user", "SELECT", "conditional"},
			{"public.articles", "anonymous", "DELETE", "none"},
			{"public.articles", "anonymous", "SELECT", "conditional"},
		} {
			if got := kind(c.table, c.role, c.op); got != c.want {
				t.Errorf("%s %s %s: cell %q, want %q", c.table, c.role, c.op, got, c.want)
			}
		}
		label := eval(t, `document.querySelector('#matrix-grid button[data-table="public.articles"][data-role="author_editor"][data-op="OPERATION_SELECT"]').getAttribute("aria-label")`)
		if !strings.Contains(label, "inherited from user, editor") {
			t.Errorf("author_editor's select cell is labelled %q, want inherited from user, editor", label)
		}
		// The example: 4 tables × 4 roles × 4 operations, 31 permissions,
		// every one conditional (server/admin_permissions_test.go has the
		// always-allowed kind).
		count := func(kind string) string {
			return eval(t, `document.querySelectorAll('#matrix-grid button[data-kind="`+kind+`"]').length + ""`)
		}
		if c, n, a := count("conditional"), count("none"), count("always"); c != "31" || n != "33" || a != "0" {
			t.Errorf("cells: %s conditional, %s none, %s always; want 31, 33, 0", c, n, a)
		}
		// The grid is one tab stop; the arrow keys move within it.
		first := `#matrix-grid tbody button`
		if n := eval(t, `document.querySelectorAll('#matrix-grid button[tabindex="0"]').length + ""`); n != "1" {
			t.Errorf("%s cells are tab stops, want 1", n)
		}
		at := func() string {
			return eval(t, `document.activeElement.dataset.table + " " + document.activeElement.dataset.role + " " + document.activeElement.dataset.op`)
		}
		step(t, "arrow right", chromedp.Focus(chromedp.CSS(first)), chromedp.KeyEvent(kb.ArrowRight))
		if got := at(); got != "public.articles anonymous OPERATION_INSERT" {
			t.Errorf("after ArrowRight focus is on %q", got)
		}
		step(t, "arrow down", chromedp.KeyEvent(kb.ArrowDown))
		if got := at(); got != "public.comments anonymous OPERATION_INSERT" {
			t.Errorf("after ArrowDown focus is on %q", got)
		}
		step(t, "end", chromedp.KeyEvent(kb.End))
		if got := at(); got != "public.comments user OPERATION_DELETE" {
			t.Errorf("after End focus is on %q", got)
		}
		shot(t, "02-matrix")
	})

	t.Run("rule as YAML, Rego and SQL", func(t *testing.T) {
		// Open the cell with the keyboard: focus it and press Enter.
		step(t, "open a cell", chromedp.Focus(chromedp.CSS(`#matrix-grid button[data-table="public.articles"][data-role="user"][data-op="OPERATION_SELECT"]`)),
			chromedp.KeyEvent("\r"))
		waitFor(t, "the Rego", `document.getElementById("rule-rego").textContent.includes("package")`)
		if eval(t, `document.activeElement.id`) != "rule-title" {
			t.Errorf("opening a cell leaves focus on %q, want the rule's heading", eval(t, `document.activeElement.id`))
		}
		yaml := text(t, "#rule-yaml")
		for _, want := range []string{"select_permissions:", "- role: user", "filter: {_or: [{author_id: {_eq: X-Hasura-User-Id}}", "limit: 100"} {
			if !strings.Contains(yaml, want) {
				t.Errorf("the rule as written lacks %q:\n%s", want, yaml)
			}
		}
		step(t, "render SQL", chromedp.Click(chromedp.CSS("#rule-sql-form button")))
		waitFor(t, "SQL in three dialects", `document.querySelectorAll("#rule-sql pre.sql").length === 3`)
		sql := text(t, "#rule-sql")
		for _, want := range []string{`"author_id" = $1`, "`author_id` = ?", "PostgreSQL", "SQLite", "from x-hasura-user-id"} {
			if !strings.Contains(sql, want) {
				t.Errorf("the rule's SQL lacks %q:\n%s", want, sql)
			}
		}
		shot(t, "03-rule")
	})

	t.Run("check allows and denies, with explanations", func(t *testing.T) {
		step(t, "try it", chromedp.Click(chromedp.CSS(`nav button[data-section="try"]`)),
			chromedp.SetValue(chromedp.CSS("#try-role"), "user"),
			chromedp.SetValue(chromedp.CSS("#try-table"), "public.articles"),
			chromedp.SetValue(chromedp.CSS("#try-op"), "OPERATION_SELECT"),
			chromedp.Click(chromedp.CSS("#sample-rows")),
			chromedp.Click(chromedp.CSS("#run-check")))
		waitFor(t, "decisions", `document.querySelectorAll("#decisions-list li.decision").length === 2`)
		if got := text(t, `li.decision[data-row="row1"] > span`); got != "ALLOW" {
			t.Errorf("row1 (own article): %q, want ALLOW", got)
		}
		if got := text(t, `li.decision[data-row="row2"] > span`); got != "DENY" {
			t.Errorf("row2 (another org's): %q, want DENY", got)
		}
		step(t, "open the explanation", chromedp.Click(chromedp.CSS(`li.decision[data-row="row2"] details summary`)))
		tree := text(t, `li.decision[data-row="row2"] ul.tree`)
		for _, want := range []string{"FALSE", "author_id = 1", `the row's author_id: 2`} {
			if !strings.Contains(tree, want) {
				t.Errorf("row2's explanation lacks %q:\n%s", want, tree)
			}
		}
		shot(t, "04-check")
	})

	t.Run("filter SQL", func(t *testing.T) {
		step(t, "filter", chromedp.Click(chromedp.CSS("#run-filter")))
		waitFor(t, "the SQL", `document.querySelector("#filter-sql pre.sql") !== null`)
		sql := text(t, "#filter-sql pre.sql")
		if !strings.Contains(sql, `"author_id" = $1`) {
			t.Errorf("Filter's SQL is %q, want a condition on author_id", sql)
		}
		if bound := text(t, "#filter-bound"); !strings.Contains(bound, "author_id = 1") {
			t.Errorf("the bound predicate is %q", bound)
		}
		shot(t, "05-filter")
	})

	t.Run("run against the database", func(t *testing.T) {
		// Role user, user 1 of organisation 1 (the session variables'
		// default): the rows the rule means, worked out by a query of our
		// own on the same file.
		db, err := sql.Open("sqlite", "file:"+dbFile+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var want []string
		rows, err := db.Query("SELECT id FROM articles WHERE author_id = 1 OR (org_id = 1 AND published) ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			want = append(want, id)
		}
		rows.Close()
		if len(want) == 0 {
			t.Fatal("the oracle found no article")
		}

		if eval(t, `document.getElementById("query-controls").hidden + ""`) != "false" {
			t.Fatal("the Run against database controls are hidden though the server has a database")
		}
		step(t, "run", chromedp.Click(chromedp.CSS("#run-query")))
		waitFor(t, "the rows", `document.querySelector("#query-rows") !== null`)
		heads := eval(t, `[...document.querySelectorAll("#query-rows thead th")].map(th => th.getAttribute("scope") + ":" + th.textContent).join(",")`)
		if heads != "col:id,col:org_id,col:author_id,col:title,col:body,col:published,col:created_at" {
			t.Errorf("the column headers are %q", heads)
		}
		got := eval(t, `[...document.querySelectorAll("#query-rows tbody tr")].map(tr => tr.cells[0].textContent).join(",")`)
		if got != strings.Join(want, ",") {
			t.Errorf("rows with ids %q, want %q", got, strings.Join(want, ","))
		}
		if caption := text(t, "#query-rows caption"); !strings.HasPrefix(caption, fmt.Sprintf("%d rows", len(want))) || !strings.Contains(caption, "public.articles as user") {
			t.Errorf("the caption is %q", caption)
		}
		sql := text(t, "#query-view pre.sql")
		for _, w := range []string{`SELECT "id", "org_id"`, `FROM "articles" WHERE`, `"author_id" = ?`, "LIMIT 51"} {
			if !strings.Contains(sql, w) {
				t.Errorf("the SQL that ran lacks %q:\n%s", w, sql)
			}
		}
		if nulls := eval(t, `document.querySelectorAll("#query-rows td.null").length + ""`); nulls == "0" {
			t.Error("no NULL cell: article 3's body is NULL in the seed") // seed.sql: 'Release notes 1.0', NULL
		}
		shot(t, "05b-query-rows")
	})

	t.Run("status and recent decisions", func(t *testing.T) {
		// The example's own suites run in the background after the load:
		// wait for their outcome before the page shows it.
		waitForStatus(t, srv.admin(), "the example's tests", func(st *wardenv1.GetStatusResponse) bool {
			return st.GetPolicyTests().GetRanAt() != nil
		})
		step(t, "status", chromedp.Click(chromedp.CSS(`nav button[data-section="status"]`)),
			chromedp.Click(chromedp.CSS("#refresh-status")))
		waitFor(t, "the decisions", `document.querySelector("#decisions table") !== null && document.getElementById("decisions").textContent.includes("filter")`)
		if got := text(t, "#status-list"); !strings.Contains(got, "Revision") || !strings.Contains(got, "embedded") {
			t.Errorf("status shows %q", got)
		}
		want := fmt.Sprintf("passed: %d passed, 0 failed, 0 errored on revision ", exampleTests)
		if got := text(t, "#status-tests-summary"); !strings.HasPrefix(got, want) {
			t.Errorf("policy tests show %q, want %q…", got, want)
		}
		if n := eval(t, `document.querySelectorAll("#status-tests li").length + ""`); n != "0" {
			t.Errorf("%s failures listed for the example, whose tests pass", n)
		}
		step(t, "only checks", chromedp.SetValue(chromedp.CSS("#dec-call"), "check"), chromedp.Click(chromedp.CSS("#decisions-form button")))
		waitFor(t, "checks only", `!document.getElementById("decisions").textContent.includes("filter")`)
		if got := text(t, "#decisions tbody"); !strings.Contains(got, "check") || !strings.Contains(got, "mixed") {
			t.Errorf("the recent checks are %q, want the mixed check just made", got)
		}
		shot(t, "06-status")
	})

	// Another server, another origin (so another sessionStorage): a policy
	// set with inconsistent objects, loaded as Hasura loads one.
	t.Run("inconsistent objects", func(t *testing.T) {
		broken := startServer(t, "--policy", brokenPolicy)
		step(t, "load", chromedp.Navigate("http://"+broken.httpAddr+"/console/"), chromedp.WaitVisible(chromedp.CSS("#apikey")),
			chromedp.SendKeys(chromedp.CSS("#apikey"), broken.keys["ops"]), chromedp.Click(chromedp.CSS("#signin-form button")))
		waitFor(t, "the matrix", `document.getElementById("matrix-grid") !== null && !document.getElementById("matrix").hidden`)
		if eval(t, `document.getElementById("query-controls").hidden + ""`) != "true" {
			t.Error("a server without --console-database shows the Run against database controls")
		}
		sel := `#matrix-grid button[data-table="public.notes"][data-role="user"][data-op="OPERATION_SELECT"]`
		if got := eval(t, `document.querySelector('`+sel+`').dataset.kind`); got != "inconsistent" {
			t.Errorf("user's select on public.notes: cell %q, want inconsistent", got)
		}
		step(t, "open it", chromedp.Click(chromedp.CSS(sel)))
		if got := text(t, "#rule-yaml"); !strings.Contains(got, "left out as inconsistent") || !strings.Contains(got, "ownr_id") {
			t.Errorf("the inconsistent cell shows %q", got)
		}
		waitForStatus(t, broken.admin(), "the policy tests' run", func(st *wardenv1.GetStatusResponse) bool {
			return st.GetPolicyTests().GetRanAt() != nil
		})
		step(t, "status", chromedp.Click(chromedp.CSS(`nav button[data-section="status"]`)))
		waitFor(t, "the status", `(document.getElementById("status-tests-summary") || {}).textContent !== undefined`)
		if got := text(t, "#status-tests-summary"); got != "no tests/ directory in the policy directory" {
			t.Errorf("policy tests of a directory without tests/ show %q", got)
		}
		if got := text(t, "#status-inconsistent"); !strings.Contains(got, "delete permission of role user on public.notes") {
			t.Errorf("status lists the inconsistent objects as %q", got)
		}
		shot(t, "07-inconsistent")
	})

	t.Run("failing policy tests", func(t *testing.T) {
		failing := startServer(t, "--policy", blogWithAWrongTest(t))
		waitForStatus(t, failing.admin(), "the policy tests' run", func(st *wardenv1.GetStatusResponse) bool {
			return st.GetPolicyTests().GetRanAt() != nil
		})
		step(t, "load", chromedp.Navigate("http://"+failing.httpAddr+"/console/"), chromedp.WaitVisible(chromedp.CSS("#apikey")),
			chromedp.SendKeys(chromedp.CSS("#apikey"), failing.keys["ops"]), chromedp.Click(chromedp.CSS("#signin-form button")))
		waitFor(t, "the matrix", `document.getElementById("matrix-grid") !== null && !document.getElementById("matrix").hidden`)
		step(t, "status", chromedp.Click(chromedp.CSS(`nav button[data-section="status"]`)))
		waitFor(t, "the failures", `document.getElementById("status-tests-failures") !== null`)
		want := fmt.Sprintf("FAILED: %d passed, 1 failed, 0 errored on revision ", exampleTests)
		if got := text(t, "#status-tests-summary"); !strings.HasPrefix(got, want) {
			t.Errorf("policy tests show %q, want %q…", got, want)
		}
		got := text(t, "#status-tests-failures")
		for _, w := range []string{"alice reads carol, wrongly", "tests/wrong.yaml:9", "check row 3: decision: expected allow, got deny"} {
			if !strings.Contains(got, w) {
				t.Errorf("the failures show %q, want %q in it", got, w)
			}
		}
		shot(t, "08-failing-policy-tests")
	})

	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the browser reported:\n%s", strings.Join(problems, "\n"))
	}
}
