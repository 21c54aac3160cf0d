package load

import (
	"path"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"go.yaml.in/yaml/v3"

	"github.com/wardenpdp/warden/policy/graphql"
	"github.com/wardenpdp/warden/policy/model"
)

// Actions, query collections and the allow list: the metadata that decides
// GraphQL operations rather than table rows (policy/graphql decides them).
// A metadata directory holds them in actions.yaml (with the actions' SDL
// in actions.graphql), query_collections.yaml and allow_list.yaml; the
// export under actions, query_collections and allowlist.

// The root files read here, in both directory layouts.
const (
	actionsFile     = "actions.yaml"
	actionsSDLFile  = "actions.graphql"
	collectionsFile = "query_collections.yaml"
	allowListFile   = "allow_list.yaml"
	introspectFile  = "graphql_schema_introspection.yaml"
)

// actionDecl is an action as read, before inherited roles are resolved.
type actionDecl struct {
	action *model.Action
	loc    loc
	// typeSet: definition.type was written (else the SDL or the default).
	typeSet bool
}

// gqlState is the loader's state for this part of the metadata.
type gqlState struct {
	actions      []*actionDecl
	functions    []*funcDecl
	collections  map[string]*model.QueryCollection
	allowList    []model.AllowListEntry
	allowLocs    []loc
	allowNodes   []*yaml.Node
	noIntrospect map[string]bool
	// typeRels are custom_types' object relationships by type name.
	typeRels   map[string][]string
	remotes    []*remoteDecl
	logical    map[string]map[string]*model.LogicalModel
	native     map[string]*model.NativeQuery
	nativeLocs map[string]loc
	// logicalFilters are the select filters of logical models, parsed by
	// finishLogical.
	logicalFilters []logicalFilter
}

// readGraphQLFiles reads the root files of a metadata directory.
func (ld *loader) readGraphQLFiles(root string) {
	if file := path.Join(root, actionsFile); ld.exists(file) {
		l := loc{file: file}
		if n, ok := ld.parseFile(file, false, l, nil, "file"); ok && n != nil {
			k, _ := ld.object(n, l, "actions.yaml", []string{"actions", "custom_types"}, nil)
			ld.readActions(k["actions"], l.key("actions"))
			ld.readCustomTypes(k["custom_types"])
		}
		if sdl := path.Join(root, actionsSDLFile); ld.exists(sdl) {
			ld.readActionsSDL(sdl)
		}
	}
	ld.readRemoteSchemasFile(root)
	if file := path.Join(root, collectionsFile); ld.exists(file) {
		l := loc{file: file}
		if n, ok := ld.parseFile(file, false, l, nil, "file"); ok && n != nil {
			ld.readCollections(n, l)
		}
	}
	if file := path.Join(root, allowListFile); ld.exists(file) {
		l := loc{file: file}
		if n, ok := ld.parseFile(file, false, l, nil, "file"); ok && n != nil {
			ld.readAllowList(n, l)
		}
	}
	if file := path.Join(root, introspectFile); ld.exists(file) {
		l := loc{file: file}
		if n, ok := ld.parseFile(file, false, l, nil, "file"); ok && n != nil {
			ld.readIntrospection(n, l)
		}
	}
}

// readIntrospection reads {disabled_for_roles: [...]}: the roles whose
// introspection queries Hasura refuses.
func (ld *loader) readIntrospection(n *yaml.Node, l loc) {
	k, _ := ld.object(n, l, "introspection settings", []string{"disabled_for_roles"}, nil)
	roles, _ := ld.strList(k["disabled_for_roles"], l.key("disabled_for_roles"), "disabled_for_roles")
	for _, r := range roles {
		if ld.gql.noIntrospect == nil {
			ld.gql.noIntrospect = map[string]bool{}
		}
		ld.gql.noIntrospect[r] = true
	}
}

