package policy_test

import (
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// The rows of a conformance case as tables (TestConformanceSQL): a case
// nests related rows under relationship names without join keys, so that
// a row, its related rows and the check's tables become flat rows whose
// join columns are synthesised.
//
// The join columns of a relationship (model.Relationship.Mapping, local on
// the parent, remote on the related row) must be equal for every related
// row the case nests, and must not let the join find any other row. The
// columns that have to be equal form classes (a union-find over (row,
// column) slots, across every relationship of the case, so that a key
// shared by two relationships is one class). A class takes the value the
// case gives one of its columns, or a fresh value where the case gives
// none. Absent columns are otherwise NULL, or a fresh value when the column
// is not nullable. Check decides the row without the absent values, so any
// value is as good as another for them; the values the case gives are
// kept. What cannot be kept is a skip with its reason:
//
//   - a related row nested while a join column is given NULL (NULL joins
//     nothing), or join columns given two different values;
//   - a join that finds a row the case does not nest there (a given key
//     that also matches another row; text keys are compared ignoring case
//     and trailing spaces, as a database collation may);
//   - NULL given for a column that is not nullable (sqlgen relies on the
//     schema's nullability);
//   - an _exists over a table that also receives the row or its related
//     rows (Check's _exists sees the check's tables only);
//   - a join key of a kind that has no fresh values (boolean, jsonb).
//
// Keys and fresh values are distinct across the rows of a check, so that
// mergeWorlds can put its rows in the same tables.

// sqlRecord is one row to insert.
type sqlRecord struct {
	table *model.Table
	// vals holds canonical values; a column absent from vals is NULL.
	vals map[string]any
	// given marks the columns the case gives (their value may be nil).
	given      map[string]bool
	key        int64
	fromTables bool // one of the check's tables rows
}

// sqlEdge is a relationship the case nests: the parent's related rows
// (none for an object relationship given null or an empty list).
type sqlEdge struct {
	parent   *sqlRecord
	rel      *model.Relationship
	children []*sqlRecord
}

// sqlWorld is what one query sees.
type sqlWorld struct {
	p     *model.Policy
	root  *sqlRecord
	recs  []*sqlRecord
	edges []sqlEdge
	ids   *sqlIDs
}

// sqlIDs hands out the keys and fresh values of a check, distinct across
// its rows so that their worlds can share the tables.
type sqlIDs struct{ key, fresh int }

// buildWorld flattens a row (with its related rows) and the check's tables;
// pred is the predicate the world is queried with (for the _exists rule).
func buildWorld(t *testing.T, p *model.Policy, table *model.Table, values map[string]any, tables map[model.TableName][]map[string]any, pred residual.Expr, ids *sqlIDs) (*sqlWorld, *sqlSkip) {
	t.Helper()
	w := &sqlWorld{p: p, ids: ids}
	var err error
	if w.root, err = w.flatten(table, values, false); err != nil {
		t.Fatalf("row: %v", err)
	}
	names := make([]model.TableName, 0, len(tables))
	for tn := range tables {
		names = append(names, tn)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].Less(names[j]) })
	for _, tn := range names {
		for _, r := range tables[tn] {
			if _, err := w.flatten(p.Tables[tn], r, true); err != nil {
				t.Fatalf("tables[%s]: %v", tn, err)
			}
		}
	}
	for _, r := range w.recs {
		ids.key++
		r.key = int64(ids.key)
	}
	exists := map[model.TableName]bool{}
	existsTables(pred, exists)
	for _, r := range w.recs {
		if exists[r.table.Name] && !r.fromTables {
			return nil, &sqlSkip{reason: "an _exists table also holds the row or its related rows", detail: r.table.Name.String()}
		}
		for _, c := range r.table.Columns {
			if r.given[c.Name] && r.vals[c.Name] == nil && !c.Nullable {
				return nil, &sqlSkip{reason: "NULL given for a column that is not nullable", detail: r.table.Name.String() + "." + c.Name}
			}
		}
	}
	if skip := w.joinKeys(); skip != nil {
		return nil, skip
	}
	if skip := w.verify(); skip != nil {
		return nil, skip
	}
	return w, nil
}

