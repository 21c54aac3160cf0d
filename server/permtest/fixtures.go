package permtest

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// fixtures are a suite's rows, resolved against the policy: each table's
// rows as written (JSON values, for Check) and in canonical form keyed by
// position (for the SQL database), with each row's id.
type fixtures struct {
	tables map[model.TableName]*fixtureTable
	// canon holds every table's rows in canonical form with
	// difftest.KeyColumn set to the row's position, for Schema.Query.
	canon map[model.TableName][]map[string]any
}

type fixtureTable struct {
	table *model.Table
	rows  []map[string]any
	// ids are the rows' ids (the primary key's text), in order; byID finds
	// a row's position.
	ids  []string
	byID map[string]int
}

// resolveFixtures checks a suite's fixture rows against the policy's
// tables: known tables, known columns, values of the column's type, one
// id per row.
func resolveFixtures(p *model.Policy, s *Suite) (*fixtures, error) {
	f := &fixtures{tables: map[model.TableName]*fixtureTable{}, canon: map[model.TableName][]map[string]any{}}
	for _, name := range sortedKeys(s.Fixtures) {
		line := s.fixtureLines[name]
		fail := func(format string, args ...any) error {
			return &Error{File: s.File, Line: line, Msg: fmt.Sprintf("fixtures %s: ", name) + fmt.Sprintf(format, args...)}
		}
		tn, err := model.ParseTableName(name)
		if err != nil {
			return nil, fail("%v", err)
		}
		t, ok := p.Tables[tn]
		if !ok {
			return nil, fail("no such table in the policy")
		}
		if _, dup := f.tables[tn]; dup {
			return nil, fail("the rows of %s are given twice", tn)
		}
		if len(t.PrimaryKey) != 1 {
			return nil, fail("%s has no single-column primary key, which fixture rows are named by", tn)
		}
		ft := &fixtureTable{table: t, rows: s.Fixtures[name], byID: map[string]int{}}
		for i, row := range ft.rows {
			canon := map[string]any{difftest.KeyColumn: int64(i)}
			for col, v := range row {
				c, ok := t.Column(col)
				if !ok {
					return nil, fail("row %d: no column %q in %s (columns: %s)", i+1, col, tn, strings.Join(t.ColumnNames(), ", "))
				}
				cv, err := model.CoerceColumn(c.Type, v, false)
				if err != nil {
					return nil, fail("row %d: %s: %v", i+1, col, err)
				}
				canon[col] = cv
			}
			id, ok := row[t.PrimaryKey[0]]
			if !ok || id == nil {
				return nil, fail("row %d has no %s (its primary key, by which tests name it)", i+1, t.PrimaryKey[0])
			}
			key := idText(id)
			if prev, dup := ft.byID[key]; dup {
				return nil, fail("rows %d and %d have the same %s %s", prev+1, i+1, t.PrimaryKey[0], key)
			}
			ft.byID[key] = i
			ft.ids = append(ft.ids, key)
			f.canon[tn] = append(f.canon[tn], canon)
		}
		f.tables[tn] = ft
	}
	return f, nil
}

// idText is the text a row id is compared by: 1 in a fixture and "1" or 1
// in an expectation name the same row.
func idText(v any) string {
	return sessionText(v)
}

// nestDepth is how many relationship hops of fixture rows a Check row
// carries: enough for rules through a relationship of a relationship.
const nestDepth = 3

// nested returns a fixture row with its related fixture rows nested under
// the relationships' names, as Check reads them. A relationship whose
// target has no fixtures is left out, so that a rule through it answers
// NEEDS_DATA instead of deciding on rows the suite did not give.
func (f *fixtures) nested(t *model.Table, row map[string]any, hops int) map[string]any {
	out := make(map[string]any, len(row)+len(t.Relationships))
	for k, v := range row {
		out[k] = v
	}
	if hops <= 0 {
		return out
	}
	for name, rel := range t.Relationships {
		target, ok := f.tables[rel.Target]
		if !ok || rel.Function != nil || len(rel.Mapping) == 0 {
			continue
		}
		related := []any{}
		for _, r := range target.rows {
			if joins(row, r, rel.Mapping) {
				related = append(related, f.nested(target.table, r, hops-1))
			}
		}
		if rel.Kind == model.RelObject {
			if len(related) == 0 {
				out[name] = nil
			} else {
				out[name] = related[0]
			}
			continue
		}
		out[name] = related
	}
	return out
}

// joins reports whether a row and a related row match on every column
// pair (NULL matches nothing, as in SQL).
func joins(src, dst map[string]any, m []model.ColumnPair) bool {
	for _, p := range m {
		a, b := src[p.Local], dst[p.Remote]
		if a == nil || b == nil || idText(a) != idText(b) {
			return false
		}
	}
	return true
}

// selectedIDs runs a Filter answer's SQL over the fixtures and returns
// the ids of the rows of the table it selects, in fixture order.
func selectedIDs(ctx context.Context, db fixtureDB, f *fixtures, tn model.TableName, where *wardenv1.SqlFragment) ([]string, error) {
	keys, err := db.selected(ctx, f, tn, where)
	if err != nil {
		return nil, fmt.Errorf("running the filter's SQL over the fixtures: %w", err)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	ft := f.tables[tn]
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if k < 0 || int(k) >= len(ft.ids) {
			return nil, fmt.Errorf("the SQL selected key %d of %d rows", k, len(ft.ids))
		}
		out = append(out, ft.ids[k])
	}
	return out, nil
}
