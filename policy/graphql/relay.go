package graphql

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/wardenpdp/warden/policy/model"
)

// Hasura's Relay API (/v1beta1/relay, Request.Relay) serves another
// schema than /v1/graphql, built by Hasura's buildRelayRoleContext:
//
//   - its query and subscription roots hold node(id:) and, for each table
//     with a primary key on which the role has a select permission whose
//     query_root_fields (subscription_root_fields) keep select,
//     <table>_connection (buildRelayQueryAndSubscriptionFields), named by
//     the table's GraphQL name and the source's root field prefix, suffix
//     and namespace; and, for each tracked query function whose table
//     has a primary key, <function>_connection, named by the function's
//     GraphQL name the same way (decideFunctionConnection). No <table>,
//     _by_pk, _aggregate, _stream, <function>, <function>_aggregate,
//     action query, native query or remote schema field is there.
//   - a source's root field namespace holds only its connections there
//     (buildSchemaRelayParsers, customizeFields): a /v1/graphql table or
//     function field written under it is denied, named as Hasura's
//     error names the namespace's type (<prefix><namespace>_query<suffix>).
//   - its mutation root is /v1/graphql's without remote schemas.
//   - a table's type there implements Node: its id field is the node id
//     (base64 of [1, schema, table, primary key values...]), given when
//     the table has a primary key whatever columns the permission grants,
//     and a column whose GraphQL name is id is left out
//     (defaultTableSelectionSet); an array relationship to a table with a
//     primary key has <rel>_connection beside <rel> and <rel>_aggregate.
//   - a connection takes where, order_by, distinct_on, first, last,
//     before and after (not first with last, nor after with before), and
//     selects pageInfo {startCursor endCursor hasNextPage
//     hasPreviousPage} and edges {cursor node {...}}
//     (tableConnectionArgs, tableConnectionSelectionSet).
//
// Columns, filters, relationships and aggregations are decided as on
// /v1/graphql, with the same select permissions.
//
// Under the graphql-default naming convention the same schema is named
// as Hasura names it there: <table>_connection is the table's
// identifier and "connection" camelCased (blogPostsConnection:
// applyFieldNameCaseIdentifier of mkRelayConnectionField), order_by and
// distinct_on are orderBy and distinctOn, the connection and edge types
// are <Table>Connection and <Table>Edge; first, last, before, after,
// pageInfo, edges, cursor and node, a function's <function>_connection
// and a relationship's <rel>_connection keep their spelling (Hasura
// adds _connection to those names without applying the convention).

