package permtest

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

// PermissionCoverage is what the tests asked of one permission (a role's
// permission for one operation on one table).
type PermissionCoverage struct {
	Table     string `json:"table"`
	Operation string `json:"operation"`
	Role      string `json:"role"`
	// Outcomes are the answers seen (allow, deny, needs_data, conditional,
	// always_allowed, always_denied, error), sorted; empty when no test
	// asked.
	Outcomes []string `json:"outcomes"`
	// Leaves are the rule's comparisons seen in Check's explanations of
	// the tests' rows, each with the outcomes seen (true, false, unknown).
	Leaves []LeafCoverage `json:"leaves,omitempty"`
}

// LeafCoverage is one comparison of a rule and the outcomes the tests
// gave it.
type LeafCoverage struct {
	Leaf     string   `json:"leaf"`
	Outcomes []string `json:"outcomes"`
}

// Coverage is the permissions of a policy set and what the tests asked of
// each.
type Coverage struct {
	Permissions []PermissionCoverage `json:"permissions"`
	// Exercised counts the permissions some test asked about; Percent is
	// their share.
	Exercised int     `json:"exercised"`
	Percent   float64 `json:"percent"`
}

// Measure computes the coverage of the policy's permissions by results.
func Measure(p *model.Policy, rs []*Result) Coverage {
	type key struct {
		t    model.TableName
		op   model.Operation
		role string
	}
	seen := map[key]map[string]bool{}
	leafSeen := map[key]map[string]map[string]bool{}
	for _, r := range rs {
		for _, c := range r.Calls {
			k := key{c.Table, c.Operation, c.Role}
			if seen[k] == nil {
				seen[k] = map[string]bool{}
				leafSeen[k] = map[string]map[string]bool{}
			}
			seen[k][c.Outcome] = true
			for _, l := range c.Leaves {
				if leafSeen[k][l.Key] == nil {
					leafSeen[k][l.Key] = map[string]bool{}
				}
				leafSeen[k][l.Key][l.Outcome] = true
			}
		}
	}
	var cov Coverage
	for _, t := range p.SortedTables() {
		for _, op := range []model.Operation{model.OpSelect, model.OpInsert, model.OpUpdate, model.OpDelete} {
			roles := make([]string, 0, len(t.Permissions[op]))
			for role := range t.Permissions[op] {
				roles = append(roles, role)
			}
			sort.Strings(roles)
			for _, role := range roles {
				pc := PermissionCoverage{Table: t.Name.String(), Operation: op.String(), Role: role, Outcomes: []string{}}
				for o := range seen[key{t.Name, op, role}] {
					pc.Outcomes = append(pc.Outcomes, o)
				}
				sort.Strings(pc.Outcomes)
				ls := leafSeen[key{t.Name, op, role}]
				for _, l := range sortedKeys(ls) {
					lc := LeafCoverage{Leaf: l, Outcomes: sortedKeys(ls[l])}
					pc.Leaves = append(pc.Leaves, lc)
				}
				if len(pc.Outcomes) > 0 {
					cov.Exercised++
				}
				cov.Permissions = append(cov.Permissions, pc)
			}
		}
	}
	if n := len(cov.Permissions); n > 0 {
		cov.Percent = 100 * float64(cov.Exercised) / float64(n)
	}
	return cov
}

// WriteUncovered lists the permissions no test asked about, and those
// whose rows the tests only ever saw allowed or only denied.
func (c Coverage) WriteUncovered(w io.Writer) {
	fmt.Fprintf(w, "coverage: %d of %d permissions exercised (%.1f%%)\n", c.Exercised, len(c.Permissions), c.Percent)
	for _, p := range c.Permissions {
		name := fmt.Sprintf("%s %s %s", p.Table, p.Operation, p.Role)
		has := func(o string) bool {
			for _, x := range p.Outcomes {
				if x == o {
					return true
				}
			}
			return false
		}
		switch {
		case len(p.Outcomes) == 0:
			fmt.Fprintf(w, "  not exercised:      %s\n", name)
		case has("allow") && !has("deny"):
			fmt.Fprintf(w, "  never denies a row: %s (seen: %s)\n", name, strings.Join(p.Outcomes, ", "))
		case has("deny") && !has("allow"):
			fmt.Fprintf(w, "  never allows a row: %s (seen: %s)\n", name, strings.Join(p.Outcomes, ", "))
		}
		for _, l := range p.Leaves {
			if !slices.Contains(l.Outcomes, "true") || !slices.Contains(l.Outcomes, "false") {
				fmt.Fprintf(w, "  comparison only ever %s: %s: %s\n", strings.Join(l.Outcomes, "/"), name, l.Leaf)
			}
		}
	}
}
