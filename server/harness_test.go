package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/server/callerauth"
)

// testCallers are the callers every test server knows, by id.
var testCallers = []callerauth.Entry{
	{ID: "ops", Level: callerauth.LevelAdmin},
	{ID: "checker", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantCheck}},
	{ID: "gateway", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantCheck, callerauth.GrantTrustedSession}},
	{ID: "scraper", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantMetrics}},
}

// withTestCallers configures the test callers in cfg, as --api-keys would,
// and returns their keys by caller id.
func withTestCallers(t testing.TB, cfg *Config) map[string]string {
	t.Helper()
	keys := map[string]string{}
	var entries []callerauth.Entry
	for _, e := range testCallers {
		key, hash, err := callerauth.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		e.Hash, keys[e.ID] = hash, key
		entries = append(entries, e)
	}
	b, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Callers.APIKeys = string(b)
	return keys
}

// keyCreds sends an API key with every call.
type keyCreds string

func (k keyCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{callerauth.APIKeyMetadata: string(k)}, nil
}

func (keyCreds) RequireTransportSecurity() bool { return false }

// testServer is a Server serving on loopback ports.
type testServer struct {
	srv      *Server
	grpcAddr string
	httpAddr string
	keys     map[string]string
	logs     *lockedWriter
}

// startTest serves set with cfg (and the test callers) on 127.0.0.1 until
// the test ends.
func startTest(t testing.TB, cfg Config, set *engine.Set, opts ...Option) *testServer {
	t.Helper()
	ts := &testServer{logs: &lockedWriter{}}
	ts.keys = withTestCallers(t, &cfg)
	cfg.GRPCAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	srv, err := New(cfg, set, append([]Option{WithLogger(cfg.NewLogger(ts.logs))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ts.srv = srv
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.grpcAddr, ts.httpAddr = grpcLis.Addr().String(), httpLis.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, grpcLis, httpLis) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return ts
}

// conn dials the gRPC listener as the caller (no key for "").
func (ts *testServer) conn(t testing.TB, caller string) *grpc.ClientConn {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64 << 20))}
	if caller != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(keyCreds(ts.keys[caller])))
	}
	cc, err := grpc.NewClient(ts.grpcAddr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// httpClient makes one connection per request, so no idle connection
// outlives the test.
var httpClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

func contextWithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}
