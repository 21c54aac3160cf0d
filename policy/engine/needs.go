package engine

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
)

// needs is the data a rule reads at one level: columns of the row,
// relationships with what they read of the related rows, and other tables
// (_exists).
type needs struct {
	cols map[string]bool
	// colList is cols' names, sorted: set by compact, for has.
	colList []string
	rels    map[string]*needs
	tables  map[model.TableName]*needs
	// spatial holds the operators read of a column that Warden leaves to
	// the database (model.DatabaseDecided: PostGIS, ltree's lquery
	// matching, ltree and array ordering): the column is always a gap,
	// whatever the row holds, so that Check answers NEEDS_DATA naming it
	// (the partial evaluation still decides a rule that holds or fails
	// without it). label names what decides them ("PostGIS", "ltree").
	spatial map[string][]model.Operator
	label   map[string]string
}

func newNeeds() *needs {
	return &needs{cols: map[string]bool{}, rels: map[string]*needs{}, tables: map[model.TableName]*needs{}, spatial: map[string][]model.Operator{}, label: map[string]string{}}
}

// compact drops n's empty maps, and its children's: a needs is read only
// once built (a nil map reads as an empty one), and every empty map is an
// object the garbage collector marks.
func (n *needs) compact() {
	if n == nil {
		return
	}
	for _, c := range n.rels {
		c.compact()
	}
	for _, c := range n.tables {
		c.compact()
	}
	if len(n.cols) == 0 {
		n.cols = nil
	}
	n.colList = slices.Sorted(maps.Keys(n.cols))
	if len(n.rels) == 0 {
		n.rels = nil
	}
	if len(n.tables) == 0 {
		n.tables = nil
	}
	if len(n.spatial) == 0 {
		n.spatial = nil
	}
	if len(n.label) == 0 {
		n.label = nil
	}
}

// collect adds what e reads, with cur the level of the current row and
// root the permission's root level.
func collect(e model.BoolExp, cur, root *needs) {
	switch x := e.(type) {
	case model.And:
		for _, it := range x.Items {
			collect(it, cur, root)
		}
	case model.Or:
		for _, it := range x.Items {
			collect(it, cur, root)
		}
	case model.Not:
		collect(x.Item, cur, root)
	case model.RelExists:
		child, ok := cur.rels[x.Relationship.Name]
		if !ok {
			child = newNeeds()
			cur.rels[x.Relationship.Name] = child
		}
		collect(x.Where, child, root)
	case model.Exists:
		child, ok := root.tables[x.Table]
		if !ok {
			child = newNeeds()
			root.tables[x.Table] = child
		}
		collect(x.Where, child, root)
	case model.Compare:
		cur.cols[x.Column.Name] = true
		if _, ok := model.DatabaseDecidedCast(x.Column, x.Op, x.Cast); ok && !slices.Contains(cur.spatial[x.Column.Name], x.Op) {
			cur.spatial[x.Column.Name] = append(cur.spatial[x.Column.Name], x.Op)
			cur.label[x.Column.Name] = model.DatabaseLabel(x.Column, x.Op)
			switch {
			case model.JSONBTextCast(x.Column, x.Cast):
				cur.label[x.Column.Name] = "the column's text (_cast to text)"
			case x.Cast != "":
				cur.label[x.Column.Name] = "PostGIS on the column cast to " + x.Cast
			}
		}
		if ref, ok := x.Value.(model.ColumnRef); ok {
			at := cur
			if ref.Root {
				at = root
			}
			at.cols[ref.Column.Name] = true
			if _, ok := model.DatabaseDecided(x.Column, x.Op); ok && !slices.Contains(at.spatial[ref.Column.Name], x.Op) {
				// Two columns the database compares: both are gaps.
				at.spatial[ref.Column.Name] = append(at.spatial[ref.Column.Name], x.Op)
				at.label[ref.Column.Name] = model.DatabaseLabel(ref.Column, x.Op)
			}
		}
	}
}

// gap is data a rule needs that the request lacks.
type gap struct {
	// path for people: "published", "author.org_id", "comments[].author_id",
	// "public.memberships".
	path string
	// unknown is the input reference to treat as unknown in partial
	// evaluation: the root column or relationship, or the table.
	unknown string
	// database: the column is there, and unknown only for the operators
	// the database decides on it.
	database bool
}

