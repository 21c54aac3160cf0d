package graphql

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/wardenpdp/warden/policy/model"
)

// Decision is the answer for a root field or an operation.
type Decision int

// The decisions. Undecided is never an allow.
const (
	Allow Decision = iota + 1
	Deny
	Undecided
)

// FieldKind says what a root field is.
type FieldKind int

// The kinds Warden knows; Unknown is a table field, or a name the
// metadata does not define.
const (
	Unknown FieldKind = iota
	ActionField
	IntrospectionField
	FunctionField
	// TableRootFieldKind is a root field of a tracked table (select,
	// by_pk, aggregate, stream, insert, update, delete).
	TableRootFieldKind
	RemoteSchemaField
	NativeQueryField
)

// Request is one GraphQL request and the session it runs in.
type Request struct {
	// Role is the session's role; Vars its variables, names lower-cased.
	Role string
	Vars map[string]string
	// Query is the document; OperationName picks the operation.
	Query         string
	OperationName string
	// EnforceAllowList counts the allow list in Result.Decision.
	EnforceAllowList bool
	// Variables are the request's variables, as JSON decodes them
	// (objects, lists, strings, numbers, booleans, nil): they decide
	// @skip and @include, and give the rows and columns of mutation
	// arguments written as variables.
	Variables map[string]any
	// BackendOnly: the session may use backend_only permissions.
	BackendOnly bool
	// Relay: the operation is sent to Hasura's Relay API (/v1beta1/relay),
	// whose schema differs (relay.go).
	Relay bool
}

// Result is the decision on one operation.
type Result struct {
	Decision      Decision
	OperationType string // query, mutation or subscription
	OperationName string
	RootFields    []RootField
	AllowList     AllowListResult
}

// RootField is the decision on one root field.
type RootField struct {
	ResponseKey string
	Name        string
	Kind        FieldKind
	Decision    Decision
	Reason      string
	// SessionVariables is what an allowed action's handler receives.
	SessionVariables map[string]string
	// Namespace is the root field the field is nested under (a source's
	// root field namespace), its response key; "" at the root.
	Namespace string
	// Table is set for a table root field: what it reads and writes.
	Table *TableField
	// RemoteSchema names the remote schema of a RemoteSchemaField, and
	// Presets the argument presets to inject into an allowed one.
	RemoteSchema string
	Presets      []RemotePreset
	// err is a session variable a remote schema preset needs and the
	// session lacks: Decide fails with it.
	err error
}

// AllowListResult says whether the document is in the allow list.
type AllowListResult struct {
	Allowed    bool
	Collection string
	QueryName  string
	Reason     string
}

// ErrOperation is a request whose operation cannot be chosen.
var ErrOperation = errors.New("graphql: no such operation")

// OperationError says why no operation was chosen. Field is the request
// field at fault: "operation_name" or "query".
type OperationError struct{ Field, Message string }

func (e *OperationError) Error() string { return e.Message }
func (e *OperationError) Unwrap() error { return ErrOperation }

// maxFragmentDepth bounds fragment expansion in one selection set (a
// cycle of spreads is invalid GraphQL; it must not loop), and
// MaxRootFields the root fields an operation may expand to: fragments
// spread twice at each level would otherwise double the answer per level
// (MaxFields bounds the fields of every level together).
const (
	maxFragmentDepth = 16
	MaxRootFields    = 1000
)

// Decide decides a request against a policy: its GraphQL metadata, and
// the permissions of the tables its root fields and tracked functions
// reach, and the role's schemas of remote schemas. Errors are *ParseError
// and *OperationError (a variable that decides and is missing is the
// request's fault), and for a remote schema preset the session cannot
// give *MissingSessionVariablesError or *SessionValueError; a deny is a
// result.
func Decide(p *model.Policy, req Request) (*Result, error) {
	meta := &p.GraphQL
	doc, err := Parse(req.Query)
	if err != nil {
		return nil, err
	}
	op, err := chooseOperation(doc, req.OperationName)
	if err != nil {
		return nil, err
	}
	res := &Result{OperationType: string(op.Operation), OperationName: op.Name}
	w := &walk{doc: doc, op: op, vars: req.Variables, budget: MaxFields, relay: req.Relay}
	fields, err := w.rootFields(op.SelectionSet)
	if err != nil {
		return nil, err
	}
	linkFragments(doc)
	for _, f := range fields {
		if req.Relay {
			if rfs, ok := decideRelay(w, p, req, op.Operation, f); ok {
				res.RootFields = append(res.RootFields, rfs...)
				continue
			}
		}
		if remotes := remoteNamespaces(meta, f.Name); len(remotes) > 0 {
			rfs, err := decideRemoteNamespace(w, p, req, op.Operation, f, remotes)
			if err != nil {
				return nil, err
			}
			res.RootFields = append(res.RootFields, rfs...)
			continue
		}
		ns, fns := meta.Namespaces[f.Name], meta.FunctionNamespaces[f.Name]
		if ns == nil && fns == nil || meta.Actions[f.Name] != nil || meta.Functions[f.Name] != nil {
			rf := decideField(w, p, req, op.Operation, f)
			if rf.err != nil {
				return nil, rf.err
			}
			res.RootFields = append(res.RootFields, rf)
			continue
		}
		kids, err := w.rootFields(f.SelectionSet)
		if err != nil {
			return nil, err
		}
		for _, k := range kids {
			rf := decideNamespaced(w, p, req, op.Operation, k, ns, fns)
			rf.Namespace = f.Alias
			res.RootFields = append(res.RootFields, rf)
		}
	}
	if w.err != nil {
		return nil, w.err
	}
	res.AllowList = allowList(meta, req.Role, normalizeDoc(doc))
	res.Decision = overall(res, req.EnforceAllowList)
	return res, nil
}