func (w *sqlWorld) flatten(table *model.Table, values map[string]any, fromTables bool) (*sqlRecord, error) {
	r := &sqlRecord{table: table, vals: map[string]any{}, given: map[string]bool{}, fromTables: fromTables}
	w.recs = append(w.recs, r)
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := values[k]
		if col, ok := table.Column(k); ok {
			cv, err := model.CoerceColumn(col.Type, v, false)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", table.Name, k, err)
			}
			r.vals[k], r.given[k] = cv, true
			continue
		}
		rel, ok := table.Relationships[k]
		if !ok {
			return nil, fmt.Errorf("%s: %s is neither a column nor a relationship", table.Name, k)
		}
		target := w.p.Tables[rel.Target]
		e := sqlEdge{parent: r, rel: rel}
		switch x := v.(type) {
		case nil:
		case map[string]any:
			if rel.Kind != model.RelObject {
				return nil, fmt.Errorf("%s.%s: an object for an array relationship", table.Name, k)
			}
			child, err := w.flatten(target, x, fromTables)
			if err != nil {
				return nil, err
			}
			e.children = append(e.children, child)
		case []any:
			if rel.Kind != model.RelArray {
				return nil, fmt.Errorf("%s.%s: a list for an object relationship", table.Name, k)
			}
			for _, el := range x {
				m, ok := el.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s.%s: a related row is not an object", table.Name, k)
				}
				child, err := w.flatten(target, m, fromTables)
				if err != nil {
					return nil, err
				}
				e.children = append(e.children, child)
			}
		default:
			return nil, fmt.Errorf("%s.%s: %T is not related rows", table.Name, k, v)
		}
		w.edges = append(w.edges, e)
	}
	return r, nil
}

// existsTables collects the tables of _exists (Exists without a join).
func existsTables(e residual.Expr, out map[model.TableName]bool) {
	switch x := e.(type) {
	case residual.And:
		for _, it := range x.Items {
			existsTables(it, out)
		}
	case residual.Or:
		for _, it := range x.Items {
			existsTables(it, out)
		}
	case residual.Not:
		existsTables(x.Item, out)
	case residual.Exists:
		if len(x.On) == 0 {
			out[x.Table] = true
		}
		existsTables(x.Where, out)
	}
}

type sqlSlot struct {
	r   *sqlRecord
	col string
}

// joinKeys gives the join columns of every nested relationship one value
// per class, and the other absent columns NULL or a fresh value.
func (w *sqlWorld) joinKeys() *sqlSkip {
	parent := map[sqlSlot]sqlSlot{}
	var find func(s sqlSlot) sqlSlot
	find = func(s sqlSlot) sqlSlot {
		p, ok := parent[s]
		if !ok || p == s {
			return s
		}
		root := find(p)
		parent[s] = root
		return root
	}
	var order []sqlSlot // the slots in a fixed order
	seen := map[sqlSlot]bool{}
	note := func(s sqlSlot) {
		if !seen[s] {
			seen[s] = true
			order = append(order, s)
		}
	}
	for _, e := range w.edges {
		for _, child := range e.children {
			for _, pair := range e.rel.Mapping {
				a, b := sqlSlot{e.parent, pair.Local}, sqlSlot{child, pair.Remote}
				if _, ok := e.parent.table.Column(pair.Local); !ok {
					return &sqlSkip{reason: "a join column the schema lacks", detail: e.parent.table.Name.String() + "." + pair.Local}
				}
				if _, ok := child.table.Column(pair.Remote); !ok {
					return &sqlSkip{reason: "a join column the schema lacks", detail: child.table.Name.String() + "." + pair.Remote}
				}
				note(a)
				note(b)
				if ra, rb := find(a), find(b); ra != rb {
					parent[ra] = rb
				}
			}
		}
	}
	classes := map[sqlSlot][]sqlSlot{}
	var roots []sqlSlot
	for _, s := range order {
		r := find(s)
		if _, ok := classes[r]; !ok {
			roots = append(roots, r)
		}
		classes[r] = append(classes[r], s)
	}
	for _, root := range roots {
		class := classes[root]
		var given []any
		var givenSlot sqlSlot
		for _, s := range class {
			if !s.r.given[s.col] {
				continue
			}
			v := s.r.vals[s.col]
			if v == nil {
				return &sqlSkip{reason: "a related row nested while a join column is given NULL", detail: s.r.table.Name.String() + "." + s.col}
			}
			if len(given) > 0 && !sameValue(given[0], v) {
				return &sqlSkip{reason: "join columns given different values", detail: fmt.Sprintf("%s.%s = %v, %s.%s = %v",
					givenSlot.r.table.Name, givenSlot.col, given[0], s.r.table.Name, s.col, v)}
			}
			given = append(given, v)
			givenSlot = s
		}
		var v any
		if len(given) > 0 {
			v = given[0]
		} else {
			col, _ := class[0].r.table.Column(class[0].col)
			f, ok := w.freshValue(col.Type.Kind)
			if !ok {
				return &sqlSkip{reason: "a join key of a kind with no fresh values", detail: col.Type.Kind.String()}
			}
			v = f
		}
		for _, s := range class {
			if s.r.given[s.col] {
				continue
			}
			col, _ := s.r.table.Column(s.col)
			cv, err := model.CoerceColumn(col.Type, v, false)
			if err != nil {
				return &sqlSkip{reason: "join columns of different types", detail: fmt.Sprintf("%s.%s: %v", s.r.table.Name, s.col, err)}
			}
			s.r.vals[s.col] = cv
		}
	}
	for _, r := range w.recs {
		for _, c := range r.table.Columns {
			if _, set := r.vals[c.Name]; set || r.given[c.Name] || c.Nullable {
				continue
			}
			v, ok := w.freshValue(c.Type.Kind)
			if !ok {
				v = map[model.Kind]any{model.KindBoolean: false, model.KindJSONB: map[string]any{}}[c.Type.Kind]
			}
			r.vals[c.Name] = v
		}
	}
	return nil
}

