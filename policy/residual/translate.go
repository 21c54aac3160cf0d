package residual

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
)

// Source is what Translate needs besides the partial evaluation result.
type Source struct {
	// Policy resolves tables and relationships.
	Policy *model.Policy
	// Table is the permission's (root) table.
	Table *model.Table
	// Root is the input path of the root row: "input.row" (filters, the
	// insert check, column conditions) or "input.new_row" (the update
	// check).
	Root string
	// Patterns maps the regular expressions of literal patterns back to
	// the operator and pattern the rule states (see Patterns). Optional: a
	// regular expression not in it is shown as a _regex.
	Patterns map[string]PatternOrigin
}

// PatternOrigin is the operator and pattern a regular expression came
// from.
type PatternOrigin struct {
	Op      model.Operator
	Pattern string
}

// Patterns collects the literal patterns of pattern operators in es, by
// the regular expression the compiler gives them, with the operator as
// evaluated (compile.EffectiveOp: a _like on citext is an _ilike).
func Patterns(es ...model.BoolExp) map[string]PatternOrigin {
	out := map[string]PatternOrigin{}
	for _, e := range es {
		model.EachCompare(e, func(x model.Compare) {
			lit, ok := x.Value.(model.Literal)
			p, isStr := lit.V.(string)
			if !ok || !isStr || !compile.IsPatternOp(x.Op) {
				return
			}
			// As compiled: on citext, _like is _ilike and _regex _iregex.
			op := compile.EffectiveOp(x.Column, x.Op)
			re, err := compile.PatternRegex(op, p)
			if err != nil {
				return
			}
			if _, seen := out[re]; !seen {
				pos, _ := op.Positive()
				out[re] = PatternOrigin{Op: pos, Pattern: p}
			}
		})
	}
	return out
}

// TranslateError says why a residual could not be translated.
type TranslateError struct {
	// Expr is the Rego expression that could not be translated.
	Expr   string
	Reason string
}

func (e *TranslateError) Error() string {
	if e.Expr == "" {
		return "residual: " + e.Reason
	}
	return fmt.Sprintf("residual: %s: %s", e.Expr, e.Reason)
}

// maxSupportDepth bounds the nesting of support rules (NOT over NOT ...).
const maxSupportDepth = 64

// Translate turns the queries and support modules of a partial evaluation
// of a compiled rule (with input.row, input.new_row, input.session and
// input.tables unknown, and the data.warden.lib functions not inlined) into
// a predicate on the root row. The queries are OR-ed; no query is FALSE,
// an empty query TRUE. A support rule (a compiled helper kept out of
// inlining, see compile.Module.HelperRefs, or one partial evaluation made
// for a NOT) becomes the OR of its bodies where it is referenced, so the
// predicate keeps the rule's nesting. The result is simplified.
func Translate(queries []ast.Body, support []*ast.Module, src Source) (Expr, error) {
	t := &translator{src: src, rules: map[string][]*ast.Rule{}, scopes: map[string]*scope{}}
	if src.Root == "" {
		t.src.Root = "input.row"
	}
	for _, m := range support {
		for _, r := range m.Rules {
			key := m.Package.Path.String() + "." + string(r.Head.Name)
			if r.Head.Name == "" {
				key = r.Head.Ref().String()
			}
			t.rules[key] = append(t.rules[key], r)
		}
	}
	t.root = &scope{key: "root", table: src.Table}
	items := make([]Expr, 0, len(queries))
	for _, q := range queries {
		e, err := t.body(q, nil, t.root)
		if err != nil {
			return nil, err
		}
		items = append(items, e)
	}
	return Simplify(Or{Items: items}), nil
}

type translator struct {
	src    Source
	rules  map[string][]*ast.Rule
	root   *scope
	scopes map[string]*scope
	depth  int
}

// scope is a row the residual ranges over: the root row, a related row
// (through an object relationship, or an element of an array
// relationship), or a row of another table (_exists).
type scope struct {
	key    string
	parent *scope // nil for the root and for tables
	table  *model.Table
	rel    *model.Relationship // nil for the root and tables
	level  int
}

func (s *scope) within(o *scope) bool {
	for x := s; x != nil; x = x.parent {
		if x == o {
			return true
		}
	}
	return false
}

