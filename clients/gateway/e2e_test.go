package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenpdp/warden/clients/go/wardentest"
)

func TestMain(m *testing.M) { os.Exit(wardentest.Main(m)) }

// blog is the example policy set's directory, with schema.sql and seed.sql.
var blog = filepath.Join("..", "..", "policy", "examples", "blog")

// postgresURL is the server the PostgreSQL run uses; each run makes and
// drops a database of its own on it.
func postgresURL() string {
	if u := os.Getenv("WARDEN_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// TestEndToEnd runs Warden (with HS256 JWTs and an API key for the
// gateway) and the gateway on SQLite and on PostgreSQL, seeded with the
// blog example, and shows what two end users of different organisations
// and roles read and write.
func TestEndToEnd(t *testing.T) {
	key := wardentest.NewKey("gateway", "user", "check", "filter")
	secret := wardentest.HS256Secret()
	srv := wardentest.Start(t, "--api-keys", wardentest.APIKeysFlag(key), "--jwt-secret", wardentest.JWTConfig(secret))
	wardenArgs := []string{"--warden-addr", srv.Addr, "--warden-api-key", key.Secret}

	t.Run("sqlite", func(t *testing.T) {
		url := startGateway(t, append(wardenArgs, "--init-sql", filepath.Join(blog, "schema.sql"),
			"--init-sql", filepath.Join(blog, "seed.sql"), "--init-sql", filepath.Join("demo", "defaults.sqlite.sql"))...)
		exercise(t, url, secret)
	})
	t.Run("postgres", func(t *testing.T) {
		dbURL := freshPostgres(t)
		url := startGateway(t, append(wardenArgs, "--database-url", dbURL, "--init-sql", filepath.Join(blog, "schema.sql"),
			"--init-sql", filepath.Join(blog, "seed.sql"), "--init-sql", filepath.Join("demo", "defaults.postgres.sql"))...)
		exercise(t, url, secret)
	})
}

// exercise is the walk-through of the README, with its answers checked.
func exercise(t *testing.T, url, secret string) {
	// Alice: user 1 of Acme (organisation 1), an author. Dave: user 4 of
	// Globex (organisation 2), an editor who may also act as an author.
	alice := wardentest.Token(secret, wardentest.User{ID: "1", OrgID: "1", Roles: []string{"user"}})
	dave := wardentest.Token(secret, wardentest.User{ID: "4", OrgID: "2", Roles: []string{"editor", "user"}})
	gw := gateway{t: t, url: url}

	t.Run("each reads exactly their rows and columns", func(t *testing.T) {
		gw.want(http.StatusOK, "GET", "/tables/users", alice, "", nil, []any{
			obj{"id": 1, "name": "Alice", "org_id": 1},
			obj{"id": 2, "name": "Bob", "org_id": 1},
			obj{"id": 5, "name": "Erin", "org_id": 1},
		})
		gw.want(http.StatusOK, "GET", "/tables/users", dave, "", nil, []any{
			obj{"id": 3, "name": "Carol", "org_id": 2, "email": "carol@globex.example"},
			obj{"id": 4, "name": "Dave", "org_id": 2, "email": "dave@globex.example"},
		})
		// Her own articles and her organisation's published ones; all of
		// Globex's for the editor.
		gw.want(http.StatusOK, "GET", "/tables/articles?columns=id,title", alice, "", nil, []any{
			obj{"id": 1, "title": "Welcome to Acme"}, obj{"id": 2, "title": "Draft: roadmap"}, obj{"id": 3, "title": "Release notes 1.0"},
		})
		gw.want(http.StatusOK, "GET", "/tables/articles?columns=id,title,published", dave, "", nil, []any{
			obj{"id": 5, "title": "Hello from Globex", "published": true},
			obj{"id": 6, "title": "Draft: hiring", "published": false},
			obj{"id": 7, "title": "Editorial guidelines", "published": true},
		})
		gw.want(http.StatusOK, "GET", "/tables/articles?limit=1", alice, "", nil, []any{obj{
			"id": 1, "org_id": 1, "author_id": 1, "title": "Welcome to Acme", "body": "Our first post.",
			"published": true, "created_at": "2024-01-10T09:00:00Z",
		}})
		// Dave as an author (X-Hasura-Role: user) sees his organisation.
		gw.want(http.StatusOK, "GET", "/tables/organisations", dave, "user", nil, []any{obj{"id": 2, "name": "Globex"}})
	})

	t.Run("refusals", func(t *testing.T) {
		gw.want(http.StatusForbidden, "GET", "/tables/users?columns=name,email", alice, "", nil,
			obj{"error": "columns not readable by role user", "denied_columns": []any{"email"}})
		gw.wantStatus(http.StatusUnauthorized, "GET", "/tables/articles", "", "", nil)
		gw.wantStatus(http.StatusUnauthorized, "GET", "/tables/articles", alice+"x", "", nil)
		gw.wantStatus(http.StatusForbidden, "GET", "/tables/articles", alice, "editor", nil) // not one of her roles
		gw.wantStatus(http.StatusNotFound, "GET", "/tables/invoices", alice, "", nil)
	})

	t.Run("an insert is checked with the presets applied", func(t *testing.T) {
		// The presets set author_id and org_id from the token.
		row := gw.want(http.StatusCreated, "POST", "/tables/articles", alice, "", obj{"title": "Hello from Alice", "published": true}, nil)
		if diff := cmp.Diff(normal(obj{"title": "Hello from Alice", "published": true, "author_id": 1, "org_id": 1}), row); diff != "" {
			t.Errorf("the row written (-want +got):\n%s", diff)
		}
		// Alice reads it back; Dave, of another organisation, does not.
		if got := gw.titles("/tables/articles", alice, ""); !strings.Contains(got, "Hello from Alice") {
			t.Errorf("alice reads %s", got)
		}
		if got := gw.titles("/tables/articles", dave, ""); strings.Contains(got, "Hello from Alice") {
			t.Errorf("dave reads %s", got)
		}
		// She may not choose the organisation; an editor may not insert.
		gw.want(http.StatusForbidden, "POST", "/tables/articles", alice, "", obj{"title": "x", "published": true, "org_id": 2},
			obj{"error": "columns not writable by role user", "denied_columns": []any{"org_id"}})
		gw.wantStatus(http.StatusForbidden, "POST", "/tables/articles", dave, "", obj{"title": "x", "published": true})
		// As an author, Dave's article lands in Globex.
		row = gw.want(http.StatusCreated, "POST", "/tables/articles", dave, "user", obj{"title": "Globex news", "published": false}, nil)
		if row.(map[string]any)["org_id"] != float64(2) {
			t.Errorf("dave's article: %v", row)
		}
	})

	t.Run("an insert whose check reads a relationship", func(t *testing.T) {
		// A comment needs a published article of her organisation: Check
		// cannot see the article, so the check's SQL decides in the database.
		gw.want(http.StatusCreated, "POST", "/tables/comments", alice, "", obj{"article_id": 3, "body": "Well done"},
			obj{"article_id": 3, "body": "Well done", "author_id": 1})
		gw.wantStatus(http.StatusForbidden, "POST", "/tables/comments", alice, "", obj{"article_id": 2, "body": "a draft"})
		gw.wantStatus(http.StatusForbidden, "POST", "/tables/comments", alice, "", obj{"article_id": 5, "body": "elsewhere"})
		if got := gw.titles("/tables/comments?columns=article_id,body", alice, ""); !strings.Contains(got, "Well done") ||
			strings.Contains(got, "a draft") || strings.Contains(got, "elsewhere") {
			t.Errorf("alice's comments: %s", got)
		}
	})
}

// obj is a JSON object in a test's expectations; numbers compare as JSON's.
type obj = map[string]any

type gateway struct {
	t   *testing.T
	url string
}

// do sends one request and decodes the JSON answer.
func (g gateway) do(method, path, token, role string, body any) (int, any) {
	g.t.Helper()
	var rd bytes.Buffer
	if body != nil {
		json.NewEncoder(&rd).Encode(body)
	}
	req, err := http.NewRequest(method, g.url+path, &rd)
	if err != nil {
		g.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if role != "" {
		req.Header.Set("X-Hasura-Role", role)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		g.t.Fatalf("%s %s: undecodable answer: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// want checks the status and, unless want is nil, the whole answer.
func (g gateway) want(status int, method, path, token, role string, body, want any) any {
	g.t.Helper()
	code, got := g.do(method, path, token, role, body)
	if code != status {
		g.t.Errorf("%s %s: status %d, want %d: %v", method, path, code, status, got)
	}
	if want != nil {
		if diff := cmp.Diff(normal(want), got); diff != "" {
			g.t.Errorf("%s %s (-want +got):\n%s", method, path, diff)
		}
	}
	return got
}

func (g gateway) wantStatus(status int, method, path, token, role string, body any) {
	g.t.Helper()
	g.want(status, method, path, token, role, body, nil)
}

// titles returns a GET's rows as JSON text, for containment checks.
func (g gateway) titles(path, token, role string) string {
	g.t.Helper()
	_, got := g.do("GET", path, token, role, nil)
	b, _ := json.Marshal(got)
	return string(b)
}

// normal passes v through JSON, so that ints compare with decoded numbers.
func normal(v any) any {
	b, _ := json.Marshal(v)
	var out any
	json.Unmarshal(b, &out)
	return out
}

// startGateway runs the gateway on a loopback port until the test ends.
func startGateway(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	var logs syncBuffer
	go func() {
		done <- run(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, &logs,
			func(a net.Addr) { addrs <- a })
	}()
	select {
	case a := <-addrs:
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("gateway: %v\n%s", err, logs.String())
			}
		})
		return "http://" + a.String()
	case err := <-done:
		cancel()
		t.Fatalf("gateway exited: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("gateway did not listen\n%s", logs.String())
	}
	return ""
}

// freshPostgres makes a database for the test and drops it after. When
// PostgreSQL is unreachable the test is skipped, except under CI=true.
func freshPostgres(t *testing.T) string {
	t.Helper()
	admin, err := sql.Open("pgx", postgresURL())
	if err == nil {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s: %v (CI=true: this test must run)", postgresURL(), err)
		}
		t.Skipf("PostgreSQL is unreachable at %s (set WARDEN_TEST_POSTGRES_URL): %v", postgresURL(), err)
	}
	name := "warden_gw_" + strings.ToLower(rand.Text()[:10])
	if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	u := postgresURL()
	base, query, _ := strings.Cut(u, "?")
	base = base[:strings.LastIndex(base, "/")+1] + name
	if query != "" {
		base += "?" + query
	}
	return base
}

// syncBuffer is the gateway's log, written by its goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