// freshValue is a value of kind k no case gives.
func (w *sqlWorld) freshValue(k model.Kind) (any, bool) {
	w.ids.fresh++
	n := 30000 + w.ids.fresh // within smallint
	base := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(w.ids.fresh) * time.Hour * 25)
	switch k {
	case model.KindInteger, model.KindNumeric:
		return json.Number(strconv.Itoa(n)), true
	case model.KindText:
		return "k" + strconv.Itoa(n), true
	case model.KindUUID:
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n), true
	case model.KindDate:
		return base.Format("2006-01-02"), true
	case model.KindTimestamp:
		return base.Format("2006-01-02T15:04:05.000000"), true
	case model.KindTimestamptz:
		return base.Format("2006-01-02T15:04:05.000000Z"), true
	}
	return nil, false
}

// verify checks that every nested relationship joins exactly its nested
// rows, under equality as loose as any database collation makes it.
func (w *sqlWorld) verify() *sqlSkip {
	for _, e := range w.edges {
		want := map[*sqlRecord]bool{}
		for _, c := range e.children {
			want[c] = true
		}
		for _, r := range w.recs {
			if r.table.Name != e.rel.Target {
				continue
			}
			match := len(e.rel.Mapping) > 0
			for _, pair := range e.rel.Mapping {
				a, b := e.parent.vals[pair.Local], r.vals[pair.Remote]
				if a == nil || b == nil || !looseEqual(a, b) {
					match = false
					break
				}
			}
			if match != want[r] {
				what := "also finds a row the case does not nest there"
				if want[r] {
					what = "misses a nested row" // cannot happen: the keys were made equal
				}
				return &sqlSkip{reason: "a join that " + what, detail: fmt.Sprintf("%s.%s -> %s", e.parent.table.Name, e.rel.Name, w.describe(r))}
			}
		}
	}
	return nil
}

// sameValue compares canonical values exactly (numbers by value).
func sameValue(a, b any) bool {
	if x, ok := rat(a); ok {
		y, ok := rat(b)
		return ok && x.Cmp(y) == 0
	}
	return reflect.DeepEqual(a, b)
}

// looseEqual is sameValue with text compared ignoring case and trailing
// spaces, as a case-insensitive PAD SPACE collation compares.
func looseEqual(a, b any) bool {
	x, ok1 := a.(string)
	y, ok2 := b.(string)
	if ok1 && ok2 {
		return strings.EqualFold(strings.TrimRight(x, " "), strings.TrimRight(y, " "))
	}
	return sameValue(a, b)
}

func rat(v any) (*big.Rat, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, false
	}
	return new(big.Rat).SetString(string(n))
}

// tableRows is the world as difftest.Schema.Query takes it.
func (w *sqlWorld) tableRows() map[model.TableName][]map[string]any {
	out := map[model.TableName][]map[string]any{}
	for _, r := range w.recs {
		m := make(map[string]any, len(r.vals)+1)
		for k, v := range r.vals {
			m[k] = v
		}
		m[difftest.KeyColumn] = r.key
		out[r.table.Name] = append(out[r.table.Name], m)
	}
	return out
}

func (w *sqlWorld) describe(r *sqlRecord) string {
	b, _ := json.Marshal(r.vals)
	return fmt.Sprintf("%s#%d %s", r.table.Name, r.key, b)
}

// String lists the rows, the root first.
func (w *sqlWorld) String() string {
	var parts []string
	for _, r := range w.recs {
		parts = append(parts, w.describe(r))
	}
	return strings.Join(parts, "; ")
}

// mergeWorlds puts the worlds of several rows of a check into one: each
// row with its related rows, and the check's tables once. The rows are
// decoys for each other: a join that finds more than it should finds
// another row's related rows.
func mergeWorlds(ws []*sqlWorld) *sqlWorld {
	m := &sqlWorld{p: ws[0].p, ids: ws[0].ids}
	for i, w := range ws {
		for _, r := range w.recs {
			if !r.fromTables || i == 0 {
				m.recs = append(m.recs, r)
			}
		}
		for _, e := range w.edges {
			if !e.parent.fromTables || i == 0 {
				m.edges = append(m.edges, e)
			}
		}
	}
	return m
}