// readActions reads the list of actions.
func (ld *loader) readActions(n *yaml.Node, l loc) {
	items, _ := ld.list(n, l, "actions")
	seen := map[string]bool{}
	for i, it := range items {
		el := l.index(i)
		k, _ := ld.object(it, el, "action", []string{"name", "definition", "permissions"}, []string{"comment"})
		if k == nil {
			continue
		}
		name, ok := ld.str(k["name"], el.key("name"), "action name")
		if !ok {
			continue
		}
		el = l.sel("name", name)
		if seen[name] {
			ld.problemf(el, it, "action %s is defined twice", name)
			continue
		}
		seen[name] = true
		d := &actionDecl{action: &model.Action{Name: name, Type: model.ActionMutation, Roles: map[string]bool{}}, loc: el}
		ld.actionDefinition(d, k["definition"], el.key("definition"))
		ld.actionPermissions(d, k["permissions"], el.key("permissions"))
		ld.gql.actions = append(ld.gql.actions, d)
	}
}

// actionDefinition reads kind and type; the rest (handler, arguments,
// output_type, headers, transforms, timeout) is how the action runs, not
// who may run it.
func (ld *loader) actionDefinition(d *actionDecl, n *yaml.Node, l loc) {
	if n == nil {
		ld.problemf(l, nil, "action %s has no definition", d.action.Name)
		return
	}
	fields, _ := ld.fields(n, l, "action definition")
	for _, f := range fields {
		v := deref(f.val)
		if isNull(v) {
			continue
		}
		switch f.key {
		case "kind":
			switch v.Value {
			case "synchronous", "":
			case "asynchronous":
				d.action.Async = true
			default:
				ld.problemf(l.key("kind"), v, "action kind %q is not known: want synchronous or asynchronous", v.Value)
			}
		case "type":
			switch v.Value {
			case "mutation":
				d.action.Type = model.ActionMutation
			case "query":
				d.action.Type = model.ActionQuery
			default:
				ld.problemf(l.key("type"), v, "action type %q is not known: want mutation or query", v.Value)
			}
			d.typeSet = true
		case "output_type":
			d.action.OutputType = strings.Trim(v.Value, "[]! ")
		}
	}
}

// readCustomTypes keeps, of custom_types, the names of each object
// type's relationships (objects[].relationships[].name): the rest is how
// the actions' results are shaped. It reads leniently: a shape it does
// not know is left alone (Hasura has checked it when it was added).
func (ld *loader) readCustomTypes(n *yaml.Node) {
	objects := mappingValue(n, "objects")
	if objects == nil || objects.Kind != yaml.SequenceNode {
		return
	}
	for _, o := range objects.Content {
		name, rels := mappingValue(o, "name"), mappingValue(o, "relationships")
		if name == nil || rels == nil || rels.Kind != yaml.SequenceNode {
			continue
		}
		for _, r := range rels.Content {
			if rn := mappingValue(r, "name"); rn != nil && rn.Value != "" {
				if ld.gql.typeRels == nil {
					ld.gql.typeRels = map[string][]string{}
				}
				ld.gql.typeRels[name.Value] = append(ld.gql.typeRels[name.Value], rn.Value)
			}
		}
	}
}

// mappingValue is the value of key in mapping n, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

func (ld *loader) actionPermissions(d *actionDecl, n *yaml.Node, l loc) {
	items, _ := ld.list(n, l, "action permissions")
	for i, it := range items {
		el := l.index(i)
		k, _ := ld.object(it, el, "action permission", []string{"role"}, []string{"comment"})
		if k == nil {
			continue
		}
		role, ok := ld.str(k["role"], el.key("role"), "role")
		switch {
		case !ok:
		case role == model.AdminRole:
			ld.problemf(el.key("role"), k["role"], "no permission may be defined for admin: admin may execute every action")
		case d.action.Roles[role]:
			ld.problemf(el, it, "action %s has two permissions for role %s", d.action.Name, role)
		default:
			d.action.Roles[role] = true
			ld.roles[role] = true
		}
	}
}

