package session_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"google.golang.org/grpc/codes"

	"github.com/wardenpdp/warden/server/session"
	"github.com/wardenpdp/warden/server/session/sessiontest"
)

// TestAttacks is the attack table of session resolution: each request
// must fail with exactly this code and reason, and no session may come
// out.
func TestAttacks(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	rsa := sessiontest.RSA(t, "RS256", "k1")
	other := sessiontest.RSA(t, "RS256", "k1")
	hs := sessiontest.HMAC(t, "HS256")
	static := newResolver(t, jwtConfig(t, map[string]any{"type": "RS256", "key": rsa.PublicPEM(t), "audience": "warden", "issuer": "https://idp.test"}),
		session.WithClock(clock.Now))
	hsOnly := newResolver(t, jwtConfig(t, map[string]any{"type": "HS256", "key": string(hs.Private.([]byte))}), session.WithClock(clock.Now))

	// The JWKS publishes an RS256 key, an HMAC key (which must never be
	// used) and an RSA key marked for encryption.
	oct, _ := jwk.Import([]byte(strings.Repeat("s", 32)))
	_ = oct.Set(jwk.KeyIDKey, "oct")
	encKey := sessiontest.RSA(t, "RS256", "enc")
	enc := encKey.JWK(t)
	_ = enc.Set(jwk.KeyUsageKey, "enc")
	jwksSrv := sessiontest.NewJWKSServer(t)
	jwksSrv.SetJWKs(rsa.JWK(t), oct, enc)
	jwks := newResolver(t, jwtConfig(t, map[string]any{"jwk_url": jwksSrv.URL}), session.WithClock(clock.Now))

	good := func(extra map[string]any) map[string]any {
		c := sessiontest.Claims(now, "user", []string{"user"}, map[string]any{"x-hasura-user-id": "1"})
		c["aud"], c["iss"] = "warden", "https://idp.test"
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	if s, err := resolve(t, static, session.Request{Caller: checker, Headers: bearer(rsa.Sign(t, good(nil)))}); err != nil || s.Role != "user" {
		t.Fatalf("the control token does not pass: %+v, %v", s, err)
	}
	tamperedSig := func() string {
		tok := rsa.Sign(t, good(nil))
		i := strings.LastIndexByte(tok, '.')
		sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
		sig[0] ^= 1
		return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
	}
	tamperedPayload := func() string {
		parts := strings.Split(rsa.Sign(t, good(nil)), ".")
		c := good(map[string]any{session.DefaultClaimsNamespace: map[string]any{
			"x-hasura-default-role": "admin", "x-hasura-allowed-roles": []string{"admin"}}})
		b, _ := json.Marshal(c)
		parts[1] = base64.RawURLEncoding.EncodeToString(b)
		return strings.Join(parts, ".")
	}
	nested := func(depth int) map[string]any {
		var v any = "x"
		for range depth {
			v = []any{v}
		}
		return good(map[string]any{session.DefaultClaimsNamespace: map[string]any{
			"x-hasura-default-role": "user", "x-hasura-allowed-roles": []string{"user"}, "x-hasura-user-id": v}})
	}
	pemSecret := []byte(rsa.PublicPEM(t))
	type attack struct {
		name   string
		r      *session.Resolver
		req    session.Request
		code   codes.Code
		reason string
	}
	tok := func(r *session.Resolver, token string) session.Request {
		return session.Request{Caller: checker, Headers: bearer(token)}
	}
	attacks := []attack{
		{"expired", static, tok(static, rsa.Sign(t, good(map[string]any{"exp": now.Add(-time.Second).Unix()}))), codes.Unauthenticated, session.ReasonJWTExpired},
		{"not yet valid (nbf)", static, tok(static, rsa.Sign(t, good(map[string]any{"nbf": now.Add(time.Hour).Unix()}))), codes.Unauthenticated, session.ReasonJWTNotYetValid},
		{"issued in the future (iat)", static, tok(static, rsa.Sign(t, good(map[string]any{"iat": now.Add(time.Hour).Unix()}))), codes.Unauthenticated, session.ReasonJWTNotYetValid},
		{"exp that is not a number", static, tok(static, rsa.Sign(t, good(map[string]any{"exp": "tomorrow"}))), codes.Unauthenticated, session.ReasonJWTInvalidClaims},
		{"alg none", static, tok(static, sessiontest.Unsigned(t, map[string]any{"alg": "none", "typ": "JWT"}, good(nil), nil)), codes.Unauthenticated, session.ReasonJWTAlgNotAllowed},
		{"alg None", static, tok(static, sessiontest.Unsigned(t, map[string]any{"alg": "None"}, good(nil), nil)), codes.Unauthenticated, session.ReasonJWTAlgNotAllowed},
		{"alg none with JWKS", jwks, tok(jwks, sessiontest.Unsigned(t, map[string]any{"alg": "none", "kid": "k1"}, good(nil), nil)), codes.Unauthenticated, session.ReasonJWTAlgNotAllowed},
		{"no alg", static, tok(static, sessiontest.Unsigned(t, map[string]any{"typ": "JWT"}, good(nil), []byte("x"))), codes.Unauthenticated, session.ReasonTokenMalformed},
		{"HS256 signed with the RSA public key", static, tok(static, sessiontest.HMACWithHeader(t, map[string]any{"alg": "HS256"}, good(nil), pemSecret)), codes.Unauthenticated, session.ReasonJWTAlgNotAllowed},
		{"RS256 header over an HMAC of the public key", static, tok(static, sessiontest.HMACWithHeader(t, map[string]any{"alg": "RS256"}, good(nil), pemSecret)), codes.Unauthenticated, session.ReasonJWTInvalidSignature},
		{"RS256 token against an HS256 configuration", hsOnly, tok(hsOnly, rsa.Sign(t, good(nil))), codes.Unauthenticated, session.ReasonJWTAlgNotAllowed},
		{"HS256 with the JWKS's oct key", jwks, tok(jwks, sessiontest.HMACWithHeader(t, map[string]any{"alg": "HS256", "kid": "oct"}, good(nil), []byte(strings.Repeat("s", 32)))), codes.Unauthenticated, session.ReasonJWTAlgNotAllowed},
		{"RS256 naming the oct key", jwks, tok(jwks, sessiontest.HMACWithHeader(t, map[string]any{"alg": "RS256", "kid": "oct"}, good(nil), []byte(strings.Repeat("s", 32)))), codes.Unauthenticated, session.ReasonJWTUnknownKey},
		{"ES256 naming an RSA key", jwks, tok(jwks, sessiontest.Unsigned(t, map[string]any{"alg": "ES256", "kid": "k1"}, good(nil), make([]byte, 64))), codes.Unauthenticated, session.ReasonJWTUnknownKey},
		{"key marked use=enc", jwks, tok(jwks, encKey.Sign(t, good(nil))), codes.Unauthenticated, session.ReasonJWTUnknownKey},
		{"signed by another key with the same kid", jwks, tok(jwks, other.Sign(t, good(nil))), codes.Unauthenticated, session.ReasonJWTInvalidSignature},
		{"unknown kid", jwks, tok(jwks, sessiontest.RSA(t, "RS256", "k9").Sign(t, good(nil))), codes.Unauthenticated, session.ReasonJWTUnknownKey},
		{"wrong audience", static, tok(static, rsa.Sign(t, good(map[string]any{"aud": "someone-else"}))), codes.Unauthenticated, session.ReasonJWTInvalidAudience},
		{"no audience", static, tok(static, rsa.Sign(t, good(map[string]any{"aud": nil}))), codes.Unauthenticated, session.ReasonJWTInvalidAudience},
		{"wrong issuer", static, tok(static, rsa.Sign(t, good(map[string]any{"iss": "https://evil.test"}))), codes.Unauthenticated, session.ReasonJWTInvalidIssuer},
		{"tampered signature", static, tok(static, tamperedSig()), codes.Unauthenticated, session.ReasonJWTInvalidSignature},
		{"tampered payload (role escalation)", static, tok(static, tamperedPayload()), codes.Unauthenticated, session.ReasonJWTInvalidSignature},
		{"signature stripped", static, tok(static, strings.Join(strings.Split(rsa.Sign(t, good(nil)), ".")[:2], ".")+"."), codes.Unauthenticated, session.ReasonTokenMalformed},
		{"JWE-shaped token", static, tok(static, "a.b.c.d.e"), codes.Unauthenticated, session.ReasonTokenMalformed},
		{"JSON serialisation", static, tok(static, `{"payload":"e30","signatures":[]}`), codes.Unauthenticated, session.ReasonTokenMalformed},
		{"garbage token", static, tok(static, "not-a-jwt"), codes.Unauthenticated, session.ReasonTokenMalformed},
		{"oversized token", static, tok(static, strings.Repeat("a", session.MaxTokenBytes)+".b.c"), codes.Unauthenticated, session.ReasonTokenTooLarge},
		{"deeply nested claims", static, tok(static, rsa.Sign(t, nested(4000))), codes.Unauthenticated, session.ReasonJWTInvalidClaims},
		{"nested token as payload", static, tok(static, rsa.SignPayload(t, []byte(rsa.Sign(t, good(nil))))), codes.Unauthenticated, session.ReasonTokenMalformed},
		{"Basic instead of Bearer", static, session.Request{Caller: checker, Headers: map[string][]string{"authorization": {"Basic dXNlcjpwYXNz"}}}, codes.Unauthenticated, session.ReasonTokenMalformed},
		{"two authorization headers", static, session.Request{Caller: checker, Headers: map[string][]string{"authorization": {"Bearer a.b.c", "Bearer d.e.f"}}}, codes.Unauthenticated, session.ReasonTokenMalformed},
		{"role not allowed", static, session.Request{Caller: checker, Role: "editor", Headers: bearer(rsa.Sign(t, good(nil)))}, codes.PermissionDenied, session.ReasonRoleNotAllowed},
		{"admin not allowed", static, session.Request{Caller: admin, Role: "admin", Headers: bearer(rsa.Sign(t, good(nil)))}, codes.PermissionDenied, session.ReasonRoleNotAllowed},
		{"default role outside the allowed roles", static, tok(static, rsa.Sign(t, good(map[string]any{session.DefaultClaimsNamespace: map[string]any{
			"x-hasura-default-role": "admin", "x-hasura-allowed-roles": []string{"user"}}}))), codes.PermissionDenied, session.ReasonRoleNotAllowed},
		{"missing allowed roles", static, tok(static, rsa.Sign(t, good(map[string]any{session.DefaultClaimsNamespace: map[string]any{"x-hasura-default-role": "user"}}))), codes.Unauthenticated, session.ReasonJWTMissingRoleClaims},
		{"missing default role", static, tok(static, rsa.Sign(t, good(map[string]any{session.DefaultClaimsNamespace: map[string]any{"x-hasura-allowed-roles": []string{"user"}}}))), codes.Unauthenticated, session.ReasonJWTMissingRoleClaims},
		{"no Hasura claims", static, tok(static, rsa.Sign(t, good(map[string]any{session.DefaultClaimsNamespace: nil}))), codes.Unauthenticated, session.ReasonJWTInvalidClaims},
		{"object as a session value", static, tok(static, rsa.Sign(t, good(map[string]any{session.DefaultClaimsNamespace: map[string]any{
			"x-hasura-default-role": "user", "x-hasura-allowed-roles": []string{"user"}, "x-hasura-user-id": map[string]any{"$ne": ""}}}))), codes.Unauthenticated, session.ReasonJWTInvalidClaims},
		{"session variable twice in different case", static, tok(static, rsa.Sign(t, good(map[string]any{session.DefaultClaimsNamespace: map[string]any{
			"x-hasura-default-role": "user", "x-hasura-allowed-roles": []string{"user"}, "x-hasura-user-id": "1", "X-Hasura-User-Id": "2"}}))), codes.Unauthenticated, session.ReasonJWTInvalidClaims},
		{"user-level caller states x-hasura-* variables", static, session.Request{Caller: checker, Role: "user", Variables: map[string]string{"x-hasura-user-id": "1"}}, codes.PermissionDenied, session.ReasonSessionVariablesNotAllowed},
		{"user-level caller states variables next to a token", static, session.Request{Caller: checker, Variables: map[string]string{"x-hasura-user-id": "2"}, Headers: bearer(rsa.Sign(t, good(nil)))}, codes.PermissionDenied, session.ReasonSessionVariablesNotAllowed},
		{"trusted caller overrides the token's variables", static, session.Request{Caller: trusted, Variables: map[string]string{"x-hasura-user-id": "2"}, Headers: bearer(rsa.Sign(t, good(nil)))}, codes.InvalidArgument, session.ReasonAmbiguousSession},
		{"user-level caller asks for backend_only", static, session.Request{Caller: checker, BackendOnly: true, Headers: bearer(rsa.Sign(t, good(nil)))}, codes.PermissionDenied, session.ReasonBackendOnlyNotAllowed},
		{"no token", static, session.Request{Caller: checker, Role: "user"}, codes.Unauthenticated, session.ReasonMissingToken},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			s, err := resolve(t, a.r, a.req)
			wantError(t, s, err, a.code, a.reason)
			if tokens := a.req.Headers["authorization"]; len(tokens) > 0 && len(tokens[0]) > 20 {
				if strings.Contains(err.Error(), tokens[0][7:]) {
					t.Fatal("the error echoes the token")
				}
			}
		})
	}
	_ = context.Background
	_ = http.StatusOK
}

