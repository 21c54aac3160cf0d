package load

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"go.yaml.in/yaml/v3"

	"github.com/wardenpdp/warden/policy/model"
)

// Remote schemas: remote_schemas.yaml in a metadata directory, the
// export's remote_schemas. Each permission's schema is the part of the
// remote schema a role sees, as SDL with @preset directives; it is parsed
// and validated here (as a schema of its own: the upstream schema, which
// Hasura also checks it against, is not available to Warden), and its
// presets parsed as Hasura's parsePresetValue does.

const remoteSchemasFile = "remote_schemas.yaml"

// presetPrelude declares the @preset directive, as Hasura's
// documentation writes it (with its static flag).
const presetPrelude = `scalar PresetValue
directive @preset(value: PresetValue, static: Boolean) on INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION
`

// remoteDecl is a remote schema as read, before inherited roles.
type remoteDecl struct {
	schema *model.RemoteSchema
	loc    loc
}

// readRemoteSchemasFile reads remote_schemas.yaml of a metadata directory.
func (ld *loader) readRemoteSchemasFile(root string) {
	file := path.Join(root, remoteSchemasFile)
	if !ld.exists(file) {
		return
	}
	l := loc{file: file}
	if n, ok := ld.parseFile(file, false, l, nil, "file"); ok && n != nil {
		ld.readRemoteSchemas(n, l)
	}
}

// readRemoteSchemas reads the list of remote schemas.
func (ld *loader) readRemoteSchemas(n *yaml.Node, l loc) {
	items, _ := ld.list(n, l, "remote schemas")
	for i, it := range items {
		el := l.index(i)
		k, _ := ld.object(it, el, "remote schema", []string{"name", "definition", "permissions", "remote_relationships"}, []string{"comment"})
		if k == nil {
			continue
		}
		name, ok := ld.str(k["name"], el.key("name"), "remote schema name")
		if !ok {
			continue
		}
		el = l.sel("name", name)
		if ld.remoteSeen(name) {
			ld.problemf(el, it, "remote schema %s is defined twice", name)
			continue
		}
		rs := &model.RemoteSchema{Name: name, Source: el.source(), Roles: map[string]*model.RemoteRoleSchema{}}
		d := &remoteDecl{schema: rs, loc: el}
		ld.gql.remotes = append(ld.gql.remotes, d)
		bad := &model.Inconsistency{Kind: "remote schema", RemoteSchema: name, Source: el.source()}
		if !ld.consistent(bad, func() { ld.remoteDefinition(rs, k["definition"], el.key("definition")) }) {
			// Hasura drops the remote schema: no role sees any of it.
			rs.Roles = nil
			rs.Inconsistent = map[string]*model.Inconsistency{"": bad}
			continue
		}
		ld.remotePermissions(rs, k["permissions"], el.key("permissions"))
		if rs.Customization != nil && !ld.consistent(bad, func() { ld.customizeRoles(rs, el.key("definition").key("customization")) }) {
			rs.Roles = nil
			rs.Inconsistent = map[string]*model.Inconsistency{"": bad}
			continue
		}
		if rel := k["remote_relationships"]; !blankNode(rel) {
			ld.notef("%s: remote relationships of remote schema %s: their fields are in no role's schema document, so CheckGraphQL denies them", el.key("remote_relationships").source(), name)
		}
	}
}

func (ld *loader) remoteSeen(name string) bool {
	for _, d := range ld.gql.remotes {
		if d.schema.Name == name {
			return true
		}
	}
	return false
}

// remoteDefinition reads how the remote schema is reached: exactly one of
// url and url_from_env, as Hasura requires; headers, timeout and client
// header forwarding are how it is called, not who may call it.
// customization renames its root fields, types and fields (remotecust.go).
func (ld *loader) remoteDefinition(rs *model.RemoteSchema, n *yaml.Node, l loc) {
	if n == nil {
		ld.problemf(l, nil, "remote schema %s has no definition", rs.Name)
		return
	}
	k, _ := ld.object(n, l, "remote schema definition",
		[]string{"url", "url_from_env", "customization"},
		[]string{"headers", "forward_client_headers", "timeout_seconds", "comment"})
	if k == nil {
		return
	}
	_, url := k["url"]
	_, env := k["url_from_env"]
	switch {
	case url && env:
		ld.problemf(l, n, "remote schema %s has both url and url_from_env: want one", rs.Name)
	case !url && !env:
		ld.problemf(l, n, "remote schema %s has neither url nor url_from_env", rs.Name)
	case url:
		ld.str(k["url"], l.key("url"), "url")
	default:
		ld.str(k["url_from_env"], l.key("url_from_env"), "url_from_env")
	}
	if c := k["customization"]; !blankNode(c) {
		rs.Customization = ld.remoteCustomization(c, l.key("customization"))
	}
}

