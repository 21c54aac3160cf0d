package residual

import (
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
)

// expr translates one expression of a body into a leaf.
func (t *translator) expr(e *ast.Expr, env map[ast.Var]term) (leaf, error) {
	l, err := t.positive(e, env)
	if err != nil {
		return leaf{}, err
	}
	if e.Negated {
		inner := l.build
		l.build = func(at *scope) (Expr, error) {
			x, err := inner(at)
			if err != nil {
				return nil, err
			}
			return Not{Item: x}, nil
		}
	}
	return l, nil
}

func (t *translator) positive(e *ast.Expr, env map[ast.Var]term) (leaf, error) {
	fail := func(reason string) (leaf, error) {
		return leaf{}, &TranslateError{Expr: e.String(), Reason: reason}
	}
	if len(e.With) > 0 {
		return fail("with modifiers are not supported")
	}
	switch x := e.Terms.(type) {
	case *ast.Term:
		return t.termExpr(e, x, env)
	case *ast.Every:
		return fail("every is not supported")
	case *ast.SomeDecl:
		return fail("some declarations are not supported")
	case []*ast.Term:
		op := e.Operator().String()
		args := x[1:]
		if t.isSupport(op) {
			return t.support(e, op, args, env)
		}
		if op == "eq" && len(args) == 2 {
			// support = v: partial evaluation's form of a reference to a
			// support rule when it does not propagate the value.
			for i := 0; i < 2; i++ {
				if r, ok := args[i].Value.(ast.Ref); ok && t.isSupport(r.String()) {
					return t.support(e, r.String(), []*ast.Term{args[1-i]}, env)
				}
			}
		}
		if fn := libFunction(op); fn != "" && constantArgs(args) {
			holds, err := libHolds(fn, args)
			if err != nil {
				return fail("library call on constants: " + err.Error())
			}
			var x Expr = False{}
			if holds {
				x = True{}
			}
			return leaf{build: func(*scope) (Expr, error) { return x, nil }}, nil
		}
		resolved := make([]term, len(args))
		for i, a := range args {
			r, err := t.resolve(a, env)
			if err != nil {
				return leaf{}, err
			}
			resolved[i] = r
		}
		return t.call(e, op, resolved)
	}
	return fail("unsupported expression")
}

// termExpr translates an expression that is a single term: a support rule
// (a helper, or the NOT of a compound), a row that must exist, or a
// constant.
func (t *translator) termExpr(e *ast.Expr, x *ast.Term, env map[ast.Var]term) (leaf, error) {
	if r, ok := x.Value.(ast.Ref); ok && t.isSupport(r.String()) {
		return t.support(e, r.String(), nil, env)
	}
	if b, ok := x.Value.(ast.Boolean); ok {
		return constLeaf(bool(b)), nil
	}
	rt, err := t.resolve(x, env)
	if err != nil {
		return leaf{}, err
	}
	if b, ok := rt.value.(bool); rt.isVal && ok {
		// A variable bound to a constant (a support rule's value).
		return constLeaf(b), nil
	}
	if rt.scope != nil && rt.column == nil {
		return leaf{scopes: []*scope{rt.scope}, build: func(*scope) (Expr, error) { return True{}, nil }}, nil
	}
	return leaf{}, &TranslateError{Expr: e.String(), Reason: "a value used as a condition"}
}

func constLeaf(b bool) leaf {
	return leaf{build: func(*scope) (Expr, error) {
		if b {
			return True{}, nil
		}
		return False{}, nil
	}}
}

// isSupport says whether name is a support rule of the partial evaluation
// other than a library function's copy: a compiled helper kept out of
// inlining (any_N, exists_N), or a rule partial evaluation generated for a
// negated compound (__not...).
func (t *translator) isSupport(name string) bool {
	if !strings.HasPrefix(name, "data.partial.") || strings.HasPrefix(name, "data.partial."+compile.LibPackage+".") {
		return false
	}
	_, ok := t.rules[name]
	return ok
}

