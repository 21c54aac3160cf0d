package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeCPUProfile: WARDEN_CPU_PROFILE=FILE makes serve write a CPU
// profile, WARDEN_ALLOC_PROFILE=FILE an allocation profile
// (gzip-compressed protobuf, as runtime/pprof writes them) and
// WARDEN_TRACE=FILE an execution trace, complete when serve returns; a
// path that cannot be created is a usage error before anything listens.
func TestServeCPUProfile(t *testing.T) {
	for _, c := range []struct{ env, sample string }{
		{"WARDEN_CPU_PROFILE", "cpu"},
		{"WARDEN_ALLOC_PROFILE", "alloc_space"},
	} {
		t.Run(c.env, func(t *testing.T) {
			testServeProfile(t, c.env, func(t *testing.T, data []byte) { checkProfile(t, data, c.sample) })
		})
	}
	t.Run("WARDEN_TRACE", func(t *testing.T) {
		testServeProfile(t, "WARDEN_TRACE", func(t *testing.T, data []byte) {
			// runtime/trace writes "go 1.NN trace" and three NULs, then
			// its batches of events; the ones of the run are flushed when
			// the trace stops.
			header := regexp.MustCompile(`^go 1\.[0-9]+ trace\x00\x00\x00`)
			if !header.Match(data) {
				t.Fatalf("the trace does not start with runtime/trace's header: %q", data[:min(len(data), 16)])
			}
			if len(data) < 1024 {
				t.Fatalf("the trace holds %d bytes: no events", len(data))
			}
		})
	})
}

// testServeProfile runs serve with env set to a file and checks the file
// with check.
func testServeProfile(t *testing.T, env string, check func(*testing.T, []byte)) {
	path := filepath.Join(t.TempDir(), "run.prof")
	_, keysFlag := apiKeys(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listening := make(chan struct{}, 1)
	a := &app{
		getenv:    func(k string) string { return map[string]string{env: path}[k] },
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
	check(t, data)

	a.getenv = func(k string) string {
		return map[string]string{env: filepath.Join(t.TempDir(), "missing", "run.prof")}[k]
	}
	err = a.run(context.Background(), []string{"serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--api-keys", keysFlag})
	if err == nil || !strings.Contains(err.Error(), env) {
		t.Fatalf("serve with an unwritable %s: %v, want an error naming it", env, err)
	}
}

// checkProfile checks that data is a pprof profile with the sample type
// sample.
func checkProfile(t *testing.T, data []byte, sample string) {
	t.Helper()
	if len(data) < 2 || !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		t.Fatalf("the profile is %d bytes and not gzip: %q", len(data), data[:min(len(data), 16)])
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	// The profile's string table names its sample types.
	if !bytes.Contains(raw, []byte(sample)) {
		t.Fatalf("the profile does not name the sample type %q", sample)
	}
}