func (t *translator) child(parent *scope, key string, table *model.Table, rel *model.Relationship) *scope {
	if s, ok := t.scopes[key]; ok {
		return s
	}
	lvl := 1
	if parent != nil {
		lvl = parent.level + 1
	}
	s := &scope{key: key, parent: parent, table: table, rel: rel, level: lvl}
	t.scopes[key] = s
	return s
}

// term is a resolved Rego term: a column of a scope (lower-cased when
// lower is set: the Rego's lower(column); padded with spaces to pad
// characters when pad is set: the library's bpchar_pad(column, pad)), a
// scope itself (a related row), a parameter or a constant.
type term struct {
	scope  *scope // column or row
	column *model.Column
	lower  bool
	pad    int
	param  *Param
	value  any
	isVal  bool
}

// leaf is one expression of a body: the scopes it reads and how to build
// its predicate once placed at a scope.
type leaf struct {
	scopes []*scope
	build  func(at *scope) (Expr, error)
}

// body translates one conjunction evaluated with cur as the current row;
// env binds variables (support rule arguments, aliases).
func (t *translator) body(b ast.Body, env map[ast.Var]term, cur *scope) (Expr, error) {
	env = copyEnv(env)
	rest, exist, err := t.aliases(b, env)
	if err != nil {
		return nil, err
	}
	leaves := make([]leaf, 0, len(rest)+len(exist))
	for _, s := range exist {
		leaves = append(leaves, leaf{scopes: []*scope{s}, build: func(*scope) (Expr, error) { return True{}, nil }})
	}
	for _, e := range rest {
		l, err := t.expr(e, env)
		if err != nil {
			return nil, err
		}
		leaves = append(leaves, l)
	}
	return t.assemble(leaves, cur)
}

func copyEnv(env map[ast.Var]term) map[ast.Var]term {
	out := make(map[ast.Var]term, len(env))
	for k, v := range env {
		out[k] = v
	}
	return out
}

// aliases binds variables unified with a row or column path (v = path),
// returning the other expressions and the rows the aliases assert exist.
func (t *translator) aliases(b ast.Body, env map[ast.Var]term) ([]*ast.Expr, []*scope, error) {
	pending := make([]*ast.Expr, 0, len(b))
	for _, e := range b {
		pending = append(pending, e)
	}
	var exist []*scope
	for changed := true; changed; {
		changed = false
		next := pending[:0:0]
		for _, e := range pending {
			v, other, ok := aliasOf(e, env)
			if !ok {
				next = append(next, e)
				continue
			}
			rt, err := t.resolve(other, env)
			if err != nil {
				// The path may depend on an alias bound later.
				next = append(next, e)
				continue
			}
			env[v] = rt
			if rt.scope != nil && rt.column == nil {
				exist = append(exist, rt.scope)
			}
			changed = true
		}
		pending = next
	}
	return pending, exist, nil
}