// remotePermissions reads [{role, definition: {schema}}]; a permission
// whose schema does not parse or validate is inconsistent and left out.
func (ld *loader) remotePermissions(rs *model.RemoteSchema, n *yaml.Node, l loc) {
	items, _ := ld.list(n, l, "remote schema permissions")
	for i, it := range items {
		el := l.index(i)
		k, _ := ld.object(it, el, "remote schema permission", []string{"role", "definition"}, []string{"comment"})
		if k == nil {
			continue
		}
		role, ok := ld.str(k["role"], el.key("role"), "role")
		if !ok {
			continue
		}
		el = l.sel("role", role)
		switch {
		case role == model.AdminRole:
			ld.problemf(el.key("role"), k["role"], "no permission may be defined for admin: admin sees the whole remote schema")
			continue
		case rs.Roles[role] != nil || rs.Inconsistent[role] != nil:
			ld.problemf(el, it, "remote schema %s has two permissions for role %s", rs.Name, role)
			continue
		}
		ld.roles[role] = true
		bad := &model.Inconsistency{Kind: "remote schema permission", RemoteSchema: rs.Name, Name: role, Source: el.source()}
		var rrs *model.RemoteRoleSchema
		if ld.consistent(bad, func() { rrs = ld.remoteRoleSchema(rs.Name, role, k["definition"], el.key("definition")) }) && rrs != nil {
			rs.Roles[role] = rrs
			continue
		}
		if rs.Inconsistent == nil {
			rs.Inconsistent = map[string]*model.Inconsistency{}
		}
		rs.Inconsistent[role] = bad
	}
}

// remoteRoleSchema reads {schema: SDL} and builds the role's schema.
func (ld *loader) remoteRoleSchema(remote, role string, n *yaml.Node, l loc) *model.RemoteRoleSchema {
	k, _ := ld.object(n, l, "remote schema permission definition", []string{"schema"}, nil)
	if k == nil {
		return nil
	}
	if k["schema"] == nil {
		ld.problemf(l, n, "the permission of role %s on remote schema %s has no schema", role, remote)
		return nil
	}
	sdl, ok := ld.str(k["schema"], l.key("schema"), "schema")
	if !ok {
		return nil
	}
	rrs, errs := BuildRemoteRoleSchema(role, sdl)
	for _, e := range errs {
		ld.problemf(l.key("schema"), k["schema"], "role %s on remote schema %s: %s", role, remote, e)
	}
	if len(errs) > 0 {
		return nil
	}
	return rrs
}

// BuildRemoteRoleSchema parses and validates a role's schema document and
// parses its presets. The @preset directive (and its PresetValue scalar)
// is declared unless the document declares it.
func BuildRemoteRoleSchema(role, sdl string) (*model.RemoteRoleSchema, []string) {
	doc, err := parser.ParseSchema(&ast.Source{Name: "schema", Input: sdl})
	if err != nil {
		return nil, []string{gqlMessage(err)}
	}
	srcs := []*ast.Source{{Name: "schema", Input: sdl}}
	if doc.Directives.ForName("preset") == nil && doc.Definitions.ForName("PresetValue") == nil {
		srcs = append([]*ast.Source{{Name: "preset", Input: presetPrelude, BuiltIn: true}}, srcs...)
	}
	schema, err := gqlparser.LoadSchema(srcs...)
	if err != nil {
		return nil, []string{gqlMessage(err)}
	}
	rrs := &model.RemoteRoleSchema{Role: role, Schema: schema, Presets: map[string]*model.PresetValue{}}
	if rrs.Root("query") == nil {
		return nil, []string{"the schema has no query root (type Query, or schema { query: ... })"}
	}
	var errs []string
	names := make([]string, 0, len(schema.Types))
	for name := range schema.Types {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		def := schema.Types[name]
		if def.BuiltIn {
			continue
		}
		for _, f := range def.Fields {
			if def.Kind == ast.InputObject {
				if v, err := fieldPreset(schema, f.Directives, f.Type, name+"."+f.Name); err != "" {
					errs = append(errs, err)
				} else if v != nil {
					rrs.Presets[model.PresetKey(name, f.Name, "")] = v
				}
				continue
			}
			for _, a := range f.Arguments {
				if v, err := fieldPreset(schema, a.Directives, a.Type, name+"."+f.Name+"("+a.Name+")"); err != "" {
					errs = append(errs, err)
				} else if v != nil {
					rrs.Presets[model.PresetKey(name, f.Name, a.Name)] = v
				}
			}
		}
	}
	return rrs, errs
}

