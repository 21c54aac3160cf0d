package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/wardenpdp/warden/bench/loadgen"
	"github.com/wardenpdp/warden/bench/report"
	"github.com/wardenpdp/warden/bench/workload"
)

// Servers a run measures.
const (
	srvWarden = "warden"
	srvEcho   = "echo"
	srvOPA    = "opa"
)

// measure runs every scenario and baseline in turn, never two at once:
// for each scenario the transport baseline (Echo with the same request
// bytes), Warden and OPA with one user, then Warden and OPA with many
// users. Then the one-worker latency runs of Check, and Check in an open
// loop at half of Warden's measured peak. It returns the report and, when
// a request failed or answers disagreed, why the exit status is 1.
func (b *bench) measure(ctx context.Context) (*report.Report, string, error) {
	cfg := b.cfg
	rep := &report.Report{
		Date:    time.Now(),
		Command: command(cfg.args),
		Machine: machine(b.loadBefore),
		Policy:  b.spec.Summary(),
		Checks:  b.checks,
	}
	mode := "closed loop"
	if cfg.rate > 0 {
		mode = fmt.Sprintf("open loop at %.0f req/s", cfg.rate)
	}
	rep.Settings = fmt.Sprintf("%s, %d workers, %d gRPC connections (OPA: HTTP/1.1 keep-alive, one connection per worker); each run measured for %s", mode, cfg.workers, cfg.conns, cfg.duration)
	if cfg.rounds > 1 {
		rep.Settings += fmt.Sprintf(" in %d rounds interleaved with the other runs of its scenario", cfg.rounds)
	}
	rep.Settings += fmt.Sprintf(", each after %s of warm-up", cfg.sliceWarmup())
	if cfg.retries > 0 {
		rep.Settings += fmt.Sprintf("; a round disturbed by other processes (over 10%% of the machine) measured again up to %d times, the quietest kept", cfg.retries)
	}
	rep.Settings += fmt.Sprintf("; many-users variants rotate %d distinct user ids; both servers log errors only", cfg.users)
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		rep.Settings += fmt.Sprintf("; the generator collects its garbage between runs (during one only past %d GiB)", generatorHeapLimit>>30)
	}
	if len(cfg.serverEnv) > 0 {
		rep.Settings += "; server environment " + strings.Join(cfg.serverEnv, " ")
	}
	if cfg.serverCPUs != "" {
		rep.Settings += "; both servers pinned to CPUs " + cfg.serverCPUs + " (taskset -c)"
	}
	if cfg.wardenBin != "" {
		rep.Settings += "; warden binary " + cfg.wardenBin
	}

	add := func(runs []*report.Run, err error) error {
		rep.Runs = append(rep.Runs, runs...)
		return err
	}
	for _, name := range scenarioNames {
		s := b.scen[name]
		if s == nil {
			continue
		}
		group := []runSpec{
			{s, srvEcho, b.one, cfg.workers, cfg.rate}, {s, srvWarden, b.one, cfg.workers, cfg.rate}, {s, srvOPA, b.one, cfg.workers, cfg.rate},
			{s, srvWarden, b.many, cfg.workers, cfg.rate}, {s, srvOPA, b.many, cfg.workers, cfg.rate},
		}
		if err := add(b.runGroup(ctx, group)); err != nil {
			return nil, "", err
		}
	}
	// Latency without queueing: one request at a time.
	var group []runSpec
	for _, name := range []string{"check-1", "check-100"} {
		if s := b.scen[name]; s != nil {
			group = append(group, runSpec{s, srvWarden, b.many, 1, 0})
		}
	}
	if err := add(b.runGroup(ctx, group)); err != nil {
		return nil, "", err
	}
	// Check in an open loop at a tenth, a quarter and half of the measured
	// peak: the target is at half, the others show where the tail grows.
	// Echo of the same bytes at each rate first: the transport's own tail
	// at that rate, beside Check's.
	if peak := rep.Find(runID("check-1", b.many.N, srvWarden, cfg.workers, cfg.rate)); peak != nil && peak.Skipped == "" && cfg.rate == 0 && peak.RPS > 0 {
		group = nil
		for _, share := range openShares {
			group = append(group, runSpec{b.scen["check-1"], srvEcho, b.one, cfg.workers, peak.RPS * share},
				runSpec{b.scen["check-1"], srvWarden, b.many, cfg.workers, peak.RPS * share})
		}
		if err := add(b.runGroup(ctx, group)); err != nil {
			return nil, "", err
		}
	}
	rep.Machine.LoadAfter = loadgen.LoadAvg()
	analyze(rep, b.one.N, b.many.N, cfg.workers, cfg.rate)

	failures := append([]string(nil), b.failures...)
	for _, r := range rep.Runs {
		if n := r.ErrorCount(); n > 0 {
			failures = append(failures, fmt.Sprintf("%s: %d failed requests (first: %s)", r.ID, n, r.FirstError))
		}
	}
	return rep, strings.Join(failures, "; "), nil
}

