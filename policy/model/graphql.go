package model

// The parts of Hasura metadata that are not table permissions but decide
// GraphQL operations: actions and their permissions, query collections and
// the allow list.

// GraphQLMetadata holds the actions, query collections and allow list of a
// policy set. The zero value holds none.
type GraphQLMetadata struct {
	// Actions by name.
	Actions map[string]*Action
	// Collections by name.
	Collections map[string]*QueryCollection
	// AllowList in the order of the metadata.
	AllowList []AllowListEntry
	// Functions are the tracked functions Warden decides, by root field
	// name (the function's and its aggregate's, the source's root field
	// prefix and suffix applied); FunctionNamespaces those of sources
	// with a root field namespace, by namespace then name.
	Functions          map[string]*TrackedFunction
	FunctionNamespaces map[string]map[string]*TrackedFunction
	// RelayFunctions are tracked functions' <function>_connection root
	// fields of Hasura's Relay API by name (the function's GraphQL name
	// and _connection, then the source's root field prefix and suffix),
	// and RelayFunctionNamespaces those of sources with a namespace. A
	// function exposed as a mutation, or of a source named by
	// graphql-default, is here too: the name is Hasura's, and deciding it
	// says why the field is absent or undecided.
	RelayFunctions          map[string]*TrackedFunction
	RelayFunctionNamespaces map[string]map[string]*TrackedFunction
	// FunctionsByName are the same functions by their SQL name, for Check
	// and Filter asked on a function.
	FunctionsByName map[TableName]*TrackedFunction
	// IntrospectionDisabled holds the roles that may not introspect the
	// schema (graphql_schema_introspection.yaml's disabled_for_roles);
	// every other role may, as in Hasura.
	IntrospectionDisabled map[string]bool
	// GraphQLDefaultSources are the sources named by Hasura's
	// graphql-default naming convention (camelCase fields and arguments,
	// PascalCase types): their tables' GraphQL names are in each
	// table's TableGraphQL, their functions' root fields are named by it.
	GraphQLDefaultSources map[string]bool
	// NamespaceSources are the customizations of the sources with a root
	// field namespace, by namespace (a namespace two sources claim, or
	// one whose source's customization Warden cannot read, is left out).
	NamespaceSources map[string]SourceGraphQL
	// TableFields are the root fields of tracked tables by name, as
	// Hasura names them (table configuration and source customization
	// applied); Namespaces hold those of sources with a root field
	// namespace, by namespace then name. A name two objects claim is in
	// neither (Hasura reports the conflict as inconsistent metadata).
	TableFields map[string]TableRootField
	Namespaces  map[string]map[string]TableRootField
	// RelayFields are the <table>_connection root fields of Hasura's
	// Relay API by name (the table's GraphQL name, then the source's root
	// field prefix and suffix), and RelayNamespaces those of sources with
	// a namespace; kind RootSelectConnection. Under graphql-default the
	// name is the table's identifier and "connection" joined camelCase
	// (blogPostsConnection), within the prefix and suffix.
	RelayFields     map[string]TableRootField
	RelayNamespaces map[string]map[string]TableRootField
	// RemoteSchemas by name.
	RemoteSchemas map[string]*RemoteSchema
	// LogicalModels by source, then name; NativeQueries by root field.
	LogicalModels map[string]map[string]*LogicalModel
	NativeQueries map[string]*NativeQuery
}

// ActionType is the root type an action's field is on.
type ActionType string

// The action types.
const (
	ActionMutation ActionType = "mutation"
	ActionQuery    ActionType = "query"
)

// Action is one action of actions.yaml (or the export's actions).
type Action struct {
	Name string
	// Type is where its field is: mutation (Hasura's default) or query.
	Type ActionType
	// Async: kind asynchronous. Its result is fetched through a query (and
	// subscription) field of the same name, under the same permissions.
	Async bool
	// Roles that may execute it, as declared (explicit permissions).
	Roles map[string]bool
	// Inherited roles that may execute it through a parent; an inherited
	// role has an action when any role of its role set has it (Hasura
	// treats action permissions as a boolean per role).
	InheritedRoles map[string]bool
	// OutputType is definition.output_type without list and non-null
	// marks; OutputRelationships are the relationships custom_types gives
	// that type (to tables: Hasura decides them under the table's select
	// permission, which CheckGraphQL does not read for actions yet).
	OutputType          string
	OutputRelationships []string
}