func gqlMessage(err error) string {
	if list, ok := err.(gqlerror.List); ok && len(list) > 0 {
		err = list[0]
	}
	if g, ok := err.(*gqlerror.Error); ok {
		if len(g.Locations) > 0 {
			return fmt.Sprintf("schema line %d, column %d: %s", g.Locations[0].Line, g.Locations[0].Column, g.Message)
		}
		return g.Message
	}
	return err.Error()
}

// fieldPreset parses the @preset directive of an argument or input field,
// if any: {value, static?}, static a Boolean (Hasura's
// parsePresetDirective).
func fieldPreset(schema *ast.Schema, dirs ast.DirectiveList, typ *ast.Type, at string) (*model.PresetValue, string) {
	var d *ast.Directive
	for _, x := range dirs {
		if x.Name == "preset" {
			if d != nil {
				return nil, "found multiple preset directives at " + at
			}
			d = x
		}
	}
	if d == nil {
		return nil, ""
	}
	val := d.Arguments.ForName("value")
	if val == nil || val.Value == nil {
		return nil, fmt.Sprintf("preset argument \"value\" not found at %s", at)
	}
	static := false
	if s := d.Arguments.ForName("static"); s != nil {
		if s.Value == nil || s.Value.Kind != ast.BooleanValue {
			return nil, "expected preset static value to be a Boolean value at " + at
		}
		static = s.Value.Raw == "true"
	}
	return presetValue(schema, typ, val.Value, static, at)
}

// isSessionVariable: a string starting with x-hasura-, any case.
func isSessionVariable(s string) bool {
	return len(s) >= 9 && strings.EqualFold(s[:9], "x-hasura-")
}