// readActionsSDL takes each action's root type from actions.graphql: a
// field of Query (or extend type Query) is a query action, of Mutation a
// mutation action. Types and inputs there are the actions' custom types.
func (ld *loader) readActionsSDL(file string) {
	data, found := ld.readFile(file, false)
	if !found {
		return
	}
	doc, err := parser.ParseSchema(&ast.Source{Name: file, Input: string(data)})
	if err != nil {
		ld.problemf(loc{file: file}, nil, "%s: %v", file, err)
		return
	}
	byName := map[string]*actionDecl{}
	for _, d := range ld.gql.actions {
		byName[d.action.Name] = d
	}
	declared := map[string]model.ActionType{}
	for _, defs := range []ast.DefinitionList{doc.Definitions, doc.Extensions} {
		for _, def := range defs {
			var t model.ActionType
			switch def.Name {
			case "Mutation":
				t = model.ActionMutation
			case "Query":
				t = model.ActionQuery
			default:
				continue
			}
			for _, f := range def.Fields {
				declared[f.Name] = t
				d := byName[f.Name]
				switch {
				case d == nil:
					ld.problemf(loc{file: file, path: def.Name + "." + f.Name}, nil,
						"%s declares %s.%s, but %s has no action %s", actionsSDLFile, def.Name, f.Name, actionsFile, f.Name)
				case d.typeSet && d.action.Type != t:
					ld.problemf(d.loc.key("definition").key("type"), nil,
						"action %s has type %s, but %s declares it on %s", f.Name, d.action.Type, actionsSDLFile, def.Name)
				default:
					d.action.Type = t
				}
			}
		}
	}
	for _, d := range ld.gql.actions {
		if _, ok := declared[d.action.Name]; !ok && !d.typeSet {
			ld.problemf(d.loc, nil, "action %s is not declared in %s (as a field of Query or Mutation)", d.action.Name, actionsSDLFile)
		}
	}
}

// readCollections reads query collections; each query must parse, as
// Hasura parses it when the collection is added.
func (ld *loader) readCollections(n *yaml.Node, l loc) {
	items, _ := ld.list(n, l, "query collections")
	for i, it := range items {
		el := l.index(i)
		k, _ := ld.object(it, el, "query collection", []string{"name", "definition"}, []string{"comment"})
		if k == nil {
			continue
		}
		name, ok := ld.str(k["name"], el.key("name"), "collection name")
		if !ok {
			continue
		}
		el = l.sel("name", name)
		if ld.gql.collections[name] != nil {
			ld.problemf(el, it, "query collection %s is defined twice", name)
			continue
		}
		c := &model.QueryCollection{Name: name}
		ld.gql.collections[name] = c
		dk, _ := ld.object(k["definition"], el.key("definition"), "collection definition", []string{"queries"}, nil)
		ql := el.key("definition").key("queries")
		queries, _ := ld.list(dk["queries"], ql, "queries")
		seen := map[string]bool{}
		for j, q := range queries {
			qel := ql.index(j)
			qk, _ := ld.object(q, qel, "collection query", []string{"name", "query"}, []string{"description"})
			if qk == nil {
				continue
			}
			qname, ok1 := ld.str(qk["name"], qel.key("name"), "query name")
			text, ok2 := ld.str(qk["query"], qel.key("query"), "query")
			if !ok1 || !ok2 {
				continue
			}
			qel = ql.sel("name", qname)
			if seen[qname] {
				ld.problemf(qel, q, "collection %s has two queries named %s", name, qname)
				continue
			}
			seen[qname] = true
			norm, err := graphql.Normalize(text)
			if err != nil {
				ld.problemf(qel.key("query"), qk["query"], "query %s of collection %s: %v", qname, name, err)
				continue
			}
			c.Queries = append(c.Queries, model.CollectionQuery{Name: qname, Query: text, Normalized: norm})
		}
	}
}

