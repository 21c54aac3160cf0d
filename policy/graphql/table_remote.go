package graphql

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/wardenpdp/warden/policy/model"
)

// Remote relationships of a table (remote_relationships), decided as
// Hasura builds them into a role's type of the table
// (Hasura.GraphQL.Schema.RemoteRelationship):
//
//   - to a table of another source (to_source): the field exists when the
//     role has a select permission on the target table, as for a local
//     relationship; an array one also has <name>_aggregate when that
//     permission allows aggregations. The target's rows are under its
//     select permission (its filter, Filter's answer for the selection
//     recorded) and its columns; the object form takes no arguments, the
//     array form where, order_by, distinct_on, limit and offset
//     (remoteRelationshipToSourceField).
//   - to a remote schema (to_remote_schema, or the older remote_schema
//     with hasura_fields): the field exists when the role's schema of the
//     remote schema has the relationship's field path with the
//     arguments it fills (validateToSchemaRelationship against the
//     role's schema); the caller may give the leaf field's other
//     arguments and select below it within the role's schema, as for a
//     remote schema root field (remote.go), and the leaf's @preset
//     arguments are returned for the gateway to inject. Admin's is not
//     checked further (Hasura validated it when the relationship was
//     made; Warden does not have the upstream schema).
//
// A subscription may not select either kind: Hasura refuses remote joins
// in subscriptions ("Remote relationships are not allowed in
// subscriptions").
//
// The join columns (field_mapping's, lhs_fields) need not be readable by
// the role: Hasura fetches them itself, and tableSelectFields keeps every
// remote relationship (canBeSelected ... FIRemoteRelationship = True).
// Warden decides remote schema permissions as enabled
// (HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS), as for root fields.

// remoteRef looks a remote relationship (or an array one's aggregate) of
// t up by field name; rr is nil when name is none.
func remoteRef(t *model.Table, name string) (rr *model.RemoteRelationship, aggregate bool) {
	if t.GraphQL == nil || t.GraphQL.RemoteRelationships == nil {
		return nil, false
	}
	if rr = t.GraphQL.RemoteRelationships[name]; rr != nil {
		return rr, false
	}
	if base, ok := strings.CutSuffix(name, "_aggregate"); ok {
		if rr = t.GraphQL.RemoteRelationships[base]; rr != nil && rr.ToSource && rr.Kind == model.RelArray {
			return rr, true
		}
	}
	return nil, false
}

// remoteField is field's case for a remote relationship: a relationship
// to another source's table resolves as a relationship (a fieldRef with
// rel set to its join); one to a remote schema is decided when read.
func (d *tableDecider) remoteField(t *model.Table, rr *model.RemoteRelationship, aggregate bool, name string, notFound func(string, ...any) error) (fieldRef, error) {
	if rr.Unread != "" {
		return fieldRef{}, &undecidedError{fmt.Sprintf("%s is a remote relationship of %s whose definition Warden could not read (%s)", rr.Name, t.Name, rr.Unread)}
	}
	if d.op != nil && d.op.Operation == ast.Subscription {
		// Hasura's subscription planner refuses any remote join
		// (Execute.hs: throw400 NotSupported).
		return fieldRef{}, deny("field '%s': Remote relationships are not allowed in subscriptions (%s is a remote relationship of %s)", name, rr.Name, t.Name)
	}
	if !rr.ToSource {
		return fieldRef{remote: rr}, nil
	}
	target := d.p.Tables[d.p.Resolve(rr.Target, "")]
	if target == nil {
		return fieldRef{}, &undecidedError{fmt.Sprintf("%s is a remote relationship of %s to %s of source %s, which is not in the policy", rr.Name, t.Name, rr.Target.Unqualified(), rr.Target.Source)}
	}
	if target.GraphQL != nil && target.GraphQL.NamesUnknown {
		// As for a relationship within the source (field).
		return fieldRef{}, &undecidedError{fmt.Sprintf("%s is a remote relationship of %s to %s, whose GraphQL field names Warden cannot tell (see the load notes)", rr.Name, t.Name, target.Name)}
	}
	if d.p.GraphQL.GraphQLDefaultSources[rr.Target.Source] {
		// Hasura names the target's fields by its own source's
		// customization (withSourceCustomization), which Warden does not
		// read for graphql-default.
		return fieldRef{}, &undecidedError{fmt.Sprintf("%s is a remote relationship of %s to %s in source %s, named by the graphql-default naming convention, whose fields CheckGraphQL does not read", rr.Name, t.Name, target.Name, rr.Target.Source)}
	}
	tsel, err := d.perm(target, model.OpSelect, name)
	var dn *denial
	switch {
	case errors.As(err, &dn):
		return fieldRef{}, notFound("role %s has no select permission on %s, the target of remote relationship %s", d.req.Role, target.Name, rr.Name)
	case err != nil:
		return fieldRef{}, err
	case aggregate && tsel != nil && !tsel.AllowAggregations:
		return fieldRef{}, notFound("the select permission of role %s on %s does not allow aggregations", d.req.Role, target.Name)
	}
	rel := &model.Relationship{Name: rr.Name, Kind: rr.Kind, Target: target.Name, Mapping: rr.Mapping}
	return fieldRef{rel: rel, aggregate: aggregate, target: target, tsel: tsel, remote: rr}, nil
}

