package load

import (
	"path"

	"go.yaml.in/yaml/v3"

	"github.com/wardenpdp/warden/policy/model"
)

// Tracked functions: a source's functions (v3: a list or an include of
// "!include" lines, one file per function), functions.yaml of the v2
// directory, or the v2/v1 export's functions. An entry is
// {function, configuration, permissions, comment}; version 1 wrote the
// bare function name ({schema, name} or a string).
//
// Warden decides a function that returns rows of a table (the schema
// file's functions: [{name, setof: table}]); one whose return the schema
// does not declare is noted and left undecided (never allowed).

// funcDecl is a tracked function as read.
type funcDecl struct {
	name     model.TableName
	source   string
	mutation bool
	// customName, customRoot, customAgg: configuration.custom_name and
	// custom_root_fields.{function, function_aggregate}.
	customName, customRoot, customAgg string
	roles                             map[string]bool
	loc                               loc
}

// readFunctions reads a list of tracked functions, inline or included.
func (ld *loader) readFunctions(n *yaml.Node, l loc, src string) {
	ld.includedItems(n, l, "functions", func(it *yaml.Node, el loc) { ld.functionEntry(it, el, src) })
}

func (ld *loader) functionEntry(n *yaml.Node, l loc, src string) {
	n = deref(n)
	d := &funcDecl{source: src, roles: map[string]bool{}, loc: l}
	if n != nil && n.Kind == yaml.MappingNode && !hasKey(n, "function") {
		// Version 1: the entry is the function's name.
		name, ok := ld.tableName(n, l)
		if !ok {
			return
		}
		d.name = name
		ld.gql.functions = append(ld.gql.functions, d)
		return
	}
	if n != nil && n.Kind == yaml.ScalarNode {
		name, ok := ld.tableName(n, l)
		if !ok {
			return
		}
		d.name = name
		ld.gql.functions = append(ld.gql.functions, d)
		return
	}
	k, _ := ld.object(n, l, "tracked function", []string{"function", "configuration", "permissions"}, []string{"comment"})
	if k == nil {
		return
	}
	name, ok := ld.tableName(k["function"], l.key("function"))
	if !ok {
		return
	}
	d.name = name
	if c := k["configuration"]; c != nil {
		ck, _ := ld.object(c, l.key("configuration"), "function configuration",
			[]string{"exposed_as", "custom_name", "custom_root_fields"}, []string{"session_argument"})
		if e := ck["exposed_as"]; e != nil {
			switch v, _ := ld.str(e, l.key("configuration").key("exposed_as"), "exposed_as"); v {
			case "mutation":
				d.mutation = true
			case "query", "":
			default:
				ld.problemf(l.key("configuration").key("exposed_as"), e, "exposed_as %q is not known: want query or mutation", v)
			}
		}
		if cn := ck["custom_name"]; cn != nil {
			d.customName, _ = ld.str(cn, l.key("configuration").key("custom_name"), "custom_name")
		}
		if cr := ck["custom_root_fields"]; cr != nil {
			rl := l.key("configuration").key("custom_root_fields")
			rk, _ := ld.object(cr, rl, "custom_root_fields", []string{"function", "function_aggregate"}, nil)
			if v := rk["function"]; v != nil {
				d.customRoot, _ = ld.str(v, rl.key("function"), "function")
			}
			if v := rk["function_aggregate"]; v != nil {
				d.customAgg, _ = ld.str(v, rl.key("function_aggregate"), "function_aggregate")
			}
		}
	}
	items, _ := ld.list(k["permissions"], l.key("permissions"), "function permissions")
	for i, it := range items {
		el := l.key("permissions").index(i)
		pk, _ := ld.object(it, el, "function permission", []string{"role"}, []string{"comment"})
		if pk == nil {
			continue
		}
		role, ok := ld.str(pk["role"], el.key("role"), "role")
		switch {
		case !ok:
		case role == model.AdminRole:
			ld.problemf(el.key("role"), pk["role"], "no permission may be defined for admin: admin may call every function")
		case d.roles[role]:
			ld.problemf(el, it, "function %s has two permissions for role %s", name, role)
		default:
			d.roles[role] = true
			ld.roles[role] = true
		}
	}
	ld.gql.functions = append(ld.gql.functions, d)
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if deref(n.Content[i]).Value == key {
			return true
		}
	}
	return false
}

