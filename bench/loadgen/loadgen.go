// Package loadgen drives a call at a concurrency (closed loop) or at an
// arrival rate (open loop), after a warm-up, and records latencies in HDR
// histograms, one per worker, merged at the end.
//
// In the open loop every request has an intended send time on a fixed
// schedule. A worker still busy with its previous request when the next
// one is due sends it late, and that request's latency counts from when it
// was due: a server that stalls cannot hide the queue it builds (no
// coordinated omission). A worker that was idle and only woke late (the
// timer's slack, up to a millisecond on Linux) is not the server's doing:
// that request counts from when it was sent, and the lateness is reported
// as the generator's send lag.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram range: 1 µs to 60 s, three significant digits.
const (
	histMin     = 1
	histMax     = 60_000_000
	histSigFigs = 3
)

// Func sends request number seq from worker and returns how many rows it
// decided on. seq runs 0, 1, 2, ... across all workers.
type Func func(ctx context.Context, worker int, seq uint64) (rows int, err error)

// Options configure one run.
type Options struct {
	// Label names the run in progress lines.
	Label string
	// Workers is the concurrency (closed loop) or the number of senders
	// (open loop).
	Workers int
	// Rate, when positive, is the open loop's arrival rate in requests
	// per second; 0 means closed loop.
	Rate float64
	// Warmup runs before measuring; Duration is measured.
	Warmup, Duration time.Duration
	// Classify names an error for the report.
	Classify func(error) string
	// Progress, when set, gets progress lines.
	Progress io.Writer
	// Terminal rewrites the progress line in place.
	Terminal bool
	// Sample is called at the start and end of the measured window (for
	// CPU accounting).
	Sample func()
}

// Result is one measured run.
type Result struct {
	Requests int64
	Rows     int64
	Elapsed  time.Duration
	// Latency in microseconds: from the send (closed loop) or as described
	// in the package comment (open loop).
	Latency *hdrhistogram.Histogram
	// SendLag is, for the open loop, how late idle workers sent (µs).
	SendLag *hdrhistogram.Histogram
	// Errors counts failed requests by class.
	Errors map[string]int64
	// FirstError is the first error's text, for the report.
	FirstError string
}

// worker is one sender's state; only it writes to it until the run ends.
type worker struct {
	lat, lag *hdrhistogram.Histogram
	errs     map[string]int64
	firstErr string
	reqs     int64
	rows     int64
	done     atomic.Int64 // every completed request, warm-up included
	failed   atomic.Int64
	_        [64]byte // keep the counters of two workers off one cache line
}

// Run runs f as opts say and returns what was measured.
func Run(ctx context.Context, opts Options, f Func) (*Result, error) {
	if opts.Workers < 1 {
		return nil, errors.New("loadgen: need at least one worker")
	}
	if opts.Duration <= 0 {
		return nil, errors.New("loadgen: need a positive duration")
	}
	if opts.Classify == nil {
		opts.Classify = func(err error) string { return err.Error() }
	}
	workers := make([]*worker, opts.Workers)
	for i := range workers {
		workers[i] = &worker{
			lat:  hdrhistogram.New(histMin, histMax, histSigFigs),
			lag:  hdrhistogram.New(histMin, histMax, histSigFigs),
			errs: map[string]int64{},
		}
	}
	start := time.Now()
	measureFrom := start.Add(opts.Warmup)
	end := measureFrom.Add(opts.Duration)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Go(func() {
			if opts.Rate > 0 {
				w.open(runCtx, f, opts, i, start, measureFrom, end)
			} else {
				w.closed(runCtx, f, opts, i, measureFrom, end)
			}
		})
	}
	stop := make(chan struct{})
	var side sync.WaitGroup
	side.Go(func() { window(opts.Sample, measureFrom, end, stop) })
	if opts.Progress != nil {
		side.Go(func() { progress(opts, workers, start, measureFrom, end, stop) })
	}
	wg.Wait()
	close(stop)
	side.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	res := &Result{
		Elapsed: opts.Duration,
		Latency: hdrhistogram.New(histMin, histMax, histSigFigs),
		SendLag: hdrhistogram.New(histMin, histMax, histSigFigs),
		Errors:  map[string]int64{},
	}
	for _, w := range workers {
		res.Latency.Merge(w.lat)
		res.SendLag.Merge(w.lag)
		res.Requests += w.reqs
		res.Rows += w.rows
		for k, n := range w.errs {
			res.Errors[k] += n
		}
		if res.FirstError == "" {
			res.FirstError = w.firstErr
		}
	}
	return res, nil
}

