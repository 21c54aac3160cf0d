package security_test

import (
	"net/http"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"

	"github.com/wardenpdp/warden/server"
	"github.com/wardenpdp/warden/server/session"
)

// TestTLSReload: both listeners serve the certificate in the files, pick
// up a renewed one without a restart, and refuse plaintext.
func TestTLSReload(t *testing.T) {
	h := start(t, session.DefaultConfig(), func(c *server.Config) { c.Callers.TLSReloadInterval = 10 * time.Millisecond })
	serials := func() (grpcSerial, httpSerial string) {
		t.Helper()
		cc := h.conn(t, nil)
		var p peer.Peer
		if _, err := healthpb.NewHealthClient(cc).Check(t.Context(), &healthpb.HealthCheckRequest{}, grpc.Peer(&p)); err != nil {
			t.Fatal(err)
		}
		resp, err := h.https(t, nil).Get("https://" + h.httpAddr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return tlsSerial(t, p), resp.TLS.PeerCertificates[0].SerialNumber.String()
	}
	g1, h1 := serials()
	if g1 != h1 {
		t.Fatalf("gRPC serves serial %s, HTTP %s", g1, h1)
	}
	renewed := h.ca.Server(t)
	if err := os.WriteFile(h.cfg.Callers.TLSKeyFile, renewed.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.cfg.Callers.TLSCertFile, renewed.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	serials() // the first handshake after the interval reloads
	g2, h2 := serials()
	if g2 == g1 || h2 == h1 || g2 != h2 {
		t.Errorf("after renewal: gRPC serial %s (was %s), HTTP %s (was %s); want the new certificate on both", g2, g1, h2, h1)
	}

	// Plaintext is refused on both.
	cc, err := grpc.NewClient(h.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if _, err := healthpb.NewHealthClient(cc).Check(t.Context(), &healthpb.HealthCheckRequest{}); err == nil {
		t.Error("plaintext gRPC was served")
	}
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + h.httpAddr + "/healthz"); err == nil && resp.StatusCode == http.StatusOK {
		t.Error("plaintext HTTP was served")
	}
}

func tlsSerial(t *testing.T, p peer.Peer) string {
	t.Helper()
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		t.Fatalf("not a TLS connection: %v", p.AuthInfo)
	}
	return info.State.PeerCertificates[0].SerialNumber.String()
}
