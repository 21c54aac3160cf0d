package server

import (
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
		{1 * mib, 256 * mib, 10000}, // capped
		{30 * mib, 0, 100},          // off
		{0, 256 * mib, 100},         // unknown live heap
		{1, 1 << 62, 10000},         // no overflow
		{256 * mib, 256 * mib, 100}, // exactly Go's default
		{100 * mib, 250 * mib, 250}, // in between
	} {
		if got := GCPercentFor(c.live, c.headroom); got != c.want {
			t.Errorf("GCPercentFor(%d MiB, %d MiB) = %d, want %d", c.live/mib, c.headroom/mib, got, c.want)
		}
	}
}

func TestTuneGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "GOGC" {
				return v
			}
			return ""
		}
	}
	live, p, set := TuneGC(256, env(""))
	if !set || live == 0 || p != GCPercentFor(live, 256<<20) {
		t.Fatalf("TuneGC(256) = %d, %d, %v", live, p, set)
	}
	if now := debug.SetGCPercent(100); now != p {
		t.Errorf("GC percent in force %d, want %d", now, p)
	}
	if _, p, set := TuneGC(256, env("150")); set || p != 100 {
		t.Errorf("with GOGC set: %d, %v; want the percent in force (100) left alone", p, set)
	}
	if _, p, set := TuneGC(0, env("")); set || p != 100 {
		t.Errorf("headroom 0: %d, %v; want the percent in force left alone", p, set)
	}
}
