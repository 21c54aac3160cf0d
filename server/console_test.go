package server

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestConsoleFiles serves the embedded console and checks what keeps it
// to its own files: the headers on every file, and HTML that has nothing
// for a Content-Security-Policy without 'unsafe-inline' to refuse (an
// inline script or style, an event handler attribute, a javascript: URL,
// an asset from elsewhere).
func TestConsoleFiles(t *testing.T) {
	srv := httptest.NewServer(consoleMux())
	defer srv.Close()
	for _, tc := range []struct {
		path, ctype string
	}{
		{"/console/", "text/html; charset=utf-8"},
		{"/console/console.js", "text/javascript; charset=utf-8"},
		{"/console/console.css", "text/css; charset=utf-8"},
	} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("GET %s: %s %q, want 200 %q", tc.path, resp.Status, resp.Header.Get("Content-Type"), tc.ctype)
		}
		for h, want := range map[string]string{
			"Content-Security-Policy": consoleCSP,
			"X-Content-Type-Options":  "nosniff",
			"X-Frame-Options":         "DENY",
			"Referrer-Policy":         "no-referrer",
		} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("GET %s: %s %q, want %q", tc.path, h, got, want)
			}
		}
	}
	for _, directive := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(consoleCSP, directive) {
			t.Errorf("the policy lacks %s", directive)
		}
	}
	if strings.Contains(consoleCSP, "unsafe") {
		t.Errorf("the policy allows something unsafe: %s", consoleCSP)
	}

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/console/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /console/: %s, want 405", resp.Status)
	}

	inline := []*regexp.Regexp{
		regexp.MustCompile(`<script(\s[^>]*)?>\s*[^<\s]`), // a script with a body
		regexp.MustCompile(`<script(?:\s[^>]*)?>`),        // checked below: each must have src
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\sstyle\s*=`),
		regexp.MustCompile(`\son[a-z]+\s*=`),
		regexp.MustCompile(`javascript:`),
		regexp.MustCompile(`(src|href)\s*=\s*"(https?:)?//`),
	}
	err = fs.WalkDir(consoleFiles, "console", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		b, err := fs.ReadFile(consoleFiles, path)
		if err != nil {
			return err
		}
		html := string(b)
		for i, re := range inline {
			for _, m := range re.FindAllString(html, -1) {
				if i == 1 && strings.Contains(m, ` src="`) {
					continue
				}
				t.Errorf("%s: %q would need an unsafe policy or another origin", path, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// consoleMux mounts the console as startGateway does.
func consoleMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/console/", consoleHandler())
	return mux
}
