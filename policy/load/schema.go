package load

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
	"go.yaml.in/yaml/v3"
)

// schema reads the schema file (format in doc.go) into ld.tables. It
// returns false when the file is unusable as a whole.
func (ld *loader) schema(n *yaml.Node, l loc) bool {
	if n == nil {
		ld.problemf(l, nil, "the schema file is empty: want tables: [...]")
		return false
	}
	keys, _ := ld.object(n, l, "schema", []string{"tables", "functions"}, nil)
	if keys == nil {
		return false
	}
	ld.schemaFunctions(keys["functions"], l.key("functions"))
	tl := l.key("tables")
	items, ok := ld.list(keys["tables"], tl, "tables")
	if !ok {
		return false
	}
	type pending struct {
		t    *model.Table
		l    loc
		keys map[string]*yaml.Node
	}
	var all []pending
	for i, it := range items {
		el := tl.index(i)
		k, _ := ld.object(it, el, "schema table", []string{"name", "source", "columns", "primary_key", "foreign_keys"}, nil)
		if k == nil {
			continue
		}
		name, ok := ld.tableName(k["name"], el.key("name"))
		if !ok {
			continue
		}
		if k["source"] != nil {
			// The table of one source, for a name several sources track
			// (placeTables resolves it once the metadata is read).
			if name.Source, ok = ld.str(k["source"], el.key("source"), "source name"); !ok {
				continue
			}
		}
		el = tl.sel("name", name.String())
		if _, dup := ld.tables[name]; dup {
			ld.problemf(el, it, "table %s is declared twice in the schema", name)
			continue
		}
		t := &model.Table{
			Name:          name,
			Relationships: map[string]*model.Relationship{},
			Permissions:   map[model.Operation]map[string]*model.Permission{},
		}
		ld.columns(t, k["columns"], el.key("columns"))
		ld.tables[name] = t
		ld.schemaLoc[name] = el
		all = append(all, pending{t, el, k})
	}
	for _, p := range all {
		ld.primaryKey(p.t, p.keys["primary_key"], p.l.key("primary_key"))
		ld.foreignKeys(p.t, p.keys["foreign_keys"], p.l.key("foreign_keys"))
		p.t.IndexColumns()
	}
	return true
}

func (ld *loader) columns(t *model.Table, n *yaml.Node, l loc) {
	items, ok := ld.list(n, l, "columns")
	if !ok {
		return
	}
	if len(items) == 0 {
		ld.problemf(l, n, "table %s has no columns", t.Name)
	}
	seen := map[string]bool{}
	for i, it := range items {
		el := l.index(i)
		k, _ := ld.object(it, el, "column", []string{"name", "type", "nullable", "base", "enum"}, nil)
		if k == nil {
			continue
		}
		name, ok1 := ld.str(k["name"], el.key("name"), "column name")
		if ok1 {
			el = l.sel("name", name)
		}
		typ, ok2 := ld.str(k["type"], el.key("type"), "column type")
		if !ok1 || !ok2 {
			continue
		}
		if seen[name] {
			ld.problemf(el, it, "column %s is declared twice", name)
			continue
		}
		seen[name] = true
		c := &model.Column{Name: name, Nullable: true}
		var good bool
		if c.Type, good = ld.columnType(typ, k, el, name); !good {
			continue
		}
		if nn := k["nullable"]; nn != nil {
			if b, ok := ld.boolean(nn, el.key("nullable"), "nullable"); ok {
				c.Nullable = b
				ld.nullableSet[c] = true
			}
		}
		t.Columns = append(t.Columns, c)
	}
	t.IndexColumns()
}