// support translates a reference to (or call of) a support rule: the OR
// of its bodies, evaluated at the row its arguments name. Each reference
// is one Or node, so the predicate grows with the rule; nothing is
// distributed. args may end with one more term than the rule has
// parameters, the value the call is unified with: every support rule's
// value is true (compiled helpers and partial evaluation's NOT rules hold
// or are undefined), so an unbound variable there is bound to true and
// the constant true is accepted.
func (t *translator) support(e *ast.Expr, name string, args []*ast.Term, env map[ast.Var]term) (leaf, error) {
	rules, ok := t.rules[name]
	if !ok {
		return leaf{}, &TranslateError{Expr: e.String(), Reason: "unknown support rule"}
	}
	for _, r := range rules {
		if r.Head.Value != nil && !r.Head.Value.Equal(ast.BooleanTerm(true)) || len(r.Head.Args) != len(rules[0].Head.Args) {
			return leaf{}, &TranslateError{Expr: e.String(), Reason: "a support rule whose value is not true"}
		}
	}
	if n := len(rules[0].Head.Args); len(args) == n+1 {
		if err := t.supportValue(e, args[n], env); err != nil {
			return leaf{}, err
		}
		args = args[:n]
	}
	bound := make([]term, len(args))
	var at *scope
	for i, a := range args {
		r, err := t.resolve(a, env)
		if err != nil {
			return leaf{}, err
		}
		bound[i] = r
		if r.scope != nil && (at == nil || r.scope.level > at.level) {
			at = r.scope
		}
	}
	var scopes []*scope
	if at != nil {
		scopes = []*scope{at}
	}
	return leaf{scopes: scopes, build: func(cur *scope) (Expr, error) {
		if at != nil && at != cur && at != t.root {
			return nil, &TranslateError{Expr: e.String(), Reason: "support rule arguments from different rows"}
		}
		t.depth++
		defer func() { t.depth-- }()
		if t.depth > maxSupportDepth {
			return nil, &TranslateError{Expr: e.String(), Reason: "support rules nested too deeply"}
		}
		items := make([]Expr, 0, len(rules))
		for _, r := range rules {
			if len(r.Head.Args) != len(bound) {
				return nil, &TranslateError{Expr: e.String(), Reason: "support rule arity"}
			}
			renv := make(map[ast.Var]term, len(bound))
			for i, a := range r.Head.Args {
				v, ok := a.Value.(ast.Var)
				if !ok {
					return nil, &TranslateError{Expr: e.String(), Reason: "support rule with a non-variable argument"}
				}
				renv[v] = bound[i]
			}
			x, err := t.body(r.Body, renv, cur)
			if err != nil {
				return nil, err
			}
			items = append(items, x)
		}
		return Or{Items: items}, nil
	}}, nil
}

// supportValue binds the term a support rule's value is unified with: an
// unbound variable becomes true; the constant true is accepted.
func (t *translator) supportValue(e *ast.Expr, x *ast.Term, env map[ast.Var]term) error {
	switch v := x.Value.(type) {
	case ast.Var:
		if _, bound := env[v]; !bound || v.IsWildcard() {
			env[v] = term{value: true, isVal: true}
			return nil
		}
	case ast.Boolean:
		if v {
			return nil
		}
	}
	return &TranslateError{Expr: e.String(), Reason: "a support rule's value unified with something other than true or a new variable"}
}

