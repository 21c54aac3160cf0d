package load

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wardenpdp/warden/policy/model"
)

// The GraphQL names of tracked tables' root fields, as Hasura builds them:
// the table's GraphQL name (<schema>_<name> outside public, or
// configuration.custom_name), each kind's default name around it
// (<t>, <t>_by_pk, insert_<t>_one, ...) unless configuration.
// custom_root_fields names it, then the source's customization.root_fields
// prefix and suffix around the result, under its namespace if it has one.
// Under the graphql-default naming convention (the source's
// customization.naming_convention, else WithDefaultNamingConvention) the
// same names are camelCase (naming.go): articlesByPk, insertArticlesOne,
// x_InsertArticles_v1; and so are its columns' field names, which load
// records in the table's TableGraphQL with the type name's parts, for
// CheckGraphQL to read arguments and selections by (graphqlDefaultColumns).
// A table whose names Warden cannot tell is marked NamesUnknown: no
// selection that reaches it is decided.
//
// These keys shaped only the GraphQL schema before CheckGraphQL decided
// table root fields, and Warden loaded metadata whatever they held: so a
// shape Warden cannot read is a note, never a load error, and the table
// (or source) has no root fields Warden decides — CheckGraphQL answers
// them undecided.

// queryRootKinds and subscriptionRootKinds are the values
// query_root_fields and subscription_root_fields take.
var (
	queryRootKinds        = []string{model.RootSelect, model.RootSelectByPk, model.RootSelectAggregate}
	subscriptionRootKinds = []string{model.RootSelect, model.RootSelectByPk, model.RootSelectAggregate, model.RootSelectStream}
)

// gqlUnknown marks a source whose root field names Warden cannot tell.
var gqlUnknown = &model.SourceGraphQL{}

// rootFieldList reads query_root_fields or subscription_root_fields: a
// list of root field kinds; empty means none.
func (ld *loader) rootFieldList(n *yaml.Node, l loc, allowed []string, ok *bool) map[string]bool {
	names, good := ld.strList(n, l, "root fields")
	if !good {
		*ok = false
		return nil
	}
	out := make(map[string]bool, len(names))
	for i, name := range names {
		if !contains(allowed, name) {
			ld.problemf(l.index(i), elem(n, i), "%q is not a root field kind here (want one of %s)", name, strings.Join(allowed, ", "))
			*ok = false
			continue
		}
		out[name] = true
	}
	return out
}

// sourceCustomization reads a source's customization: root_fields
// {namespace, prefix, suffix}, type_names {prefix, suffix} and
// naming_convention (hasura-default, or graphql-default: naming.go;
// WithDefaultNamingConvention names the one of a source without it). Any
// other naming convention, or a shape Warden cannot read, leaves the
// source's root fields undecided.
func (ld *loader) sourceCustomization(n *yaml.Node, l loc, source string) *model.SourceGraphQL {
	out := &model.SourceGraphQL{}
	convention := func(v, from string) bool {
		switch v {
		case "", "hasura-default":
		case "graphql-default":
			out.GraphQLDefault = true
		default:
			ld.notef("%s: %s %q: the root fields of source %s are not decided by CheckGraphQL (only hasura-default and graphql-default are)", l.source(), from, v, source)
			return false
		}
		return true
	}
	if isNull(deref(n)) {
		if !convention(ld.cfg.namingConvention, "default naming convention") {
			return gqlUnknown
		}
		if out.GraphQLDefault {
			return out
		}
		return nil
	}
	m, ok := yamlMap(n)
	if !ok {
		ld.notef("%s: not read (not an object): the root fields of source %s are not decided by CheckGraphQL", l.source(), source)
		return gqlUnknown
	}
	if nc := m["naming_convention"]; !isNull(deref(nc)) {
		v, _ := scalar(nc)
		if !convention(v, "naming_convention") {
			return gqlUnknown
		}
	} else if !convention(ld.cfg.namingConvention, "default naming convention") {
		return gqlUnknown
	}
	read := func(key string, into ...*string) bool {
		v := m[key]
		if isNull(deref(v)) {
			return true
		}
		sub, ok := yamlMap(v)
		if !ok {
			return false
		}
		names := []string{"namespace", "prefix", "suffix"}
		if len(into) == 2 {
			names = names[1:]
		}
		for i, name := range names {
			if x := sub[name]; !isNull(deref(x)) {
				s, ok := scalar(x)
				if !ok {
					return false
				}
				*into[i] = s
			}
		}
		return true
	}
	if !read("root_fields", &out.Namespace, &out.Prefix, &out.Suffix) || !read("type_names", &out.TypePrefix, &out.TypeSuffix) {
		ld.notef("%s: not read (root_fields and type_names must be objects of strings): the root fields of source %s are not decided by CheckGraphQL", l.source(), source)
		return gqlUnknown
	}
	return out
}

