package model

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// RemoteCustomization is a remote schema's definition.customization, as
// Hasura's RemoteSchemaCustomization reads it: the schema's root fields
// under one namespace field, its type names prefixed, suffixed or mapped,
// and the fields of some object and interface types prefixed, suffixed or
// mapped. Hasura applies it after the role's schema is built, so a role's
// permission document stays in the remote's own names.
type RemoteCustomization struct {
	// Namespace is root_fields_namespace: the one root field that holds
	// the remote schema's root fields ("" for none).
	Namespace string
	// TypePrefix, TypeSuffix and TypeMapping are type_names; a mapping
	// wins over the prefix and suffix.
	TypePrefix, TypeSuffix string
	TypeMapping            map[string]string
	// Fields are field_names by parent_type (the remote's name of an
	// object or interface type); for two entries of one type the last
	// wins, as Hasura's Map.fromList keeps it.
	Fields map[string]RemoteFieldCustomization
}

// RemoteFieldCustomization is one entry of field_names.
type RemoteFieldCustomization struct {
	Prefix, Suffix string
	Mapping        map[string]string
}

// builtInScalars keep their names (Hasura's GName.builtInScalars).
var builtInScalars = map[string]bool{"Int": true, "Float": true, "String": true, "Boolean": true, "ID": true}

// TypeName is the name Hasura shows for a type of the remote schema, as
// its getCustomizer builds typeRenameMap: the mapping first; then, with a
// namespace, a root type takes the namespace as a prefix; then the prefix
// and suffix, which spare the built-in scalars, names starting with __
// and (without a namespace) the root types. roots are the root type
// names.
func (c *RemoteCustomization) TypeName(roots []string, name string) string {
	if c == nil {
		return name
	}
	if m, ok := c.TypeMapping[name]; ok {
		return m
	}
	root := false
	for _, r := range roots {
		root = root || r == name
	}
	switch {
	case root && c.Namespace != "":
		return c.Namespace + name
	case c.TypePrefix == "" && c.TypeSuffix == "",
		strings.HasPrefix(name, "__"), builtInScalars[name], root:
		return name
	}
	return c.TypePrefix + name + c.TypeSuffix
}

// FieldName is the name Hasura shows for a field of an object or
// interface type (parent in the remote's names): the type's mapping
// first, then its prefix and suffix.
func (c *RemoteCustomization) FieldName(parent, field string) string {
	if c == nil || strings.HasPrefix(field, "__") {
		return field
	}
	fc, ok := c.Fields[parent]
	if !ok {
		return field
	}
	if m, ok := fc.Mapping[field]; ok {
		return m
	}
	return fc.Prefix + field + fc.Suffix
}

// RemoteNames maps the names Hasura shows for a role's schema of a
// customized remote schema back to the schema's own.
type RemoteNames struct {
	// Types: shown type name -> the schema's type name.
	Types map[string]string
	// Fields: the schema's object or interface type name -> shown field
	// name -> the schema's field name (fields starting with __ left out).
	Fields map[string]map[string]string
}

// roots lists the root type names of a role's schema.
func (r *RemoteRoleSchema) roots() []string {
	var out []string
	for _, op := range []string{"query", "mutation", "subscription"} {
		if d := r.Root(op); d != nil {
			out = append(out, d.Name)
		}
	}
	return out
}

// ShownType is the name Hasura shows for a type of the role's schema.
func (r *RemoteRoleSchema) ShownType(c *RemoteCustomization, name string) string {
	return c.TypeName(r.roots(), name)
}

// BuildRemoteNames applies a customization to a role's schema and checks
// it as Hasura's validateSchemaCustomizations checks the upstream schema:
// type names, and the fields of each object and interface, must stay
// distinct, and an interface's field must be renamed as in every object
// that implements it. The role's schema is part of the upstream schema
// (Hasura checks that it is), so a conflict here is one upstream too.
func BuildRemoteNames(c *RemoteCustomization, r *RemoteRoleSchema) (*RemoteNames, []string) {
	roots := r.roots()
	out := &RemoteNames{Types: map[string]string{}, Fields: map[string]map[string]string{}}
	var errs []string
	names := make([]string, 0, len(r.Schema.Types))
	for n, d := range r.Schema.Types {
		if !d.BuiltIn || builtInScalars[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		shown := c.TypeName(roots, n)
		if prev, ok := out.Types[shown]; ok {
			errs = append(errs, fmt.Sprintf("type name mappings are not distinct: %s and %s are both named %s", prev, n, shown))
			continue
		}
		out.Types[shown] = n
		d := r.Schema.Types[n]
		if d.Kind != ast.Object && d.Kind != ast.Interface {
			continue
		}
		fields := map[string]string{}
		for _, f := range d.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			sf := c.FieldName(n, f.Name)
			if prev, ok := fields[sf]; ok {
				errs = append(errs, fmt.Sprintf("field name mappings for type %s are not distinct: %s and %s are both named %s", n, prev, f.Name, sf))
				continue
			}
			fields[sf] = f.Name
		}
		out.Fields[n] = fields
		if d.Kind != ast.Interface {
			continue
		}
		for _, impl := range r.Schema.GetPossibleTypes(d) {
			for _, f := range d.Fields {
				if a, b := c.FieldName(n, f.Name), c.FieldName(impl.Name, f.Name); a != b {
					errs = append(errs, fmt.Sprintf("field name mapping for field %s of interface %s is inconsistent with mapping for type %s: interface field name maps to %s, type field name maps to %s", f.Name, n, impl.Name, a, b))
				}
			}
		}
	}
	return out, errs
}
