package difftest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

// boolExp generates a boolean expression evaluated on cur (root is the
// permission's table, for ["$", col]); hops counts relationship hops. One
// rule in four is an AND of ORs, the shape of real-world insert checks.
func (g *gen) boolExp(root, cur *model.Table, hops int) model.BoolExp {
	if g.r.IntN(4) == 0 {
		return g.andOfOrs(root, cur, hops, 0)
	}
	return g.expr(root, cur, hops, 0)
}

func (g *gen) expr(root, cur *model.Table, hops, nest int) model.BoolExp {
	roll := g.r.IntN(100)
	if nest >= 3 && roll >= 46 {
		roll = g.r.IntN(46)
	}
	switch {
	case roll < 46:
		return g.compare(root, cur)
	case roll < 52:
		return g.andOfOrs(root, cur, hops, nest)
	case roll < 59:
		return model.And{Items: g.items(root, cur, hops, nest, 2+g.r.IntN(2))}
	case roll < 67:
		return model.Or{Items: g.items(root, cur, hops, nest, g.r.IntN(4))}
	case roll < 74:
		return model.Not{Item: g.expr(root, cur, hops, nest+1)}
	case roll < 87:
		if rel := g.relationship(cur); rel != nil && hops < g.lim.Depth {
			g.depth = max(g.depth, hops+1)
			target := g.p.Tables[rel.Target]
			return model.RelExists{Relationship: rel, From: cur.Name, Where: g.expr(root, target, hops+1, nest+1)}
		}
		return g.compare(root, cur)
	case roll < 92:
		tables := g.p.SortedTables()
		t := tables[g.r.IntN(len(tables))]
		g.exists = true
		return model.Exists{Table: t.Name, Where: g.expr(root, t, g.lim.Depth, nest+1)}
	case roll < 96:
		return model.True{}
	}
	return model.And{}
}

// andOfOrs is an AND of two to four ORs of two or three items each, any
// expression (relationships, NOTs, and ANDs of ORs again): partial
// evaluation with the helpers inlined multiplied these out, and Filter
// must keep them as they are.
func (g *gen) andOfOrs(root, cur *model.Table, hops, nest int) model.BoolExp {
	ands := make([]model.BoolExp, 2+g.r.IntN(3))
	for i := range ands {
		ands[i] = model.Or{Items: g.items(root, cur, hops, nest+1, 2+g.r.IntN(2))}
	}
	return model.And{Items: ands}
}

func (g *gen) items(root, cur *model.Table, hops, nest, n int) []model.BoolExp {
	out := make([]model.BoolExp, n)
	for i := range out {
		out[i] = g.expr(root, cur, hops, nest+1)
	}
	return out
}

func (g *gen) relationship(t *model.Table) *model.Relationship {
	if len(t.Relationships) == 0 {
		return nil
	}
	names := make([]string, 0, len(t.Relationships))
	for n := range t.Relationships {
		names = append(names, n)
	}
	sort.Strings(names)
	return t.Relationships[names[g.r.IntN(len(names))]]
}

// operators lists the operators that apply to a kind, as load allows them.
func operators(k model.Kind) []model.Operator {
	if k == model.KindOpaque {
		return []model.Operator{model.OpIsNull}
	}
	ops := []model.Operator{model.OpEq, model.OpNeq, model.OpIn, model.OpNin, model.OpIsNull, model.OpCeq, model.OpCneq}
	if k != model.KindJSONB {
		ops = append(ops, model.OpGt, model.OpLt, model.OpGte, model.OpLte, model.OpCgt, model.OpClt, model.OpCgte, model.OpClte)
	}
	switch k {
	case model.KindText:
		ops = append(ops, model.OpLike, model.OpNlike, model.OpIlike, model.OpNilike, model.OpSimilar, model.OpNsimilar,
			model.OpRegex, model.OpNregex, model.OpIregex, model.OpNiregex,
			model.OpLike, model.OpNlike, model.OpIlike, model.OpNilike)
	case model.KindJSONB:
		ops = append(ops, model.OpContains, model.OpContained, model.OpHasKey, model.OpHasKeysAny, model.OpHasKeysAll, model.OpHasKey)
	}
	return ops
}

