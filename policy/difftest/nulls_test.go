package difftest

import (
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

// minCoverageSeeds is the number of seeds from which a run must have met
// every case the differential test is meant to cover.
const minCoverageSeeds = 100

// emptyListNulls counts the rows of one rule and session where a negated
// _in of the rule's root row (_nin, or _in under an odd number of _not)
// over an empty list (a literal [] or an array variable sent as {}) meets
// a NULL column, and how many of those rows the rule allowed. Hasura's
// NOT (c = ANY('{}')) is TRUE there, so such rows must reach the
// databases for the test to prove that Check and each dialect's SQL agree
// on them.
func emptyListNulls(p *model.Policy, rule Rule, vars map[string]string, rows []map[string]any, allowed []bool) (seen, passed int) {
	perm := p.Tables[rule.Table].Permissions[rule.Op][rule.Role]
	if perm == nil {
		return 0, 0
	}
	e := perm.Filter
	if e == nil {
		e = perm.Check
	}
	var cols []string
	var walk func(e model.BoolExp, neg bool)
	walk = func(e model.BoolExp, neg bool) {
		switch x := e.(type) {
		case model.And:
			for _, it := range x.Items {
				walk(it, neg)
			}
		case model.Or:
			for _, it := range x.Items {
				walk(it, neg)
			}
		case model.Not:
			walk(x.Item, !neg)
		case model.Compare:
			if x.Op != model.OpIn && x.Op != model.OpNin || (x.Op == model.OpNin) == neg {
				return
			}
			empty := false
			switch v := x.Value.(type) {
			case model.Literal:
				l, ok := v.V.([]any)
				empty = ok && len(l) == 0
			case model.SessionVar:
				s, ok := vars[v.Name]
				empty = ok && strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "{"), "}")) == ""
			}
			if empty {
				cols = append(cols, x.Column.Name)
			}
		}
	}
	if e != nil {
		walk(e, false)
	}
	if len(cols) == 0 {
		return 0, 0
	}
	for i, row := range rows {
		for _, c := range cols {
			if v, ok := row[c]; ok && v == nil {
				seen++
				if allowed[i] {
					passed++
				}
				break
			}
		}
	}
	return seen, passed
}
