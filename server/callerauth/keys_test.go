package callerauth

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestGenerateKey(t *testing.T) {
	k1, h1, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, _, _ := GenerateKey()
	if k1 == k2 {
		t.Fatal("two keys are equal")
	}
	if !strings.HasPrefix(k1, KeyPrefix) || len(k1) != len(KeyPrefix)+43 {
		t.Errorf("key %q: want %s + 43 base64url characters", k1, KeyPrefix)
	}
	if h1 != HashKey(k1) {
		t.Error("hash is not HashKey(key)")
	}
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(h1) {
		t.Errorf("hash %q", h1)
	}
	// The known SHA-256 of "test".
	if got := HashKey("test"); got != "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" {
		t.Errorf("HashKey(test) = %s", got)
	}
}

func TestParseEntries(t *testing.T) {
	h := HashKey("k1")
	yamlDoc := `
- id: checkout
  hash: ` + h + `
  level: user
  grants: [check, Filter]
- id: gateway
  certificate: {uri: "spiffe://example.org/gw"}
  level: user
  grants: [trusted-session]
- id: ops
  hash: ` + HashKey("k2") + `
  level: admin
`
	jsonDoc := `[{"id":"checkout","hash":"` + h + `","level":"user","grants":["check","filter"]},
	{"id":"gateway","certificate":{"uri":"spiffe://example.org/gw"},"level":"user","grants":["trusted-session"]},
	{"id":"ops","hash":"` + HashKey("k2") + `","level":"admin"}]`
	for name, doc := range map[string]string{"yaml": yamlDoc, "json": jsonDoc} {
		t.Run(name, func(t *testing.T) {
			es, err := ParseEntries([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != 3 || es[0].Level != LevelUser || es[2].Level != LevelAdmin ||
				es[1].Certificate.URI != "spiffe://example.org/gw" || es[0].Grants[1] != GrantFilter {
				t.Fatalf("entries = %+v", es)
			}
		})
	}
}

func TestParseEntriesRejects(t *testing.T) {
	h := HashKey("k")
	tests := []struct{ name, doc, want string }{
		{"plain-text key", `[{"id":"a","hash":"wdn_secret","level":"user"}]`, `must start with "sha256:"`},
		{"short hash", `[{"id":"a","hash":"sha256:abcd","level":"user"}]`, "64 hex digits"},
		{"missing id", `[{"hash":"` + h + `","level":"user"}]`, "id is required"},
		{"duplicate id", `[{"id":"a","hash":"` + h + `","level":"user"},{"id":"a","hash":"` + HashKey("j") + `","level":"user"}]`, "id is also entry 0"},
		{"duplicate hash", `[{"id":"a","hash":"` + h + `","level":"user"},{"id":"b","hash":"` + h + `","level":"user"}]`, "one key, one caller"},
		{"no credential", `[{"id":"a","level":"user"}]`, "needs a hash"},
		{"no level", `[{"id":"a","hash":"` + h + `"}]`, "level is required"},
		{"unknown level", `[{"id":"a","hash":"` + h + `","level":"root"}]`, "unknown level"},
		{"unknown grant", `[{"id":"a","hash":"` + h + `","level":"user","grants":["all"]}]`, "unknown grant"},
		{"two cert identities", `[{"id":"a","certificate":{"uri":"spiffe://x","cn":"x"},"level":"user"}]`, "exactly one of"},
		{"unknown field", `[{"id":"a","hash":"` + h + `","level":"user","key":"plain"}]`, "unknown field"},
		{"unknown yaml field", "- id: a\n  hash: " + h + "\n  level: user\n  key: plain\n", "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEntries([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestConfigEntries(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "callers.yaml")
	if err := os.WriteFile(file, []byte("- id: b\n  hash: "+HashKey("b")+"\n  level: admin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.APIKeys = `[{"id":"a","hash":"` + HashKey("a") + `","level":"user","grants":["check"]}]`
	c.APIKeysFile = file
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := c.NewAuthenticator()
	if err != nil {
		t.Fatal(err)
	}
	for key, id := range map[string]string{"a": "a", "b": "b"} {
		if c, err := a.AuthenticateKey(key); err != nil || c.ID != id {
			t.Errorf("AuthenticateKey(%s) = %v, %v", key, c, err)
		}
	}
	c.APIKeys = `[{"id":"b","hash":"` + HashKey("a") + `","level":"user"}]`
	if _, err := c.Entries(); err == nil || !strings.Contains(err.Error(), "id is also") {
		t.Errorf("duplicate id across --api-keys and --api-keys-file: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	c.TLSCertFile = "cert.pem"
	c.TLSClientAuth = "sometimes"
	c.RateLimit = -1
	err := c.Validate()
	for _, want := range []string{"--tls-cert-file and --tls-key-file", "--tls-client-auth", "--rate-limit"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %s", err, want)
		}
	}
	c = DefaultConfig()
	c.APIKeys = "secret"
	if s := c.LogValue().String(); strings.Contains(s, "secret") {
		t.Errorf("LogValue shows the inline entries: %s", s)
	}
}
