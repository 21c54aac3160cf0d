package session_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/session"
	"github.com/wardenpdp/warden/server/session/sessiontest"
)

const hookSecret = "hook-secret-value"

func hookResolver(t *testing.T, hook *sessiontest.Webhook, clock *fakeClock, edit ...func(*session.Config)) *session.Resolver {
	t.Helper()
	cfg := session.DefaultConfig()
	cfg.AuthHook, cfg.AuthHookSecret = hook.URL, hookSecret
	cfg.AuthHookTimeout = 500 * time.Millisecond
	for _, e := range edit {
		e(&cfg)
	}
	return newResolver(t, cfg, session.WithClock(clock.Now))
}

func hookRequest(token string, role string) session.Request {
	return session.Request{Caller: checker, Role: role, Headers: map[string][]string{
		"authorization":           {"Bearer " + token},
		"x-request-id":            {"r-1"},
		callerauth.APIKeyMetadata: {"wdn_callers_key"},
		// as the HTTP gateway may spell it
		http.CanonicalHeaderKey(callerauth.APIKeyMetadata): {"wdn_callers_other_key"},
		"x-hasura-user-id": {"999"},
		"grpc-timeout":     {"1S"},
		":authority":       {"warden"},
		"content-type":     {"application/grpc"},
		"trace-bin":        {"\x00\x01"},
		"x-evil":           {"a\r\nX-Injected: 1"},
	}}
}

func TestWebhookGET(t *testing.T) {
	hook := sessiontest.NewWebhook(t, sessiontest.JSON(http.StatusOK, map[string]any{
		"X-Hasura-Role": "user", "X-Hasura-User-Id": 42, "X-Hasura-Team-Ids": []any{1, 2}, "X-Hasura-Is-Owner": true, "Other": "ignored"}))
	r := hookResolver(t, hook, newClock())
	s, err := resolve(t, r, hookRequest("opaque-token", ""))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "42", "x-hasura-team-ids": "{1,2}", "x-hasura-is-owner": "true"}
	if s.Role != "user" || !maps.Equal(s.Vars, want) {
		t.Fatalf("session = %+v", s)
	}
	h, _ := hook.Last()
	if h.Get("Authorization") != "Bearer opaque-token" || h.Get("X-Request-Id") != "r-1" {
		t.Errorf("forwarded headers missing: %v", h)
	}
	if h.Get(session.DefaultAuthHookSecretHeader) != hookSecret {
		t.Errorf("shared secret header = %q", h.Get(session.DefaultAuthHookSecretHeader))
	}
	for _, name := range []string{callerauth.APIKeyMetadata, "X-Hasura-User-Id", "Grpc-Timeout", "Trace-Bin", "X-Evil", "X-Injected", "X-Hasura-Role"} {
		if v := h.Values(name); len(v) > 0 {
			t.Errorf("header %s was forwarded: %q", name, v)
		}
	}
}

func TestWebhookPOSTAndRole(t *testing.T) {
	hook := sessiontest.NewWebhook(t, sessiontest.JSON(http.StatusOK, map[string]any{"X-Hasura-Role": "editor", "X-Hasura-User-Id": "7"}))
	r := hookResolver(t, hook, newClock(), func(c *session.Config) {
		c.AuthHookMode = "POST"
		c.AuthHookSecretHeader = "X-Hook-Key"
	})
	s, err := resolve(t, r, hookRequest("tok", "editor"))
	if err != nil || s.Role != "editor" {
		t.Fatalf("%+v, %v", s, err)
	}
	h, body := hook.Last()
	if h.Get("X-Hook-Key") != hookSecret || h.Get("Content-Type") != "application/json" {
		t.Errorf("POST headers: %v", h)
	}
	var got struct{ Headers map[string]string }
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Headers["Authorization"] != "Bearer tok" || got.Headers["X-Hasura-Role"] != "editor" {
		t.Errorf("POST body headers: %v", got.Headers)
	}
	for k, v := range got.Headers {
		if strings.EqualFold(k, callerauth.APIKeyMetadata) || strings.Contains(v, "wdn_callers") {
			t.Errorf("POST body forwards the caller's API key: %s: %q", k, v)
		}
	}
	for _, v := range h.Values(callerauth.APIKeyMetadata) {
		t.Errorf("POST forwards the caller's API key in a header: %q", v)
	}
	// The webhook decides the role; asking for another one is refused.
	s, err = resolve(t, r, hookRequest("tok", "admin"))
	wantError(t, s, err, codes.PermissionDenied, session.ReasonRoleNotAllowed)
}

