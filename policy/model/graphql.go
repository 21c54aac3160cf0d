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