// readDir2Functions reads functions.yaml of the version 2 directory.
func (ld *loader) readDir2Functions(root string) {
	file := path.Join(root, "functions.yaml")
	if !ld.exists(file) {
		return
	}
	l := loc{file: file}
	if n, ok := ld.parseFile(file, false, l, nil, "file"); ok && n != nil {
		ld.readFunctions(n, l, defaultSource.name)
	}
}

// finishFunctions resolves each function's returned table and root field
// names, and gives inherited roles their parents' function permissions.
func (ld *loader) finishFunctions(out *model.GraphQLMetadata, inherited map[string][]string) {
	out.Functions = map[string]*model.TrackedFunction{}
	out.FunctionNamespaces = map[string]map[string]*model.TrackedFunction{}
	out.RelayFunctions = map[string]*model.TrackedFunction{}
	out.RelayFunctionNamespaces = map[string]map[string]*model.TrackedFunction{}
	out.FunctionsByName = map[model.TableName]*model.TrackedFunction{}
	seen := map[model.TableName]bool{}
	for _, d := range ld.gql.functions {
		if seen[d.name] {
			ld.problemf(d.loc, nil, "function %s is tracked twice", d.name)
			continue
		}
		seen[d.name] = true
		sf := ld.functions[d.name]
		switch {
		case sf == nil || sf.setof == nil:
			ld.notef("%s: tracked function %s is not decided: the schema file does not declare the table it returns (functions: [{name: %s, setof: TABLE}])",
				d.loc.source(), d.name, d.name)
			continue
		case ld.tables[*sf.setof] == nil:
			ld.notef("%s: tracked function %s is not decided: it returns %s, which is not a tracked table", d.loc.source(), d.name, *sf.setof)
			continue
		}
		cust := ld.sourceGQL(d.source)
		if cust == nil {
			cust = &model.SourceGraphQL{}
		}
		base := d.name.Name
		if d.name.Schema != "public" {
			base = d.name.Schema + "_" + d.name.Name
		}
		if d.customName != "" {
			base = d.customName
		}
		f := &model.TrackedFunction{Name: d.name, Source: d.source, Returns: *sf.setof, Mutation: d.mutation,
			RootField: base, Roles: d.roles}
		if d.customRoot != "" {
			f.RootField = d.customRoot
		}
		if !f.Mutation {
			f.AggregateField = base + "_aggregate"
			if d.customAgg != "" {
				f.AggregateField = d.customAgg
			}
		}
		if cust.GraphQLDefault {
			graphqlDefaultFunction(f, d, base)
		}
		connection := customizeFunctionField(cust, f.RootField+"_connection")
		f.RootField = customizeFunctionField(cust, f.RootField)
		if f.AggregateField != "" {
			f.AggregateField = customizeFunctionField(cust, f.AggregateField)
		}
		if ld.tables[d.name] == nil {
			// A function named like a table is reached through its root
			// field only: Check and Filter on the name mean the table.
			out.FunctionsByName[d.name] = f
		}
		for r := range inherited {
			if !f.Roles[r] && inheritsFunction(f, r, inherited, 0) {
				if f.InheritedRoles == nil {
					f.InheritedRoles = map[string]bool{}
				}
				f.InheritedRoles[r] = true
			}
		}
		if cust == gqlUnknown {
			// Check and Filter on the function's name still answer; its
			// GraphQL root fields are not decided.
			ld.notef("%s: the root fields of tracked function %s are not decided by CheckGraphQL: Warden cannot tell how source %s names them (see the note on its customization)", d.loc.source(), d.name, d.source)
			continue
		}
		fields, relay := out.Functions, out.RelayFunctions
		if ns := cust.Namespace; ns != "" {
			if out.FunctionNamespaces[ns] == nil {
				out.FunctionNamespaces[ns] = map[string]*model.TrackedFunction{}
				out.RelayFunctionNamespaces[ns] = map[string]*model.TrackedFunction{}
			}
			fields, relay = out.FunctionNamespaces[ns], out.RelayFunctionNamespaces[ns]
		}
		for _, name := range []string{f.RootField, f.AggregateField} {
			if name == "" {
				continue
			}
			if prev := fields[name]; prev != nil {
				ld.problemf(d.loc, nil, "functions %s and %s both have the root field %s", prev.Name, d.name, name)
				continue
			}
			if a := out.Actions[name]; cust.Namespace == "" && a != nil && (f.Mutation == (a.Type == model.ActionMutation) || !f.Mutation && a.Async) {
				ld.problemf(d.loc, nil, "function %s has the root field %s, which is also an action", d.name, name)
				continue
			}
			fields[name] = f
		}
		if relay[connection] == nil {
			relay[connection] = f
		}
	}
}

