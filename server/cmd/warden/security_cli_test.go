package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
)

func TestKeysGenerate(t *testing.T) {
	t.Run("text", func(t *testing.T) {
		stdout, stderr, err := runCLI(t, nil, "keys", "generate", "--id", "checkout", "--grants", "check, filter")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		key := regexp.MustCompile(`(?m)^  (wdn_[A-Za-z0-9_-]{43})$`).FindStringSubmatch(stdout)
		entry := regexp.MustCompile(`(?m)^  (\{.*\})$`).FindStringSubmatch(stdout)
		if key == nil || entry == nil {
			t.Fatalf("no key or entry in:\n%s", stdout)
		}
		es, err := callerauth.ParseEntries([]byte("[" + entry[1] + "]"))
		if err != nil {
			t.Fatal(err)
		}
		want := callerauth.Entry{ID: "checkout", Hash: callerauth.HashKey(key[1]), Level: callerauth.LevelUser,
			Grants: []callerauth.Grant{callerauth.GrantCheck, callerauth.GrantFilter}}
		if b, _ := json.Marshal(es[0]); string(b) != mustJSON(t, want) {
			t.Errorf("entry %s, want %s", b, mustJSON(t, want))
		}
		if strings.Count(stdout, key[1]) != 1 {
			t.Error("the key is printed more than once")
		}
	})
	t.Run("json, admin, and the key works", func(t *testing.T) {
		stdout, _, err := runCLI(t, nil, "keys", "generate", "--id", "ops2", "--level", "admin", "--output", "json")
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Key   string          `json:"key"`
			Entry json.RawMessage `json:"entry"`
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatal(err)
		}
		srv := startServer(t, "--api-keys-file", writeTemp(t, "keys.json", "["+string(out.Entry)+"]"))
		srv.keys["ops2"] = out.Key
		if _, err := wardenv1.NewAdminServiceClient(srv.dial(t, "ops2")).GetStatus(t.Context(), &wardenv1.GetStatusRequest{}); err != nil {
			t.Errorf("GetStatus with the generated admin key: %v", err)
		}
	})
	for _, args := range [][]string{
		{"keys"}, {"keys", "rotate"}, {"keys", "generate", "--level", "root"}, {"keys", "generate", "--grants", "everything"},
		{"keys", "generate", "--id", ""},
	} {
		if _, _, err := runCLI(t, nil, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hsSecret is a Hasura JWT configuration with an HS256 key, audience and
// issuer: the README's example.
const hsSecret = `{"type": "HS256", "key": "3f9c1e0b8d7a6f5e4d3c2b1a09f8e7d6c5b4a3928170", "audience": "blog-api", "issuer": "https://auth.example.com"}`

// TestJWTCheckEndToEnd is the README's example: a Check made with a real
// signed JWT, by a caller that may not state sessions itself.
func TestJWTCheckEndToEnd(t *testing.T) {
	env := map[string]string{"WARDEN_JWT_SECRET": hsSecret}
	token, stderr, err := runCLI(t, env, "token", "--role", "user", "--var", "x-hasura-user-id=1", "--var", "X-Hasura-Org-Id=1")
	if err != nil {
		t.Fatalf("token: %v\n%s", err, stderr)
	}
	token = strings.TrimSpace(token)
	srv := startServer(t, "--jwt-secret", hsSecret)
	client := wardenv1.NewAuthorizationServiceClient(srv.dial(t, "checker"))
	req := articlesRequest(t)
	req.Principal = nil // the session is the token's

	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+token)
	resp, err := client.Check(ctx, req)
	if err != nil {
		t.Fatalf("Check with the token: %v", err)
	}
	if resp.GetRole() != "user" || resp.GetDecisions()[0].GetDecision() != wardenv1.Decision_DECISION_ALLOW ||
		resp.GetDecisions()[1].GetDecision() != wardenv1.Decision_DECISION_DENY {
		t.Errorf("Check = %v; want role user, ALLOW then DENY", resp)
	}

	// Another key signed it: refused, with the reason.
	other := strings.Replace(hsSecret, "3f9c", "0000", 1)
	forged, _, err := runCLI(t, map[string]string{"WARDEN_JWT_SECRET": other}, "token", "--role", "admin", "--allowed-roles", "admin,user")
	if err != nil {
		t.Fatal(err)
	}
	ctx = metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+strings.TrimSpace(forged))
	_, err = client.Check(ctx, req)
	checkStatus(t, err, violation{code: codes.Unauthenticated, reason: "JWT_INVALID_SIGNATURE", msg: "signature"})

	// Without a token and without the trusted-session grant: no session.
	_, err = client.Check(t.Context(), req)
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("no token: %v", err)
	}
}

func TestTokenRefuses(t *testing.T) {
	for name, tt := range map[string]struct {
		env  string
		args []string
		want string
	}{
		"no secret":      {"", []string{"token", "--role", "user"}, "--jwt-secret"},
		"no role":        {hsSecret, []string{"token"}, "--role is required"},
		"asymmetric key": {`{"type": "RS256", "jwk_url": "https://idp.test/jwks"}`, []string{"token", "--role", "user"}, "identity provider"},
		"bad variable":   {hsSecret, []string{"token", "--role", "user", "--var", "user-id=1"}, "x-hasura-name=value"},
	} {
		_, _, err := runCLI(t, map[string]string{"WARDEN_JWT_SECRET": tt.env}, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, tt.want)
		}
	}
}

// writeTemp writes a file in the test's temporary directory.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKeysGenerateEnv: --output env prints export lines a shell can eval,
// and serve takes WARDEN_API_KEYS as it is.
func TestKeysGenerateEnv(t *testing.T) {
	stdout, _, err := runCLI(t, nil, "keys", "generate", "--id", "it's", "--output", "env")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)^export WARDEN_KEY='(wdn_[A-Za-z0-9_-]+)'\nexport WARDEN_API_KEYS='(.*)'\n$`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("not export lines:\n%s", stdout)
	}
	keys := strings.ReplaceAll(m[2], `'\''`, `'`)
	es, err := callerauth.ParseEntries([]byte(keys))
	if err != nil || len(es) != 1 || es[0].ID != "it's" || es[0].Hash != callerauth.HashKey(m[1]) {
		t.Errorf("WARDEN_API_KEYS %s: %v, %v", keys, es, err)
	}
}