// tableConfiguration reads a table entry's configuration: custom_name,
// custom_root_fields (a name, or {name, comment}), column_config
// ({column: {custom_name}}) and the older custom_column_names.
func (ld *loader) tableConfiguration(e *tableEntry) {
	if e.table == nil {
		return
	}
	ld.remoteRelationships(e)
	n := e.keys["configuration"]
	if isNull(deref(n)) {
		return
	}
	l := e.loc.key("configuration")
	bad := func(what string) {
		ld.notef("%s: %s not read: the root fields of %s are not decided by CheckGraphQL", l.source(), what, e.table.Name)
		e.gqlUnreadable = true
	}
	m, ok := yamlMap(n)
	if !ok {
		bad("configuration (not an object)")
		return
	}
	g := e.table.GraphQL
	if g == nil {
		g = &model.TableGraphQL{}
	}
	if v := m["custom_name"]; !isNull(deref(v)) {
		if g.CustomName, ok = scalar(v); !ok {
			bad("custom_name")
			return
		}
	}
	if v := m["custom_root_fields"]; !isNull(deref(v)) {
		rf, ok := yamlMap(v)
		if !ok {
			bad("custom_root_fields")
			return
		}
		g.RootFields = map[string]string{}
		for key, val := range rf {
			if !contains(model.TableRootKinds, key) {
				bad("custom_root_fields." + key)
				return
			}
			if obj, isObj := yamlMap(val); isObj {
				val = obj["name"]
			}
			if isNull(deref(val)) {
				continue
			}
			name, ok := scalar(val)
			if !ok {
				bad("custom_root_fields." + key)
				return
			}
			g.RootFields[key] = name
		}
	}
	columns := func(key string, nested bool) bool {
		v := m[key]
		if isNull(deref(v)) {
			return true
		}
		cm, ok := yamlMap(v)
		if !ok {
			return false
		}
		for col, val := range cm {
			if nested {
				obj, ok := yamlMap(val)
				if !ok {
					return false
				}
				val = obj["custom_name"]
				if isNull(deref(val)) {
					continue
				}
			}
			name, ok := scalar(val)
			if !ok {
				return false
			}
			if g.ColumnNames == nil {
				g.ColumnNames = map[string]string{}
			}
			g.ColumnNames[col] = name
		}
		return true
	}
	// custom_column_names first: column_config wins where both name a
	// column, as in Hasura, which migrated the one into the other.
	if !columns("custom_column_names", false) || !columns("column_config", true) {
		bad("column names")
		return
	}
	e.table.GraphQL = g
}

