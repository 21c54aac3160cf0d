package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	warden "github.com/wardenpdp/warden/clients/go"
	"github.com/wardenpdp/warden/policy/examples"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server"
	"github.com/wardenpdp/warden/server/permtest"
)

// errTestsFailed is the error of a run with failing tests: exit status 1,
// after the report said which.
var errTestsFailed = errors.New("tests failed")

func (a *app) test(ctx context.Context, args []string) error {
	cfg := server.DefaultConfig()
	var (
		format, match, addr, apiKey, dbURL string
		coverage, verbose, watch           bool
		minCoverage                        float64
	)
	fl := a.flagSet("test", "[--policy DIR] [PATH...] [flags]",
		"Runs the permission test suites: YAML files of sessions, fixture rows and\n"+
			"tests (see 'Testing your permissions' in the README). PATH is a suite file\n"+
			"or a directory of them; without one, DIR/tests (the example's own suite\n"+
			"without --policy). Check and Filter decide as the server does; a filter's\n"+
			"SQL runs over the fixture rows in SQLite in memory. --server runs the same\n"+
			"suite against a live server through the Go client instead. Exits 1 when a\n"+
			"test fails or coverage is below --min-coverage.")
	registerLoadFlags(fl, &cfg)
	fl.StringVar(&format, "format", "human", "output `format`: human, json, junit or tap")
	fl.StringVar(&match, "run", "", "run only the tests whose name matches this `regexp`")
	fl.BoolVar(&coverage, "coverage", false, "list the permissions no test exercised, and those only ever allowed or only denied")
	fl.Float64Var(&minCoverage, "min-coverage", 0, "fail when fewer than this `percent` of the permissions are exercised")
	fl.BoolVar(&verbose, "v", false, "human format: list passing tests too")
	fl.BoolVar(&watch, "watch", false, "run again whenever a file of the policy directory or the suites changes, until interrupted")
	fl.StringVar(&dbURL, "database-url", "", "run filters' SQL over the fixtures in a scratch database (created, then dropped) on this PostgreSQL (postgres://...) or MySQL/MariaDB (mysql://user@host:3306/db) server `URL`; default SQLite in memory")
	fl.StringVar(&addr, "server", "", "ask the live server at this gRPC `address` (host:port, plaintext) instead of deciding offline")
	fl.StringVar(&apiKey, "api-key", "", "with --server: the caller's API `key` (a key with the trusted-session grant: suites state sessions)")
	paths, err := a.parsePaths(fl, args)
	if err != nil {
		return err
	}
	if !slices.Contains(permtest.Formats, format) {
		return usageError{fmt.Errorf("--format %q: want one of %s", format, strings.Join(permtest.Formats, ", "))}
	}
	if minCoverage < 0 || minCoverage > 100 {
		return usageError{fmt.Errorf("--min-coverage %v: want a percent from 0 to 100", minCoverage)}
	}
	r := &permtest.Runner{DatabaseURL: dbURL}
	if match != "" {
		if r.Match, err = regexp.Compile(match); err != nil {
			return usageError{fmt.Errorf("--run: %w", err)}
		}
	}
	var fsys fs.FS
	if len(paths) == 0 {
		if cfg.Policy == "" {
			fsys, paths = examples.Blog(), []string{"tests"}
		} else {
			paths = []string{filepath.Join(cfg.Policy, "tests")}
		}
	}
	var live permtest.Decider
	if addr != "" {
		c, err := warden.New(addr, warden.WithPlaintext())
		if err != nil {
			return usageError{fmt.Errorf("--server: %w", err)}
		}
		defer c.Close()
		live = remote{api: c.API(), key: apiKey}
	}
	once := func() error {
		set, err := loadSet(ctx, cfg, printProblems(a.stderr))
		if err != nil {
			return err
		}
		r.Policy = set.Policy()
		r.Decider = permtest.Offline{Set: set}
		if live != nil {
			r.Decider = live
		}
		files, err := permtest.Files(fsys, paths)
		if err != nil {
			return err
		}
		suites, err := permtest.Read(fsys, files)
		if err != nil {
			return err
		}
		results, err := r.Run(ctx, suites)
		if err != nil {
			return err
		}
		if len(results) == 0 {
			return fmt.Errorf("no test matches --run %q", match)
		}
		if err := permtest.Report(a.stdout, format, results, verbose); err != nil {
			return err
		}
		failed := permtest.Summarize(results).Failed > 0
		if coverage || minCoverage > 0 {
			cov := permtest.Measure(r.Policy, results)
			if coverage {
				// On stderr when stdout is a machine format, to keep it parseable.
				w := a.stdout
				if format != "human" {
					w = a.stderr
				}
				cov.WriteUncovered(w)
			}
			if cov.Percent < minCoverage {
				fmt.Fprintf(a.stderr, "coverage %.1f%% is below --min-coverage %v%%\n", cov.Percent, minCoverage)
				failed = true
			}
		}
		if failed {
			return errTestsFailed
		}
		return nil
	}
	if !watch {
		return once()
	}
	if fsys != nil {
		return usageError{errors.New("--watch needs --policy DIR or PATHs on disk: the embedded example does not change")}
	}
	watched := append([]string{cfg.Policy}, paths...)
	if cfg.Schema != "" {
		watched = append(watched, cfg.Schema)
	}
	for {
		if err := once(); err != nil {
			fmt.Fprintln(a.stderr, "warden:", err)
		}
		fmt.Fprintf(a.stderr, "watching %s for changes (Ctrl-C stops)\n", strings.Join(slices.DeleteFunc(slices.Clone(watched), func(s string) bool { return s == "" }), ", "))
		if err := waitForChange(ctx, watched, watchInterval); err != nil {
			return nil // interrupted: the watch ends without an error
		}
		fmt.Fprintln(a.stdout, "--- rerun: files changed")
	}
}

