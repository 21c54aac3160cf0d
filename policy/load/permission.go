package load

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
	"go.yaml.in/yaml/v3"
)

// permKeys are the keys of each kind of permission: known ones are read,
// ignored ones are Hasura features that do not restrict rows or columns
// (root-field visibility, computed fields in the GraphQL schema).
var permKeys = map[model.Operation]struct{ known, ignored []string }{
	model.OpSelect: {
		known: []string{"columns", "filter", "limit", "allow_aggregations", "computed_fields",
			"query_root_fields", "subscription_root_fields"},
	},
	// Hasura also takes (and ignores) computed_fields on mutations: real
	// exports have it.
	model.OpInsert: {known: []string{"check", "set", "columns", "backend_only"}, ignored: []string{"computed_fields"}},
	model.OpUpdate: {known: []string{"columns", "filter", "check", "set", "backend_only"}, ignored: []string{"computed_fields"}},
	model.OpDelete: {known: []string{"filter", "backend_only"}, ignored: []string{"computed_fields"}},
}

// permissions reads a table entry's four permission lists.
func (ld *loader) permissions(e *tableEntry) {
	t := e.table
	for _, op := range model.Operations {
		key := op.String() + "_permissions"
		l := e.loc.key(key)
		items, _ := ld.list(e.keys[key], l, key)
		seen := map[string]bool{}
		for i, it := range items {
			el := l.index(i)
			k, _ := ld.object(it, el, "permission entry", []string{"role", "permission"}, []string{"comment"})
			if k == nil {
				continue
			}
			role, ok := ld.str(k["role"], el.key("role"), "role")
			if !ok {
				continue
			}
			el = l.sel("role", role)
			if seen[role] {
				ld.problemf(el, it, "role %s has more than one %s permission on %s", role, op, t.Name)
				continue
			}
			seen[role] = true
			bad := &model.Inconsistency{Kind: "permission", Table: t.Name, Name: role, Op: op, Source: el.source()}
			if role == model.AdminRole {
				// Listed, and never looked up: admin bypasses every rule.
				ld.consistent(bad, func() {
					ld.problemf(el.key("role"), k["role"], "no permission may be defined for role admin: admin bypasses every rule")
				})
				continue
			}
			ld.roles[role] = true
			var p *model.Permission
			good := ld.consistent(bad, func() {
				if k["permission"] == nil {
					ld.problemf(el, it, "the entry has no permission")
					return
				}
				p = ld.permission(t, op, role, k["permission"], el)
			})
			switch {
			case good && p != nil:
				setPermission(t, p)
			case !ld.cfg.strict:
				setInconsistent(t, bad)
			}
		}
	}
}

func setInconsistent(t *model.Table, i *model.Inconsistency) {
	if t.Inconsistent == nil {
		t.Inconsistent = map[model.Operation]map[string]*model.Inconsistency{}
	}
	if t.Inconsistent[i.Op] == nil {
		t.Inconsistent[i.Op] = map[string]*model.Inconsistency{}
	}
	t.Inconsistent[i.Op][i.Name] = i
}

func setPermission(t *model.Table, p *model.Permission) {
	if t.Permissions[p.Op] == nil {
		t.Permissions[p.Op] = map[string]*model.Permission{}
	}
	t.Permissions[p.Op][p.Role] = p
}

// permission reads one permission object; entry locates its list entry.
func (ld *loader) permission(t *model.Table, op model.Operation, role string, n *yaml.Node, entry loc) *model.Permission {
	l := entry.key("permission")
	what := op.String() + " permission"
	fields, ok := ld.fields(n, l, what)
	if fields == nil && !ok {
		return nil
	}
	spec := permKeys[op]
	keys := map[string]*yaml.Node{}
	for _, f := range fields {
		switch {
		case contains(spec.known, f.key) && isNull(deref(f.val)):
			// null is absent, as Hasura reads it (check: null on update).
		case contains(spec.known, f.key):
			keys[f.key] = f.val
		case contains(spec.ignored, f.key):
		case f.key == "validate_input":
			ld.problemf(l.key(f.key), f.keyNode, "validate_input (input validation webhooks) is not supported")
			ok = false
		default:
			ld.problemf(l.key(f.key), f.keyNode, "unknown key %q in %s (want one of %s)",
				f.key, what, strings.Join(append(append([]string{}, spec.known...), spec.ignored...), ", "))
			ok = false
		}
	}
	p := &model.Permission{Role: role, Op: op, Source: entry.source()}
	required := func(key string) *yaml.Node {
		if keys[key] == nil {
			ld.problemf(l, n, "%s needs %s", what, key)
			ok = false
		}
		return keys[key]
	}
	rule := func(key string) model.BoolExp {
		e := ld.boolExp(keys[key], l.key(key), t)
		if e == nil {
			ok = false
		}
		return e
	}
	switch op {
	case model.OpSelect, model.OpUpdate:
		if c := required("columns"); c != nil {
			p.Columns = ld.permColumns(t, c, l.key("columns"), &ok)
		}
	case model.OpInsert:
		if c := keys["columns"]; c != nil {
			p.Columns = ld.permColumns(t, c, l.key("columns"), &ok)
		} else {
			p.Columns = allColumns(t)
		}
	}
	if op != model.OpInsert && required("filter") != nil {
		p.Filter = rule("filter")
	}
	switch {
	case op == model.OpInsert && required("check") != nil:
		p.Check = rule("check")
	case op == model.OpUpdate && keys["check"] != nil:
		p.Check = rule("check")
	case op == model.OpUpdate:
		p.Check = model.True{}
	}
	if s := keys["set"]; s != nil {
		p.Set = ld.presets(t, s, l.key("set"), &ok)
	}
	if v := keys["computed_fields"]; v != nil {
		p.ComputedFields = ld.permComputedFields(t, v, l.key("computed_fields"), &ok)
	}
	if v := keys["limit"]; v != nil {
		p.Limit = ld.limit(v, l.key("limit"), &ok)
	}
	if v := keys["allow_aggregations"]; v != nil {
		b, good := ld.boolean(v, l.key("allow_aggregations"), "allow_aggregations")
		p.AllowAggregations, ok = b, ok && good
	}
	if v := keys["query_root_fields"]; v != nil {
		p.QueryRootFields = ld.rootFieldList(v, l.key("query_root_fields"), queryRootKinds, &ok)
	}
	if v := keys["subscription_root_fields"]; v != nil {
		p.SubscriptionRootFields = ld.rootFieldList(v, l.key("subscription_root_fields"), subscriptionRootKinds, &ok)
	}
	if v := keys["backend_only"]; v != nil {
		b, good := ld.boolean(v, l.key("backend_only"), "backend_only")
		p.BackendOnly, ok = b, ok && good
	}
	if !ok {
		return nil
	}
	return p
}

