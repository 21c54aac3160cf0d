// Package reload builds the next version of something a server serves
// (the policy set, the caller keys) off the request path, one build at a
// time, and remembers how each attempt went; Watch asks for a reload when
// the files it came from change.
//
// A Reloader never makes anything live itself: its Func loads and
// validates, and hands back a commit that swaps the new version in (an
// atomic pointer store on the server's side). Requests read that pointer
// and take no lock; the Reloader's mutex only orders reloads among
// themselves.
package reload

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Outcome is how one reload attempt ended.
type Outcome int

const (
	// Loaded: a new revision was committed and now serves.
	Loaded Outcome = iota + 1
	// Unchanged: the source loaded and holds the revision already live;
	// nothing was committed.
	Unchanged
	// Failed: the source did not load; the live version stays.
	Failed
	// NotReloadable: there is nothing to reload (Func is nil).
	NotReloadable
)

// String returns the outcome as a metric label: "loaded", "unchanged",
// "failed", "not_reloadable".
func (o Outcome) String() string {
	switch o {
	case Loaded:
		return "loaded"
	case Unchanged:
		return "unchanged"
	case Failed:
		return "failed"
	case NotReloadable:
		return "not_reloadable"
	}
	return "unspecified"
}

// Triggers: what asked for a reload, as Attempt.Trigger reports it.
const (
	TriggerFileChange = "file change"
	TriggerSignal     = "signal"
	TriggerAdminCall  = "admin call"
)

// ErrNotReloadable is the Err of a NotReloadable attempt.
var ErrNotReloadable = errors.New("nothing to reload")

// Attempt is how one reload went.
type Attempt struct {
	// FinishedAt is when the attempt ended.
	FinishedAt time.Time
	Outcome    Outcome
	// Revision is the revision loaded (Loaded, Unchanged); "" otherwise.
	Revision string
	// Trigger is what asked for it (TriggerFileChange, ...).
	Trigger string
	// Err is why it failed (Failed, NotReloadable).
	Err error
}

// Func loads the next version from its source and validates it, without
// making it live. It returns the version's revision and commit, which
// makes it live; commit is called only when the revision differs from the
// live one, and must not fail. An error leaves the live version alone.
type Func func(ctx context.Context) (revision string, commit func(), err error)

// Status is what a Reloader knows: the live revision, when it was
// committed, and the last attempts.
type Status struct {
	// Revision is the live revision; LoadedAt when it was committed (or
	// given to New).
	Revision string
	LoadedAt time.Time
	// Last is the last attempt, whatever its outcome; LastFailed the last
	// that failed. Nil when there was none.
	Last, LastFailed *Attempt
}

// Option configures New.
type Option func(*Reloader)

// WithClock sets the clock (tests); the default is time.Now.
func WithClock(now func() time.Time) Option { return func(r *Reloader) { r.now = now } }

// WithObserver calls observe after every attempt, in the order of the
// attempts, before Reload returns: for metrics and logs.
func WithObserver(observe func(Attempt)) Option {
	return func(r *Reloader) { r.observe = append(r.observe, observe) }
}

// Reloader runs reloads one at a time. Reload is synchronous; Request
// asks for one in the background (Run serves those). Reloads asked for
// while one runs are coalesced into the next.
type Reloader struct {
	load    Func
	now     func() time.Time
	observe []func(Attempt)

	// requested numbers every call of Reload; a reload started after call
	// n was made covers call n.
	requested atomic.Uint64
	mu        sync.Mutex // held for the whole of one reload
	covered   uint64     // the highest request number the last reload covers
	last      Attempt    // the last attempt (under mu)

	status  atomic.Pointer[Status] // read without waiting for a reload
	pending chan string            // one background request waiting, at most
}

// New makes a Reloader whose live version has revision, loaded at
// loadedAt. load nil means there is nothing to reload: every attempt is
// NotReloadable.
func New(load Func, revision string, loadedAt time.Time, opts ...Option) *Reloader {
	r := &Reloader{load: load, now: time.Now, pending: make(chan string, 1)}
	for _, o := range opts {
		o(r)
	}
	r.status.Store(&Status{Revision: revision, LoadedAt: loadedAt})
	return r
}

// Status returns the live revision and the last attempts. It never waits
// for a reload in progress.
func (r *Reloader) Status() Status { return *r.status.Load() }

// Reload loads the source again, now, and commits it if its revision is
// new; it returns the attempt. When a reload is already running, Reload
// waits for it and then shares the next one with every other caller that
// waited: the attempt returned always began after Reload was called, so
// it saw every change made before. The load gets ctx: cancelling it
// fails the attempt and leaves the live version alone.
func (r *Reloader) Reload(ctx context.Context, trigger string) Attempt {
	mine := r.requested.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.covered >= mine {
		return r.last // a reload that started after this call covered it
	}
	r.covered = r.requested.Load()

	a := Attempt{Trigger: trigger}
	st := r.Status()
	if r.load == nil {
		a.Outcome, a.Err = NotReloadable, ErrNotReloadable
	} else {
		rev, commit, err := r.load(ctx)
		switch {
		case err != nil:
			a.Outcome, a.Err = Failed, err
		case rev == st.Revision:
			a.Outcome, a.Revision = Unchanged, rev
		default:
			commit()
			a.Outcome, a.Revision = Loaded, rev
		}
	}
	a.FinishedAt = r.now()
	if a.Outcome == Loaded {
		st.Revision, st.LoadedAt = a.Revision, a.FinishedAt
	}
	st.Last = &a
	if a.Outcome == Failed {
		st.LastFailed = &a
	}
	r.status.Store(&st)
	r.last = a
	for _, o := range r.observe {
		o(a)
	}
	return a
}

// Request asks for a reload in the background and returns at once; Run
// performs it. While one request waits, more are the same request.
func (r *Reloader) Request(trigger string) {
	select {
	case r.pending <- trigger:
	default:
	}
}

// Run performs the requested reloads, one at a time, until ctx is done.
func (r *Reloader) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case trigger := <-r.pending:
			r.Reload(ctx, trigger)
		}
	}
}