// chooseOperation picks the operation as a GraphQL server does: by name,
// or the only one.
func chooseOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, error) {
	switch {
	case len(doc.Operations) == 0:
		return nil, &OperationError{"query", "the document holds no operation"}
	case name != "":
		if op := doc.Operations.ForName(name); op != nil {
			return op, nil
		}
		return nil, &OperationError{"operation_name", fmt.Sprintf("the document holds no operation named %q", name)}
	case len(doc.Operations) > 1:
		return nil, &OperationError{"operation_name", fmt.Sprintf("the document holds %d operations: name the one to decide", len(doc.Operations))}
	}
	return doc.Operations[0], nil
}

// rootFields lists the fields of a root selection set (or of a
// namespace's), fragments expanded and @skip/@include applied.
func (w *walk) rootFields(set ast.SelectionSet) ([]*ast.Field, error) {
	var out []*ast.Field
	if err := w.collect(set, 0, &out); err != nil {
		return nil, err
	}
	if len(out) > MaxRootFields {
		return nil, &OperationError{"query", fmt.Sprintf("the operation has more than %d root fields (fragments expanded)", MaxRootFields)}
	}
	return out, nil
}

// classify says what a root field is on the operation's root: the kinds
// are tried in turn, each in its own case of decideField.
func classify(meta *model.GraphQLMetadata, opType ast.Operation, name string) (FieldKind, model.TableRootField) {
	switch {
	case name == "__typename" || name == "__schema" || name == "__type":
		return IntrospectionField, model.TableRootField{}
	case meta.Functions[name] != nil && functionOn(meta.Functions[name], opType):
		return FunctionField, model.TableRootField{}
	case meta.Actions[name] != nil && actionOn(meta.Actions[name], opType):
		return ActionField, model.TableRootField{}
	}
	if tf, ok := meta.TableFields[name]; ok && tableRootOn(tf.Kind, opType) {
		return TableRootFieldKind, tf
	}
	return Unknown, model.TableRootField{}
}

// tableRootOn says whether a table root field of a kind is on the
// operation's root: selects on query and subscription, streams on
// subscription, mutations on mutation.
func tableRootOn(kind string, op ast.Operation) bool {
	if (model.TableRootField{Kind: kind}).Op() == model.OpSelect {
		if kind == model.RootSelectStream {
			return op == ast.Subscription
		}
		return op == ast.Query || op == ast.Subscription
	}
	return op == ast.Mutation
}

// decideNamespaced decides a field under a source's namespace: only that
// source's table root fields and tracked functions' (and __typename) are
// there (Hasura's buildSource puts every root field of the source under
// it: customizeFields).
func decideNamespaced(w *walk, p *model.Policy, req Request, opType ast.Operation, f *ast.Field, ns map[string]model.TableRootField, fns map[string]*model.TrackedFunction) RootField {
	if f.Name == "__typename" {
		return RootField{ResponseKey: f.Alias, Name: f.Name, Kind: IntrospectionField, Decision: Allow, Reason: "__typename is in every role's schema"}
	}
	if fn := fns[f.Name]; fn != nil && functionOn(fn, opType) {
		return decideFunctionField(w, p, req, f, fn)
	}
	if tf, ok := ns[f.Name]; ok && tableRootOn(tf.Kind, opType) {
		return decideTable(w, p, req, opType, f, tf)
	}
	return RootField{ResponseKey: f.Alias, Name: f.Name, Decision: Undecided,
		Reason: fmt.Sprintf("%s is neither a table root field nor a tracked function of the namespace on the %s root", f.Name, opType)}
}

