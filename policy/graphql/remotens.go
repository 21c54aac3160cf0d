package graphql

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/wardenpdp/warden/policy/model"
)

// A remote schema with customization.root_fields_namespace has one root
// field on each root, the namespace, whose selection holds the remote
// schema's root fields (Hasura's customizeFieldParsers and
// addCustomNamespace): each is decided as a remote schema root field
// would be, with RootField.Namespace the namespace's response key. The
// namespace is on the role's query root when the role has a permission on
// the remote schema, and on its mutation (subscription) root when the
// role's schema has one; it takes no arguments and needs a selection.

// remoteNamespaces lists the remote schemas (sorted) whose namespace is
// name.
func remoteNamespaces(meta *model.GraphQLMetadata, name string) []*model.RemoteSchema {
	var out []*model.RemoteSchema
	for _, rs := range meta.RemoteSchemas {
		if rs.Customization != nil && rs.Customization.Namespace == name {
			out = append(out, rs)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// namespaceConflict names what else has a root field name on op's root
// ("" when nothing does).
func namespaceConflict(meta *model.GraphQLMetadata, op ast.Operation, name string, remotes []*model.RemoteSchema) string {
	if len(remotes) > 1 {
		names := make([]string, len(remotes))
		for i, r := range remotes {
			names[i] = r.Name
		}
		return "the namespace of the remote schemas " + strings.Join(names, ", ")
	}
	var what []string
	if meta.Namespaces[name] != nil || meta.FunctionNamespaces[name] != nil {
		what = append(what, "a source's root field namespace")
	}
	switch kind, _ := classify(meta, op, name); kind {
	case FunctionField:
		what = append(what, "a tracked function's root field")
	case ActionField:
		what = append(what, "an action")
	case TableRootFieldKind:
		what = append(what, "a table root field")
	}
	if meta.NativeQueries[name] != nil {
		what = append(what, "a native query")
	}
	if len(remoteOwners(meta, op, name)) > 0 {
		what = append(what, "a remote schema's root field")
	}
	if len(what) == 0 {
		return ""
	}
	return fmt.Sprintf("the namespace of remote schema %s and %s", remotes[0].Name, strings.Join(what, " and "))
}

// decideRemoteNamespace decides the fields under a remote schema's
// namespace field f.
func decideRemoteNamespace(w *walk, p *model.Policy, req Request, op ast.Operation, f *ast.Field, remotes []*model.RemoteSchema) ([]RootField, error) {
	rs := remotes[0]
	one := func(d Decision, why string) []RootField {
		return []RootField{{ResponseKey: f.Alias, Name: f.Name, Kind: RemoteSchemaField, RemoteSchema: rs.Name, Decision: d, Reason: why}}
	}
	if c := namespaceConflict(&p.GraphQL, op, f.Name, remotes); c != "" {
		return one(Undecided, fmt.Sprintf("%s is %s: Hasura reports the conflict and keeps only one of them", f.Name, c)), nil
	}
	switch {
	case len(f.Arguments) > 0:
		return one(Deny, fmt.Sprintf("%s is the namespace of remote schema %s: it takes no arguments", f.Name, rs.Name)), nil
	case len(f.SelectionSet) == 0:
		return one(Deny, fmt.Sprintf("%s is the namespace of remote schema %s: it needs a selection of fields", f.Name, rs.Name)), nil
	}
	kids, err := w.rootFields(f.SelectionSet)
	if err != nil {
		return nil, err
	}
	out := make([]RootField, 0, len(kids))
	for _, k := range kids {
		rf := decideRemoteField(rs, req, op, k, f.Name)
		if rf.err != nil {
			return nil, rf.err
		}
		rf.Namespace = f.Alias
		out = append(out, rf)
	}
	return out, nil
}