// columnType reads a type as a column (or a function's result) declares it:
// typ, with the keys base (a domain's base type) and enum (the labels of an
// enum type) of k. what names the column in problems. ok is false after a
// problem that leaves no usable type.
func (ld *loader) columnType(typ string, k map[string]*yaml.Node, el loc, what string) (model.Type, bool) {
	t := model.Type{Declared: typ}
	// A domain is decided as its base type; its own name stays the
	// declared type (column comparisons want the same type).
	decides := typ
	if k["base"] != nil {
		base, ok := ld.str(k["base"], el.key("base"), "base type")
		if !ok {
			return t, false
		}
		decides = base
		t.Base = base
	}
	t.Kind = KindOf(decides)
	if st := spatialType(decides); st != "" {
		t.Spatial = st
	}
	if ct, ok := canonType(decides); ok {
		t.Kind, t.Canon, t.Cast, t.Elem = model.KindText, ct.Canon, ct.Cast, ct.Elem
	}
	if k["enum"] != nil {
		t.Enum = ld.enum(decides, k["enum"], el.key("enum"))
		if t.Enum == nil {
			return t, false
		}
		t.Kind = model.KindText
	}
	canon := canonicalType(decides)
	t.Bits = intBits[canon]
	t.Fold = canon == "citext"
	t.PadSpace = canon == "character"
	if t.PadSpace {
		n, err := charLength(decides)
		if err != nil {
			ld.problemf(el.key("type"), k["type"], "column %s: %v", what, err)
		}
		t.Length = n
	}
	t.JSON = canon == "json"
	if t.Kind == model.KindOpaque && t.Spatial == "" {
		// Hasura's generic comparisons on it are the database's to decide
		// (model.DatabaseOpaque), cast to this type; "" where Warden will
		// not write the name into SQL.
		t.Cast = model.OpaqueCast(typ)
	}
	return t, true
}

// enum reads the labels of a column of enum type typ (a domain's base):
// a non-empty list of distinct labels in the type's order. It returns nil
// after reporting a problem.
func (ld *loader) enum(typ string, n *yaml.Node, l loc) *model.Enum {
	labels, ok := ld.labelList(n, l)
	if !ok {
		return nil
	}
	schema, name, err := parseTypeName(typ)
	if err != nil {
		ld.problemf(l, n, "enum type %q: %v", typ, err)
		return nil
	}
	if t := normaliseType(typ); strings.HasSuffix(t, "[]") || strings.HasPrefix(t, "_") {
		ld.problemf(l, n, "enum labels given for the array type %s: arrays of enums are not supported (without enum: the column loads, and only _is_null applies to it)", typ)
		return nil
	}
	if _, builtin := typeNames[normaliseType(typ)]; builtin {
		ld.problemf(l, n, "enum labels given for the built-in type %s: an enum column names its enum type (type: leave_status, enum: [...])", typ)
		return nil
	}
	if len(labels) == 0 {
		ld.problemf(l, n, "enum type %s has no labels", typ)
		return nil
	}
	seen := map[string]bool{}
	for i, lb := range labels {
		if seen[lb] {
			ld.problemf(l.index(i), n, "enum label %q is listed twice", lb)
			return nil
		}
		seen[lb] = true
	}
	return &model.Enum{Schema: schema, Name: name, Labels: labels}
}

// parseTypeName splits a type name, "name" or "schema.name", into its
// parts as PostgreSQL reads an identifier: a part in double quotes is
// taken as written ("" is a quote), any other part is lower-cased.
func parseTypeName(s string) (schema, name string, err error) {
	var parts []string
	i := 0
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		var part strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			for {
				if i >= len(s) {
					return "", "", fmt.Errorf("unterminated quoted identifier")
				}
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						part.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				part.WriteByte(s[i])
				i++
			}
		} else {
			j := i
			for i < len(s) && s[i] != '.' && s[i] != ' ' && s[i] != '"' {
				i++
			}
			part.WriteString(strings.ToLower(s[j:i]))
		}
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if part.Len() == 0 {
			return "", "", fmt.Errorf("want name or schema.name")
		}
		parts = append(parts, part.String())
		if i == len(s) {
			break
		}
		if s[i] != '.' || len(parts) == 2 {
			return "", "", fmt.Errorf("want name or schema.name")
		}
		i++
	}
	if len(parts) == 1 {
		return "", parts[0], nil
	}
	return parts[0], parts[1], nil
}