// TestSQLLookingValuesAreData: session values that look like SQL come out
// byte for byte, from every source; nothing here quotes, strips or
// refuses them, and nothing here builds SQL. The SQL renderer must bind
// them as parameters (see the security test package).
func TestSQLLookingValuesAreData(t *testing.T) {
	clock := newClock()
	values := []string{
		`1 OR 1=1`,
		`1'; DROP TABLE users; --`,
		`"); DELETE FROM x; --`,
		`$1`, `?`, `\x27`, "a\x00b",
	}
	k := sessiontest.HMAC(t, "HS256")
	jwtR := newResolver(t, jwtConfig(t, map[string]any{"type": "HS256", "key": string(k.Private.([]byte))}), session.WithClock(clock.Now))
	plain := newResolver(t, session.DefaultConfig())
	for _, v := range values {
		s, err := resolve(t, jwtR, session.Request{Caller: checker, Headers: bearer(k.Sign(t,
			sessiontest.Claims(clock.Now(), "user", []string{"user"}, map[string]any{"x-hasura-user-id": v})))})
		if err != nil || s.Vars["x-hasura-user-id"] != v {
			t.Errorf("JWT: %q came out as %q (%v)", v, s.Vars["x-hasura-user-id"], err)
		}
		s, err = resolve(t, plain, session.Request{Caller: trusted, Role: "user", Variables: map[string]string{"x-hasura-user-id": v}})
		if err != nil || s.Vars["x-hasura-user-id"] != v {
			t.Errorf("trusted: %q came out as %q (%v)", v, s.Vars["x-hasura-user-id"], err)
		}
	}
	hook := sessiontest.NewWebhook(t, sessiontest.JSON(http.StatusOK, map[string]any{"X-Hasura-Role": "user", "X-Hasura-User-Id": values[1]}))
	cfg := session.DefaultConfig()
	cfg.AuthHook, cfg.AuthHookSecret = hook.URL, "s3cret"
	s, err := resolve(t, newResolver(t, cfg), session.Request{Caller: checker, Headers: bearer("opaque")})
	if err != nil || s.Vars["x-hasura-user-id"] != values[1] {
		t.Errorf("webhook: %q came out as %q (%v)", values[1], s.Vars["x-hasura-user-id"], err)
	}
}
