package load

import (
	"slices"
	"sort"

	"go.yaml.in/yaml/v3"

	"github.com/wardenpdp/warden/policy/model"
)

// Logical models and native queries of a source. A native query's root
// field returns rows of a logical model, under the logical model's select
// permissions (columns and filter, as a table's). The fields of a scalar
// type are the model's columns, typed as a table's; each permission's
// filter is parsed over them (after the tables are read, so that _exists
// finds them), and model.Policy.NativePolicy makes each native query a
// table-like entity the engine decides as a table.

// readLogicalModels reads a source's logical_models.
func (ld *loader) readLogicalModels(n *yaml.Node, l loc, src string) {
	ld.includedItems(n, l, "logical models", func(it *yaml.Node, el loc) {
		k, _ := ld.object(it, el, "logical model", []string{"name", "fields", "select_permissions"}, []string{"description"})
		if k == nil {
			return
		}
		name, ok := ld.str(k["name"], el.key("name"), "logical model name")
		if !ok {
			return
		}
		if ld.gql.logical[src] == nil {
			ld.gql.logical[src] = map[string]*model.LogicalModel{}
		}
		if ld.gql.logical[src][name] != nil {
			ld.problemf(el, it, "logical model %s is defined twice in source %s", name, src)
			return
		}
		lm := &model.LogicalModel{Name: name, Source: src, Select: map[string]*model.LogicalSelect{}}
		if n := len(ld.sources); n > 0 && ld.sources[n-1].name == src {
			lm.SourceKind = ld.sources[n-1].kind
		}
		ld.gql.logical[src][name] = lm
		ld.logicalFields(lm, k["fields"], el.key("fields"))
		ld.logicalSelect(lm, k["select_permissions"], el.key("select_permissions"))
	})
}

// logicalFields reads fields: a list of {name, type, nullable?,
// description?} (the form of the metadata API), or a map of name to
// {type, nullable?, description?} (the form some documentation shows).
// The type is a scalar, a logical model or an array of either: only the
// names matter here.
func (ld *loader) logicalFields(lm *model.LogicalModel, n *yaml.Node, l loc) {
	n = deref(n)
	switch {
	case isNull(n):
	case n.Kind == yaml.MappingNode:
		fields, _ := ld.fields(n, l, "logical model fields")
		for _, f := range fields {
			lm.Fields = append(lm.Fields, f.key)
			if fk, _ := ld.object(f.val, l.key(f.key), "logical model field", []string{"type", "nullable"}, []string{"description"}); fk != nil {
				ld.logicalColumn(lm, f.key, fk, l.key(f.key))
			}
		}
	default:
		items, _ := ld.list(n, l, "logical model fields")
		for i, it := range items {
			k, _ := ld.object(it, l.index(i), "logical model field", []string{"name", "type", "nullable"}, []string{"description"})
			if name, ok := ld.str(k["name"], l.index(i).key("name"), "field name"); ok {
				lm.Fields = append(lm.Fields, name)
				ld.logicalColumn(lm, name, k, l.index(i))
			}
		}
	}
}

// logicalSelect reads select_permissions: [{role, permission: {columns,
// filter}}].
func (ld *loader) logicalSelect(lm *model.LogicalModel, n *yaml.Node, l loc) {
	items, _ := ld.list(n, l, "select permissions")
	for i, it := range items {
		el := l.index(i)
		k, _ := ld.object(it, el, "select permission", []string{"role", "permission"}, []string{"comment"})
		role, ok := ld.str(k["role"], el.key("role"), "role")
		if !ok {
			continue
		}
		el = l.sel("role", role)
		switch {
		case role == model.AdminRole:
			ld.problemf(el.key("role"), k["role"], "no permission may be defined for admin")
			continue
		case lm.Select[role] != nil:
			ld.problemf(el, it, "logical model %s has two select permissions for role %s", lm.Name, role)
			continue
		}
		pk, _ := ld.object(k["permission"], el.key("permission"), "select permission", []string{"columns", "filter"}, []string{"limit", "allow_aggregations"})
		if pk == nil {
			continue
		}
		sel := &model.LogicalSelect{}
		switch c := deref(pk["columns"]); {
		case c == nil:
			ld.problemf(el.key("permission"), k["permission"], "the select permission of role %s on logical model %s has no columns", role, lm.Name)
			continue
		case c.Kind == yaml.ScalarNode && c.Value == "*":
			sel.Columns = append([]string(nil), lm.Fields...)
		default:
			cols, ok := ld.strList(c, el.key("permission").key("columns"), "columns")
			if !ok {
				continue
			}
			for _, col := range cols {
				if !contains(lm.Fields, col) {
					ld.problemf(el.key("permission").key("columns"), c, "logical model %s has no field %s", lm.Name, col)
					ok = false
				}
			}
			if !ok {
				continue
			}
			sel.Columns = cols
		}
		sel.AllRows = blankNode(pk["filter"])
		if sel.AllRows {
			sel.Filter = model.True{}
		} else {
			ld.gql.logicalFilters = append(ld.gql.logicalFilters, logicalFilter{lm, sel, pk["filter"], el.key("permission").key("filter")})
		}
		lm.Select[role] = sel
		ld.roles[role] = true
	}
}

