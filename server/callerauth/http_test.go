package callerauth_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/callerauth/callerauthtest"
)

func TestForeignClientCertificateFailsHandshake(t *testing.T) {
	f := newTLSFixture(t, callerauth.ClientAuthOptional)
	stranger := callerauthtest.NewCA(t, "other CA").Client(t, callerauthtest.Identity{URIs: []string{"spiffe://test.example/ns/prod/sa/checker"}})
	cfg := f.clientTLS(t, nil)
	cert := stranger.TLS(t)
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	cc := dial(t, f.addr, credentials.NewTLS(cfg))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := wardenv1.NewAuthorizationServiceClient(cc).Check(ctx, &wardenv1.CheckRequest{})
	wantStatus(t, err, codes.Unavailable, "")
	if f.stub.reached.Load() != 0 {
		t.Fatal("the call reached the handler")
	}
}

func TestHTTPMiddleware(t *testing.T) {
	key, hash, _ := callerauth.GenerateKey()
	userKey, userHash, _ := callerauth.GenerateKey()
	a, err := callerauth.NewAuthenticator([]callerauth.Entry{
		{ID: "prom", Hash: hash, Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantMetrics}},
		{ID: "checker", Hash: userHash, Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantCheck}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := a.HTTPMiddleware(callerauth.GrantMetrics, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := callerauth.FromContext(r.Context())
		io.WriteString(w, "metrics for "+c.ID)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tt := range []struct {
		key  string
		code int
		body string
	}{
		{"", http.StatusUnauthorized, "caller credentials required"},
		{"wdn_nope", http.StatusUnauthorized, "invalid API key"},
		{userKey, http.StatusForbidden, "lacks the metrics grant"},
		{key, http.StatusOK, "metrics for prom"},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if tt.key != "" {
			req.Header.Set("X-Warden-Api-Key", tt.key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || !strings.Contains(string(body), tt.body) {
			t.Errorf("key %q: %d %q, want %d %q", tt.key, resp.StatusCode, body, tt.code, tt.body)
		}
		if tt.key != "" && strings.Contains(string(body), tt.key) {
			t.Errorf("the response echoes the key")
		}
	}
}