// missing lists what row (and tables) lack of n; rowRef is "input.row" or
// "input.new_row".
func (n *needs) missing(row map[string]any, tables map[model.TableName][]map[string]any, rowRef string) []gap {
	var out []gap
	n.walk(row, "", rowRef, false, &out)
	for t, child := range n.tables {
		rows, ok := tables[t]
		if !ok {
			out = append(out, gap{path: t.String(), unknown: "input.tables[" + quoteRego(t.String()) + "]"})
			continue
		}
		for _, r := range rows {
			child.walk(r, t.String()+"[].", "input.tables["+quoteRego(t.String())+"]", true, &out)
		}
	}
	return out
}

// complete says whether row (and tables) have everything n reads: missing
// would return nothing. It allocates nothing, for Check's every row.
func (n *needs) complete(row rowView, tables map[model.TableName][]map[string]any) bool {
	if !n.hasIn(row) {
		return false
	}
	for t, child := range n.tables {
		rows, ok := tables[t]
		if !ok {
			return false
		}
		for _, r := range rows {
			if !child.has(r) {
				return false
			}
		}
	}
	return true
}

// has is complete for one row, without other tables.
func (n *needs) has(row map[string]any) bool { return n.hasIn(rowView{m: row}) }

// hasIn is has for a row given as a map or as an Object.
func (n *needs) hasIn(row rowView) bool {
	if len(n.colList) != len(n.cols) {
		// Not compacted: the map is the truth.
		for c := range n.cols {
			if _, ok := row.get(c); !ok {
				return false
			}
		}
	}
	for _, c := range n.colList {
		if _, ok := row.get(c); !ok {
			return false
		}
	}
	for name, child := range n.rels {
		v, ok := row.get(name)
		if !ok {
			return false
		}
		if rv, ok := objectView(v); ok {
			if !child.hasIn(rv) {
				return false
			}
			continue
		}
		if list, ok := v.([]any); ok {
			for _, el := range list {
				if m, ok := objectView(el); ok && !child.hasIn(m) {
					return false
				}
			}
		}
	}
	return true
}

// walk appends what row lacks. ref is the input reference of row while
// the path from the root is static (object relationships); frozen is set
// once an array relationship was traversed: OPA's partial evaluation cannot
// treat one element of an iterated array as unknown, so every gap below an
// array maps to the whole array.
func (n *needs) walk(row map[string]any, prefix, ref string, frozen bool, out *[]gap) {
	at := func(key string) string {
		if frozen {
			return ref
		}
		return ref + "[" + quoteRego(key) + "]"
	}
	for c := range n.cols {
		if ops := n.spatial[c]; len(ops) > 0 {
			// Never evaluated here, sent or not.
			names := make([]string, len(ops))
			for i, op := range ops {
				names[i] = string(op)
			}
			sort.Strings(names)
			_, has := row[c]
			*out = append(*out, gap{path: prefix + c + " (" + strings.Join(names, ", ") + ": " + n.label[c] + ", decided by the database)", unknown: at(c), database: has})
		} else if _, ok := row[c]; !ok {
			*out = append(*out, gap{path: prefix + c, unknown: at(c)})
		}
	}
	for name, child := range n.rels {
		v, ok := row[name]
		if !ok {
			*out = append(*out, gap{path: prefix + name, unknown: at(name)})
			continue
		}
		switch rv := v.(type) {
		case map[string]any:
			child.walk(rv, prefix+name+".", at(name), frozen, out)
		case []any:
			for _, el := range rv {
				if m, ok := el.(map[string]any); ok {
					child.walk(m, prefix+name+"[].", at(name), true, out)
				}
			}
		}
	}
}

func quoteRego(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func dedup(s []string) []string {
	if len(s) < 2 {
		return s
	}
	out := s[:1]
	for _, x := range s[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

// sessionNeed is one session variable a permission reads, with the form it
// is coerced to.
type sessionNeed struct {
	v model.SessionVar
	// pattern is set when the variable is a like/similar/regex pattern.
	pattern model.Operator
	// order is set when an enum column is ordered against the variable
	// (_gt _lt _gte _lte): it is bound to the list of labels on that side.
	order model.Operator
}

// sessionNeeds collects the session variables of an expression.
func sessionNeeds(e model.BoolExp, out map[sessionNeed]bool) {
	model.EachCompare(e, func(x model.Compare) {
		if v, ok := x.Value.(model.SessionVar); ok {
			n := sessionNeed{v: v}
			if op := compile.EffectiveOp(x.Column, x.Op); compile.IsPatternOp(op) {
				n.pattern = op
			}
			switch x.Op {
			case model.OpGt, model.OpLt, model.OpGte, model.OpLte:
				if x.Column.Type.Enum != nil {
					n.order = x.Op
				}
			}
			out[n] = true
		}
	})
}