// remoteRelationships reads a table's remote relationships: fields of
// its type that reach a table of another source or a remote schema.
// Hasura's forms: definition.to_source {source, table,
// relationship_type, field_mapping}; definition.to_remote_schema
// {remote_schema, lhs_fields, remote_field}; and the older definition
// {remote_schema, hasura_fields, remote_field}. One whose definition
// Warden cannot read is kept by name, undecided (never a field Hasura
// would not find).
func (ld *loader) remoteRelationships(e *tableEntry) {
	n := deref(e.keys["remote_relationships"])
	if isNull(n) {
		return
	}
	l := e.loc.key("remote_relationships")
	if n.Kind != yaml.SequenceNode {
		ld.notef("%s: remote_relationships not read (not a list): the root fields of %s are not decided by CheckGraphQL", l.source(), e.table.Name)
		e.gqlUnreadable = true
		return
	}
	for _, it := range n.Content {
		m, _ := yamlMap(it)
		name, ok := scalar(m["name"])
		if !ok {
			ld.notef("%s: a remote relationship without a name: the root fields of %s are not decided by CheckGraphQL", l.source(), e.table.Name)
			e.gqlUnreadable = true
			return
		}
		if e.table.GraphQL == nil {
			e.table.GraphQL = &model.TableGraphQL{}
		}
		if e.table.GraphQL.RemoteRelationships == nil {
			e.table.GraphQL.RemoteRelationships = map[string]*model.RemoteRelationship{}
		}
		r := readRemoteRelationship(name, m["definition"], e.table.Source)
		if r.Unread != "" {
			ld.notef("%s: remote relationship %s of %s not read (%s): selecting it is undecided", l.sel("name", name).source(), name, e.table.Name, r.Unread)
		}
		e.table.GraphQL.RemoteRelationships[name] = r
	}
}

// readRemoteRelationship reads one remote relationship's definition;
// what it cannot read it says in Unread.
func readRemoteRelationship(name string, def *yaml.Node, from string) *model.RemoteRelationship {
	r := &model.RemoteRelationship{Name: name}
	d, ok := yamlMap(def)
	if !ok {
		r.Unread = "no definition object"
		return r
	}
	switch {
	case !isNull(deref(d["to_source"])):
		readToSource(r, d["to_source"])
	case !isNull(deref(d["to_remote_schema"])):
		ts, _ := yamlMap(d["to_remote_schema"])
		readToRemoteSchema(r, ts, "lhs_fields")
	case !isNull(deref(d["remote_schema"])):
		// The older form: the definition itself names the remote schema.
		readToRemoteSchema(r, d, "hasura_fields")
	default:
		r.Unread = "the definition has neither to_source, to_remote_schema nor remote_schema"
	}
	return r
}

func readToSource(r *model.RemoteRelationship, n *yaml.Node) {
	m, ok := yamlMap(n)
	if !ok {
		r.Unread = "to_source is not an object"
		return
	}
	r.ToSource = true
	src, ok := scalar(m["source"])
	if !ok {
		r.Unread = "to_source has no source"
		return
	}
	switch kind, _ := scalar(m["relationship_type"]); kind {
	case "object":
		r.Kind = model.RelObject
	case "array":
		r.Kind = model.RelArray
	default:
		r.Unread = fmt.Sprintf("relationship_type %q is neither object nor array", kind)
		return
	}
	t, ok := metaTableNameLenient(m["table"])
	if !ok {
		r.Unread = "to_source.table is not a table name"
		return
	}
	r.Target = t.In(src)
	fm, ok := yamlMap(m["field_mapping"])
	if !ok || len(fm) == 0 {
		r.Unread = "to_source has no field_mapping"
		return
	}
	for local, v := range fm {
		remote, ok := scalar(v)
		if !ok {
			r.Unread = "field_mapping." + local + " is not a column name"
			return
		}
		r.Mapping = append(r.Mapping, model.ColumnPair{Local: local, Remote: remote})
	}
	sort.Slice(r.Mapping, func(i, j int) bool { return r.Mapping[i].Local < r.Mapping[j].Local })
}

// metaTableNameLenient reads {schema, name} or a string (schema public)
// without reporting a problem.
func metaTableNameLenient(n *yaml.Node) (model.TableName, bool) {
	if s, ok := scalar(n); ok {
		return model.TableName{Schema: "public", Name: s}, true
	}
	m, ok := yamlMap(n)
	if !ok {
		return model.TableName{}, false
	}
	name, ok := scalar(m["name"])
	if !ok {
		return model.TableName{}, false
	}
	schema := "public"
	if !isNull(deref(m["schema"])) {
		if schema, ok = scalar(m["schema"]); !ok {
			return model.TableName{}, false
		}
	}
	return model.TableName{Schema: schema, Name: name}, true
}

