package load

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
	"go.yaml.in/yaml/v3"
)

// opClass groups operators by the columns they apply to and the value they
// take.
type opClass int

const (
	clsCompare  opClass = iota + 1 // _eq _neq: every kind, a value
	clsOrder                       // _gt ...: every kind but jsonb, a value
	clsList                        // _in _nin: a list or an array session variable
	clsIsNull                      // _is_null: true or false
	clsText                        // _like ...: text columns, a text value
	clsContains                    // _contains _contained_in: jsonb, a JSON value
	clsHasKey                      // _has_key: jsonb, a text value
	clsHasKeys                     // _has_keys_*: jsonb, a list of text
	clsColumn                      // _ceq _cneq: a column
	clsColOrder                    // _cgt ...: a column, not jsonb
	clsLtree                       // _ancestor _descendant: ltree, a path
	clsSpatial                     // _st_*: geometry or geography, GeoJSON
	clsLtreeDB                     // _matches ... _ancestor_any: ltree, decided by the database
)

// operators lists every operator in the order error messages show them.
var operators = []struct {
	op  model.Operator
	cls opClass
}{
	{model.OpEq, clsCompare}, {model.OpNeq, clsCompare},
	{model.OpGt, clsOrder}, {model.OpLt, clsOrder}, {model.OpGte, clsOrder}, {model.OpLte, clsOrder},
	{model.OpIn, clsList}, {model.OpNin, clsList}, {model.OpIsNull, clsIsNull},
	{model.OpLike, clsText}, {model.OpNlike, clsText}, {model.OpIlike, clsText}, {model.OpNilike, clsText},
	{model.OpSimilar, clsText}, {model.OpNsimilar, clsText},
	{model.OpRegex, clsText}, {model.OpIregex, clsText}, {model.OpNregex, clsText}, {model.OpNiregex, clsText},
	{model.OpContains, clsContains}, {model.OpContained, clsContains},
	{model.OpHasKey, clsHasKey}, {model.OpHasKeysAny, clsHasKeys}, {model.OpHasKeysAll, clsHasKeys},
	{model.OpCeq, clsColumn}, {model.OpCneq, clsColumn},
	{model.OpCgt, clsColOrder}, {model.OpClt, clsColOrder}, {model.OpCgte, clsColOrder}, {model.OpClte, clsColOrder},
	{model.OpAncestor, clsLtree}, {model.OpDescendant, clsLtree},
	{model.OpAncestorAny, clsLtreeDB}, {model.OpDescendantAny, clsLtreeDB},
	{model.OpMatches, clsLtreeDB}, {model.OpMatchesAny, clsLtreeDB}, {model.OpMatchesFulltext, clsLtreeDB},
	{model.OpStContains, clsSpatial}, {model.OpStCrosses, clsSpatial}, {model.OpStEquals, clsSpatial},
	{model.OpStIntersects, clsSpatial}, {model.OpStOverlaps, clsSpatial}, {model.OpStTouches, clsSpatial},
	{model.OpStWithin, clsSpatial}, {model.OpStDWithin, clsSpatial},
	{model.OpSt3dIntersects, clsSpatial}, {model.OpSt3dDWithin, clsSpatial},
}

var opClasses = func() map[model.Operator]opClass {
	m := make(map[model.Operator]opClass, len(operators))
	for _, o := range operators {
		m[o.op] = o.cls
	}
	return m
}()

// canonical maps "$x" to "_x" and resolves the aliases _ne and _cne.
func canonical(key string) string {
	if strings.HasPrefix(key, "$") {
		key = "_" + key[1:]
	}
	switch key {
	case "_ne":
		return string(model.OpNeq)
	case "_cne":
		return string(model.OpCneq)
	}
	return key
}

// operator parses an operator key.
func operator(key string) (model.Operator, bool) {
	op := model.Operator(canonical(key))
	_, ok := opClasses[op]
	return op, ok
}

// applies reports whether an operator class applies to a column kind.
func applies(cls opClass, k model.Kind) bool {
	if cls == clsSpatial || cls == clsLtreeDB {
		return false // PostGIS or ltree columns only (columnApplies)
	}
	if k == model.KindOpaque {
		return cls == clsIsNull
	}
	switch cls {
	case clsOrder, clsColOrder:
		return k != model.KindJSONB
	case clsText:
		return k == model.KindText
	case clsContains, clsHasKey, clsHasKeys:
		return k == model.KindJSONB
	case clsLtree:
		return false // ltree columns only (columnApplies)
	}
	return true
}