func (g *gen) compare(root, cur *model.Table) model.BoolExp {
	c := cur.Columns[g.r.IntN(len(cur.Columns))]
	if cf, ok := cur.Computed["sess"]; ok && g.computed && g.r.IntN(3) == 0 {
		c = cf
	}
	k := c.Type.Kind
	if g.database && g.r.IntN(3) > 0 {
		if e, ok := g.databaseCompare(c); ok {
			return e
		}
	}
	ops := operators(k)
	if ct := c.Type.Canon; ct != "" {
		// load: no pattern operators; ordering where the canonical text
		// sorts as the values do.
		ops = []model.Operator{model.OpEq, model.OpNeq, model.OpIn, model.OpNin, model.OpIsNull, model.OpCeq, model.OpCneq, model.OpEq, model.OpIn}
		if model.CanonOrdered(ct) {
			ops = append(ops, model.OpGt, model.OpLt, model.OpGte, model.OpLte, model.OpCgt, model.OpClte)
		}
		if ct == model.CanonArray {
			ops = append(ops, model.OpContains, model.OpContained, model.OpContains, model.OpContained)
		}
	}
	if c.Type.Enum != nil {
		// load: no pattern operators and no _cgt ... on enums.
		ops = []model.Operator{model.OpEq, model.OpNeq, model.OpIn, model.OpNin, model.OpIsNull, model.OpCeq, model.OpCneq,
			model.OpGt, model.OpLt, model.OpGte, model.OpLte, model.OpGt, model.OpLte}
	}
	if c.Type.Fold {
		// More of the comparisons that lower-case the column.
		ops = append(ops, model.OpEq, model.OpEq, model.OpNeq, model.OpIn, model.OpIn, model.OpNin, model.OpGt, model.OpLte, model.OpCeq)
	}
	op := ops[g.r.IntN(len(ops))]
	switch op {
	case model.OpIsNull:
		return model.Compare{Column: c, Op: op, Value: model.Literal{V: g.r.IntN(2) == 0}}
	case model.OpCeq, model.OpCneq, model.OpCgt, model.OpClt, model.OpCgte, model.OpClte:
		if ref, ok := g.columnRef(root, cur, c); ok && c.Computed == nil {
			return model.Compare{Column: c, Op: op, Value: ref}
		}
		op = model.OpEq
	}
	return model.Compare{Column: c, Op: op, Value: g.normalize(c, op, g.value(op, k, c.Type))}
}

// normalize applies what load applies to a literal compared with column c
// (model.Normalize: citext values lower-cased); patterns stay as written.
func (g *gen) normalize(c *model.Column, op model.Operator, v model.Value) model.Value {
	lit, ok := v.(model.Literal)
	if !ok || isPattern(op) || op == model.OpHasKey || op == model.OpHasKeysAny || op == model.OpHasKeysAll {
		return v
	}
	norm := func(x any) any {
		n, err := model.Normalize(c.Type, x, true)
		if err != nil {
			panic(fmt.Sprintf("normalize %v for %s: %v", x, c.Type.Declared, err))
		}
		return n
	}
	if list, ok := lit.V.([]any); ok {
		out := make([]any, len(list))
		for i, x := range list {
			out[i] = norm(x)
		}
		return model.Literal{V: out}
	}
	return model.Literal{V: norm(lit.V)}
}

