package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardenpdp/warden/server/session/sessiontest"
)

// httpCall makes one HTTP request and returns the status, headers and
// body.
func httpCall(t *testing.T, method, url string, header map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

const noteCheck = `{"principal": {"role": "user", "session_variables": {"x-hasura-user-id": "7"}},
  "table": "notes", "operation": "OPERATION_SELECT", "rows": [{"id": "1", "values": {"id": 1, "owner_id": 7}}]}`

// TestGateway calls the HTTP/JSON gateway: the same callers, grants,
// limits and statuses as gRPC, as HTTP statuses with the JSON status body.
func TestGateway(t *testing.T) {
	hs := sessiontest.HMAC(t, "HS256")
	jwtCfg, _ := json.Marshal(map[string]any{"type": "HS256", "key": string(hs.Private.([]byte)), "audience": "notes"})
	cfg := DefaultConfig()
	cfg.MaxRecvMsgSize = 64 << 10
	cfg.Sessions.JWTSecret = string(jwtCfg)
	ts := startTest(t, cfg, notesPolicy(t))
	base := "http://" + ts.httpAddr
	claims := sessiontest.Claims(time.Now(), "user", []string{"user"}, map[string]any{"x-hasura-user-id": "7"})
	claims["aud"] = "notes"
	token := hs.Sign(t, claims)
	key := func(id string) map[string]string { return map[string]string{"X-Warden-Api-Key": ts.keys[id]} }

	tests := []struct {
		name     string
		method   string
		path     string
		header   map[string]string
		body     string
		code     int
		contains string
	}{
		{"check", "POST", "/v1/check", key("ops"), noteCheck, 200, `"decision":"DECISION_ALLOW"`},
		{"check with a JWT", "POST", "/v1/check", map[string]string{"X-Warden-Api-Key": ts.keys["checker"], "Authorization": "Bearer " + token},
			`{"table": "notes", "operation": "OPERATION_SELECT", "rows": [{"id": "1", "values": {"id": 1, "owner_id": 7}}]}`, 200, `"role":"user"`},
		{"no key", "POST", "/v1/check", nil, noteCheck, 401, `"reason":"MISSING_CALLER_CREDENTIALS"`},
		{"wrong key", "POST", "/v1/check", map[string]string{"X-Warden-Api-Key": "wdn_made_up"}, noteCheck, 401, `"reason":"INVALID_CALLER_CREDENTIALS"`},
		{"key smuggled as gRPC metadata", "POST", "/v1/check", map[string]string{"Grpc-Metadata-X-Warden-Api-Key": ts.keys["ops"]}, noteCheck, 401, `MISSING_CALLER_CREDENTIALS`},
		{"user key on the admin service", "GET", "/v1/admin/status", key("checker"), "", 403, `"reason":"CALLER_NOT_PERMITTED"`},
		{"admin service", "GET", "/v1/admin/status", key("ops"), "", 200, `"tableCount":1`},
		{"table rego", "GET", "/v1/admin/tables/public.notes/rego", key("ops"), "", 200, `"modules"`},
		{"table permissions", "GET", "/v1/admin/tables/public.notes/permissions", key("ops"), "", 200, `"table":"public.notes"`},
		{"table permissions for a user key", "GET", "/v1/admin/tables/public.notes/permissions", key("checker"), "", 403, `"reason":"CALLER_NOT_PERMITTED"`},
		{"the console needs no key", "GET", "/console/", nil, "", 200, `<title>Warden console</title>`},
		{"the console's script", "GET", "/console/console.js", nil, "", 200, `X-Warden-Api-Key`},
		{"no console file by that name", "GET", "/console/nope.js", nil, "", 404, ``},
		{"stated session without the grant", "POST", "/v1/check", key("checker"), noteCheck, 403, `SESSION_VARIABLES_NOT_ALLOWED`},
		{"bad JWT", "POST", "/v1/check", map[string]string{"X-Warden-Api-Key": ts.keys["checker"], "Authorization": "Bearer " + token + "x"},
			`{"table": "notes", "operation": "OPERATION_SELECT", "rows": [{"id": "1", "values": {"id": 1}}]}`, 401, `JWT_INVALID_SIGNATURE`},
		{"unknown field", "POST", "/v1/check", key("ops"), `{"principle": {"role": "admin"}}`, 400, `unknown field`},
		{"malformed body without a key", "POST", "/v1/check", nil, `{"principle": `, 401, `MISSING_CALLER_CREDENTIALS`},
		{"malformed body with a wrong key", "POST", "/v1/check", map[string]string{"X-Warden-Api-Key": "wdn_made_up"}, `]`, 401, `INVALID_CALLER_CREDENTIALS`},
		{"invalid request", "POST", "/v1/check", key("ops"), `{"table": "notes"}`, 400, `"fieldViolations"`},
		{"too large", "POST", "/v1/check", key("ops"), `{"table": "` + strings.Repeat("x", 70<<10) + `"}`, 413, `"code":8`},
		{"nested too deeply", "POST", "/v1/check", key("ops"),
			`{"table": "notes", "rows": [{"id": "1", "values": {"a": ` + strings.Repeat("[", 12000) + strings.Repeat("]", 12000) + `}}]}`, 400, `"code":3`},
		{"unknown route", "GET", "/v1/nope", key("ops"), "", 404, ``},
		{"health is open", "GET", "/healthz", nil, "", 200, "SERVING"},
		{"metrics need a caller", "GET", "/metrics", nil, "", 401, ""},
		{"metrics need the grant", "GET", "/metrics", key("checker"), "", 403, "metrics grant"},
		{"metrics", "GET", "/metrics", key("scraper"), "", 200, "warden_decisions_total"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := httpCall(t, tt.method, base+tt.path, tt.header, tt.body)
			if code != tt.code || !strings.Contains(body, tt.contains) {
				t.Errorf("%s %s: %d %s; want %d with %q", tt.method, tt.path, code, body, tt.code, tt.contains)
			}
			if code != 200 && strings.Contains(body, "decision") {
				t.Errorf("an error answer holds a decision: %s", body)
			}
		})
	}

	t.Run("two keys", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", base+"/v1/check", strings.NewReader(noteCheck))
		req.Header.Add("X-Warden-Api-Key", ts.keys["ops"])
		req.Header.Add("X-Warden-Api-Key", ts.keys["checker"])
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.Contains(string(body), "INVALID_CALLER_CREDENTIALS") {
			t.Errorf("%d %s; want 401 INVALID_CALLER_CREDENTIALS", resp.StatusCode, body)
		}
	})

	t.Run("calls are logged and counted as gRPC calls", func(t *testing.T) {
		if !strings.Contains(ts.logs.String(), `"warden.transport":"http","http.client":"127.0.0.1"`) {
			t.Errorf("no gateway call with its HTTP client in the log:\n%s", ts.logs)
		}
		if !strings.Contains(ts.logs.String(), `"protocol":"http","http.method":"POST","http.path":"/v1/check","http.client":"127.0.0.1","grpc.code":"Unauthenticated"`) {
			t.Errorf("a call refused before gRPC is not in the log:\n%s", ts.logs)
		}
		_, _, metrics := httpCall(t, "GET", base+"/metrics", key("scraper"), "")
		if !strings.Contains(metrics, `grpc_server_handled_total{grpc_code="Unauthenticated",grpc_method="Check"`) {
			t.Errorf("refused gateway calls are not counted")
		}
	})
}