// decideRelay decides a root field of an operation sent to the Relay API;
// ok is false for a mutation field that is decided as on /v1/graphql.
func decideRelay(w *walk, p *model.Policy, req Request, op ast.Operation, f *ast.Field) ([]RootField, bool) {
	meta := &p.GraphQL
	one := func(rf RootField) ([]RootField, bool) { return []RootField{rf}, true }
	if op == ast.Mutation {
		if len(remoteOwners(meta, op, f.Name)) > 0 || len(remoteNamespaces(meta, f.Name)) > 0 {
			return one(RootField{ResponseKey: f.Alias, Name: f.Name, Kind: RemoteSchemaField, Decision: Deny,
				Reason: fmt.Sprintf("field '%s' not found in type: 'mutation_root': Hasura's Relay API has no remote schema fields", f.Name)})
		}
		return nil, false
	}
	switch name := f.Name; {
	case name == "__typename" || name == "__schema" || name == "__type":
		return one(decideIntrospection(meta, req.Role, f))
	case meta.RelayFields[name].Table.Name != "":
		return one(decideConnection(w, p, req, op, f, meta.RelayFields[name]))
	case meta.RelayFunctions[name] != nil:
		return one(decideFunctionConnection(w, p, req, op, f, meta.RelayFunctions[name]))
	case name == "node":
		return one(decideNode(w, p, req, f))
	case meta.RelayNamespaces[name] != nil || meta.RelayFunctionNamespaces[name] != nil:
		ns, fns := meta.RelayNamespaces[name], meta.RelayFunctionNamespaces[name]
		kids, err := w.rootFields(f.SelectionSet)
		if err != nil {
			w.fail(err)
			return nil, true
		}
		out := make([]RootField, 0, len(kids))
		for _, k := range kids {
			var rf RootField
			switch tf, ok := ns[k.Name]; {
			case k.Name == "__typename":
				rf = RootField{ResponseKey: k.Alias, Name: k.Name, Kind: IntrospectionField, Decision: Allow, Reason: "__typename is in every role's schema"}
			case ok:
				rf = decideConnection(w, p, req, op, k, tf)
			case fns[k.Name] != nil:
				rf = decideFunctionConnection(w, p, req, op, k, fns[k.Name])
			case namespacedV1(meta, op, name, k.Name):
				rf = RootField{ResponseKey: k.Alias, Name: k.Name, Decision: Deny,
					Reason: fmt.Sprintf("field '%s' not found in type: %s: Hasura's Relay API serves <table>_connection (and <function>_connection) fields under the namespace, not /v1/graphql's", k.Name, namespaceType(meta, op, name))}
				rf.Kind, _ = classifyNamespaced(meta, op, name, k.Name)
			default:
				rf = RootField{ResponseKey: k.Alias, Name: k.Name, Decision: Undecided,
					Reason: fmt.Sprintf("%s is not a table or function connection of the namespace in the Relay API", k.Name)}
			}
			rf.Namespace = f.Alias
			out = append(out, rf)
		}
		return out, true
	}
	rf := RootField{ResponseKey: f.Alias, Name: f.Name}
	kind, _ := classify(meta, op, f.Name)
	if kind != Unknown || meta.NativeQueries[f.Name] != nil || meta.Namespaces[f.Name] != nil ||
		len(remoteOwners(meta, op, f.Name)) > 0 || len(remoteNamespaces(meta, f.Name)) > 0 {
		rf.Kind, rf.Decision = kind, Deny
		rf.Reason = fmt.Sprintf("field '%s' not found in type: '%s_root': Hasura's Relay API serves node and <table>_connection (and <function>_connection) fields there, not /v1/graphql's", f.Name, op)
		return one(rf)
	}
	rf.Decision = Undecided
	rf.Reason = fmt.Sprintf("%s is neither node nor a table connection of the Relay API's %s root", f.Name, op)
	return one(rf)
}

// namespacedV1 says whether name is one of /v1/graphql's fields under
// a source's root field namespace ns on op's root (a table root field
// or a tracked function's), which Hasura's Relay schema does not have
// there: its namespace field (buildSchemaRelayParsers, customizeFields)
// holds only the source's connections.
func namespacedV1(meta *model.GraphQLMetadata, op ast.Operation, ns, name string) bool {
	_, ok := classifyNamespaced(meta, op, ns, name)
	return ok
}

// classifyNamespaced gives the kind of a /v1/graphql field under a
// namespace on op's root.
func classifyNamespaced(meta *model.GraphQLMetadata, op ast.Operation, ns, name string) (FieldKind, bool) {
	if fn := meta.FunctionNamespaces[ns][name]; fn != nil && functionOn(fn, op) {
		return FunctionField, true
	}
	if tf, ok := meta.Namespaces[ns][name]; ok && tableRootOn(tf.Kind, op) {
		return TableRootFieldKind, true
	}
	return Unknown, false
}

// namespaceType names the type of a source's namespace field on op's
// root for messages: Hasura's customizeFields names it by the source's
// type name customizer applied to <namespace>_query (_subscription),
// the prefix and suffix added (applyPrefixSuffix). Under graphql-default
// Hasura versions differ on whether the convention then recases it, so
// the name is given as the hasura-default one with that said.
func namespaceType(meta *model.GraphQLMetadata, op ast.Operation, ns string) string {
	src, ok := meta.NamespaceSources[ns]
	name := ns + "_" + string(op)
	if !ok {
		return fmt.Sprintf("the type of namespace %s", ns)
	}
	if src.GraphQLDefault {
		return fmt.Sprintf("'%s%s%s' (or its PascalCase, as Hasura versions with the graphql-default naming convention name it)", src.TypePrefix, name, src.TypeSuffix)
	}
	return "'" + src.TypePrefix + name + src.TypeSuffix + "'"
}

