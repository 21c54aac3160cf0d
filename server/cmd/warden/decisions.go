package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
)

// decisions is 'warden decisions tail': the recent decisions of a running
// server (AdminService.ListDecisions), and with --follow the new ones as
// they come.
func (a *app) decisions(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "tail" {
		return usageError{errors.New("usage: warden decisions tail [flags] (run 'warden decisions tail --help')")}
	}
	var (
		addr, key, caFile, role, table, outcome, call, output string
		limit                                                 int
		follow, useTLS                                        bool
		every                                                 time.Duration
	)
	fs := a.flagSet("decisions tail", "[flags]",
		"Prints the most recent decisions of a running server, oldest first, from its\n"+
			"in-memory ring (serve --recent-decisions), masked as its decision log masks\n"+
			"them; with --follow, then the new ones as they are made. Needs an admin key.")
	fs.StringVar(&addr, "addr", "127.0.0.1:7400", "the server's gRPC `address`")
	fs.StringVar(&key, "api-key", "", "an admin-level API `key` (sent in the "+callerauth.APIKeyMetadata+" header)")
	fs.BoolVar(&useTLS, "tls", false, "connect with TLS (the system's roots, or --ca-file)")
	fs.StringVar(&caFile, "ca-file", "", "PEM `file` of the CA that signed the server's certificate (implies --tls)")
	fs.StringVar(&role, "role", "", "only this role's decisions")
	fs.StringVar(&table, "table", "", "only this table's (schema.name)")
	fs.StringVar(&outcome, "outcome", "", "only this outcome: allow, deny, needs_data, mixed, always_allowed, always_denied, conditional")
	fs.StringVar(&call, "call", "", "only check or filter calls")
	fs.IntVar(&limit, "n", 20, "how many recent decisions to print first")
	fs.BoolVar(&follow, "follow", false, "keep printing new decisions until interrupted")
	fs.DurationVar(&every, "interval", time.Second, "how often --follow asks for new decisions")
	fs.StringVar(&output, "output", "text", "`format`: text (a line per decision) or json (a JSON object per line)")
	if err := a.parse(fs, args[1:]); err != nil {
		return err
	}
	if output != "text" && output != "json" {
		return usageError{fmt.Errorf("--output %q: want text or json", output)}
	}
	if key == "" {
		return usageError{errors.New("--api-key (or WARDEN_API_KEY): an admin key is required")}
	}
	if limit < 1 || every <= 0 {
		return usageError{errors.New("-n wants at least 1 and --interval a positive duration")}
	}
	creds := insecure.NewCredentials()
	if useTLS || caFile != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if caFile != "" {
			pem, err := os.ReadFile(caFile)
			if err != nil {
				return fmt.Errorf("--ca-file: %w", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return fmt.Errorf("--ca-file %s: no PEM certificate", caFile)
			}
		}
		creds = credentials.NewTLS(cfg)
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer cc.Close()
	admin := wardenv1.NewAdminServiceClient(cc)
	ctx = metadata.AppendToOutgoingContext(ctx, callerauth.APIKeyMetadata, key)
	req := &wardenv1.ListDecisionsRequest{Role: role, Table: table, Outcome: outcome, Call: call, Limit: int32(min(limit, 1<<20))} //nolint:gosec // bounded
	var after uint64
	for first := true; ; first = false {
		req.AfterSequence = after
		if !first {
			req.Limit = 0
		}
		resp, err := admin.ListDecisions(ctx, req)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("ListDecisions: %w", err)
		}
		ds := resp.GetDecisions()
		slices.Reverse(ds) // oldest first
		for _, d := range ds {
			if err := a.printDecision(d, output); err != nil {
				return err
			}
			after = max(after, d.GetSequence())
		}
		if !follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

func (a *app) printDecision(d *wardenv1.DecisionRecord, output string) error {
	if output == "json" {
		b, err := protojson.Marshal(d)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.stdout, "%s\n", b)
		return err
	}
	detail := d.GetSql()
	if d.GetCall() == "check" {
		rows := make([]string, 0, len(d.GetRows()))
		for _, r := range d.GetRows() {
			rows = append(rows, r.GetId()+"="+r.GetDecision())
		}
		detail = strings.Join(rows, " ")
	}
	_, err := fmt.Fprintf(a.stdout, "%s #%d %s %s caller=%s role=%s %s %s %s rev=%s %dus trace=%s %s\n",
		d.GetTime().AsTime().Format(time.RFC3339Nano), d.GetSequence(), d.GetDecisionId(), d.GetCall(),
		d.GetCaller(), d.GetRole(), d.GetOperation(), d.GetTable(), d.GetOutcome(), d.GetRevision(),
		d.GetLatencyUs(), orDash(d.GetTraceId()), detail)
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
