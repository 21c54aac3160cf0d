// Package compile turns a model.Policy into Rego modules (v1 syntax): one
// package per table and operation, rules per role.
//
// The shape of a module, for table public.articles and operation update:
//
//	package warden.tables.public.articles.update
//
//	# role user: databases/default/tables/public_articles.yaml update_permissions[role=user].permission.filter
//	filter["user"] if {
//		input.row.author_id == input.session.integer["x-hasura-user-id"]
//	}
//
//	check["user"] if { ... }                        # insert and update
//	columns["author_editor"] contains "email" if {…} # inherited-role nullification (select)
//
// filter holds for the current row (select, update, delete), check for the
// proposed row (insert) or the row after an update (update). Boolean
// expressions are compiled in negation normal form with SQL's three-valued
// logic made explicit: a comparison holds only when its operands are not
// NULL, so `_not` of a comparison never holds for a NULL column, exactly as
// a SQL WHERE clause behaves. The one comparison that is not NULL for a
// NULL column is Hasura's c = ANY(list) over an empty list (false): so
// _nin: [] (NOT (c = ANY('{}'))) holds for every row, NULL included, as
// in Hasura. Compound sub-expressions that a single rule
// body cannot hold (an _or under an _and, the negation of a relationship)
// become helper rules, or helper functions of the current related row.
//
// The input document a query is evaluated against:
//
//	input.row          the row (select, delete, update's current row, insert's proposed row)
//	input.new_row      update only: the row after the update
//	input.session.<kind>["x-hasura-..."]      a session variable coerced to a column kind
//	input.session["<kind>[]"]["x-hasura-..."] an array session variable ({1,2,3}), coerced per element
//	input.session.pattern["<op>:<name>"]      a session variable used as a like/similar pattern, as a regular expression
//	input.tables["schema.name"]               rows of another table, for _exists
//
// Values are always in the canonical form of model.Kind, produced in Go
// before evaluation, so the Rego compares like with like. A character(n)
// value arrives without its trailing spaces (as comparisons see it); the
// pattern operators match data.warden.lib.bpchar_pad(value, n), the value
// padded to n characters as PostgreSQL's LIKE and regular expressions see
// it.
package compile

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

// Module is one compiled Rego module.
type Module struct {
	// Path is "public/articles/select.rego".
	Path string
	// Package is the Rego package path, e.g. "warden.tables.public.articles.select".
	Package string
	Table   model.TableName
	Op      model.Operation
	// Source is the Rego text.
	Source string
	// Helpers are the module's helper rules and functions (any_N,
	// exists_N): a partial evaluation that keeps them out of inlining
	// (rego.DisableInlining with HelperRefs) gets a residual that grows
	// with the rule, instead of one that distributes every AND over the
	// ORs under it.
	Helpers []Helper
}

// Helper is a helper rule or function of a module.
type Helper struct {
	// Name is the rule's name ("any_3").
	Name string
	// Row is empty for a rule of the root row; for a function, the input
	// path of the row it is called with, "[_]" standing for any element
	// of an array relationship or table: `input.row.author`,
	// `input.row.comments[_].author`, `input.tables["public.users"][_]`.
	Row string
}

// HelperRefs returns the data references of m's helpers, for
// rego.DisableInlining.
func (m Module) HelperRefs() []string {
	out := make([]string, len(m.Helpers))
	for i, h := range m.Helpers {
		out[i] = m.HelperRef(h)
	}
	return out
}

// HelperRef returns the data reference of one of m's helpers.
func (m Module) HelperRef(h Helper) string { return "data." + m.Package + "." + h.Name }

// Rule names inside every module.
const (
	RuleFilter  = "filter"
	RuleCheck   = "check"
	RuleColumns = "columns"
)

// PackagePrefix is the package every compiled module lives under.
const PackagePrefix = "warden.tables"

