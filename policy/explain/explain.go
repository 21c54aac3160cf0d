// Package explain says why a rule holds or not for a row: it evaluates a
// bound predicate (the residual the engine binds to the session, as
// engine.Set.Filter returns it) node by node over one row, with three
// outcomes (true, false, unknown where the row lacks data the node reads),
// and returns the tree with each node's outcome, each comparison's row
// value and session value.
//
// It is a second evaluation beside the engine's, never on the decision
// path: a caller asks for it (CheckRequest.explain) and pays for it then.
// Leaves are decided by residual.Eval, the reference semantics that the
// engine's decisions and Filter's SQL are tested against; explain adds the
// unknown outcome and the tree. Its root outcome equals Check's decision on
// the rule (tested on the conformance cases).
package explain

import (
	"fmt"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// Outcome is a node's value on the row.
type Outcome int

// The outcomes.
const (
	True Outcome = iota + 1
	False
	// Unknown: the row lacks a column, relationship or _exists table the
	// node reads (Check answers NEEDS_DATA).
	Unknown
)

func (o Outcome) String() string {
	switch o {
	case True:
		return "true"
	case False:
		return "false"
	case Unknown:
		return "unknown"
	}
	return "?"
}

// DefaultMaxNodes bounds an explanation's size.
const DefaultMaxNodes = 256

// Node is one node of the rule with its outcome.
type Node struct {
	// Op is and, or, not, true, false, exists, or the leaf's operator as
	// residual.String writes it (=, <>, IN, IS NULL, LIKE, @>, ...).
	Op string
	// Text is the node in residual.String's notation (leaves and exists).
	Text    string
	Outcome Outcome
	// Column is the path of the row's column a leaf reads
	// ("author_id", "article.org_id", "comments[1].author_id"); RowValue its
	// value on the row (canonical form), RowMissing set when the row does
	// not carry it.
	Column     string
	RowValue   any
	RowMissing bool
	// Value is what the column is compared with: the session variable's
	// value after coercion, a constant of the rule, or another column's
	// value. HasValue says there is one (IS NULL has none).
	Value    any
	HasValue bool
	// Note says more: which related row an exists node shows.
	Note     string
	Children []*Node
}

// Explanation is a rule explained on one row.
type Explanation struct {
	Root *Node
	// Truncated is set when nodes beyond the limit were left out (the
	// outcomes still count them).
	Truncated bool
	Nodes     int
}

// Row explains a bound predicate on a row of table t. row holds JSON values
// as Check takes them (related rows nested under relationship names);
// tables the rows of _exists tables (a table absent: unknown). maxNodes
// bounds the tree (DefaultMaxNodes when < 1).
func Row(p *model.Policy, t *model.Table, e residual.Expr, row map[string]any, tables map[model.TableName][]map[string]any, maxNodes int) *Explanation {
	if maxNodes < 1 {
		maxNodes = DefaultMaxNodes
	}
	x := &explainer{p: p, max: maxNodes, tables: map[model.TableName][]map[string]any{}, have: map[model.TableName][]map[string]any{}}
	if t == nil {
		return &Explanation{Root: &Node{Op: "unknown table", Outcome: Unknown}}
	}
	root := x.canon(t, row)
	for tn, rows := range tables {
		// _exists rows named without a source are the request table's
		// source's, as the engine reads them.
		tn = p.Resolve(tn, t.Name.Source)
		x.have[tn] = rows
		tt, ok := p.Tables[tn]
		if !ok {
			continue
		}
		for _, r := range rows {
			x.tables[tn] = append(x.tables[tn], x.canon(tt, r))
		}
	}
	x.root = root
	x.database = map[string]bool{}
	x.levelCols = levelColumns(e)
	x.survivors(e, root, x.levelCols, x.database)
	_, n := x.eval(e, root, "", true)
	return &Explanation{Root: n, Truncated: x.truncated, Nodes: x.nodes}
}

type explainer struct {
	p         *model.Policy
	root      map[string]any
	tables    map[model.TableName][]map[string]any
	have      map[model.TableName][]map[string]any
	max       int
	nodes     int
	truncated bool
	// database names the columns an operator the database decides reads
	// (residual.Spatial, residual.Database) where the row leaves the
	// operator in play (survivors): their IS NULL tests are unknown too,
	// as in Check (residual.Decide on its partial evaluation's residual),
	// which leaves such a column to the database, NULL or not.
	database map[string]bool
	// levelCols names the columns of the current level that an operator
	// the database decides reads: Check's partial evaluation takes all of
	// such a column for unknown. opaque: the whole level is unknown to it
	// (below an array relationship or _exists, which it takes whole).
	levelCols map[string]bool
	opaque    bool
}

// canon converts a row to canonical values (model.CoerceColumn) as the
// engine does, related rows through their target tables. A value that does
// not coerce (Check refuses the request then) is left out.
func (x *explainer) canon(t *model.Table, row map[string]any) map[string]any {
	out := make(map[string]any, len(row))
	for k, v := range row {
		if c, ok := t.Field(k); ok {
			if cv, err := model.CoerceColumn(c.Type, v, false); err == nil {
				out[k] = cv
			}
			continue
		}
		rel, ok := t.Relationships[k]
		if !ok {
			continue
		}
		target, ok := x.p.Tables[rel.Target]
		if !ok {
			continue
		}
		switch r := v.(type) {
		case nil:
			out[k] = nil
		case map[string]any:
			out[k] = x.canon(target, r)
		case []any:
			list := make([]any, 0, len(r))
			for _, el := range r {
				if m, ok := el.(map[string]any); ok {
					list = append(list, x.canon(target, m))
				}
			}
			out[k] = list
		}
	}
	return out
}

// node makes a node if the budget allows; nil when it does not.
func (x *explainer) node(build bool, n *Node) *Node {
	if !build {
		return nil
	}
	if x.nodes >= x.max {
		x.truncated = true
		return nil
	}
	x.nodes++
	return n
}

// eval evaluates e on cur (the current row: the root row, or a related
// row inside an exists), prefix being cur's path ("" for the root row
// only). build says whether to build nodes.
func (x *explainer) eval(e residual.Expr, cur map[string]any, prefix string, build bool) (Outcome, *Node) {
	switch v := e.(type) {
	case residual.True:
		return True, x.node(build, &Node{Op: "true", Text: "TRUE", Outcome: True})
	case residual.False:
		return False, x.node(build, &Node{Op: "false", Text: "FALSE", Outcome: False})
	case residual.And, residual.Or:
		items, isAnd := andItems(v)
		n := x.node(build, &Node{Op: map[bool]string{true: "and", false: "or"}[isAnd]})
		out := True
		if !isAnd {
			out = False
		}
		for _, it := range items {
			o, c := x.eval(it, cur, prefix, n != nil)
			if c != nil {
				n.Children = append(n.Children, c)
			}
			out = combine(out, o, isAnd)
		}
		if n != nil {
			n.Outcome = out
		}
		return out, n
	case residual.Not:
		n := x.node(build, &Node{Op: "not"})
		o, c := x.eval(v.Item, cur, prefix, n != nil)
		switch o {
		case True:
			o = False
		case False:
			o = True
		}
		if n != nil {
			n.Outcome = o
			if c != nil {
				n.Children = []*Node{c}
			}
		}
		return o, n
	case residual.Exists:
		return x.exists(v, cur, prefix, build)
	}
	return x.leaf(e, cur, prefix, build)
}

func andItems(e residual.Expr) ([]residual.Expr, bool) {
	if a, ok := e.(residual.And); ok {
		return a.Items, true
	}
	return e.(residual.Or).Items, false
}

// combine is Kleene's three-valued and (or).
func combine(acc, o Outcome, isAnd bool) Outcome {
	stop, keep := False, True
	if !isAnd {
		stop, keep = True, False
	}
	switch {
	case acc == stop || o == stop:
		return stop
	case acc == Unknown || o == Unknown:
		return Unknown
	}
	return keep
}

func (x *explainer) exists(v residual.Exists, cur map[string]any, prefix string, build bool) (Outcome, *Node) {
	text := "EXISTS " + v.Table.String()
	var rows []any
	var missing bool
	path := prefix + v.Relationship
	if v.Relationship != "" {
		text += " via " + v.Relationship
		r, ok := cur[v.Relationship]
		missing = !ok
		switch r := r.(type) {
		case map[string]any:
			rows = []any{r}
		case []any:
			rows = r
		}
	} else {
		_, ok := x.have[v.Table]
		missing = !ok
		path = v.Table.String()
		for _, r := range x.tables[v.Table] {
			rows = append(rows, r)
		}
	}
	n := x.node(build, &Node{Op: "exists", Text: text, Column: path, RowMissing: missing})
	defer func(cols map[string]bool, opaque bool) { x.levelCols, x.opaque = cols, opaque }(x.levelCols, x.opaque)
	x.levelCols, x.opaque = levelColumns(v.Where), x.opaque || frozen(v, cur)
	if missing {
		if n != nil {
			n.Outcome, n.Note = Unknown, "the row does not carry "+path
		}
		return Unknown, n
	}
	// The outcome over every related row; the tree shows the one that
	// decides: the first that holds, else the first unknown, else the first.
	out, shown := False, -1
	outcomes := make([]Outcome, len(rows))
	for i, r := range rows {
		m, _ := r.(map[string]any)
		outcomes[i], _ = x.eval(v.Where, m, path+"[].", false)
		out = combine(out, outcomes[i], false)
	}
	for _, want := range []Outcome{True, Unknown, False} {
		if shown < 0 {
			for i, o := range outcomes {
				if o == want {
					shown = i
					break
				}
			}
		}
	}
	if n != nil {
		n.Outcome = out
		switch {
		case len(rows) == 0:
			n.Note = "no related rows"
		default:
			sub := path
			if v.Relationship == "" || len(rows) > 1 || isList(cur[v.Relationship]) {
				sub = fmt.Sprintf("%s[%d]", path, shown)
			}
			n.Note = fmt.Sprintf("related row %d of %d shown", shown+1, len(rows))
			m, _ := rows[shown].(map[string]any)
			if _, c := x.eval(v.Where, m, sub+".", true); c != nil {
				n.Children = []*Node{c}
			}
		}
	}
	return out, n
}

// databaseLeaf is the unknown node of an operator the database decides.
func (x *explainer) databaseLeaf(e residual.Expr, op model.Operator, c residual.Column, label string, cur map[string]any, prefix string, build bool) (Outcome, *Node) {
	lv, lok := cur[c.Name]
	if c.Root {
		lv, lok = x.root[c.Name]
	}
	n := &Node{Op: string(op), Text: residual.String(e), Column: prefix + c.Name, RowValue: lv, RowMissing: !lok,
		Outcome: Unknown, Note: label + ": decided by the database"}
	return Unknown, x.node(build, n)
}

func isList(v any) bool {
	_, ok := v.([]any)
	return ok
}

// leaf decides a comparison with residual.Eval, after checking that the
// row carries every column it reads (else unknown). Columns of the root
// row inside an exists ($.col) are read from the root row.
func (x *explainer) leaf(e residual.Expr, cur map[string]any, prefix string, build bool) (Outcome, *Node) {
	var left residual.Column
	var right residual.Operand
	switch v := e.(type) {
	case residual.Compare:
		left, right = v.Left, v.Right
	case residual.IsNull:
		left = v.Column
		if x.database[v.Column.Name] && (x.opaque || x.levelCols[v.Column.Name]) {
			// Check leaves the column to the database, its IS NULL
			// test included (residual.Decide).
			return x.databaseLeaf(e, "_is_null", v.Column, "a column the database decides", cur, prefix, build)
		}
	case residual.In:
		left, right = v.Column, v.List
	case residual.Match:
		left, right = v.Column, v.Pattern
	case residual.JSONB:
		left, right = v.Column, v.Value
	case residual.Array:
		left, right = v.Column, v.Value
	case residual.Spatial:
		// Never evaluated by Warden: the database decides it (Check
		// answers NEEDS_DATA on it), so it is unknown here.
		label := "PostGIS"
		if v.Cast != "" {
			// Hasura's _cast: the operator sees the column as the
			// other PostGIS type.
			label = "PostGIS on the column cast to " + v.Cast
		}
		return x.databaseLeaf(e, v.Op, v.Column, label, cur, prefix, build)
	case residual.Database:
		// lquery matching, ltree and array ordering: likewise.
		label := "ltree"
		if v.Cast != "" {
			// Hasura's _cast of a jsonb column to text.
			label = "the column's text (_cast to text)"
		} else if _, ltreeOp := model.DatabaseOps[v.Op]; !ltreeOp && v.Type != "ltree" {
			// An array's or opaque column's type (_in's array of it
			// named by the element type).
			label = v.Type
			if v.Symbol == model.SymbolAny {
				label = strings.TrimSuffix(label, "[]")
			}
		}
		return x.databaseLeaf(e, v.Op, v.Column, label, cur, prefix, build)
	default:
		// Empty (templates only) and anything new: decided as a whole.
		o := False
		if residual.Eval(e, residual.Data{Row: cur}) {
			o = True
		}
		return o, x.node(build, &Node{Op: "?", Text: residual.String(e), Outcome: o})
	}
	read := func(c residual.Column) (any, string, bool) {
		if c.Root {
			v, ok := x.root[c.Name]
			return v, c.Name, ok
		}
		v, ok := cur[c.Name]
		return v, prefix + c.Name, ok
	}
	lv, lpath, lok := read(left)
	n := &Node{Op: opName(e), Text: residual.String(e), Column: lpath, RowValue: lv, RowMissing: !lok}
	ok := lok
	switch r := right.(type) {
	case residual.Column:
		rv, _, rok := read(r)
		ok = ok && rok
		n.Value, n.HasValue = rv, true
	case residual.Value:
		n.Value, n.HasValue = r.V, true
	}
	if !ok {
		n.Outcome = Unknown
		return Unknown, x.node(build, n)
	}
	// residual.Eval reads Root columns from Data.Row and the rest from the
	// current row: give it a row holding both when they differ.
	d := residual.Data{Row: cur}
	if prefix != "" && hasRoot(left, right) {
		row := make(map[string]any, len(cur)+1)
		for k, v := range cur {
			row[k] = v
		}
		if left.Root {
			row[left.Name] = x.root[left.Name]
		}
		e = rootAsValue(e, x.root)
		d = residual.Data{Row: row}
	}
	n.Outcome = False
	if residual.Eval(e, d) {
		n.Outcome = True
	}
	return n.Outcome, x.node(build, n)
}

func hasRoot(left residual.Column, right residual.Operand) bool {
	r, ok := right.(residual.Column)
	return left.Root || ok && r.Root
}

// rootAsValue replaces a root column on a comparison's right by its value
// on the root row. A root column on the left (the compiler puts the
// current row's column there) keeps its place; Eval reads it from
// Data.Row, the current row, so it is given under its name there too.
func rootAsValue(e residual.Expr, root map[string]any) residual.Expr {
	c, ok := e.(residual.Compare)
	if !ok {
		return e
	}
	if r, ok := c.Right.(residual.Column); ok && r.Root {
		v := root[r.Name]
		if s, isText := v.(string); isText && r.Lower {
			v = strings.ToLower(s)
		}
		c.Right = residual.Value{V: v, Kind: r.Kind}
	}
	return c
}

func opName(e residual.Expr) string {
	switch v := e.(type) {
	case residual.Compare:
		return v.Op.String()
	case residual.IsNull:
		return "IS NULL"
	case residual.In:
		return "IN"
	case residual.Match:
		return strings.ToUpper(strings.TrimPrefix(string(v.Op), "_"))
	case residual.JSONB, residual.Array:
		s := residual.String(e)
		if f := strings.Fields(s); len(f) > 2 {
			return f[1]
		}
	}
	return "?"
}

// WithPresets returns an insert's proposed row with the permission's
// presets applied, as the engine checks it (the row must not state them).
func WithPresets(row map[string]any, presets map[string]any) map[string]any {
	if len(presets) == 0 {
		return row
	}
	out := make(map[string]any, len(row)+len(presets))
	for k, v := range row {
		out[k] = v
	}
	for k, v := range presets {
		out[k] = v
	}
	return out
}

// databaseColumns names the columns operators the database decides read
// anywhere in e: Check's partial evaluation takes all of such a column for
// unknown.
func databaseColumns(e residual.Expr) map[string]bool {
	cols := map[string]bool{}
	residual.Walk(e, func(y residual.Expr) {
		switch v := y.(type) {
		case residual.Spatial:
			cols[v.Column.Name] = true
		case residual.Database:
			cols[v.Column.Name] = true
		}
	})
	return cols
}

// survivors adds to out the columns of the operators the database decides
// that remain in e once the row's other values are in, as Check's partial
// evaluation leaves them: all of a column in cols unknown, an _and with a
// false item and an _or with a true one decided (their operators gone),
// an exists reading such an operator kept whole. known reports whether e
// is decided without them, val its value.
func (x *explainer) survivors(e residual.Expr, cur map[string]any, cols, out map[string]bool) (known, val bool) {
	switch v := e.(type) {
	case residual.True:
		return true, true
	case residual.False:
		return true, false
	case residual.And, residual.Or:
		items, stop := []residual.Expr(nil), false
		if a, ok := v.(residual.And); ok {
			items = a.Items
		} else {
			items, stop = v.(residual.Or).Items, true
		}
		kept := map[string]bool{}
		known = true
		for _, it := range items {
			k, iv := x.survivors(it, cur, cols, kept)
			if k && iv == stop {
				return true, stop
			}
			known = known && k
		}
		for c := range kept {
			out[c] = true
		}
		return known, !stop
	case residual.Not:
		k, iv := x.survivors(v.Item, cur, cols, out)
		return k, !iv
	case residual.Spatial:
		out[v.Column.Name] = true
		return false, false
	case residual.Database:
		out[v.Column.Name] = true
		return false, false
	case residual.Exists:
		inner := databaseColumns(v.Where)
		if len(inner) == 0 {
			break
		}
		// No related rows: nothing unknown, the exists is decided.
		if v.Relationship == "" && len(x.tables[v.Table]) == 0 || v.Relationship != "" && cur[v.Relationship] == nil {
			break
		}
		if l, list := cur[v.Relationship].([]any); list && len(l) == 0 {
			break
		}
		if m, object := cur[v.Relationship].(map[string]any); object && !frozen(v, cur) {
			// An object relationship: only its row's columns that the
			// database decides are unknown.
			return x.survivors(v.Where, m, levelColumns(v.Where), out)
		}
		for c := range inner {
			out[c] = true
		}
		return false, false
	default:
		for _, c := range leafColumns(e) {
			if cols[c] {
				return false, false
			}
		}
	}
	return true, residual.Eval(e, residual.Data{Row: cur, Tables: x.tables})
}

// leafColumns names the columns a comparison reads.
func leafColumns(e residual.Expr) []string {
	switch v := e.(type) {
	case residual.IsNull:
		return []string{v.Column.Name}
	case residual.Compare:
		if r, ok := v.Right.(residual.Column); ok {
			return []string{v.Left.Name, r.Name}
		}
		return []string{v.Left.Name}
	case residual.In:
		return []string{v.Column.Name}
	case residual.Match:
		return []string{v.Column.Name}
	case residual.JSONB:
		return []string{v.Column.Name}
	case residual.Array:
		return []string{v.Column.Name}
	}
	return nil
}

// frozen says whether Check's partial evaluation takes an exists's rows
// whole for unknown when they read an operator the database decides: an
// array relationship and _exists (it cannot take one element of an array
// for unknown), not an object relationship.
func frozen(v residual.Exists, cur map[string]any) bool {
	if v.Relationship == "" {
		return true
	}
	_, object := cur[v.Relationship].(map[string]any)
	return !object
}

// levelColumns is databaseColumns of e's own level, not inside an exists.
func levelColumns(e residual.Expr) map[string]bool {
	cols := map[string]bool{}
	var walk func(residual.Expr)
	walk = func(e residual.Expr) {
		switch v := e.(type) {
		case residual.And:
			for _, it := range v.Items {
				walk(it)
			}
		case residual.Or:
			for _, it := range v.Items {
				walk(it)
			}
		case residual.Not:
			walk(v.Item)
		case residual.Spatial:
			cols[v.Column.Name] = true
		case residual.Database:
			cols[v.Column.Name] = true
		}
	}
	walk(e)
	return cols
}
