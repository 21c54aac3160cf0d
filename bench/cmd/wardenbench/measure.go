package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/wardenpdp/warden/bench/client"
	"github.com/wardenpdp/warden/bench/loadgen"
	"github.com/wardenpdp/warden/bench/report"
	"github.com/wardenpdp/warden/bench/servers"
	"github.com/wardenpdp/warden/bench/workload"
)

// runSpec is one run: a server asked a scenario's calls for some users, at
// a concurrency or (rate > 0) an arrival rate.
type runSpec struct {
	s       *scenario
	server  string
	users   *workload.Users
	workers int
	rate    float64
}

// acc accumulates the slices of one run.
type acc struct {
	run      *report.Run
	f        loadgen.Func
	pid      int
	res      *loadgen.Result
	wall     time.Duration // CPU windows, summed
	gen, srv time.Duration // CPU time in them
	other    float64       // other processes' share x wall seconds
	// gcs are Warden's garbage collections in the windows (Warden's and
	// Echo's runs), gcWall the windows they were counted in.
	gcs    int64
	gcWall time.Duration
}

// runGroup measures the runs of a group in --rounds rounds: each round
// measures every run for duration/rounds, one after the other, so that a
// burst of other work on the machine falls on all of them alike and the
// ratios between them survive it. Each slice is measured again (up to
// --retries times) when other processes took more than 10% of the
// machine, keeping the quietest attempt.
func (b *bench) runGroup(ctx context.Context, specs []runSpec) ([]*report.Run, error) {
	accs := make([]*acc, len(specs))
	for i, sp := range specs {
		accs[i] = b.newAcc(sp)
	}
	rounds := max(b.cfg.rounds, 1)
	dur := b.cfg.duration / time.Duration(rounds)
	warm := b.cfg.sliceWarmup()
	for round := range rounds {
		for i, sp := range specs {
			a := accs[i]
			if a.run.Skipped != "" {
				continue
			}
			var best *slice
			for attempt := 0; attempt <= b.cfg.retries; attempt++ {
				sl, err := b.measureSlice(ctx, a, sp, warm, dur)
				if err != nil {
					return nil, err
				}
				if best == nil || sl.other < best.other {
					best = sl
				}
				if sl.other <= noisyOther {
					break
				}
				if attempt < b.cfg.retries {
					b.logf("other processes took %.0f%% of the machine during %s: measuring it again", sl.other*100, a.run.ID)
				}
			}
			a.add(best)
			b.logf("%-42s round %d/%d  %8.0f req/s  p99 %7.3f ms  other %3.0f%%", a.run.ID, round+1, rounds,
				float64(best.res.Requests)/best.res.Elapsed.Seconds(), float64(best.res.Latency.ValueAtQuantile(99))/1000, best.other*100)
		}
	}
	out := make([]*report.Run, len(accs))
	for i, a := range accs {
		out[i] = a.finish()
	}
	return out, nil
}

func (b *bench) newAcc(sp runSpec) *acc {
	r := &report.Run{
		ID:       runID(sp.s.name, sp.users.N, sp.server, sp.workers, sp.rate),
		Scenario: sp.s.name, Users: sp.users.N, Server: sp.server, API: apiName(sp.s.name, sp.server),
		Mode: "closed", Workers: sp.workers, Rate: sp.rate,
	}
	if sp.rate > 0 {
		r.Mode = "open"
	}
	a := &acc{run: r}
	switch {
	case sp.s.skipped != "":
		r.Skipped = sp.s.skipped
	case sp.server == srvOPA && b.opa == nil:
		r.Skipped = "--no-opa"
	case sp.server == srvOPA:
		a.f, a.pid = b.opaFunc(sp.s, sp.users), b.opa.PID()
	case sp.server == srvEcho:
		a.f, a.pid = b.echoFunc(sp.s), b.warden.PID()
	default:
		a.f, a.pid = b.wardenFunc(sp.s, sp.users), b.warden.PID()
	}
	return a
}

// slice is one measured stretch of a run.
type slice struct {
	res   *loadgen.Result
	cpu   *loadgen.CPUShare
	other float64
	gcs   int64 // Warden's garbage collections in the window; -1: not counted
}

