package decisionlog

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sink receives events from its own goroutine. Write may block (a
// network call, a retry): it holds back only this sink's queue. Close
// flushes what it buffers, within ctx.
type Sink interface {
	Name() string
	Write(ctx context.Context, batch []*Event) error
	Close(ctx context.Context) error
}

// Batcher is a sink that wants batches of up to MaxBatch events.
type Batcher interface {
	MaxBatch() int
}

// Stats counts a sink's traffic, for metrics.
type Stats interface {
	// Dropped counts events a sink lost, by reason: queue_full (the
	// request path did not wait) or write_failed (given up after retries).
	Dropped(sink, reason string, n int)
	// Written counts events a sink delivered.
	Written(sink string, n int)
	// QueueDepth reports a sink's queue length after a change.
	QueueDepth(sink string, n int)
}

// Mask says which values an event keeps. By default it keeps none:
// session variables keep their names and rows their ids and outcomes,
// but values are erased. SessionVars lists session variables (any case)
// whose values are kept; Columns lists columns ("col" for every table,
// or "schema.table.col") whose row values are kept.
type Mask struct {
	SessionVars []string
	Columns     []string
}

// DropRule leaves out the events that match all of its set fields: for
// example {Role: "anonymous", Outcome: "allow"} drops the anonymous
// role's allowed Checks. Outcome is an event's Outcome() (a Check's rows'
// common decision, "mixed", or a Filter's kind).
type DropRule struct {
	Call      Call
	Role      string
	Table     string
	Operation string
	Outcome   string
}

// ParseDropRule reads "field=value,field=value" with fields call, role,
// table, operation and outcome (decision is an alias of outcome).
func ParseDropRule(s string) (DropRule, error) {
	var r DropRule
	if strings.TrimSpace(s) == "" {
		return r, fmt.Errorf("empty drop rule")
	}
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || v == "" {
			return r, fmt.Errorf("drop rule %q: want field=value, got %q", s, part)
		}
		switch strings.ToLower(k) {
		case "call":
			if v != string(CallCheck) && v != string(CallFilter) {
				return r, fmt.Errorf("drop rule %q: call is check or filter, got %q", s, v)
			}
			r.Call = Call(v)
		case "role":
			r.Role = v
		case "table":
			r.Table = v
		case "operation":
			r.Operation = strings.ToLower(v)
		case "outcome", "decision":
			v = strings.ToLower(v)
			switch v {
			case "allow", "deny", "needs_data", "mixed", "always_allowed", "always_denied", "conditional":
			default:
				return r, fmt.Errorf("drop rule %q: outcome %q is not one of allow, deny, needs_data, mixed, always_allowed, always_denied, conditional", s, v)
			}
			r.Outcome = v
		default:
			return r, fmt.Errorf("drop rule %q: unknown field %q (call, role, table, operation, outcome)", s, k)
		}
	}
	return r, nil
}

func (r DropRule) matches(e *Event) bool {
	return (r.Call == "" || r.Call == e.Call) &&
		(r.Role == "" || r.Role == e.Role) &&
		(r.Table == "" || r.Table == e.Table) &&
		(r.Operation == "" || r.Operation == e.Operation) &&
		(r.Outcome == "" || r.Outcome == e.Outcome())
}

// Config configures a Logger.
type Config struct {
	Mask  Mask
	Drop  []DropRule
	Sinks []Sink
	// QueueSize bounds each sink's queue (events); default 10000.
	QueueSize int
	// Recent is how many events the in-memory ring keeps for
	// ListDecisions; default 1000, negative keeps none.
	Recent int
	Stats  Stats
	Log    *slog.Logger
}

// Logger records events. Its zero value is not usable; a nil *Logger
// records nothing (logging off).
type Logger struct {
	mask     mask
	drop     []DropRule
	sinks    []*sinkQueue
	stats    Stats
	log      *slog.Logger
	seq      atomic.Uint64
	ring     *ring
	closed   atomic.Bool
	closeWG  sync.WaitGroup
	dropped  atomic.Uint64 // by drop rules
	nDropped atomic.Uint64 // lost to full queues
}

type mask struct {
	vars map[string]bool
	// columns kept in every table, and in one table (by "schema.name").
	columns  []string
	perTable map[string][]string
	// cache: what the mask does with the session variables seen so far
	// (at most maxVarCache), replaced whole on each addition.
	cache   atomic.Pointer[map[string]maskedVar]
	cacheMu sync.Mutex
}

// RowValues gives the values of a call's rows, read only for the columns
// the mask keeps.
type RowValues interface {
	Value(row int, column string) (any, bool)
}

