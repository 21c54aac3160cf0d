package model

import "github.com/vektah/gqlparser/v2/ast"

// RemoteSchema is one remote schema of remote_schemas.yaml (or the
// export's remote_schemas) with its role-based schemas: the part of the
// remote schema each role may use, written as SDL with @preset directives.
// Warden never sees the upstream schema, so admin's schema is unknown and
// a role without a permission sees nothing (Hasura with remote schema
// permissions enabled).
type RemoteSchema struct {
	Name   string
	Source Source
	// Customization is definition.customization (nil when none): the
	// names Hasura shows for the schema's root fields, types and fields.
	Customization *RemoteCustomization
	// Roles holds the role-based schema of each role with a permission,
	// inherited roles' included.
	Roles map[string]*RemoteRoleSchema
	// Inconsistent holds the permissions left out as inconsistent, by role.
	Inconsistent map[string]*Inconsistency
}

// RemoteRoleSchema is the schema one role sees of a remote schema.
type RemoteRoleSchema struct {
	Role string
	// InheritedFrom names the parents whose identical permission an
	// inherited role takes; empty for a permission of the role's own.
	InheritedFrom []string
	// Schema is the permission's SDL parsed and validated; its Query, Mutation and
	// Subscription are the role's root types (nil when it has none).
	Schema *ast.Schema
	// Presets by PresetKey: the arguments and input fields the role may
	// not give, and the value injected instead.
	Presets map[string]*PresetValue
	// Names maps the names Hasura shows back to the schema's own when the
	// remote schema is customized (nil otherwise).
	Names *RemoteNames
}

// PresetKey names an argument ("Type.field(arg)") or an input object
// field ("Input.field") that may carry a preset.
func PresetKey(typ, field, arg string) string {
	if arg == "" {
		return typ + "." + field
	}
	return typ + "." + field + "(" + arg + ")"
}

// PresetKind says what a preset value is.
type PresetKind int

// The preset kinds.
const (
	// PresetLiteral is a static value: Literal.
	PresetLiteral PresetKind = iota + 1
	// PresetSession is the value of the session variable Session, coerced
	// to the scalar Type (Int, Float, Boolean; any other as a string) or
	// checked against the enum values Enum.
	PresetSession
	// PresetList is a list of Items.
	PresetList
	// PresetObject is an input object of Fields.
	PresetObject
)

// PresetValue is the value of a @preset directive, as Hasura parses it
// against the argument's type.
type PresetValue struct {
	Kind PresetKind
	// Literal is a JSON value: string (enum values too), int64, float64,
	// bool or nil.
	Literal any
	// Session is the variable's name, lower-cased; Type its scalar or enum
	// type; Enum the enum's values (nil for a scalar).
	Session string
	Type    string
	Enum    []string
	Items   []*PresetValue
	Fields  []PresetField
}

// PresetField is one field of an input object preset.
type PresetField struct {
	Name  string
	Value *PresetValue
}

// Root is the role's root type of an operation ("query", "mutation" or
// "subscription"), as Hasura picks it: the type the schema definition
// names, else the object type of the default name (Query, Mutation,
// Subscription); nil when there is none.
func (r *RemoteRoleSchema) Root(op string) *ast.Definition {
	var declared *ast.Definition
	var name string
	switch op {
	case "query":
		declared, name = r.Schema.Query, "Query"
	case "mutation":
		declared, name = r.Schema.Mutation, "Mutation"
	case "subscription":
		declared, name = r.Schema.Subscription, "Subscription"
	default:
		return nil
	}
	if declared != nil {
		return declared
	}
	if d := r.Schema.Types[name]; d != nil && d.Kind == ast.Object {
		return d
	}
	return nil
}
