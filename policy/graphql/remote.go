package graphql

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/wardenpdp/warden/policy/model"
)

// Remote schema root fields, decided against the role's schema document
// (remote_schemas.yaml permissions) as Hasura's remote schema permissions
// do: the field, its arguments and every field selected below it must be
// in the role's schema; an argument or input field with a @preset is not
// (Hasura removes it), so a caller giving one is denied, and its value is
// returned for the gateway to inject. Warden never sees the upstream
// schema: a field is known to be a remote schema's when some role's
// schema has it, admin is allowed every such field unchecked, and a role
// without a permission on the remote schema sees none of it.
//
// A remote schema's definition.customization renames what the caller
// writes (model.RemoteCustomization, applied at load into each role's
// RemoteRoleSchema.Names): root fields and the fields of other object and
// interface types by the names Hasura shows, fragments' type conditions
// by the shown type names; arguments, input object fields and enum values
// keep theirs, as in Hasura. Each is mapped back to the role's schema
// document, which is in the remote's own names, and decided there; a
// preset's Field is in those names too. A namespaced remote schema's
// fields are under its namespace (remotens.go).

// RemotePreset is a value Hasura injects into a remote schema field's
// arguments for the role, resolved for the session.
type RemotePreset struct {
	// Path is the field's response path from the root field (aliases as
	// written), e.g. "me" or "me.messages".
	Path string
	// Field is the field's definition, "Type.field".
	Field string
	// Argument is the argument, then the input object fields down to the
	// preset one, dot-separated: "user_id", "where.owner.id".
	Argument string
	// Value is the JSON value (string, int64, float64, bool, nil, []any,
	// map[string]any).
	Value any
	// SessionVariables names the session variables the value came from.
	SessionVariables []string
}

// MissingSessionVariablesError: presets need session variables the
// session lacks (Hasura: "session variable expected, but not found"). It
// is never a deny.
type MissingSessionVariablesError struct{ Names []string }

func (e *MissingSessionVariablesError) Error() string {
	return "missing session variable(s): " + strings.Join(e.Names, ", ")
}

// SessionValueError: a session variable's value cannot be coerced to the
// type of the argument it presets.
type SessionValueError struct{ Variable, Reason string }

func (e *SessionValueError) Error() string { return e.Variable + ": " + e.Reason }

// maxRemoteVisits bounds the fields and fragments one remote root field
// may expand to: fragments spread again and again would otherwise grow
// the work exponentially.
const maxRemoteVisits = 10000

