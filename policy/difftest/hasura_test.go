package difftest

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// The Hasura oracle: on PostgreSQL, a select rule is also rendered as
// Hasura renders a permission filter (Hasura's Translate/BoolExp.hs:
// c = v, c <> v, c = ANY(array), NOT (c = ANY(array)), IS [NOT] NULL, the
// _c* operators between columns, EXISTS with the join for relationships
// and without for _exists, NOT, AND, OR), with no NULL guard of its own,
// and the rows it returns must be the rows Check allowed. It covers the
// rules whose operators have one meaning in every PostgreSQL setup: text
// columns only under equality (a deterministic collation compares bytes),
// no citext, character(n), jsonb or pattern operator (their meanings are
// Warden's documented choices, proven by the other tests). Enum and
// canonical-text columns (time, bytea, inet, arrays) are compared with
// values cast to their type, so that PostgreSQL's own enum order, input
// functions and array containment are the reference.

// hasuraSQL renders e as Hasura would, or reports false for a rule outside
// the oracle's operators.
type hasuraSQL struct {
	p       *model.Policy
	s       *Store
	args    []any
	aliases int
}

func (h *hasuraSQL) param(k model.Kind, v any) (string, bool) {
	if v == nil {
		return "", false
	}
	h.args = append(h.args, h.s.storage(k, v))
	return "$" + strconv.Itoa(len(h.args)) + "::" + h.s.columnType(k), true
}

// plain says whether a column's comparisons mean the same in Warden and
// in PostgreSQL for op.
func plain(c *model.Column, op model.Operator) bool {
	t := c.Type
	switch {
	case t.Enum != nil:
		// PostgreSQL's own enum order and label input decide.
		switch op {
		case model.OpEq, model.OpNeq, model.OpGt, model.OpLt, model.OpGte, model.OpLte,
			model.OpIn, model.OpNin, model.OpIsNull, model.OpCeq, model.OpCneq:
			return true
		}
		return false
	case t.Canon != "":
		// PostgreSQL's own input, equality, order and containment decide
		// (not _in on arrays: c = ANY(ARRAY[...]) of arrays is a
		// two-dimensional array, not a list of arrays).
		switch op {
		case model.OpEq, model.OpNeq, model.OpIsNull, model.OpCeq, model.OpCneq:
			return true
		case model.OpIn, model.OpNin:
			return t.Canon != model.CanonArray
		case model.OpGt, model.OpLt, model.OpGte, model.OpLte, model.OpCgt, model.OpClt, model.OpCgte, model.OpClte:
			return model.CanonOrdered(t.Canon)
		case model.OpContains, model.OpContained:
			return t.Canon == model.CanonArray
		}
		return false
	}
	if t.Fold || t.PadSpace || t.Kind == model.KindJSONB || t.Kind == model.KindOpaque {
		return op == model.OpIsNull
	}
	if t.Kind == model.KindText {
		switch op {
		case model.OpEq, model.OpNeq, model.OpIn, model.OpNin, model.OpIsNull, model.OpCeq, model.OpCneq:
			return true
		}
		return false
	}
	return !isPattern(op)
}

var hasuraOps = map[model.Operator]string{
	model.OpEq: "=", model.OpNeq: "<>", model.OpGt: ">", model.OpLt: "<", model.OpGte: ">=", model.OpLte: "<=",
	model.OpCeq: "=", model.OpCneq: "<>", model.OpCgt: ">", model.OpClt: "<", model.OpCgte: ">=", model.OpClte: "<=",
	model.OpContains: "@>", model.OpContained: "<@",
}

// hasuraTextOps are Hasura's SQL of text's pattern operators.
var hasuraTextOps = map[model.Operator]string{
	model.OpLike: "LIKE", model.OpNlike: "NOT LIKE", model.OpIlike: "ILIKE", model.OpNilike: "NOT ILIKE",
	model.OpSimilar: "SIMILAR TO", model.OpNsimilar: "NOT SIMILAR TO",
	model.OpRegex: "~", model.OpNregex: "!~", model.OpIregex: "~*", model.OpNiregex: "!~*",
}

// typeOf is the PostgreSQL type Hasura casts a value compared with an enum
// or canonical-text column to ("" for other columns): the column's type.
func (h *hasuraSQL) typeOf(c *model.Column) string {
	if c.Type.Enum == nil && c.Type.Canon == "" {
		return ""
	}
	return h.s.storedType(sqlgen.Options{Schemas: h.s.Schemas}, c)
}

