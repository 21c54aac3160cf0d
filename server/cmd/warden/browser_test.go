package main

import (
	"context"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
)

// browserPage fetch()es POST /v1/check on the gateway with the caller's
// API key and the end user's token, and writes what happened into the
// DOM: the decisions, or the error the browser gave the script.
var browserPage = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>warden CORS test</title></head>
<body><pre id="result" data-done="">pending</pre>
<script>
const result = document.getElementById("result");
fetch({{.Gateway}} + "/v1/check", {
  method: "POST",
  headers: {"Content-Type": "application/json", "X-Warden-Api-Key": {{.Key}}, "Authorization": "Bearer " + {{.Token}}},
  body: JSON.stringify({table: "public.articles", operation: "OPERATION_SELECT", rows: [
    {id: "own", values: {id: 1, org_id: 1, author_id: 1, published: false, title: "t", created_at: "2026-01-01T00:00:00Z"}},
    {id: "other", values: {id: 2, org_id: 2, author_id: 2, published: true, title: "u", created_at: "2026-01-01T00:00:00Z"}}]}),
})
  .then(r => r.json().then(j => {
    result.textContent = r.ok ? "decided: " + j.decisions.map(d => d.id + "=" + d.decision).join(" ") : "status " + r.status + ": " + j.message;
  }))
  .catch(e => { result.textContent = "blocked: " + e.name + ": " + e.message; })
  .finally(() => { result.dataset.done = "yes"; });
</script></body></html>`))

// chromiumPath finds Debian's chromium (installed by .ci/run).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); the browser test runs in CI")
	return ""
}

// TestBrowserCORS shows a real browser obeying the gateway's CORS policy.
// Two pages with the same script are served from two origins (origin =
// scheme, host and port: two ports on 127.0.0.1 are two origins); the
// server allows only the first. Headless Chromium loads each: the first
// page shows the decisions, the second the browser's refusal, and the
// browser's console says it was CORS that blocked it — the POST never
// reached the server.
func TestBrowserCORS(t *testing.T) {
	chromium := chromiumPath(t)
	pages := func(h http.HandlerFunc) *httptest.Server {
		s := httptest.NewServer(h)
		t.Cleanup(s.Close)
		return s
	}
	var page http.HandlerFunc // set once the gateway's address is known
	allowed := pages(func(w http.ResponseWriter, r *http.Request) { page(w, r) })
	disallowed := pages(func(w http.ResponseWriter, r *http.Request) { page(w, r) })

	srv := startServer(t, "--jwt-secret", hsSecret, "--cors-allowed-origins", allowed.URL)
	token, _, err := runCLI(t, map[string]string{"WARDEN_JWT_SECRET": hsSecret},
		"token", "--role", "user", "--var", "x-hasura-user-id=1", "--var", "x-hasura-org-id=1")
	if err != nil {
		t.Fatal(err)
	}
	page = func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := browserPage.Execute(w, map[string]string{
			"Gateway": "http://" + srv.httpAddr, "Key": srv.keys["checker"], "Token": strings.TrimSpace(token),
		}); err != nil {
			t.Error(err)
		}
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}

	checks := func() int { return strings.Count(srv.stderr.String(), `"grpc.method":"Check"`) }
	for _, tc := range []struct {
		name   string
		origin string
		want   string
		cors   bool // the console reports a CORS refusal
		calls  int  // Check calls the server sees
	}{
		{"allowed origin", allowed.URL, "decided: own=DECISION_ALLOW other=DECISION_DENY", false, 1},
		{"disallowed origin", disallowed.URL, "blocked: TypeError: Failed to fetch", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, closeTab := chromedp.NewContext(browser)
			defer closeTab()
			var mu sync.Mutex
			var console []string
			messages := chromedp.Console(tab)
			go func() {
				for m, err := range messages {
					if err != nil {
						return
					}
					mu.Lock()
					console = append(console, m.Text)
					mu.Unlock()
				}
			}()
			consoleText := func() string {
				mu.Lock()
				defer mu.Unlock()
				return strings.Join(console, "\n")
			}
			if _, err := chromedp.Call(tab, log.Enable, cdp.Empty{}); err != nil {
				t.Fatal(err)
			}
			before := checks()
			if err := chromedp.Do(tab, chromedp.Navigate(tc.origin+"/"), chromedp.WaitVisible(chromedp.CSS(`#result[data-done="yes"]`))); err != nil {
				t.Fatalf("load %s: %v", tc.origin, err)
			}
			text, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#result")))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("page from %s shows: %s", tc.origin, text)
			if text != tc.want {
				t.Errorf("page from %s shows %q, want %q", tc.origin, text, tc.want)
			}
			if tc.cors {
				// The console entry may trail the script's catch.
				for deadline := time.Now().Add(5 * time.Second); !strings.Contains(consoleText(), "blocked by CORS policy") && time.Now().Before(deadline); {
					time.Sleep(20 * time.Millisecond)
				}
				if !strings.Contains(consoleText(), "blocked by CORS policy") {
					t.Errorf("the console does not report a CORS refusal:\n%s", consoleText())
				} else {
					t.Logf("console: %s", consoleText())
				}
			}
			if got := waitCount(checks, before+tc.calls); got != before+tc.calls {
				t.Errorf("the server saw %d Check calls from %s, want %d", got-before, tc.origin, tc.calls)
			}
		})
	}
}

// waitCount waits a little for a log count to reach want, and returns it.
func waitCount(count func() int, want int) int {
	deadline := time.Now().Add(2 * time.Second)
	for count() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return count()
}
