package reload

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// source is a Func over a value the test sets: its revision, or an error.
type source struct {
	mu        sync.Mutex
	rev       string
	err       error
	live      string
	loads     atomic.Int32
	commits   atomic.Int32
	block     chan struct{} // when set, a load waits on it
	loadStart chan struct{}
}

func (s *source) set(rev string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rev, s.err = rev, err
}

func (s *source) load(context.Context) (string, func(), error) {
	s.loads.Add(1)
	if s.loadStart != nil {
		s.loadStart <- struct{}{}
	}
	if s.block != nil {
		<-s.block
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rev, err := s.rev, s.err
	if err != nil {
		return "", nil, err
	}
	return rev, func() {
		s.commits.Add(1)
		s.mu.Lock()
		s.live = rev
		s.mu.Unlock()
	}, nil
}

func TestReloadOutcomes(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := start
	src := &source{rev: "a"}
	var observed []Outcome
	r := New(src.load, "a", start, WithClock(func() time.Time { clock = clock.Add(time.Second); return clock }),
		WithObserver(func(a Attempt) { observed = append(observed, a.Outcome) }))
	ctx := context.Background()

	if a := r.Reload(ctx, TriggerSignal); a.Outcome != Unchanged || a.Revision != "a" || src.commits.Load() != 0 {
		t.Errorf("same revision: %+v, %d commits", a, src.commits.Load())
	}
	src.set("b", nil)
	a := r.Reload(ctx, TriggerFileChange)
	if a.Outcome != Loaded || a.Revision != "b" || src.live != "b" || a.Trigger != TriggerFileChange {
		t.Errorf("new revision: %+v, live %q", a, src.live)
	}
	st := r.Status()
	if st.Revision != "b" || !st.LoadedAt.Equal(a.FinishedAt) || st.Last.Outcome != Loaded || st.LastFailed != nil {
		t.Errorf("status after a load: %+v", st)
	}

	bad := errors.New("syntax error")
	src.set("c", bad)
	a = r.Reload(ctx, TriggerAdminCall)
	if a.Outcome != Failed || !errors.Is(a.Err, bad) || a.Revision != "" || src.live != "b" {
		t.Errorf("failed load: %+v, live %q", a, src.live)
	}
	st = r.Status()
	if st.Revision != "b" || st.LastFailed == nil || st.LastFailed.Outcome != Failed || st.Last.Outcome != Failed {
		t.Errorf("status after a failure: %+v", st)
	}

	// A later success keeps the failure as the last failed attempt.
	src.set("b", nil)
	if a := r.Reload(ctx, TriggerAdminCall); a.Outcome != Unchanged {
		t.Errorf("back to the live revision: %+v", a)
	}
	if st := r.Status(); st.LastFailed == nil || st.Last.Outcome != Unchanged {
		t.Errorf("status after recovery: %+v", st)
	}
	if want := []Outcome{Unchanged, Loaded, Failed, Unchanged}; !equalOutcomes(observed, want) {
		t.Errorf("observed %v, want %v", observed, want)
	}

	nr := New(nil, "x", start)
	if a := nr.Reload(ctx, TriggerSignal); a.Outcome != NotReloadable || !errors.Is(a.Err, ErrNotReloadable) {
		t.Errorf("nothing to reload: %+v", a)
	}
}

func equalOutcomes(a, b []Outcome) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Reloads asked for while one runs wait for it and then share one more:
// never two loads at once, never one per caller.
func TestReloadCoalesces(t *testing.T) {
	src := &source{rev: "a", block: make(chan struct{}), loadStart: make(chan struct{}, 16)}
	r := New(src.load, "a", time.Now())
	ctx := context.Background()

	first := make(chan Attempt, 1)
	go func() { first <- r.Reload(ctx, "first") }()
	<-src.loadStart // the first load is running

	const waiters = 8
	results := make(chan Attempt, waiters)
	var started sync.WaitGroup
	for range waiters {
		started.Go(func() { results <- r.Reload(ctx, "waiter") })
	}
	// Every waiter has taken its number once requested counts them all.
	for r.requested.Load() < waiters+1 {
		time.Sleep(time.Millisecond)
	}
	src.set("b", nil)
	src.block <- struct{}{} // first load ends (it read nothing yet: it saw "b")
	<-src.loadStart         // one more load, for all the waiters
	src.block <- struct{}{}
	started.Wait()
	close(results)

	if a := <-first; a.Trigger != "first" {
		t.Errorf("first: %+v", a)
	}
	for a := range results {
		if a.Trigger != "waiter" {
			t.Errorf("a waiter got another's attempt: %+v", a)
		}
	}
	if n := src.loads.Load(); n != 2 {
		t.Errorf("%d loads for 1 + %d concurrent reloads, want 2", n, waiters)
	}
}

func TestRequestRun(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the watchers stop
	src := &source{rev: "b"}
	done := make(chan Attempt, 4)
	r := New(src.load, "a", time.Now(), WithObserver(func(a Attempt) { done <- a }))
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { r.Run(ctx); close(stopped) }()
	r.Request(TriggerSignal)
	select {
	case a := <-done:
		if a.Outcome != Loaded || a.Trigger != TriggerSignal {
			t.Errorf("requested reload: %+v", a)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the requested reload did not run")
	}
	cancel()
	<-stopped
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// watch runs a Watcher on paths and returns a channel that receives once
// per settled change.
func watch(t *testing.T, paths ...Path) <-chan struct{} {
	t.Helper()
	changes := make(chan struct{}, 16)
	w, err := NewWatcher(paths, 20*time.Millisecond, func() { changes <- struct{}{} }, discard())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { w.Run(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })
	return changes
}

func expectChange(t *testing.T, changes <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-changes:
	case <-time.After(10 * time.Second):
		t.Fatalf("no change seen after %s", what)
	}
	// Drain a second, late notification of the same change.
	time.Sleep(60 * time.Millisecond)
	for len(changes) > 0 {
		<-changes
	}
}

// expectQuiet waits several debounce periods and fails on a change.
func expectQuiet(t *testing.T, changes <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-changes:
		t.Errorf("a change seen after %s", what)
	case <-time.After(200 * time.Millisecond):
	}
}

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestWatcher(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the watchers stop
	root := t.TempDir()
	dir := filepath.Join(root, "policy")
	sub := filepath.Join(dir, "tables")
	other := filepath.Join(root, "elsewhere")
	for _, d := range []string{sub, other} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	schema := filepath.Join(other, "schema.yaml")
	write(t, schema, "a")
	write(t, filepath.Join(sub, "t.yaml"), "a")
	changes := watch(t, Dir(dir), File(schema))

	write(t, filepath.Join(sub, "t.yaml"), "b")
	expectChange(t, changes, "a write in a subdirectory")

	tmp := filepath.Join(other, "schema.yaml.tmp")
	write(t, tmp, "b")
	if err := os.Rename(tmp, schema); err != nil {
		t.Fatal(err)
	}
	expectChange(t, changes, "the file renamed over")
	write(t, schema, "c")
	expectChange(t, changes, "a write after the rename (the watch survived it)")

	write(t, filepath.Join(other, "unrelated.txt"), "x")
	expectQuiet(t, changes, "a write beside the watched file")
	if err := os.Chmod(schema, 0o644); err != nil {
		t.Fatal(err)
	}
	expectQuiet(t, changes, "a chmod")

	newDir := filepath.Join(dir, "new")
	if err := os.Mkdir(newDir, 0o700); err != nil {
		t.Fatal(err)
	}
	expectChange(t, changes, "a new directory")
	write(t, filepath.Join(newDir, "n.yaml"), "a")
	expectChange(t, changes, "a write in the new directory")

	// Kubernetes swaps the ..data link of a mounted ConfigMap.
	write(t, filepath.Join(other, "..data_tmp"), "")
	if err := os.Rename(filepath.Join(other, "..data_tmp"), filepath.Join(other, "..data")); err != nil {
		t.Fatal(err)
	}
	expectChange(t, changes, "the ..data swap beside a watched file")

	// The directory replaced as a whole, by a rename.
	next := filepath.Join(root, "policy.next")
	if err := os.MkdirAll(filepath.Join(next, "tables"), 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(next, "tables", "t.yaml"), "z")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	expectChange(t, changes, "the directory removed")
	if err := os.Rename(next, dir); err != nil {
		t.Fatal(err)
	}
	expectChange(t, changes, "a directory renamed into its place")
	write(t, filepath.Join(dir, "tables", "t.yaml"), "y")
	expectChange(t, changes, "a write in the replacing directory")
}

func TestWatcherMissingDirectory(t *testing.T) {
	if _, err := NewWatcher([]Path{Dir(filepath.Join(t.TempDir(), "nope"))}, time.Millisecond, func() {}, discard()); err == nil {
		t.Error("watching a missing directory: no error")
	}
}