// decideConnection decides a <table>_connection root field.
func decideConnection(w *walk, p *model.Policy, req Request, op ast.Operation, f *ast.Field, tf model.TableRootField) RootField {
	rf := RootField{ResponseKey: f.Alias, Name: f.Name, Kind: TableRootFieldKind}
	t := p.Tables[tf.Table]
	if t == nil {
		rf.Decision, rf.Reason = Undecided, fmt.Sprintf("table %s is not in the policy", tf.Table)
		return rf
	}
	d := &tableDecider{walk: w, p: p, req: req}
	rf.Table = &TableField{Table: t.Name, Kind: tf.Kind}
	rf.Decision = Allow
	rf.Reason = fmt.Sprintf("%s: role %s has the select permission on %s, which has a primary key (each selection's rows are Filter's answer)", tf.Kind, req.Role, t.Name)
	if req.Role == model.AdminRole {
		rf.Reason = "admin may use every table connection"
	}
	d.settle(&rf, func() error {
		sel, err := d.perm(t, model.OpSelect, f.Name)
		if err != nil {
			return err
		}
		if len(t.PrimaryKey) == 0 {
			return deny("field '%s' not found in type: '%s_root': %s has no primary key, and the Relay API serves only tables with one", f.Name, op, t.Name)
		}
		if visible := visibleOf(sel, op); sel != nil && visible != nil && !visible[model.RootSelect] {
			return deny("field '%s' not found in type: '%s_root': the select permission of role %s on %s leaves select out of its %s_root_fields, which drops the Relay connection too", f.Name, op, req.Role, t.Name, op)
		}
		return d.connection(t, sel, f, f.Alias, "", tf.TypeName, 0)
	}())
	if rf.Decision == Allow && len(d.encoded) > 0 {
		rf.Reason += "; " + d.encodedNotes()
	}
	return rf
}

// decideFunctionConnection decides a tracked function's
// <function>_connection root field, as Hasura's
// buildRelayQueryAndSubscriptionFields (Hasura.GraphQL.Schema) and
// selectFunctionConnection (Hasura.Backends.Postgres.Schema.Select)
// build it: only a function exposed as a query has one (takeExposedAs
// FEAQuery), only when the table it returns has a primary key, and only
// for a role with a select permission on that table (admin always);
// no function permission is asked for, and query_root_fields does not
// hide it (it hides table connections only). It takes the function's
// args (not read, as on /v1/graphql) and a table connection's
// arguments, and selects pageInfo and edges with nodes of the returned
// table, decided as a table connection's. In a source named by
// graphql-default the field is _fiGQLName (getFunctionGQLName, camelCase)
// with _connection added as written (selectFunctionConnection does not
// apply the convention to it: searchPosts_connection), its args
// argument is args (customSQLFunctionArgs), and the connection's
// arguments and types are named by the convention (tableConnectionArgs,
// tableConnectionSelectionSet), as for a table connection.
func decideFunctionConnection(w *walk, p *model.Policy, req Request, op ast.Operation, f *ast.Field, fn *model.TrackedFunction) RootField {
	rf := RootField{ResponseKey: f.Alias, Name: f.Name, Kind: FunctionField}
	t := p.Tables[fn.Returns]
	switch {
	case fn.Mutation:
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("field '%s' not found in type: '%s_root': function %s is exposed as a mutation, and the Relay API has connections of query functions only", f.Name, op, fn.Name)
		return rf
	case t == nil:
		rf.Decision, rf.Reason = Undecided, fmt.Sprintf("table %s is not in the policy", fn.Returns)
		return rf
	}
	d := &tableDecider{walk: w, p: p, req: req}
	rf.Table = &TableField{Table: t.Name, Kind: "function_connection"}
	rf.Decision = Allow
	rf.Reason = fmt.Sprintf("function %s: its rows are those of %s under role %s's select permission, and %s has a primary key (each selection's rows are Filter's answer)", fn.Name, t.Name, req.Role, t.Name)
	if req.Role == model.AdminRole {
		rf.Reason = fmt.Sprintf("admin may use every function connection (function %s returns rows of %s, which has a primary key)", fn.Name, t.Name)
	}
	d.settle(&rf, func() error {
		if t.GraphQL != nil && t.GraphQL.NamesUnknown {
			return &undecidedError{fmt.Sprintf("%s: function %s returns rows of %s, whose GraphQL field names Warden cannot tell (see the load notes)", f.Name, fn.Name, t.Name)}
		}
		sel, err := d.perm(t, model.OpSelect, f.Name)
		if err != nil {
			return err
		}
		if len(t.PrimaryKey) == 0 {
			return deny("field '%s' not found in type: '%s_root': function %s returns rows of %s, which has no primary key, and the Relay API serves connections only of tables with one", f.Name, op, fn.Name, t.Name)
		}
		// The function's own arguments are not read (as on /v1/graphql):
		// the connection's are.
		g := *f
		g.Arguments = nil
		for _, a := range f.Arguments {
			if a.Name != "args" {
				g.Arguments = append(g.Arguments, a)
			}
		}
		return d.connection(t, sel, &g, f.Alias, "", typeName(t), 0)
	}())
	if rf.Decision == Allow && len(d.encoded) > 0 {
		rf.Reason += "; " + d.encodedNotes()
	}
	return rf
}

