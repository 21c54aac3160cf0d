package session

import (
	"context"
	"strings"
	"testing"
	"time"
)

func FuzzParseJSONPath(f *testing.F) {
	for _, s := range []string{"$", "$.a.b", "$['a.b']", `$["x"][0]`, "a.b", "$[", "$..", `$['\'']`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseJSONPath(s)
		if err == nil {
			p.lookup(map[string]any{"a": []any{map[string]any{}}})
		}
	})
}

func FuzzParseJWTConfig(f *testing.F) {
	f.Add(`{"type":"HS256","key":"` + strings.Repeat("k", 32) + `"}`)
	f.Add(`{"jwk_url":"https://x","claims_map":{"x-hasura-allowed-roles":{"path":"$.r"},"x-hasura-default-role":"u"}}`)
	f.Add(`{"jwk_url":"https://x","audience":["a"],"allowed_skew":3,"header":{"type":"Cookie","name":"c"}}`)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseJWTConfig([]byte(s))
	})
}

// FuzzVerify feeds arbitrary tokens to the verifier: it must never panic
// and never accept one (nobody but the test holds the key).
func FuzzVerify(f *testing.F) {
	for _, s := range []string{
		"eyJhbGciOiJIUzI1NiJ9.e30.sig",
		"eyJhbGciOiJub25lIn0.e30.",
		"a.b.c", "...", "eyJ9.eyJ9.eyJ9",
		"eyJhbGciOiJIUzI1NiIsImNyaXQiOlsiYjY0Il0sImI2NCI6ZmFsc2V9.x.y",
	} {
		f.Add(s)
	}
	cfg, err := ParseJWTConfig([]byte(`{"type":"HS256","key":"` + strings.Repeat("k", 32) + `"}`))
	if err != nil {
		f.Fatal(err)
	}
	v, err := newJWTVerifier(cfg, &options{now: time.Now})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		if claims, err := v.verify(context.Background(), tok); err == nil {
			t.Fatalf("accepted %q: %v", tok, claims)
		}
	})
}
