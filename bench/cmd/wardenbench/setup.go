package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/wardenpdp/warden/bench/client"
	"github.com/wardenpdp/warden/bench/loadgen"
	"github.com/wardenpdp/warden/bench/policygen"
	"github.com/wardenpdp/warden/bench/servers"
	"github.com/wardenpdp/warden/bench/workload"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
)

// bench is one invocation: the generated policy, the servers, the clients
// and the prepared requests.
type bench struct {
	cfg      *config
	stderr   io.Writer
	terminal bool
	started  time.Time
	tmp      string

	spec   *policygen.Spec
	set    *engine.Set
	warden *servers.Process
	opa    *servers.Process
	// key is the bench's admin API key for Warden (calls and /metrics).
	key  string
	grpc *client.GRPC
	opac *client.OPA

	one, many *workload.Users
	scen      map[string]*scenario
	// checks describe the answer comparisons; failures make the exit
	// status 1.
	checks     []string
	failures   []string
	loadBefore string
}

// scenario is a pool of prepared calls, cycled through by every run of it.
type scenario struct {
	name    string
	calls   []*workload.Call
	skipped string
}

// Pool sizes: distinct prepared calls per scenario.
type pools struct{ one, anyOp, batch, mix int }

func (c *config) pools() pools {
	if c.smoke {
		return pools{one: 256, anyOp: 256, batch: 8, mix: 200}
	}
	return pools{one: 4096, anyOp: 2048, batch: 64, mix: 1000}
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.stderr, "wardenbench %5.1fs: %s\n", time.Since(b.started).Seconds(), fmt.Sprintf(format, args...))
}

func setup(ctx context.Context, cfg *config, stderr io.Writer) (*bench, error) {
	b := &bench{cfg: cfg, stderr: stderr, started: time.Now(), scen: map[string]*scenario{}, loadBefore: loadgen.LoadAvg()}
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.terminal = true
		}
	}
	var err error
	if b.tmp, err = os.MkdirTemp("", "wardenbench-"); err != nil {
		return nil, err
	}
	policyDir, regoDir := filepath.Join(b.tmp, "policy"), filepath.Join(b.tmp, "rego")

	if b.spec, err = policygen.Generate(policygen.Config{Tables: cfg.tables, Seed: cfg.seed}); err != nil {
		return b, err
	}
	if err := b.spec.Write(policyDir); err != nil {
		return b, err
	}
	b.logf("policy set: %s", b.spec.Summary())
	p, err := load.Dir(ctx, policyDir)
	if err != nil {
		return b, fmt.Errorf("load the generated policy: %w", err)
	}
	if b.set, err = engine.New(ctx, p); err != nil {
		return b, fmt.Errorf("compile the generated policy: %w", err)
	}

	root, err := servers.ModuleRoot(ctx)
	if err != nil {
		return b, err
	}
	wardenBin := cfg.wardenBin
	if wardenBin == "" {
		b.logf("building ./server/cmd/warden")
		if wardenBin, err = servers.BuildWarden(ctx, root, b.tmp); err != nil {
			return b, err
		}
	}
	servers.CPUs = cfg.serverCPUs
	key, _, err := callerauth.GenerateKey()
	if err != nil {
		return b, err
	}
	b.key = key
	if b.warden, err = servers.StartWarden(ctx, wardenBin, policyDir, key, cfg.serverEnv...); err != nil {
		return b, err
	}
	b.logf("warden serving on %s (pid %d)", b.warden.Addr, b.warden.PID())
	if b.grpc, err = client.DialGRPC(b.warden.Addr, cfg.conns, key); err != nil {
		return b, err
	}

	if !cfg.noOPA {
		opaBin := cfg.opaBin
		if opaBin == "" {
			b.logf("building the opa tool pinned in go.mod (cached after the first time)")
			if opaBin, err = servers.OPABinary(ctx, root); err != nil {
				return b, err
			}
		}
		if err := servers.Compile(ctx, wardenBin, policyDir, regoDir); err != nil {
			return b, err
		}
		for _, h := range workload.Helpers(b.set.Policy()) {
			path := filepath.Join(regoDir, filepath.FromSlash(h.Path))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return b, err
			}
			if err := os.WriteFile(path, []byte(h.Source), 0o644); err != nil {
				return b, err
			}
		}
		if b.opa, err = servers.StartOPA(ctx, opaBin, regoDir, cfg.serverEnv...); err != nil {
			return b, err
		}
		b.logf("opa serving on %s (pid %d)", b.opa.Addr, b.opa.PID())
		if b.opac, err = client.NewOPA(b.opa.Addr, cfg.workers); err != nil {
			return b, err
		}
	}

	if err := b.prepare(ctx); err != nil {
		return b, err
	}
	return b, b.verify(ctx)
}