// permColumns reads "*" or a list of column names; the result is sorted
// without duplicates.
func (ld *loader) permColumns(t *model.Table, n *yaml.Node, l loc, ok *bool) []string {
	if s := deref(n); isString(s) && s.Value == "*" {
		return allColumns(t)
	}
	if isNull(deref(n)) {
		ld.problemf(l, n, `columns must be a list of column names or "*"`)
		*ok = false
		return nil
	}
	names, good := ld.strList(n, l, "columns")
	if !good {
		*ok = false
		return nil
	}
	set := map[string]bool{}
	for i, name := range names {
		if _, found := t.Column(name); found {
			set[name] = true
			continue
		}
		*ok = false
		if _, rel := t.Relationships[name]; rel {
			ld.problemf(l.index(i), elem(n, i), "%s is a relationship, not a column of %s", name, t.Name)
		} else {
			ld.problemf(l.index(i), elem(n, i), "%q is not a column of %s (columns: %s)", name, t.Name, columnList(t))
		}
	}
	out := make([]string, 0, len(set))
	for name := range set {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func allColumns(t *model.Table) []string {
	out := t.ColumnNames()
	sort.Strings(out)
	return out
}

// presets reads set: {column: value}; a value starting with x-hasura- is a
// session variable, anything else a literal of the column's type.
func (ld *loader) presets(t *model.Table, n *yaml.Node, l loc, ok *bool) map[string]model.Value {
	fields, good := ld.fields(n, l, "set")
	if !good {
		*ok = false
	}
	if len(fields) == 0 {
		return nil
	}
	out := make(map[string]model.Value, len(fields))
	for _, f := range fields {
		fl := l.key(f.key)
		c, found := t.Column(f.key)
		if !found {
			ld.problemf(fl, f.keyNode, "%q is not a column of %s (columns: %s)", f.key, t.Name, columnList(t))
			*ok = false
			continue
		}
		if c.Type.Kind == model.KindUnknown {
			*ok = false
			continue
		}
		if s := deref(f.val); isString(s) && isSessionVar(s.Value) {
			out[f.key] = model.SessionVar{Name: strings.ToLower(s.Value), Kind: c.Type.Kind, Type: c.Type}
			continue
		}
		if s := deref(f.val); isString(s) && model.IsClockKind(c.Type.Kind) {
			if w, ok := model.ClockWord(s.Value); ok {
				out[f.key] = model.SessionVar{Name: model.ClockPrefix + w, Kind: c.Type.Kind, Type: c.Type, Clock: w}
				continue
			}
		}
		budget := ld.cfg.maxNodes
		v, err := jsonValue(f.val, &budget)
		if errors.Is(err, errTooBig) {
			err = fmt.Errorf("the value has more than %d nodes", ld.cfg.maxNodes)
		}
		if err == nil {
			v, err = model.CoerceJSON(c.Type.Kind, v)
		}
		if err == nil {
			// A preset is written to the row, so it keeps its case.
			v, err = model.Normalize(c.Type, v, false)
		}
		if err == nil && v != nil {
			// ... and is read by PostgreSQL: an interval, timetz or
			// money preset is its PostgreSQL text, not Warden's key.
			v, err = model.CanonPG(c.Type, v)
		}
		switch {
		case err != nil:
			ld.problemf(fl, f.val, "invalid preset for column %s (%s): %v", c.Name, c.Type.Kind, err)
			*ok = false
		case v == nil && !c.Nullable:
			ld.problemf(fl, f.val, "preset null for column %s, which is not nullable", c.Name)
			*ok = false
		default:
			out[f.key] = model.Literal{V: v}
		}
	}
	return out
}

// limit reads a non-negative integer; null means no limit.
func (ld *loader) limit(n *yaml.Node, l loc, ok *bool) *int {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		if v, err := strconv.Atoi(n.Value); err == nil && v >= 0 {
			return &v
		}
	}
	ld.problemf(l, n, "limit must be a non-negative integer, got %s", describe(n))
	*ok = false
	return nil
}