// operatorsFor lists the operators that apply to a column, as compare
// admits them.
func operatorsFor(c *model.Column) string {
	var names []string
	for _, o := range operators {
		if columnApplies(c, o.cls) {
			names = append(names, string(o.op))
		}
	}
	return strings.Join(names, " ")
}

// columnApplies reports whether an operator class applies to a column:
// by its kind, and for json, enum and canonical-text columns by their
// type.
func columnApplies(c *model.Column, cls opClass) bool {
	switch ct := c.Type.Canon; {
	case c.Type.Spatial != "" && cls == clsSpatial:
		return true
	case c.Type.JSON:
		return cls == clsIsNull
	case c.Type.Kind == model.KindOpaque && c.Type.Spatial == "":
		// Hasura's generic comparisons where the type can be written
		// into a cast (model.DatabaseOpaque), and the column comparisons
		// on every opaque type: the database's to decide.
		switch cls {
		case clsIsNull, clsColumn, clsColOrder:
			return true
		case clsCompare, clsOrder, clsList:
			return c.Type.Cast != ""
		}
		return false
	case ct != "":
		switch cls {
		case clsText, clsHasKey, clsHasKeys, clsSpatial:
			return false
		case clsOrder:
			return model.CanonOrdered(ct) || databaseOrdered(ct)
		case clsColOrder:
			return model.CanonOrdered(ct) || databaseOrdered(ct)
		case clsContains:
			return ct == model.CanonArray
		case clsLtree, clsLtreeDB:
			return ct == model.CanonLtree
		}
		return true
	case c.Type.Enum != nil && (cls == clsText || cls == clsColOrder):
		return false
	}
	return applies(cls, c.Type.Kind)
}

// databaseOrdered reports whether the ordering operators on a type are
// left to the database (model.DatabaseDecided): ltree and arrays.
func databaseOrdered(ct string) bool {
	return ct == model.CanonLtree || ct == model.CanonArray
}

// typeLabel names a column's type in messages: its kind, or the declared
// type where the kind does not say it (opaque, enum, canonical text).
func typeLabel(c *model.Column) string {
	if c.Type.Kind == model.KindOpaque || c.Type.Enum != nil || c.Type.Canon != "" {
		return c.Type.Declared
	}
	return c.Type.Kind.String()
}

// isSessionVar reports whether a string names a session variable.
func isSessionVar(s string) bool {
	return len(s) >= len("x-hasura-") && strings.EqualFold(s[:len("x-hasura-")], "x-hasura-")
}

// exprParser parses one rule (a filter or a check).
type exprParser struct {
	ld       *loader
	root     *model.Table
	at       loc // the rule, where limit problems are reported
	nodes    int
	reported bool
}

// boolExp parses a boolean expression evaluated on root. It returns nil
// when the expression has problems (reported).
func (ld *loader) boolExp(n *yaml.Node, l loc, root *model.Table) model.BoolExp {
	p := &exprParser{ld: ld, root: root, at: l}
	return p.expr(n, l, root, 1)
}

// count charges one node at the given depth against the rule's limits.
func (p *exprParser) count(depth int) bool {
	p.nodes++
	switch {
	case depth > p.ld.cfg.maxDepth:
		p.tooBig(fmt.Sprintf("the expression is nested deeper than %d levels", p.ld.cfg.maxDepth))
	case p.nodes > p.ld.cfg.maxNodes:
		p.tooBig(fmt.Sprintf("the expression has more than %d nodes", p.ld.cfg.maxNodes))
	default:
		return true
	}
	return false
}

func (p *exprParser) tooBig(msg string) {
	if !p.reported {
		p.reported = true
		p.ld.problemf(p.at, nil, "%s", msg)
	}
}

func (p *exprParser) problemf(l loc, n *yaml.Node, format string, args ...any) {
	if !p.reported {
		p.ld.problemf(l, n, format, args...)
	}
}

