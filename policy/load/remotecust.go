package load

import (
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wardenpdp/warden/policy/model"
)

// A remote schema's definition.customization, read as Hasura's
// RemoteSchemaCustomization: {root_fields_namespace, type_names: {prefix,
// suffix, mapping}, field_names: [{parent_type, prefix, suffix,
// mapping}]}, every name a GraphQL name (Hasura's graphQLFieldNameCodec),
// and no field mapping for a name starting with __
// (validateRemoteSchemaCustomization). Each role's schema is then renamed
// as Hasura's getCustomizer renames the upstream schema, and checked as
// its validateSchemaCustomizations checks it; a problem makes the whole
// remote schema inconsistent, as Hasura drops it.

var graphQLNameRE = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)

// remoteCustomization reads definition.customization.
func (ld *loader) remoteCustomization(n *yaml.Node, l loc) *model.RemoteCustomization {
	k, _ := ld.object(n, l, "remote schema customization", []string{"root_fields_namespace", "type_names", "field_names"}, nil)
	if k == nil {
		return nil
	}
	c := &model.RemoteCustomization{}
	if v := k["root_fields_namespace"]; v != nil {
		c.Namespace = ld.gqlName(v, l.key("root_fields_namespace"), "root_fields_namespace")
	}
	if v := k["type_names"]; v != nil {
		tl := l.key("type_names")
		if t, _ := ld.object(v, tl, "type_names", []string{"prefix", "suffix", "mapping"}, nil); t != nil {
			c.TypePrefix = ld.optName(t["prefix"], tl.key("prefix"), "type_names prefix")
			c.TypeSuffix = ld.optName(t["suffix"], tl.key("suffix"), "type_names suffix")
			c.TypeMapping = ld.nameMapping(t["mapping"], tl.key("mapping"), "type_names mapping")
		}
	}
	items, _ := ld.list(k["field_names"], l.key("field_names"), "field_names")
	for i, it := range items {
		el := l.key("field_names").index(i)
		f, _ := ld.object(it, el, "field_names entry", []string{"parent_type", "prefix", "suffix", "mapping"}, nil)
		if f == nil {
			continue
		}
		if f["parent_type"] == nil {
			ld.problemf(el, it, "a field_names entry needs its parent_type")
			continue
		}
		parent := ld.gqlName(f["parent_type"], el.key("parent_type"), "parent_type")
		fc := model.RemoteFieldCustomization{
			Prefix:  ld.optName(f["prefix"], el.key("prefix"), "field_names prefix"),
			Suffix:  ld.optName(f["suffix"], el.key("suffix"), "field_names suffix"),
			Mapping: ld.nameMapping(f["mapping"], el.key("mapping"), "field_names mapping"),
		}
		for from := range fc.Mapping {
			if strings.HasPrefix(from, "__") {
				ld.problemf(el.key("mapping"), f["mapping"], "attempt to customize reserved field name %s", from)
			}
		}
		if c.Fields == nil {
			c.Fields = map[string]model.RemoteFieldCustomization{}
		}
		// Hasura keys the entries by parent type: the last one wins.
		c.Fields[parent] = fc
	}
	return c
}

// gqlName reads a string that must be a GraphQL name.
func (ld *loader) gqlName(n *yaml.Node, l loc, what string) string {
	s, ok := ld.str(n, l, what)
	if ok && !graphQLNameRE.MatchString(s) {
		ld.problemf(l, n, "%s %q is not a GraphQL name", what, s)
	}
	return s
}

func (ld *loader) optName(n *yaml.Node, l loc, what string) string {
	if n == nil {
		return ""
	}
	return ld.gqlName(n, l, what)
}

// nameMapping reads {name: name}; absent is empty, as Hasura reads it.
func (ld *loader) nameMapping(n *yaml.Node, l loc, what string) map[string]string {
	if n == nil {
		return nil
	}
	fields, _ := ld.fields(n, l, what)
	out := make(map[string]string, len(fields))
	for _, f := range fields {
		if !graphQLNameRE.MatchString(f.key) {
			ld.problemf(l.key(f.key), f.keyNode, "%s: %q is not a GraphQL name", what, f.key)
		}
		out[f.key] = ld.gqlName(f.val, l.key(f.key), what+" value")
	}
	return out
}

// customizeRoles renames each role's schema of a customized remote
// schema, reporting the conflicts Hasura would.
func (ld *loader) customizeRoles(rs *model.RemoteSchema, l loc) {
	roles := make([]string, 0, len(rs.Roles))
	for r := range rs.Roles {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	seen := map[string]bool{}
	for _, r := range roles {
		names, errs := model.BuildRemoteNames(rs.Customization, rs.Roles[r])
		for _, e := range errs {
			if !seen[e] {
				seen[e] = true
				ld.problemf(l, nil, "remote schema customization inconsistency: %s (in role %s's schema of remote schema %s)", e, r, rs.Name)
			}
		}
		rs.Roles[r].Names = names
	}
}
