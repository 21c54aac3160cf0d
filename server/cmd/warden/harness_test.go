package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
)

func TestMain(m *testing.M) {
	// lumberjack (the decision log's file sink) starts one goroutine per
	// file that removes old rotated files and never ends it, even on
	// Close (a known limitation of v2.2.1): one per file sink for the
	// life of the process, not a leak per call.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("gopkg.in/natefinch/lumberjack%2ev2.(*Logger).millRun"))
}

// syncBuffer is an io.Writer safe for the server's goroutines and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noEnv(string) string { return "" }

// running is a server started by `warden serve` on loopback ports.
type running struct {
	// conn calls as the admin-level caller "ops".
	conn     *grpc.ClientConn
	keys     map[string]string // caller id -> API key
	grpcAddr string
	httpAddr string
	stderr   *syncBuffer
	cancel   context.CancelFunc
	done     chan error
	stopped  bool
}

// testCallers are the callers of every test server: configured with
// --api-keys, as an operator would.
var testCallers = []callerauth.Entry{
	{ID: "ops", Level: callerauth.LevelAdmin},
	{ID: "checker", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantCheck}},
	{ID: "scraper", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantMetrics}},
}

// apiKeys makes a key per test caller and returns the --api-keys value.
func apiKeys(t *testing.T) (keys map[string]string, flag string) {
	t.Helper()
	keys = map[string]string{}
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
	return keys, string(b)
}

// keyCreds sends an API key with every call.
type keyCreds string

func (k keyCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{callerauth.APIKeyMetadata: string(k)}, nil
}

func (keyCreds) RequireTransportSecurity() bool { return false }

// dial connects to the server's gRPC address as the caller (none for "").
func (r *running) dial(t *testing.T, caller string) *grpc.ClientConn {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if caller != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(keyCreds(r.keys[caller])))
	}
	conn, err := grpc.NewClient(r.grpcAddr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// startServer runs `warden serve` on 127.0.0.1:0 with the test callers and
// the given extra flags, and dials it as "ops". The server is stopped when
// the test ends.
func startServer(t *testing.T, flags ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	keys, keysFlag := apiKeys(t)
	r.keys = keys
	addrs := make(chan [2]net.Addr, 1)
	a := &app{
		getenv: noEnv,
		stdout: &syncBuffer{},
		stderr: r.stderr,
		listening: func(g, h net.Addr) {
			addrs <- [2]net.Addr{g, h}
		},
	}
	args := append([]string{"serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--api-keys", keysFlag}, flags...)
	go func() { r.done <- a.run(ctx, args) }()
	select {
	case got := <-addrs:
		r.grpcAddr, r.httpAddr = got[0].String(), got[1].String()
	case err := <-r.done:
		cancel()
		t.Fatalf("serve exited before listening: %v\nstderr:\n%s", err, r.stderr)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("serve did not listen within 30s\nstderr:\n%s", r.stderr)
	}
	conn, err := grpc.NewClient(r.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(keyCreds(r.keys["ops"])))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r.conn = conn
	t.Cleanup(func() {
		conn.Close()
		if !r.stopped {
			if err := r.stop(t); err != nil {
				t.Errorf("serve returned %v", err)
			}
		}
	})
	return r
}

// stop cancels the server's context and returns what serve returned.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.stopped = true
	r.cancel()
	select {
	case err := <-r.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not return within 30s of cancel\nstderr:\n%s", r.stderr)
		return nil
	}
}

func (r *running) authz() wardenv1.AuthorizationServiceClient {
	return wardenv1.NewAuthorizationServiceClient(r.conn)
}

func (r *running) admin() wardenv1.AdminServiceClient {
	return wardenv1.NewAdminServiceClient(r.conn)
}

// runCLI runs one command to completion and returns its output.
func runCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = run(ctx, args, func(k string) string { return env[k] }, &out, &errOut)
	return out.String(), errOut.String(), err
}