func readToRemoteSchema(r *model.RemoteRelationship, m map[string]*yaml.Node, lhsKey string) {
	var ok bool
	if r.RemoteSchema, ok = scalar(m["remote_schema"]); !ok {
		r.Unread = "no remote_schema"
		return
	}
	if lhs := deref(m[lhsKey]); !isNull(lhs) {
		if lhs.Kind != yaml.SequenceNode {
			r.Unread = lhsKey + " is not a list"
			return
		}
		for _, c := range lhs.Content {
			s, ok := scalar(c)
			if !ok {
				r.Unread = lhsKey + " holds something other than a column name"
				return
			}
			r.LHSFields = append(r.LHSFields, s)
		}
	}
	// remote_field: {field: {arguments: {...}, field: {next: {...}}}},
	// one field at each level.
	cur := m["remote_field"]
	for depth := 0; ; depth++ {
		fm, ok := yamlMap(cur)
		if !ok || len(fm) != 1 || depth > 32 {
			r.Unread = "remote_field is not a path of single fields"
			return
		}
		for field, body := range fm {
			bm, ok := yamlMap(body)
			if !ok {
				r.Unread = "remote_field." + field + " is not an object"
				return
			}
			call := model.RemoteFieldCall{Field: field, Arguments: map[string]any{}}
			if args := deref(bm["arguments"]); !isNull(args) {
				if err := args.Decode(&call.Arguments); err != nil {
					r.Unread = "the arguments of remote_field." + field + " are not an object"
					return
				}
			}
			r.RemoteField = append(r.RemoteField, call)
			cur = bm["field"]
		}
		if isNull(deref(cur)) {
			return
		}
	}
}

