package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeCPUProfile: WARDEN_CPU_PROFILE=FILE makes serve write a CPU
// profile (gzip-compressed protobuf, as runtime/pprof writes it) that is
// complete when serve returns; a path that cannot be created is a usage
// error before anything listens.
func TestServeCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	_, keysFlag := apiKeys(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listening := make(chan struct{}, 1)
	a := &app{
		getenv:    func(k string) string { return map[string]string{"WARDEN_CPU_PROFILE": path}[k] },
		stdout:    &syncBuffer{},
		stderr:    &syncBuffer{},
		listening: func(net.Addr, net.Addr) { listening <- struct{}{} },
	}
	done := make(chan error, 1)
	go func() {
		done <- a.run(ctx, []string{"serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--api-keys", keysFlag})
	}()
	select {
	case <-listening:
	case err := <-done:
		t.Fatalf("serve returned before listening: %v\n%s", err, a.stderr)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not listen within 30s")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 2 || !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		t.Fatalf("the profile is %d bytes and not gzip: %q", len(data), data[:min(len(data), 16)])
	}

	a.getenv = func(k string) string {
		return map[string]string{"WARDEN_CPU_PROFILE": filepath.Join(t.TempDir(), "missing", "cpu.prof")}[k]
	}
	err = a.run(context.Background(), []string{"serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--api-keys", keysFlag})
	if err == nil || !strings.Contains(err.Error(), "WARDEN_CPU_PROFILE") {
		t.Fatalf("serve with an unwritable WARDEN_CPU_PROFILE: %v, want an error naming it", err)
	}
}