// decideFunctionField decides a tracked function's root field (or its
// aggregate's) and its selection set. Under graphql-default, load names
// the function's root fields by the convention, and functionSelections
// reads its selection by the returned table's names.
func decideFunctionField(w *walk, p *model.Policy, req Request, f *ast.Field, fn *model.TrackedFunction) RootField {
	r := decideFunction(p, req.Role, fn, f.Name)
	r.ResponseKey = f.Alias
	return functionSelections(w, p, req, f, fn, r)
}

// decideField decides one root field: one case per kind of field.
func decideField(w *walk, p *model.Policy, req Request, opType ast.Operation, f *ast.Field) RootField {
	meta := &p.GraphQL
	rf := RootField{ResponseKey: f.Alias, Name: f.Name}
	kind, tf := classify(meta, opType, f.Name)
	switch kind {
	case IntrospectionField:
		return decideIntrospection(meta, req.Role, f)
	case FunctionField:
		return decideFunctionField(w, p, req, f, meta.Functions[f.Name])
	case TableRootFieldKind:
		return decideTable(w, p, req, opType, f, tf)
	}
	// Remote schema fields and native queries come before actions, as
	// they did before table root fields were decided.
	if r, ok := decideRemote(p, req, opType, f); ok {
		return r
	}
	if r, ok := decideNative(w, p, req, opType, f); ok {
		return r
	}
	if kind == ActionField {
		return decideAction(w, meta.Actions[f.Name], req, f)
	}
	rf.Decision = Undecided
	rf.Reason = fmt.Sprintf("%s is neither an action, a tracked function, a table root field, a native query nor a remote schema field on the %s root", f.Name, opType)
	return rf
}

// decideIntrospection decides __typename, __schema and __type.
func decideIntrospection(meta *model.GraphQLMetadata, role string, f *ast.Field) RootField {
	rf := RootField{ResponseKey: f.Alias, Name: f.Name, Kind: IntrospectionField}
	switch {
	case f.Name == "__typename":
		rf.Decision, rf.Reason = Allow, "__typename is in every role's schema"
	case role == model.AdminRole:
		rf.Decision, rf.Reason = Allow, "admin may introspect"
	case meta.IntrospectionDisabled[role]:
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("introspection is disabled for role %s (graphql_schema_introspection disabled_for_roles)", role)
	default:
		rf.Decision, rf.Reason = Allow, fmt.Sprintf("introspection is enabled for role %s", role)
	}
	return rf
}

// decideAction decides an action's root field.
func decideAction(w *walk, a *model.Action, req Request, f *ast.Field) RootField {
	rf := RootField{ResponseKey: f.Alias, Name: f.Name, Kind: ActionField}
	switch {
	case req.Role == model.AdminRole:
		rf.Decision, rf.Reason = Allow, "admin may execute every action"
	case a.Roles[req.Role]:
		rf.Decision, rf.Reason = Allow, fmt.Sprintf("action %s has a permission for role %s", a.Name, req.Role)
	case a.InheritedRoles[req.Role]:
		rf.Decision, rf.Reason = Allow, fmt.Sprintf("action %s has a permission for a parent of inherited role %s", a.Name, req.Role)
	default:
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("action %s has no permission for role %s", a.Name, req.Role)
	}
	if rf.Decision == Allow && len(a.OutputRelationships) > 0 {
		// A relationship of the output type to a table is a read of that
		// table under the role's select permission (Hasura's action
		// relationships), which is not decided here: never allowed unread.
		name, err := actionRelationship(w, a, f.SelectionSet, 0)
		switch {
		case err != nil:
			w.fail(err)
		case name != "":
			rf.Decision = Undecided
			rf.Reason = fmt.Sprintf("%s selects %s, a relationship of the action's output type %s (custom_types) to a table, which CheckGraphQL does not decide", f.Name, name, a.OutputType)
		}
	}
	if rf.Decision == Allow {
		rf.SessionVariables = HandlerSession(req.Role, req.Vars)
	}
	return rf
}

// actionRelationship returns the first field selected, at any depth, that
// is named as a relationship of the action's output type ("" when none):
// a scalar of another type so named makes the answer cautious, not wrong.
func actionRelationship(w *walk, a *model.Action, set ast.SelectionSet, depth int) (string, error) {
	if depth > maxSelectionDepth {
		return "", &OperationError{"query", fmt.Sprintf("the selection of action %s nests deeper than %d", a.Name, maxSelectionDepth)}
	}
	var fields []*ast.Field
	if err := w.collect(set, 0, &fields); err != nil {
		return "", err
	}
	for _, f := range fields {
		if slices.Contains(a.OutputRelationships, f.Name) {
			return f.Name, nil
		}
		if name, err := actionRelationship(w, a, f.SelectionSet, depth+1); name != "" || err != nil {
			return name, err
		}
	}
	return "", nil
}

