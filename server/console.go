package server

import (
	"embed"
	"io/fs"
	"net/http"
)

// consoleFiles is the permissions console: plain HTML, CSS and JavaScript,
// compiled into the binary, so serving it needs no build step and loads
// nothing from anywhere else at run time.
//
//go:embed console
var consoleFiles embed.FS

// consoleCSP allows the console's own files and calls to this server's
// gateway only: no inline script or style, no other origin, no framing,
// no form posted anywhere. The API key lives in the tab's sessionStorage,
// so a script injected into the page could read it; the policy is what
// keeps one from running.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// consoleHandler serves the console under /console/. The files hold no
// secret and no policy: everything the console shows it fetches from the
// gateway with the admin key the user signs in with, so the files
// themselves need no caller authentication.
func consoleHandler() http.Handler {
	sub, err := fs.Sub(consoleFiles, "console")
	if err != nil {
		panic(err) // the directory is compiled in: it cannot be missing
	}
	files := http.StripPrefix("/console/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", consoleCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		// The files change with the binary; revalidating is cheap.
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
