package server

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"strconv"
	"strings"
)

// Memory is bounded by the configuration, not by the callers.
//
// Warden's live heap is mostly the compiled policy set, which does not
// change between reloads, while the garbage of a call is small. Go's
// default (GOGC=100: collect when the heap has doubled) makes a collection
// come every few thousand calls and mark the whole policy again, a fifth
// to a quarter of the server's CPU under load (the bench/ profiles). A
// higher GOGC fixes that, but GOGC alone bounds nothing: the heap may grow
// to GOGC percent above whatever is live, and under a flood of requests
// what is live is the requests.
//
// So the bound is a soft memory limit (debug.SetMemoryLimit): the live
// heap once the policy set is loaded plus --gc-headroom-mib, recomputed
// at every (re)load. GOMEMLIMIT in the environment wins; under a cgroup
// memory limit (a container's) the limit never exceeds cgroupFraction of
// it, so that the collector works hard before the kernel kills. Below the
// limit a moderate GOGC (at most maxGCPercent) keeps collections rare for
// a small policy set and keeps the heap proportional to what is live
// when the limit is far (a large GOMEMLIMIT or cgroup).
//
// GOGC is never turned off. With GOGC=off the collector runs only at the
// limit, so a live heap close to it (a policy set larger than planned, a
// flood of requests in flight) means collecting back to back: a death
// spiral that Go's GC CPU limiter stops at about half of the CPU, at the
// price of letting the heap pass the soft limit. What keeps the live heap
// away from the limit is the headroom (sized for the requests in flight)
// and the per-request caps (--max-recv-msg-size, --max-request-values,
// --max-list-elements, --max-value-depth, --max-concurrent-streams), which
// bound what a request in flight holds. TuneMemory reports a limit that
// leaves less than minHeadroom above the live heap (Tight), for the log.

const (
	// maxGCPercent: the heap may grow ten times what is live before a
	// collection, and never more, whatever the limit.
	maxGCPercent = 1000
	// cgroupFraction of a cgroup memory limit is the most the soft limit
	// may be: the rest is for what the Go heap does not count (stacks of
	// the runtime, cgo, the page cache a container is charged for).
	cgroupFraction = 0.9
	// minHeadroom above the live heap: under it the limit is Tight.
	minHeadroom = 64 << 20
	// noCgroupLimit: cgroup v1 writes "no limit" as a huge number.
	noCgroupLimit = 1 << 62
)

// GCPercentFor returns the GOGC value that leaves about headroom bytes
// above a live heap of live bytes, never below Go's default of 100 and
// never above maxGCPercent.
func GCPercentFor(live, headroom uint64) int {
	if headroom == 0 || live == 0 {
		return 100
	}
	if headroom/live >= maxGCPercent/100 {
		return maxGCPercent
	}
	return int(max(headroom*100/live, 100)) // headroom < 10*live: no overflow
}

// MemoryBudget is what TuneMemory found and put in force.
type MemoryBudget struct {
	// Live is the live heap after a collection, in bytes.
	Live uint64
	// Limit is the soft memory limit in force, in bytes (math.MaxInt64:
	// none).
	Limit int64
	// LimitSource says where Limit comes from: "policy" (live heap plus
	// headroom), "cgroup" (cgroupFraction of the cgroup limit, lower than
	// the policy's), "GOMEMLIMIT" (the environment, left alone) or "none".
	LimitSource string
	// Cgroup is the cgroup memory limit in bytes; 0 when there is none.
	Cgroup uint64
	// GCPercent is the GOGC percent in force; GCPercentSet says whether
	// TuneMemory set it (not when GOGC is in the environment).
	GCPercent    int
	GCPercentSet bool
	// Tight: the limit leaves less than 64 MiB above the live heap, and
	// the collector will work hard.
	Tight bool
}

// TuneMemory sets the soft memory limit and the GC percent from the live
// heap, which it measures after a collection: call it once the policy set
// is loaded, and again every time a new policy set is swapped in (the old
// one no longer referenced), so that the limit follows the policy. The
// limit is the live heap plus headroomMiB MiB, capped at 90% of a cgroup
// memory limit; GOMEMLIMIT and GOGC in the environment (getenv) win.
// headroomMiB 0 leaves GOGC at Go's default and sets no limit but the
// cgroup's.
func TuneMemory(headroomMiB int, getenv func(string) string) MemoryBudget {
	return tuneMemory(headroomMiB, getenv, cgroupMemoryLimit("/"))
}

func tuneMemory(headroomMiB int, getenv func(string) string, cgroup uint64) MemoryBudget {
	runtime.GC()
	sample := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
	rtmetrics.Read(sample)
	b := MemoryBudget{Cgroup: cgroup}
	if sample[0].Value.Kind() == rtmetrics.KindUint64 {
		b.Live = sample[0].Value.Uint64()
	}
	headroom := uint64(max(headroomMiB, 0)) << 20

	b.GCPercent = debug.SetGCPercent(-1)
	debug.SetGCPercent(b.GCPercent)
	if getenv("GOGC") == "" {
		b.GCPercent, b.GCPercentSet = GCPercentFor(b.Live, headroom), true
		debug.SetGCPercent(b.GCPercent)
	}

	b.Limit, b.LimitSource = math.MaxInt64, "none"
	if getenv("GOMEMLIMIT") != "" {
		b.Limit, b.LimitSource = debug.SetMemoryLimit(-1), "GOMEMLIMIT"
	} else {
		if headroom > 0 {
			b.Limit, b.LimitSource = int64(min(b.Live+headroom, math.MaxInt64)), "policy" //nolint:gosec // capped
		}
		if cgroup > 0 {
			if c := int64(float64(cgroup) * cgroupFraction); c < b.Limit {
				b.Limit, b.LimitSource = c, "cgroup"
			}
		}
		debug.SetMemoryLimit(b.Limit)
	}
	b.Tight = b.Limit < math.MaxInt64 && uint64(b.Limit) < b.Live+minHeadroom //nolint:gosec // positive
	return b
}

// cgroupMemoryLimit is the memory limit of this process's cgroup (v2
// memory.max, or v1 memory.limit_in_bytes), the lowest of its cgroup and
// their ancestors, read under root (the file system root but in tests);
// 0 when there is none or it cannot be read.
func cgroupMemoryLimit(root string) uint64 {
	data, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if err != nil {
		return 0
	}
	var limit uint64
	lower := func(v uint64) {
		if v > 0 && v < noCgroupLimit && (limit == 0 || v < limit) {
			limit = v
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		// hierarchy-ID:controllers:path; v2 is "0::/path".
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dir, file string
		switch {
		case parts[0] == "0" && parts[1] == "":
			dir, file = "sys/fs/cgroup", "memory.max"
		case hasController(parts[1], "memory"):
			dir, file = "sys/fs/cgroup/memory", "memory.limit_in_bytes"
		default:
			continue
		}
		// The cgroup and its ancestors; inside a container the path may
		// be the host's and absent from the mount, whose root is then
		// the container's own cgroup.
		for p := path.Clean("/" + parts[2]); ; p = path.Dir(p) {
			lower(readCgroupValue(filepath.Join(root, dir, p, file)))
			if p == "/" {
				break
			}
		}
	}
	return limit
}

func hasController(list, name string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// readCgroupValue reads a limit file: a number of bytes, or "max" (0).
func readCgroupValue(file string) uint64 {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0
	}
	return v
}
