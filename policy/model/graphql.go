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
	// name (the function's and its aggregate's).
	Functions map[string]*TrackedFunction
	// FunctionsByName are the same functions by their SQL name, for Check
	// and Filter asked on a function.
	FunctionsByName map[TableName]*TrackedFunction
	// IntrospectionDisabled holds the roles that may not introspect the
	// schema (graphql_schema_introspection.yaml's disabled_for_roles);
	// every other role may, as in Hasura.
	IntrospectionDisabled map[string]bool
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
