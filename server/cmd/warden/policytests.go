package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/wardenpdp/warden/policy/engine"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/permtest"
)

const (
	// policyTestsTimeout bounds one run of the suites: a suite that hangs
	// (a pathological fixture) must not hold a run, and the next load's,
	// forever.
	policyTestsTimeout = 30 * time.Second
	// maxPolicyTestFailures and maxPolicyTestMessage bound what GetStatus
	// carries of a run, whatever the suites hold.
	maxPolicyTestFailures = 20
	maxPolicyTestMessage  = 1000
)

// policyTests runs the policy directory's own test suites (tests/, as
// 'warden test' runs them by default: offline, Filter's rows in SQLite in
// memory) against every policy set serve loads, in the background: a run
// never delays a load or a request. One run at a time; loads that come
// during a run leave only the newest set waiting, so a burst of reloads
// costs at most one more run.
type policyTests struct {
	ctx     context.Context
	log     *slog.Logger
	fsys    fs.FS  // nil: dir is on disk
	dir     string // the suites' directory
	base    string // what suite file names are shown relative to
	timeout time.Duration
	now     func() time.Time

	mu      sync.Mutex
	pending *engine.Set // the newest set not yet run
	busy    bool        // a goroutine is running suites
	latest  *wardenv1.PolicyTestsResult
}

// newPolicyTests runs the suites of the policy directory, or the embedded
// example's (fsys non-nil, suites under "tests"). Runs stop when ctx ends.
func newPolicyTests(ctx context.Context, log *slog.Logger, fsys fs.FS, policyDir string) *policyTests {
	p := &policyTests{ctx: ctx, log: log, fsys: fsys, timeout: policyTestsTimeout, now: time.Now}
	if fsys != nil {
		p.dir = "tests"
	} else {
		p.dir, p.base = filepath.Join(policyDir, "tests"), policyDir
	}
	return p
}

// loaded queues a run on set: serve's policyLoaded hook.
func (p *policyTests) loaded(set *engine.Set) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = set
	if p.latest == nil {
		p.latest = &wardenv1.PolicyTestsResult{Revision: set.Revision()}
	}
	if !p.busy {
		p.busy = true
		go p.loop()
	}
}

func (p *policyTests) loop() {
	p.mu.Lock()
	for p.pending != nil {
		set := p.pending
		p.pending = nil
		p.mu.Unlock()
		res := p.run(set)
		p.report(res)
		p.mu.Lock()
		p.latest = res
	}
	// Under the same lock as the last result: status never shows a
	// finished run as running.
	p.busy = false
	p.mu.Unlock()
}

// status is GetStatus's policy_tests: the latest run, a copy, marked
// running while one is under way.
func (p *policyTests) status() *wardenv1.PolicyTestsResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.latest == nil {
		return nil
	}
	r := proto.CloneOf(p.latest)
	r.Running = p.busy
	return r
}

// run runs the suites on set. Problems with the suites themselves (one
// does not parse, the run times out) are the result's error, not the
// server's: the set is live either way.
func (p *policyTests) run(set *engine.Set) *wardenv1.PolicyTestsResult {
	res := &wardenv1.PolicyTestsResult{Revision: set.Revision()}
	defer func() { res.RanAt = timestamppb.New(p.now()) }()
	var err error
	if p.fsys != nil {
		_, err = fs.Stat(p.fsys, p.dir)
	} else {
		_, err = os.Stat(p.dir)
	}
	if errors.Is(err, fs.ErrNotExist) {
		res.NoTests = true
		return res
	}
	files, err := permtest.Files(p.fsys, []string{p.dir})
	if errors.Is(err, permtest.ErrNoSuites) {
		res.NoTests = true
		return res
	}
	if err != nil {
		res.Error = err.Error()
		return res
	}
	suites, err := permtest.Read(p.fsys, files)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
	defer cancel()
	r := &permtest.Runner{Policy: set.Policy(), Decider: permtest.Offline{Set: set}}
	results, err := r.Run(ctx, suites)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		res.Error = fmt.Sprintf("the suites did not finish in %s", p.timeout)
		return res
	}
	if err != nil {
		res.Error = err.Error()
		return res
	}
	for _, t := range results {
		switch {
		case t.Passed:
			res.Passed++
			continue
		case t.Error != "":
			res.Errored++
		default:
			res.Failed++
		}
		if len(res.Failures) < maxPolicyTestFailures {
			res.Failures = append(res.Failures, &wardenv1.PolicyTestFailure{
				Suite: p.rel(t.Suite), Name: t.Name, File: p.rel(t.File), Line: int32(t.Line), Message: failureMessage(t),
			})
		}
	}
	return res
}

func (p *policyTests) rel(file string) string {
	if p.base == "" {
		return file
	}
	if r, err := filepath.Rel(p.base, file); err == nil {
		return filepath.ToSlash(r)
	}
	return file
}

// failureMessage is why a test failed, one line an expectation, capped.
func failureMessage(t *permtest.Result) string {
	msg := t.Error
	if msg == "" {
		lines := make([]string, 0, len(t.Failures))
		for _, f := range t.Failures {
			l := fmt.Sprintf("%s: expected %s, got %s", f.What, f.Expected, f.Actual)
			if f.Detail != "" {
				l += " (" + f.Detail + ")"
			}
			lines = append(lines, l)
		}
		msg = strings.Join(lines, "\n")
	}
	if len(msg) > maxPolicyTestMessage {
		msg = strings.ToValidUTF8(msg[:maxPolicyTestMessage], "") + "…"
	}
	return msg
}

func (p *policyTests) report(r *wardenv1.PolicyTestsResult) {
	switch {
	case r.NoTests:
	case r.Error != "":
		p.log.Warn("policy tests did not run", slog.String("revision", r.Revision), slog.String("error", r.Error))
	case r.Failed+r.Errored > 0:
		p.log.Warn("policy tests failed", slog.String("revision", r.Revision),
			slog.Int("passed", int(r.Passed)), slog.Int("failed", int(r.Failed)), slog.Int("errored", int(r.Errored)))
	default:
		p.log.Info("policy tests passed", slog.String("revision", r.Revision), slog.Int("passed", int(r.Passed)))
	}
}
