package load

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wardenpdp/warden/policy/model"
)

// cast parses Hasura's _cast on a column: {_cast: {type: {op: value,
// ...}}}, the operators applied to the column cast to type. Hasura admits
// three casts (its checkValidCast): geometry to geography, geography to
// geometry, and jsonb to text. Warden takes all three: the two PostGIS ones,
// whose operators it leaves to PostGIS anyway (the comparison's
// model.Compare.Cast selects the operators and the value of the target
// type, and Filter's SQL casts the column), and jsonb to text, whose text
// operators it leaves to the database (jsonbText); every cast Hasura
// rejects is a problem. Type names are case-insensitive, as in Hasura.
func (p *exprParser) cast(c *model.Column, n *yaml.Node, l loc, t *model.Table, depth int) model.BoolExp {
	fields, ok := p.ld.fields(n, l, "_cast")
	if !ok {
		return nil
	}
	items := make([]model.BoolExp, 0, len(fields))
	for _, f := range fields {
		fl := l.key(f.key)
		target := strings.ToLower(f.key)
		switch {
		case model.SpatialCast(c, target):
		case model.JSONBTextCast(c, target):
			e := p.jsonbText(c, f.val, fl, t, depth)
			if e == nil {
				ok = false
				continue
			}
			items = append(items, e)
			continue
		default:
			p.problemf(fl, f.keyNode, "cannot cast column %s of type %s to type %s (Hasura's _cast admits geometry to geography, geography to geometry and jsonb to text)", c.Name, c.Type.Declared, f.key)
			ok = false
			continue
		}
		// The operators see the column as the target type: its name in
		// messages says the cast.
		cc := *c
		cc.Name = c.Name + "::" + target
		cc.Type.Spatial = target
		cc.Type.Declared = target
		e := p.castOps(&cc, f.val, fl, t, depth)
		if e == nil {
			ok = false
			continue
		}
		items = append(items, recast(e, &cc, c, target))
	}
	if !ok {
		return nil
	}
	return conjunction(items)
}

// castOps parses the operators under one target type of _cast, as column
// does, but a nested _cast is a problem: it would only cast back.
func (p *exprParser) castOps(cc *model.Column, n *yaml.Node, l loc, t *model.Table, depth int) model.BoolExp {
	if v := deref(n); v != nil && v.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(v.Content); i += 2 {
			if k := deref(v.Content[i]); k != nil && k.Kind == yaml.ScalarNode && canonical(k.Value) == "_cast" {
				p.problemf(l.key(k.Value), k, "_cast inside _cast on column %s: Warden does not support a nested cast", cc.Name)
				return nil
			}
		}
	}
	return p.column(cc, n, l, t, depth)
}

// recast gives the comparisons of e on the stand-in column cc back their
// column c, with the cast. _is_null needs no cast: a cast value is NULL
// exactly when the column is.
func recast(e model.BoolExp, cc, c *model.Column, target string) model.BoolExp {
	switch x := e.(type) {
	case model.Compare:
		if x.Column == cc {
			x.Column = c
			if x.Op != model.OpIsNull {
				x.Cast = target
			}
		}
		return x
	case model.And:
		items := make([]model.BoolExp, len(x.Items))
		for i, it := range x.Items {
			items[i] = recast(it, cc, c, target)
		}
		return model.And{Items: items}
	}
	return e
}

// jsonbText parses the operators under {_cast: {text: ...}} on a jsonb
// column c: text's operators (model.JSONBText), which the database
// decides on (c)::text, with text values (a list of them for _in and
// _nin) or a session variable holding text (for _in and _nin a
// PostgreSQL array literal, {a,b}), and _is_null, which needs no cast (the
// text is NULL exactly when the column is). Anything else is a problem:
// Hasura's text comparison has no other operator, and a nested _cast
// would cast text, which Hasura rejects.
func (p *exprParser) jsonbText(c *model.Column, n *yaml.Node, l loc, t *model.Table, depth int) model.BoolExp {
	if v := deref(n); v == nil || v.Kind != yaml.MappingNode {
		p.problemf(l, n, "_cast of jsonb column %s to text takes text's operators ({_like: \"%%a%%\"}), got %s", c.Name, describe(n))
		return nil
	}
	fields, ok := p.ld.fields(n, l, "operators")
	// The operators see the column as text: its name in messages says
	// the cast.
	cc := &model.Column{Name: c.Name + "::text", Type: model.Type{Kind: model.KindOpaque, Declared: "text", Cast: "text"}}
	items := make([]model.BoolExp, 0, len(fields))
	for _, f := range fields {
		fl := l.key(f.key)
		op, known := operator(f.key)
		if canonical(f.key) == "_cast" {
			p.problemf(fl, f.keyNode, "_cast inside _cast on column %s: Hasura admits no cast of text", cc.Name)
			ok = false
			continue
		}
		if known && op == model.OpIsNull {
			if e := p.compare(c, op, f.val, fl, t, depth); e != nil {
				items = append(items, e)
			} else {
				ok = false
			}
			continue
		}
		if _, text := model.JSONBText[op]; !known || !text {
			p.problemf(fl, f.keyNode, "operator %q inside _cast to text on jsonb column %s: Hasura admits text's operators there (_eq _neq _gt _lt _gte _lte _in _nin _like _nlike _ilike _nilike _similar _nsimilar _regex _nregex _iregex _niregex _is_null)", f.key, c.Name)
			ok = false
			continue
		}
		if !p.count(depth + 1) {
			return nil
		}
		cls := clsCompare
		if op == model.OpIn || op == model.OpNin {
			cls = clsList
		}
		e, isCmp := p.opaqueDatabase(cc, op, cls, f.val, fl).(model.Compare)
		if !isCmp {
			ok = false
			continue
		}
		e.Column, e.Cast = c, model.CastText
		items = append(items, e)
	}
	if !ok || len(items) == 0 {
		if ok {
			p.problemf(l, n, "_cast of jsonb column %s to text with no operator", c.Name)
		}
		return nil
	}
	return conjunction(items)
}
