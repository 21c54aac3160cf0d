package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/examples"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/server"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/reload"
	"github.com/wardenpdp/warden/server/tracing"
)

func (a *app) serve(ctx context.Context, args []string) error {
	cfg := server.DefaultConfig()
	fs := a.flagSet("serve", "[DIR] [flags]",
		"Serves the policy set over gRPC (warden.v1.AuthorizationService, AdminService,\n"+
			"grpc.health.v1 and reflection) and over HTTP (/metrics, /healthz and the\n"+
			"HTTP/JSON gateway under /v1/), until interrupted; then shuts down gracefully\n"+
			"within --shutdown-timeout.\n\n"+
			"Every call but health needs a caller: an API key (--api-keys, --api-keys-file;\n"+
			"make one with 'warden keys generate') or a client certificate. To try Warden\n"+
			"on this machine, --dev generates an admin key for the run and prints it.")
	cfg.RegisterFlags(fs)
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return usageError{fmt.Errorf("invalid configuration: %w", err)}
	}
	log := cfg.NewLogger(a.stderr)
	log.Info("starting warden", slog.String("version", version()), slog.Any("config", cfg))
	stopTracing, tracingOn, err := tracing.Setup(ctx, version(), a.getenv)
	if err != nil {
		return usageError{fmt.Errorf("tracing: %w", err)}
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := stopTracing(sctx); err != nil {
			log.Warn("spans not flushed", slog.Any("error", err))
		}
	}()
	if tracingOn {
		log.Info("tracing on: a span per call, exported over OTLP as the OTEL_* variables configure")
	}
	// WARDEN_CPU_PROFILE, WARDEN_ALLOC_PROFILE and WARDEN_TRACE (each
	// =FILE) record the whole run, for measuring the server under a load
	// generator, which sets them with --server-env (runProfiles).
	for _, pr := range runProfiles {
		path := a.getenv(pr.env)
		if path == "" {
			continue
		}
		stop, err := pr.start(path)
		if err != nil {
			return usageError{fmt.Errorf("%s: %w", pr.env, err)}
		}
		defer func() {
			if err := stop(); err != nil {
				log.Warn(pr.what+" not written", slog.String("file", path), slog.Any("error", err))
			}
		}()
		log.Info("writing "+pr.what, slog.String("file", path))
	}

	var opts []server.Option
	var devKey string
	if cfg.Dev {
		key, hash, err := callerauth.GenerateKey()
		if err != nil {
			return err
		}
		devKey = key
		opts = append(opts, server.WithCallers(callerauth.Entry{ID: "dev", Hash: hash, Level: callerauth.LevelAdmin}))
		log.Warn("--dev: serving with a generated admin API key, on loopback only; never use --dev in production")
	}

	// SIGHUP reloads; caught from here on, so that it never ends the
	// process (Go's default) once the server could be running.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	var (
		set     *engine.Set
		bundles *bundleServing
	)
	if cfg.Bundle.Enabled() {
		if bundles, err = startBundle(ctx, cfg, log); err != nil {
			log.Error("not starting: no bundle to serve", slog.Any("error", err))
			return err
		}
		set = bundles.first
	} else if set, err = loadSet(ctx, cfg, serveProblems(a.stderr, log)); err != nil {
		log.Error("not starting: the policy set does not load", slog.Any("error", err))
		return err
	}
	// The policy's own test suites run against every set loaded, in the
	// background, for GetStatus; not a bundle's: a bundle carries no
	// suites.
	var tests *policyTests
	if bundles == nil {
		if cfg.Policy == "" {
			tests = newPolicyTests(ctx, log, examples.Blog(), "")
		} else {
			tests = newPolicyTests(ctx, log, nil, cfg.Policy)
		}
		opts = append(opts, server.WithPolicyTests(tests.status))
	}
	// policyLoaded runs once the policy set is live: at start and after
	// every reload that swapped in a new set. The memory limit follows
	// the live heap of the set in service.
	policyLoaded := func(set *engine.Set) {
		logMemoryBudget(log, server.TuneMemory(cfg.GCHeadroomMiB, a.getenv), cfg.GCHeadroomMiB)
		logInconsistent(log, set.Policy())
		if tests != nil {
			tests.loaded(set)
		}
	}
	policyLoaded(set)
	pol := set.Policy()
	printInconsistent(a.stderr, pol)
	log.Info("policy loaded",
		slog.String("source", pol.Source),
		slog.String("revision", set.Revision()),
		slog.Int("tables", len(pol.Tables)),
		slog.Int("roles", len(pol.Roles)),
		slog.Int("inconsistent_objects", len(pol.Inconsistent)))

	opts = append(opts, server.WithLogger(log), server.WithVersion(version()),
		server.WithPolicySource(policySource(cfg, bundles)), server.WithPolicyLoaded(policyLoaded))
	srv, err := server.New(cfg, set, opts...)
	if errors.Is(err, server.ErrNoCallers) {
		return usageError{fmt.Errorf("%w\n(to try Warden on this machine: warden serve --dev)", err)}
	}
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	grpcLis, err := lc.Listen(ctx, "tcp", cfg.GRPCAddr)
	if err != nil {
		srv.Close()
		return fmt.Errorf("grpc listener: %w", err)
	}
	httpLis, err := lc.Listen(ctx, "tcp", cfg.HTTPAddr)
	if err != nil {
		srv.Close()
		grpcLis.Close()
		return fmt.Errorf("http listener: %w", err)
	}
	if devKey != "" {
		printDevKey(a, devKey, grpcLis.Addr(), httpLis.Addr())
	}
	if a.listening != nil {
		a.listening(grpcLis.Addr(), httpLis.Addr())
	}
	served := make(chan struct{})
	defer close(served)
	go func() {
		for {
			select {
			case <-served:
				return
			case <-hup:
				log.Info("SIGHUP: reloading the policy set and the caller keys")
				srv.RequestReload(reload.TriggerSignal)
			}
		}
	}()
	if bundles != nil {
		return bundles.serve(ctx, srv, func(ctx context.Context) error { return srv.Serve(ctx, grpcLis, httpLis) })
	}
	return srv.Serve(ctx, grpcLis, httpLis)
}