// connectionArgs are the arguments of a connection field, in their
// hasura-default spelling: Hasura's tableConnectionArgs
// (Hasura.GraphQL.Schema.Select) takes tableWhereArg (where),
// tableOrderByArg and tableDistinctArg (order_by and distinct_on, through
// applyFieldNameCaseCust: orderBy and distinctOn under graphql-default)
// and first, last, after and before, named as written whatever the
// convention.
var connectionArgs = []string{"where", "order_by", "distinct_on", "first", "last", "before", "after"}

// connectionType names a connection's types in messages: Hasura's
// tableConnectionSelectionSet names them mkTypename of the table's type
// name (applyTypeNameCaseIdentifier: PascalCase under graphql-default)
// with Connection or Edge added.
func connectionType(t *model.Table, tname, word string) string {
	if n := namesOf(t); n.graphqlDefault() {
		return n.typ(tname, word)
	}
	return tname + model.UpperFirst(word)
}

// connection decides a connection field f on t (the root's, or an array
// relationship's <rel>_connection): its arguments, then pageInfo and
// edges, each node a read of t.
func (d *tableDecider) connection(t *model.Table, sel *model.Permission, f *ast.Field, path, rel, tname string, depth int) error {
	if depth > maxSelectionDepth {
		return deny("%s: relationships nest deeper than %d", path, maxSelectionDepth)
	}
	n := namesOf(t)
	if err := n.checkArgs(f.Name, f.Arguments); err != nil {
		return err
	}
	given := map[string]bool{}
	for _, a := range f.Arguments {
		if !slices.ContainsFunc(connectionArgs, func(arg string) bool { return n.is(a.Name, arg) }) {
			return deny("'%s' has no argument named '%s': a Relay connection pages with first, last, before and after", f.Name, a.Name)
		}
		v, err := d.value(a.Value)
		if err != nil {
			return err
		}
		given[a.Name] = v != nil
	}
	switch {
	case given["first"] && given["last"]:
		return deny("%s: \"first\" and \"last\" are not allowed at once", f.Name)
	case given["after"] && given["before"]:
		return deny("%s: \"after\" and \"before\" are not allowed at once", f.Name)
	}
	if err := d.where(t, sel, f.Arguments, n.typ(tname, "bool", "exp"), depth); err != nil {
		return err
	}
	if err := d.orderBy(t, sel, f.Arguments, tname, depth); err != nil {
		return err
	}
	var fields []*ast.Field
	if err := d.collect(f.SelectionSet, 0, &fields); err != nil {
		return err
	}
	if len(fields) == 0 {
		return deny("%s: a connection needs a selection of fields", path)
	}
	read := false
	cursors := false
	for _, c := range fields {
		switch c.Name {
		case "__typename":
		case "pageInfo":
			var infos []*ast.Field
			if err := d.collect(c.SelectionSet, 0, &infos); err != nil {
				return err
			}
			for _, i := range infos {
				switch i.Name {
				case "__typename", "hasNextPage", "hasPreviousPage":
				case "startCursor", "endCursor":
					cursors = true
				default:
					return deny("field '%s' not found in type: 'PageInfo'", i.Name)
				}
			}
		case "edges":
			var edges []*ast.Field
			if err := d.collect(c.SelectionSet, 0, &edges); err != nil {
				return err
			}
			for _, e := range edges {
				switch e.Name {
				case "__typename":
				case "cursor":
					cursors = true
				case "node":
					read = true
					if err := d.read(t, sel, e.SelectionSet, join(path, c.Alias+"."+e.Alias), rel, tname, depth+1); err != nil {
						return err
					}
				default:
					return deny("field '%s' not found in type: '%s'", e.Name, connectionType(t, tname, "edge"))
				}
			}
		default:
			return deny("field '%s' not found in type: '%s'", c.Name, connectionType(t, tname, "connection"))
		}
	}
	if !read {
		// pageInfo and cursors are read from the rows all the same.
		d.sels = append(d.sels, Selection{Path: path, Table: t.Name, Op: model.OpSelect, Relationship: rel, Columns: []string{}})
	}
	if cursors {
		d.exposePK(t, sel, "cursors")
	}
	return nil
}