// expr parses an object: the AND of its keys.
func (p *exprParser) expr(n *yaml.Node, l loc, t *model.Table, depth int) model.BoolExp {
	if !p.count(depth) {
		return nil
	}
	fields, ok := p.ld.fields(n, l, "a boolean expression")
	items := make([]model.BoolExp, 0, len(fields))
	for _, f := range fields {
		if e := p.term(f, l.key(f.key), t, depth); e != nil {
			items = append(items, e)
		} else {
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return conjunction(items)
}

// conjunction is the AND of the items of an object: true when there are
// none, the item itself when there is one.
func conjunction(items []model.BoolExp) model.BoolExp {
	switch len(items) {
	case 0:
		return model.True{}
	case 1:
		return items[0]
	}
	return model.And{Items: items}
}

// term parses one key of an expression object.
func (p *exprParser) term(f field, l loc, t *model.Table, depth int) model.BoolExp {
	switch canonical(f.key) {
	case "_and", "_or":
		return p.logical(f, l, t, depth)
	case "_not":
		if e := p.expr(f.val, l, t, depth+1); e != nil {
			return model.Not{Item: e}
		}
		return nil
	case "_exists":
		return p.exists(f.val, l, depth)
	}
	if c, ok := t.Column(f.key); ok {
		return p.column(c, f.val, l, t, depth)
	}
	if r, ok := t.Relationships[f.key]; ok {
		target := p.ld.tables[r.Target]
		if e := p.expr(f.val, l, target, depth+1); e != nil {
			return model.RelExists{Relationship: r, From: t.Name, Where: e}
		}
		return nil
	}
	if c, ok := t.Computed[f.key]; ok {
		return p.column(c, f.val, l, t, depth)
	}
	switch {
	case p.ld.badComputed[t.Name][f.key] != nil:
		p.problemf(l, f.keyNode, "computed field %s of %s is inconsistent (%s), so the rule cannot be decided", f.key, t.Name, p.ld.badComputed[t.Name][f.key].Source)
	case p.ld.badRels[t.Name][f.key] != nil:
		p.problemf(l, f.keyNode, "relationship %s of %s is inconsistent (%s), so the rule cannot be decided", f.key, t.Name, p.ld.badRels[t.Name][f.key].Source)
	case isOperatorKey(f.key):
		p.problemf(l, f.keyNode, "operator %s must be applied to a column, e.g. {column: {%s: value}}", f.key, f.key)
	default:
		p.problemf(l, f.keyNode, "unknown column or relationship %q on table %s (columns: %s; relationships: %s)",
			f.key, t.Name, columnList(t), relationshipList(t))
	}
	return nil
}

func isOperatorKey(k string) bool {
	_, ok := operator(k)
	return ok
}

func (p *exprParser) logical(f field, l loc, t *model.Table, depth int) model.BoolExp {
	n := deref(f.val)
	if n == nil || n.Kind != yaml.SequenceNode {
		p.problemf(l, f.val, "%s takes a list of boolean expressions, got %s", f.key, describe(f.val))
		return nil
	}
	items := make([]model.BoolExp, 0, len(n.Content))
	ok := true
	for i, c := range n.Content {
		if e := p.expr(c, l.index(i), t, depth+1); e != nil {
			items = append(items, e)
		} else {
			ok = false
		}
	}
	switch {
	case !ok:
		return nil
	case canonical(f.key) == "_and" && len(items) == 0:
		return model.True{}
	case canonical(f.key) == "_and":
		return model.And{Items: items}
	case len(items) == 0:
		return model.False{}
	}
	return model.Or{Items: items}
}

func (p *exprParser) exists(n *yaml.Node, l loc, depth int) model.BoolExp {
	fields, ok := p.ld.fields(n, l, "_exists")
	var table, where *yaml.Node
	for _, f := range fields {
		// Only the "_" spelling: Hasura has no $table or $where.
		switch f.key {
		case "_table":
			table = f.val
		case "_where":
			where = f.val
		default:
			p.problemf(l.key(f.key), f.keyNode, "unknown key %q in _exists (want _table and _where)", f.key)
			ok = false
		}
	}
	if !ok {
		return nil
	}
	if table == nil || where == nil {
		p.problemf(l, n, "_exists needs _table and _where")
		return nil
	}
	name, ok := p.ld.metaTableName(table, l.key("_table"))
	if !ok {
		return nil
	}
	// _exists stays in the source of the permission's table, as in Hasura.
	name = p.ld.qualify(p.root.Source, name)
	target, ok := p.ld.tables[name]
	if !ok {
		p.problemf(l.key("_table"), table, "%s", notInSchema(name))
		return nil
	}
	switch {
	case target.Source == "":
		// Hasura resolves _exists._table among the tracked tables only
		// (askFieldInfoMapSource: "table ... does not exist"), so such a
		// permission is inconsistent there: no rows, never a guess.
		p.problemf(l.key("_table"), table, "table %s of _exists is not tracked: Hasura reads _exists only over tracked tables (\"table %s does not exist\"); track it in the metadata", name, name)
		return nil
	case target.Source != p.root.Source:
		// ... of the rule's own source.
		p.problemf(l.key("_table"), table, "table %s of _exists is tracked in source %s, not in source %s of this rule: Hasura reads _exists in the rule's own source (\"table %s does not exist\")", name, target.Source, p.root.Source, name)
		return nil
	}
	if e := p.expr(where, l.key("_where"), target, depth+1); e != nil {
		return model.Exists{Table: name, Where: e}
	}
	return nil
}

// column parses {column: {op: value, ...}} or the shorthand {column: value}.
func (p *exprParser) column(c *model.Column, n *yaml.Node, l loc, t *model.Table, depth int) model.BoolExp {
	if v := deref(n); v == nil || v.Kind != yaml.MappingNode {
		return p.compare(c, model.OpEq, n, l, t, depth)
	}
	fields, ok := p.ld.fields(n, l, "operators")
	items := make([]model.BoolExp, 0, len(fields))
	for _, f := range fields {
		if canonical(f.key) == "_cast" {
			if !p.count(depth + 1) {
				return nil
			}
			if e := p.cast(c, f.val, l.key(f.key), t, depth+1); e != nil {
				items = append(items, e)
			} else {
				ok = false
			}
			continue
		}
		op, known := operator(f.key)
		if !known {
			p.problemf(l.key(f.key), f.keyNode, "unknown operator %q on column %s (%s); valid operators: %s",
				f.key, c.Name, typeLabel(c), operatorsFor(c))
			ok = false
			continue
		}
		if e := p.compare(c, op, f.val, l.key(f.key), t, depth); e != nil {
			items = append(items, e)
		} else {
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return conjunction(items)
}

func (p *exprParser) compare(c *model.Column, op model.Operator, n *yaml.Node, l loc, t *model.Table, depth int) model.BoolExp {
	if !p.count(depth + 1) {
		return nil
	}
	kind := c.Type.Kind
	if kind == model.KindUnknown {
		return nil // the column's type was reported in the schema
	}
	cls := opClasses[op]
	if c.Type.JSON && cls != clsIsNull {
		p.problemf(l, n, "operator %s is not supported on json column %s: PostgreSQL has no equality, ordering or containment on json (use jsonb); only _is_null applies", op, c.Name)
		return nil
	}
	if cls == clsSpatial || c.Type.Spatial != "" && cls != clsIsNull {
		return p.spatial(c, op, cls, n, l)
	}
	if cls == clsLtreeDB {
		return p.ltreeDatabase(c, op, n, l)
	}
	if kind == model.KindOpaque && c.Type.Cast != "" && (cls == clsCompare || cls == clsOrder || cls == clsList) {
		return p.opaqueDatabase(c, op, cls, n, l)
	}
	arrayContains := c.Type.Canon == model.CanonArray && cls == clsContains
	ltreeOp := c.Type.Canon == model.CanonLtree && cls == clsLtree
	// _ceq ... on an opaque column, _cgt ... on ltree and arrays: two
	// columns the database compares (model.DatabaseColumns).
	_, columnsDB := model.DatabaseDecided(c, op)
	columnsDB = columnsDB && (cls == clsColumn || cls == clsColOrder)
	if !applies(cls, kind) && !arrayContains && !ltreeOp && !columnsDB {
		switch {
		case cls == clsLtree:
			p.problemf(l, n, "operator %s applies to ltree columns only; %s is %s", op, c.Name, typeLabel(c))
		case kind == model.KindOpaque:
			p.problemf(l, n, "operator %s on column %s of type %s: Warden cannot decide it on this type (only _is_null applies)", op, c.Name, c.Type.Declared)
		case cls == clsOrder || cls == clsColOrder:
			p.problemf(l, n, "operator %s is not supported on jsonb column %s: jsonb ordering is PostgreSQL-specific", op, c.Name)
		case cls == clsText:
			p.problemf(l, n, "operator %s applies to text columns only; %s is %s", op, c.Name, kind)
		default:
			p.problemf(l, n, "operator %s applies to jsonb columns only; %s is %s", op, c.Name, kind)
		}
		return nil
	}
	if ct := c.Type.Canon; ct != "" {
		switch {
		case cls == clsText:
			p.problemf(l, n, "operator %s on column %s of type %s: pattern operators apply to text types only", op, c.Name, c.Type.Declared)
			return nil
		case (cls == clsOrder || cls == clsColOrder) && databaseOrdered(ct):
			// ltree and arrays: PostgreSQL's order, which Warden leaves
			// to the database (model.DatabaseDecided).
		case (cls == clsOrder || cls == clsColOrder) && !model.CanonOrdered(ct):
			p.problemf(l, n, "operator %s on column %s of type %s: Warden cannot decide it on this type (only _eq _neq _in _nin _is_null _ceq _cneq apply)", op, c.Name, c.Type.Declared)
			return nil
		}
	}
	if c.Type.Enum != nil {
		switch cls {
		case clsText:
			p.problemf(l, n, "operator %s on column %s of enum type %s: PostgreSQL has no pattern operators on enums", op, c.Name, c.Type.Declared)
			return nil
		case clsColOrder:
			p.problemf(l, n, "operator %s on column %s of enum type %s: Warden cannot decide it on this type (the enum's order of two columns)", op, c.Name, c.Type.Declared)
			return nil
		}
	}
	var v model.Value
	switch cls {
	case clsCompare, clsOrder, clsText, clsContains, clsLtree:
		v = p.scalar(c, kind, op, n, l)
	case clsHasKey:
		v = p.scalar(c, model.KindText, op, n, l)
	case clsList:
		v = p.list(c, kind, op, n, l)
	case clsHasKeys:
		v = p.list(c, model.KindText, op, n, l)
	case clsIsNull:
		if b := deref(n); b != nil && b.Kind == yaml.ScalarNode && b.Tag == "!!bool" {
			v = model.Literal{V: strings.EqualFold(b.Value, "true")}
		} else {
			p.problemf(l, n, "_is_null takes true or false, got %s", describe(n))
		}
	case clsColumn, clsColOrder:
		v = p.columnRef(c, op, n, l, t)
	}
	if v == nil {
		return nil
	}
	return model.Compare{Column: c, Op: op, Value: v}
}

// scalar parses a single value of kind k: a session variable or a literal.
func (p *exprParser) scalar(c *model.Column, k model.Kind, op model.Operator, n *yaml.Node, l loc) model.Value {
	if s := deref(n); isString(s) && isSessionVar(s.Value) {
		return model.SessionVar{Name: strings.ToLower(s.Value), Kind: k, Type: typeFor(c, k)}
	}
	if s := deref(n); isString(s) && model.IsClockKind(k) && !isPattern(op) {
		// "now()", "today", ...: read when deciding, as PostgreSQL reads
		// them when the query runs.
		if w, ok := model.ClockWord(s.Value); ok {
			return model.SessionVar{Name: model.ClockPrefix + w, Kind: k, Type: typeFor(c, k), Clock: w}
		}
	}
	v, ok := p.literal(n, l)
	if !ok {
		return nil
	}
	if v == nil {
		p.problemf(l, n, "%s compares with null, which is never true: use _is_null", op)
		return nil
	}
	var cv any
	var err error
	if isPattern(op) {
		cv, err = model.CoerceJSON(k, v)
	} else {
		cv, err = model.CoerceColumn(valueType(c, k), v, true)
	}
	if err != nil {
		p.problemf(l, n, "invalid value for %s on column %s (%s): %v", op, c.Name, c.Type.Kind, err)
		return nil
	}
	return model.Literal{V: cv}
}

// list parses a list of values of kind k, or an array session variable.
func (p *exprParser) list(c *model.Column, k model.Kind, op model.Operator, n *yaml.Node, l loc) model.Value {
	s := deref(n)
	if isString(s) && isSessionVar(s.Value) {
		return model.SessionVar{Name: strings.ToLower(s.Value), Kind: k, Array: true, Type: typeFor(c, k)}
	}
	if s == nil || s.Kind != yaml.SequenceNode {
		p.problemf(l, n, "%s takes a list of values or an array session variable, got %s", op, describe(n))
		return nil
	}
	out := make([]any, 0, len(s.Content))
	ok := true
	for i, e := range s.Content {
		el := l.index(i)
		if d := deref(e); isString(d) && isSessionVar(d.Value) {
			p.problemf(el, e, "a session variable cannot be an element of a list: use an array session variable (%s: %s, with a value such as {1,2,3})", op, d.Value)
			ok = false
			continue
		}
		v, good := p.literal(e, el)
		if !good {
			ok = false
			continue
		}
		if v == nil {
			p.problemf(el, e, "%s list elements may not be null", op)
			ok = false
			continue
		}
		cv, err := model.CoerceColumn(valueType(c, k), v, true)
		if err != nil {
			p.problemf(el, e, "invalid value for %s on column %s (%s): %v", op, c.Name, c.Type.Kind, err)
			ok = false
			continue
		}
		out = append(out, cv)
	}
	if !ok {
		return nil
	}
	return model.Literal{V: out}
}

// literal converts a node to a JSON value, charging its nodes to the rule.
func (p *exprParser) literal(n *yaml.Node, l loc) (any, bool) {
	budget := p.ld.cfg.maxNodes - p.nodes
	v, err := jsonValue(n, &budget)
	p.nodes = p.ld.cfg.maxNodes - budget
	switch {
	case errors.Is(err, errTooBig):
		p.tooBig(fmt.Sprintf("the expression has more than %d nodes", p.ld.cfg.maxNodes))
		return nil, false
	case err != nil:
		p.problemf(l, n, "invalid value: %v", err)
		return nil, false
	}
	return v, true
}

// columnRef parses the right side of a column comparison: "col", ["col"]
// (the current table) or ["$", "col"] (the permission's root table).
func (p *exprParser) columnRef(c *model.Column, op model.Operator, n *yaml.Node, l loc, t *model.Table) model.Value {
	var path []string
	switch s := deref(n); {
	case s != nil && s.Kind == yaml.ScalarNode && !isNull(s):
		path = []string{s.Value}
	case s != nil && s.Kind == yaml.SequenceNode:
		for _, e := range s.Content {
			if e = deref(e); e == nil || e.Kind != yaml.ScalarNode || isNull(e) {
				path = nil
				break
			}
			path = append(path, e.Value)
		}
	}
	table, root := t, false
	switch {
	case len(path) == 1:
	case len(path) == 2 && path[0] == "$":
		table, root, path = p.root, true, path[1:]
	default:
		p.problemf(l, n, `%s takes a column: "col" or ["col"] (this table) or ["$", "col"] (the root table); got %s`, op, describeNode(n))
		return nil
	}
	rc, ok := table.Column(path[0])
	if !ok {
		p.problemf(l, n, "%q is not a column of %s (columns: %s)", path[0], table.Name, columnList(table))
		return nil
	}
	if ct, rt := canonicalType(c.Type.Declared), canonicalType(rc.Type.Declared); ct != rt {
		p.problemf(l, n, "%s compares column %s (%s) with column %s.%s (%s): the types must be the same",
			op, c.Name, ct, table.Name, rc.Name, rt)
		return nil
	}
	return model.ColumnRef{Root: root, Column: rc}
}

// describeNode renders a small node for an error message.
func describeNode(n *yaml.Node) string {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return describe(n)
	}
	parts := make([]string, 0, len(n.Content))
	for _, e := range n.Content {
		if e = deref(e); isString(e) {
			parts = append(parts, strconv.Quote(clip(e.Value)))
		} else {
			parts = append(parts, describe(e))
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// typeFor is the column type whose normalisation applies to values of kind
// k compared with column c: the column's own when k is its kind.
func typeFor(c *model.Column, k model.Kind) model.Type {
	if k == c.Type.Kind {
		return c.Type
	}
	return model.Type{}
}

// valueType is the type a literal of kind k compared with column c is
// coerced to: the column's (typeFor), or the bare kind.
func valueType(c *model.Column, k model.Kind) model.Type {
	t := typeFor(c, k)
	t.Kind = k
	return t
}

// isPattern reports whether op takes a pattern (never normalised).
func isPattern(op model.Operator) bool {
	return opClasses[op] == clsText
}