// Allows says whether a role may execute the action. Admin always may.
func (a *Action) Allows(role string) bool {
	return role == AdminRole || a.Roles[role] || a.InheritedRoles[role]
}

// QueryCollection is a named list of GraphQL operations.
type QueryCollection struct {
	Name    string
	Queries []CollectionQuery
}

// CollectionQuery is one operation of a collection.
type CollectionQuery struct {
	// Name identifies the query in its collection; it is not the
	// operation's name.
	Name string
	// Query is the document as written.
	Query string
	// Normalized is its canonical form (policy/graphql.Normalize), what
	// the allow list compares.
	Normalized string
}

// AllowListEntry puts a collection in the allow list, for every role
// (Global) or for the listed roles.
type AllowListEntry struct {
	Collection string
	Global     bool
	Roles      []string
}

// TrackedFunction is a tracked SQL function returning rows of a table
// (SETOF table): Hasura exposes it as a root field whose rows are those of
// the table, read under the table's select permission.
type TrackedFunction struct {
	Name   TableName
	Source string
	// Returns is the table whose rows it returns.
	Returns TableName
	// Mutation: exposed_as mutation (a VOLATILE function); else a query
	// (and subscription) field.
	Mutation bool
	// RootField and AggregateField are the root field names (the
	// aggregate only on query, and only for roles allowed aggregations).
	RootField, AggregateField string
	// Roles with a function permission, as declared; InheritedRoles those
	// that have one through a parent.
	Roles          map[string]bool
	InheritedRoles map[string]bool
}

// Allows says whether role may call the function, given its select
// permission on the returned table (nil: none). Hasura's default
// (infer_function_permissions true): a query function is open to every
// role that may select from the table it returns; a mutation function
// needs a function permission. A function permission also needs the select
// permission. Admin always may.
func (f *TrackedFunction) Allows(role string, sel *Permission) bool {
	switch {
	case role == AdminRole:
		return true
	case sel == nil:
		return false
	case !f.Mutation:
		return true
	}
	return f.Roles[role] || f.InheritedRoles[role]
}

// TableGraphQL is what a table entry's configuration says of its GraphQL
// names (Hasura's table configuration): nil on a table without one.
type TableGraphQL struct {
	// CustomName replaces the table's GraphQL name (configuration.custom_name).
	CustomName string
	// RootFields are configuration.custom_root_fields, by Hasura's key
	// (select, select_by_pk, select_aggregate, select_stream, insert,
	// insert_one, update, update_by_pk, update_many, delete, delete_by_pk).
	RootFields map[string]string
	// ColumnNames maps a column to its GraphQL field name
	// (column_config.<column>.custom_name, or the older
	// custom_column_names; under graphql-default every column, its
	// camelCase name unless a custom name is set); a column not listed
	// keeps its name.
	ColumnNames map[string]string
	// RemoteRelationships are the table's remote relationships by name:
	// fields of its type that reach a remote schema or a table of
	// another source.
	RemoteRelationships map[string]*RemoteRelationship
	// TypeName is the table's GraphQL object type name: its GraphQL name
	// with the source's type_names prefix and suffix, PascalCase under
	// the graphql-default naming convention ("" when Warden could not
	// tell its names).
	TypeName string
	// GraphQLDefault: the table's source names its GraphQL schema with
	// the graphql-default naming convention; TypeBase is then the
	// table's PascalCase type name without the source's type_names
	// prefix and suffix (TypePrefix, TypeSuffix), from which the names of
	// its other types (ArticlesBoolExp, ...) are built.
	GraphQLDefault                   bool
	TypeBase, TypePrefix, TypeSuffix string
	// NamesUnknown: Warden cannot tell the GraphQL names of the table's
	// fields (its configuration could not be read, or the naming
	// convention's names of its columns are not certain): a selection
	// that reaches it is not decided.
	NamesUnknown bool
}