// presetValue checks a preset value against its type as Hasura's
// parsePresetValue does: a scalar takes a literal or (a string starting
// with x-hasura-, unless static) a session variable; an enum one of its
// values or a session variable; an input object an object of its fields;
// a list a list, or a single value (never a session variable).
func presetValue(schema *ast.Schema, typ *ast.Type, v *ast.Value, static bool, at string) (*model.PresetValue, string) {
	if typ.Elem != nil {
		switch {
		case v.Kind == ast.ListValue:
			out := &model.PresetValue{Kind: model.PresetList}
			for _, c := range v.Children {
				item, err := presetValue(schema, typ.Elem, c.Value, static, at)
				if err != "" {
					return nil, err
				}
				out.Items = append(out.Items, item)
			}
			return out, ""
		case (v.Kind == ast.StringValue || v.Kind == ast.BlockValue) && isSessionVariable(v.Raw):
			return nil, fmt.Sprintf("illegal preset value at %s: session variables can only be set for singleton values", at)
		}
		return presetValue(schema, typ.Elem, v, static, at)
	}
	def := schema.Types[typ.NamedType]
	if def == nil || (def.Kind != ast.Scalar && def.Kind != ast.Enum && def.Kind != ast.InputObject) {
		return nil, fmt.Sprintf("expected %s to be an input type, but it's an output type (at %s)", typ.NamedType, at)
	}
	str := v.Kind == ast.StringValue || v.Kind == ast.BlockValue
	switch def.Kind {
	case ast.Scalar:
		switch {
		case v.Kind == ast.EnumValue || v.Kind == ast.ListValue || v.Kind == ast.ObjectValue:
			return nil, fmt.Sprintf("expected preset value %s of type %s to be a scalar value (at %s)", v.String(), typ.NamedType, at)
		case str && isSessionVariable(v.Raw) && !static:
			return &model.PresetValue{Kind: model.PresetSession, Session: strings.ToLower(v.Raw), Type: def.Name}, ""
		}
		lit, err := literal(v)
		if err != "" {
			return nil, err + " at " + at
		}
		return &model.PresetValue{Kind: model.PresetLiteral, Literal: lit}, ""
	case ast.Enum:
		values := make([]string, len(def.EnumValues))
		for i, e := range def.EnumValues {
			values[i] = e.Name
		}
		switch {
		case v.Kind == ast.EnumValue && def.EnumValues.ForName(v.Raw) != nil:
			return &model.PresetValue{Kind: model.PresetLiteral, Literal: v.Raw}, ""
		case v.Kind == ast.EnumValue:
			return nil, fmt.Sprintf("%s not found in the enum: %s (at %s)", v.Raw, def.Name, at)
		case str && isSessionVariable(v.Raw):
			// Hasura takes such a string as a session variable even with
			// static: true (an enum has no string literals).
			return &model.PresetValue{Kind: model.PresetSession, Session: strings.ToLower(v.Raw), Type: def.Name, Enum: values}, ""
		}
		return nil, fmt.Sprintf("expected preset value %s of type %s to be an enum value (at %s)", v.String(), def.Name, at)
	}
	if v.Kind != ast.ObjectValue {
		return nil, fmt.Sprintf("expected preset value %s of type %s to be an input object value (at %s)", v.String(), def.Name, at)
	}
	out := &model.PresetValue{Kind: model.PresetObject}
	for _, c := range v.Children {
		f := def.Fields.ForName(c.Name)
		if f == nil {
			return nil, fmt.Sprintf("%s does not exist in the input object %s (at %s)", c.Name, def.Name, at)
		}
		fv, err := presetValue(schema, f.Type, c.Value, static, at+"."+c.Name)
		if err != "" {
			return nil, err
		}
		out.Fields = append(out.Fields, model.PresetField{Name: c.Name, Value: fv})
	}
	return out, ""
}

// literal is the JSON value of a scalar literal.
func literal(v *ast.Value) (any, string) {
	switch v.Kind {
	case ast.IntValue:
		i, err := strconv.ParseInt(v.Raw, 10, 64)
		if err != nil {
			return nil, fmt.Sprintf("integer %s is out of range", v.Raw)
		}
		return i, ""
	case ast.FloatValue:
		f, err := strconv.ParseFloat(v.Raw, 64)
		if err != nil {
			return nil, fmt.Sprintf("number %s is out of range", v.Raw)
		}
		return f, ""
	case ast.BooleanValue:
		return v.Raw == "true", ""
	case ast.NullValue:
		return nil, ""
	case ast.StringValue, ast.BlockValue:
		return v.Raw, ""
	}
	return nil, "unexpected preset value " + v.String()
}