func (ld *loader) primaryKey(t *model.Table, n *yaml.Node, l loc) {
	if n == nil {
		return
	}
	cols, ok := ld.strList(n, l, "primary_key")
	if !ok {
		return
	}
	seen := map[string]bool{}
	for i, name := range cols {
		c, found := t.Column(name)
		switch {
		case !found:
			ld.problemf(l.index(i), elem(n, i), "primary key column %q is not a column of %s (columns: %s)", name, t.Name, strings.Join(t.ColumnNames(), ", "))
			continue
		case seen[name]:
			ld.problemf(l.index(i), elem(n, i), "primary key column %s is listed twice", name)
			continue
		case c.Nullable && ld.nullableSet[c]:
			ld.problemf(l.index(i), elem(n, i), "primary key column %s cannot be nullable", name)
		}
		seen[name] = true
		c.Nullable = false
		t.PrimaryKey = append(t.PrimaryKey, name)
	}
}

func (ld *loader) foreignKeys(t *model.Table, n *yaml.Node, l loc) {
	items, ok := ld.list(n, l, "foreign_keys")
	if !ok {
		return
	}
	for i, it := range items {
		el := l.index(i)
		k, _ := ld.object(it, el, "foreign key", []string{"columns", "references"}, nil)
		if k == nil {
			continue
		}
		cols, ok1 := ld.strList(k["columns"], el.key("columns"), "columns")
		rl := el.key("references")
		rk, _ := ld.object(k["references"], rl, "references", []string{"table", "columns"}, nil)
		if !ok1 || rk == nil {
			continue
		}
		ref, ok2 := ld.tableName(rk["table"], rl.key("table"))
		refCols, ok3 := ld.strList(rk["columns"], rl.key("columns"), "columns")
		if !ok2 || !ok3 {
			continue
		}
		// A foreign key stays in its database: the referenced table of
		// the same source, else the one declared without a source.
		rt, found := ld.tables[ref.In(t.Name.Source)]
		if !found {
			rt, found = ld.tables[ref]
		}
		switch {
		case !found:
			ld.problemf(rl.key("table"), rk["table"], "foreign key references table %s, which is not in the schema", ref)
			continue
		case len(cols) == 0:
			ld.problemf(el.key("columns"), k["columns"], "foreign key has no columns")
			continue
		case len(cols) != len(refCols):
			ld.problemf(el, it, "foreign key has %d columns but references %d", len(cols), len(refCols))
			continue
		}
		good := true
		for j := range cols {
			c, ok := t.Column(cols[j])
			if !ok {
				ld.problemf(el.key("columns").index(j), elem(k["columns"], j), "%q is not a column of %s (columns: %s)", cols[j], t.Name, strings.Join(t.ColumnNames(), ", "))
				good = false
				continue
			}
			rc, ok := rt.Column(refCols[j])
			if !ok {
				ld.problemf(rl.key("columns").index(j), elem(rk["columns"], j), "%q is not a column of %s (columns: %s)", refCols[j], rt.Name, strings.Join(rt.ColumnNames(), ", "))
				good = false
				continue
			}
			// An opaque column (oid, ...) is compared by the database alone:
			// a foreign key to or from one stands as the database has it.
			if c.Type.Kind != rc.Type.Kind && c.Type.Kind != model.KindUnknown && rc.Type.Kind != model.KindUnknown &&
				c.Type.Kind != model.KindOpaque && rc.Type.Kind != model.KindOpaque {
				ld.problemf(el, it, "foreign key column %s (%s) references %s.%s of another type (%s)", c.Name, c.Type.Kind, rt.Name, rc.Name, rc.Type.Kind)
				good = false
			}
		}
		if good {
			t.ForeignKeys = append(t.ForeignKeys, model.ForeignKey{Columns: cols, RefTable: ref, RefColumns: refCols})
		}
	}
}

// metaTableName reads a table name in the metadata: {schema, name}, or a
// string naming a table in schema public (as Hasura reads it: the string
// is not split at a dot).
func (ld *loader) metaTableName(n *yaml.Node, l loc) (model.TableName, bool) {
	if s := deref(n); isString(s) && s.Value != "" {
		return model.TableName{Schema: "public", Name: s.Value}, true
	}
	return ld.tableName(n, l)
}

// notInSchema says that a table is missing, with a hint when a bare string
// in the metadata looked like "schema.name".
func notInSchema(name model.TableName) string {
	msg := fmt.Sprintf("table %s is not in the schema", name)
	if name.Schema == "public" && strings.Contains(name.Name, ".") {
		msg += fmt.Sprintf(" (a string names a table in schema public; for %s write {schema: %s, name: %s})",
			name.Name, strings.SplitN(name.Name, ".", 2)[0], strings.SplitN(name.Name, ".", 2)[1])
	}
	return msg
}