func TestWebhookFailures(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}
	raw := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			w.Write([]byte(body))
		}
	}
	tests := []struct {
		name   string
		h      http.HandlerFunc
		code   codes.Code
		reason string
	}{
		{"401", raw(http.StatusUnauthorized, ""), codes.Unauthenticated, session.ReasonWebhookDenied},
		{"403", raw(http.StatusForbidden, ""), codes.PermissionDenied, session.ReasonWebhookDenied},
		{"500", raw(http.StatusInternalServerError, `{"X-Hasura-Role":"user"}`), codes.Unavailable, session.ReasonWebhookUnavailable},
		{"redirect is not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/steal", http.StatusFound)
		}, codes.Unavailable, session.ReasonWebhookUnavailable},
		{"garbage", raw(http.StatusOK, "<html>hello</html>"), codes.Unavailable, session.ReasonWebhookInvalidResponse},
		{"JSON array", raw(http.StatusOK, `["X-Hasura-Role","admin"]`), codes.Unavailable, session.ReasonWebhookInvalidResponse},
		{"null", raw(http.StatusOK, `null`), codes.Unavailable, session.ReasonWebhookInvalidResponse},
		{"two objects", raw(http.StatusOK, `{"X-Hasura-Role":"user"}{"X-Hasura-Role":"admin"}`), codes.Unavailable, session.ReasonWebhookInvalidResponse},
		{"no role", raw(http.StatusOK, `{"X-Hasura-User-Id":"1"}`), codes.Unavailable, session.ReasonWebhookInvalidResponse},
		{"object value", raw(http.StatusOK, `{"X-Hasura-Role":"user","X-Hasura-User-Id":{"a":1}}`), codes.Unavailable, session.ReasonWebhookInvalidResponse},
		{"role twice", raw(http.StatusOK, `{"X-Hasura-Role":"user","x-hasura-role":"admin"}`), codes.Unavailable, session.ReasonWebhookInvalidResponse},
		{"role as an array", raw(http.StatusOK, `{"X-Hasura-Role":["admin","user"]}`), codes.Unavailable, session.ReasonWebhookInvalidResponse},
		{"role as a number", raw(http.StatusOK, `{"X-Hasura-Role":1}`), codes.Unavailable, session.ReasonWebhookInvalidResponse},
		{"role empty", raw(http.StatusOK, `{"X-Hasura-Role":"  "}`), codes.Unavailable, session.ReasonWebhookInvalidResponse},
		{"oversized answer", raw(http.StatusOK, `{"X-Hasura-Role":"user","x-hasura-pad":"`+strings.Repeat("a", 70<<10)+`"}`), codes.Unavailable, session.ReasonWebhookInvalidResponse},
		{"times out", slow, codes.Unavailable, session.ReasonWebhookUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hook := sessiontest.NewWebhook(t, tt.h)
			r := hookResolver(t, hook, newClock())
			start := time.Now()
			s, err := resolve(t, r, hookRequest("tok", ""))
			wantError(t, s, err, tt.code, tt.reason)
			if took := time.Since(start); took > 2*time.Second {
				t.Fatalf("took %s; the webhook deadline is 500ms", took)
			}
			if strings.Contains(err.Error(), hookSecret) {
				t.Fatal("the error shows the shared secret")
			}
		})
	}
}

func TestWebhookDown(t *testing.T) {
	hook := sessiontest.NewWebhook(t, sessiontest.JSON(http.StatusOK, map[string]any{"X-Hasura-Role": "user"}))
	r := hookResolver(t, hook, newClock())
	hook.Close()
	s, err := resolve(t, r, hookRequest("tok", ""))
	wantError(t, s, err, codes.Unavailable, session.ReasonWebhookUnavailable)
}