// finishRemoteSchemas gives inherited roles the permission of their
// parents: Hasura inherits a remote schema permission only when every
// parent with one has the same (the order of types, fields and arguments
// aside); otherwise the inherited role is inconsistent on that remote
// schema. A role's own permission overrides.
func (ld *loader) finishRemoteSchemas(out *model.GraphQLMetadata, inherited map[string][]string) {
	if len(ld.gql.remotes) == 0 {
		return
	}
	out.RemoteSchemas = map[string]*model.RemoteSchema{}
	roles := make([]string, 0, len(inherited))
	for r := range inherited {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, d := range ld.gql.remotes {
		rs := d.schema
		out.RemoteSchemas[rs.Name] = rs
		if rs.Roles == nil {
			continue
		}
		for _, r := range roles {
			ld.inheritRemote(rs, r, inherited, d.loc, 0)
		}
	}
}

// inheritRemote resolves role's permission on rs (parents first); it
// returns the role's schema, or nil when it has none.
func (ld *loader) inheritRemote(rs *model.RemoteSchema, role string, inherited map[string][]string, l loc, depth int) *model.RemoteRoleSchema {
	if s := rs.Roles[role]; s != nil || rs.Inconsistent[role] != nil || depth > 32 {
		return s
	}
	parents := inherited[role]
	if len(parents) == 0 {
		return nil
	}
	var (
		first  *model.RemoteRoleSchema
		canon  string
		from   []string
		differ []string
	)
	for _, p := range parents {
		s := ld.inheritRemote(rs, p, inherited, l, depth+1)
		if s == nil {
			continue
		}
		c := canonicalSchema(s.Schema)
		switch {
		case first == nil:
			first, canon = s, c
		case c != canon:
			differ = append(differ, p)
		}
		from = append(from, p)
	}
	if first == nil {
		return nil
	}
	if len(differ) > 0 {
		bad := &model.Inconsistency{Kind: "remote schema permission", RemoteSchema: rs.Name, Name: role, Source: l.source(),
			Reasons: []string{fmt.Sprintf("%s: inherited role %s cannot inherit a permission on remote schema %s: the schemas of its parents %s differ",
				l.source(), role, rs.Name, strings.Join(from, ", "))}}
		if ld.cfg.strict {
			ld.problemf(l, nil, "inherited role %s cannot inherit a permission on remote schema %s: the schemas of its parents %s differ", role, rs.Name, strings.Join(from, ", "))
			return nil
		}
		if rs.Inconsistent == nil {
			rs.Inconsistent = map[string]*model.Inconsistency{}
		}
		rs.Inconsistent[role] = bad
		ld.inconsistent = append(ld.inconsistent, bad)
		return nil
	}
	s := *first
	s.Role, s.InheritedFrom = role, from
	rs.Roles[role] = &s
	return &s
}

// canonicalSchema writes a schema with its types, fields, arguments and
// enum values sorted, for comparing two role schemas as Hasura does.
func canonicalSchema(s *ast.Schema) string {
	var b strings.Builder
	root := func(d *ast.Definition) string {
		if d == nil {
			return ""
		}
		return d.Name
	}
	fmt.Fprintf(&b, "schema %s %s %s\n", root(s.Query), root(s.Mutation), root(s.Subscription))
	names := make([]string, 0, len(s.Types))
	for n, d := range s.Types {
		if !d.BuiltIn {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		d := s.Types[n]
		ifaces := append([]string(nil), d.Interfaces...)
		sort.Strings(ifaces)
		types := append([]string(nil), d.Types...)
		sort.Strings(types)
		fmt.Fprintf(&b, "%s %s %v %v %s{", d.Kind, n, ifaces, types, directives(d.Directives))
		var fields []string
		for _, f := range d.Fields {
			var args []string
			for _, a := range f.Arguments {
				args = append(args, inputValue(a.Name, a.Type, a.DefaultValue, a.Directives))
			}
			sort.Strings(args)
			if d.Kind == ast.InputObject {
				fields = append(fields, inputValue(f.Name, f.Type, f.DefaultValue, f.Directives))
			} else {
				fields = append(fields, fmt.Sprintf("%s(%s):%s%s", f.Name, strings.Join(args, ","), f.Type.String(), directives(f.Directives)))
			}
		}
		for _, e := range d.EnumValues {
			fields = append(fields, e.Name+directives(e.Directives))
		}
		sort.Strings(fields)
		b.WriteString(strings.Join(fields, ";"))
		b.WriteString("}\n")
	}
	return b.String()
}

func inputValue(name string, t *ast.Type, def *ast.Value, dirs ast.DirectiveList) string {
	s := name + ":" + t.String()
	if def != nil {
		s += "=" + def.String()
	}
	return s + directives(dirs)
}

func directives(dirs ast.DirectiveList) string {
	var b strings.Builder
	for _, d := range dirs {
		b.WriteString("@" + d.Name + "(")
		args := make([]string, len(d.Arguments))
		for i, a := range d.Arguments {
			args[i] = a.Name + ":" + a.Value.String()
		}
		sort.Strings(args)
		b.WriteString(strings.Join(args, ",") + ")")
	}
	return b.String()
}
