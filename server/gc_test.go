package server

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func TestGCPercentFor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, headroom uint64
		want           int
	}{
		{30 * mib, 256 * mib, 853},  // small policy: room of 256 MiB
		{300 * mib, 256 * mib, 100}, // large policy: Go's default already leaves more
		{1 * mib, 256 * mib, 1000},  // capped: the limit bounds the rest
		{30 * mib, 0, 100},          // off
		{0, 256 * mib, 100},         // unknown live heap
		{1, 1 << 62, 1000},          // no overflow
		{256 * mib, 256 * mib, 100}, // exactly Go's default
		{100 * mib, 250 * mib, 250}, // in between
	} {
		if got := GCPercentFor(c.live, c.headroom); got != c.want {
			t.Errorf("GCPercentFor(%d MiB, %d MiB) = %d, want %d", c.live/mib, c.headroom/mib, got, c.want)
		}
	}
}

// restoreMemory puts the GC percent and the memory limit back as they
// were when the test ends.
func restoreMemory(t *testing.T) {
	percent := debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
}

func env(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

func TestTuneMemory(t *testing.T) {
	restoreMemory(t)
	const mib = 1 << 20
	inForce := func() (int, int64) {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p, debug.SetMemoryLimit(-1)
	}

	b := tuneMemory(256, env(), 0)
	if b.Live == 0 || b.LimitSource != "policy" || b.Limit != int64(b.Live+256*mib) || !b.GCPercentSet || b.GCPercent != GCPercentFor(b.Live, 256*mib) || b.Tight {
		t.Fatalf("no cgroup, no environment: %+v", b)
	}
	if p, l := inForce(); p != b.GCPercent || l != b.Limit {
		t.Errorf("in force: GOGC %d, limit %d; want %d, %d", p, l, b.GCPercent, b.Limit)
	}

	// A cgroup limit lower than the policy's budget caps it at 90%.
	b = tuneMemory(256, env(), 200*mib)
	if want := int64(180 * mib); b.LimitSource != "cgroup" || b.Limit != want || b.Cgroup != 200*mib {
		t.Errorf("cgroup 200 MiB: %+v; want the limit at %d (90%%)", b, want)
	}
	if _, l := inForce(); l != b.Limit {
		t.Errorf("limit in force %d, want %d", l, b.Limit)
	}
	// A large one leaves the policy's.
	if b = tuneMemory(256, env(), 64<<30); b.LimitSource != "policy" {
		t.Errorf("cgroup 64 GiB: %+v; want the policy's limit", b)
	}
	// A cgroup barely above the live heap: the limit is tight.
	if b = tuneMemory(256, env(), b.Live+8*mib); !b.Tight || b.LimitSource != "cgroup" {
		t.Errorf("cgroup just above the live heap: %+v; want a tight cgroup limit", b)
	}

	// The environment wins.
	debug.SetMemoryLimit(3 << 30)
	debug.SetGCPercent(150)
	b = tuneMemory(256, env("GOMEMLIMIT", "3GiB", "GOGC", "150"), 200*mib)
	if b.LimitSource != "GOMEMLIMIT" || b.Limit != 3<<30 || b.GCPercentSet || b.GCPercent != 150 {
		t.Errorf("GOMEMLIMIT and GOGC set: %+v; want both left alone", b)
	}
	if p, l := inForce(); p != 150 || l != 3<<30 {
		t.Errorf("in force: GOGC %d, limit %d; want the environment's 150 and 3 GiB", p, l)
	}

	// No headroom: Go's GOGC, and no limit but a cgroup's.
	if b = tuneMemory(0, env(), 0); b.LimitSource != "none" || b.Limit != math.MaxInt64 || b.GCPercent != 100 {
		t.Errorf("headroom 0: %+v", b)
	}
	gib := float64(1 << 30)
	if b = tuneMemory(0, env(), 1<<30); b.LimitSource != "cgroup" || b.Limit != int64(gib*cgroupFraction) {
		t.Errorf("headroom 0 under a cgroup of 1 GiB: %+v", b)
	}
}

func TestCgroupMemoryLimit(t *testing.T) {
	write := func(t *testing.T, root, name, data string) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		files map[string]string
		want  uint64
	}{
		{"v2, limit on the cgroup", map[string]string{
			"proc/self/cgroup":                       "0::/kubepods/pod1\n",
			"sys/fs/cgroup/kubepods/pod1/memory.max": "536870912\n",
			"sys/fs/cgroup/memory.max":               "max\n",
		}, 512 << 20},
		{"v2, lower limit on an ancestor", map[string]string{
			"proc/self/cgroup":                       "0::/kubepods/pod1\n",
			"sys/fs/cgroup/kubepods/pod1/memory.max": "max\n",
			"sys/fs/cgroup/kubepods/memory.max":      "268435456\n",
		}, 256 << 20},
		{"v2 in a container: the host's path is absent, the mount's root is the cgroup", map[string]string{
			"proc/self/cgroup":         "0::/system.slice/docker-abc.scope\n",
			"sys/fs/cgroup/memory.max": "1073741824\n",
		}, 1 << 30},
		{"v2, no limit", map[string]string{
			"proc/self/cgroup":         "0::/\n",
			"sys/fs/cgroup/memory.max": "max\n",
		}, 0},
		{"v1", map[string]string{
			"proc/self/cgroup": "5:cpu,cpuacct:/\n4:memory:/process_api/abc\n0::/\n",
			"sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes": "2147483648\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes":                 "9223372036854771712\n",
		}, 2 << 30},
		{"v1, no limit (a huge number)", map[string]string{
			"proc/self/cgroup":                           "4:memory:/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
		}, 0},
		{"no cgroup file", map[string]string{}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for name, data := range c.files {
				write(t, root, name, data)
			}
			if got := cgroupMemoryLimit(root); got != c.want {
				t.Errorf("cgroupMemoryLimit = %d, want %d", got, c.want)
			}
		})
	}
	// This machine's, for the log: it must not fail.
	t.Logf("this process's cgroup memory limit: %d", cgroupMemoryLimit("/"))
}