// customizeFunctionField applies a source's root field prefix and suffix
// to a function's root field name as Hasura does for every root field of
// the source, tables' and functions' alike: buildSource passes the
// source's MkRootFieldName (_rscRootFields) to the function builders,
// whose selectFunction, selectFunctionAggregate and
// selectFunctionConnection (Hasura.Backends.Postgres.Schema.Select) name
// their fields runMkRootFieldName of _fiGQLName, _fiGQLAggregateName and
// _fiGQLName <> "_connection"; the root field customizer is
// applyPrefixSuffix (Hasura.RQL.Types.SourceCustomization): prefix, name
// and suffix concatenated under hasura-default, and under
// graphql-default the prefix as written, the name's and the suffix's
// first letters raised (wrapGraphqlDefault). The namespace nests them
// (customizeFields).
func customizeFunctionField(cust *model.SourceGraphQL, name string) string {
	if cust.GraphQLDefault {
		return wrapGraphqlDefault(cust.Prefix, name, cust.Suffix)
	}
	return cust.Prefix + name + cust.Suffix
}

// inheritsFunction says whether role or one of its parents has a function
// permission (as for actions: a boolean per role).
func inheritsFunction(f *model.TrackedFunction, role string, inherited map[string][]string, depth int) bool {
	if f.Roles[role] {
		return true
	}
	if depth > 32 {
		return false
	}
	for _, p := range inherited[role] {
		if inheritsFunction(f, p, inherited, depth+1) {
			return true
		}
	}
	return false
}

// sourceGQL is the GraphQL customization of a source by name
// (nil: none).
func (ld *loader) sourceGQL(name string) *model.SourceGraphQL {
	for _, s := range ld.sources {
		if s.name == name {
			return s.gql
		}
	}
	return nil
}

// graphqlDefaultFunction names a function's root fields under the
// graphql-default naming convention, as Hasura's getFunctionGQLName and
// getFunctionAggregateGQLName (Hasura.Function.Cache) do with the
// convention's applyFieldNameCaseCust (snakeToCamel): custom_root_fields
// first, then custom_name as written (its aggregate custom_name +
// "_aggregate", also as written), else the function's GraphQL name
// (schema_name outside public) camelCased: search_articles gives
// searchArticles and searchArticlesAggregate.
func graphqlDefaultFunction(f *model.TrackedFunction, d *funcDecl, base string) {
	switch {
	case d.customRoot != "":
		f.RootField = d.customRoot
	case d.customName != "":
		f.RootField = d.customName
	default:
		f.RootField = model.SnakeToCamel(base)
	}
	if f.Mutation {
		return
	}
	switch {
	case d.customAgg != "":
		f.AggregateField = d.customAgg
	case d.customName != "":
		f.AggregateField = d.customName + "_aggregate"
	default:
		f.AggregateField = model.SnakeToCamel(base + "_aggregate")
	}
}