// readNativeQueries reads a source's native_queries.
func (ld *loader) readNativeQueries(n *yaml.Node, l loc, src string) {
	ld.includedItems(n, l, "native queries", func(it *yaml.Node, el loc) {
		k, _ := ld.object(it, el, "native query", []string{"root_field_name", "returns", "object_relationships", "array_relationships"},
			[]string{"code", "arguments", "description", "type"})
		name, ok := ld.str(k["root_field_name"], el.key("root_field_name"), "root_field_name")
		if !ok {
			return
		}
		if ld.gql.native[name] != nil {
			ld.problemf(el, it, "native query root field %s is defined twice", name)
			return
		}
		nq := &model.NativeQuery{RootField: name, Source: src}
		nq.Returns, _ = ld.str(k["returns"], el.key("returns"), "returns")
		for _, key := range []string{"object_relationships", "array_relationships"} {
			rels, _ := ld.list(k[key], el.key(key), key)
			kind := model.RelObject
			if key == "array_relationships" {
				kind = model.RelArray
			}
			for i, r := range rels {
				rk, _ := ld.object(r, el.key(key).index(i), "relationship", []string{"name", "using"}, []string{"comment"})
				if rn, ok := ld.str(rk["name"], el.key(key).index(i).key("name"), "relationship name"); ok {
					nq.Relationships = append(nq.Relationships, rn)
					if nq.RelationshipDefs == nil {
						nq.RelationshipDefs = map[string]*model.NativeRelationship{}
					}
					rel := nativeRelationship(rn, kind, rk["using"])
					if rel.Unread != "" {
						ld.notef("%s: relationship %s of native query %s not read (%s): selecting it is undecided", el.key(key).index(i).source(), rn, name, rel.Unread)
					}
					nq.RelationshipDefs[rn] = rel
				}
			}
		}
		ld.gql.native[name] = nq
		ld.gql.nativeLocs[name] = el
	})
}

