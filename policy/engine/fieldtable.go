package engine

import (
	"slices"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

// fieldTable finds a rowPlan's field by name in a few cache lines.
//
// Under load, Check's requests go to many permissions in turn, so a
// permission's row plan is seldom in the cache: a map lookup cost three
// or so cache misses (the map's group, the stored name's bytes, the
// entry), and rowGo makes one per field of every row (a map of 15 names
// was 9% of the Check handler in wardenbench's profile). A table of up
// to maxLinearFields names is scanned instead: each name's key (its
// length and first bytes, the whole name for most names) in one array,
// the longer names' bytes in one string, so that finding every field of
// a row touches a handful of lines that sit together. Wider tables keep
// the map.
type fieldTable struct {
	// keys[i] is nameKey(names[i]).
	keys  []nameKey
	names []string
	refs  []fieldRef
	// wide holds the fields of a table of more than maxLinearFields
	// names (keys, names and refs are then empty).
	wide map[string]fieldRef
}

// maxLinearFields is the most names a fieldTable scans: 64 keys are
// sixteen cache lines.
const maxLinearFields = 64

// keyBytes is how many of a name's bytes its key holds.
const keyBytes = 15

// nameKey is a name's length (255: 255 or more) and its first keyBytes
// bytes: two names of at most keyBytes bytes are equal exactly when their
// keys are, longer ones only if they are.
type nameKey [2]uint64

func keyOf(s string) nameKey {
	var k nameKey
	k[1] = uint64(min(len(s), 255)) << 56 // below it, bytes 8 to 14
	for i := range min(len(s), keyBytes) {
		k[i/8] |= uint64(s[i]) << (8 * (i % 8))
	}
	return k
}

// newFieldTable makes the table of fields (t's columns, computed fields
// and relationships, by name), the names in t's column order first.
func newFieldTable(t *model.Table, fields map[string]fieldRef) fieldTable {
	if len(fields) > maxLinearFields {
		return fieldTable{wide: fields}
	}
	order := make([]string, 0, len(fields))
	seen := make(map[string]bool, len(fields))
	for _, c := range t.Columns {
		if _, ok := fields[c.Name]; ok && !seen[c.Name] {
			seen[c.Name] = true
			order = append(order, c.Name)
		}
	}
	rest := len(order)
	for name := range fields {
		if !seen[name] {
			order = append(order, name)
		}
	}
	// The rest (computed fields, relationships) in a fixed order.
	slices.Sort(order[rest:])
	var blob strings.Builder
	for _, name := range order {
		blob.WriteString(name)
	}
	all := blob.String()
	ft := fieldTable{keys: make([]nameKey, len(order)), names: make([]string, len(order)), refs: make([]fieldRef, len(order))}
	at := 0
	for i, name := range order {
		ft.names[i] = all[at : at+len(name)]
		at += len(name)
		ft.keys[i] = keyOf(name)
		ft.refs[i] = fields[name]
	}
	return ft
}

// lookup is the field named k (zero: none).
func (ft *fieldTable) lookup(k string) fieldRef {
	if ft.wide != nil {
		return ft.wide[k]
	}
	key := keyOf(k)
	for i, x := range ft.keys {
		if x == key && (len(k) <= keyBytes || ft.names[i] == k) {
			return ft.refs[i]
		}
	}
	return fieldRef{}
}