// exposePK notes that the response carries t's primary key values (in
// node ids or cursors, what), which Hasura gives whether or not the
// select permission grants those columns.
func (d *tableDecider) exposePK(t *model.Table, sel *model.Permission, what string) {
	var hidden []string
	for _, c := range t.PrimaryKey {
		if !readable(sel, c) {
			hidden = append(hidden, c)
		}
	}
	if len(hidden) == 0 {
		return
	}
	for i, e := range d.encoded {
		if e.table == t.Name {
			if !slices.Contains(e.what, what) {
				d.encoded[i].what = append(e.what, what)
			}
			return
		}
	}
	d.encoded = append(d.encoded, encodedPK{table: t.Name, pk: t.PrimaryKey, hidden: hidden, what: []string{what}})
}

// encodedPK is a table whose primary key a Relay response gives away.
type encodedPK struct {
	table      model.TableName
	pk, hidden []string
	what       []string
}

// encodedNotes says which primary keys the response gives away.
func (d *tableDecider) encodedNotes() string {
	notes := make([]string, len(d.encoded))
	for i, e := range d.encoded {
		notes[i] = fmt.Sprintf("the %s of %s encode its primary key (%s), which Hasura returns though role %s may not select %s",
			strings.Join(e.what, " and "), e.table, strings.Join(e.pk, ", "), d.req.Role, strings.Join(e.hidden, ", "))
	}
	return strings.Join(notes, "; ")
}