// remoteSchemaRead decides a remote relationship to a remote schema
// selected at path: the role's schema must have its field path with the
// arguments it fills, and the caller's arguments and selections must be
// in the role's schema below it.
//
// For a remote schema with customization, Hasura's
// remoteRelationshipToSchemaField (Hasura.GraphQL.Schema.
// RemoteRelationship) follows remote_field through the role's
// introspection in the upstream's own names (validateToSchemaRelationship,
// lookupNestedFieldType; the customizer is not applied to the path),
// names the field by the relationship's name, leaves argument names as
// they are, and parses the selection below it under
// withRemoteSchemaCustomization: the caller's fields and fragments there
// are in the customized names (field_names, type_names), which the walk
// maps back as for a root field. root_fields_namespace does not apply (a
// relationship's field is no root field).
func (d *tableDecider) remoteSchemaRead(t *model.Table, rr *model.RemoteRelationship, f *ast.Field, path, tname string) error {
	notFound := func(why string, args ...any) error {
		return deny("field '%s' not found in type: '%s': %s", f.Name, tname, fmt.Sprintf(why, args...))
	}
	rs := d.p.GraphQL.RemoteSchemas[rr.RemoteSchema]
	role := d.req.Role
	switch {
	case rs == nil:
		return &undecidedError{fmt.Sprintf("%s is a remote relationship of %s to remote schema %s, which is not in the metadata Warden loaded", rr.Name, t.Name, rr.RemoteSchema)}
	case rs.Inconsistent[""] != nil:
		return notFound("remote schema %s is inconsistent and left out", rs.Name)
	case role == model.AdminRole:
		return nil
	case rs.Inconsistent[role] != nil:
		return notFound("the permission of role %s on remote schema %s is inconsistent and left out", role, rs.Name)
	}
	rrs := rs.Roles[role]
	if rrs == nil {
		return notFound("remote schema %s has no permission for role %s, so remote relationship %s is not in its schema", rs.Name, role, rr.Name)
	}
	if len(rr.RemoteField) == 0 {
		return &undecidedError{fmt.Sprintf("remote relationship %s of %s has no remote_field", rr.Name, t.Name)}
	}
	parent := rrs.Schema.Query
	var fd *ast.FieldDefinition
	for i, call := range rr.RemoteField {
		switch {
		case parent == nil && i == 0:
			return notFound("role %s's schema of remote schema %s has no query root", role, rs.Name)
		case parent == nil || parent.Kind != ast.Object:
			// Hasura's validateToSchemaRelationship goes on looking the
			// next field up in the previous object then: not decided.
			return &undecidedError{fmt.Sprintf("the field path of remote relationship %s of %s passes through %s, which is not an object of role %s's schema of remote schema %s", rr.Name, t.Name, rr.RemoteField[i-1].Field, role, rs.Name)}
		}
		if fd = parent.Fields.ForName(call.Field); fd == nil {
			return notFound("role %s's schema of remote schema %s has no field %s.%s, which remote relationship %s calls", role, rs.Name, parent.Name, call.Field, rr.Name)
		}
		for _, arg := range sortedKeys(call.Arguments) {
			ad := fd.Arguments.ForName(arg)
			if ad == nil {
				return notFound("%s.%s has no argument %s in role %s's schema of remote schema %s (remote relationship %s fills it)", parent.Name, fd.Name, arg, role, rs.Name, rr.Name)
			}
			if why := relArgument(rrs, ad.Type, call.Arguments[arg], 0); why != "" {
				return notFound("argument %s of %s.%s, which remote relationship %s fills: %s", arg, parent.Name, fd.Name, rr.Name, why)
			}
		}
		if i < len(rr.RemoteField)-1 {
			for _, ad := range fd.Arguments {
				if _, given := call.Arguments[ad.Name]; !given && rrs.Presets[model.PresetKey(parent.Name, fd.Name, ad.Name)] != nil {
					return &undecidedError{fmt.Sprintf("remote relationship %s of %s passes through %s.%s, whose argument %s is preset for role %s: Warden does not decide presets on the way to the relationship's field", rr.Name, t.Name, parent.Name, fd.Name, ad.Name, role)}
				}
			}
			parent = rrs.Schema.Types[fd.Type.Name()]
		}
	}
	// The caller gives the leaf's other arguments: one the relationship
	// fills with a scalar is not in the role's type (Hasura strips it);
	// one it fills with an object the caller may extend, which Warden
	// does not decide.
	filled := rr.RemoteField[len(rr.RemoteField)-1].Arguments
	for _, a := range f.Arguments {
		v, ok := filled[a.Name]
		if !ok {
			continue
		}
		if _, isObj := v.(map[string]any); isObj {
			return &undecidedError{fmt.Sprintf("argument %s of remote relationship %s is an input object the relationship fills and the caller extends, which Warden does not decide", a.Name, rr.Name)}
		}
		return notFound("argument %s of remote relationship %s is filled by the relationship, so the caller may not give it", a.Name, rr.Name)
	}
	user := *fd
	user.Arguments = nil
	for _, ad := range fd.Arguments {
		if _, ok := filled[ad.Name]; !ok {
			user.Arguments = append(user.Arguments, ad)
		}
	}
	// Below the relationship's field the caller writes the names Hasura
	// shows: remoteRelationshipToSchemaField builds its parser under
	// withRemoteSchemaCustomization, as for the remote schema's own root
	// fields (remote.go), and makeResultCustomizer maps the response.
	w := &remoteWalk{rrs: rrs, custom: rs.Customization, vars: d.req.Vars}
	reason := w.field(parent, &user, f, path, 0)
	switch {
	case w.err != nil:
		d.fail(w.err)
		return &undecidedError{w.err.Error()}
	case len(w.missing) > 0:
		names := make([]string, 0, len(w.missing))
		for n := range w.missing {
			names = append(names, n)
		}
		sort.Strings(names)
		err := &MissingSessionVariablesError{Names: names}
		d.fail(err)
		return &undecidedError{err.Error()}
	case reason != "":
		return deny("remote relationship %s of %s (remote schema %s, role %s): %s", rr.Name, t.Name, rs.Name, role, reason)
	}
	d.presets = append(d.presets, w.presets...)
	return nil
}

// relArgument checks a value a remote relationship gives an argument of
// type typ: the input object fields it names must be in the role's
// schema (Hasura's validateType); scalars and column values ("$col") are
// the remote server's to check.
func relArgument(rrs *model.RemoteRoleSchema, typ *ast.Type, v any, depth int) string {
	if depth > maxRemoteDepth {
		return "nests too deep"
	}
	switch v := v.(type) {
	case []any:
		if typ.Elem == nil {
			return fmt.Sprintf("a list given for %s", typ)
		}
		for _, x := range v {
			if why := relArgument(rrs, typ.Elem, x, depth+1); why != "" {
				return why
			}
		}
	case map[string]any:
		def := rrs.Schema.Types[typ.Name()]
		if def == nil || def.Kind != ast.InputObject {
			return fmt.Sprintf("an object given for %s, not an input object of the role's schema", typ.Name())
		}
		for _, k := range sortedKeys(v) {
			fd := def.Fields.ForName(k)
			if fd == nil {
				return fmt.Sprintf("input object %s has no field %s in the role's schema", def.Name, k)
			}
			if why := relArgument(rrs, fd.Type, v[k], depth+1); why != "" {
				return why
			}
		}
	}
	return ""
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
