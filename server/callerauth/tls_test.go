package callerauth_test

import (
	"context"
	"crypto/tls"
	"net"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/callerauth/callerauthtest"
)

type tlsFixture struct {
	dir                  string
	ca                   *callerauthtest.CA
	certFile, keyFile    string
	caFile               string
	clock                *fakeClock
	reloader             *callerauth.CertReloader
	addr                 string
	stub                 *stub
	keys                 map[string]string
	spiffe, dns, cn, odd *callerauthtest.Leaf
}

func newTLSFixture(t *testing.T, clientAuth callerauth.ClientAuth) *tlsFixture {
	t.Helper()
	f := &tlsFixture{dir: t.TempDir(), ca: callerauthtest.NewCA(t, "test CA"), clock: &fakeClock{t: time.Unix(1_700_000_000, 0)}}
	srv := f.ca.Server(t)
	f.certFile = callerauthtest.WriteFile(t, f.dir, "tls.crt", srv.CertPEM)
	f.keyFile = callerauthtest.WriteFile(t, f.dir, "tls.key", srv.KeyPEM)
	files := callerauth.TLSFiles{CertFile: f.certFile, KeyFile: f.keyFile, ClientAuth: clientAuth}
	if clientAuth != callerauth.ClientAuthNone {
		f.caFile = callerauthtest.WriteFile(t, f.dir, "client-ca.crt", f.ca.PEM)
		files.ClientCAFile = f.caFile
	}
	var err error
	f.reloader, err = callerauth.NewCertReloader(files, callerauth.WithTLSClock(f.clock.Now), callerauth.WithReloadInterval(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	f.spiffe = f.ca.Client(t, callerauthtest.Identity{CN: "whatever", URIs: []string{"spiffe://test.example/ns/prod/sa/checker"}})
	f.dns = f.ca.Client(t, callerauthtest.Identity{DNS: []string{"filter.svc.internal"}})
	f.cn = f.ca.Client(t, callerauthtest.Identity{CN: "legacy-ops"})
	// odd's URI names one caller and its CN another.
	f.odd = f.ca.Client(t, callerauthtest.Identity{CN: "legacy-ops", URIs: []string{"spiffe://test.example/ns/prod/sa/checker"}})
	key, hash, _ := callerauth.GenerateKey()
	f.keys = map[string]string{"keyed": key}
	a, err := callerauth.NewAuthenticator([]callerauth.Entry{
		{ID: "spiffe-checker", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantCheck},
			Certificate: &callerauth.CertificateMatch{URI: "spiffe://test.example/ns/prod/sa/checker"}},
		{ID: "dns-filterer", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantCheck},
			Certificate: &callerauth.CertificateMatch{DNS: "Filter.svc.internal"}},
		{ID: "cn-admin", Level: callerauth.LevelAdmin, Certificate: &callerauth.CertificateMatch{CN: "legacy-ops"}},
		{ID: "keyed", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantCheck}, Hash: hash},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.addr, f.stub = startServer(t, a, serverOpts{creds: credentials.NewTLS(f.reloader.ServerConfig())})
	return f
}

func (f *tlsFixture) clientTLS(t *testing.T, leaf *callerauthtest.Leaf) *tls.Config {
	cfg := &tls.Config{RootCAs: f.ca.Pool(), ServerName: "localhost", MinVersion: tls.VersionTLS12}
	if leaf != nil {
		cfg.Certificates = []tls.Certificate{leaf.TLS(t)}
	}
	return cfg
}

func (f *tlsFixture) check(t *testing.T, leaf *callerauthtest.Leaf, keys ...string) (string, error) {
	t.Helper()
	cc := dial(t, f.addr, credentials.NewTLS(f.clientTLS(t, leaf)))
	ctx, cancel := context.WithTimeout(withKeys(context.Background(), keys...), 5*time.Second)
	defer cancel()
	r, err := wardenv1.NewAuthorizationServiceClient(cc).Check(ctx, &wardenv1.CheckRequest{})
	return r.GetRole(), err
}

func TestMTLSCallers(t *testing.T) {
	f := newTLSFixture(t, callerauth.ClientAuthOptional)
	stranger := callerauthtest.NewCA(t, "other CA").Client(t, callerauthtest.Identity{URIs: []string{"spiffe://test.example/ns/prod/sa/checker"}})
	unmapped := f.ca.Client(t, callerauthtest.Identity{URIs: []string{"spiffe://test.example/ns/prod/sa/unknown"}})
	tests := []struct {
		name   string
		leaf   *callerauthtest.Leaf
		keys   []string
		code   codes.Code
		reason string
		caller string
	}{
		{"SPIFFE URI SAN", f.spiffe, nil, codes.OK, "", "spiffe-checker"},
		{"DNS SAN, case-insensitive", f.dns, nil, codes.OK, "", "dns-filterer"},
		{"subject CN", f.cn, nil, codes.OK, "", "cn-admin"},
		{"no certificate, no key", nil, nil, codes.Unauthenticated, callerauth.ReasonMissingCallerCredentials, ""},
		{"no certificate, key", nil, []string{f.keys["keyed"]}, codes.OK, "", "keyed"},
		{"key wins over certificate", f.cn, []string{f.keys["keyed"]}, codes.OK, "", "keyed"},
		{"wrong key is not rescued by a good certificate", f.cn, []string{"wdn_wrong"}, codes.Unauthenticated, callerauth.ReasonInvalidCallerCredentials, ""},
		{"certificate of no caller", unmapped, nil, codes.Unauthenticated, callerauth.ReasonInvalidCallerCredentials, ""},
		{"certificate naming two callers", f.odd, nil, codes.Unauthenticated, callerauth.ReasonInvalidCallerCredentials, ""},
		// Go's TLS client sends only a certificate that chains to a CA the
		// server names, so this one is not even sent.
		{"certificate from another CA", stranger, nil, codes.Unauthenticated, callerauth.ReasonMissingCallerCredentials, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.stub.reached.Load()
			got, err := f.check(t, tt.leaf, tt.keys...)
			wantStatus(t, err, tt.code, tt.reason)
			if tt.code != codes.OK && f.stub.reached.Load() != before {
				t.Fatal("a refused call reached the handler")
			}
			if got != tt.caller {
				t.Fatalf("caller = %q, want %q", got, tt.caller)
			}
		})
	}
}

