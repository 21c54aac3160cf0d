// Command gateway is Warden's example API gateway: it serves the rows of a
// database to end users, reading each user's JWT, asking Warden for the row
// filter of the table, pushing it into its own query, and applying the
// allowed columns and the row limit; inserts are checked by Warden with
// the role's presets applied. See package handler for the routes.
//
//	gateway [--addr 127.0.0.1:8080] [--warden-addr 127.0.0.1:7400] [--warden-api-key KEY]
//	        [--database-url postgres://...] [--init-sql FILE ...]
//
// Without --database-url it uses SQLite (--sqlite-path, in memory by
// default), so it runs with nothing else installed. Every flag can also be
// set by an environment variable: GATEWAY_ and the flag name in upper
// snake case (--warden-api-key is GATEWAY_WARDEN_API_KEY); flags win.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite", pure Go

	"github.com/wardenpdp/warden/clients/gateway/handler"
	warden "github.com/wardenpdp/warden/clients/go"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

type config struct {
	addr, wardenAddr, apiKey string
	wardenTLS                bool
	databaseURL, sqlitePath  string
	initSQL                  listFlag
	maxLimit                 int
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// run serves until ctx ends. listening, when set, gets the bound address
// (tests listen on port 0).
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, listening func(net.Addr)) error {
	var cfg config
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "HTTP listen `address`")
	fs.StringVar(&cfg.wardenAddr, "warden-addr", "127.0.0.1:7400", "Warden's gRPC `address`")
	fs.StringVar(&cfg.apiKey, "warden-api-key", "", "the gateway's API `key` for Warden (grants check and filter)")
	fs.BoolVar(&cfg.wardenTLS, "warden-tls", false, "connect to Warden over TLS (system roots)")
	fs.StringVar(&cfg.databaseURL, "database-url", "", "PostgreSQL `URL`; empty means SQLite")
	fs.StringVar(&cfg.sqlitePath, "sqlite-path", ":memory:", "SQLite database `file` when --database-url is empty")
	fs.Var(&cfg.initSQL, "init-sql", "SQL `file` to run at start (repeatable, in order)")
	fs.IntVar(&cfg.maxLimit, "max-limit", 100, "most rows one GET returns")
	if err := fs.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv("GATEWAY_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))); v != "" && !given[f.Name] {
			envErr = errors.Join(envErr, fs.Set(f.Name, v))
		}
	})
	if envErr != nil {
		return envErr
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))

	db, dialect, err := openDB(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, file := range cfg.initSQL {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, string(b)); err != nil {
			return fmt.Errorf("--init-sql %s: %w", file, err)
		}
	}

	opts := []warden.Option{warden.WithAPIKey(cfg.apiKey)}
	if !cfg.wardenTLS {
		opts = append(opts, warden.WithPlaintext())
	}
	wc, err := warden.New(cfg.wardenAddr, opts...)
	if err != nil {
		return err
	}
	defer wc.Close()
	h, err := handler.New(handler.Config{Warden: wc, DB: db, Dialect: dialect, MaxLimit: cfg.maxLimit, Log: log})
	if err != nil {
		return err
	}

	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", cfg.addr)
	if err != nil {
		return err
	}
	if listening != nil {
		listening(lis.Addr())
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Info("gateway listening on http://"+lis.Addr().String(), slog.String("database", dialect.String()), slog.String("warden", cfg.wardenAddr))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func openDB(cfg config) (*sql.DB, warden.Dialect, error) {
	if cfg.databaseURL != "" {
		db, err := sql.Open("pgx", cfg.databaseURL)
		return db, warden.Postgres, err
	}
	db, err := sql.Open("sqlite", cfg.sqlitePath)
	if err != nil {
		return nil, 0, err
	}
	// An in-memory database lives in one connection; a file is safest with
	// one writer too.
	db.SetMaxOpenConns(1)
	return db, warden.SQLite, nil
}