// TestGatewayRateLimit: an empty token bucket is 429 with Retry-After.
func TestGatewayRateLimit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Callers.RateLimit, cfg.Callers.RateBurst = 0.5, 2
	ts := startTest(t, cfg, notesPolicy(t))
	var codes []int
	var h http.Header
	for range 3 {
		var code int
		code, h, _ = httpCall(t, "POST", "http://"+ts.httpAddr+"/v1/check", map[string]string{"X-Warden-Api-Key": ts.keys["gateway"]}, noteCheck)
		codes = append(codes, code)
	}
	if fmt.Sprint(codes) != "[200 200 429]" || h.Get("Retry-After") != "2" {
		t.Errorf("statuses %v, Retry-After %q; want [200 200 429] and 2 (seconds)", codes, h.Get("Retry-After"))
	}
}

// TestGatewayOff: --http-gateway=false serves no /v1/ routes.
func TestGatewayOff(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HTTPGateway = false
	ts := startTest(t, cfg, notesPolicy(t))
	if code, _, _ := httpCall(t, "POST", "http://"+ts.httpAddr+"/v1/check", map[string]string{"X-Warden-Api-Key": ts.keys["ops"]}, noteCheck); code != 404 {
		t.Errorf("POST /v1/check with the gateway off: %d, want 404", code)
	}
}

