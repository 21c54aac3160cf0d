package difftest

// Insert and update rows as Hasura writes them, and the oracle for what
// Check must answer: independent of the engine (engine.WrittenRow), from
// Hasura's rules alone. An insert writes the columns its row states, an
// update the columns whose new value differs from the current one; a
// written column outside the permission's columns, or one the permission
// presets, refuses the row; otherwise the presets are written over the row
// before the check reads it.

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// writes is the Check row of a stored row n (nested) for rule op: for
// insert the columns the permission lets the row write (no preset
// column), relationships kept; for update the current row and, as the
// new row, the same values (nothing written: the check reads the current
// values with the presets over them). select and delete take the row.
func writes(t *model.Table, perm *model.Permission, op model.Operation, id string, n map[string]any) engine.Row {
	switch op {
	case model.OpInsert:
		return engine.Row{ID: id, Values: insertable(t, perm, n)}
	case model.OpUpdate:
		return engine.Row{ID: id, Values: n, New: maps.Clone(n)}
	}
	return engine.Row{ID: id, Values: n}
}

// insertable is n without the columns perm does not let an insert write.
func insertable(t *model.Table, perm *model.Permission, n map[string]any) map[string]any {
	out := make(map[string]any, len(n))
	for k, v := range n {
		if _, col := t.Column(k); col && (!slices.Contains(perm.Columns, k) || isPreset(perm, k)) {
			continue
		}
		out[k] = v
	}
	return out
}

func isPreset(perm *model.Permission, col string) bool {
	_, ok := perm.Set[col]
	return ok
}

// withPresets is row with the presets Filter reports (literals, and
// session variables substituted, in the column's canonical form) over it.
func withPresets(t *model.Table, row map[string]any, presets map[string]any) map[string]any {
	out := maps.Clone(row)
	for col, v := range presets {
		c, _ := t.Column(col)
		cv, err := model.CoerceColumn(c.Type, v, false)
		if err != nil {
			panic(fmt.Sprintf("difftest: preset %s: %v", col, err))
		}
		out[col] = cv
	}
	return out
}

// writtenAllowed is what Filter's predicates say of a written row: an
// insert's check on the row with the presets; an update's filter on the
// current row and its check on the new row with the presets.
func writtenAllowed(res *engine.FilterResult, op model.Operation, row, written map[string]any, tables map[model.TableName][]map[string]any) bool {
	if op == model.OpInsert {
		return residual.Eval(res.Predicate, residual.Data{Row: written, Tables: tables})
	}
	return residual.Eval(res.Predicate, residual.Data{Row: row, Tables: tables}) &&
		(res.Check == nil || residual.Eval(res.Check, residual.Data{Row: written, Tables: tables}))
}

// onlyUnwritten checks that an insert's NEEDS_DATA names only columns the
// row may not state: outside the permission's columns and not preset (a
// preset is applied, so never missing).
func onlyUnwritten(perm *model.Permission, missing []string) error {
	if len(missing) == 0 {
		return fmt.Errorf("NEEDS_DATA naming nothing")
	}
	for _, m := range missing {
		col, _, _ := strings.Cut(m, ".")
		col, _, _ = strings.Cut(col, "[")
		if slices.Contains(perm.Columns, col) || isPreset(perm, col) {
			return fmt.Errorf("NEEDS_DATA names %s, which the row states or a preset gives", m)
		}
	}
	return nil
}

// refusedWrites asks Check about rows that write a column outside the
// permission's columns, or state a preset column, and requires a DENY
// naming exactly that column. Insert: the writable row plus the column;
// update: the new row with the column's value changed (to NULL, or from
// NULL to another row's value). It returns how many rows it asked about.
func refusedWrites(ctx context.Context, set *engine.Set, in engine.CheckInput, t *model.Table, perm *model.Permission, rows []map[string]any) (int, error) {
	var cols []string
	for _, c := range t.Columns {
		if !slices.Contains(perm.Columns, c.Name) || isPreset(perm, c.Name) {
			cols = append(cols, c.Name)
		}
	}
	if len(cols) == 0 {
		return 0, nil
	}
	in.Rows = nil
	var want []string
	for i, row := range rows {
		col := cols[i%len(cols)]
		id := fmt.Sprintf("%v/%s", row["id"], col)
		switch in.Op {
		case model.OpInsert:
			v := insertable(t, perm, row)
			v[col] = row[col]
			in.Rows = append(in.Rows, engine.Row{ID: id, Values: v})
		case model.OpUpdate:
			nv := maps.Clone(row)
			if row[col] != nil {
				nv[col] = nil
			} else if other := otherValue(rows, col); other != nil {
				nv[col] = other
			} else {
				continue
			}
			in.Rows = append(in.Rows, engine.Row{ID: id, Values: row, New: nv})
		}
		want = append(want, col)
	}
	if len(in.Rows) == 0 {
		return 0, nil
	}
	res, err := set.Check(ctx, in)
	if err != nil {
		return 0, fmt.Errorf("Check of rows that write %v: %w", want, err)
	}
	for i, d := range res.Rows {
		if d.Decision != engine.Deny || !reflect.DeepEqual(d.DeniedColumns, []string{want[i]}) {
			return 0, fmt.Errorf("row %s writes %s (columns %v, presets %v): Check %s denied %v (%s), want DENY naming %s",
				d.ID, want[i], perm.Columns, slices.Sorted(maps.Keys(perm.Set)), d.Decision, d.DeniedColumns, d.Reason, want[i])
		}
	}
	return len(res.Rows), nil
}

// otherValue is a non-NULL value of col in some row, nil if none.
func otherValue(rows []map[string]any, col string) any {
	for _, r := range rows {
		if r[col] != nil {
			return r[col]
		}
	}
	return nil
}
