package load

import (
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

// resolveInherited checks the inherited-role declarations and derives their
// permissions on every table, parents first. It returns the declarations
// (role -> parents) for Policy.InheritedRoles.
func (ld *loader) resolveInherited() map[string][]string {
	decls := map[string]*inheritedDecl{}
	out := map[string][]string{}
	for i := range ld.inherit {
		d := &ld.inherit[i]
		decls[d.role] = d
		out[d.role] = d.parents
	}
	for _, d := range ld.inherit {
		for _, p := range d.parents {
			if !ld.roles[p] && decls[p] == nil {
				// Hasura declares no roles: a parent without permissions
				// gives nothing, and may well be a typo.
				ld.notef("%s: role_set of %s names role %s, which has no permission on any table and is not an inherited role: it adds nothing",
					d.loc.key("role_set").source(), d.role, p)
			}
		}
	}

	// Order parents first; report cycles.
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	bad := map[string]bool{}
	var order []*inheritedDecl
	var stack []string
	var visit func(role string) bool
	visit = func(role string) bool {
		d := decls[role]
		if d == nil {
			return true
		}
		switch state[role] {
		case done:
			return !bad[role]
		case visiting:
			cycle := append(slices.Clone(stack[slices.Index(stack, role):]), role)
			for _, r := range cycle[:len(cycle)-1] {
				bad[r] = true
				cd := decls[r]
				obj := &model.Inconsistency{Kind: "inherited role", Name: r, Source: cd.loc.source()}
				if ld.consistent(obj, func() {
					ld.problemf(cd.loc, cd.node, "inherited roles form a cycle: %s", strings.Join(cycle, " -> "))
				}) || ld.cfg.strict {
					continue
				}
				ld.badRoles[r] = obj
			}
			return false
		}
		state[role] = visiting
		stack = append(stack, role)
		ok := true
		for _, p := range d.parents {
			if !visit(p) {
				ok = false
			}
		}
		stack = stack[:len(stack)-1]
		state[role] = done
		if !ok {
			bad[role] = true
			return false
		}
		order = append(order, d)
		return true
	}
	for _, d := range ld.inherit {
		visit(d.role)
	}

	tables := make([]*model.Table, 0, len(ld.tables))
	for _, t := range ld.tables {
		tables = append(tables, t)
	}
	sort.Slice(tables, func(i, j int) bool { return tables[i].Name.Less(tables[j].Name) })
	for _, d := range order {
		for _, t := range tables {
			ld.inheritOn(t, d)
		}
	}
	// A role in a cycle has no permission anywhere: every request with it
	// is refused naming the cycle (unless it has its own permission).
	for role, obj := range ld.badRoles {
		for _, t := range tables {
			for _, op := range model.Operations {
				if _, explicit := t.Permissions[op][role]; !explicit {
					i := *obj
					i.Table, i.Op = t.Name, op
					setInconsistent(t, &i)
				}
			}
		}
	}
	return out
}

// inheritOn derives the permissions of one inherited role on one table. An
// explicit permission of the role wins.
func (ld *loader) inheritOn(t *model.Table, d *inheritedDecl) {
	for _, op := range model.Operations {
		// An explicit permission wins, and so does an explicit one that is
		// inconsistent: the role is refused there, never given its parents'
		// permission instead of its own.
		if _, explicit := t.Permissions[op][d.role]; explicit {
			continue
		}
		if _, explicit := t.Inconsistent[op][d.role]; explicit {
			continue
		}
		var from []*model.Permission
		var names []string
		var broken *model.Inconsistency
		for _, p := range d.parents {
			if perm := t.Permissions[op][p]; perm != nil {
				from = append(from, perm)
				names = append(names, p)
			} else if i := t.Inconsistent[op][p]; i != nil && broken == nil {
				broken = i
			}
		}
		bad := &model.Inconsistency{Kind: "permission", Table: t.Name, Name: d.role, Op: op, Source: d.loc.source()}
		if broken != nil {
			// Deciding without the parent's permission would silently
			// change what the role may do.
			if !ld.consistent(bad, func() {
				ld.problemf(d.loc, d.node, "inherited role %s: its parent's %s is inconsistent, so the role's %s permission on %s cannot be derived",
					d.role, broken, op, t.Name)
			}) && !ld.cfg.strict {
				setInconsistent(t, bad)
			}
			continue
		}
		if len(from) == 0 {
			continue
		}
		if op == model.OpSelect {
			setPermission(t, combineSelect(d, from, names))
			continue
		}
		// Mutations: inherited only when every parent that has one has the
		// same permission (Hasura's rule); otherwise the role needs its own.
		consistent := ld.consistent(bad, func() {
			for i := 1; i < len(from); i++ {
				if !samePermission(from[0], from[i]) {
					ld.problemf(d.loc, d.node,
						"inherited role %s: the %s permissions of its parents %s and %s on %s differ; define an explicit %s permission for %s on %s",
						d.role, op, names[0], names[i], t.Name, op, d.role, t.Name)
					break
				}
			}
		})
		if !consistent && !ld.cfg.strict {
			setInconsistent(t, bad)
		}
		if consistent {
			p := *from[0]
			p.Role, p.Inherited, p.Source = d.role, names, d.loc.source()
			setPermission(t, &p)
		}
	}
}

// combineSelect derives an inherited select permission: the OR of the
// parents' filters, the union of their columns, with a condition on each
// column that not every parent grants unconditionally; the largest limit
// (none if a parent has none); aggregations if any parent allows them.
func combineSelect(d *inheritedDecl, from []*model.Permission, names []string) *model.Permission {
	p := &model.Permission{Role: d.role, Op: model.OpSelect, Inherited: names, Source: d.loc.source()}
	filters := make([]model.BoolExp, len(from))
	cols := map[string]bool{}
	noLimit := false
	for i, f := range from {
		filters[i] = f.Filter
		for _, c := range f.Columns {
			cols[c] = true
		}
		switch {
		case f.Limit == nil:
			noLimit = true
		case p.Limit == nil || *f.Limit > *p.Limit:
			v := *f.Limit
			p.Limit = &v
		}
		p.AllowAggregations = p.AllowAggregations || f.AllowAggregations
		p.QueryRootFields = unionRootFields(p.QueryRootFields, f.QueryRootFields, i == 0)
		p.SubscriptionRootFields = unionRootFields(p.SubscriptionRootFields, f.SubscriptionRootFields, i == 0)
	}
	if noLimit {
		p.Limit = nil
	}
	p.Filter = orOf(filters)
	// A computed field is granted when every contributing parent grants it
	// (Warden has no per-row condition for it, so never more).
	for _, cf := range from[0].ComputedFields {
		all := true
		for _, f := range from[1:] {
			all = all && slices.Contains(f.ComputedFields, cf)
		}
		if all {
			p.ComputedFields = append(p.ComputedFields, cf)
		}
	}
	for c := range cols {
		p.Columns = append(p.Columns, c)
	}
	sort.Strings(p.Columns)
	for _, c := range p.Columns {
		// The column is visible where some granting parent's condition
		// holds: its own column condition if it has one, else its filter.
		var conds []model.BoolExp
		unconditional := true
		for _, f := range from {
			if !slices.Contains(f.Columns, c) {
				unconditional = false
				continue
			}
			if cc, ok := f.ColumnConditions[c]; ok {
				conds = append(conds, cc)
				unconditional = false
			} else {
				conds = append(conds, f.Filter)
			}
		}
		if !unconditional {
			if p.ColumnConditions == nil {
				p.ColumnConditions = map[string]model.BoolExp{}
			}
			p.ColumnConditions[c] = orOf(conds)
		}
	}
	return p
}

func orOf(items []model.BoolExp) model.BoolExp {
	if len(items) == 1 {
		return items[0]
	}
	return model.Or{Items: items}
}

// samePermission compares two permissions as the model, ignoring the role
// and where they come from.
func samePermission(a, b *model.Permission) bool {
	x, y := *a, *b
	for _, p := range []*model.Permission{&x, &y} {
		p.Role, p.Source, p.Inherited = "", model.Source{}, nil
	}
	return reflect.DeepEqual(x, y)
}

// unionRootFields combines a parent's query_root_fields (or
// subscription_root_fields) into the inherited role's: a root field is
// there when any parent has it, so a parent with every root field (nil)
// gives every one.
func unionRootFields(acc, parent map[string]bool, first bool) map[string]bool {
	if parent == nil || (!first && acc == nil) {
		return nil
	}
	out := make(map[string]bool, len(acc)+len(parent))
	for k := range acc {
		out[k] = true
	}
	for k := range parent {
		out[k] = true
	}
	return out
}