// call translates a built-in or library call whose arguments are resolved.
func (t *translator) call(e *ast.Expr, op string, args []term) (leaf, error) {
	fail := func(reason string) (leaf, error) {
		return leaf{}, &TranslateError{Expr: e.String(), Reason: reason}
	}
	op = strings.TrimPrefix(strings.TrimPrefix(op, "data.partial."), "data.")
	for i, a := range args {
		if a.pad > 0 && (op != "regex.match" || i != 1) {
			// The compiler pads a character(n) column for pattern
			// operators only.
			return fail("a padded character(n) column outside a pattern match")
		}
	}
	switch op {
	case "eq", "equal", "neq", "gt", "lt", "gte", "lte":
		if len(args) != 2 {
			return fail("arity")
		}
		return t.compare(e, op, args[0], args[1])
	case "lower":
		// lower(column, x): partial evaluation's form of lower(column) == x.
		if len(args) != 2 {
			return fail("arity")
		}
		col, err := lowered(e.String(), args[0])
		if err != nil {
			return leaf{}, err
		}
		return t.compare(e, "eq", col, args[1])
	case "internal.member_2":
		if len(args) != 2 || args[0].column == nil {
			return fail("membership of something other than a column")
		}
		col, list := args[0], args[1]
		if list.param == nil && !isList(list) {
			return fail("membership in something other than a list")
		}
		return columnLeaf(col, nil, func(c Column, _ Operand) Expr {
			return In{Column: c, List: operandOf(list, c.Kind)}
		}), nil
	case "warden.lib." + compile.NotIn, "warden.lib." + compile.NotInLower:
		// NOT (c = ANY(list)): TRUE for an empty list, a NULL c included.
		if len(args) != 2 || args[0].column == nil || args[0].lower || args[0].pad > 0 {
			return fail("not_in of something other than a column")
		}
		col, list := args[0], args[1]
		if op == "warden.lib."+compile.NotInLower {
			var err error
			if col, err = lowered(e.String(), col); err != nil {
				return leaf{}, err
			}
		}
		if list.param == nil && !isList(list) {
			return fail("not_in of something other than a list")
		}
		return columnLeaf(col, nil, func(c Column, _ Operand) Expr {
			l := operandOf(list, c.Kind)
			raw := c
			raw.Lower = false
			return Or{Items: []Expr{Empty{List: l}, And{Items: []Expr{Not{Item: IsNull{Column: raw}}, Not{Item: In{Column: c, List: l}}}}}}
		}), nil
	case "regex.match":
		if len(args) == 2 && args[0].isVal && args[1].isVal {
			// A pattern and a known value (a row the request sent,
			// padded when character(n)): decided now, by Go's regexp as
			// by Rego's regex.match.
			pat, okP := args[0].value.(string)
			subject, okS := args[1].value.(string)
			re, err := compiledRegexp(pat)
			if !okP || !okS || err != nil {
				return fail("a pattern match of constants that are not a valid pattern and text")
			}
			var holds Expr = False{}
			if re.MatchString(subject) {
				holds = True{}
			}
			return leaf{build: func(*scope) (Expr, error) { return holds, nil }}, nil
		}
		if len(args) != 2 || args[1].column == nil || args[1].lower {
			return fail("a pattern match on something other than a column")
		}
		pat, col := args[0], args[1]
		return columnLeaf(col, nil, func(c Column, _ Operand) Expr {
			return t.match(c, pat)
		}), nil
	case "is_object":
		if len(args) != 1 || args[0].scope == nil || args[0].column != nil {
			return fail("is_object of something other than a related row")
		}
		return leaf{scopes: []*scope{args[0].scope}, build: func(*scope) (Expr, error) { return True{}, nil }}, nil
	case "warden.lib." + compile.Spatial:
		// A PostGIS operator: data.warden.lib.spatial(op, column, value).
		if len(args) != 3 {
			return fail("arity")
		}
		name, ok := args[0].value.(string)
		op := model.Operator(name)
		col, val := args[1], args[2]
		if !ok || !args[0].isVal || !model.IsSpatial(op) {
			return fail("a spatial call without a PostGIS operator")
		}
		if col.column == nil || col.column.Type.Spatial == "" || col.lower || val.column != nil || val.scope != nil {
			return fail("a spatial call that does not compare a PostGIS column with a value")
		}
		geography := col.column.Type.Spatial == model.SpatialGeography
		return columnLeaf(col, nil, func(c Column, _ Operand) Expr {
			return Spatial{Op: op, Column: c, Value: operandOf(val, model.KindJSONB), Geography: geography}
		}), nil
	case "warden.lib." + compile.SpatialCast:
		// A PostGIS operator on the column cast to the other PostGIS
		// type (Hasura's _cast): data.warden.lib.spatial_cast(type, op,
		// column, value).
		if len(args) != 4 {
			return fail("arity")
		}
		cast, op, ok := castCall(args)
		col, val := args[2], args[3]
		if !ok || !model.IsSpatial(op) {
			return fail("a spatial cast call without a PostGIS type and operator")
		}
		if col.column == nil || !model.SpatialCast(col.column, cast) || col.lower || val.column != nil || val.scope != nil {
			return fail("a spatial cast call that does not cast a PostGIS column to the other PostGIS type")
		}
		if cast == model.SpatialGeography && !model.SpatialOnGeography(op) {
			return fail("a PostGIS operator that does not apply to the cast's type")
		}
		geography := cast == model.SpatialGeography
		return columnLeaf(col, nil, func(c Column, _ Operand) Expr {
			return Spatial{Op: op, Column: c, Value: operandOf(val, model.KindJSONB), Geography: geography, Cast: cast}
		}), nil
	case "warden.lib." + compile.Database:
		// ltree's lquery operators, ltree and array ordering:
		// data.warden.lib.database(op, column, value).
		if len(args) != 3 {
			return fail("arity")
		}
		name, ok := args[0].value.(string)
		op := model.Operator(name)
		col, val := args[1], args[2]
		if !ok || !args[0].isVal || col.column == nil || col.lower || val.lower || val.scope != nil && val.column == nil {
			return fail("a database call that does not compare a column with a value or a column")
		}
		d, ok := model.DatabaseDecided(col.column, op)
		if !ok || model.IsSpatial(op) {
			return fail("a database call with an operator Warden evaluates")
		}
		_, columns := model.DatabaseColumns[op]
		if columns != (val.column != nil) {
			return fail("a database call whose operand is not what its operator takes")
		}
		if columns {
			// _ceq ... of two columns: a > b, no cast; Type names the
			// columns' type.
			return columnLeaf(col, &val, func(c Column, o Operand) Expr {
				return Database{Op: op, Column: c, Value: o, Symbol: d.Symbol, Type: col.column.Type.Declared}
			}), nil
		}
		typ := d.Type
		if typ == "" {
			typ = col.column.Type.Cast
		}
		return columnLeaf(col, nil, func(c Column, _ Operand) Expr {
			return Database{Op: op, Column: c, Value: operandOf(val, model.KindText), Symbol: d.Symbol, Type: typ}
		}), nil
	case "warden.lib." + compile.DatabaseCast:
		// A text operator on a jsonb column cast to text (Hasura's
		// _cast): data.warden.lib.database_cast(type, op, column, value).
		if len(args) != 4 {
			return fail("arity")
		}
		cast, op, ok := castCall(args)
		col, val := args[2], args[3]
		if !ok || col.column == nil || !model.JSONBTextCast(col.column, cast) || col.lower || val.column != nil || val.scope != nil {
			return fail("a database cast call that does not cast a jsonb column to text and compare it with a value")
		}
		d, ok := model.JSONBText[op]
		if !ok {
			return fail("a database cast call with an operator text has not")
		}
		return columnLeaf(col, nil, func(c Column, _ Operand) Expr {
			return Database{Op: op, Column: c, Value: operandOf(val, model.KindText), Symbol: d.Symbol, Type: d.Type, Cast: cast}
		}), nil
	case "warden.lib." + compile.DatabaseNotInCast:
		// _nin over a session variable on a jsonb column cast to text:
		// data.warden.lib.database_not_in_cast(type, column, list text).
		if len(args) != 3 {
			return fail("arity")
		}
		cast, castOK := args[0].value.(string)
		col, val := args[1], args[2]
		if !castOK || !args[0].isVal || col.column == nil || !model.JSONBTextCast(col.column, cast) || col.lower || val.column != nil || val.scope != nil {
			return fail("a database _nin cast that does not compare a jsonb column cast to text with a value")
		}
		d := model.JSONBText[model.OpIn]
		return columnLeaf(col, nil, func(c Column, _ Operand) Expr {
			l := operandOf(val, model.KindText)
			in := Database{Op: model.OpIn, Column: c, Value: l, Symbol: d.Symbol, Type: d.Type, Cast: cast}
			return Or{Items: []Expr{Empty{List: l}, And{Items: []Expr{Not{Item: IsNull{Column: c}}, Not{Item: in}}}}}
		}), nil
	case "warden.lib." + compile.DatabaseNotIn:
		// _nin over a session variable on an opaque column:
		// data.warden.lib.database_not_in(column, list text), Hasura's
		// NOT (c = ANY(list)), TRUE for an empty array.
		if len(args) != 2 {
			return fail("arity")
		}
		col, val := args[0], args[1]
		if col.column == nil || col.lower || val.column != nil || val.scope != nil {
			return fail("a database _nin that does not compare a column with a value")
		}
		d, ok := model.DatabaseDecided(col.column, model.OpIn)
		if !ok || d.Symbol != model.SymbolAny {
			return fail("a database _nin on a column whose _in Warden evaluates")
		}
		return columnLeaf(col, nil, func(c Column, _ Operand) Expr {
			l := operandOf(val, model.KindText)
			in := Database{Op: model.OpIn, Column: c, Value: l, Symbol: d.Symbol, Type: d.Type}
			return Or{Items: []Expr{Empty{List: l}, And{Items: []Expr{Not{Item: IsNull{Column: c}}, Not{Item: in}}}}}
		}), nil
	case "warden.lib.array_contains":
		if len(args) != 2 {
			return fail("arity")
		}
		col, val, aop := args[0], args[1], model.OpContains
		if col.column == nil {
			col, val, aop = val, col, model.OpContained
		}
		if col.column == nil || col.lower || val.column != nil || val.scope != nil {
			return fail("an array operator that does not compare a column with a value")
		}
		return columnLeaf(col, nil, func(c Column, _ Operand) Expr {
			return Array{Op: aop, Column: c, Value: operandOf(val, c.Kind)}
		}), nil
	case "warden.lib.jsonb_contains", "warden.lib.jsonb_has_key", "warden.lib.jsonb_has_keys_any", "warden.lib.jsonb_has_keys_all":
		if len(args) != 2 {
			return fail("arity")
		}
		col, val := args[0], args[1]
		jop := model.Operator("_" + strings.TrimPrefix(op, "warden.lib.jsonb_"))
		if jop == model.OpContains && col.column == nil {
			col, val, jop = val, col, model.OpContained
		}
		if col.column == nil || col.lower || val.column != nil || (val.scope != nil) {
			return fail("a jsonb operator that does not compare a column with a value")
		}
		return columnLeaf(col, nil, func(c Column, _ Operand) Expr {
			k := c.Kind
			if jop != model.OpContains && jop != model.OpContained {
				k = model.KindText
			}
			return JSONB{Op: jop, Column: c, Value: operandOf(val, k)}
		}), nil
	}
	return fail(fmt.Sprintf("unsupported function %s", op))
}