// TestCORS: preflights and answers as browsers expect them. (The browser
// test in server/cmd/warden shows a real browser obeying them.)
func TestCORS(t *testing.T) {
	preflight := func(origin string) map[string]string {
		return map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "content-type,x-warden-api-key"}
	}
	t.Run("listed origins and wildcard subdomains", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.CORSAllowedOrigins = OriginList{"http://allowed.test", "https://*.example.com"}
		ts := startTest(t, cfg, notesPolicy(t))
		url := "http://" + ts.httpAddr + "/v1/check"
		for _, tt := range []struct {
			origin  string
			allowed bool
		}{
			{"http://allowed.test", true},
			{"https://app.example.com", true},
			{"https://a.b.example.com", true},
			{"http://evil.test", false},
			{"http://allowed.test:8080", false},
			{"https://allowed.test", false},
			{"https://example.com", false},
			{"http://app.example.com", false},
			{"https://app.example.com.evil.test", false},
			{"null", false},
		} {
			code, h, _ := httpCall(t, "OPTIONS", url, preflight(tt.origin), "")
			got := h.Get("Access-Control-Allow-Origin")
			if tt.allowed {
				if code/100 != 2 || got != tt.origin || !strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "x-warden-api-key") ||
					!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
					t.Errorf("preflight from %s: %d %v; want the origin allowed with its headers", tt.origin, code, h)
				}
			} else if got != "" {
				t.Errorf("preflight from %s: Access-Control-Allow-Origin %q; want none", tt.origin, got)
			}
			if h.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("credentials allowed without --cors-allow-credentials")
			}
			code, h, body := httpCall(t, "POST", url, map[string]string{"Origin": tt.origin, "X-Warden-Api-Key": ts.keys["ops"]}, noteCheck)
			if code != 200 || !strings.Contains(body, "DECISION_ALLOW") {
				t.Errorf("the server decides whatever the origin (CORS restricts only browsers): %d %s", code, body)
			}
			if want := map[bool]string{true: tt.origin, false: ""}[tt.allowed]; h.Get("Access-Control-Allow-Origin") != want {
				t.Errorf("answer to %s: Access-Control-Allow-Origin %q, want %q", tt.origin, h.Get("Access-Control-Allow-Origin"), want)
			}
			if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
				t.Errorf("answer without Vary: Origin: %v", h)
			}
		}
	})
	t.Run("credentials: the exact origin, never *", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.CORSAllowedOrigins = OriginList{"https://*.example.com"}
		cfg.CORSAllowCredentials = true
		ts := startTest(t, cfg, notesPolicy(t))
		_, h, _ := httpCall(t, "OPTIONS", "http://"+ts.httpAddr+"/v1/check", preflight("https://app.example.com"), "")
		if h.Get("Access-Control-Allow-Origin") != "https://app.example.com" || h.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("preflight with credentials: %v", h)
		}
	})
	t.Run("any origin, without credentials", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.CORSAllowedOrigins = OriginList{"*"}
		ts := startTest(t, cfg, notesPolicy(t))
		_, h, _ := httpCall(t, "OPTIONS", "http://"+ts.httpAddr+"/v1/check", preflight("https://anything.test"), "")
		if h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("preflight: %v", h)
		}
	})
	t.Run("no origins configured: no CORS headers", func(t *testing.T) {
		ts := startTest(t, DefaultConfig(), notesPolicy(t))
		_, h, _ := httpCall(t, "OPTIONS", "http://"+ts.httpAddr+"/v1/check", preflight("http://allowed.test"), "")
		if h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight without --cors-allowed-origins: %v", h)
		}
	})
}
