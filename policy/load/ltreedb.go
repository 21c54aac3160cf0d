package load

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wardenpdp/warden/policy/model"
)

// maxQueryText bounds an lquery or ltxtquery literal: PostgreSQL parses
// it, Warden only carries it.
const maxQueryText = 64 << 10

// ltreeDatabase parses one of ltree's operators that Warden leaves to the
// database (model.DatabaseOps): _matches and _matches_fulltext take an
// lquery or ltxtquery as text, _matches_any a list of lqueries,
// _ancestor_any and _descendant_any a list of ltree paths (checked here,
// as ltree reads them); or a session variable holding the text PostgreSQL
// reads (an array as its {...} literal). Warden does not parse lquery or
// ltxtquery: the database does, and rejects a bad one when Filter's SQL
// runs; the value is always a parameter.
func (p *exprParser) ltreeDatabase(c *model.Column, op model.Operator, n *yaml.Node, l loc) model.BoolExp {
	if c.Type.Canon != model.CanonLtree {
		p.problemf(l, n, "operator %s applies to ltree columns only; %s is %s", op, c.Name, typeLabel(c))
		return nil
	}
	if s := deref(n); isString(s) && isSessionVar(s.Value) {
		return model.Compare{Column: c, Op: op, Value: model.SessionVar{Name: strings.ToLower(s.Value), Kind: model.KindText,
			Type: model.Type{Declared: "text", Kind: model.KindText}}}
	}
	text := func(v any, el loc, e *yaml.Node) (string, bool) {
		s, ok := v.(string)
		switch {
		case !ok:
			p.problemf(el, e, "%s on column %s takes text, got %s", op, c.Name, describe(e))
		case len(s) > maxQueryText:
			p.problemf(el, e, "%s on column %s: the value is longer than %d bytes", op, c.Name, maxQueryText)
		case strings.ContainsRune(s, 0):
			p.problemf(el, e, "%s on column %s: the value holds a NUL character, which PostgreSQL text cannot", op, c.Name)
		case strings.TrimSpace(s) == "" && op != model.OpAncestorAny && op != model.OpDescendantAny:
			p.problemf(el, e, "%s on column %s: the value is empty (PostgreSQL rejects an empty %s)", op, c.Name, model.DatabaseOps[op].Type)
		default:
			return s, true
		}
		return "", false
	}
	if op == model.OpMatches || op == model.OpMatchesFulltext {
		v, ok := p.literal(n, l)
		if !ok {
			return nil
		}
		s, ok := text(v, l, n)
		if !ok {
			return nil
		}
		return model.Compare{Column: c, Op: op, Value: model.Literal{V: s}}
	}
	s := deref(n)
	if s == nil || s.Kind != yaml.SequenceNode {
		p.problemf(l, n, "%s takes a list or a session variable, got %s", op, describe(n))
		return nil
	}
	elems := make([]string, 0, len(s.Content))
	for i, e := range s.Content {
		el := l.index(i)
		if d := deref(e); isString(d) && isSessionVar(d.Value) {
			p.problemf(el, e, "a session variable cannot be an element of a list: use a session variable for the whole list (%s: %s, with a value such as {a.b,c})", op, d.Value)
			return nil
		}
		v, ok := p.literal(e, el)
		if !ok {
			return nil
		}
		t, ok := text(v, el, e)
		if !ok {
			return nil
		}
		if op != model.OpMatchesAny {
			if _, err := model.ParseLtree(t); err != nil {
				p.problemf(el, e, "%s on column %s: %v", op, c.Name, err)
				return nil
			}
		}
		elems = append(elems, t)
	}
	return model.Compare{Column: c, Op: op, Value: model.Literal{V: model.PGArrayText(elems)}}
}

// opaqueDatabase parses Hasura's generic comparisons (_eq _neq _gt _lt
// _gte _lte _in _nin) on a column Warden loads as opaque (tsvector,
// int4range, ...), which the database decides (model.DatabaseOpaque): the
// value is text PostgreSQL reads as the column's type, a list the text of
// each element, or a session variable holding that text (for _in and _nin
// an array as its {...} literal). Warden does not parse the type's text:
// PostgreSQL rejects a bad one when Filter's SQL runs; the value is always
// a parameter.
func (p *exprParser) opaqueDatabase(c *model.Column, op model.Operator, cls opClass, n *yaml.Node, l loc) model.BoolExp {
	if s := deref(n); isString(s) && isSessionVar(s.Value) {
		return model.Compare{Column: c, Op: op, Value: model.SessionVar{Name: strings.ToLower(s.Value), Kind: model.KindText,
			Type: model.Type{Declared: "text", Kind: model.KindText}}}
	}
	text := func(el loc, e *yaml.Node) (string, bool) {
		v, ok := p.literal(e, el)
		if !ok {
			return "", false
		}
		s, isText := v.(string)
		switch {
		case v == nil:
			p.problemf(el, e, "%s compares with null, which is never true: use _is_null", op)
		case !isText:
			p.problemf(el, e, "%s on column %s of type %s takes the value as text (as PostgreSQL writes it), got %s", op, c.Name, c.Type.Declared, describe(e))
		case len(s) > maxQueryText:
			p.problemf(el, e, "%s on column %s: the value is longer than %d bytes", op, c.Name, maxQueryText)
		case strings.ContainsRune(s, 0):
			p.problemf(el, e, "%s on column %s: the value holds a NUL character, which PostgreSQL text cannot", op, c.Name)
		default:
			return s, true
		}
		return "", false
	}
	if cls != clsList {
		s, ok := text(l, n)
		if !ok {
			return nil
		}
		return model.Compare{Column: c, Op: op, Value: model.Literal{V: s}}
	}
	s := deref(n)
	if s == nil || s.Kind != yaml.SequenceNode {
		p.problemf(l, n, "%s takes a list of values or a session variable, got %s", op, describe(n))
		return nil
	}
	elems := make([]string, 0, len(s.Content))
	for i, e := range s.Content {
		el := l.index(i)
		if d := deref(e); isString(d) && isSessionVar(d.Value) {
			p.problemf(el, e, "a session variable cannot be an element of a list: use a session variable for the whole list (%s: %s, with a value such as {a,b})", op, d.Value)
			return nil
		}
		t, ok := text(el, e)
		if !ok {
			return nil
		}
		elems = append(elems, t)
	}
	return model.Compare{Column: c, Op: op, Value: model.Literal{V: model.PGArrayText(elems)}}
}