var cmpOps = map[string]CmpOp{"eq": Eq, "equal": Eq, "neq": Neq, "gt": Gt, "lt": Lt, "gte": Gte, "lte": Lte}

// compare translates a comparison, with a column on the left.
func (t *translator) compare(e *ast.Expr, name string, a, b term) (leaf, error) {
	op := cmpOps[name]
	if a.column == nil && b.column != nil {
		a, b, op = b, a, op.Flip()
	}
	if a.column == nil {
		return leaf{}, &TranslateError{Expr: e.String(), Reason: "a comparison without a column"}
	}
	if b.scope != nil && b.column == nil {
		return leaf{}, &TranslateError{Expr: e.String(), Reason: "a comparison with a whole row"}
	}
	if b.isVal && b.value == nil {
		// Rego compares with null as with any value: null sorts first.
		return columnLeaf(a, nil, func(c Column, _ Operand) Expr { return compareNull(op, c) }), nil
	}
	if a.lower && b.isVal {
		if _, ok := b.value.(string); !ok {
			// lower() gives a string, which equals no other value.
			return leaf{}, &TranslateError{Expr: e.String(), Reason: "lower(column) compared with a value that is not text"}
		}
	}
	return columnLeaf(a, &b, func(c Column, r Operand) Expr {
		if r == nil {
			r = operandOf(b, c.Kind)
		}
		return Compare{Op: op, Left: c, Right: r}
	}), nil
}

