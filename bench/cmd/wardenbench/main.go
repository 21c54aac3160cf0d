// Command wardenbench measures Warden over real gRPC, side by side with two
// baselines measured in the same run on the same machine: Warden's no-op
// RPC (DiagnosticsService.Echo, the transport alone) and OPA's own server
// answering the same questions from the Rego that `warden compile` emits.
//
//	go run ./bench/cmd/wardenbench [--duration 10s] [--warmup 3s] [--workers 64]
//	    [--rate R] [--scenarios check-1,check-100,filter,mix] [--users 100000]
//	    [--json] [--out report.md] [--smoke]
//
// It generates a policy set (bench/policygen) into a temporary directory,
// builds and starts `warden serve` and `opa run --server` on loopback
// ports, checks that both give the same answers, measures each scenario and
// baseline in turn, stops both servers and prints the report: Markdown on
// stdout, or JSON with --json. Progress goes to stderr. The exit status is
// 1 when a request failed or the servers disagreed, 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var ue usageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "wardenbench:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "wardenbench:", err)
		os.Exit(1)
	}
}

type usageError struct{ error }

// config is the command line.
type config struct {
	duration, warmup time.Duration
	workers, conns   int
	rate             float64
	scenarios        []string
	users, tables    int
	seed             uint64
	json             bool
	out              string
	smoke            bool
	noOPA            bool
	wardenBin        string
	opaBin           string
	keep             bool
	quietWait        time.Duration
	retries          int
	rounds           int
	serverEnv        []string
	serverCPUs       string
	args             []string
}

// cpuList is a taskset CPU list: numbers and ranges, comma-separated.
var cpuList = regexp.MustCompile(`^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$`)

// scenarioNames lists the scenarios in the order they run.
var scenarioNames = []string{"check-1", "check-100", "filter", "mix"}