// aliasOf recognises `v = ref` and `ref = v` with v unbound, and the same
// with lower(ref) or the library's bpchar_pad(ref, n) for ref (also as the
// calls lower(ref, v) and bpchar_pad(ref, n, v)): partial evaluation names
// a lower-cased citext column and a padded character(n) column so. `v =
// constant` and `v = w` with v unbound and w bound bind v too.
func aliasOf(e *ast.Expr, env map[ast.Var]term) (ast.Var, *ast.Term, bool) {
	if e.Negated || !e.IsEquality() && !e.IsCall() {
		return "", nil, false
	}
	ops := e.Operands()
	unbound := func(t *ast.Term) (ast.Var, bool) {
		v, ok := t.Value.(ast.Var)
		if !ok {
			return "", false
		}
		if v.IsWildcard() || v == "_" {
			return v, true // every _ is a variable of its own
		}
		_, bound := env[v]
		return v, !bound
	}
	if e.IsCall() {
		name := e.Operator().String()
		switch {
		case name == "eq" && len(ops) == 2:
		case name == "lower" && len(ops) == 2:
			if v, ok := unbound(ops[1]); ok {
				return v, ast.CallTerm(ast.RefTerm(ast.VarTerm("lower")), ops[0]), true
			}
			return "", nil, false
		case isPadCall(name) && len(ops) == 3:
			if v, ok := unbound(ops[2]); ok {
				if padded, ok := padConstant(ops[0], ops[1]); ok {
					// A known value (a row the request sent, when
					// another column is unknown): the padded text.
					return v, padded, true
				}
				return v, ast.CallTerm(ast.RefTerm(e.Operator().Copy()...), ops[0], ops[1]), true
			}
			return "", nil, false
		default:
			return "", nil, false
		}
	}
	if len(ops) != 2 {
		return "", nil, false
	}
	for i := 0; i < 2; i++ {
		v, ok := unbound(ops[i])
		if !ok {
			continue
		}
		switch x := ops[1-i].Value.(type) {
		case ast.Ref:
			return v, ops[1-i], true
		case ast.Var:
			// v = w with w bound: another name for w's term (partial
			// evaluation copies a row variable so in support rules).
			if _, bound := env[x]; bound && !x.IsWildcard() {
				return v, ops[1-i], true
			}
		case ast.Call:
			if len(x) == 2 && x[0].String() == "lower" || len(x) == 3 && isPadCall(x[0].String()) {
				return v, ops[1-i], true
			}
		default:
			// _ = true: partial evaluation binds the rule's value so when
			// the body keeps a library call with a result
			// (bpchar_pad). Binding a fresh variable always succeeds.
			if ast.IsConstant(x) {
				return v, ops[1-i], true
			}
		}
	}
	return "", nil, false
}

// padConstant is bpchar_pad(s, n) of a constant string and a constant
// positive length: s padded with spaces to n characters (PadSpaces).
func padConstant(s, n *ast.Term) (*ast.Term, bool) {
	str, ok := s.Value.(ast.String)
	num, isNum := n.Value.(ast.Number)
	if !ok || !isNum {
		return nil, false
	}
	k, ok := num.Int()
	if !ok || k < 1 {
		return nil, false
	}
	return ast.StringTerm(PadSpaces(string(str), k)), true
}

// isPadCall says whether a function name is the library's bpchar_pad (as
// compiled, or as partial evaluation's copy under data.partial).
func isPadCall(name string) bool {
	name = strings.TrimPrefix(strings.TrimPrefix(name, "data.partial."), "data.")
	return name == compile.LibPackage+"."+compile.BpcharPad
}

// assemble places every leaf at the deepest row it reads and nests the
// rows the body introduces as EXISTS under the rows they hang from.
func (t *translator) assemble(leaves []leaf, cur *scope) (Expr, error) {
	outer := func(s *scope) bool { return s == t.root || cur.within(s) }
	placed := map[*scope][]Expr{}
	children := map[*scope][]*scope{}
	seen := map[*scope]bool{}
	var own func(s *scope) error
	own = func(s *scope) error {
		if outer(s) || seen[s] {
			return nil
		}
		seen[s] = true
		parent := s.parent
		if parent == nil || outer(parent) {
			if parent != nil && parent != cur {
				return &TranslateError{Reason: fmt.Sprintf("relationship %s hangs from a row other than the current one", s.key)}
			}
			parent = cur
		} else if err := own(parent); err != nil {
			return err
		}
		children[parent] = append(children[parent], s)
		return nil
	}
	for _, l := range leaves {
		at := cur
		for _, s := range l.scopes {
			if err := own(s); err != nil {
				return nil, err
			}
			if outer(s) {
				continue
			}
			switch {
			case at == cur || s.within(at):
				at = s
			case at.within(s):
			default:
				return nil, &TranslateError{Reason: fmt.Sprintf("an expression reads two unrelated rows (%s, %s)", at.key, s.key)}
			}
		}
		e, err := l.build(at)
		if err != nil {
			return nil, err
		}
		placed[at] = append(placed[at], e)
	}
	var nest func(s *scope) (Expr, error)
	nest = func(s *scope) (Expr, error) {
		items := append([]Expr(nil), placed[s]...)
		kids := children[s]
		sort.Slice(kids, func(i, j int) bool { return kids[i].key < kids[j].key })
		for _, k := range kids {
			w, err := nest(k)
			if err != nil {
				return nil, err
			}
			ex := Exists{Table: k.table.Name, Where: w}
			if k.rel != nil {
				ex.Relationship = k.rel.Name
				ex.On = k.rel.Mapping
				ex.Function = k.rel.Function
			}
			items = append(items, ex)
		}
		return And{Items: items}, nil
	}
	return nest(cur)
}

