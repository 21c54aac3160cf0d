package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/wardenpdp/warden/server"
	"github.com/wardenpdp/warden/server/callerauth"
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

	set, err := loadSet(ctx, cfg, serveProblems(a.stderr, log))
	if err != nil {
		log.Error("not starting: the policy set does not load", slog.Any("error", err))
		return err
	}
	if live, percent, set := server.TuneGC(cfg.GCHeadroomMiB, a.getenv); set {
		log.Info("garbage collector tuned to the loaded policy set",
			slog.Uint64("live_heap_mib", live>>20), slog.Int("gc_percent", percent), slog.Int("gc_headroom_mib", cfg.GCHeadroomMiB))
	} else {
		log.Info("garbage collector left as configured",
			slog.Uint64("live_heap_mib", live>>20), slog.Int("gc_percent", percent))
	}
	pol := set.Policy()
	logInconsistent(log, pol)
	printInconsistent(a.stderr, pol)
	log.Info("policy loaded",
		slog.String("source", pol.Source),
		slog.String("revision", set.Revision()),
		slog.Int("tables", len(pol.Tables)),
		slog.Int("roles", len(pol.Roles)),
		slog.Int("inconsistent_objects", len(pol.Inconsistent)))

	srv, err := server.New(cfg, set, append(opts, server.WithLogger(log), server.WithVersion(version()))...)
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
	return srv.Serve(ctx, grpcLis, httpLis)
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