// finishLogical checks that each native query returns a logical model of
// its source and gives inherited roles their parents' select permissions
// (columns unioned; every row when a parent sees every row), unless they
// have their own.
func (ld *loader) finishLogical(out *model.GraphQLMetadata, inherited map[string][]string) {
	if len(ld.gql.logical) == 0 && len(ld.gql.native) == 0 {
		return
	}
	out.LogicalModels, out.NativeQueries = ld.gql.logical, map[string]*model.NativeQuery{}
	for _, f := range ld.gql.logicalFilters {
		root := &model.Table{Name: model.TableName{Source: f.lm.Source, Schema: model.NativeSchema, Name: f.lm.Name},
			Columns: f.lm.Columns, Relationships: map[string]*model.Relationship{}, Source: f.lm.Source, SourceKind: f.lm.SourceKind}
		root.IndexColumns()
		f.sel.Filter = ld.boolExp(f.n, f.l, root)
	}
	for name, nq := range ld.gql.native {
		if ld.gql.logical[nq.Source][nq.Returns] == nil {
			ld.problemf(ld.gql.nativeLocs[name].key("returns"), nil, "native query %s returns %s, which source %s has no logical model of", name, nq.Returns, nq.Source)
			continue
		}
		out.NativeQueries[name] = nq
	}
	roles := make([]string, 0, len(inherited))
	for r := range inherited {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, models := range ld.gql.logical {
		for _, lm := range models {
			for _, r := range roles {
				inheritLogical(lm, r, inherited, 0)
			}
		}
	}
}

func inheritLogical(lm *model.LogicalModel, role string, inherited map[string][]string, depth int) *model.LogicalSelect {
	if s := lm.Select[role]; s != nil || depth > 32 {
		return s
	}
	var from []*model.LogicalSelect
	var names []string
	for _, p := range inherited[role] {
		if s := inheritLogical(lm, p, inherited, depth+1); s != nil {
			from, names = append(from, s), append(names, p)
		}
	}
	if len(from) == 0 {
		return nil
	}
	out := combineLogical(from)
	out.InheritedFrom = names
	lm.Select[role] = out
	return out
}

// combineLogical derives an inherited role's select permission on a
// logical model from its parents' as Hasura does for a table's (its
// buildLogicalModelPermissions resolves it with resolveSelectPermission,
// the tables' combination): the OR of the filters, the union of the
// columns, and on each column that not every parent grants
// unconditionally the OR of the granting parents' conditions (the cell
// is null where none holds: Hasura's column redaction). A parent whose
// filter Warden does not have (left out as inconsistent) leaves the
// filter undecided (nil).
func combineLogical(from []*model.LogicalSelect) *model.LogicalSelect {
	out := &model.LogicalSelect{}
	filters := make([]model.BoolExp, 0, len(from))
	undecided := false
	for _, s := range from {
		out.AllRows = out.AllRows || s.AllRows
		for _, c := range s.Columns {
			if !contains(out.Columns, c) {
				out.Columns = append(out.Columns, c)
			}
		}
		if s.Filter == nil {
			undecided = true
		}
		filters = append(filters, s.Filter)
	}
	if undecided {
		return out
	}
	out.Filter = filters[0]
	if len(filters) > 1 {
		out.Filter = model.Or{Items: filters}
	}
	for _, c := range out.Columns {
		var conds []model.BoolExp
		unconditional := true
		for _, s := range from {
			switch cc, ok := s.ColumnConditions[c]; {
			case !contains(s.Columns, c):
				unconditional = false
			case ok:
				conds, unconditional = append(conds, cc), false
			default:
				conds = append(conds, s.Filter)
			}
		}
		if unconditional {
			continue
		}
		if out.ColumnConditions == nil {
			out.ColumnConditions = map[string]model.BoolExp{}
		}
		out.ColumnConditions[c] = conds[0]
		if len(conds) > 1 {
			out.ColumnConditions[c] = model.Or{Items: conds}
		}
	}
	return out
}

// logicalFilter is a select permission's filter, parsed once the tables
// are read.
type logicalFilter struct {
	lm  *model.LogicalModel
	sel *model.LogicalSelect
	n   *yaml.Node
	l   loc
}

// logicalColumn makes a field of a scalar type a column of the model:
// type is a scalar name ("integer") or {scalar, nullable} (the metadata
// API's form); a field of a logical model or an array type is no column.
func (ld *loader) logicalColumn(lm *model.LogicalModel, name string, k map[string]*yaml.Node, l loc) {
	tn := deref(k["type"])
	if tn == nil {
		return
	}
	nullable := true
	if nk := deref(k["nullable"]); nk != nil && nk.Kind == yaml.ScalarNode && nk.Value == "false" {
		nullable = false
	}
	var typ string
	switch tn.Kind {
	case yaml.ScalarNode:
		typ = tn.Value
	case yaml.MappingNode:
		tk, _ := ld.object(tn, l.key("type"), "field type", []string{"scalar", "nullable"}, []string{"logical_model", "array"})
		if tk["scalar"] == nil {
			return
		}
		var ok bool
		if typ, ok = ld.str(tk["scalar"], l.key("type").key("scalar"), "scalar type"); !ok {
			return
		}
		if nk := deref(tk["nullable"]); nk != nil && nk.Kind == yaml.ScalarNode && nk.Value == "false" {
			nullable = false
		}
	default:
		return
	}
	t, ok := ld.columnType(typ, map[string]*yaml.Node{}, l.key("type"), "field "+name)
	if !ok {
		return
	}
	lm.Columns = append(lm.Columns, &model.Column{Name: name, Type: t, Nullable: nullable})
}

func sortedCopy(s []string) []string { return slices.Sorted(slices.Values(s)) }

// nativeRelationship reads a native query relationship's using, Hasura's
// RelManualConfig: {column_mapping, remote_native_query | remote_table,
// insertion_order}. What it cannot read it says in Unread.
func nativeRelationship(name string, kind model.RelKind, using *yaml.Node) *model.NativeRelationship {
	rel := &model.NativeRelationship{Name: name, Kind: kind}
	u, ok := yamlMap(using)
	if !ok {
		rel.Unread = "no using object"
		return rel
	}
	switch nq, t := deref(u["remote_native_query"]), deref(u["remote_table"]); {
	case !isNull(nq) && isNull(t):
		if rel.NativeQuery, ok = scalar(nq); !ok {
			rel.Unread = "remote_native_query is not a name"
			return rel
		}
	case isNull(nq) && !isNull(t):
		if rel.Table, ok = metaTableNameLenient(t); !ok {
			rel.Unread = "remote_table is not a table name"
			return rel
		}
	default:
		rel.Unread = "using needs exactly one of remote_native_query and remote_table"
		return rel
	}
	cm, ok := yamlMap(u["column_mapping"])
	if !ok || len(cm) == 0 {
		rel.Unread = "no column_mapping"
		return rel
	}
	for local, v := range cm {
		remote, ok := scalar(v)
		if !ok {
			rel.Unread = "column_mapping." + local + " is not a name"
			return rel
		}
		rel.Mapping = append(rel.Mapping, model.ColumnPair{Local: local, Remote: remote})
	}
	sort.Slice(rel.Mapping, func(i, j int) bool { return rel.Mapping[i].Local < rel.Mapping[j].Local })
	return rel
}