// compareNull is Rego's comparison of a column with null, which sorts
// before every other value. lower() of a NULL column is undefined, so
// every comparison of a lower-cased column fails for a NULL column; for a
// text value it is the comparison of a string with null.
func compareNull(op CmpOp, c Column) Expr {
	if c.Lower {
		c.Lower = false
		switch op {
		case Neq, Gt, Gte:
			return Not{Item: IsNull{Column: c}}
		}
		return False{}
	}
	switch op {
	case Eq, Lte:
		return IsNull{Column: c}
	case Neq, Gt:
		return Not{Item: IsNull{Column: c}}
	case Gte:
		return True{}
	}
	return False{}
}

func (t *translator) match(c Column, pat term) Expr {
	if pat.param != nil {
		return Match{Op: pat.param.Pattern, Column: c, Pattern: *pat.param}
	}
	re, _ := pat.value.(string)
	if o, ok := t.src.Patterns[re]; ok {
		return Match{Op: o.Op, Column: c, Pattern: Value{V: o.Pattern, Kind: model.KindText}, Regex: re}
	}
	return Match{Op: model.OpRegex, Column: c, Pattern: Value{V: re, Kind: model.KindText}, Regex: re}
}

func isList(x term) bool {
	_, ok := x.value.([]any)
	return x.isVal && ok
}

