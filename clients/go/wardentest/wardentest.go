// Package wardentest runs a real Warden server for tests: `warden serve` on
// loopback ports, stopped when the test ends.
//
//	func TestMain(m *testing.M) { os.Exit(wardentest.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		srv := wardentest.Start(t)
//		c, err := warden.New(srv.Addr, warden.WithPlaintext())
//		...
//	}
//
// The binary is, in order: $WARDEN_BIN; built from source once by Main
// when the tests run inside the Warden repository; built from source by
// each Start (slower) inside the repository; warden on $PATH.
package wardentest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// StartTimeout bounds how long a server may take to listen.
const StartTimeout = 60 * time.Second

// built is the binary Main built, if any.
var built string

// Main runs the tests with Build around them, and returns the exit code
// for os.Exit.
func Main(m *testing.M) int {
	cleanup, err := Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, "wardentest:", err)
		return 1
	}
	defer cleanup()
	return m.Run()
}

// Build builds the warden binary once, for every Start of the test binary,
// when the tests run inside the Warden repository and $WARDEN_BIN is
// unset; call cleanup to remove it when the tests are done.
func Build() (cleanup func(), err error) {
	cleanup = func() {}
	if os.Getenv("WARDEN_BIN") != "" {
		return cleanup, nil
	}
	root, ok := repoRoot()
	if !ok {
		return cleanup, nil
	}
	dir, err := os.MkdirTemp("", "wardentest-")
	if err != nil {
		return cleanup, err
	}
	if built, err = build(root, dir); err != nil {
		os.RemoveAll(dir)
		return cleanup, err
	}
	return func() { built = ""; os.RemoveAll(dir) }, nil
}

// Binary returns the path of the warden binary to run, building it for
// this test when needed.
func Binary(tb testing.TB) string {
	tb.Helper()
	if bin, err := BinaryPath(); err == nil {
		return bin
	}
	if root, ok := repoRoot(); ok {
		bin, err := build(root, tb.TempDir())
		if err != nil {
			tb.Fatal(err)
		}
		return bin
	}
	tb.Fatal("wardentest: no warden binary: set WARDEN_BIN, run inside the Warden repository, or put warden on PATH")
	return ""
}

// BinaryPath returns $WARDEN_BIN, the binary Build built, or, outside the
// Warden repository, warden on $PATH.
func BinaryPath() (string, error) {
	if bin := os.Getenv("WARDEN_BIN"); bin != "" {
		return bin, nil
	}
	if built != "" {
		return built, nil
	}
	if _, ok := repoRoot(); ok {
		return "", errors.New("wardentest: inside the Warden repository, call Build (or Main) first")
	}
	return exec.LookPath("warden")
}

// repoRoot finds the Warden repository above the working directory.
func repoRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "server", "cmd", "warden", "main.go")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func build(root, dir string) (string, error) {
	bin := filepath.Join(dir, "warden")
	cmd := exec.Command("go", "build", "-o", bin, "./server/cmd/warden")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./server/cmd/warden: %w\n%s", err, out)
	}
	return bin, nil
}

// Server is a running `warden serve`.
type Server struct {
	// Addr is the gRPC address, host:port.
	Addr string
	// HTTPAddr is the address of the HTTP listener (metrics, and the
	// HTTP/JSON gateway where the server has one).
	HTTPAddr string

	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
	once sync.Once
	err  error
}

// Start runs `warden serve --grpc-addr 127.0.0.1:0 --http-addr 127.0.0.1:0
// --log-format json` with args added, waits until it listens, and stops it
// when the test ends. On failure the test fails with the server's log.
func Start(tb testing.TB, args ...string) *Server {
	tb.Helper()
	s, err := StartBinary(Binary(tb), args...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("wardentest: %v\nserver log:\n%s", err, s.Logs())
		}
	})
	return s
}

// StartBinary is Start without a test: the caller stops the server.
func StartBinary(bin string, args ...string) (*Server, error) {
	full := append([]string{"serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-format", "json"}, args...)
	cmd := exec.Command(bin, full...)
	// The server reads WARDEN_* variables as flags; a test states its own.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WARDEN_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout = s.logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("wardentest: start %s: %w", bin, err)
	}
	grpcCh, httpCh := make(chan string, 1), make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.logs.Write([]byte(line + "\n"))
			if a, ok := listening(line, "grpc listening on "); ok {
				select {
				case grpcCh <- a:
				default:
				}
			} else if a, ok := listening(line, "listening on http://"); ok {
				select {
				case httpCh <- strings.SplitN(a, "/", 2)[0]:
				default:
				}
			}
		}
		s.done <- cmd.Wait()
	}()
	select {
	case s.Addr = <-grpcCh:
	case err := <-s.done:
		s.done <- err
		return nil, fmt.Errorf("wardentest: warden serve exited before listening: %v\n%s", err, s.Logs())
	case <-time.After(StartTimeout):
		s.Stop()
		return nil, fmt.Errorf("wardentest: warden serve did not listen within %s\n%s", StartTimeout, s.Logs())
	}
	// The HTTP listener is logged right after; a server without one is
	// served all the same.
	select {
	case s.HTTPAddr = <-httpCh:
	case <-time.After(2 * time.Second):
	}
	return s, nil
}

// listening finds the address after marker in a JSON log line's message.
func listening(line, marker string) (string, bool) {
	var rec struct {
		Msg string `json:"msg"`
	}
	if json.Unmarshal([]byte(line), &rec) != nil {
		return "", false
	}
	_, addr, ok := strings.Cut(rec.Msg, marker)
	return addr, ok && addr != ""
}

// Logs returns what the server has logged so far.
func (s *Server) Logs() string { return s.logs.String() }

// Stop asks the server to shut down gracefully (SIGTERM), kills it after
// 15 seconds, and returns an error when it did not exit cleanly. Calling it
// again returns the same result.
func (s *Server) Stop() error {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-s.done:
			if err != nil {
				s.err = fmt.Errorf("warden serve: %w", err)
			}
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
			s.err = errors.New("warden serve did not stop within 15s of SIGTERM; killed")
		}
	})
	return s.err
}

// Key is an API key with the caller entry that admits it.
type Key struct {
	// Secret is the key the caller sends (WithAPIKey).
	Secret string
	// ID, Level ("admin" or "user") and Grants ("check", "filter",
	// "metrics", "trusted-session") are the caller entry's.
	ID     string
	Level  string
	Grants []string
}

// NewKey makes a random API key for a caller entry.
func NewKey(id, level string, grants ...string) Key {
	return Key{Secret: "wk_test_" + rand.Text(), ID: id, Level: level, Grants: grants}
}

// Hash is what the server is configured with: "sha256:" and the hex
// SHA-256 of the key.
func (k Key) Hash() string {
	sum := sha256.Sum256([]byte(k.Secret))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// APIKeysFlag returns the value of `warden serve --api-keys` admitting the
// keys.
func APIKeysFlag(keys ...Key) string {
	type entry struct {
		ID     string   `json:"id"`
		Hash   string   `json:"hash"`
		Level  string   `json:"level"`
		Grants []string `json:"grants,omitempty"`
	}
	es := make([]entry, len(keys))
	for i, k := range keys {
		es[i] = entry{ID: k.ID, Hash: k.Hash(), Level: k.Level, Grants: k.Grants}
	}
	b, _ := json.Marshal(es)
	return string(b)
}

// HS256Secret is a random key for an HS256 JWT configuration.
func HS256Secret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

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
