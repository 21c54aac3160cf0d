package decisionlog

import "sync/atomic"

// Query selects recent events: every set field must match.
type Query struct {
	Role    string
	Table   string
	Outcome string
	Call    Call
	// After keeps only events with a greater sequence (following a tail).
	After uint64
	// Limit is the most events returned (0: all kept).
	Limit int
}

func (q Query) matches(e *Event) bool {
	return e.Sequence > q.After &&
		(q.Role == "" || q.Role == e.Role) &&
		(q.Table == "" || q.Table == e.Table) &&
		(q.Call == "" || q.Call == e.Call) &&
		(q.Outcome == "" || q.Outcome == e.Outcome())
}

// ring keeps the last n events, the event of sequence s in slot (s-1)%n.
// It takes no lock: the request path stores one pointer, and a reader
// skips a slot already overwritten by a newer event.
type ring struct {
	slots []atomic.Pointer[Event]
	last  atomic.Uint64 // the greatest sequence stored
}

func newRing(n int) *ring { return &ring{slots: make([]atomic.Pointer[Event], n)} }

func (r *ring) add(e *Event) {
	r.slots[(e.Sequence-1)%uint64(len(r.slots))].Store(e)
	for {
		last := r.last.Load()
		if e.Sequence <= last || r.last.CompareAndSwap(last, e.Sequence) {
			return
		}
	}
}

// query returns matching events newest first.
func (r *ring) query(q Query) []*Event {
	n := uint64(len(r.slots))
	last := r.last.Load()
	var out []*Event
	for s := last; s > 0 && last-s < n && s > q.After; s-- {
		e := r.slots[(s-1)%n].Load()
		if e == nil || e.Sequence != s || !q.matches(e) {
			continue
		}
		out = append(out, e)
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out
}