// Table root field kinds, named as Hasura's custom_root_fields keys.
const (
	RootSelect          = "select"
	RootSelectByPk      = "select_by_pk"
	RootSelectAggregate = "select_aggregate"
	RootSelectStream    = "select_stream"
	RootInsert          = "insert"
	RootInsertOne       = "insert_one"
	RootUpdate          = "update"
	RootUpdateByPk      = "update_by_pk"
	RootUpdateMany      = "update_many"
	RootDelete          = "delete"
	RootDeleteByPk      = "delete_by_pk"
	// RootSelectConnection is a table's <t>_connection field of Hasura's
	// Relay API (/v1beta1/relay); custom_root_fields does not name it.
	RootSelectConnection = "select_connection"
)

// TableRootKinds lists the root field kinds of a table in Hasura's order.
var TableRootKinds = []string{RootSelect, RootSelectByPk, RootSelectAggregate, RootSelectStream,
	RootInsert, RootInsertOne, RootUpdate, RootUpdateByPk, RootUpdateMany, RootDelete, RootDeleteByPk}

// TableRootField is one root field of a tracked table.
type TableRootField struct {
	Table TableName
	// Kind is one of the Root* constants.
	Kind string
	// TypeName is the table's GraphQL object type name (its GraphQL name
	// with the source's type_names prefix and suffix), for error messages
	// that name types as Hasura does.
	TypeName string
	// GraphQLDefault: the field's source names its schema with Hasura's
	// graphql-default naming convention (camelCase fields and arguments,
	// PascalCase types); its arguments and selections are read by those
	// names (policy/graphql's naming).
	GraphQLDefault bool
}

// Op is the permission the root field is decided by.
func (f TableRootField) Op() Operation {
	switch f.Kind {
	case RootInsert, RootInsertOne:
		return OpInsert
	case RootUpdate, RootUpdateByPk, RootUpdateMany:
		return OpUpdate
	case RootDelete, RootDeleteByPk:
		return OpDelete
	}
	return OpSelect
}

// SourceGraphQL is a source's customization of its GraphQL root fields
// and type names (databases.yaml customization).
type SourceGraphQL struct {
	// Namespace nests every root field of the source under one root field
	// of that name; Prefix and Suffix wrap each root field's name.
	Namespace, Prefix, Suffix string
	// TypePrefix and TypeSuffix wrap its type names.
	TypePrefix, TypeSuffix string
	// GraphQLDefault: customization.naming_convention is graphql-default.
	GraphQLDefault bool
}

// ColumnField returns the GraphQL field name of a column of t.
func (t *Table) ColumnField(column string) string {
	if t.GraphQL != nil {
		if n := t.GraphQL.ColumnNames[column]; n != "" {
			return n
		}
	}
	return column
}

// RemoteRelationship is a remote relationship of a table
// (remote_relationships): to a table of another source
// (definition.to_source), or to a field of a remote schema
// (definition.to_remote_schema, or the older definition.remote_schema
// with hasura_fields).
type RemoteRelationship struct {
	Name string
	// Unread says why Warden could not read the definition ("" when it
	// could): such a relationship is undecided.
	Unread string
	// ToSource: Target is the table (Target.Source its source), Kind
	// object or array, Mapping this table's columns joined to the
	// target's (field_mapping).
	ToSource bool
	Target   TableName
	Kind     RelKind
	Mapping  []ColumnPair
	// RemoteSchema names the remote schema of a relationship to one;
	// LHSFields are the columns whose values it passes (lhs_fields, or
	// hasura_fields); RemoteField is the path of fields it calls from the
	// remote schema's query root, each with the arguments it fills.
	RemoteSchema string
	LHSFields    []string
	RemoteField  []RemoteFieldCall
}

// RemoteFieldCall is one field of a remote relationship's remote_field
// path: the field and the arguments the relationship gives it, as JSON
// values (a string "$col" is the value of column col).
type RemoteFieldCall struct {
	Field     string
	Arguments map[string]any
}