// Compile compiles every table and operation of p that has at least one
// permission, plus the shared library module (LibModule). Modules are
// sorted by Path.
func Compile(p *model.Policy) ([]Module, error) {
	var out []Module
	for _, t := range p.SortedTables() {
		for _, op := range model.Operations {
			if len(t.Permissions[op]) == 0 {
				continue
			}
			m, err := CompileTable(t, op)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
	}
	out = append(out, LibModule())
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// PackagePath returns the Rego package path of a table's operation module,
// e.g. `warden.tables.public.articles.select`, quoting segments that are not
// plain identifiers (`warden.tables.public["my-table"].select`).
// A table qualified by its source (a name several sources track) has the
// source and a colon as its first segment
// (`warden.tables["other:"].public.articles.select`), which no schema name
// of an unqualified table can shadow unless it ends in a colon itself.
func PackagePath(t model.TableName, op model.Operation) string {
	prefix := PackagePrefix
	if t.Source != "" {
		prefix += refSegment(t.Source + ":")
	}
	return prefix + refSegment(t.Schema) + refSegment(t.Name) + refSegment(op.String())
}

// RuleRef returns the data reference of a rule for a role, ready to use as
// a query: data.<package>.<rule>["<role>"].
func RuleRef(t model.TableName, op model.Operation, rule, role string) string {
	return "data." + PackagePath(t, op) + "." + rule + "[" + quote(role) + "]"
}

// CompileTable compiles one table's permissions for one operation.
func CompileTable(t *model.Table, op model.Operation) (Module, error) {
	c := &compiler{}
	roles := make([]string, 0, len(t.Permissions[op]))
	for r := range t.Permissions[op] {
		roles = append(roles, r)
	}
	sort.Strings(roles)

	c.printf("# Compiled by Warden. Table %s, operation %s.\n", t.Name, op)
	c.printf("package %s\n", PackagePath(t.Name, op))
	for _, role := range roles {
		perm := t.Permissions[op][role]
		if err := c.permission(perm); err != nil {
			return Module{}, fmt.Errorf("%s %s role %s (%s): %w", t.Name, op, role, perm.Source, err)
		}
	}
	for _, h := range c.helpers {
		c.body.WriteString(h)
	}
	return Module{
		Path:    modulePath(t.Name, op),
		Package: PackagePath(t.Name, op),
		Table:   t.Name,
		Op:      op,
		Source:  c.body.String(),
		Helpers: c.names,
	}, nil
}

type compiler struct {
	body    strings.Builder
	helpers []string
	// names of the helpers, in the order they are defined.
	names  []Helper
	nextID int
}

func (c *compiler) printf(format string, args ...any) {
	fmt.Fprintf(&c.body, format, args...)
}

func (c *compiler) id() int {
	c.nextID++
	return c.nextID
}

func (c *compiler) permission(p *model.Permission) error {
	origin := p.Source.String()
	if len(p.Inherited) > 0 {
		origin = "inherited from " + strings.Join(p.Inherited, ", ")
	}
	root := "input.row"
	if p.Filter != nil {
		if err := c.topRule(RuleFilter, p.Role, "filter", origin, p.Filter, root); err != nil {
			return err
		}
	}
	if p.Check != nil {
		if p.Op == model.OpUpdate {
			root = "input.new_row"
		}
		if err := c.topRule(RuleCheck, p.Role, "check", origin, p.Check, root); err != nil {
			return err
		}
	}
	cols := make([]string, 0, len(p.ColumnConditions))
	for col := range p.ColumnConditions {
		cols = append(cols, col)
	}
	sort.Strings(cols)
	for _, col := range cols {
		bodies, err := c.disjuncts(nnf(p.ColumnConditions[col], false), scope{root: "input.row", cur: "input.row", row: "input.row"})
		if err != nil {
			return fmt.Errorf("column %s: %w", col, err)
		}
		c.printf("\n# role %s: column %s only where a granting parent's filter holds\n", p.Role, col)
		for _, b := range bodies {
			c.printf("%s[%s] contains %s if {\n%s}\n", RuleColumns, quote(p.Role), quote(col), indent(b))
		}
	}
	return nil
}

// topRule writes one rule body per top-level disjunct of e.
func (c *compiler) topRule(rule, role, what, origin string, e model.BoolExp, root string) error {
	bodies, err := c.disjuncts(nnf(e, false), scope{root: root, cur: root, row: root})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	c.printf("\n# role %s, %s: %s\n", role, what, origin)
	if len(bodies) == 0 {
		c.printf("# (never holds: the expression is false)\n")
	}
	for _, b := range bodies {
		c.printf("%s[%s] if {\n%s}\n", rule, quote(role), indent(b))
	}
	return nil
}

// scope is where an expression is evaluated: the root row term and the
// current row term (a relationship's or an _exists table's row).
type scope struct {
	root string
	cur  string
	// param is the helper-function parameter standing for cur ("" at the
	// root, where helpers are plain rules).
	param bool
	// row is the input path of the current row ([_] for any element of
	// an array), whatever term stands for it (Helper.Row).
	row string
}

// disjuncts returns the rule bodies whose OR is n, top-level ORs split into
// bodies. An empty result means false; a body with no lines means true.
func (c *compiler) disjuncts(n node, s scope) ([][]string, error) {
	switch x := n.(type) {
	case nFalse:
		return nil, nil
	case nOr:
		var out [][]string
		for _, it := range x.items {
			b, err := c.disjuncts(it, s)
			if err != nil {
				return nil, err
			}
			out = append(out, b...)
		}
		return out, nil
	}
	lines, err := c.conj(n, s)
	if err != nil {
		return nil, err
	}
	return [][]string{lines}, nil
}

// conj returns the body lines (a conjunction) of n.
func (c *compiler) conj(n node, s scope) ([]string, error) {
	switch x := n.(type) {
	case nTrue:
		return nil, nil
	case nFalse:
		return []string{"false"}, nil
	case nAnd:
		var out []string
		for _, it := range x.items {
			l, err := c.conj(it, s)
			if err != nil {
				return nil, err
			}
			out = append(out, l...)
		}
		return out, nil
	case nOr:
		name, err := c.helper("any", x, s)
		if err != nil {
			return nil, err
		}
		return []string{c.call(name, s)}, nil
	case nRel:
		if x.neg {
			return c.notExists(nRel{r: x.r}, s)
		}
		return c.relExists(x.r, s)
	case nExists:
		if x.neg {
			return c.notExists(nExists{e: x.e}, s)
		}
		return c.exists(x.e, s)
	case nCmp:
		return c.compare(x, s)
	}
	return nil, fmt.Errorf("unsupported expression %T", n)
}

// notExists renders NOT EXISTS as the negation of a helper holding the
// EXISTS.
func (c *compiler) notExists(n node, s scope) ([]string, error) {
	name, err := c.helper("exists", n, s)
	if err != nil {
		return nil, err
	}
	return []string{"not " + c.call(name, s)}, nil
}

// helper defines a helper rule (at the root) or function of the current row
// (inside a relationship) whose bodies are the disjuncts of n, and returns
// its name.
func (c *compiler) helper(kind string, n node, s scope) (string, error) {
	name := fmt.Sprintf("%s_%d", kind, c.id())
	inner := s
	head := name
	if s.cur != s.root {
		inner.cur = "row"
		inner.param = true
		head = name + "(row)"
	}
	bodies, err := c.disjuncts(n, inner)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n")
	if len(bodies) == 0 {
		bodies = [][]string{{"false"}}
	}
	for _, body := range bodies {
		if inner.param && !mentions(body) {
			// Strict mode rejects an unused argument.
			body = append([]string{"_ = row"}, body...)
		}
		fmt.Fprintf(&b, "%s if {\n%s}\n", head, indent(body))
	}
	c.helpers = append(c.helpers, b.String())
	h := Helper{Name: name}
	if inner.param {
		h.Row = s.row
	}
	c.names = append(c.names, h)
	return name, nil
}

func (c *compiler) call(name string, s scope) string {
	if s.cur != s.root {
		return name + "(" + s.cur + ")"
	}
	return name
}

func (c *compiler) relExists(x model.RelExists, s scope) ([]string, error) {
	rel := x.Relationship
	path := s.cur + ref(rel.Name)
	if rel.Kind == model.RelObject {
		inner := scope{root: s.root, cur: path, param: s.param, row: s.row + ref(rel.Name)}
		lines, err := c.conj(nnf(x.Where, false), inner)
		if err != nil {
			return nil, err
		}
		return append([]string{"is_object(" + path + ")"}, lines...), nil
	}
	v := fmt.Sprintf("r%d", c.id())
	inner := scope{root: s.root, cur: v, param: s.param, row: s.row + ref(rel.Name) + "[_]"}
	lines, err := c.conj(nnf(x.Where, false), inner)
	if err != nil {
		return nil, err
	}
	return append([]string{"some " + v + " in " + path}, lines...), nil
}

func (c *compiler) exists(x model.Exists, s scope) ([]string, error) {
	v := fmt.Sprintf("t%d", c.id())
	table := "input.tables[" + quote(x.Table.String()) + "]"
	inner := scope{root: s.root, cur: v, param: s.param, row: table + "[_]"}
	lines, err := c.conj(nnf(x.Where, false), inner)
	if err != nil {
		return nil, err
	}
	return append([]string{"some " + v + " in " + table}, lines...), nil
}

// paramRe finds the helper parameter "row" used as a term (not as the
// "row" of input.row).
var paramRe = regexp.MustCompile(`(^|[^.\w])row\b`)

func mentions(lines []string) bool {
	for _, l := range lines {
		if paramRe.MatchString(l) {
			return true
		}
	}
	return false
}

func indent(lines []string) string {
	if len(lines) == 0 {
		lines = []string{"true"}
	}
	var b strings.Builder
	seen := make(map[string]bool, len(lines))
	for _, l := range lines {
		// A conjunction needs each expression once (NULL guards repeat).
		if seen[l] {
			continue
		}
		seen[l] = true
		b.WriteString("\t")
		b.WriteString(l)
		b.WriteString("\n")
	}
	return b.String()
}

var identRe = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// keywords cannot appear as bare reference segments.
var keywords = map[string]bool{
	"as": true, "contains": true, "data": true, "default": true, "else": true, "every": true,
	"false": true, "if": true, "import": true, "in": true, "input": true, "not": true,
	"null": true, "package": true, "some": true, "true": true, "with": true,
}

// refSegment renders one reference segment: ".name" or `["na-me"]`.
func refSegment(s string) string {
	if identRe.MatchString(s) && !keywords[s] {
		return "." + s
	}
	return "[" + quote(s) + "]"
}

// ref renders the access of a column or relationship on a row term.
func ref(name string) string { return refSegment(name) }

// quote renders a Rego string literal (JSON string syntax).
func quote(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // a Go string always marshals
	}
	return string(b)
}

// modulePath is "public/articles/select.rego", under "source:/" for a
// table qualified by its source.
func modulePath(t model.TableName, op model.Operation) string {
	p := t.Schema + "/" + t.Name + "/" + op.String() + ".rego"
	if t.Source != "" {
		p = t.Source + ":/" + p
	}
	return p
}