// watchInterval is how often --watch looks at the files' times and sizes.
var watchInterval = 500 * time.Millisecond

// waitForChange returns when a file under the paths changes (its
// modification time or size, or a file appears or goes), or with ctx's
// error. Polling keeps it portable and without a dependency; a policy
// directory holds tens of files.
func waitForChange(ctx context.Context, paths []string, every time.Duration) error {
	before := snapshot(paths)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if now := snapshot(paths); now != before {
				return nil
			}
		}
	}
}

// snapshot is the names, sizes and modification times of the files under
// paths, as one string to compare.
func snapshot(paths []string) string {
	var b strings.Builder
	for _, p := range paths {
		if p == "" {
			continue
		}
		_ = filepath.WalkDir(p, func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if info, err := d.Info(); err == nil {
				fmt.Fprintf(&b, "%s %d %d\n", name, info.Size(), info.ModTime().UnixNano())
			}
			return nil
		})
	}
	return b.String()
}

// parsePaths parses flags as parse does, but the positional arguments are
// suite paths, not the policy directory (which is --policy here).
func (a *app) parsePaths(fs *flag.FlagSet, args []string) ([]string, error) {
	for _, arg := range args {
		if arg == "--" {
			break
		}
		if arg == "-h" || arg == "-help" || arg == "--help" {
			fs.SetOutput(a.stdout)
			fs.Usage()
			return nil, flag.ErrHelp
		}
	}
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, usageError{err}
	}
	if err := server.ApplyEnv(fs, a.getenv); err != nil {
		return nil, usageError{err}
	}
	for i, p := range positional {
		positional[i] = path.Clean(filepath.ToSlash(p))
	}
	return positional, nil
}

// remote asks a live server through the Go client's generated API, with
// the caller's API key.
type remote struct {
	api wardenv1.AuthorizationServiceClient
	key string
}

func (r remote) outgoing(ctx context.Context) context.Context {
	if r.key == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, warden.APIKeyHeader, r.key)
}

func (r remote) Check(ctx context.Context, req *wardenv1.CheckRequest) (*wardenv1.CheckResponse, error) {
	return r.api.Check(r.outgoing(ctx), req, grpc.WaitForReady(false))
}

func (r remote) Filter(ctx context.Context, req *wardenv1.FilterRequest) (*wardenv1.FilterResponse, error) {
	return r.api.Filter(r.outgoing(ctx), req, grpc.WaitForReady(false))
}
