package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/wardenpdp/warden/server"
)

func (a *app) serve(ctx context.Context, args []string) error {
	cfg := server.DefaultConfig()
	fs := a.flagSet("serve", "[flags]",
		"Serves the policy set over gRPC (warden.v1.AuthorizationService, AdminService,\n"+
			"grpc.health.v1 and reflection) and Prometheus metrics at /metrics over HTTP,\n"+
			"until interrupted; then shuts down gracefully within --shutdown-timeout.")
	cfg.RegisterFlags(fs)
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return usageError{fmt.Errorf("invalid configuration: %w", err)}
	}
	log := cfg.NewLogger(a.stderr)
	log.Info("starting warden", slog.String("version", version()), slog.Any("config", cfg))

	set, err := loadSet(ctx, cfg.Policy, cfg.Schema, logProblems(log))
	if err != nil {
		log.Error("not starting: the policy set does not load", slog.Any("error", err))
		return err
	}
	pol := set.Policy()
	log.Info("policy loaded",
		slog.String("source", pol.Source),
		slog.String("revision", set.Revision()),
		slog.Int("tables", len(pol.Tables)),
		slog.Int("roles", len(pol.Roles)))

	srv, err := server.New(cfg, set, server.WithLogger(log), server.WithVersion(version()))
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	grpcLis, err := lc.Listen(ctx, "tcp", cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("grpc listener: %w", err)
	}
	httpLis, err := lc.Listen(ctx, "tcp", cfg.HTTPAddr)
	if err != nil {
		grpcLis.Close()
		return fmt.Errorf("metrics listener: %w", err)
	}
	if a.listening != nil {
		a.listening(grpcLis.Addr(), httpLis.Addr())
	}
	return srv.Serve(ctx, grpcLis, httpLis)
}