// policySource is where serve's policy set comes from: the bundle source
// (polled, not watched), the directory (watched with everything under
// it: every !include'd file is inside) and the --schema file, or the
// embedded example, which never changes.
func policySource(cfg server.Config, bundles *bundleServing) server.PolicySource {
	if bundles != nil {
		return server.PolicySource{Kind: server.SourceBundle, Load: bundles.load}
	}
	if cfg.Policy == "" {
		return server.PolicySource{Kind: server.SourceEmbedded}
	}
	src := server.PolicySource{
		Kind: server.SourceDirectory,
		// Problems are reported by the server (log, GetStatus, Reload),
		// not printed as at start.
		Load:  func(ctx context.Context) (*engine.Set, error) { return loadSet(ctx, cfg, func([]load.Problem) {}) },
		Watch: []reload.Path{reload.Dir(cfg.Policy)},
	}
	if cfg.Schema != "" {
		src.Watch = append(src.Watch, reload.File(cfg.Schema))
	}
	return src
}

// printDevKey shows the --dev key once, on stderr, outside the structured
// log so that log shipping does not carry it away.
func printDevKey(a *app, key string, grpcAddr, httpAddr net.Addr) {
	fmt.Fprintf(a.stderr, `
warden serve --dev: an admin API key for this run only (a new one at every
start; loopback only; never use --dev in production). Send it in the
%s header:

    export WARDEN_KEY=%s

    go tool grpcurl -plaintext -H "%[1]s: $WARDEN_KEY" %[3]s list
    curl -H "%[1]s: $WARDEN_KEY" http://%[4]s/v1/admin/status

`, callerauth.APIKeyMetadata, key, grpcAddr, httpAddr)
}

// logMemoryBudget logs the memory limit and GC percent TuneMemory put in
// force, and warns when the limit leaves the collector little room.
func logMemoryBudget(log *slog.Logger, b server.MemoryBudget, headroomMiB int) {
	attrs := []any{slog.Uint64("live_heap_mib", b.Live>>20), slog.Int("gc_percent", b.GCPercent),
		slog.Bool("gc_percent_from_env", !b.GCPercentSet), slog.String("memory_limit_source", b.LimitSource),
		slog.Int("gc_headroom_mib", headroomMiB), slog.Uint64("cgroup_memory_limit_mib", b.Cgroup>>20)}
	if b.Limit < math.MaxInt64 {
		attrs = append(attrs, slog.Int64("memory_limit_mib", b.Limit>>20))
	}
	log.Info("memory budget: soft memory limit and garbage collector set from the loaded policy set", attrs...)
	if b.Tight {
		log.Warn("the memory limit leaves less than 64 MiB above the live heap: the garbage collector will run often; raise the container's memory limit, GOMEMLIMIT or --gc-headroom-mib", attrs...)
	}
}