// columnRef picks a column of the same type family (kind, citext or
// character(n) or neither: load requires the same type) in cur, or ["$",
// col] in root.
func (g *gen) columnRef(root, cur *model.Table, col *model.Column) (model.ColumnRef, bool) {
	same := func(c *model.Column) bool {
		if c.Type.Enum != nil || col.Type.Enum != nil || c.Type.Base != "" || col.Type.Base != "" || c.Type.Canon != "" || col.Type.Canon != "" {
			// load: enums and domains compare with their own type only.
			return c.Type.Declared == col.Type.Declared
		}
		return c.Type.Kind == col.Type.Kind && c.Type.Fold == col.Type.Fold && c.Type.PadSpace == col.Type.PadSpace
	}
	var refs []model.ColumnRef
	for _, c := range cur.Columns {
		if same(c) {
			refs = append(refs, model.ColumnRef{Column: c})
		}
	}
	for _, c := range root.Columns {
		if same(c) {
			refs = append(refs, model.ColumnRef{Root: true, Column: c})
		}
	}
	if len(refs) == 0 {
		return model.ColumnRef{}, false
	}
	return refs[g.r.IntN(len(refs))], true
}

// value picks the right-hand side of an operator on a column of type typ
// and kind k: a literal, or (one time in four) a session variable.
func (g *gen) value(op model.Operator, k model.Kind, typ model.Type) model.Value {
	session := g.r.IntN(4) == 0
	switch {
	case isPattern(op):
		if session {
			name := "x-hasura-pat-" + strings.TrimPrefix(string(positiveOp(op)), "_")
			g.pats[name] = positiveOp(op)
			return model.SessionVar{Name: name, Kind: model.KindText}
		}
		pool := patterns[positiveOp(op)]
		return model.Literal{V: pool[g.r.IntN(len(pool))]}
	case op == model.OpIn || op == model.OpNin:
		if session {
			return g.typedVar(k, true, typ)
		}
		return model.Literal{V: g.list(k, typ)}
	case op == model.OpHasKey:
		if session {
			return g.sessionVar(model.KindText, false)
		}
		return model.Literal{V: jsonKeys[g.r.IntN(len(jsonKeys))]}
	case op == model.OpHasKeysAny || op == model.OpHasKeysAll:
		if session {
			v := g.sessionVar(model.KindText, true)
			v.Name = "x-hasura-keys"
			g.vars[v.Name] = v
			return v
		}
		n := g.r.IntN(3)
		out := make([]any, n)
		for i := range out {
			out[i] = jsonKeys[g.r.IntN(len(jsonKeys))]
		}
		return model.Literal{V: out}
	}
	if session {
		return g.typedVar(k, false, typ)
	}
	return model.Literal{V: g.literalOf(k, typ)}
}

// typedVar is a session variable compared with a column of type typ, as
// load gives it (the type applies when the kinds agree): a variable
// compared with a text and a citext column is coerced for each.
func (g *gen) typedVar(k model.Kind, array bool, typ model.Type) model.SessionVar {
	if typ.Enum != nil && typ.Kind == k {
		// Its own variable, whose values are (mostly) labels.
		name := "x-hasura-" + typ.Enum.Name
		if array {
			name += "-list"
		}
		v := model.SessionVar{Name: name, Kind: k, Array: array, Type: typ}
		g.vars[name] = v
		return v
	}
	v := g.sessionVar(k, array)
	if typ.Kind == k {
		v.Type = typ
	}
	return v
}

func (g *gen) sessionVar(k model.Kind, array bool) model.SessionVar {
	name := "x-hasura-" + k.String()
	if array {
		name += "-list"
	}
	v := model.SessionVar{Name: name, Kind: k, Array: array}
	g.vars[name] = v
	return v
}

func (g *gen) list(k model.Kind, typ model.Type) []any {
	out := make([]any, g.r.IntN(4))
	for i := range out {
		out[i] = g.literalOf(k, typ)
	}
	return out
}

func isPattern(op model.Operator) bool {
	_, ok := patterns[positiveOp(op)]
	return ok
}

func positiveOp(op model.Operator) model.Operator {
	pos, _ := op.Positive()
	return pos
}

