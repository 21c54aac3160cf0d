// Package servers builds and runs the processes a load test measures:
// Warden (`warden serve`) and OPA's server (`opa run --server`), each on a
// free loopback port, each stopped at the end.
package servers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/wardenpdp/warden/bench/client"
	"github.com/wardenpdp/warden/server/callerauth"
)

// startTimeout bounds how long a server may take to become ready.
const startTimeout = 2 * time.Minute

// ModuleRoot returns the directory of the Warden module.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := goCmd(ctx, "", "list", "-m", "-f", "{{.Dir}}", "github.com/wardenpdp/warden")
	if err != nil {
		return "", fmt.Errorf("find the Warden module (run from inside it): %w", err)
	}
	return strings.TrimSpace(out), nil
}

// BuildWarden builds server/cmd/warden into dir and returns its path.
func BuildWarden(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "warden")
	if _, err := goCmd(ctx, root, "build", "-o", bin, "./server/cmd/warden"); err != nil {
		return "", fmt.Errorf("build warden: %w", err)
	}
	return bin, nil
}

// OPABinary returns the path of OPA pinned as a Go tool in go.mod (built
// and cached by `go tool` on first use).
func OPABinary(ctx context.Context, root string) (string, error) {
	out, err := goCmd(ctx, root, "tool", "-n", "opa")
	if err != nil {
		return "", fmt.Errorf("build the opa tool: %w", err)
	}
	return strings.TrimSpace(out), nil
}

func goCmd(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// Compile runs `warden compile --policy policy --out out`.
func Compile(ctx context.Context, warden, policy, out string) error {
	cmd := exec.CommandContext(ctx, warden, "compile", "--policy", policy, "--out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("warden compile: %w\n%s", err, tailOf(b))
	}
	return nil
}

// Process is a running server.
type Process struct {
	Name string
	// Addr is the host:port it serves on.
	Addr string
	// HTTPAddr is Warden's HTTP host:port (/metrics); empty for OPA.
	HTTPAddr string
	cmd      *exec.Cmd
	out      *tail
	done     chan struct{}
	err      error
}

// PID returns the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Output returns the end of what the process printed.
func (p *Process) Output() string { return p.out.String() }

// Exited reports whether the process has ended, with its error.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Stop asks the process to end (SIGTERM), waits up to timeout, then kills
// it.
func (p *Process) Stop(timeout time.Duration) error {
	if ended, _ := p.Exited(); ended {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %s; killed", p.Name, timeout)
	}
}

// CPUs, when not empty, is the CPU list (taskset -c) every server this
// package starts is pinned to: taskset execs the server in its own place,
// so the process (and its PID, whose CPU time is measured) is the
// server's. The load generator pins itself by being run under taskset.
var CPUs string

func start(name, bin string, args, env []string) (*Process, error) {
	if CPUs != "" {
		args = append([]string{"-c", CPUs, bin}, args...)
		bin = "taskset"
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out := &tail{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitReady polls ready until it succeeds, the process exits, or the
// start timeout passes.
func (p *Process) waitReady(ctx context.Context, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	var last error
	for {
		if ended, err := p.Exited(); ended {
			return fmt.Errorf("%s exited before it was ready (%v):\n%s", p.Name, err, p.Output())
		}
		rctx, rcancel := context.WithTimeout(ctx, time.Second)
		last = ready(rctx)
		rcancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last: %v):\n%s", p.Name, ctx.Err(), last, p.Output())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// StartWarden serves policy with `warden serve` on free loopback ports,
// logging errors only (--log-level error), as OPA is run. apiKey (from
// callerauth.GenerateKey) is configured as the only caller, at admin level
// so it may state sessions directly.
func StartWarden(ctx context.Context, bin, policy, apiKey string, env ...string) (*Process, error) {
	if apiKey == "" {
		return nil, errors.New("start warden: an API key is required (warden serve refuses to start without callers)")
	}
	callers, err := json.Marshal([]callerauth.Entry{{ID: "wardenbench", Hash: callerauth.HashKey(apiKey), Level: callerauth.LevelAdmin}})
	if err != nil {
		return nil, err
	}
	grpcAddr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	httpAddr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--policy", policy, "--grpc-addr", grpcAddr, "--http-addr", httpAddr,
		"--log-format", "text", "--log-level", "error", "--shutdown-timeout", "2s"}
	env = append(env, "WARDEN_API_KEYS="+string(callers))
	p, err := start("warden", bin, args, env)
	if err != nil {
		return nil, err
	}
	p.Addr, p.HTTPAddr = grpcAddr, httpAddr
	cc, err := grpc.NewClient("passthrough:///"+grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		p.Stop(5 * time.Second)
		return nil, err
	}
	defer cc.Close()
	health := healthpb.NewHealthClient(cc)
	err = p.waitReady(ctx, func(ctx context.Context) error {
		r, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return err
		}
		if r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("health %s", r.GetStatus())
		}
		return nil
	})
	if err != nil {
		p.Stop(5 * time.Second)
		return nil, err
	}
	return p, nil
}

// StartOPA runs `opa run --server` on the Rego under dir, with request
// logging off (--log-level error) and no telemetry.
func StartOPA(ctx context.Context, bin, dir string, env ...string) (*Process, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	p, err := start("opa", bin, []string{"run", "--server", "--addr", addr,
		"--log-level", "error", "--disable-telemetry", dir}, env)
	if err != nil {
		return nil, err
	}
	p.Addr = addr
	c, err := client.NewOPA(addr, 1)
	if err != nil {
		p.Stop(5 * time.Second)
		return nil, err
	}
	defer c.Close()
	err = p.waitReady(ctx, func(ctx context.Context) error {
		code, err := c.Get(ctx, "/health")
		if err == nil && code != 200 {
			err = fmt.Errorf("GET /health: %d", code)
		}
		return err
	})
	if err != nil {
		p.Stop(5 * time.Second)
		return nil, err
	}
	return p, nil
}

// FreeAddr returns a loopback address with a port that was free a moment
// ago.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return tailOf(t.b)
}

func tailOf(b []byte) string {
	const keep = 4000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return string(b)
}
