package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// TestFilterUnbound: a result carries its template exactly when binding
// kept the template's shape, and the template's cache lives with the set.
func TestFilterUnbound(t *testing.T) {
	ctx := context.Background()
	set, err := New(ctx, handPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	articles := model.TableName{Schema: "public", Name: "articles"}
	vars := map[string]string{"x-hasura-user-id": "1", "x-hasura-allowed-ids": "{1,2}"}
	filter := func(set *Set, role string, op model.Operation, vars map[string]string) *FilterResult {
		t.Helper()
		res, err := set.Filter(ctx, FilterInput{Session: Session{Role: role, Vars: vars}, Table: articles, Op: op})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := filter(set, "user", model.OpInsert, vars)
	u := res.Unbound
	if u == nil || u.Cache == nil {
		t.Fatalf("insert with {1,2}: no template")
	}
	bound, folded, err := residual.BindFolded(u.Predicate, u.Params, u.Values)
	if err != nil || folded || residual.String(bound) != residual.String(res.Predicate) {
		t.Errorf("the template binds to %s (folded %v, %v), the result is %s", residual.String(bound), folded, err, residual.String(res.Predicate))
	}
	if again := filter(set, "user", model.OpInsert, map[string]string{"x-hasura-user-id": "2", "x-hasura-allowed-ids": "{3}"}); again.Unbound == nil || again.Unbound.Cache != u.Cache {
		t.Errorf("another request of the permission has another cache")
	}
	if other := filter(set, "user", model.OpSelect, vars); other.Unbound == nil || other.Unbound.Cache == u.Cache {
		t.Errorf("another permission shares the cache")
	}
	// An empty list folds the _in: no template.
	if r := filter(set, "user", model.OpInsert, map[string]string{"x-hasura-user-id": "1", "x-hasura-allowed-ids": "{}"}); r.Unbound != nil {
		t.Errorf("insert with {}: a template, %s", residual.String(r.Unbound.Predicate))
	}
	if r := filter(set, "admin", model.OpSelect, nil); r.Unbound != nil {
		t.Errorf("admin: a template")
	}
	// A reload is another set: other caches.
	set2, err := New(ctx, handPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	if r := filter(set2, "user", model.OpInsert, vars); r.Unbound == nil || r.Unbound.Cache == u.Cache {
		t.Errorf("a new set shares the old set's cache")
	}
	if r := filter(fallbackSet(t, handPolicy(t)), "user", model.OpInsert, vars); r.Unbound != nil {
		t.Errorf("fallback: a template")
	}
	if !hasClock([]any{"a", residual.Clock{Word: "now"}}) || hasClock([]any{"a", nil}) {
		t.Errorf("hasClock")
	}
}

// TestTemplateCacheBounds: at most templateCachePerPermission entries per
// permission, templateCacheTotal per set, under concurrent stores.
func TestTemplateCacheBounds(t *testing.T) {
	var total atomic.Int64
	c := &TemplateCache{total: &total}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				key := [2]int{g % 2, i}
				v, ok := c.Store(key, i)
				if ok && v != i {
					t.Errorf("key %v: stored %v, want %v", key, v, i)
				}
			}
		}()
	}
	wg.Wait()
	n := 0
	c.m.Range(func(any, any) bool { n++; return true })
	if n != templateCachePerPermission || c.Len() != n || total.Load() != int64(n) || !c.Full() {
		t.Errorf("%d entries, Len %d, total %d, full %v; want %d", n, c.Len(), total.Load(), c.Full(), templateCachePerPermission)
	}
	if _, ok := c.Store("new", 1); ok {
		t.Errorf("stored beyond the bound")
	}
	// Which keys won the race is the scheduler's choice: take one.
	var stored any
	c.m.Range(func(k, _ any) bool { stored = k; return false })
	if v, ok := c.Store(stored, -1); !ok || v == -1 {
		t.Errorf("a stored key %v: %v %v", stored, v, ok)
	}
	// The set's total bounds every permission's.
	total.Store(templateCacheTotal)
	c2 := &TemplateCache{total: &total}
	if _, ok := c2.Store("k", 1); ok || !c2.Full() || c2.Len() != 0 {
		t.Errorf("stored beyond the set's bound")
	}
}

// TestTemplateCacheLoadHot: Load answers each key with its own value,
// whichever key was found last, and a key never stored with nothing.
func TestTemplateCacheLoadHot(t *testing.T) {
	c := &TemplateCache{}
	type key struct {
		alias string
		first int
	}
	keys := []key{{"t", 1}, {"t", 2}, {"u", 1}, {"", 0}}
	for i, k := range keys {
		if _, ok := c.Store(k, i); !ok {
			t.Fatalf("store %v", k)
		}
	}
	for round := range 3 {
		for i := range keys {
			k := keys[(i*(round+1))%len(keys)]
			want := (i * (round + 1)) % len(keys)
			for range 2 { // the second finds it hot
				if v, ok := c.Load(k); !ok || v != want {
					t.Fatalf("Load(%v) = %v, %v; want %d", k, v, ok, want)
				}
			}
			if v, ok := c.Load(key{"t", 9}); ok {
				t.Fatalf("Load of a key never stored = %v", v)
			}
		}
	}
}