// patterns are the literal (and session) patterns per operator: wildcards,
// escapes, case and Unicode folding, newlines, anchors and classes, and
// trailing spaces (the padding of character(n) values).
var patterns = map[model.Operator][]string{
	model.OpLike: {"a%", "%a", "%b%", "_", "a_", "%", "", "A%", "%é%", `\%%`, `a\_b`, `%\`, "k%", "%s", "ß", "_%_", "%\n%", "%🙂",
		"a", "a ", "a  ", "a %", "% ", "__", "___", "_ _", "é  "},
	model.OpIlike:   {"a%", "%A", "K%", "%s%", "É", "_b%", "%", "ς", "σ%", `%\_%`, "STRASSE", "%ß%", "ſ", "a b", "A %", "% ", "A  "},
	model.OpSimilar: {"a%", "(a|b)%", "[a-c]%", "%(b|c)", "a*", "%[0-9]%", "_+", "(ab)+", "%.%", "a|A", "[^a]%", "a %", "% +", "_ *", "a"},
	model.OpRegex: {"^a", "b$", "a.b", "^(a|b)+$", "[0-9]", `\d`, `\bab`, `a\b`, "^.$", `^\w+$`, "é", "^$", "(?i)ab", "^[^a]", `x\nb`, "(?m)^b", "^.+$", "a$", "^a.", ".b$", "b\\z",
		" $", "a $", "^. +$", "^.{3}$", "^.{2}$", "[^ ]$", " {2}", "^a {1,4}$"},
	model.OpIregex: {"^A", "k", "S$", "é", "^[a-c]+$", "σ", "A +$", "^É $"},
}

var jsonKeys = []string{"a", "b", "k", "A", "", "x y", `q"u`, "é"}

// canonical picks an edge value of a kind, in canonical form.
func (g *gen) canonical(k model.Kind) any {
	pool := values[k]
	v := pool[g.r.IntN(len(pool))]
	if k == model.KindJSONB {
		if d := decodeJSON(v.(string)); d != nil {
			return d
		}
		// A column's JSON null, which a row or a session variable
		// ("null") may hold and SQL NULL must not be mistaken for.
		return model.JSONNull
	}
	return v
}

// literalOf is canonicalOf for a rule's literal: never a JSON null, which
// a rule cannot state (a null literal is a load error; use _is_null).
func (g *gen) literalOf(k model.Kind, typ model.Type) any {
	for {
		if v := g.canonicalOf(k, typ); !model.IsJSONNull(v) {
			return v
		}
	}
}

func decodeJSON(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		panic(fmt.Sprintf("bad JSON %q: %v", s, err))
	}
	return v
}

// canonicalOf picks an edge value for a column of type typ and kind k:
// mostly a citextValue for citext.
func (g *gen) canonicalOf(k model.Kind, typ model.Type) any {
	if e := typ.Enum; e != nil && k == typ.Kind {
		return e.Labels[g.r.IntN(len(e.Labels))]
	}
	if k == model.KindOpaque {
		pool := opaqueValues[typ.Declared]
		return pool[g.r.IntN(len(pool))]
	}
	if typ.Canon != "" && k == typ.Kind {
		// Spellings of the type's values, canonical or not (load and
		// the engine canonicalise them; see normalize).
		pool := canonValues[typ.Declared]
		return pool[g.r.IntN(len(pool))]
	}
	if typ.Fold && g.r.IntN(4) > 0 {
		return g.citextValue()
	}
	return g.canonical(k)
}

// rowValue picks a value a column of type typ can hold: for character(n)
// one of at most n characters without trailing spaces (the canonical form,
// as model.Normalize gives it; a longer one is not a valid row value).
func (g *gen) rowValue(typ model.Type) any {
	v := g.canonicalOf(typ.Kind, typ)
	s, ok := v.(string)
	if !ok || !typ.PadSpace {
		return v
	}
	if r := []rune(s); typ.Length > 0 && len(r) > typ.Length {
		s = string(r[:typ.Length])
	}
	return strings.TrimRight(s, " ")
}

// citextGroups are characters that lower-casing, case folding or other
// systems' case tables relate: those a character lower-cases from (k: K
// and the Kelvin sign; i: I and İ), others in its case-folding orbit that
// lower-case elsewhere (ſ, ς, ϑ), title case (ǅ), letters some databases'
// case tables miss (Georgian Mtavruli, Latin Extended-B), and GLOB and
// LIKE specials.
var citextGroups = [][]rune{
	{'a', 'A'}, {'k', 'K', '\u212a'}, {'s', 'S', 'ſ'}, {'σ', 'Σ', 'ς'}, {'i', 'I', 'İ', 'ı'}, {'ß', 'ẞ'},
	{'ǆ', 'ǅ', 'Ǆ'}, {'å', 'Å', '\u212b'}, {'θ', 'Θ', 'ϴ', 'ϑ'}, {'ω', 'Ω', '\u2126'}, {'ა', 'Ა'}, {'ƚ', 'Ƚ'},
	{'é', 'É'}, {'*'}, {'?'}, {'['}, {']'}, {'%'}, {'_'},
}

// citextWords are longer values: a final sigma (lower-cased by context in
// ICU), ß against SS.
var citextWords = []string{"", "straße", "STRASSE", "ΟΔΟΣ", "οδοσ", "a b", "x\nb", "🙂"}

// citextValue is one or two characters from citextGroups, each group's
// members as likely, or now and then one of citextWords: values of citext
// columns and what they are compared with often lower-case alike.
func (g *gen) citextValue() string {
	if g.r.IntN(8) == 0 {
		return citextWords[g.r.IntN(len(citextWords))]
	}
	var b strings.Builder
	for n := 1 + g.r.IntN(2); n > 0; n-- {
		grp := citextGroups[g.r.IntN(len(citextGroups))]
		b.WriteRune(grp[g.r.IntN(len(grp))])
	}
	return b.String()
}

// opaqueValues are row values of the opaque types generated, in the text
// form PostgreSQL reads.
var opaqueValues = map[string][]any{
	"tsvector":  {"a b", "fat:1 rat:2", "", "'a' 'b'", "b a"},
	"int4range": {"[1,5)", "empty", "(,3]", "[1,4]", "[2,3)"},
	"geometry":  geometryRows,
}

// keyedSpellings are values of the types compared by a key (interval,
// timetz, money: model.CanonPG), in PostgreSQL's input forms: some
// spell one value twice ("1 day", "24:00:00"), some are equal only
// after normalising ("1 mon", "30 days"; not "12:00+01" and
// "11:00+00", which are one instant but not equal).
var keyedSpellings = map[string][]string{
	"interval": {"1 day", "24:00:00", "1 mon", "30 days", "-1 days", "@ 1 day ago", "00:00:00.000001", "0", "P1Y",
		"1 mon -30 days 00:00:01", "-00:00:01", "1 day 02:00:00", "P1DT2H", "26 hours"},
	"timetz": {"12:00+01", "11:00+00", "11:00:00.000001+00", "12:00:00+01:00", "00:00-14", "24:00+14", "10:59:59.999999Z", "12:00-01"},
	"money":  {"$1,234.56", "1234.56", "1234.555", "-1234.56", "(0.01)", "0", "-0.004", "92233720368547758.07", "-92233720368547758.08", "0.01"},
}

// keyedStorage maps each key of keyedSpellings to its first spelling:
// the text the database stores for it (model.CanonPG's would do too,
// but another spelling puts PostgreSQL's normalisation to the test).
var keyedStorage = map[string]string{}

func init() {
	for _, t := range canonTypes {
		sp, ok := keyedSpellings[t.Declared]
		if t.Canon == model.CanonInet {
			// inet's key (model.CanonPG gives the text stored).
			sp, ok = nil, true
			for _, v := range canonValues[t.Declared] {
				sp = append(sp, v.(string))
			}
		}
		if !ok {
			continue
		}
		var keys []any
		for _, s := range sp {
			k, err := model.CoerceColumn(t, s, false)
			if err != nil {
				panic(fmt.Sprintf("%s %q: %v", t.Declared, s, err))
			}
			if _, seen := keyedStorage[k.(string)]; !seen {
				keyedStorage[k.(string)] = s
				keys = append(keys, k)
			}
		}
		canonValues[t.Declared] = keys
	}
}

// canonValues are values of the canonical-text types generated, in their
// canonical text (row values and literals are canonical, as load and
// Check make them).
var canonValues = map[string][]any{
	"time":  {"00:00:00.000000", "09:30:00.000000", "09:30:00.000001", "23:59:59.999999", "24:00:00.000000"},
	"bytea": {`\x`, `\x00`, `\xde`, `\xdead`, `\xdf`, `\xff00`},
	"inet": {"10.0.0.1/32", "10.0.0.1/24", "10.0.0.0/24", "10.0.0.2/8", "10.0.0.0/9", "::1/128", "192.168.0.0/16",
		"::ffff:10.0.0.1/128", "::/0", "0.0.0.0/0"},
	"integer[]": {"{}", "{1}", "{1,2}", "{2,1}", "{1,NULL}", "{{1,2},{3,4}}", "{-1}"},
	"text[]":    {"{}", "{a}", `{a,"b c"}`, `{"",NULL}`, `{"NULL"}`, `{A}`, `{"q\"u"}`},
}

// values are the edge values per kind, canonical (jsonb as JSON text).
var values = map[model.Kind][]any{
	model.KindInteger: {json.Number("0"), json.Number("1"), json.Number("2"), json.Number("3"), json.Number("-1"), json.Number("42"), json.Number("9007199254740993"),
		json.Number("9223372036854775807"), json.Number("9223372036854775806"), json.Number("-9223372036854775808")},
	model.KindNumeric: {json.Number("0"), json.Number("1.5"), json.Number("-2.25"), json.Number("10"), json.Number("0.1"), json.Number("3")},
	model.KindText: {"", "a", "A", "ab", "a b", "a ", "abc", "ABC", "b", "é", "É", "ß", "K", "k", "s", "ſ", "%", "_",
		`\`, "a%b", "a_b", "x\nb", "a\n", "\n", "🙂", "straße", "STRASSE", "σ", "ς", "Σ", "zz", "a\u00a0b"},
	model.KindBoolean: {true, false},
	model.KindUUID: {"00000000-0000-0000-0000-000000000000", "123e4567-e89b-12d3-a456-426614174000",
		"ffffffff-ffff-ffff-ffff-ffffffffffff", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	model.KindDate: {"2024-01-01", "2024-02-29", "1999-12-31", "2024-01-02"},
	model.KindTimestamp: {"2024-01-01T10:00:00.000000", "2024-01-01T10:00:00.500000", "2024-01-01T09:59:59.999999",
		"1999-12-31T23:59:59.000000"},
	model.KindTimestamptz: {"2024-01-01T08:00:00.000000Z", "2024-01-01T10:00:00.000000Z", "2023-12-31T22:00:00.000001Z",
		"2024-02-29T00:00:00.000000Z"},
	model.KindJSONB: {`{"a":1}`, `{"a":[1,2],"b":"x"}`, `["a","b"]`, `[["a"]]`, `"a"`, `1`, `true`, `{"k":"a"}`,
		`[1,"a",{"a":1}]`, `{}`, `[]`, `{"a":{"b":[1,{"c":null}]}}`, `{"a":1.0}`, `{"x y":2,"q\"u":[]}`, `[1,2,2]`, `"k"`,
		// JSON null (model.JSONNull) and nulls inside values.
		`null`, `null`, `[null]`, `[null,1]`, `{"a":null}`, `"null"`},
}