// resolve resolves a term of an expression.
func (t *translator) resolve(x *ast.Term, env map[ast.Var]term) (term, error) {
	switch v := x.Value.(type) {
	case ast.Var:
		if b, ok := env[v]; ok {
			return b, nil
		}
		return term{}, &TranslateError{Expr: x.String(), Reason: "unbound variable"}
	case ast.Ref:
		return t.path(v, env)
	case ast.Call:
		// lower(column): the column side of a comparison on citext.
		if len(v) == 2 && v[0].String() == "lower" {
			r, err := t.resolve(v[1], env)
			if err != nil {
				return term{}, err
			}
			return lowered(x.String(), r)
		}
		// bpchar_pad(column, n): the column side of a pattern match on
		// character(n).
		if len(v) == 3 && isPadCall(v[0].String()) {
			r, err := t.resolve(v[1], env)
			if err != nil {
				return term{}, err
			}
			n, err := t.resolve(v[2], env)
			if err != nil {
				return term{}, err
			}
			return padded(x.String(), r, n)
		}
		return term{}, &TranslateError{Expr: x.String(), Reason: "a call other than lower(column) or bpchar_pad(column, n) inside an expression"}
	}
	if !ast.IsConstant(x.Value) {
		return term{}, &TranslateError{Expr: x.String(), Reason: "not a constant, a row or a session variable"}
	}
	if st, ok := x.Value.(ast.Set); ok && st.Len() == 0 {
		// compile.JSONNullTerm: a jsonb JSON null, not an empty list.
		return term{value: model.JSONNull, isVal: true}, nil
	}
	g, err := ast.JSON(x.Value)
	if err != nil {
		return term{}, &TranslateError{Expr: x.String(), Reason: err.Error()}
	}
	return term{value: g, isVal: true}, nil
}

// path resolves a reference into the input document.
func (t *translator) path(r ast.Ref, env map[ast.Var]term) (term, error) {
	bad := func(reason string) (term, error) {
		return term{}, &TranslateError{Expr: r.String(), Reason: reason}
	}
	var at term
	var rest ast.Ref
	switch h := r[0].Value.(type) {
	case ast.Var:
		if h == "input" {
			if len(r) < 2 {
				return bad("the whole input document")
			}
			seg, _ := r[1].Value.(ast.String)
			switch root := "input." + string(seg); {
			case root == t.src.Root:
				at, rest = term{scope: t.root}, r[2:]
			case seg == "session":
				return t.param(r)
			case seg == "tables":
				if len(r) < 4 {
					return bad("a whole table")
				}
				name, _ := r[2].Value.(ast.String)
				tv, ok := r[3].Value.(ast.Var)
				if !ok {
					return bad("a table row that is not iterated")
				}
				tn, err := model.ParseTableName(string(name))
				if err != nil {
					return bad(err.Error())
				}
				tbl, ok := t.src.Policy.Tables[tn]
				if !ok {
					return bad("unknown table " + tn.String())
				}
				key := "tables[" + tn.String() + "][" + string(tv) + "]"
				at, rest = term{scope: t.child(nil, key, tbl, nil)}, r[4:]
			default:
				return bad("not the row the rule is about")
			}
			break
		}
		b, ok := env[h]
		if !ok || b.scope == nil || b.column != nil {
			return bad("a reference through an unbound variable")
		}
		at, rest = b, r[1:]
	default:
		return bad("not a reference into the input")
	}
	for i := 0; i < len(rest); i++ {
		name, ok := rest[i].Value.(ast.String)
		if !ok {
			return bad("a column or relationship name that is not a string")
		}
		tbl := at.scope.table
		if c, ok := tbl.Field(string(name)); ok {
			if i != len(rest)-1 {
				return bad("a reference into a column value")
			}
			return term{scope: at.scope, column: c}, nil
		}
		rel, ok := tbl.Relationships[string(name)]
		if !ok {
			return bad(fmt.Sprintf("%s has no column or relationship %q", tbl.Name, name))
		}
		target, ok := t.src.Policy.Tables[rel.Target]
		if !ok {
			return bad("unknown table " + rel.Target.String())
		}
		key := at.scope.key + "." + string(name)
		if rel.Kind == model.RelArray {
			if i+1 >= len(rest) {
				return bad("a whole array relationship")
			}
			v, ok := rest[i+1].Value.(ast.Var)
			if !ok {
				return bad("an array relationship element that is not iterated")
			}
			i++
			key += "[" + string(v) + "]"
		}
		at = term{scope: t.child(at.scope, key, target, rel)}
	}
	return at, nil
}

