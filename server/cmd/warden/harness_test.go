package main

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
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
	conn     *grpc.ClientConn
	grpcAddr string
	httpAddr string
	stderr   *syncBuffer
	cancel   context.CancelFunc
	done     chan error
	stopped  bool
}

// startServer runs `warden serve` on 127.0.0.1:0 with the given extra flags
// and dials it. The server is stopped when the test ends.
func startServer(t *testing.T, flags ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	addrs := make(chan [2]net.Addr, 1)
	a := &app{
		getenv: noEnv,
		stdout: &syncBuffer{},
		stderr: r.stderr,
		listening: func(g, h net.Addr) {
			addrs <- [2]net.Addr{g, h}
		},
	}
	args := append([]string{"serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, flags...)
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
	conn, err := grpc.NewClient(r.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
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