// openShares are the shares of Check's peak throughput measured in an
// open loop; the last is the one the p99 target is stated at.
var openShares = []float64{0.1, 0.25, 0.5}

// runID names a run uniquely in the report.
func runID(scenario string, users int, server string, workers int, rate float64) string {
	id := fmt.Sprintf("%s/users=%d/%s", scenario, users, server)
	if rate > 0 {
		return id + fmt.Sprintf("/open=%.0f", rate)
	}
	return id + fmt.Sprintf("/workers=%d", workers)
}

func apiName(scenario, server string) string {
	switch server {
	case srvEcho:
		return "Echo (same bytes)"
	case srvOPA:
		return map[string]string{"check-1": "Data API", "check-100": "Data API, batch rule", "filter": "Compile API", "mix": "Data + Compile API"}[scenario]
	}
	return map[string]string{"check-1": "Check", "check-100": "Check", "filter": "Filter + SQL", "mix": "Check + Filter"}[scenario]
}

// waitQuiet waits, up to --quiet-wait, for a second in which the machine
// is less than 10% busy: the servers are idle between runs, so what is
// busy then is other work that would disturb the next run.
func (b *bench) waitQuiet(ctx context.Context) error {
	if b.cfg.quietWait <= 0 {
		return nil
	}
	deadline := time.Now().Add(b.cfg.quietWait)
	for said := false; ; {
		a := loadgen.SampleCPU()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		busy := loadgen.SampleCPU().Since(a).Machine
		if busy < noisyOther {
			return nil
		}
		if time.Now().After(deadline) {
			b.logf("the machine is still %.0f%% busy with other work; measuring anyway", busy*100)
			return nil
		}
		if !said {
			b.logf("waiting for a quiet machine (%.0f%% busy with other work)", busy*100)
			said = true
		}
	}
}

// wardenFunc sends the scenario's calls, each with the next user's
// session.
func (b *bench) wardenFunc(s *scenario, users *workload.Users) loadgen.Func {
	calls := s.calls
	return func(ctx context.Context, w int, seq uint64) (int, error) {
		c := calls[seq%uint64(len(calls))]
		u := users.Proto[seq%uint64(users.N)]
		return c.Rows, b.grpc.Invoke(ctx, w, c.Method, mem.BufferSlice{u, c.Body})
	}
}

// echoFunc sends the same bytes as wardenFunc with the one user's
// session (Echo runs only with b.one), wrapped as the payload of an
// EchoRequest (field 1, bytes): the server decodes and re-encodes a message
// of the same size and does nothing else. The headers are encoded here, off
// the measured path.
func (b *bench) echoFunc(s *scenario) loadgen.Func {
	calls := s.calls
	u := b.one.Proto[0]
	heads := make([]mem.Buffer, len(calls))
	for i, c := range calls {
		h := protowire.AppendTag(nil, 1, protowire.BytesType)
		heads[i] = mem.SliceBuffer(protowire.AppendVarint(h, uint64(u.Len()+c.Body.Len())))
	}
	return func(ctx context.Context, w int, seq uint64) (int, error) {
		i := seq % uint64(len(calls))
		c := calls[i]
		return c.Rows, b.grpc.Invoke(ctx, w, workload.MethodEcho, mem.BufferSlice{heads[i], u, c.Body})
	}
}

// opaFunc posts the scenario's calls to OPA, each with the next user's
// session document.
func (b *bench) opaFunc(s *scenario, users *workload.Users) loadgen.Func {
	calls := s.calls
	urls := make([]*url.URL, len(calls))
	for i, c := range calls {
		urls[i] = b.opac.URL(c.OPA.Path)
	}
	return func(_ context.Context, _ int, seq uint64) (int, error) {
		i := seq % uint64(len(calls))
		c := calls[i]
		// No per-request context: the run stops sending at its end and the
		// transport's timeouts bound a request.
		err := b.opac.Post(context.Background(), urls[i], c.OPA.Pre, users.OPASession[seq%uint64(users.N)], c.OPA.Post, nil)
		return c.Rows, err
	}
}

// command is how the report says it was made.
func command(args []string) string {
	return strings.TrimSpace("go run ./bench/cmd/wardenbench " + strings.Join(args, " "))
}

func machine(loadBefore string) report.Machine {
	m := report.Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, GoVersion: runtime.Version(), LoadBefore: loadBefore}
	m.CPU = cpuModel()
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			m.Commit += " with uncommitted changes"
		}
	}
	return m
}