// typedParam adds a value in its text form, cast to type typ as Hasura
// casts it: PostgreSQL's own input reads it.
func (h *hasuraSQL) typedParam(typ, text string) string {
	h.args = append(h.args, text)
	return "$" + strconv.Itoa(len(h.args)) + "::text::" + typ
}

func (h *hasuraSQL) render(e model.BoolExp, cur, root string, vars map[string]string) (string, bool) {
	join := func(items []model.BoolExp, op, empty string) (string, bool) {
		if len(items) == 0 {
			return empty, true
		}
		parts := make([]string, len(items))
		for i, it := range items {
			s, ok := h.render(it, cur, root, vars)
			if !ok {
				return "", false
			}
			parts[i] = s
		}
		return "(" + strings.Join(parts, " "+op+" ") + ")", true
	}
	switch x := e.(type) {
	case model.True:
		return "TRUE", true
	case model.False:
		return "FALSE", true
	case model.And:
		return join(x.Items, "AND", "TRUE")
	case model.Or:
		return join(x.Items, "OR", "FALSE")
	case model.Not:
		s, ok := h.render(x.Item, cur, root, vars)
		return "(NOT " + s + ")", ok
	case model.RelExists:
		rel := x.Relationship
		a := h.alias()
		conds := make([]string, 0, len(rel.Mapping)+1)
		for _, m := range rel.Mapping {
			conds = append(conds, a+"."+h.s.quote(m.Remote)+" = "+cur+"."+h.s.quote(m.Local))
		}
		w, ok := h.render(x.Where, a, root, vars)
		conds = append(conds, w)
		return "EXISTS (SELECT 1 FROM " + h.s.table(sqlgen.Options{Schemas: h.s.Schemas}, rel.Target) + " AS " + a + " WHERE " + strings.Join(conds, " AND ") + ")", ok
	case model.Exists:
		a := h.alias()
		w, ok := h.render(x.Where, a, root, vars)
		return "EXISTS (SELECT 1 FROM " + h.s.table(sqlgen.Options{Schemas: h.s.Schemas}, x.Table) + " AS " + a + " WHERE " + w + ")", ok
	case model.Compare:
		return h.compare(x, cur, root, vars)
	}
	return "", false
}

func (h *hasuraSQL) alias() string {
	h.aliases++
	return fmt.Sprintf(`"_be_%d"`, h.aliases)
}

func (h *hasuraSQL) compare(x model.Compare, cur, root string, vars map[string]string) (string, bool) {
	if _, ok := model.DatabaseDecided(x.Column, x.Op); ok {
		return h.databaseCompare(x, cur+"."+h.s.quote(x.Column.Name))
	}
	if !plain(x.Column, x.Op) {
		return "", false
	}
	k := x.Column.Type.Kind
	col := cur + "." + h.s.quote(x.Column.Name)
	if typ := h.typeOf(x.Column); typ != "" && x.Op != model.OpIsNull {
		return h.typedCompare(x, col, cur, root, typ, vars)
	}
	switch v := x.Value.(type) {
	case model.ColumnRef:
		if !plain(v.Column, x.Op) {
			return "", false
		}
		other := cur
		if v.Root {
			other = root
		}
		return "(" + col + " " + hasuraOps[x.Op] + " " + other + "." + h.s.quote(v.Column.Name) + ")", true
	case model.Literal:
		if x.Op == model.OpIsNull {
			if b, _ := v.V.(bool); b {
				return "(" + col + " IS NULL)", true
			}
			return "(" + col + " IS NOT NULL)", true
		}
		if list, ok := v.V.([]any); ok {
			return h.anyOf(x.Op, col, k, list)
		}
		p, ok := h.param(k, v.V)
		return "(" + col + " " + hasuraOps[x.Op] + " " + p + ")", ok
	case model.SessionVar:
		raw, ok := vars[v.Name]
		if !ok {
			return "", false
		}
		if !v.Array {
			val, err := model.ParseText(v.Kind, raw)
			if err != nil || v.Kind != k {
				return "", false
			}
			p, ok := h.param(k, val)
			return "(" + col + " " + hasuraOps[x.Op] + " " + p + ")", ok
		}
		elems, err := model.ParseArrayLiteral(raw)
		if err != nil || v.Kind != k {
			return "", false
		}
		list := make([]any, len(elems))
		for i, el := range elems {
			if list[i], err = model.ParseText(k, el); err != nil {
				return "", false
			}
		}
		return h.anyOf(x.Op, col, k, list)
	}
	return "", false
}

