package difftest

import (
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

// andOfOrs says whether e is an AND of at least two ORs of at least two
// items each.
func andOfOrs(e model.BoolExp) bool {
	and, ok := e.(model.And)
	if !ok {
		return false
	}
	ors := 0
	for _, it := range and.Items {
		if or, ok := it.(model.Or); ok && len(or.Items) >= 2 {
			ors++
		}
	}
	return ors >= 2
}

// nestedAndOfOrs says whether an AND of ORs occurs in e below an OR, a
// NOT, a relationship or an _exists.
func nestedAndOfOrs(e model.BoolExp, below bool) bool {
	if below && andOfOrs(e) {
		return true
	}
	switch x := e.(type) {
	case model.And:
		for _, it := range x.Items {
			if nestedAndOfOrs(it, below) {
				return true
			}
		}
	case model.Or:
		for _, it := range x.Items {
			if nestedAndOfOrs(it, true) {
				return true
			}
		}
	case model.Not:
		return nestedAndOfOrs(x.Item, true)
	case model.RelExists:
		return nestedAndOfOrs(x.Where, true)
	case model.Exists:
		return nestedAndOfOrs(x.Where, true)
	}
	return false
}

// TestGenerateAndsOfOrs: the generator writes rules shaped like real-world
// insert checks (an AND of several ORs), at the top of a rule and nested
// under ORs, NOTs and relationships, so that the differential test covers
// what partial evaluation used to multiply out.
func TestGenerateAndsOfOrs(t *testing.T) {
	var rules, top, nested, withRel int
	for seed := uint64(1); seed <= 100; seed++ {
		c := Generate(seed, DefaultLimits)
		for _, r := range c.Rules {
			if r.Role == "inherited" {
				continue
			}
			perm := c.Policy.Tables[r.Table].Permissions[r.Op][r.Role]
			for _, e := range []model.BoolExp{perm.Filter, perm.Check} {
				if e == nil {
					continue
				}
				rules++
				if andOfOrs(e) {
					top++
					if r.Depth > 0 {
						withRel++
					}
				}
				if nestedAndOfOrs(e, false) {
					nested++
				}
			}
		}
	}
	t.Logf("%d rules: %d an AND of ORs (%d of them in rules that read relationships), %d with one nested", rules, top, withRel, nested)
	if top < rules/8 || nested < rules/50 || withRel == 0 {
		t.Errorf("too few ANDs of ORs: %d of %d rules at the top (%d in rules that read relationships), %d nested", top, rules, withRel, nested)
	}
}
