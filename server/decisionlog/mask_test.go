package decisionlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

// referenceMask is applyMask's session part as it was before the mask
// cached its variables: what every event must still hold.
func referenceMask(keep map[string]bool, e *Event, session map[string]string) {
	for k, v := range session {
		e.SessionNames = append(e.SessionNames, k)
		if keep[strings.ToLower(k)] {
			if e.Session == nil {
				e.Session = make(map[string]string)
			}
			e.Session[k] = v
		} else {
			e.Erased = append(e.Erased, "/input/session/"+pointerEscape(k))
		}
	}
	slices.Sort(e.SessionNames)
	slices.Sort(e.Erased)
}

// The cached mask gives every event the session names, kept values and
// erased paths (and so the JSON) the uncached one gave: one variable or
// several, names that need escaping (whose paths sort differently from
// the names), kept ones in any case, and names beyond the cache's bound.
// The cache stays bounded.
func TestMaskCacheMatchesReference(t *testing.T) {
	keepList := []string{"X-Hasura-Org-Id", "a/b"}
	l := New(Config{Mask: Mask{SessionVars: keepList}, Recent: -1})
	keep := map[string]bool{}
	for _, k := range keepList {
		keep[strings.ToLower(k)] = true
	}
	sessions := []map[string]string{
		nil,
		{},
		{"x-hasura-user-id": "alice"},
		{"x-hasura-org-id": "7"},
		{"x-hasura-user-id": "alice", "x-hasura-org-id": "7", "x-hasura-role": "user"},
		{"a/b": "1", "a0": "2", "a~": "3", "a~1": "4", "a/c": "5", "a": "6", "A/B": "7"},
		{"a/c": "1", "a0": "2"},
		{"~": "1", "/": "2", "0": "3", "}": "4"},
		{"X-Hasura-ORG-Id": "8", "x-hasura-org-id": "9", "pw": "secret"},
	}
	// Enough distinct names to fill the cache, then more beyond it.
	for i := range 3 * maxVarCache / 4 {
		sessions = append(sessions, map[string]string{fmt.Sprintf("v%d/x", i): "secret", fmt.Sprintf("v%d~", i): "secret", "x-hasura-org-id": "7"})
	}
	for round := range 2 { // the second round reads the cache
		for _, s := range sessions {
			got, want := event("d", "user", "allow"), event("d", "user", "allow")
			l.applyMask(got, s, nil)
			referenceMask(keep, want, s)
			if !reflect.DeepEqual(got.SessionNames, want.SessionNames) || !reflect.DeepEqual(got.Session, want.Session) || !reflect.DeepEqual(got.Erased, want.Erased) {
				t.Fatalf("round %d, session %v: names %q session %v erased %q; want %q %v %q", round, s,
					got.SessionNames, got.Session, got.Erased, want.SessionNames, want.Session, want.Erased)
			}
			gj, err1 := json.Marshal(got)
			wj, err2 := json.Marshal(want)
			if err1 != nil || err2 != nil || !bytes.Equal(gj, wj) {
				t.Fatalf("session %v: JSON %s, want %s (%v %v)", s, gj, wj, err1, err2)
			}
			if strings.Contains(string(gj), "secret") || strings.Contains(string(gj), "alice") {
				t.Fatalf("masked value in %s", gj)
			}
		}
	}
	if c := l.mask.cache.Load(); c == nil || len(*c) != maxVarCache {
		t.Errorf("cache holds %v names, want %d (full, no more)", c, maxVarCache)
	}
}

// KeepsRowValues is true as soon as the keep list names a column, for
// every table or for one: false would leave kept values out of events.
func TestKeepsRowValues(t *testing.T) {
	for _, c := range []struct {
		cols []string
		want bool
	}{{nil, false}, {[]string{"id"}, true}, {[]string{"public.articles.status"}, true}, {[]string{"articles.status"}, true}} {
		l := New(Config{Mask: Mask{Columns: c.cols, SessionVars: []string{"x"}}, Recent: -1})
		if got := l.KeepsRowValues(); got != c.want {
			t.Errorf("columns %q: KeepsRowValues() = %v, want %v", c.cols, got, c.want)
		}
	}
	if (*Logger)(nil).KeepsRowValues() {
		t.Error("a nil Logger keeps row values")
	}
}

// Calls mask at once while the cache fills (run with -race): each sees
// what the uncached mask gives, and the cache stays bounded.
func TestMaskCacheConcurrent(t *testing.T) {
	l := New(Config{Mask: Mask{SessionVars: []string{"keep"}}, Recent: -1})
	keep := map[string]bool{"keep": true}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range maxVarCache {
				s := map[string]string{fmt.Sprintf("n%d/%d", i, g%2): "secret", "keep": "v", fmt.Sprintf("m%d", i): "secret"}
				got, want := event("d", "user", "allow"), event("d", "user", "allow")
				l.applyMask(got, s, nil)
				referenceMask(keep, want, s)
				if !reflect.DeepEqual(got.SessionNames, want.SessionNames) || !reflect.DeepEqual(got.Session, want.Session) || !reflect.DeepEqual(got.Erased, want.Erased) {
					t.Errorf("session %v: names %q session %v erased %q", s, got.SessionNames, got.Session, got.Erased)
					return
				}
			}
		})
	}
	wg.Wait()
	if c := l.mask.cache.Load(); c == nil || len(*c) != maxVarCache {
		t.Errorf("cache holds %d names, want %d", len(*c), maxVarCache)
	}
}
