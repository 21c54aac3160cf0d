package engine

// rowView reads a row's values, or a related row's, given as a map or as
// an Object, without making the one into the other.
type rowView struct {
	m   map[string]any
	o   Object
	obj bool
}

// valuesOf is the view of r's values.
func valuesOf(r *Row) rowView {
	if r.Values == nil && r.Fields != nil {
		return rowView{o: r.Fields, obj: true}
	}
	return rowView{m: r.Values}
}

// newValuesOf is the view of r's new row; ok is false when r gives none.
func newValuesOf(r *Row) (v rowView, ok bool) {
	switch {
	case r.New != nil:
		return rowView{m: r.New}, true
	case r.NewFields != nil:
		return rowView{o: r.NewFields, obj: true}, true
	}
	return rowView{}, false
}

// objectView is the view of a related row's value; ok is false when v is
// not an object.
func objectView(v any) (rowView, bool) {
	switch x := v.(type) {
	case map[string]any:
		return rowView{m: x}, true
	case Object:
		return rowView{o: x, obj: true}, true
	}
	return rowView{}, false
}

func (v rowView) get(k string) (any, bool) {
	if v.obj {
		return v.o.Get(k)
	}
	x, ok := v.m[k]
	return x, ok
}

func (v rowView) len() int {
	if v.obj {
		return len(v.o)
	}
	return len(v.m)
}

// all yields every name and value.
func (v rowView) all(yield func(string, any) bool) {
	if v.obj {
		for _, f := range v.o {
			if !yield(f.Name, f.Value) {
				return
			}
		}
		return
	}
	for k, x := range v.m {
		if !yield(k, x) {
			return
		}
	}
}

// plainMap returns the values as a map of their own (nested Objects made
// maps): a copy the caller may change.
func (v rowView) plainMap() map[string]any {
	if v.obj {
		return v.o.Map()
	}
	out := make(map[string]any, len(v.m))
	for k, x := range v.m {
		out[k] = x
	}
	return out
}

// materialized returns r with its values as maps (Values, New), for the
// paths that read maps: OPA's evaluation, the replay.
func materialized(r Row) Row {
	if r.Values == nil && r.Fields != nil {
		r.Values = r.Fields.Map()
	}
	if r.New == nil && r.NewFields != nil {
		r.New = r.NewFields.Map()
	}
	r.Fields, r.NewFields = nil, nil
	return r
}

// materializedRows is materialized for every row: rows itself when no row
// gives Fields.
func materializedRows(rows []Row) []Row {
	for i := range rows {
		if rows[i].Fields != nil || rows[i].NewFields != nil {
			out := make([]Row, len(rows))
			for j, r := range rows {
				out[j] = materialized(r)
			}
			return out
		}
	}
	return rows
}