func TestWebhookCallerDeadline(t *testing.T) {
	release := make(chan struct{})
	hook := sessiontest.NewWebhook(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	r := hookResolver(t, hook, newClock(), func(c *session.Config) { c.AuthHookTimeout = 5 * time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	s, err := r.Resolve(ctx, hookRequest("tok", ""))
	wantError(t, s, err, codes.DeadlineExceeded, "DEADLINE_EXCEEDED")
	if took := time.Since(start); took > time.Second {
		t.Fatalf("returned after %s, past the caller's 100ms deadline", took)
	}
}

func TestWebhookCache(t *testing.T) {
	answer := func(extra map[string]any) http.HandlerFunc {
		m := map[string]any{"X-Hasura-Role": "user", "X-Hasura-User-Id": "1"}
		maps.Copy(m, extra)
		return sessiontest.JSON(http.StatusOK, m)
	}
	t.Run("Cache-Control in the answer", func(t *testing.T) {
		clock := newClock()
		hook := sessiontest.NewWebhook(t, answer(map[string]any{"Cache-Control": "max-age=60"}))
		r := hookResolver(t, hook, clock)
		for range 3 {
			if _, err := resolve(t, r, hookRequest("tok-a", "")); err != nil {
				t.Fatal(err)
			}
		}
		if hook.Hits.Load() != 1 {
			t.Fatalf("%d calls within max-age, want 1", hook.Hits.Load())
		}
		if _, err := resolve(t, r, hookRequest("tok-b", "")); err != nil {
			t.Fatal(err)
		}
		if hook.Hits.Load() != 2 {
			t.Fatal("another token was served from the first token's cache entry")
		}
		clock.Add(61 * time.Second)
		_, _ = resolve(t, r, hookRequest("tok-a", ""))
		if hook.Hits.Load() != 3 {
			t.Fatal("the answer was reused after max-age")
		}
	})
	t.Run("Expires in the HTTP headers", func(t *testing.T) {
		clock := newClock()
		hook := sessiontest.NewWebhook(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Expires", clock.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
			answer(nil)(w, r)
		})
		r := hookResolver(t, hook, clock)
		_, _ = resolve(t, r, hookRequest("tok", ""))
		clock.Add(20 * time.Second)
		_, _ = resolve(t, r, hookRequest("tok", ""))
		if hook.Hits.Load() != 1 {
			t.Fatalf("%d calls before Expires", hook.Hits.Load())
		}
		clock.Add(11 * time.Second)
		_, _ = resolve(t, r, hookRequest("tok", ""))
		if hook.Hits.Load() != 2 {
			t.Fatal("reused after Expires")
		}
	})
	t.Run("no freshness, no cache; failures never cached; cap", func(t *testing.T) {
		clock := newClock()
		hook := sessiontest.NewWebhook(t, answer(nil))
		r := hookResolver(t, hook, clock, func(c *session.Config) { c.AuthHookMaxCacheTTL = 10 * time.Second })
		_, _ = resolve(t, r, hookRequest("tok", ""))
		_, _ = resolve(t, r, hookRequest("tok", ""))
		if hook.Hits.Load() != 2 {
			t.Fatal("an answer without Cache-Control or Expires was cached")
		}
		hook.Set(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Cache-Control", "max-age=600")
			w.WriteHeader(http.StatusUnauthorized)
		})
		_, _ = resolve(t, r, hookRequest("tok", ""))
		_, _ = resolve(t, r, hookRequest("tok", ""))
		if hook.Hits.Load() != 4 {
			t.Fatal("a 401 was cached")
		}
		hook.Set(answer(map[string]any{"Cache-Control": "max-age=86400"}))
		_, _ = resolve(t, r, hookRequest("tok", ""))
		clock.Add(11 * time.Second)
		_, _ = resolve(t, r, hookRequest("tok", ""))
		if hook.Hits.Load() != 6 {
			t.Fatal("the cache outlived --auth-hook-max-cache-ttl")
		}
	})
	t.Run("identical calls in flight share one request", func(t *testing.T) {
		release := make(chan struct{})
		hook := sessiontest.NewWebhook(t, func(w http.ResponseWriter, r *http.Request) {
			<-release
			answer(nil)(w, r)
		})
		r := hookResolver(t, hook, newClock(), func(c *session.Config) { c.AuthHookTimeout = 5 * time.Second })
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if s, err := r.Resolve(context.Background(), hookRequest("tok", "")); err != nil || s.Role != "user" {
					t.Errorf("%+v, %v", s, err)
				}
			})
		}
		time.Sleep(100 * time.Millisecond)
		close(release)
		wg.Wait()
		if n := hook.Hits.Load(); n != 1 {
			t.Fatalf("%d webhook calls for 20 identical requests in flight", n)
		}
	})
}

func TestWebhookNoTokenUsesUnauthorizedRole(t *testing.T) {
	hook := sessiontest.NewWebhook(t, sessiontest.JSON(http.StatusOK, map[string]any{"X-Hasura-Role": "user"}))
	r := hookResolver(t, hook, newClock(), func(c *session.Config) { c.UnauthorizedRole = "anonymous" })
	s, err := resolve(t, r, session.Request{Caller: checker})
	if err != nil || s.Role != "anonymous" || hook.Hits.Load() != 0 {
		t.Fatalf("%+v, %v, %d calls", s, err, hook.Hits.Load())
	}
	r = hookResolver(t, hook, newClock())
	s, err = resolve(t, r, session.Request{Caller: checker})
	wantError(t, s, err, codes.Unauthenticated, session.ReasonMissingToken)
}