// typedCompare renders a comparison of an enum or canonical-text column,
// values as text cast to the column's type: literals in Warden's canonical
// form, session values as the session spells them.
func (h *hasuraSQL) typedCompare(x model.Compare, col, cur, root, typ string, vars map[string]string) (string, bool) {
	var texts []string
	list := x.Op == model.OpIn || x.Op == model.OpNin
	switch v := x.Value.(type) {
	case model.ColumnRef:
		other := cur
		if v.Root {
			other = root
		}
		return "(" + col + " " + hasuraOps[x.Op] + " " + other + "." + h.s.quote(v.Column.Name) + ")", true
	case model.Literal:
		if l, ok := v.V.([]any); ok {
			for _, e := range l {
				s, ok := e.(string)
				if !ok {
					return "", false
				}
				texts = append(texts, s)
			}
		} else if s, ok := v.V.(string); ok {
			texts = []string{s}
		} else {
			return "", false
		}
	case model.SessionVar:
		raw, ok := vars[v.Name]
		if !ok {
			return "", false
		}
		if v.Array {
			elems, err := model.ParseArrayLiteral(raw)
			if err != nil {
				return "", false
			}
			texts = elems
		} else {
			texts = []string{raw}
		}
	default:
		return "", false
	}
	for i, t := range texts {
		// Warden's key of an interval, timetz or money value (a literal,
		// or a session spelling it so) as the PostgreSQL text it stands
		// for: Hasura would be given that.
		if pg, err := model.CanonPG(x.Column.Type, t); err == nil {
			texts[i] = pg.(string)
		}
	}
	if !list {
		if len(texts) != 1 {
			return "", false
		}
		return "(" + col + " " + hasuraOps[x.Op] + " " + h.typedParam(typ, texts[0]) + ")", true
	}
	return h.typedAny(x.Op, col, typ, texts), true
}

// typedAny is Hasura's c = ANY(array) of texts cast to typ for _in, and
// its NOT for _nin.
func (h *hasuraSQL) typedAny(op model.Operator, col, typ string, texts []string) string {
	ps := make([]string, len(texts))
	for i, t := range texts {
		ps[i] = h.typedParam(typ, t)
	}
	s := "(" + col + " = ANY(ARRAY[" + strings.Join(ps, ", ") + "]::" + typ + "[]))"
	if op == model.OpNin {
		s = "(NOT " + s + ")"
	}
	return s
}

// anyOf is Hasura's c = ANY(array) for _in and NOT (c = ANY(array)) for
// _nin.
func (h *hasuraSQL) anyOf(op model.Operator, col string, k model.Kind, list []any) (string, bool) {
	ps := make([]string, len(list))
	for i, el := range list {
		p, ok := h.param(k, el)
		if !ok {
			return "", false
		}
		ps[i] = p
	}
	s := "(" + col + " = ANY(ARRAY[" + strings.Join(ps, ", ") + "]::" + h.s.columnType(k) + "[]))"
	switch op {
	case model.OpIn:
		return s, true
	case model.OpNin:
		return "(NOT " + s + ")", true
	}
	return "", false
}