// relayField decides a field of a table's type that only the Relay API
// has (ok false otherwise): the node id, and an array relationship's
// <rel>_connection.
func (d *tableDecider) relayField(t *model.Table, sel *model.Permission, f *ast.Field, path, tname string, depth int) (ok bool, err error) {
	if !d.relay {
		return false, nil
	}
	if f.Name == "id" {
		if len(t.PrimaryKey) == 0 {
			return true, deny("field 'id' not found in type: '%s': %s has no primary key, so its Relay type has no node id", tname, t.Name)
		}
		d.exposePK(t, sel, "node ids")
		return true, nil
	}
	base, isConn := strings.CutSuffix(f.Name, "_connection")
	r := t.Relationships[base]
	if _, col := columnByField(t, f.Name); !isConn || col || t.Relationships[f.Name] != nil || r == nil || r.Kind != model.RelArray || r.Function != nil {
		return false, nil
	}
	target := d.p.Tables[d.p.Resolve(r.Target, t.Source)]
	if target == nil {
		return true, &undecidedError{fmt.Sprintf("relationship %s of %s leads to %s, which is not in the policy", r.Name, t.Name, r.Target)}
	}
	tsel, err := d.perm(target, model.OpSelect, f.Name)
	if _, dn := err.(*denial); dn {
		return true, deny("field '%s' not found in type: '%s': role %s has no select permission on %s, the target of relationship %s", f.Name, tname, d.req.Role, target.Name, r.Name)
	} else if err != nil {
		return true, err
	}
	if len(target.PrimaryKey) == 0 {
		return true, deny("field '%s' not found in type: '%s': %s, the target of relationship %s, has no primary key", f.Name, tname, target.Name, r.Name)
	}
	return true, d.connection(target, tsel, f, join(path, f.Alias), r.Name, typeName(target), depth+1)
}

// nodeTables are the tables whose types implement Node for the role:
// those with a primary key it may select from (nodeInterface), sorted.
func (d *tableDecider) nodeTables() []*model.Table {
	var out []*model.Table
	for _, t := range d.p.Tables {
		if len(t.PrimaryKey) == 0 {
			continue
		}
		if _, err := d.perm(t, model.OpSelect, "node"); err == nil {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name.Less(out[j].Name) })
	return out
}

// decideNode decides node(id:): its id names the table and row (Hasura's
// V1 node id, the only one it accepts: base64 of [1, schema, table,
// primary key values...]); its selection has id and __typename, and
// fragments on the types of the tables the role may read as nodes, each
// decided as a read of its table; the selection listed is the table the
// id names.
func decideNode(w *walk, p *model.Policy, req Request, f *ast.Field) RootField {
	rf := RootField{ResponseKey: f.Alias, Name: f.Name, Kind: TableRootFieldKind}
	d := &tableDecider{walk: w, p: p, req: req}
	tables := d.nodeTables()
	// The node id names the table by its schema and name, whatever the
	// source's naming convention (Hasura's V1 node id); the fragments
	// name its type and fields as the convention does (typeName, and
	// read's naming).
	t, err := d.nodeTarget(f, tables)
	if err == nil {
		rf.Table = &TableField{Table: t.Name, Kind: "node"}
		rf.Decision = Allow
		rf.Reason = fmt.Sprintf("node: the id names a row of %s, on which role %s has the select permission (the selection's rows are Filter's answer, with the row's primary key)", t.Name, req.Role)
		if req.Role == model.AdminRole {
			rf.Reason = fmt.Sprintf("node: the id names a row of %s; admin may read every table", t.Name)
		}
		err = d.nodeSelection(f.SelectionSet, f.Alias, t, tables, 0)
		if err == nil && !d.nodeRead {
			d.sels = append(d.sels, Selection{Path: f.Alias, Table: t.Name, Op: model.OpSelect, Columns: []string{}})
		}
	}
	d.settle(&rf, err)
	if rf.Decision == Allow && len(d.encoded) > 0 {
		rf.Reason += "; " + d.encodedNotes()
	}
	return rf
}