// tableRootFields builds the index of table root fields: every tracked
// table's, named as Hasura names them. A name two objects claim (two
// tables, or a table and an action or function) is left out and noted:
// Hasura reports such a conflict as inconsistent.
func (ld *loader) tableRootFields(out *model.GraphQLMetadata) {
	for _, src := range ld.sources {
		if src.gql != nil && src.gql != gqlUnknown && src.gql.GraphQLDefault {
			if out.GraphQLDefaultSources == nil {
				out.GraphQLDefaultSources = map[string]bool{}
			}
			out.GraphQLDefaultSources[src.name] = true
		}
	}
	claimed := map[string]int{}
	for _, src := range ld.sources {
		if src.gql != nil && src.gql.Namespace != "" {
			claimed[src.gql.Namespace]++
		}
	}
	for _, src := range ld.sources {
		if src.gql == nil || src.gql == gqlUnknown || src.gql.Namespace == "" || claimed[src.gql.Namespace] > 1 {
			continue
		}
		if out.NamespaceSources == nil {
			out.NamespaceSources = map[string]model.SourceGraphQL{}
		}
		out.NamespaceSources[src.gql.Namespace] = *src.gql
	}
	sources := map[string]*model.SourceGraphQL{}
	for _, e := range ld.order {
		if e.table != nil {
			sources[e.source.name] = e.source.gql
		}
	}
	type claim struct {
		f     model.TableRootField
		count int
	}
	claims := map[string]map[string]*claim{} // namespace ("" none), then name
	relay := map[string]map[string]*claim{}  // the Relay API's <t>_connection fields
	for _, e := range ld.order {
		t := e.table
		if t != nil && (e.source.gql == gqlUnknown || e.gqlUnreadable) {
			// Its fields' names are not certain either: a selection
			// reaching it through a relationship is not decided.
			if t.GraphQL == nil {
				t.GraphQL = &model.TableGraphQL{}
			}
			t.GraphQL.NamesUnknown = true
		}
		if t == nil || e.source.gql == gqlUnknown || e.gqlUnreadable {
			continue
		}
		cust := e.source.gql
		if cust == nil {
			cust = &model.SourceGraphQL{}
		}
		base := t.Name.Name
		if t.Name.Schema != "public" {
			base = t.Name.Schema + "_" + t.Name.Name
		}
		var custom map[string]string
		if t.GraphQL != nil {
			if t.GraphQL.CustomName != "" {
				base = t.GraphQL.CustomName
			}
			custom = t.GraphQL.RootFields
		}
		typeName := cust.TypePrefix + base + cust.TypeSuffix
		var ident []nameWord
		var columns map[string]string
		if cust.GraphQLDefault {
			if t.GraphQL == nil {
				t.GraphQL = &model.TableGraphQL{}
			}
			var ok bool
			if ident, ok = graphqlDefaultIdent(t); !ok || !allCamelFixed(custom) {
				ld.notef("%s: naming_convention graphql-default: Warden cannot tell how Hasura names the root fields of %s (a double or trailing underscore, or a custom name the convention would change): not decided by CheckGraphQL", e.loc.source(), t.Name)
				t.GraphQL.NamesUnknown = true
				continue
			}
			var why string
			if columns, why = graphqlDefaultColumns(t); why != "" {
				ld.notef("%s: naming_convention graphql-default: Warden cannot tell how Hasura names the fields of %s (%s): its root fields are not decided by CheckGraphQL", e.loc.source(), t.Name, why)
				t.GraphQL.NamesUnknown = true
				continue
			}
			typeName = wrapGraphqlDefault(cust.TypePrefix, joinWords(ident, true), cust.TypeSuffix)
		}
		if t.GraphQL == nil {
			t.GraphQL = &model.TableGraphQL{}
		}
		t.GraphQL.TypeName = typeName
		// Hasura's buildTableRelayQueryFields
		// (Hasura.Backends.Postgres.Instances.Schema): runMkRootFieldName
		// of applyFieldNameCaseIdentifier tCase (mkRelayConnectionField
		// gqlName), mkRelayConnectionField (Hasura.RQL.Types.
		// SourceCustomization) adding the word "connection" to the
		// table's identifier, as mkSelectStreamField adds "stream": under
		// hasura-default <table>_connection, under graphql-default the
		// words joined camelCase (blogPostsConnection); then the source's
		// root field prefix and suffix. custom_root_fields does not name
		// it.
		name := cust.Prefix + base + "_connection" + cust.Suffix
		if cust.GraphQLDefault {
			g := t.GraphQL
			g.GraphQLDefault, g.ColumnNames = true, columns
			g.TypeBase, g.TypePrefix, g.TypeSuffix = joinWords(ident, true), cust.TypePrefix, cust.TypeSuffix
			name = wrapGraphqlDefault(cust.Prefix, graphqlDefaultRootName(model.RootSelectConnection, ident), cust.Suffix)
		}
		if relay[cust.Namespace] == nil {
			relay[cust.Namespace] = map[string]*claim{}
		}
		c := relay[cust.Namespace][name]
		if c == nil {
			c = &claim{f: model.TableRootField{Table: t.Name, Kind: model.RootSelectConnection, TypeName: typeName, GraphQLDefault: cust.GraphQLDefault}}
			relay[cust.Namespace][name] = c
		}
		c.count++
		for _, kind := range model.TableRootKinds {
			name := custom[kind]
			switch {
			case name != "" && cust.GraphQLDefault:
				name = wrapGraphqlDefault(cust.Prefix, name, cust.Suffix)
			case cust.GraphQLDefault:
				name = wrapGraphqlDefault(cust.Prefix, graphqlDefaultRootName(kind, ident), cust.Suffix)
			case name == "":
				name = cust.Prefix + defaultRootName(kind, base) + cust.Suffix
			default:
				name = cust.Prefix + name + cust.Suffix
			}
			if claims[cust.Namespace] == nil {
				claims[cust.Namespace] = map[string]*claim{}
			}
			c := claims[cust.Namespace][name]
			if c == nil {
				c = &claim{f: model.TableRootField{Table: t.Name, Kind: kind, TypeName: typeName, GraphQLDefault: cust.GraphQLDefault}}
				claims[cust.Namespace][name] = c
			}
			c.count++
		}
	}
	out.TableFields = map[string]model.TableRootField{}
	out.Namespaces = map[string]map[string]model.TableRootField{}
	names := make([]string, 0, len(claims[""]))
	for name := range claims[""] {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := claims[""][name]
		switch {
		case c.count > 1:
			ld.notef("root field %s is claimed by more than one table: not decided by CheckGraphQL", name)
		case out.Actions[name] != nil || out.Functions[name] != nil:
			ld.notef("root field %s of %s is also an action's or a function's: not decided by CheckGraphQL", name, c.f.Table)
		default:
			out.TableFields[name] = c.f
		}
	}
	for ns, fields := range claims {
		if ns == "" {
			continue
		}
		if out.Actions[ns] != nil || out.Functions[ns] != nil || claims[""][ns] != nil {
			ld.notef("root field namespace %s is also a root field: not decided by CheckGraphQL", ns)
			continue
		}
		m := map[string]model.TableRootField{}
		for name, c := range fields {
			switch {
			case c.count > 1:
				ld.notef("root field %s.%s is claimed by more than one table: not decided by CheckGraphQL", ns, name)
			case out.FunctionNamespaces[ns][name] != nil:
				ld.notef("root field %s.%s of %s is also a function's: not decided by CheckGraphQL", ns, name, c.f.Table)
			default:
				m[name] = c.f
			}
		}
		out.Namespaces[ns] = m
	}
	for ns := range out.FunctionNamespaces {
		if out.Actions[ns] != nil || out.Functions[ns] != nil || claims[""][ns] != nil {
			ld.notef("root field namespace %s is also a root field: its functions are not decided by CheckGraphQL", ns)
			delete(out.FunctionNamespaces, ns)
			delete(out.RelayFunctionNamespaces, ns)
		}
	}
	out.RelayFields = map[string]model.TableRootField{}
	out.RelayNamespaces = map[string]map[string]model.TableRootField{}
	for ns, fields := range relay {
		m := out.RelayFields
		if ns != "" {
			m = map[string]model.TableRootField{}
			out.RelayNamespaces[ns] = m
		}
		fns := out.RelayFunctions
		if ns != "" {
			fns = out.RelayFunctionNamespaces[ns]
		}
		for name, c := range fields {
			// Two tables, or a table and a function, claiming one name:
			// Hasura reports the conflict; neither is decided (answered
			// undecided).
			switch {
			case fns[name] != nil:
				ld.notef("Relay root field %s is both a table's and a function's connection: not decided by CheckGraphQL", name)
				delete(fns, name)
			case c.count == 1:
				m[name] = c.f
			}
		}
	}
}

