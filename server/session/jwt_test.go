package session_test

import (
	"maps"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/wardenpdp/warden/server/session"
	"github.com/wardenpdp/warden/server/session/sessiontest"
)

func TestJWTAlgorithms(t *testing.T) {
	keys := []*sessiontest.Key{
		sessiontest.HMAC(t, "HS256"), sessiontest.HMAC(t, "HS384"), sessiontest.HMAC(t, "HS512"),
		sessiontest.RSA(t, "RS256", ""), sessiontest.RSA(t, "RS384", ""), sessiontest.RSA(t, "RS512", ""),
		sessiontest.EC(t, "ES256", ""), sessiontest.EC(t, "ES384", ""), sessiontest.EC(t, "ES512", ""),
		sessiontest.Ed25519(t, ""),
	}
	for _, k := range keys {
		t.Run(k.Alg, func(t *testing.T) {
			clock := newClock()
			typ, key := k.Alg, ""
			if b, ok := k.Public.([]byte); ok {
				key = string(b)
			} else {
				key = k.PublicPEM(t)
			}
			if typ == "EdDSA" {
				typ = "Ed25519"
			}
			r := newResolver(t, jwtConfig(t, map[string]any{"type": typ, "key": key}), session.WithClock(clock.Now))
			tok := k.Sign(t, sessiontest.Claims(clock.Now(), "user", []string{"user", "editor"}, map[string]any{"x-hasura-user-id": "42"}))
			s, err := resolve(t, r, session.Request{Caller: checker, Headers: bearer(tok)})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"x-hasura-user-id": "42", "x-hasura-role": "user"}
			if s.Role != "user" || !maps.Equal(s.Vars, want) {
				t.Fatalf("session = %+v", s)
			}
		})
	}
}

func TestJWTRoles(t *testing.T) {
	clock := newClock()
	k := sessiontest.RSA(t, "RS256", "")
	r := newResolver(t, jwtConfig(t, map[string]any{"type": "RS256", "key": k.PublicPEM(t)}), session.WithClock(clock.Now))
	tok := k.Sign(t, sessiontest.Claims(clock.Now(), "user", []string{"user", "editor"}, nil))
	for _, tt := range []struct {
		name, role, want string
	}{
		{"default role", "", "user"},
		{"requested allowed role", "editor", "editor"},
		{"requested as a stated x-hasura-role", "", "editor"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := session.Request{Caller: checker, Role: tt.role, Headers: bearer(tok)}
			if tt.name == "requested as a stated x-hasura-role" {
				req.Variables = map[string]string{"x-hasura-role": "editor"}
			}
			s, err := resolve(t, r, req)
			if err != nil || s.Role != tt.want || s.Vars["x-hasura-role"] != tt.want {
				t.Fatalf("session %+v, %v; want role %s", s, err, tt.want)
			}
		})
	}
	s, err := resolve(t, r, session.Request{Caller: admin, Role: "admin", Headers: bearer(tok)})
	wantError(t, s, err, codes.PermissionDenied, session.ReasonRoleNotAllowed)
	// An admin caller forwarding a user's token still gets the token's
	// session, with backend_only honoured.
	s, err = resolve(t, r, session.Request{Caller: admin, Headers: bearer(tok), BackendOnly: true})
	if err != nil || s.Role != "user" || !s.BackendOnly {
		t.Fatalf("admin caller with a token: %+v, %v", s, err)
	}
}

