package session_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wardenpdp/warden/server/session"
	"github.com/wardenpdp/warden/server/session/sessiontest"
)

func TestParseJWTConfig(t *testing.T) {
	rsa := sessiontest.RSA(t, "RS256", "")
	ec := sessiontest.EC(t, "ES384", "")
	c, err := session.ParseJWTConfig([]byte(`{"type":"RS256","key":` + quote(rsa.PublicPEM(t)) + `,
		"audience":["a","b"],"issuer":"i","allowed_skew":1.5,"header":{"type":"Cookie","name":"jwt"},
		"claims_map":{"x-hasura-allowed-roles":["user"],"x-hasura-default-role":{"path":"$.r","default":"user"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.ClaimsNamespace != session.DefaultClaimsNamespace || c.ClaimsFormat != "json" || c.AllowedSkew != 1500*time.Millisecond ||
		len(c.Audience) != 2 || c.Header.Name != "jwt" || c.ClaimsMap["x-hasura-default-role"].Default != "user" {
		t.Fatalf("config = %+v", c)
	}
	tests := []struct{ name, json, want string }{
		{"neither key nor url", `{"type":"HS256"}`, "cannot both be empty"},
		{"both key and url", `{"type":"HS256","key":"` + strings.Repeat("k", 32) + `","jwk_url":"https://x"}`, "cannot both be present"},
		{"key without type", `{"key":"` + strings.Repeat("k", 32) + `"}`, "type is required"},
		{"unknown type", `{"type":"HS1","key":"x"}`, "not supported"},
		{"alg none as type", `{"type":"none","key":"x"}`, "not supported"},
		{"short HMAC key", `{"type":"HS256","key":"short"}`, "at least 32"},
		{"RSA type, EC key", `{"type":"RS256","key":` + quote(ec.PublicPEM(t)) + `}`, "cannot verify RS256"},
		{"ES256 type, P-384 key", `{"type":"ES256","key":` + quote(ec.PublicPEM(t)) + `}`, "needs curve P-256"},
		{"not PEM", `{"type":"RS256","key":"abc"}`, "want a PEM"},
		{"private key", `{"type":"RS256","key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}`, "want PUBLIC KEY"},
		{"both namespaces", `{"jwk_url":"https://x","claims_namespace":"a","claims_namespace_path":"$.a"}`, "both cannot be set"},
		{"bad claims format", `{"jwk_url":"https://x","claims_format":"xml"}`, "claims_format"},
		{"bad path", `{"jwk_url":"https://x","claims_namespace_path":"$["}`, "claims_namespace_path"},
		{"claims map without roles", `{"jwk_url":"https://x","claims_map":{"x-hasura-user-id":"1"}}`, "is expected but not found"},
		{"claims map, not a session variable", `{"jwk_url":"https://x","claims_map":{"user-id":"1"}}`, "not a session variable"},
		{"bad audience", `{"jwk_url":"https://x","audience":3}`, "audience"},
		{"negative skew", `{"jwk_url":"https://x","allowed_skew":-1}`, "allowed_skew"},
		{"bad header", `{"jwk_url":"https://x","header":{"type":"Query"}}`, "header type"},
		{"cookie without name", `{"jwk_url":"https://x","header":{"type":"Cookie"}}`, "needs a name"},
		{"not a URL", `{"jwk_url":"file:///etc/passwd"}`, "want an http(s) URL"},
		{"misspelt field", `{"jwk_url":"https://x","claims_namspace":"a"}`, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := session.ParseJWTConfig([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestJWKSWithHMACTypeRefused(t *testing.T) {
	cfg := session.DefaultConfig()
	cfg.JWTSecret = `{"jwk_url":"https://idp.test/jwks","type":"HS256"}`
	if _, err := session.NewResolver(cfg); err == nil || !strings.Contains(err.Error(), "HMAC") {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	c := session.DefaultConfig()
	c.JWTSecret = `{"jwk_url":"https://x"}`
	c.AuthHook = "https://hook"
	c.UnauthorizedRole = "Admin"
	c.AuthHookTimeout = 0
	err := c.Validate()
	for _, want := range []string{"exclude each other", "--auth-hook-secret is required", "must not be admin", "--auth-hook-timeout"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want %q", err, want)
		}
	}
	c = session.DefaultConfig()
	c.AuthHook, c.AuthHookSecret, c.AuthHookMode, c.AuthHookSecretHeader = "ftp://x", "s", "PUT", "Bad Header"
	err = c.Validate()
	for _, want := range []string{"want an http(s) URL", "--auth-hook-mode", "--auth-hook-secret-header"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want %q", err, want)
		}
	}
}

func TestConfigLogValueHidesSecrets(t *testing.T) {
	c := session.DefaultConfig()
	c.JWTSecret = `{"type":"HS256","key":"super-secret-key-that-is-32-chars!!"}`
	c.AuthHookSecret = "hook-secret"
	if s := c.LogValue().String(); strings.Contains(s, "super-secret") || !strings.Contains(s, "HS256") {
		t.Errorf("JWT: %s", s)
	}
	c = session.DefaultConfig()
	c.AuthHook, c.AuthHookSecret = "https://user:pass@hook.test/auth", "hook-secret"
	if s := c.LogValue().String(); strings.Contains(s, "hook-secret") || strings.Contains(s, "pass@") || !strings.Contains(s, "hook.test") {
		t.Errorf("webhook: %s", s)
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(s, "\n", `\n`) + `"`
}