func (b *bench) measureSlice(ctx context.Context, a *acc, sp runSpec, warm, dur time.Duration) (*slice, error) {
	// The generator's garbage of the previous run, collected now rather
	// than during this one (see generatorHeapLimit).
	debug.FreeOSMemory()
	if err := b.waitQuiet(ctx); err != nil {
		return nil, err
	}
	var samples []loadgen.CPUSample
	// Warden's garbage collections in the window, from its /metrics, read
	// after the CPU sample at each edge (a failed read: not counted).
	countGCs := b.warden != nil && a.pid == b.warden.PID()
	var gcs []int64
	gcOK := countGCs
	sample := func() {
		samples = append(samples, loadgen.SampleCPU(a.pid))
		if !countGCs {
			return
		}
		n, err := b.warden.GCCycles(ctx, b.key)
		if err != nil {
			gcOK = false
		}
		gcs = append(gcs, n)
	}
	res, err := loadgen.Run(ctx, loadgen.Options{
		Label:    a.run.ID,
		Workers:  sp.workers,
		Rate:     sp.rate,
		Warmup:   warm,
		Duration: dur,
		Classify: client.Classify,
		Progress: b.stderr,
		Terminal: b.terminal,
		Sample:   sample,
	}, a.f)
	if err != nil {
		return nil, err
	}
	sl := &slice{res: res, gcs: -1}
	if len(samples) == 2 {
		sh := samples[1].Since(samples[0])
		sl.cpu, sl.other = &sh, max(sh.Other, 0)
		if gcOK && len(gcs) == 2 && gcs[1] >= gcs[0] {
			sl.gcs = gcs[1] - gcs[0]
		}
	}
	return sl, b.serversAlive(a.run.ID)
}

// serversAlive fails when a server has exited.
func (b *bench) serversAlive(during string) error {
	for _, p := range []*servers.Process{b.warden, b.opa} {
		if p == nil {
			continue
		}
		if ended, err := p.Exited(); ended {
			return fmt.Errorf("%s exited during %s: %v\n%s", p.Name, during, err, p.Output())
		}
	}
	return nil
}

func (a *acc) add(sl *slice) {
	if a.res == nil {
		a.res = sl.res
	} else {
		a.res.Merge(sl.res)
	}
	if sl.cpu != nil {
		a.wall += sl.cpu.Wall
		a.gen += sl.cpu.SelfTime
		a.srv += sl.cpu.ProcsTime[0]
		a.other += sl.other * sl.cpu.Wall.Seconds()
		if sl.gcs >= 0 {
			a.gcs += sl.gcs
			a.gcWall += sl.cpu.Wall
		}
	}
}

// finish turns the merged slices into the run's figures.
func (a *acc) finish() *report.Run {
	r, res := a.run, a.res
	if r.Skipped != "" || res == nil {
		return r
	}
	r.Requests, r.Seconds = res.Requests, res.Elapsed.Seconds()
	r.RPS = float64(res.Requests) / r.Seconds
	r.RowsPS = float64(res.Rows) / r.Seconds
	r.Latency = report.FromHistogram(res.Latency)
	if r.Mode == "open" {
		r.SendLagP99 = float64(res.SendLag.ValueAtQuantile(99)) / 1000
	}
	if len(res.Errors) > 0 {
		r.Errors, r.FirstError = res.Errors, res.FirstError
	}
	if a.wall > 0 && res.Requests > 0 {
		capacity := a.wall.Seconds() * float64(runtime.NumCPU())
		r.CPU = report.CPU{
			Generator: a.gen.Seconds() / capacity,
			Server:    a.srv.Seconds() / capacity,
			Other:     a.other / a.wall.Seconds(),
			// CPU per request over the windows: the requests completed
			// in them are close to those started in them.
			ServerUS:    float64(a.srv.Microseconds()) / float64(res.Requests),
			GeneratorUS: float64(a.gen.Microseconds()) / float64(res.Requests),
		}
	}
	if a.gcWall > 0 {
		r.ServerGC = &report.GC{Cycles: a.gcs, Seconds: a.gcWall.Seconds()}
	}
	return r
}