// tableName reads "schema.name", "name" (schema public) or {schema, name}:
// the schema file's form.
func (ld *loader) tableName(n *yaml.Node, l loc) (model.TableName, bool) {
	n = deref(n)
	if n != nil && n.Kind == yaml.MappingNode {
		k, ok := ld.object(n, l, "table name", []string{"schema", "name"}, nil)
		if k == nil || !ok {
			return model.TableName{}, false
		}
		name, ok := ld.str(k["name"], l.key("name"), "table name")
		if !ok {
			return model.TableName{}, false
		}
		schema := "public"
		if k["schema"] != nil {
			if schema, ok = ld.str(k["schema"], l.key("schema"), "schema name"); !ok {
				return model.TableName{}, false
			}
		}
		return model.TableName{Schema: schema, Name: name}, true
	}
	s, ok := ld.str(n, l, "table name")
	if !ok {
		return model.TableName{}, false
	}
	name, err := model.ParseTableName(s)
	if err != nil {
		ld.problemf(l, n, "%v", err)
		return model.TableName{}, false
	}
	return name, true
}

var (
	typeArgsRE  = regexp.MustCompile(`\s*\([^)]*\)`)
	typeSpaceRE = regexp.MustCompile(`\s+`)
	charArgsRE  = regexp.MustCompile(`\(\s*([^)]*?)\s*\)`)
)

// typeNames maps each accepted type name to its canonical PostgreSQL name
// and its Kind.
var typeNames = map[string]struct {
	canonical string
	kind      model.Kind
}{}

func init() {
	for _, g := range []struct {
		kind      model.Kind
		canonical string
		names     []string
	}{
		{model.KindInteger, "smallint", []string{"smallint", "int2", "smallserial", "serial2"}},
		{model.KindInteger, "integer", []string{"integer", "int", "int4", "serial", "serial4"}},
		{model.KindInteger, "bigint", []string{"bigint", "int8", "bigserial", "serial8"}},
		{model.KindNumeric, "numeric", []string{"numeric", "decimal"}},
		{model.KindNumeric, "real", []string{"real", "float4"}},
		{model.KindNumeric, "double precision", []string{"double precision", "float8", "float"}},
		{model.KindText, "text", []string{"text"}},
		{model.KindText, "character varying", []string{"varchar", "character varying"}},
		{model.KindText, "character", []string{"char", "character", "bpchar"}},
		{model.KindText, "citext", []string{"citext"}},
		{model.KindText, "name", []string{"name"}},
		{model.KindBoolean, "boolean", []string{"boolean", "bool"}},
		{model.KindUUID, "uuid", []string{"uuid"}},
		{model.KindDate, "date", []string{"date"}},
		{model.KindTimestamp, "timestamp without time zone", []string{"timestamp", "timestamp without time zone"}},
		{model.KindTimestamptz, "timestamp with time zone", []string{"timestamptz", "timestamp with time zone"}},
		{model.KindJSONB, "jsonb", []string{"jsonb"}},
		{model.KindJSONB, "json", []string{"json"}},
	} {
		for _, n := range g.names {
			typeNames[n] = struct {
				canonical string
				kind      model.Kind
			}{g.canonical, g.kind}
		}
	}
}