// lowered is the term lower(r): r must be a text column (the compiler
// lower-cases nothing else; lower() of anything but a string is undefined).
func lowered(expr string, r term) (term, error) {
	if r.column == nil || r.column.Type.Kind != model.KindText || r.pad > 0 {
		return term{}, &TranslateError{Expr: expr, Reason: "lower() of something other than a text column"}
	}
	r.lower = true
	return r, nil
}

// padded is the term bpchar_pad(r, n): r must be a text column and n a
// positive integer constant (the compiler pads character(n) columns by
// their n only).
func padded(expr string, r, n term) (term, error) {
	if r.column == nil || r.column.Type.Kind != model.KindText || r.lower || r.pad > 0 {
		return term{}, &TranslateError{Expr: expr, Reason: "bpchar_pad() of something other than a text column"}
	}
	num, ok := n.value.(json.Number)
	if !n.isVal || !ok {
		return term{}, &TranslateError{Expr: expr, Reason: "bpchar_pad() to a length that is not a constant"}
	}
	k, err := strconv.Atoi(string(num))
	if err != nil || k < 1 {
		return term{}, &TranslateError{Expr: expr, Reason: "bpchar_pad() to a length that is not a positive integer"}
	}
	r.pad = k
	return r, nil
}

// kinds maps the names compile.SessionKind uses back to kinds.
var kinds = func() map[string]model.Kind {
	m := map[string]model.Kind{}
	for k := model.KindInteger; k <= model.KindOpaque; k++ {
		m[k.String()] = k
	}
	return m
}()

// param resolves input.session.<kind>[name], input.session["<kind>[]"][name]
// and input.session.pattern["<op>:<name>"].
func (t *translator) param(r ast.Ref) (term, error) {
	bad := &TranslateError{Expr: r.String(), Reason: "not a session variable reference"}
	if len(r) != 4 {
		return term{}, bad
	}
	group, ok1 := r[2].Value.(ast.String)
	name, ok2 := r[3].Value.(ast.String)
	if !ok1 || !ok2 {
		return term{}, bad
	}
	if group == "pattern" {
		op, n, ok := strings.Cut(string(name), ":")
		if !ok || !compile.IsPatternOp(model.Operator(op)) {
			return term{}, bad
		}
		return term{param: &Param{Name: n, Kind: model.KindText, Pattern: model.Operator(op)}}, nil
	}
	if op, enum, ok := strings.Cut(string(group), ":"); ok && strings.HasPrefix(op, "enum_") {
		o := model.Operator(strings.TrimPrefix(op, "enum"))
		switch o {
		case model.OpGt, model.OpLt, model.OpGte, model.OpLte:
			return term{param: &Param{Name: string(name), Kind: model.KindText, Array: true, Enum: enum, Order: o}}, nil
		}
		return term{}, bad
	}
	g, array := strings.CutSuffix(string(group), "[]")
	p := &Param{Name: string(name), Array: array}
	switch {
	case strings.HasPrefix(g, compile.SessionEnum):
		p.Kind, p.Enum = model.KindText, strings.TrimPrefix(g, compile.SessionEnum)
	case strings.HasPrefix(g, compile.SessionCanon):
		p.Kind, p.Canon = model.KindText, strings.TrimPrefix(g, compile.SessionCanon)
	case g == compile.SessionCitext:
		p.Kind, p.Fold = model.KindText, true
	case g == compile.SessionBpchar:
		p.Kind, p.PadSpace = model.KindText, true
	default:
		k, ok := kinds[g]
		if !ok {
			return term{}, bad
		}
		p.Kind = k
	}
	return term{param: p}, nil
}