// allCamelFixed says whether graphql-default leaves every custom root
// field name as written (naming.go).
func allCamelFixed(custom map[string]string) bool {
	for _, name := range custom {
		if !camelFixed(name) {
			return false
		}
	}
	return true
}

// defaultRootName is Hasura's default name (hasura-default naming
// convention) of a table root field of a kind, for the table's GraphQL
// name.
func defaultRootName(kind, base string) string {
	switch kind {
	case model.RootSelectByPk:
		return base + "_by_pk"
	case model.RootSelectAggregate:
		return base + "_aggregate"
	case model.RootSelectStream:
		return base + "_stream"
	case model.RootInsert:
		return "insert_" + base
	case model.RootInsertOne:
		return "insert_" + base + "_one"
	case model.RootUpdate:
		return "update_" + base
	case model.RootUpdateByPk:
		return "update_" + base + "_by_pk"
	case model.RootUpdateMany:
		return "update_" + base + "_many"
	case model.RootDelete:
		return "delete_" + base
	case model.RootDeleteByPk:
		return "delete_" + base + "_by_pk"
	}
	return base
}

// yamlMap returns a mapping's values by key (the last of duplicates).
func yamlMap(n *yaml.Node) (map[string]*yaml.Node, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, false
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			return nil, false
		}
		out[k.Value] = n.Content[i+1]
	}
	return out, true
}

// scalar returns a non-empty string scalar.
func scalar(n *yaml.Node) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) || n.Value == "" {
		return "", false
	}
	return n.Value, true
}