// charLength is the n of character(n) (char(n), bpchar(n)): 1 for a bare
// character or char, 0 for bpchar without a length (no padding, no limit),
// as in PostgreSQL.
func charLength(declared string) (int, error) {
	m := charArgsRE.FindStringSubmatch(declared)
	if m == nil {
		if normaliseType(declared) == "bpchar" {
			return 0, nil
		}
		return 1, nil
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 1 || n > maxCharLength {
		return 0, fmt.Errorf("character length %q: want an integer from 1 to %d", m[1], maxCharLength)
	}
	return n, nil
}

// maxCharLength is PostgreSQL's largest n of character(n).
const maxCharLength = 10485760

// intBits is the width of each canonical integer type.
var intBits = map[string]int{"smallint": 16, "integer": 32, "bigint": 64}

// normaliseType lower-cases a declared type, drops its arguments and
// collapses spaces: "VARCHAR(255)" -> "varchar".
func normaliseType(declared string) string {
	t := strings.ToLower(strings.TrimSpace(declared))
	t = typeArgsRE.ReplaceAllString(t, "")
	return strings.TrimSpace(typeSpaceRE.ReplaceAllString(t, " "))
}

// canonicalType names a declared type as PostgreSQL does (int4 and serial
// are "integer"), so that two columns can be checked for the same type.
func canonicalType(declared string) string {
	if ct, ok := canonType(declared); ok {
		return ct.Cast
	}
	t := normaliseType(declared)
	if e, ok := typeNames[t]; ok {
		return e.canonical
	}
	return t
}

// canonType recognises the types compared by a canonical text
// (model.Type.Canon): time, timetz, interval, money, bytea, inet, cidr,
// ltree, and one-or-more-dimensional
// arrays (int4[], _int4, text[][]) of integer, text (not citext or
// character(n)), uuid, boolean or date elements.
func canonType(declared string) (model.Type, bool) {
	t := normaliseType(declared)
	switch t {
	case "time", "time without time zone":
		return model.Type{Canon: model.CanonTime, Cast: "time"}, true
	case "bytea", "inet", "cidr", "ltree", "money":
		return model.Type{Canon: t, Cast: t}, true
	case "interval":
		// interval(p) only: an interval restricted to fields (interval
		// day to second) reads a bare number by its last field, not as
		// seconds, and stays opaque.
		return model.Type{Canon: model.CanonInterval, Cast: "interval"}, true
	case "timetz", "time with time zone":
		return model.Type{Canon: model.CanonTimetz, Cast: "time with time zone"}, true
	}
	elem, ok := strings.CutSuffix(t, "[]")
	for ok && strings.HasSuffix(elem, "[]") {
		elem = strings.TrimSuffix(elem, "[]")
	}
	if !ok {
		if elem, ok = strings.CutPrefix(t, "_"); !ok {
			return model.Type{}, false
		}
	}
	e, known := typeNames[strings.TrimSpace(elem)]
	if !known || !model.ArrayElementKinds[e.kind] || e.canonical == "citext" || e.canonical == "character" {
		return model.Type{}, false
	}
	et := &model.Type{Declared: elem, Kind: e.kind, Bits: intBits[e.canonical]}
	return model.Type{Canon: model.CanonArray, Cast: e.canonical + "[]", Elem: et}, true
}

// KindOf maps a declared column type to its Kind, case-insensitively,
// ignoring type arguments such as varchar(255) or numeric(10, 2). A type
// Warden does not compare by value (tsvector, ranges, arrays of other
// element types than canonType's, an interval restricted to fields, enums
// and domains declared without their labels or base type, PostGIS, ...)
// is KindOpaque: it loads, and only _is_null applies (on PostGIS columns
// the _st_* operators too, which the database decides).
func KindOf(declared string) model.Kind {
	if _, ok := canonType(declared); ok {
		return model.KindText
	}
	if e, ok := typeNames[normaliseType(declared)]; ok {
		return e.kind
	}
	return model.KindOpaque
}

// labelList reads an enum's labels: strings, the empty one included (a
// PostgreSQL enum may have the empty label).
func (ld *loader) labelList(n *yaml.Node, l loc) ([]string, bool) {
	items, ok := ld.list(n, l, "enum")
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s := deref(it)
		if s == nil || s.Kind != yaml.ScalarNode || isNull(s) {
			ld.problemf(l.index(i), it, "enum label must be a string, got %s", describe(it))
			ok = false
			continue
		}
		out = append(out, s.Value)
	}
	return out, ok
}

// SpatialType is spatialType for other packages (schema pull's warnings).
func SpatialType(declared string) string { return spatialType(declared) }

// spatialType is "geometry" or "geography" for a PostGIS type, with or
// without its schema and type modifiers (geometry(Point,4326),
// extensions.geography), else "".
func spatialType(declared string) string {
	t := normaliseType(declared)
	if i := strings.LastIndex(t, "."); i >= 0 {
		t = strings.Trim(t[i+1:], `"`)
	}
	switch t {
	case model.SpatialGeometry, model.SpatialGeography:
		return t
	}
	return ""
}