// operandOf turns a resolved non-column term into an operand of kind k.
func operandOf(x term, k model.Kind) Operand {
	if x.param != nil {
		return *x.param
	}
	return Value{V: x.value, Kind: k}
}

// columnLeaf builds a leaf reading column col and, when other is a column
// too, that one: build receives the columns relative to the row the leaf
// is placed at, and the other column as an operand (nil if not a column).
func columnLeaf(col term, other *term, build func(c Column, o Operand) Expr) leaf {
	scopes := []*scope{col.scope}
	if other != nil && other.column != nil {
		scopes = append(scopes, other.scope)
	}
	return leaf{scopes: scopes, build: func(at *scope) (Expr, error) {
		c, err := relative(col, at)
		if err != nil {
			return nil, err
		}
		var o Operand
		if other != nil && other.column != nil {
			oc, err := relative(*other, at)
			if err != nil {
				return nil, err
			}
			if oc.Kind != c.Kind {
				return nil, &TranslateError{Reason: fmt.Sprintf("columns %s and %s have different kinds", c.Name, oc.Name)}
			}
			o = oc
		}
		return build(c, o), nil
	}}
}

// relative names a column of a row as seen from the row at.
func relative(x term, at *scope) (Column, error) {
	c := Column{Name: x.column.Name, Kind: x.column.Type.Kind, Lower: x.lower, Pad: x.pad}
	if cf := x.column.Computed; cf != nil {
		c.Function = cf.Function.String()
	}
	switch {
	case x.scope == at:
	case x.scope.key == "root":
		c.Root = true
	default:
		return Column{}, &TranslateError{Reason: fmt.Sprintf("column %s of %s read from %s", x.column.Name, x.scope.key, at.key)}
	}
	return c, nil
}

// castCall reads the constant type and operator of a cast call's first
// two arguments (spatial_cast, database_cast: (type, op, column, value)).
func castCall(args []term) (cast string, op model.Operator, ok bool) {
	cast, castOK := args[0].value.(string)
	name, nameOK := args[1].value.(string)
	return cast, model.Operator(name), castOK && nameOK && args[0].isVal && args[1].isVal
}