// linkFragments points every fragment spread of the document at its
// definition (nil when undefined), for walks below the root.
func linkFragments(doc *ast.QueryDocument) {
	var walk func(set ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, s := range set {
			switch s := s.(type) {
			case *ast.Field:
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				s.Definition = doc.Fragments.ForName(s.Name)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walk(f.SelectionSet)
	}
}

// remoteOwners lists the remote schemas (sorted) some role's schema of
// which has the root field name on op's root, by the name Hasura shows
// (customization applied); a namespaced remote schema has no field at the
// root but its namespace (remoteNamespaces).
func remoteOwners(meta *model.GraphQLMetadata, op ast.Operation, name string) []*model.RemoteSchema {
	var out []*model.RemoteSchema
	for _, rs := range meta.RemoteSchemas {
		if rs.Customization != nil && rs.Customization.Namespace != "" {
			continue
		}
		for _, rrs := range rs.Roles {
			if root := rrs.Root(string(op)); root != nil && rootField(rrs, root, name) != nil {
				out = append(out, rs)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// rootField is the field of a role's type that Hasura shows as name: the
// field so named, or for a customized remote schema the one renamed so.
func rootField(rrs *model.RemoteRoleSchema, parent *ast.Definition, name string) *ast.FieldDefinition {
	if rrs.Names == nil {
		return parent.Fields.ForName(name)
	}
	orig, ok := rrs.Names.Fields[parent.Name][name]
	if !ok {
		return nil
	}
	return parent.Fields.ForName(orig)
}

// decideRemote decides a root field that belongs to a remote schema; ok
// is false when no remote schema has the field. rf.err is a session
// variable a preset needs and the session lacks (or cannot be coerced).
func decideRemote(p *model.Policy, req Request, op ast.Operation, f *ast.Field) (rf RootField, ok bool) {
	owners := remoteOwners(&p.GraphQL, op, f.Name)
	if len(owners) == 0 {
		return rf, false
	}
	if len(owners) > 1 {
		names := make([]string, len(owners))
		for i, o := range owners {
			names[i] = o.Name
		}
		rf = RootField{ResponseKey: f.Alias, Name: f.Name, Kind: RemoteSchemaField, RemoteSchema: owners[0].Name}
		rf.Decision, rf.Reason = Undecided, fmt.Sprintf("%s is a %s root field of the remote schemas %s: Hasura keeps only one of them", f.Name, op, strings.Join(names, ", "))
		return rf, true
	}
	return decideRemoteField(owners[0], req, op, f, ""), true
}

// decideRemoteField decides a root field of remote schema rs, at the root
// or (ns, the namespace's name) under its namespace.
func decideRemoteField(rs *model.RemoteSchema, req Request, op ast.Operation, f *ast.Field, ns string) (rf RootField) {
	rf = RootField{ResponseKey: f.Alias, Name: f.Name, Kind: RemoteSchemaField, RemoteSchema: rs.Name}
	where := fmt.Sprintf("a %s root field", op)
	if ns != "" {
		where = fmt.Sprintf("a field of namespace %s on the %s root", ns, op)
	}
	if op == ast.Subscription {
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("%s is a subscription field of remote schema %s: Hasura does not forward subscriptions to remote schemas", f.Name, rs.Name)
		return rf
	}
	if ns != "" && f.Name != "__typename" && strings.HasPrefix(f.Name, "__") {
		// Hasura's namespace selection set knows __typename only.
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("%s is not %s: the namespace has only the remote schema's root fields and __typename", f.Name, where)
		return rf
	}
	if bad := rs.Inconsistent[""]; bad != nil {
		// Hasura drops the whole remote schema: not even admin sees it.
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("remote schema %s is inconsistent and left out: %s", rs.Name, strings.Join(bad.Reasons, "; "))
		return rf
	}
	if req.Role == model.AdminRole {
		rf.Decision, rf.Reason = Allow, fmt.Sprintf("admin sees the whole of remote schema %s (its upstream schema, which Warden does not have, checks the rest)", rs.Name)
		return rf
	}
	if bad := rs.Inconsistent[req.Role]; bad != nil {
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("the permission of role %s on remote schema %s is inconsistent and left out: %s", req.Role, rs.Name, strings.Join(bad.Reasons, "; "))
		return rf
	}
	rrs := rs.Roles[req.Role]
	if rrs == nil {
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("remote schema %s has no permission for role %s", rs.Name, req.Role)
		return rf
	}
	root := rrs.Root(string(op))
	if ns != "" && root == nil {
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("role %s's schema of remote schema %s has no %s root, so the role's %s root has no namespace %s", req.Role, rs.Name, op, op, ns)
		return rf
	}
	if f.Name == "__typename" {
		rf.Kind, rf.Decision, rf.Reason = IntrospectionField, Allow, fmt.Sprintf("__typename of namespace %s, which role %s sees", ns, req.Role)
		return rf
	}
	var fd *ast.FieldDefinition
	if root != nil {
		fd = rootField(rrs, root, f.Name)
	}
	if fd == nil {
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("%s is not %s in role %s's schema of remote schema %s", f.Name, where, req.Role, rs.Name)
		return rf
	}
	w := &remoteWalk{rrs: rrs, custom: rs.Customization, vars: req.Vars}
	reason := w.field(root, fd, f, f.Alias, 0)
	switch {
	case w.err != nil:
		rf.err = w.err
		return rf
	case len(w.missing) > 0:
		names := make([]string, 0, len(w.missing))
		for n := range w.missing {
			names = append(names, n)
		}
		sort.Strings(names)
		rf.err = &MissingSessionVariablesError{Names: names}
		return rf
	case reason != "":
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("remote schema %s, role %s: %s", rs.Name, req.Role, reason)
		return rf
	}
	rf.Decision, rf.Reason = Allow, fmt.Sprintf("role %s's schema of remote schema %s has %s with the arguments and fields selected", req.Role, rs.Name, f.Name)
	if fd.Name != f.Name {
		rf.Reason += fmt.Sprintf(" (%s.%s in the remote schema's names)", root.Name, fd.Name)
	}
	if len(w.presets) > 0 {
		rf.Reason += fmt.Sprintf("; %d argument preset(s) to inject", len(w.presets))
	}
	rf.Presets = w.presets
	return rf
}

// remoteWalk checks a selection against a role's schema, collecting the
// presets to inject.
type remoteWalk struct {
	rrs *model.RemoteRoleSchema
	// custom is the remote schema's customization: the query names
	// fields and fragments' types as Hasura shows them.
	custom  *model.RemoteCustomization
	vars    map[string]string
	visits  int
	presets []RemotePreset
	missing map[string]bool
	err     error
}

// field checks one field (its arguments and selection) of type parent;
// it returns why it is denied, or "".
func (w *remoteWalk) field(parent *ast.Definition, fd *ast.FieldDefinition, f *ast.Field, path string, depth int) string {
	if w.visits++; w.visits > maxRemoteVisits || depth > maxRemoteDepth {
		return fmt.Sprintf("the selection of %s is too large to decide (more than %d fields, or deeper than %d)", path, maxRemoteVisits, maxRemoteDepth)
	}
	if r := w.arguments(parent, fd, f, path); r != "" {
		return r
	}
	def := w.rrs.Schema.Types[fd.Type.Name()]
	if def == nil {
		return fmt.Sprintf("type %s of %s is not in the role's schema", fd.Type.Name(), path)
	}
	switch def.Kind {
	case ast.Object, ast.Interface, ast.Union:
		if len(f.SelectionSet) == 0 {
			return fmt.Sprintf("%s (of type %s) needs a selection of fields", path, w.shown(def.Name))
		}
		return w.selections(def, f.SelectionSet, path, depth+1)
	}
	if len(f.SelectionSet) > 0 {
		return fmt.Sprintf("%s is a %s: it takes no selection of fields", path, w.shown(def.Name))
	}
	return ""
}

// maxRemoteDepth bounds the nesting of selections and fragments.
const maxRemoteDepth = 64

func (w *remoteWalk) selections(parent *ast.Definition, set ast.SelectionSet, path string, depth int) string {
	if depth > maxRemoteDepth {
		return fmt.Sprintf("the selection below %s nests deeper than %d (a cycle of fragments?)", path, maxRemoteDepth)
	}
	for _, s := range set {
		var r string
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "__typename" {
				continue
			}
			var fd *ast.FieldDefinition
			if parent.Kind != ast.Union {
				fd = rootField(w.rrs, parent, s.Name)
			}
			if fd == nil {
				return fmt.Sprintf("field %s is not in type %s of the role's schema (at %s)", s.Name, w.shown(parent.Name), path)
			}
			r = w.field(parent, fd, s, path+"."+s.Alias, depth)
		case *ast.InlineFragment:
			r = w.fragment(parent, s.TypeCondition, s.SelectionSet, path, depth)
		case *ast.FragmentSpread:
			if s.Definition == nil {
				return fmt.Sprintf("fragment %s is not defined in the document", s.Name)
			}
			r = w.fragment(parent, s.Definition.TypeCondition, s.Definition.SelectionSet, path, depth)
		}
		if r != "" {
			return r
		}
	}
	return ""
}

// fragment checks a fragment on cond (the parent type when empty): cond
// must be a type of the role's schema that can overlap the parent.
func (w *remoteWalk) fragment(parent *ast.Definition, cond string, set ast.SelectionSet, path string, depth int) string {
	if w.visits++; w.visits > maxRemoteVisits {
		return fmt.Sprintf("the selection of %s is too large to decide (more than %d fields)", path, maxRemoteVisits)
	}
	def := parent
	if cond != "" {
		def = w.typeNamed(cond)
		if def == nil || (def.Kind != ast.Object && def.Kind != ast.Interface && def.Kind != ast.Union) {
			return fmt.Sprintf("type %s of a fragment is not an object, interface or union of the role's schema (at %s)", cond, path)
		}
		if !w.overlap(parent, def) {
			return fmt.Sprintf("a fragment on %s cannot apply to %s in the role's schema (at %s)", cond, w.shown(parent.Name), path)
		}
	}
	return w.selections(def, set, path, depth+1)
}

// typeNamed is the type of the role's schema that Hasura shows as name.
func (w *remoteWalk) typeNamed(name string) *ast.Definition {
	if w.rrs.Names == nil {
		return w.rrs.Schema.Types[name]
	}
	orig, ok := w.rrs.Names.Types[name]
	if !ok {
		return nil
	}
	return w.rrs.Schema.Types[orig]
}

// shown is the name Hasura shows for a type of the role's schema, with
// the schema's own when they differ.
func (w *remoteWalk) shown(name string) string {
	if w.custom == nil {
		return name
	}
	if s := w.rrs.ShownType(w.custom, name); s != name {
		return s + " (" + name + " in the remote schema)"
	}
	return name
}

func (w *remoteWalk) possible(d *ast.Definition) []*ast.Definition {
	if d.Kind == ast.Object {
		return []*ast.Definition{d}
	}
	return w.rrs.Schema.GetPossibleTypes(d)
}

func (w *remoteWalk) overlap(a, b *ast.Definition) bool {
	for _, x := range w.possible(a) {
		for _, y := range w.possible(b) {
			if x.Name == y.Name {
				return true
			}
		}
	}
	return false
}

// arguments checks the arguments given to a field and collects the
// presets of those the role may not give.
func (w *remoteWalk) arguments(parent *ast.Definition, fd *ast.FieldDefinition, f *ast.Field, path string) string {
	for _, a := range f.Arguments {
		ad := fd.Arguments.ForName(a.Name)
		if ad == nil {
			return fmt.Sprintf("%s has no argument %s in the role's schema (at %s)", fd.Name, a.Name, path)
		}
		if w.rrs.Presets[model.PresetKey(parent.Name, fd.Name, a.Name)] != nil {
			return fmt.Sprintf("argument %s of %s.%s is preset for the role, so the role's schema does not have it (at %s)", a.Name, parent.Name, fd.Name, path)
		}
		if r := w.value(ad.Type, a.Value, path, parent.Name+"."+fd.Name, a.Name); r != "" {
			return r
		}
	}
	for _, ad := range fd.Arguments {
		if f.Arguments.ForName(ad.Name) != nil {
			continue
		}
		if pv := w.rrs.Presets[model.PresetKey(parent.Name, fd.Name, ad.Name)]; pv != nil {
			w.add(path, parent.Name+"."+fd.Name, ad.Name, pv)
			continue
		}
		if ad.Type.NonNull && ad.DefaultValue == nil {
			return fmt.Sprintf("%s needs its argument %s (at %s)", fd.Name, ad.Name, path)
		}
		w.absentObject(ad.Type, path, parent.Name+"."+fd.Name, ad.Name)
	}
	return ""
}

// absentObject: an input object of preset fields only has no field the
// caller could give; Hasura injects its presets whether or not the
// argument is written.
func (w *remoteWalk) absentObject(t *ast.Type, path, field, arg string) {
	def := w.rrs.Schema.Types[t.Name()]
	if t.Elem != nil || def == nil || def.Kind != ast.InputObject || !w.allPreset(def, 0) {
		return
	}
	w.objectPresets(def, nil, path, field, arg, 0)
}

// allPreset says whether every field of an input object is preset (or an
// input object of preset fields only).
func (w *remoteWalk) allPreset(def *ast.Definition, depth int) bool {
	if depth > maxRemoteDepth || len(def.Fields) == 0 {
		return false
	}
	for _, f := range def.Fields {
		if w.rrs.Presets[model.PresetKey(def.Name, f.Name, "")] != nil {
			continue
		}
		sub := w.rrs.Schema.Types[f.Type.Name()]
		if f.Type.Elem != nil || sub == nil || sub.Kind != ast.InputObject || !w.allPreset(sub, depth+1) {
			return false
		}
	}
	return true
}

// objectPresets adds the presets of an input object's fields that given
// (the object's fields as written; nil for a variable or an absent
// object) does not hold.
func (w *remoteWalk) objectPresets(def *ast.Definition, given ast.ChildValueList, path, field, arg string, depth int) {
	if depth > maxRemoteDepth {
		return
	}
	for _, f := range def.Fields {
		if given.ForName(f.Name) != nil {
			continue
		}
		if pv := w.rrs.Presets[model.PresetKey(def.Name, f.Name, "")]; pv != nil {
			w.add(path, field, arg+"."+f.Name, pv)
			continue
		}
		if sub := w.rrs.Schema.Types[f.Type.Name()]; f.Type.Elem == nil && sub != nil && sub.Kind == ast.InputObject && w.allPreset(sub, 0) {
			w.objectPresets(sub, nil, path, field, arg+"."+f.Name, depth+1)
		}
	}
}

// value checks a value given for an input of type t: enum values and
// input object fields must be in the role's schema, and preset input
// fields may not be given. Scalars are not checked (Hasura leaves them to
// the remote server). A variable's value is not known to Warden: the
// presets of its input object are returned for the gateway to inject.
func (w *remoteWalk) value(t *ast.Type, v *ast.Value, path, field, arg string) string {
	if v == nil {
		return ""
	}
	if w.visits++; w.visits > maxRemoteVisits {
		return fmt.Sprintf("the arguments of %s are too large to decide", path)
	}
	def := w.rrs.Schema.Types[t.Name()]
	switch {
	case v.Kind == ast.Variable:
		if t.Elem == nil && def != nil && def.Kind == ast.InputObject {
			w.objectPresets(def, nil, path, field, arg, 0)
		}
		return ""
	case v.Kind == ast.NullValue:
		if t.NonNull {
			return fmt.Sprintf("argument %s of %s is null, but its type %s is not nullable (at %s)", arg, field, t, path)
		}
		return ""
	case t.Elem != nil:
		if v.Kind != ast.ListValue {
			return w.value(t.Elem, v, path, field, arg)
		}
		for _, c := range v.Children {
			if r := w.value(t.Elem, c.Value, path, field, arg); r != "" {
				return r
			}
		}
		return ""
	case def == nil:
		return fmt.Sprintf("type %s of %s is not in the role's schema", t.Name(), arg)
	}
	switch def.Kind {
	case ast.Enum:
		if v.Kind != ast.EnumValue || def.EnumValues.ForName(v.Raw) == nil {
			return fmt.Sprintf("%s is not a value of enum %s in the role's schema (argument %s of %s at %s)", v.String(), def.Name, arg, field, path)
		}
	case ast.InputObject:
		if v.Kind != ast.ObjectValue {
			return fmt.Sprintf("argument %s of %s must be an input object %s (at %s)", arg, field, def.Name, path)
		}
		for _, c := range v.Children {
			fd := def.Fields.ForName(c.Name)
			if fd == nil {
				return fmt.Sprintf("input object %s has no field %s in the role's schema (argument %s of %s at %s)", def.Name, c.Name, arg, field, path)
			}
			if w.rrs.Presets[model.PresetKey(def.Name, c.Name, "")] != nil {
				return fmt.Sprintf("field %s of input object %s is preset for the role, so the role's schema does not have it (argument %s of %s at %s)", c.Name, def.Name, arg, field, path)
			}
			if r := w.value(fd.Type, c.Value, path, field, arg+"."+c.Name); r != "" {
				return r
			}
		}
		for _, fd := range def.Fields {
			if v.Children.ForName(fd.Name) == nil && fd.Type.NonNull && fd.DefaultValue == nil &&
				w.rrs.Presets[model.PresetKey(def.Name, fd.Name, "")] == nil {
				return fmt.Sprintf("input object %s needs its field %s (argument %s of %s at %s)", def.Name, fd.Name, arg, field, path)
			}
		}
		w.objectPresets(def, v.Children, path, field, arg, 0)
	}
	return ""
}

// add resolves a preset for the session and records it.
func (w *remoteWalk) add(path, field, arg string, pv *model.PresetValue) {
	var vars []string
	v := w.resolve(pv, &vars)
	w.presets = append(w.presets, RemotePreset{Path: path, Field: field, Argument: arg, Value: v, SessionVariables: vars})
}

// resolve is the JSON value of a preset for the session, as Hasura's
// resolveRemoteVariable coerces a session variable: Int, Float and
// Boolean parsed, an enum's value checked, any other scalar a string.
func (w *remoteWalk) resolve(pv *model.PresetValue, vars *[]string) any {
	switch pv.Kind {
	case model.PresetLiteral:
		return pv.Literal
	case model.PresetList:
		out := make([]any, len(pv.Items))
		for i, it := range pv.Items {
			out[i] = w.resolve(it, vars)
		}
		return out
	case model.PresetObject:
		out := make(map[string]any, len(pv.Fields))
		for _, f := range pv.Fields {
			out[f.Name] = w.resolve(f.Value, vars)
		}
		return out
	}
	*vars = append(*vars, pv.Session)
	s, ok := w.vars[pv.Session]
	if !ok {
		if w.missing == nil {
			w.missing = map[string]bool{}
		}
		w.missing[pv.Session] = true
		return nil
	}
	v, reason := coerceSession(pv, s)
	if reason != "" && w.err == nil {
		w.err = &SessionValueError{Variable: pv.Session, Reason: reason}
	}
	return v
}

func coerceSession(pv *model.PresetValue, s string) (any, string) {
	if pv.Enum != nil {
		for _, e := range pv.Enum {
			if e == s {
				return s, ""
			}
		}
		return nil, fmt.Sprintf("%q is not a value of enum %s (a remote schema preset)", s, pv.Type)
	}
	switch pv.Type {
	case "Int":
		if strings.HasPrefix(s, "+") {
			break
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, ""
		}
	case "Float":
		if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.HasPrefix(s, "+") && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f, ""
		}
	case "Boolean":
		if s == "true" || s == "false" {
			return s == "true", ""
		}
	default:
		return s, ""
	}
	return nil, fmt.Sprintf("%q cannot be coerced into a%s %s value (a remote schema preset)", s, map[bool]string{true: "n", false: ""}[pv.Type == "Int"], pv.Type)
}