func parse(args []string, stderr io.Writer) (*config, error) {
	c := &config{args: args}
	fs := flag.NewFlagSet("wardenbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "measured time of each run")
	fs.DurationVar(&c.warmup, "warmup", 3*time.Second, "warm-up before each run, not measured")
	fs.IntVar(&c.workers, "workers", 64, "concurrent requests (closed loop), or senders (open loop)")
	fs.IntVar(&c.conns, "conns", 4, "gRPC connections to Warden (OPA: one keep-alive connection per worker)")
	fs.Float64Var(&c.rate, "rate", 0, "open loop: send this many requests per second in every run instead of a closed loop")
	scen := fs.String("scenarios", strings.Join(scenarioNames, ","), "comma-separated scenarios to run: "+strings.Join(scenarioNames, ", "))
	fs.IntVar(&c.users, "users", 100_000, "distinct user ids of the many-users variant of each scenario (at least 2)")
	fs.IntVar(&c.tables, "tables", 50, "tables in the generated policy set (5 roles and 2 inherited roles, 4 operations each)")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the generated policy set and requests")
	fs.BoolVar(&c.json, "json", false, "print the report as JSON instead of Markdown")
	fs.StringVar(&c.out, "out", "", "also write the Markdown report to this `file`")
	fs.BoolVar(&c.smoke, "smoke", false, "a quick run that proves the tool works (small policy, 1,000 users, about 10 s of load); the numbers mean nothing")
	fs.BoolVar(&c.noOPA, "no-opa", false, "skip the OPA baselines")
	fs.StringVar(&c.wardenBin, "warden-bin", "", "use this warden `binary` instead of building ./server/cmd/warden")
	fs.StringVar(&c.opaBin, "opa-bin", "", "use this opa `binary` instead of the Go tool pinned in go.mod")
	fs.DurationVar(&c.quietWait, "quiet-wait", time.Minute, "before each run, wait up to this long for a second in which other processes use under 10% of the machine (0: do not wait)")
	fs.IntVar(&c.rounds, "rounds", 3, "measure each scenario's runs in this many interleaved rounds of duration/rounds each, merged")
	fs.IntVar(&c.retries, "retries", 2, "measure a run again, up to this many times, when other processes took more than 10% of the machine during it; the quietest attempt is reported")
	fs.Func("server-env", "set `KEY=VALUE` in the environment of both servers, e.g. GOGC=400 (repeatable)", func(v string) error {
		if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
			return fmt.Errorf("want KEY=VALUE, got %q", v)
		}
		c.serverEnv = append(c.serverEnv, v)
		return nil
	})
	fs.Func("server-cpus", "run both servers pinned to these `CPUs` (taskset -c LIST, e.g. 1); run the generator itself under taskset -c on the others", func(v string) error {
		if !cpuList.MatchString(v) {
			return fmt.Errorf("want a CPU list such as 1 or 2-3 or 0,2, got %q", v)
		}
		c.serverCPUs = v
		return nil
	})
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (policy, Rego, binaries) and print its path")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if c.smoke {
		// About 10 s of load over 23 runs; flags given explicitly win.
		if !given["duration"] {
			c.duration = 300 * time.Millisecond
		}
		if !given["warmup"] {
			c.warmup = 100 * time.Millisecond
		}
		if !given["users"] {
			c.users = 1000
		}
		if !given["quiet-wait"] {
			c.quietWait = 0
		}
		if !given["retries"] {
			c.retries = 0
		}
		if !given["rounds"] {
			c.rounds = 1
		}
		if !given["tables"] {
			c.tables = 6
		}
	}
	for _, s := range strings.Split(*scen, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		ok := false
		for _, n := range scenarioNames {
			ok = ok || n == s
		}
		if !ok {
			return nil, usageError{fmt.Errorf("--scenarios: unknown scenario %q (want %s)", s, strings.Join(scenarioNames, ", "))}
		}
		c.scenarios = append(c.scenarios, s)
	}
	switch {
	case len(c.scenarios) == 0:
		return nil, usageError{errors.New("--scenarios: none given")}
	case c.duration <= 0 || c.warmup < 0:
		return nil, usageError{errors.New("--duration must be positive and --warmup not negative")}
	case c.rounds < 1 || c.retries < 0:
		return nil, usageError{errors.New("--rounds must be at least 1 and --retries not negative")}
	case c.workers < 1 || c.conns < 1:
		return nil, usageError{errors.New("--workers and --conns must be at least 1")}
	case c.users < 2:
		return nil, usageError{fmt.Errorf("--users %d: want at least 2 (the many-users runs must differ from the one-user runs)", c.users)}
	case c.rate < 0:
		return nil, usageError{errors.New("--rate must not be negative")}
	}
	return c, nil
}

// sliceWarmup is the warm-up before each measured slice of a run:
// --warmup spread over the rounds, but at least a second (all of --warmup
// when it is shorter).
func (c *config) sliceWarmup() time.Duration {
	return max(c.warmup/time.Duration(max(c.rounds, 1)), min(c.warmup, time.Second))
}

func (c *config) enabled(name string) bool {
	for _, s := range c.scenarios {
		if s == name {
			return true
		}
	}
	return false
}

// generatorHeapLimit is the generator's soft memory limit, with its
// collector off otherwise: a run of 10 s at 30,000 requests a second
// allocates about 2 GiB.
const generatorHeapLimit = 4 << 30

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parse(args, stderr)
	if err != nil {
		return err
	}
	// The generator's own garbage collection would pause its senders and
	// readers and add to the latencies it measures (a collection of its
	// heap, mostly the prepared requests, which never die, takes 100-600
	// ms of wall time on one core). So it collects between runs
	// (measureSlice), and during a run only if its heap reaches
	// generatorHeapLimit.
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(generatorHeapLimit)
	}
	b, err := setup(ctx, cfg, stderr)
	if b != nil {
		defer b.close()
	}
	if err != nil {
		return err
	}
	rep, failed, err := b.measure(ctx)
	if err != nil {
		return err
	}
	if cfg.out != "" {
		f, err := os.Create(cfg.out)
		if err != nil {
			return err
		}
		werr := rep.WriteMarkdown(f)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return werr
		}
	}
	if cfg.json {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteMarkdown(stdout)
	}
	if err != nil {
		return err
	}
	if failed != "" {
		return errors.New(failed)
	}
	return nil
}
