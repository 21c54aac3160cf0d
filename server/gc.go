package server

import (
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
)

// Go collects garbage when the heap has grown by GOGC percent (100 by
// default) over what the last collection left live, and every collection
// marks all of the live heap. Warden's live heap is mostly the compiled
// policy set, which never changes while the garbage of a call is small: by
// default a collection comes every few thousand calls and marks the whole
// policy again (a fifth to a quarter of the server's CPU under load, in
// the profile of the bench/ load test). Giving the heap a fixed room above
// the live heap instead makes collections rare for small policy sets and
// changes nothing for large ones.

// GCPercentFor returns the GOGC value that leaves at least headroom bytes
// above a live heap of live bytes, never below Go's default of 100 (and
// at most 10000).
func GCPercentFor(live, headroom uint64) int {
	if headroom == 0 || live == 0 {
		return 100
	}
	if headroom/live >= 100 {
		return 10000
	}
	return int(max(headroom*100/live, 100)) // headroom < 100*live: no overflow
}

// TuneGC sets the garbage collector's percent from the live heap after a
// collection (call it once the policy set is loaded) so that the heap has
// headroomMiB MiB of room above it. It does nothing when headroomMiB is 0
// or GOGC is set in the environment: a choice made there wins. It returns
// the live heap and the percent in force, and whether it set it.
func TuneGC(headroomMiB int, getenv func(string) string) (live uint64, percent int, set bool) {
	runtime.GC()
	sample := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
	rtmetrics.Read(sample)
	if sample[0].Value.Kind() == rtmetrics.KindUint64 {
		live = sample[0].Value.Uint64()
	}
	current := debug.SetGCPercent(-1)
	debug.SetGCPercent(current)
	if headroomMiB <= 0 || getenv("GOGC") != "" {
		return live, current, false
	}
	percent = GCPercentFor(live, uint64(headroomMiB)<<20)
	debug.SetGCPercent(percent)
	return live, percent, true
}