func TestMTLSRequiredAndUnverified(t *testing.T) {
	f := newTLSFixture(t, callerauth.ClientAuthRequire)
	if _, err := f.check(t, nil, f.keys["keyed"]); err == nil {
		t.Fatal("require: a connection without a client certificate was accepted")
	}
	if got, err := f.check(t, f.spiffe); err != nil || got != "spiffe-checker" {
		t.Fatalf("require with a certificate: %q, %v", got, err)
	}
	// Without a client CA the server asks for no certificate: one sent
	// anyway is not verified, so it identifies nobody.
	g := newTLSFixture(t, callerauth.ClientAuthNone)
	_, err := g.check(t, g.cn)
	wantStatus(t, err, codes.Unauthenticated, callerauth.ReasonMissingCallerCredentials)
}

// serverSerial connects and returns the serial of the certificate served.
func serverSerial(t *testing.T, f *tlsFixture, leaf *callerauthtest.Leaf) (string, error) {
	t.Helper()
	cfg := f.clientTLS(t, leaf)
	cfg.NextProtos = []string{"h2"}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", f.addr, cfg)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String(), nil
}

func TestCertReloadOnChange(t *testing.T) {
	f := newTLSFixture(t, callerauth.ClientAuthOptional)
	first, err := serverSerial(t, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	renewed := f.ca.Server(t)
	callerauthtest.WriteFile(t, f.dir, filepath.Base(f.certFile), renewed.CertPEM)
	callerauthtest.WriteFile(t, f.dir, filepath.Base(f.keyFile), renewed.KeyPEM)
	if got, _ := serverSerial(t, f, nil); got != first {
		t.Fatal("reloaded before the interval passed")
	}
	f.clock.Add(11 * time.Second)
	got, err := serverSerial(t, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := renewed.Cert.SerialNumber.String(); got != want {
		t.Fatalf("serving serial %s, want the renewed %s", got, want)
	}

	// A half-written update (new certificate, old key) does not load: the
	// previous pair keeps serving until the key follows.
	third := f.ca.Server(t)
	callerauthtest.WriteFile(t, f.dir, filepath.Base(f.certFile), third.CertPEM)
	f.clock.Add(11 * time.Second)
	if got, err := serverSerial(t, f, nil); err != nil || got != renewed.Cert.SerialNumber.String() {
		t.Fatalf("after a half-written update: serial %s, %v; want the previous %s", got, err, renewed.Cert.SerialNumber)
	}
	callerauthtest.WriteFile(t, f.dir, filepath.Base(f.keyFile), third.KeyPEM)
	f.clock.Add(11 * time.Second)
	if got, _ := serverSerial(t, f, nil); got != third.Cert.SerialNumber.String() {
		t.Fatalf("serial %s, want %s once the key is written", got, third.Cert.SerialNumber)
	}
}

func TestClientCAReload(t *testing.T) {
	f := newTLSFixture(t, callerauth.ClientAuthOptional)
	next := callerauthtest.NewCA(t, "next client CA")
	rotated := next.Client(t, callerauthtest.Identity{URIs: []string{"spiffe://test.example/ns/prod/sa/checker"}})
	if _, err := f.check(t, rotated); err == nil {
		t.Fatal("a client certificate from a CA not yet trusted was accepted")
	}
	bundle := append(append([]byte{}, f.ca.PEM...), next.PEM...)
	callerauthtest.WriteFile(t, f.dir, filepath.Base(f.caFile), bundle)
	f.clock.Add(11 * time.Second)
	if got, err := f.check(t, rotated); err != nil || got != "spiffe-checker" {
		t.Fatalf("after adding the CA: %q, %v", got, err)
	}
}

func TestNewCertReloaderRejects(t *testing.T) {
	dir := t.TempDir()
	ca := callerauthtest.NewCA(t, "ca")
	srv := ca.Server(t)
	other := ca.Server(t)
	cert := callerauthtest.WriteFile(t, dir, "c.pem", srv.CertPEM)
	key := callerauthtest.WriteFile(t, dir, "k.pem", other.KeyPEM)
	if _, err := callerauth.NewCertReloader(callerauth.TLSFiles{CertFile: cert, KeyFile: key}); err == nil {
		t.Error("mismatched certificate and key accepted")
	}
	key = callerauthtest.WriteFile(t, dir, "k2.pem", srv.KeyPEM)
	if _, err := callerauth.NewCertReloader(callerauth.TLSFiles{CertFile: cert, KeyFile: key, ClientAuth: callerauth.ClientAuthRequire}); err == nil {
		t.Error("require without a client CA accepted")
	}
	bad := callerauthtest.WriteFile(t, dir, "ca.pem", []byte("not pem"))
	if _, err := callerauth.NewCertReloader(callerauth.TLSFiles{CertFile: cert, KeyFile: key, ClientCAFile: bad}); err == nil {
		t.Error("a client CA file without certificates accepted")
	}
}
