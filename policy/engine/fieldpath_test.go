package engine

import (
	"fmt"
	"math/rand/v2"
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
