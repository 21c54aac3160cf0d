package engine

import (
	"sync"
	"sync/atomic"

	"github.com/wardenpdp/warden/policy/residual"
)

// FilterUnbound is a FilterResult's permission template with the
// request's values: its Predicate, Check and ColumnConditions are the
// template's trees (residual.Param operands) with Values[i] in place of
// Params[i] (residual.BindFolded without folding).
type FilterUnbound struct {
	Predicate, Check residual.Expr
	ColumnConditions map[string]residual.Expr
	Params           []residual.Param
	Values           []any
	// Cache is the permission's cache for what renderers make of the
	// template; it lives as long as the Set.
	Cache *TemplateCache
}

// TemplateCache holds what a renderer made of one permission's template
// (the SQL of the permission for some options), bounded in size: at most
// templateCachePerPermission entries per permission and
// templateCacheTotal per Set. Safe for concurrent use; a Load takes no
// lock.
type TemplateCache struct {
	m     sync.Map // key -> *cacheEntry
	n     atomic.Int64
	total *atomic.Int64
	// hot is the entry found last: requests of one permission mostly
	// ask with the same options, and comparing one key is cheaper than
	// the map's hashing and walk.
	hot atomic.Pointer[cacheEntry]
	// once is Once's value.
	once atomic.Pointer[onceValue]
}

type onceValue struct{ v any }

type cacheEntry struct{ key, v any }

// The bounds of TemplateCache.
const (
	templateCachePerPermission = 64
	templateCacheTotal         = 8192
)

// Load returns the value stored for key.
func (c *TemplateCache) Load(key any) (any, bool) {
	if e := c.hot.Load(); e != nil && e.key == key {
		return e.v, true
	}
	e, ok := c.m.Load(key)
	if !ok {
		return nil, false
	}
	ce := e.(*cacheEntry)
	c.hot.Store(ce)
	return ce.v, true
}

// Store stores v for key unless the cache is full, and returns the value
// now stored for key (another's, stored first, or v) and whether there is
// one.
func (c *TemplateCache) Store(key, v any) (any, bool) {
	if old, ok := c.m.Load(key); ok {
		return old.(*cacheEntry).v, true
	}
	if c.n.Add(1) > templateCachePerPermission {
		c.n.Add(-1)
		return nil, false
	}
	if c.total != nil && c.total.Add(1) > templateCacheTotal {
		c.total.Add(-1)
		c.n.Add(-1)
		return nil, false
	}
	old, loaded := c.m.LoadOrStore(key, &cacheEntry{key: key, v: v})
	if loaded {
		c.n.Add(-1)
		if c.total != nil {
			c.total.Add(-1)
		}
	}
	return old.(*cacheEntry).v, true
}

// Once returns what build returned at the first call: one value per
// permission that depends on the template only, not on a renderer's
// options (package server's plans of the trees). It is not an entry:
// the bounds do not count it. build may run more than once when calls
// race; every call returns the value stored first.
func (c *TemplateCache) Once(build func() any) any {
	if v := c.once.Load(); v != nil {
		return v.v
	}
	c.once.CompareAndSwap(nil, &onceValue{v: build()})
	return c.once.Load().v
}

// Len returns the number of entries stored.
func (c *TemplateCache) Len() int { return int(c.n.Load()) }

// Full says whether Store would store nothing new now.
func (c *TemplateCache) Full() bool {
	return c.n.Load() >= templateCachePerPermission || c.total != nil && c.total.Load() >= templateCacheTotal
}

// Bind fills Predicate, Check and ColumnConditions from Unbound when
// FilterInput.DeferBinding left them nil, as Filter would have bound
// them; otherwise it does nothing.
func (r *FilterResult) Bind() error {
	u := r.Unbound
	if r.Predicate != nil || u == nil {
		return nil
	}
	pred, err := residual.Bind(u.Predicate, u.Params, u.Values)
	if err != nil {
		return err
	}
	var check residual.Expr
	if u.Check != nil {
		if check, err = residual.Bind(u.Check, u.Params, u.Values); err != nil {
			return err
		}
	}
	var conds map[string]residual.Expr
	if len(u.ColumnConditions) > 0 {
		conds = make(map[string]residual.Expr, len(u.ColumnConditions))
		for col, e := range u.ColumnConditions {
			if conds[col], err = residual.Bind(e, u.Params, u.Values); err != nil {
				return err
			}
		}
	}
	r.Predicate, r.Check, r.ColumnConditions = pred, check, conds
	return nil
}

// hasClock says whether a session value is the database's clock.
func hasClock(vals []any) bool {
	for _, v := range vals {
		if _, ok := v.(residual.Clock); ok {
			return true
		}
	}
	return false
}
