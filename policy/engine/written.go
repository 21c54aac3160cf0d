package engine

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

// writtenRow prepares an insert's or an update's row as Hasura writes it.
// The columns written are the insert row's columns, or the update's
// columns whose new value differs from the current one (or that the
// current row does not state). A written column outside the permission's
// columns, or one the permission presets (Hasura takes no value for it),
// denies the row, naming them. Otherwise the presets are applied to the
// written row (insert: Values; update: New) before the check reads it.
func writtenRow(t *model.Table, perm *model.Permission, op model.Operation, r Row, presets map[string]any) (Row, *RowResult) {
	written := valuesOf(&r)
	if op == model.OpUpdate {
		var ok bool
		if written, ok = newValuesOf(&r); !ok {
			// No new row: the check reads the current one, and nothing
			// is known to be written.
			return r, nil
		}
	}
	current := valuesOf(&r)
	var outside, preset []string
	for k, v := range written.all {
		c, ok := t.Column(k)
		if !ok {
			continue // a relationship's rows, or an unknown key rowTerm reports
		}
		if op == model.OpUpdate {
			if old, stated := current.get(k); stated {
				same, err := sameValue(c, old, v)
				if err != nil {
					// A value that does not coerce: reading the row
					// reports it, with its field.
					return r, nil
				}
				if same {
					continue
				}
			}
		}
		switch {
		case isPreset(perm, k):
			preset = append(preset, k)
		case !slices.Contains(perm.Columns, k):
			outside = append(outside, k)
		}
	}
	if len(outside) > 0 || len(preset) > 0 {
		slices.Sort(outside)
		slices.Sort(preset)
		var why []string
		if len(outside) > 0 {
			why = append(why, fmt.Sprintf("writes column(s) %s, which the %s permission of role %s does not allow", strings.Join(outside, ", "), op, perm.Role))
		}
		if len(preset) > 0 {
			why = append(why, fmt.Sprintf("states preset column(s) %s, which the %s permission of role %s sets itself", strings.Join(preset, ", "), op, perm.Role))
		}
		denied := slices.Sorted(slices.Values(append(outside, preset...)))
		return r, &RowResult{ID: r.ID, Decision: Deny, Reason: "role " + perm.Role + ": the row " + strings.Join(why, "; "), DeniedColumns: denied}
	}
	if len(presets) == 0 {
		return r, nil
	}
	merged := written.plainMap()
	maps.Copy(merged, presets)
	if op == model.OpUpdate {
		r.New, r.NewFields = merged, nil
	} else {
		r.Values, r.Fields = merged, nil
	}
	return r, nil
}

// sameValue compares two row values of a column as the column's type.
func sameValue(c *model.Column, a, b any) (bool, error) {
	x, err := model.CoerceColumn(c.Type, PlainValue(a), false)
	if err != nil {
		return false, err
	}
	y, err := model.CoerceColumn(c.Type, PlainValue(b), false)
	if err != nil {
		return false, err
	}
	return reflect.DeepEqual(x, y), nil
}

// WrittenRow is the row an insert's or update's check reads, as Check
// prepares it (presets applied), or the deny Check answers without reading
// the rules (a column written outside the permission's, or a preset
// column stated): for callers that evaluate a Filter's check predicate
// themselves, and for the tests that compare them with Check.
func WrittenRow(t *model.Table, perm *model.Permission, op model.Operation, r Row, presets map[string]any) (Row, *RowResult) {
	return writtenRow(t, perm, op, r, presets)
}

func isPreset(perm *model.Permission, col string) bool {
	_, ok := perm.Set[col]
	return ok
}
