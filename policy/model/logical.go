package model

// LogicalModel is a logical model of a source (logical_models): the type
// of the rows its native queries return, with select permissions like a
// table's. Warden decides whether a role may use a native query's root
// field and which fields it may select; it does not yet give Check or
// Filter on a logical model's rows.
type LogicalModel struct {
	Name   string
	Source string
	// Fields in declaration order.
	Fields []string
	// Select holds the select permission of each role, inherited roles
	// resolved.
	Select map[string]*LogicalSelect
}

// LogicalSelect is a role's select permission on a logical model.
type LogicalSelect struct {
	// Columns the role may select.
	Columns []string
	// AllRows says the filter is empty ({}, or an inherited role with a
	// parent whose filter is): the role sees every row.
	AllRows bool
	// InheritedFrom names the parents of an inherited role's permission.
	InheritedFrom []string
}

// NativeQuery is a native query (native_queries): a root field returning
// rows of a logical model.
type NativeQuery struct {
	RootField string
	Source    string
	// Returns names the logical model (of Source).
	Returns string
	// Relationships are the names of its object and array relationships.
	Relationships []string
}