// New starts a Logger and its sinks' goroutines. Close stops them.
func New(cfg Config) *Logger {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 10000
	}
	if cfg.Recent == 0 {
		cfg.Recent = 1000
	}
	if cfg.Stats == nil {
		cfg.Stats = noStats{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	l := &Logger{drop: cfg.Drop, stats: cfg.Stats, log: cfg.Log}
	l.mask.vars = map[string]bool{}
	for _, v := range cfg.Mask.SessionVars {
		l.mask.vars[strings.ToLower(v)] = true
	}
	l.mask.perTable = map[string][]string{}
	for _, c := range cfg.Mask.Columns {
		i := strings.LastIndexByte(c, '.')
		if i < 0 {
			l.mask.columns = append(l.mask.columns, c)
			continue
		}
		table := c[:i]
		if !strings.Contains(table, ".") {
			table = "public." + table
		}
		l.mask.perTable[table] = append(l.mask.perTable[table], c[i+1:])
	}
	if cfg.Recent > 0 {
		l.ring = newRing(cfg.Recent)
	}
	for _, s := range cfg.Sinks {
		q := &sinkQueue{sink: s, ch: make(chan *Event, cfg.QueueSize), stats: cfg.Stats, log: cfg.Log, batch: 1}
		if b, ok := s.(Batcher); ok && b.MaxBatch() > 1 {
			q.batch = b.MaxBatch()
		}
		if f, ok := s.(interface{ FlushInterval() time.Duration }); ok {
			q.wait = f.FlushInterval()
		}
		l.sinks = append(l.sinks, q)
		l.closeWG.Add(1)
		go func() {
			defer l.closeWG.Done()
			q.run()
		}()
	}
	return l
}

// Enabled reports whether Log does anything: false for a nil Logger.
func (l *Logger) Enabled() bool { return l != nil }

// KeepsRowValues reports whether the mask keeps any column's values:
// when it does not, Log reads no row values and the caller may pass nil.
func (l *Logger) KeepsRowValues() bool {
	return l != nil && (len(l.mask.columns) > 0 || len(l.mask.perTable) > 0)
}

// Log masks e, applies the drop rules, keeps it in the ring and offers it
// to every sink without blocking. session and rows are the unmasked
// session variables and the rows' values (row i for e.Rows[i]; nil for
// none); Log copies what the mask keeps and never retains them. It takes
// ownership of e.
func (l *Logger) Log(e *Event, session map[string]string, rows RowValues) {
	if l == nil || l.closed.Load() {
		return
	}
	for _, r := range l.drop {
		if r.matches(e) {
			l.dropped.Add(1)
			return
		}
	}
	l.applyMask(e, session, rows)
	e.Sequence = l.seq.Add(1)
	if l.ring != nil {
		l.ring.add(e)
	}
	for _, q := range l.sinks {
		select {
		case q.ch <- e:
			q.stats.QueueDepth(q.sink.Name(), len(q.ch))
		default:
			l.nDropped.Add(1)
			q.stats.Dropped(q.sink.Name(), "queue_full", 1)
		}
	}
}

func (l *Logger) applyMask(e *Event, session map[string]string, rows RowValues) {
	// One backing array for the names and the erased paths (a call's
	// session has a few variables): two allocations fewer than growing
	// each slice.
	n := len(session)
	if n > 0 {
		buf := make([]string, 2*n)
		names, erased := buf[:n:n], buf[n:n:2*n]
		i := 0
		for k := range session {
			names[i] = k
			i++
		}
		if n > 1 {
			slices.Sort(names)
		}
		// The erased paths in the names' order are sorted too unless a
		// name needed escaping ('~' and '/' do not sort as "~0", "~1").
		escaped := false
		for _, k := range names {
			v := l.mask.varOf(k)
			if v.kept {
				if e.Session == nil {
					e.Session = make(map[string]string)
				}
				e.Session[k] = session[k]
				continue
			}
			erased = append(erased, v.erased)
			escaped = escaped || v.escaped
		}
		if escaped {
			slices.Sort(erased)
		}
		e.SessionNames = names
		if len(erased) > 0 {
			e.Erased = erased
		}
	}
	if rows == nil || !l.KeepsRowValues() {
		return
	}
	for _, cols := range [][]string{l.mask.columns, l.mask.perTable[e.Table]} {
		for _, col := range cols {
			for i := range e.Rows {
				if v, ok := rows.Value(i, col); ok {
					if e.Rows[i].Values == nil {
						e.Rows[i].Values = map[string]any{}
					}
					e.Rows[i].Values[col] = v
				}
			}
		}
	}
}

// maxVarCache bounds the session variables the mask remembers: names
// come from callers and tokens, so a flood of new ones must not grow it.
const maxVarCache = 256

// maskedVar is what the mask does with one session variable: keep its
// value, or erase it at path erased.
type maskedVar struct {
	kept bool
	// escaped: the name needed escaping in the path.
	escaped bool
	erased  string
}

// varOf says what the mask does with the session variable name: from
// the cache when it has the name, else worked out (and cached while the
// cache has room).
func (m *mask) varOf(name string) maskedVar {
	if c := m.cache.Load(); c != nil {
		if v, ok := (*c)[name]; ok {
			return v
		}
	}
	esc := pointerEscape(name)
	v := maskedVar{kept: m.vars[strings.ToLower(name)], escaped: esc != name}
	if !v.kept {
		v.erased = "/input/session/" + esc
	}
	m.remember(name, v)
	return v
}

// remember adds name to the cache (copied on write: readers take no
// lock) unless it is full.
func (m *mask) remember(name string, v maskedVar) {
	m.cacheMu.Lock()
	defer m.cacheMu.Unlock()
	old := m.cache.Load()
	var size int
	if old != nil {
		if _, ok := (*old)[name]; ok {
			return
		}
		size = len(*old)
	}
	if size >= maxVarCache {
		return
	}
	c := make(map[string]maskedVar, size+1)
	if old != nil {
		maps.Copy(c, *old)
	}
	c[name] = v
	m.cache.Store(&c)
}

// pointerEscape escapes a JSON pointer token (RFC 6901).
func pointerEscape(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return pointerEscaper.Replace(s)
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// Recent returns the kept events newest first that match q, at most
// q.Limit (all when 0), and only those after q.After (a sequence).
func (l *Logger) Recent(q Query) []*Event {
	if l == nil || l.ring == nil {
		return nil
	}
	return l.ring.query(q)
}

// DroppedByRules counts events the drop rules left out.
func (l *Logger) DroppedByRules() uint64 {
	if l == nil {
		return 0
	}
	return l.dropped.Load()
}

// Close stops accepting events and flushes every sink's queue within ctx.
func (l *Logger) Close(ctx context.Context) error {
	if l == nil || !l.closed.CompareAndSwap(false, true) {
		return nil
	}
	for _, q := range l.sinks {
		close(q.ch)
	}
	done := make(chan struct{})
	go func() { l.closeWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		// Stop the sinks' retries, so that their goroutines end.
		for _, q := range l.sinks {
			_ = q.sink.Close(ctx)
		}
		return fmt.Errorf("decision log: sinks not flushed: %w", ctx.Err())
	}
	var errs []string
	for _, q := range l.sinks {
		if err := q.sink.Close(ctx); err != nil {
			errs = append(errs, q.sink.Name()+": "+err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("decision log: %s", strings.Join(errs, "; "))
	}
	return nil
}

// sinkQueue feeds one sink from its bounded queue.
type sinkQueue struct {
	sink  Sink
	ch    chan *Event
	batch int
	// wait is how long a batch may wait to fill (0: write what is queued).
	wait  time.Duration
	stats Stats
	log   *slog.Logger
}

// run writes what the queue holds in batches of up to q.batch: it takes
// whatever is queued without waiting for a batch to fill (a batching
// sink that wants to wait for more does so itself).
func (q *sinkQueue) run() {
	name := q.sink.Name()
	buf := make([]*Event, 0, q.batch)
	var timer *time.Timer
	for e := range q.ch {
		buf = append(buf[:0], e)
		var deadline <-chan time.Time
		if q.wait > 0 {
			if timer == nil {
				timer = time.NewTimer(q.wait)
			} else {
				timer.Reset(q.wait)
			}
			deadline = timer.C
		}
	fill:
		for len(buf) < q.batch {
			if deadline == nil {
				select {
				case e, ok := <-q.ch:
					if !ok {
						break fill
					}
					buf = append(buf, e)
				default:
					break fill
				}
				continue
			}
			select {
			case e, ok := <-q.ch:
				if !ok {
					break fill
				}
				buf = append(buf, e)
			case <-deadline:
				break fill
			}
		}
		q.stats.QueueDepth(name, len(q.ch))
		if err := q.sink.Write(context.Background(), buf); err != nil {
			q.stats.Dropped(name, "write_failed", len(buf))
			q.log.Warn("decision log sink dropped events", "sink", name, "events", len(buf), "error", err)
			continue
		}
		q.stats.Written(name, len(buf))
	}
}

type noStats struct{}

func (noStats) Dropped(string, string, int) {}
func (noStats) Written(string, int)         {}
func (noStats) QueueDepth(string, int)      {}
