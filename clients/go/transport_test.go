package warden_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"errors"
	"math"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	warden "github.com/wardenpdp/warden/clients/go"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// fake is an in-process AuthorizationService that fails the first calls
// with Unavailable, stalls when asked to, and records what it received.
type fake struct {
	wardenv1.UnimplementedAuthorizationServiceServer
	unavailable int           // fail this many calls with Unavailable
	stall       time.Duration // hold each call this long

	mu    sync.Mutex
	calls int
	md    metadata.MD
}

func (f *fake) Check(ctx context.Context, req *wardenv1.CheckRequest) (*wardenv1.CheckResponse, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.md, _ = metadata.FromIncomingContext(ctx)
	f.mu.Unlock()
	if n <= f.unavailable {
		return nil, status.Error(codes.Unavailable, "not yet")
	}
	select {
	case <-time.After(f.stall):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &wardenv1.CheckResponse{Decisions: []*wardenv1.RowDecision{{Id: req.GetRows()[0].GetId(), Decision: wardenv1.Decision_DECISION_ALLOW}}}, nil
}

func (f *fake) seen() (int, metadata.MD) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.md
}

// serveFake serves f on a loopback port and returns its address.
func serveFake(t *testing.T, f *fake, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(opts...)
	wardenv1.RegisterAuthorizationServiceServer(s, f)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

var oneRow = map[string]any{"id": 1}

func TestRetriesUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name        string
		unavailable int
		opts        []warden.Option
		wantErr     error
		wantCalls   int
	}{
		{"default: up to 4 attempts", 3, nil, nil, 4},
		{"default: gives up after 4", 4, nil, warden.ErrUnavailable, 4},
		{"WithRetry(1): no retry", 1, []warden.Option{warden.WithRetry(1)}, warden.ErrUnavailable, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{unavailable: tc.unavailable}
			c, err := warden.New(serveFake(t, f), append([]warden.Option{warden.WithPlaintext()}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.CheckRow(t.Context(), warden.Principal{Role: "user"}, "t", warden.Select, oneRow)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("err %v, want %v", err, tc.wantErr)
			}
			if calls, _ := f.seen(); calls != tc.wantCalls {
				t.Errorf("%d calls reached the server, want %d", calls, tc.wantCalls)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	f := &fake{stall: time.Minute}
	c, err := warden.New(serveFake(t, f), warden.WithPlaintext(), warden.WithTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.CheckRow(t.Context(), warden.Principal{Role: "user"}, "t", warden.Select, oneRow)
	if !errors.Is(err, warden.ErrDeadlineExceeded) {
		t.Errorf("err %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the call took %s despite a 50ms timeout", d)
	}
	// A deadline of the caller's own wins over the client's.
	f.stall = 100 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := c.CheckRow(ctx, warden.Principal{Role: "user"}, "t", warden.Select, oneRow); err != nil {
		t.Errorf("with the caller's 10s deadline: %v", err)
	}
}

func TestCredentialsMetadata(t *testing.T) {
	f := &fake{}
	conn, err := grpc.NewClient(serveFake(t, f), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := warden.NewFromConn(conn, warden.WithAPIKey("k1"), warden.WithBearerToken("default-jwt"))
	for _, tc := range []struct {
		name, token, want string
	}{
		{"the client's token", "", "Bearer default-jwt"},
		{"the principal's token wins", "user-jwt", "Bearer user-jwt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.CheckRow(t.Context(), warden.Principal{Token: tc.token}, "t", warden.Select, oneRow); err != nil {
				t.Fatal(err)
			}
			_, md := f.seen()
			if got := md.Get("authorization"); len(got) != 1 || got[0] != tc.want {
				t.Errorf("authorization %q, want %q", got, tc.want)
			}
			if got := md.Get("x-warden-api-key"); len(got) != 1 || got[0] != "k1" {
				t.Errorf("x-warden-api-key %q, want k1", got)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := warden.New(""); err == nil {
		t.Error("New(\"\") succeeded")
	}
	if _, err := warden.New("127.0.0.1:1", warden.WithRetry(6)); err == nil {
		t.Error("WithRetry(6) accepted; gRPC caps attempts at 5")
	}
}

func TestNewStruct(t *testing.T) {
	type label string
	at := time.Date(2024, 1, 10, 9, 0, 0, 5, time.FixedZone("CET", 3600))
	n := 7
	s, err := warden.NewStruct(map[string]any{
		"small":   int64(1)<<53 - 1,
		"edge":    int64(1) << 53, // also the double of 2^53+1
		"big":     int64(1)<<53 + 1,
		"max":     int64(math.MaxInt64),
		"bigint":  new(big.Int).SetUint64(math.MaxUint64),
		"smallbi": big.NewInt(-42),
		"rat":     big.NewRat(-5, 4),
		"ratint":  new(big.Rat).SetFrac(new(big.Int).Exp(big.NewInt(10), big.NewInt(37), nil), big.NewInt(1)),
		"null":    sql.NullInt64{Int64: math.MinInt64, Valid: true},
		"nulled":  sql.NullInt64{},
		"negbig":  int64(math.MinInt64),
		"ubig":    uint64(math.MaxUint64),
		"at":      at,
		"label":   label("x"),
		"ids":     []int{1, 2},
		"nested":  map[string]int{"a": 1},
		"ptr":     &n,
		"nilptr":  (*int)(nil),
		"float32": float32(0.5),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := s.AsMap()
	want := map[string]any{
		"small": float64(1<<53 - 1), "edge": "9007199254740992", "big": "9007199254740993", "negbig": "-9223372036854775808",
		"max": "9223372036854775807", "bigint": "18446744073709551615", "smallbi": float64(-42), "rat": "-1.25",
		"ratint": "10000000000000000000000000000000000000", "null": "-9223372036854775808", "nulled": nil,
		"ubig": "18446744073709551615", "at": "2024-01-10T08:00:00.000000005Z", "label": "x",
		"ptr": float64(7), "nilptr": nil, "float32": 0.5,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %#v, want %#v", k, got[k], v)
		}
	}
	if l, ok := got["ids"].([]any); !ok || len(l) != 2 || l[1] != float64(2) {
		t.Errorf("ids: %#v", got["ids"])
	}
	if m, ok := got["nested"].(map[string]any); !ok || m["a"] != float64(1) {
		t.Errorf("nested: %#v", got["nested"])
	}
	if _, err := warden.NewStruct(map[string]any{"ch": make(chan int)}); err == nil {
		t.Error("a channel was accepted")
	}
	if _, err := warden.NewStruct(map[string]any{"third": big.NewRat(1, 3)}); err == nil {
		t.Error("1/3 was accepted: it has no exact decimal")
	}
}

func TestTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	addr := serveFake(t, &fake{}, grpc.Creds(credentials.NewServerTLSFromCert(&cert)))

	// The default is TLS with the system's roots, which do not know this
	// server; WithTLSConfig trusts its CA.
	def, err := warden.New(addr, warden.WithRetry(1))
	if err != nil {
		t.Fatal(err)
	}
	defer def.Close()
	if _, err := def.CheckRow(t.Context(), warden.Principal{Role: "user"}, "t", warden.Select, oneRow); !errors.Is(err, warden.ErrUnavailable) {
		t.Errorf("default TLS against an unknown CA: %v, want Unavailable", err)
	}
	c, err := warden.New(addr, warden.WithTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CheckRow(t.Context(), warden.Principal{Role: "user"}, "t", warden.Select, oneRow); err != nil {
		t.Errorf("TLS with the server's CA: %v", err)
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "warden test"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