// readAllowList reads the allow list: {collection, scope?}; scope is
// {global: true} (the default) or {global: false, roles: [...]}.
func (ld *loader) readAllowList(n *yaml.Node, l loc) {
	items, _ := ld.list(n, l, "allow list")
	seen := map[string]bool{}
	for i, it := range items {
		el := l.index(i)
		k, _ := ld.object(it, el, "allow list entry", []string{"collection", "scope"}, nil)
		if k == nil {
			continue
		}
		name, ok := ld.str(k["collection"], el.key("collection"), "collection")
		if !ok {
			continue
		}
		el = l.sel("collection", name)
		if seen[name] {
			ld.problemf(el, it, "collection %s is in the allow list twice", name)
			continue
		}
		seen[name] = true
		e := model.AllowListEntry{Collection: name, Global: true}
		if sc := k["scope"]; sc != nil {
			sk, _ := ld.object(sc, el.key("scope"), "allow list scope", []string{"global", "roles"}, nil)
			if g, ok := sk["global"]; ok {
				e.Global, _ = ld.boolean(g, el.key("scope").key("global"), "global")
			} else if sk != nil {
				ld.problemf(el.key("scope"), sc, "allow list scope needs global (true, or false with roles)")
				continue
			}
			if r, ok := sk["roles"]; ok {
				e.Roles, _ = ld.strList(r, el.key("scope").key("roles"), "roles")
			}
			switch {
			case e.Global && len(e.Roles) > 0:
				ld.problemf(el.key("scope").key("roles"), sk["roles"], "a global allow list entry takes no roles")
				continue
			case !e.Global && len(e.Roles) == 0:
				ld.problemf(el.key("scope"), sc, "an allow list entry with global: false needs roles")
				continue
			}
			for _, r := range e.Roles {
				ld.roles[r] = true
			}
		}
		ld.gql.allowList = append(ld.gql.allowList, e)
		ld.gql.allowLocs = append(ld.gql.allowLocs, el)
		ld.gql.allowNodes = append(ld.gql.allowNodes, it)
	}
}

// finishGraphQL checks the allow list's collections and gives inherited
// roles the actions of their parents: Hasura treats an action permission
// as a boolean, so an inherited role may execute an action when any role
// of its role set (resolved through nested inherited roles) may, unless
// it has its own permission (which is then the same answer).
func (ld *loader) finishGraphQL(inherited map[string][]string) model.GraphQLMetadata {
	out := model.GraphQLMetadata{Actions: map[string]*model.Action{}, Collections: ld.gql.collections,
		IntrospectionDisabled: ld.gql.noIntrospect}
	for i, e := range ld.gql.allowList {
		if out.Collections[e.Collection] == nil {
			// Hasura's inlineAllowlist reads a missing collection as no
			// queries (the console writes allowed-queries before any
			// query is added): the entry allows nothing.
			ld.notef("%s: the allow list names collection %s, which query_collections does not define: the entry allows no operation, as in Hasura", ld.gql.allowLocs[i].source(), e.Collection)
			continue
		}
		out.AllowList = append(out.AllowList, e)
	}
	roles := make([]string, 0, len(inherited))
	for r := range inherited {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, d := range ld.gql.actions {
		a := d.action
		a.OutputRelationships = ld.gql.typeRels[a.OutputType]
		out.Actions[a.Name] = a
		for _, r := range roles {
			if !a.Roles[r] && inheritsAction(a, r, inherited, 0) {
				if a.InheritedRoles == nil {
					a.InheritedRoles = map[string]bool{}
				}
				a.InheritedRoles[r] = true
			}
		}
	}
	ld.finishFunctions(&out, inherited)
	ld.finishRemoteSchemas(&out, inherited)
	ld.finishLogical(&out, inherited)
	return out
}

// inheritsAction says whether role, or a role it inherits from, has a
// permission on the action. Cycles are rejected by resolveInherited; the
// depth bound only keeps a bad set from looping.
func inheritsAction(a *model.Action, role string, inherited map[string][]string, depth int) bool {
	if a.Roles[role] {
		return true
	}
	if depth > 32 {
		return false
	}
	for _, p := range inherited[role] {
		if inheritsAction(a, p, inherited, depth+1) {
			return true
		}
	}
	return false
}