// actionOn says whether an action has a field on the operation's root: a
// mutation action on mutation, a query action on query; an asynchronous
// action's result is read through a query or subscription field of its
// name.
func actionOn(a *model.Action, op ast.Operation) bool {
	switch op {
	case ast.Mutation:
		return a.Type == model.ActionMutation
	case ast.Query:
		return a.Type == model.ActionQuery || a.Async
	case ast.Subscription:
		return a.Async
	}
	return false
}

// HandlerSession is the session_variables of the payload Hasura posts to
// an action handler: every session variable of the request, names
// lower-cased, with x-hasura-role the role in effect.
func HandlerSession(role string, vars map[string]string) map[string]string {
	out := make(map[string]string, len(vars)+1)
	for k, v := range vars {
		out[strings.ToLower(k)] = v
	}
	maps.DeleteFunc(out, func(k, _ string) bool { return !strings.HasPrefix(k, "x-hasura-") })
	out["x-hasura-role"] = role
	return out
}

// allowList looks the normalised document up in the collections the role
// may use: the global ones and those scoped to the role. Admin is never
// held to the allow list.
func allowList(meta *model.GraphQLMetadata, role, normalized string) AllowListResult {
	if role == model.AdminRole {
		return AllowListResult{Allowed: true, Reason: "the allow list does not apply to admin"}
	}
	for _, e := range meta.AllowList {
		if !e.Global && !containsRole(e.Roles, role) {
			continue
		}
		c := meta.Collections[e.Collection]
		if c == nil {
			continue
		}
		for _, q := range c.Queries {
			if q.Normalized == normalized {
				scope := "globally"
				if !e.Global {
					scope = "for role " + role
				}
				return AllowListResult{Allowed: true, Collection: c.Name, QueryName: q.Name,
					Reason: fmt.Sprintf("query %s of collection %s, allow-listed %s", q.Name, c.Name, scope)}
			}
		}
	}
	if len(meta.AllowList) == 0 {
		return AllowListResult{Reason: "the allow list is empty"}
	}
	return AllowListResult{Reason: fmt.Sprintf("the operation is in no allow-listed collection for role %s", role)}
}

func containsRole(roles []string, role string) bool {
	for _, r := range roles {
		if r == role {
			return true
		}
	}
	return false
}

// overall: the allow list first (Hasura refuses a query that is not in it
// before it looks at fields), then any denied field, then any undecided.
func overall(res *Result, enforce bool) Decision {
	if enforce && !res.AllowList.Allowed {
		return Deny
	}
	d := Allow
	for _, f := range res.RootFields {
		switch f.Decision {
		case Deny:
			return Deny
		case Undecided:
			d = Undecided
		}
	}
	return d
}

// functionOn says whether a function's fields are on the operation's
// root: a mutation function on mutation, a query function on query and
// subscription.
func functionOn(fn *model.TrackedFunction, op ast.Operation) bool {
	if fn.Mutation {
		return op == ast.Mutation
	}
	return op == ast.Query || op == ast.Subscription
}

// decideFunction decides a tracked function's root field (or its
// aggregate) as Hasura builds the role's schema: the function is there
// when the role may select from the table it returns (and, for a mutation
// function, has a function permission); its aggregate field only when the
// select permission allows aggregations.
func decideFunction(p *model.Policy, role string, fn *model.TrackedFunction, field string) RootField {
	rf := RootField{Name: field, Kind: FunctionField}
	var sel *model.Permission
	if t := p.Tables[fn.Returns]; t != nil {
		sel = t.Permissions[model.OpSelect][role]
	}
	aggregate := field == fn.AggregateField && field != fn.RootField
	switch {
	case role == model.AdminRole:
		rf.Decision, rf.Reason = Allow, "admin may call every function"
	case sel == nil:
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("function %s returns rows of %s, on which role %s has no select permission", fn.Name, fn.Returns, role)
	case !fn.Allows(role, sel):
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("function %s is exposed as a mutation and has no permission for role %s", fn.Name, role)
	case aggregate && !sel.AllowAggregations:
		rf.Decision, rf.Reason = Deny, fmt.Sprintf("%s: the select permission of role %s on %s does not allow aggregations", field, role, fn.Returns)
	default:
		rf.Decision, rf.Reason = Allow, fmt.Sprintf("function %s: its rows are those of %s under role %s's select permission (Filter on %s gives the row filter)", fn.Name, fn.Returns, role, fn.Returns)
	}
	return rf
}