// nodeTarget reads node's id argument and finds the table it names among
// those the role may read as nodes; a bad id is a denial (Hasura answers
// "invalid node id").
func (d *tableDecider) nodeTarget(f *ast.Field, tables []*model.Table) (*model.Table, error) {
	for _, a := range f.Arguments {
		if a.Name != "id" {
			return nil, deny("'node' has no argument named '%s'", a.Name)
		}
	}
	a := f.Arguments.ForName("id")
	if a == nil {
		return nil, deny("missing required field 'id' of 'node'")
	}
	v, err := d.value(a.Value)
	if err != nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, deny("invalid node id: want a string, got %s", describeJSON(v))
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return nil, deny("invalid node id: not base64")
		}
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil || len(parts) == 0 {
		return nil, deny("invalid node id: not a JSON array")
	}
	var version json.Number
	dec := json.NewDecoder(strings.NewReader(string(parts[0])))
	dec.UseNumber()
	if dec.Decode(&version) != nil {
		return nil, deny("invalid node id: unexpected GUID format, needs to start with a version number")
	}
	if version != "1" {
		return nil, deny("invalid node id: unsupported GUID version: %s", version)
	}
	var schema, name string
	if len(parts) < 4 || json.Unmarshal(parts[1], &schema) != nil || json.Unmarshal(parts[2], &name) != nil {
		return nil, deny("invalid node id: GUID version 1: expecting schema name, table name and at least one column value")
	}
	var found []*model.Table
	for _, t := range tables {
		if t.Name.Schema == schema && t.Name.Name == name {
			found = append(found, t)
		}
	}
	switch {
	case len(found) == 0:
		return nil, deny("invalid node id: no such table found: %s.%s (or role %s may not read it as a node)", schema, name, d.req.Role)
	case len(found) > 1:
		return nil, deny("invalid node id: this V1 node id matches more than one table across different sources: %s.%s", schema, name)
	}
	t := found[0]
	switch values := len(parts) - 3; {
	case values < len(t.PrimaryKey):
		return nil, deny("invalid node id: primary key columns %s are missing", strings.Join(t.PrimaryKey[values:], ", "))
	case values > len(t.PrimaryKey):
		return nil, deny("invalid node id: unexpected column values")
	}
	return t, nil
}

// nodeSelection decides node's selection set: id and __typename, and
// fragments on Node or on the type of a table in tables (Hasura parses
// every fragment, whichever table the id names); the reads of target's
// fragments are the selections.
func (d *tableDecider) nodeSelection(set ast.SelectionSet, path string, target *model.Table, tables []*model.Table, depth int) error {
	if depth > maxFragmentDepth {
		return &OperationError{"query", fmt.Sprintf("fragments nest deeper than %d (a cycle?)", maxFragmentDepth)}
	}
	for _, s := range set {
		var dirs ast.DirectiveList
		var cond string
		var sub ast.SelectionSet
		switch s := s.(type) {
		case *ast.Field:
			dirs = s.Directives
		case *ast.InlineFragment:
			dirs, cond, sub = s.Directives, s.TypeCondition, s.SelectionSet
		case *ast.FragmentSpread:
			dirs = s.Directives
			def := d.doc.Fragments.ForName(s.Name)
			if def == nil {
				return &OperationError{"query", fmt.Sprintf("fragment %s is not defined in the document", s.Name)}
			}
			cond, sub = def.TypeCondition, def.SelectionSet
		}
		if in, err := d.included(dirs); err != nil || !in {
			return err
		}
		if fld, ok := s.(*ast.Field); ok {
			switch fld.Name {
			case "__typename":
			case "id":
				d.exposePK(target, d.nodePerm(target), "node ids")
			default:
				return deny("field '%s' not found in type: 'Node'", fld.Name)
			}
			continue
		}
		if cond == "" || cond == "Node" {
			if err := d.nodeSelection(sub, path, target, tables, depth+1); err != nil {
				return err
			}
			continue
		}
		var t *model.Table
		for _, x := range tables {
			if typeName(x) == cond {
				t = x
			}
		}
		if t == nil {
			return deny("type '%s' of a fragment in node is not a table type that implements Node for role %s (a table with a primary key it may select from)", cond, d.req.Role)
		}
		at, notes := len(d.sels), len(d.encoded)
		if err := d.read(t, d.nodePerm(t), sub, path, "", cond, 1); err != nil {
			return err
		}
		if t != target {
			// Parsed and checked, but not read: the id names another table.
			d.sels, d.encoded = d.sels[:at], d.encoded[:notes]
			continue
		}
		d.nodeRead = true
	}
	return nil
}

// nodePerm is the role's select permission on a table of nodeTables.
func (d *tableDecider) nodePerm(t *model.Table) *model.Permission {
	pm, _ := d.perm(t, model.OpSelect, "node")
	return pm
}
