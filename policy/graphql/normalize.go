package graphql

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// MaxQueryTokens bounds the tokens of one parsed document, so a request
// cannot make the parser work without end.
const MaxQueryTokens = 20000

// ParseError is a document that does not parse.
type ParseError struct {
	Message string
	Line    int
	Column  int
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("GraphQL syntax error at line %d, column %d: %s", e.Line, e.Column, e.Message)
	}
	return "GraphQL syntax error: " + e.Message
}

// Parse parses a GraphQL executable document.
func Parse(query string) (*ast.QueryDocument, error) {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, MaxQueryTokens)
	if err != nil {
		pe := &ParseError{Message: err.Error()}
		var g *gqlerror.Error
		if errors.As(err, &g) {
			pe.Message = g.Message
			if len(g.Locations) > 0 {
				pe.Line, pe.Column = g.Locations[0].Line, g.Locations[0].Column
			}
		}
		return nil, pe
	}
	return doc, nil
}

// Normalize returns the canonical text of a document, equal for two
// documents exactly when Hasura's allow list takes them for the same query.
// Hasura parses the query, strips __typename fields (its stripTypenames)
// and compares the syntax trees: whitespace, commas, comments and string
// escapes do not count, nor the order of arguments and of an input
// object's fields (maps in its syntax tree); the order of definitions,
// selections, variables and directives does, as do operation names,
// aliases and the query shorthand ("{ a }" is not "query { a }").
func Normalize(query string) (string, error) {
	doc, err := Parse(query)
	if err != nil {
		return "", err
	}
	return normalizeDoc(doc), nil
}

// definition is an operation or a fragment, placed where it is written:
// gqlparser keeps the two in separate lists, Hasura in one.
type definition struct {
	start int
	op    *ast.OperationDefinition
	frag  *ast.FragmentDefinition
}

func normalizeDoc(doc *ast.QueryDocument) string {
	defs := make([]definition, 0, len(doc.Operations)+len(doc.Fragments))
	for _, op := range doc.Operations {
		defs = append(defs, definition{start: op.Position.Start, op: op})
	}
	for _, f := range doc.Fragments {
		defs = append(defs, definition{start: f.Position.Start, frag: f})
	}
	sort.SliceStable(defs, func(i, j int) bool { return defs[i].start < defs[j].start })
	var b strings.Builder
	for _, d := range defs {
		if d.op != nil {
			if shorthand(d.op) {
				// "{ a }" and "query { a }" are different syntax trees
				// for Hasura; gqlparser reads both as a query.
				b.WriteString("{}")
			}
			b.WriteString(string(d.op.Operation))
			b.WriteString(" " + d.op.Name + "(")
			for _, v := range d.op.VariableDefinitions {
				b.WriteString("$" + v.Variable + ":" + v.Type.String())
				if v.DefaultValue != nil {
					b.WriteString("=")
					writeValue(&b, v.DefaultValue)
				}
				writeDirectives(&b, v.Directives)
				b.WriteString(",")
			}
			b.WriteString(")")
			writeDirectives(&b, d.op.Directives)
			writeSelections(&b, d.op.SelectionSet)
		} else {
			b.WriteString("fragment " + d.frag.Name + " on " + d.frag.TypeCondition)
			writeDirectives(&b, d.frag.Directives)
			writeSelections(&b, d.frag.SelectionSet)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func writeSelections(b *strings.Builder, set ast.SelectionSet) {
	if set == nil {
		return
	}
	b.WriteString("{")
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "__typename" {
				continue
			}
			b.WriteString(s.Alias + ":" + s.Name)
			if len(s.Arguments) > 0 {
				writeArguments(b, s.Arguments)
			}
			writeDirectives(b, s.Directives)
			writeSelections(b, s.SelectionSet)
		case *ast.FragmentSpread:
			b.WriteString("..." + s.Name)
			writeDirectives(b, s.Directives)
		case *ast.InlineFragment:
			b.WriteString("... on " + s.TypeCondition)
			writeDirectives(b, s.Directives)
			writeSelections(b, s.SelectionSet)
		}
		b.WriteString(" ")
	}
	b.WriteString("}")
}

func writeArguments(b *strings.Builder, args ast.ArgumentList) {
	sorted := append(ast.ArgumentList(nil), args...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	b.WriteString("(")
	for _, a := range sorted {
		b.WriteString(a.Name + ":")
		writeValue(b, a.Value)
		b.WriteString(",")
	}
	b.WriteString(")")
}

func writeDirectives(b *strings.Builder, ds ast.DirectiveList) {
	for _, d := range ds {
		b.WriteString("@" + d.Name)
		if len(d.Arguments) > 0 {
			writeArguments(b, d.Arguments)
		}
	}
}

func writeValue(b *strings.Builder, v *ast.Value) {
	if v == nil {
		b.WriteString("null")
		return
	}
	switch v.Kind {
	case ast.Variable:
		b.WriteString("$" + v.Raw)
	case ast.StringValue, ast.BlockValue:
		b.WriteString(strconv.Quote(v.Raw))
	case ast.NullValue:
		b.WriteString("null")
	case ast.ListValue:
		b.WriteString("[")
		for _, c := range v.Children {
			writeValue(b, c.Value)
			b.WriteString(",")
		}
		b.WriteString("]")
	case ast.ObjectValue:
		kids := append(ast.ChildValueList(nil), v.Children...)
		sort.SliceStable(kids, func(i, j int) bool { return kids[i].Name < kids[j].Name })
		b.WriteString("{")
		for _, c := range kids {
			b.WriteString(c.Name + ":")
			writeValue(b, c.Value)
			b.WriteString(",")
		}
		b.WriteString("}")
	default: // Int, Float, Boolean, Enum: their text is their value.
		b.WriteString(v.Raw)
	}
}

// shorthand says whether an operation is written without its keyword:
// gqlparser places such an operation at its opening brace.
func shorthand(op *ast.OperationDefinition) bool {
	p := op.Position
	return p != nil && p.Src != nil && p.Start >= 0 && p.Start < len(p.Src.Input) && p.Src.Input[p.Start] == '{'
}