// hasuraAgrees runs a select rule's filter, rendered as Hasura does, on
// PostgreSQL and compares the rows it returns with Check's decisions. It
// returns how many rows it compared (0 for a rule outside the oracle).
// For the rows Check left to the database (Outcome.Database), Hasura's SQL
// must return exactly the rows Filter's SQL returned (filtered, by id); it
// returns how many of those it compared too.
func hasuraAgrees(ctx context.Context, c *Case, s *Store, o Outcome, filtered map[int64][]int64) (int, int, error) {
	if s.Dialect != sqlgen.Postgres || o.Result == nil || o.Rule.Op != model.OpSelect {
		return 0, 0, nil
	}
	perm := c.Policy.Tables[o.Rule.Table].Permissions[model.OpSelect][o.Rule.Role]
	if perm == nil || perm.Filter == nil {
		return 0, 0, nil
	}
	h := &hasuraSQL{p: c.Policy, s: s}
	where, ok := h.render(perm.Filter, `"r"`, `"r"`, o.Vars)
	if !ok {
		return 0, 0, nil
	}
	q := `SELECT "r"."id" FROM ` + s.table(sqlgen.Options{Schemas: s.Schemas}, o.Rule.Table) + ` AS "r" WHERE ` + where
	got, err := s.IDs(ctx, q, h.args)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: Hasura's SQL fails: %w\nquery: %s\nargs: %#v", o.Rule.Key(), err, q, h.args)
	}
	returned := map[int64]bool{}
	for _, g := range got {
		returned[g[0]] = true
	}
	database := 0
	for i, row := range o.Rows {
		id, _ := strconv.ParseInt(fmt.Sprint(row["id"]), 10, 64)
		if o.Database[i] {
			if _, inFilter := filtered[id]; returned[id] != inFilter {
				return 0, 0, fmt.Errorf("%s session %v row %v: Check left it to the database, where Filter's SQL returns %v and Hasura's SQL %v\nquery: %s\nargs: %#v",
					o.Rule.Key(), o.Vars, row, inFilter, returned[id], q, h.args)
			}
			database++
			continue
		}
		if returned[id] != o.Allowed[i] {
			return 0, 0, fmt.Errorf("%s session %v row %v: Check allows %v, Hasura's SQL returns %v\nquery: %s\nargs: %#v",
				o.Rule.Key(), o.Vars, row, o.Allowed[i], returned[id], q, h.args)
		}
	}
	return len(o.Rows), database, nil
}

// databaseCompare renders a comparison Warden leaves to the database
// (dbops.go) as Hasura does (Translate/BoolExp.hs, mkCompExp): PostGIS's
// function of the column (cast by _cast: mkCastsExp's (col)::type) and
// ST_GeomFromGeoJSON of the value, ::geography for geography; on opaque
// and array columns PostgreSQL's operator with the value cast to the
// column's type, = ANY(ARRAY[...]) for _in and its NOT for _nin. Literals
// only: the generator compares with no session variable here.
func (h *hasuraSQL) databaseCompare(x model.Compare, col string) (string, bool) {
	lit, ok := x.Value.(model.Literal)
	if !ok {
		return "", false
	}
	if fn, spatial := model.SpatialFunctions[x.Op]; spatial {
		geography := x.Column.Type.Spatial == model.SpatialGeography
		if x.Cast != "" {
			col = "(" + col + ")::" + x.Cast
			geography = x.Cast == model.SpatialGeography
		}
		geo, rest := lit.V, []string(nil)
		if model.SpatialDistance(x.Op) {
			m, ok := lit.V.(map[string]any)
			if !ok {
				return "", false
			}
			geo = m["from"]
			rest = append(rest, h.typedParam("float8", fmt.Sprint(m["distance"])))
			if b, ok := m["use_spheroid"].(bool); ok && geography {
				rest = append(rest, h.typedParam("boolean", fmt.Sprint(b)))
			}
		}
		g := "ST_GeomFromGeoJSON(" + h.typedParam("text", geoJSONText(geo)) + ")"
		if geography {
			g += "::geography"
		}
		return fn + "(" + strings.Join(append([]string{col, g}, rest...), ", ") + ")", true
	}
	text, ok := lit.V.(string)
	if !ok {
		return "", false
	}
	typ := x.Column.Type.Cast
	if model.JSONBTextCast(x.Column, x.Cast) {
		// _cast of jsonb to text: text's operators on (col)::text, with
		// Hasura's own symbols for the negative ones.
		col, typ = "("+col+")::text", "text"
		if sym, ok := hasuraTextOps[x.Op]; ok {
			return "(" + col + " " + sym + " " + h.typedParam(typ, text) + ")", true
		}
	}
	switch x.Op {
	case model.OpIn, model.OpNin:
		elems, err := model.ParseArrayLiteral(text)
		if err != nil {
			return "", false
		}
		return h.typedAny(x.Op, col, typ, elems), true
	}
	sym, ok := hasuraOps[x.Op]
	if !ok {
		return "", false
	}
	return "(" + col + " " + sym + " " + h.typedParam(typ, text) + ")", true
}