// prepare encodes every request of the enabled scenarios.
func (b *bench) prepare(ctx context.Context) error {
	cfg, sz := b.cfg, b.cfg.pools()
	wb, err := workload.NewBuilder(b.spec, b.set, cfg.seed)
	if err != nil {
		return err
	}
	start := time.Now()
	if b.one, err = wb.Users(ctx, 1); err != nil {
		return err
	}
	if b.many, err = wb.Users(ctx, cfg.users); err != nil {
		return err
	}
	b.logf("encoded the sessions of %d users in %.1fs", cfg.users, time.Since(start).Seconds())

	need := func(names ...string) bool {
		for _, n := range names {
			if cfg.enabled(n) {
				return true
			}
		}
		return false
	}
	var one, anyOp, batch, filter []*workload.Call
	if need("check-1") {
		if one, err = wb.CheckOne(ctx, sz.one, model.OpSelect); err != nil {
			return err
		}
	}
	if need("check-100", "mix") {
		if batch, err = wb.CheckBatch(ctx, sz.batch, 100); err != nil {
			return err
		}
	}
	if need("filter", "mix") {
		if filter, err = wb.Filter(); err != nil {
			return err
		}
		if why := b.filterUnavailable(ctx, filter[0]); why != "" {
			b.logf("Filter is not measured: %s", why)
			b.checks = append(b.checks, "Filter not measured: "+why)
			b.scen["filter"] = &scenario{name: "filter", skipped: why}
			filter = nil
		}
	}
	if need("mix") {
		if anyOp, err = wb.CheckOne(ctx, sz.anyOp, model.Operations...); err != nil {
			return err
		}
	}
	add := func(name string, calls []*workload.Call) {
		if _, done := b.scen[name]; !done && cfg.enabled(name) {
			b.scen[name] = &scenario{name: name, calls: calls}
		}
	}
	add("check-1", one)
	add("check-100", batch)
	add("filter", filter)
	// The mix: 70% one-row Checks of any operation, 10% batches of 100
	// rows, 20% Filters (or none when Filter is unavailable).
	add("mix", wb.Mix(sz.mix, [][]*workload.Call{anyOp, batch, filter}, []int{70, 10, 20}))
	b.logf("prepared %d requests in %.1fs", sz.one+sz.anyOp+sz.batch+sz.mix+len(filter), time.Since(start).Seconds())
	return nil
}

// filterUnavailable asks Warden one Filter question and says why Filter
// cannot be measured, or "" when it can.
func (b *bench) filterUnavailable(ctx context.Context, c *workload.Call) string {
	req := &wardenv1.FilterRequest{}
	if err := proto.Unmarshal(workload.Join(b.one, 0, c), req); err != nil {
		return err.Error()
	}
	_, err := wardenv1.NewAuthorizationServiceClient(b.grpc.Conn()).Filter(ctx, req)
	if status.Code(err) == codes.Unimplemented {
		return "the Filter RPC answers Unimplemented in this build"
	}
	return ""
}

// close stops the servers and removes the temporary directory.
func (b *bench) close() {
	if b.grpc != nil {
		b.grpc.Close()
	}
	if b.opac != nil {
		b.opac.Close()
	}
	for _, p := range []*servers.Process{b.warden, b.opa} {
		if p != nil {
			if err := p.Stop(10 * time.Second); err != nil {
				b.logf("%v", err)
			}
		}
	}
	if b.tmp == "" {
		return
	}
	if b.cfg.keep {
		b.logf("kept %s", b.tmp)
		return
	}
	os.RemoveAll(b.tmp)
}
