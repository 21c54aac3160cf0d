package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestFieldPathAsText checks a fieldPath against the text it stands for,
// through pushes and pops past the segments it holds in itself.
func TestFieldPathAsText(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	p := newFieldPath("values", 0)
	for round := range 200 {
		p.reset("values", round) // after the last round's deep walk
		want := []string{"rows[" + strconv.Itoa(round) + "].values"}
		for range 200 {
			if rng.IntN(3) > 0 || len(want) == 1 {
				if rng.IntN(2) == 0 {
					i := rng.IntN(5)
					p.push("", i)
					want = append(want, "["+strconv.Itoa(i)+"]")
				} else {
					name := "f" + strconv.Itoa(rng.IntN(50))
					p.push(name, 0)
					want = append(want, "."+name)
				}
			} else {
				p.pop()
				want = want[:len(want)-1]
			}
			if got := p.String(); got != strings.Join(want, "") {
				t.Fatalf("round %d: %q, want %q", round, got, strings.Join(want, ""))
			}
		}
	}
	if got := textPath("tables[public.t].rows[2]").String(); got != "tables[public.t].rows[2]" {
		t.Fatalf("textPath: %q", got)
	}
}

// TestMapArenaEmptyAfterRelease checks that every map an arena gives is
// empty, also when it gave it filled in an earlier call (the same maps,
// reused), that it keeps no more than maxArenaMaps, and that a nil arena
// makes maps anew.
func TestMapArenaEmptyAfterRelease(t *testing.T) {
	a := &mapArena{}
	first := ""
	for call := range 5 {
		for i := range 10 + call*maxArenaMaps/2 {
			m := a.get(4)
			if len(m) != 0 {
				t.Fatalf("call %d: map %d holds %v", call, i, m)
			}
			if i == 0 {
				if p := fmt.Sprintf("%p", m); first == "" {
					first = p
				} else if p != first {
					t.Fatalf("call %d: the arena made its first map anew instead of reusing it", call)
				}
			}
			m["stale"], m[strconv.Itoa(i)] = call, i
		}
		if len(a.maps) > maxArenaMaps {
			t.Fatalf("call %d: the arena keeps %d maps", call, len(a.maps))
		}
		a.empty() // release without the pool, which may hand back another arena
	}
	var none *mapArena
	if m := none.get(2); m == nil || len(m) != 0 {
		t.Fatalf("nil arena: %v", m)
	}
}

// TestMapArenaValues: the arena's copy of the session values holds them,
// eight or fewer in the arena itself and more in a slice kept for the
// next call; emptying the arena lets go of them.
func TestMapArenaValues(t *testing.T) {
	a := new(mapArena)
	for _, n := range []int{0, 3, 8, 12, 20} {
		vals := make([]any, n)
		for i := range vals {
			vals[i] = fmt.Sprint("v", i)
		}
		got := a.values(vals)
		if !slices.Equal(got, vals) {
			t.Fatalf("%d values: copy %v", n, got)
		}
		a.empty()
		for i, v := range append(a.vals[:], a.more[:cap(a.more)]...) {
			if v != nil {
				t.Fatalf("%d values: slot %d still holds %v after empty", n, i, v)
			}
		}
	}
	vals := make([]any, 12)
	if allocs := testing.AllocsPerRun(100, func() { a.values(vals); a.empty() }); allocs != 0 {
		t.Errorf("copying 12 values allocates %v times per call: more is not reused", allocs)
	}
}