func TestJWTClaimsSettings(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	k := sessiontest.HMAC(t, "HS256")
	base := map[string]any{"type": "HS256", "key": string(k.Private.([]byte))}
	with := func(extra map[string]any) map[string]any {
		m := maps.Clone(base)
		maps.Copy(m, extra)
		return m
	}
	reg := map[string]any{"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()}
	claims := func(extra map[string]any) map[string]any {
		m := maps.Clone(reg)
		maps.Copy(m, extra)
		return m
	}
	hasura := map[string]any{"x-hasura-default-role": "user", "x-hasura-allowed-roles": []string{"user"}, "x-hasura-user-id": "7"}
	tests := []struct {
		name   string
		cfg    map[string]any
		claims map[string]any
		want   map[string]string
	}{
		{"custom namespace", with(map[string]any{"claims_namespace": "hasura"}),
			claims(map[string]any{"hasura": hasura}), map[string]string{"x-hasura-user-id": "7"}},
		{"namespace path", with(map[string]any{"claims_namespace_path": "$.app.claims"}),
			claims(map[string]any{"app": map[string]any{"claims": hasura}}), map[string]string{"x-hasura-user-id": "7"}},
		{"namespace path with a quoted key", with(map[string]any{"claims_namespace_path": "$['https://x.io/c']"}),
			claims(map[string]any{"https://x.io/c": hasura}), map[string]string{"x-hasura-user-id": "7"}},
		{"stringified json", with(map[string]any{"claims_format": "stringified_json"}),
			claims(map[string]any{session.DefaultClaimsNamespace: `{"x-hasura-default-role":"user","x-hasura-allowed-roles":["user"],"x-hasura-user-id":"7"}`}),
			map[string]string{"x-hasura-user-id": "7"}},
		{"claims map with paths, defaults and literals", with(map[string]any{"claims_map": map[string]any{
			"x-hasura-allowed-roles": map[string]any{"path": "$.roles"},
			"x-hasura-default-role":  map[string]any{"path": "$.role", "default": "user"},
			"x-hasura-user-id":       map[string]any{"path": "$.user.id"},
			"x-hasura-org-id":        map[string]any{"path": "$.org", "default": "none"},
			"x-hasura-tier":          "gold",
		}}), claims(map[string]any{"roles": []string{"user"}, "user": map[string]any{"id": 7}}),
			map[string]string{"x-hasura-user-id": "7", "x-hasura-org-id": "none", "x-hasura-tier": "gold"}},
		{"names lower-cased, other claims ignored, values rendered", base,
			claims(map[string]any{session.DefaultClaimsNamespace: map[string]any{
				"X-Hasura-Default-Role": "user", "X-Hasura-Allowed-Roles": []string{"user"},
				"X-Hasura-User-Id": 7, "x-hasura-admin": true, "x-hasura-ids": []any{1, 2}, "x-hasura-tags": []any{"a b", "NULL", `q"`},
				"not-hasura": "dropped"}}),
			map[string]string{"x-hasura-user-id": "7", "x-hasura-admin": "true", "x-hasura-ids": "{1,2}", "x-hasura-tags": `{"a b","NULL","q\""}`}},
		{"audience in a list, issuer", with(map[string]any{"audience": []string{"a", "warden"}, "issuer": "https://idp"}),
			claims(map[string]any{"aud": []string{"other", "warden"}, "iss": "https://idp", session.DefaultClaimsNamespace: hasura}),
			map[string]string{"x-hasura-user-id": "7"}},
		{"audience as a string", with(map[string]any{"audience": "warden"}),
			claims(map[string]any{"aud": "warden", session.DefaultClaimsNamespace: hasura}), map[string]string{"x-hasura-user-id": "7"}},
		{"allowed skew", with(map[string]any{"allowed_skew": 120}),
			map[string]any{"exp": now.Add(-time.Minute).Unix(), session.DefaultClaimsNamespace: hasura}, map[string]string{"x-hasura-user-id": "7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newResolver(t, jwtConfig(t, tt.cfg), session.WithClock(clock.Now))
			s, err := resolve(t, r, session.Request{Caller: checker, Headers: bearer(k.Sign(t, tt.claims))})
			if err != nil {
				t.Fatal(err)
			}
			tt.want["x-hasura-role"] = "user"
			if !maps.Equal(s.Vars, tt.want) {
				t.Fatalf("vars = %v, want %v", s.Vars, tt.want)
			}
		})
	}
}

func TestJWTCookie(t *testing.T) {
	clock := newClock()
	k := sessiontest.HMAC(t, "HS256")
	cfg := jwtConfig(t, map[string]any{"type": "HS256", "key": string(k.Private.([]byte)), "header": map[string]any{"type": "Cookie", "name": "session"}})
	cfg.UnauthorizedRole = "anonymous"
	r := newResolver(t, cfg, session.WithClock(clock.Now))
	tok := k.Sign(t, sessiontest.Claims(clock.Now(), "user", []string{"user"}, nil))
	s, err := resolve(t, r, session.Request{Caller: checker, Headers: map[string][]string{"cookie": {"theme=dark; session=" + tok}}})
	if err != nil || s.Role != "user" {
		t.Fatalf("cookie token: %+v, %v", s, err)
	}
	// Other cookies alone are no token, and the authorization header is
	// not read in cookie mode.
	s, err = resolve(t, r, session.Request{Caller: checker, Headers: map[string][]string{"cookie": {"theme=dark"}, "authorization": {"Bearer " + tok}}})
	if err != nil || s.Role != "anonymous" {
		t.Fatalf("no session cookie: %+v, %v", s, err)
	}
	s, err = resolve(t, r, session.Request{Caller: checker, Headers: map[string][]string{"cookie": {"session=a", "session=b"}}})
	wantError(t, s, err, codes.Unauthenticated, session.ReasonTokenMalformed)
	_ = http.StatusOK
}

// TestJWTCritAndExp: a token whose header lists critical extensions is
// refused (RFC 7515: Warden understands none); a token without exp is
// accepted as never expiring, as Hasura does, unless the server requires
// exp.
func TestJWTCritAndExp(t *testing.T) {
	clock := newClock()
	k := sessiontest.RSA(t, "RS256", "")
	cfg := jwtConfig(t, map[string]any{"type": "RS256", "key": k.PublicPEM(t)})
	r := newResolver(t, cfg, session.WithClock(clock.Now))
	claims := sessiontest.Claims(clock.Now(), "user", []string{"user"}, nil)
	crit := k.Sign(t, claims, map[string]any{"crit": []string{"exp-ext"}, "exp-ext": true})
	s, err := resolve(t, r, session.Request{Caller: checker, Headers: bearer(crit)})
	wantError(t, s, err, codes.Unauthenticated, session.ReasonTokenMalformed)

	delete(claims, "exp")
	noExp := k.Sign(t, claims)
	if _, err := resolve(t, r, session.Request{Caller: checker, Headers: bearer(noExp)}); err != nil {
		t.Errorf("a token without exp, by default: %v, want accepted (as Hasura)", err)
	}
	cfg.JWTRequireExp = true
	strict := newResolver(t, cfg, session.WithClock(clock.Now))
	s, err = resolve(t, strict, session.Request{Caller: checker, Headers: bearer(noExp)})
	wantError(t, s, err, codes.Unauthenticated, session.ReasonJWTInvalidClaims)
	if _, err := resolve(t, strict, session.Request{Caller: checker, Headers: bearer(k.Sign(t, sessiontest.Claims(clock.Now(), "user", []string{"user"}, nil)))}); err != nil {
		t.Errorf("a token with exp, exp required: %v", err)
	}
}
