package engine

import (
	"sort"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
)

// needs is the data a rule reads at one level: columns of the row,
// relationships with what they read of the related rows, and other tables
// (_exists).
type needs struct {
	cols   map[string]bool
	rels   map[string]*needs
	tables map[model.TableName]*needs
}

func newNeeds() *needs {
	return &needs{cols: map[string]bool{}, rels: map[string]*needs{}, tables: map[model.TableName]*needs{}}
}

func (n *needs) empty() bool {
	return len(n.cols) == 0 && len(n.rels) == 0 && len(n.tables) == 0
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
		if ref, ok := x.Value.(model.ColumnRef); ok {
			if ref.Root {
				root.cols[ref.Column.Name] = true
			} else {
				cur.cols[ref.Column.Name] = true
			}
		}
	}
}

// missing lists what row lacks of n, as paths ("published",
// "author.org_id", "comments[].author_id", "public.memberships").
func (n *needs) missing(row map[string]any) []string {
	var out []string
	n.walk(row, "", &out)
	for t := range n.tables {
		out = append(out, t.String())
	}
	sort.Strings(out)
	return dedup(out)
}

func (n *needs) walk(row map[string]any, prefix string, out *[]string) {
	for c := range n.cols {
		if _, ok := row[c]; !ok {
			*out = append(*out, prefix+c)
		}
	}
	for name, child := range n.rels {
		v, ok := row[name]
		if !ok {
			*out = append(*out, prefix+name)
			continue
		}
		switch rv := v.(type) {
		case map[string]any:
			child.walk(rv, prefix+name+".", out)
		case []any:
			for _, el := range rv {
				if m, ok := el.(map[string]any); ok {
					child.walk(m, prefix+name+"[].", out)
				}
			}
		}
	}
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
}

// sessionNeeds collects the session variables of an expression.
func sessionNeeds(e model.BoolExp, out map[sessionNeed]bool) {
	switch x := e.(type) {
	case model.And:
		for _, it := range x.Items {
			sessionNeeds(it, out)
		}
	case model.Or:
		for _, it := range x.Items {
			sessionNeeds(it, out)
		}
	case model.Not:
		sessionNeeds(x.Item, out)
	case model.RelExists:
		sessionNeeds(x.Where, out)
	case model.Exists:
		sessionNeeds(x.Where, out)
	case model.Compare:
		if v, ok := x.Value.(model.SessionVar); ok {
			n := sessionNeed{v: v}
			if compile.IsPatternOp(x.Op) {
				n.pattern = x.Op
			}
			out[n] = true
		}
	}
}
