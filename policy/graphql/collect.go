package graphql

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// MaxFields bounds the fields of one operation at every level together
// (fragments expanded), so that fragments spread twice per level cannot
// make a small document cost without end.
const MaxFields = 10000

// walk is the state of deciding one operation: the document, its
// variables, and the budget of fields left.
type walk struct {
	doc    *ast.QueryDocument
	op     *ast.OperationDefinition
	vars   map[string]any
	budget int
	// relay: the operation is sent to Hasura's Relay API (relay.go).
	relay bool
	// err is the first request error met while deciding a field.
	err error
}

// fail records a request error met while deciding a field; Decide
// returns the first.
func (w *walk) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// collect lists the fields of a selection set as Hasura's parser sees
// them: fragments (named and inline) expanded, and fields, inline
// fragments and spreads that @skip or @include leave out dropped — Hasura
// applies those directives before it looks the fields up in the role's
// schema. Inline fragments are expanded whatever their type condition: a
// field written is decided rather than assumed away.
func (w *walk) collect(set ast.SelectionSet, depth int, out *[]*ast.Field) error {
	if depth > maxFragmentDepth {
		return &OperationError{"query", fmt.Sprintf("fragments nest deeper than %d (a cycle?)", maxFragmentDepth)}
	}
	for _, s := range set {
		var dirs ast.DirectiveList
		switch s := s.(type) {
		case *ast.Field:
			dirs = s.Directives
		case *ast.InlineFragment:
			dirs = s.Directives
		case *ast.FragmentSpread:
			dirs = s.Directives
		}
		in, err := w.included(dirs)
		if err != nil {
			return err
		}
		if !in {
			continue
		}
		switch s := s.(type) {
		case *ast.Field:
			if w.budget <= 0 {
				return &OperationError{"query", fmt.Sprintf("the operation has more than %d fields (fragments expanded)", MaxFields)}
			}
			w.budget--
			*out = append(*out, s)
		case *ast.InlineFragment:
			if err := w.collect(s.SelectionSet, depth+1, out); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			f := w.doc.Fragments.ForName(s.Name)
			if f == nil {
				return &OperationError{"query", fmt.Sprintf("fragment %s is not defined in the document", s.Name)}
			}
			if err := w.collect(f.SelectionSet, depth+1, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// included evaluates @skip(if:) and @include(if:), with the request's
// variables (or the operation's defaults).
func (w *walk) included(dirs ast.DirectiveList) (bool, error) {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		a := d.Arguments.ForName("if")
		if a == nil {
			return false, &OperationError{"query", fmt.Sprintf("@%s needs its if argument", d.Name)}
		}
		v, err := w.value(a.Value)
		if err != nil {
			return false, err
		}
		b, ok := v.(bool)
		if !ok {
			return false, &OperationError{"variables", fmt.Sprintf("@%s(if:) must be a Boolean, got %s", d.Name, describeJSON(v))}
		}
		if d.Name == "skip" && b || d.Name == "include" && !b {
			return false, nil
		}
	}
	return true, nil
}

// value resolves a GraphQL value to its JSON form: literals as written,
// variables from the request (else the operation's default). A variable
// the operation does not declare, or one that is neither given nor
// defaulted where its value decides, is an error.
func (w *walk) value(v *ast.Value) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch v.Kind {
	case ast.Variable:
		def := w.op.VariableDefinitions.ForName(v.Raw)
		if def == nil {
			return nil, &OperationError{"query", fmt.Sprintf("variable $%s is not declared by the operation", v.Raw)}
		}
		if x, ok := w.vars[v.Raw]; ok {
			return x, nil
		}
		if def.DefaultValue != nil {
			return w.value(def.DefaultValue)
		}
		if def.Type != nil && def.Type.NonNull {
			return nil, &OperationError{"variables", fmt.Sprintf("variable $%s of type %s is required and not given", v.Raw, def.Type)}
		}
		return nil, nil
	case ast.BooleanValue:
		return v.Raw == "true", nil
	case ast.NullValue:
		return nil, nil
	case ast.ListValue:
		out := make([]any, 0, len(v.Children))
		for _, c := range v.Children {
			x, err := w.value(c.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		return out, nil
	case ast.ObjectValue:
		out := make(map[string]any, len(v.Children))
		for _, c := range v.Children {
			x, err := w.value(c.Value)
			if err != nil {
				return nil, err
			}
			out[c.Name] = x
		}
		return out, nil
	}
	// Int, Float, String, Block, Enum: the text is enough to decide on.
	return v.Raw, nil
}

func describeJSON(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case bool:
		return "a Boolean"
	}
	return "a number"
}