// closed sends back to back until end. Worker i takes the sequence numbers
// i, i+W, i+2W, ...
func (w *worker) closed(ctx context.Context, f Func, opts Options, i int, measureFrom, end time.Time) {
	step := uint64(opts.Workers)
	for seq := uint64(i); ; seq += step {
		sent := time.Now()
		if !sent.Before(end) || ctx.Err() != nil {
			return
		}
		rows, err := f(ctx, i, seq)
		took := time.Since(sent)
		w.record(opts, err, rows, !sent.Before(measureFrom), took, 0)
	}
}

// open sends request k of worker i at start + (k*W + i)/rate.
func (w *worker) open(ctx context.Context, f Func, opts Options, i int, start, measureFrom, end time.Time) {
	step := uint64(opts.Workers)
	nsPerReq := 1e9 / opts.Rate
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for seq := uint64(i); ; seq += step {
		due := start.Add(time.Duration(float64(seq) * nsPerReq))
		if !due.Before(end) {
			return
		}
		idle := false
		if wait := time.Until(due); wait > 0 {
			idle = true
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		if ctx.Err() != nil {
			return
		}
		sent := time.Now()
		rows, err := f(ctx, i, seq)
		done := time.Now()
		from, lag := due, time.Duration(0)
		if idle {
			// Woken late by the timer, not held up by the server.
			from, lag = sent, sent.Sub(due)
		}
		w.record(opts, err, rows, !due.Before(measureFrom), done.Sub(from), lag)
	}
}

func (w *worker) record(opts Options, err error, rows int, measured bool, took, lag time.Duration) {
	w.done.Add(1)
	if err != nil {
		w.failed.Add(1)
	}
	if !measured {
		return
	}
	w.reqs++
	if err != nil {
		w.errs[opts.Classify(err)]++
		if w.firstErr == "" {
			w.firstErr = err.Error()
		}
	} else {
		w.rows += int64(rows)
	}
	w.lat.RecordValue(max(took.Microseconds(), histMin))
	if opts.Rate > 0 {
		w.lag.RecordValue(max(lag.Microseconds(), histMin))
	}
}

// window calls sample when the measured window opens and when it closes
// (or when the run stops early).
func window(sample func(), from, end time.Time, stop <-chan struct{}) {
	if sample == nil {
		return
	}
	for _, at := range []time.Time{from, end} {
		t := time.NewTimer(time.Until(at))
		select {
		case <-t.C:
		case <-stop:
			t.Stop()
			sample()
			return
		}
		sample()
	}
}

// progress prints a line every second on a terminal (in place), every five
// seconds otherwise: phase, time left, recent rate, errors.
func progress(opts Options, workers []*worker, start, measureFrom, end time.Time, stop <-chan struct{}) {
	every := 5 * time.Second
	if opts.Terminal {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var last int64
	lastAt := start
	for {
		select {
		case <-stop:
			if opts.Terminal {
				fmt.Fprint(opts.Progress, "\r\033[K")
			}
			return
		case now := <-tick.C:
			var done, failed int64
			for _, w := range workers {
				done += w.done.Load()
				failed += w.failed.Load()
			}
			rate := float64(done-last) / now.Sub(lastAt).Seconds()
			last, lastAt = done, now
			phase, left := "measure", end.Sub(now)
			if now.Before(measureFrom) {
				phase, left = "warm-up", measureFrom.Sub(now)
			}
			line := fmt.Sprintf("%-40s %-7s %5.1fs left  %9.0f req/s  %d errors", opts.Label, phase, max(left.Seconds(), 0), rate, failed)
			if opts.Terminal {
				fmt.Fprint(opts.Progress, "\r\033[K"+line)
			} else {
				fmt.Fprintln(opts.Progress, line)
			}
		}
	}
}

// Merge adds the measurements of o (another stretch of the same run) to r.
func (r *Result) Merge(o *Result) {
	r.Requests += o.Requests
	r.Rows += o.Rows
	r.Elapsed += o.Elapsed
	r.Latency.Merge(o.Latency)
	r.SendLag.Merge(o.SendLag)
	for k, n := range o.Errors {
		r.Errors[k] += n
	}
	if r.FirstError == "" {
		r.FirstError = o.FirstError
	}
}
