package sqlgen

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// ErrNotTemplatable is returned (wrapped or as is) by RenderTemplate,
// ColumnTemplate and Template.Bind when the SQL cannot be rendered once for
// every value of the session: the caller renders the bound tree instead.
var ErrNotTemplatable = errors.New("sqlgen: not templatable")

// Template is SQL rendered from a template (a residual tree holding
// residual.Param operands) whose text is the same for every value of its
// Params: Bind computes the arguments from the values. It is what Render
// returns for the tree bound by residual.BindFolded, when that did not
// fold, and the values pass Bind's checks: the same text, the same
// arguments. Safe for concurrent use once made.
type Template struct {
	SQL string
	d   Dialect
	// args holds the arguments, nil at a slot's place.
	args  []any
	slots []slot
}

// slot is an argument computed from a Param's value.
type slot struct {
	arg   int // index in args
	param int // index in the values Bind takes
	kind  model.Kind
	// canon: the value is converted by model.CanonPG(canonType, v) first
	// (canonParam).
	canon     bool
	canonType model.Type
	// list: a PostgreSQL array argument (pgArray) of a non-empty []any.
	list bool
	// jsonb: the argument of PostgreSQL's jsonb operator (model.OpContains
	// ...) with the value on its right, as jsonb renders it.
	jsonb model.Operator
}

// tmplState is a template rendering in progress.
type tmplState struct {
	params []residual.Param
	slots  []slot
}

// index is the index of the value Bind binds to p (the first equal
// Param, as residual.Bind takes), or -1.
func (t *tmplState) index(p residual.Param) int {
	for i := range t.params {
		if t.params[i] == p {
			return i
		}
	}
	return -1
}

// RenderTemplate is Render for a template: params are the Params the
// values passed to Bind stand for (residual.Bind's params). Only what
// renders the same text for every value is templatable: on PostgreSQL, a
// Param compared with a column (=, <>, <, <=, >, >=; enum and canonical
// text casts included), a list Param's _in (= ANY($n::type[])) and the
// jsonb operators with a Param (@>, <@, ?, ?|, ?&); on
// MySQL and SQLite a Param compared with a column, numeric values on
// MySQL aside (their cast reads the value's scale). Anything else, and
// DDL mode (Options.Session), is ErrNotTemplatable; so is any error the
// bound rendering might also meet. Placeholders and subquery aliases
// advance as Render's do.
func (r *Renderer) RenderTemplate(e residual.Expr, params []residual.Param) (Template, error) {
	if r.o.Session != nil {
		return Template{}, ErrNotTemplatable
	}
	w := r.work()
	w.tmpl = &tmplState{params: params}
	w.b.WriteByte('(')
	if err := w.expr(e, w.rootFrame(), nil); err != nil {
		return Template{}, notTemplatable(err)
	}
	w.b.WriteByte(')')
	if w.err != nil {
		return Template{}, notTemplatable(w.err)
	}
	return r.doneTemplate(w), nil
}

// ColumnTemplate is Column for a template, as RenderTemplate is Render.
func (r *Renderer) ColumnTemplate(col string, cond residual.Expr, params []residual.Param) (Template, error) {
	if r.o.Session != nil {
		return Template{}, ErrNotTemplatable
	}
	c, ok := r.table.Column(col)
	if !ok {
		return Template{}, ErrNotTemplatable
	}
	w := r.work()
	w.tmpl = &tmplState{params: params}
	f := w.rootFrame()
	w.b.WriteString("CASE WHEN ")
	if err := w.expr(cond, f, nil); err != nil {
		return Template{}, notTemplatable(err)
	}
	ref, err := f.column(w.d, c.Name)
	if err != nil {
		return Template{}, notTemplatable(err)
	}
	w.b.WriteString(" THEN " + ref + " END")
	if w.err != nil {
		return Template{}, notTemplatable(w.err)
	}
	return r.doneTemplate(w), nil
}

func notTemplatable(err error) error {
	if errors.Is(err, ErrNotTemplatable) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrNotTemplatable, err)
}

func (r *Renderer) doneTemplate(w *work) Template {
	r.next, r.subs = w.next, w.subs
	return Template{SQL: w.b.String(), d: w.d, args: w.args, slots: w.tmpl.slots}
}

// Bind returns the fragment for values (residual.Bind's values for the
// template's params): the text and arguments Render gives for the bound
// tree. ErrNotTemplatable when a value is not one Render would bind the
// same way (a residual.Clock, an empty list, a value of another type):
// render the bound tree instead, which also reports any error.
func (t *Template) Bind(values []any) (Fragment, error) {
	var args []any // nil without arguments, as Render's
	if len(t.args) > 0 {
		args = make([]any, len(t.args))
		copy(args, t.args)
	}
	for _, s := range t.slots {
		if s.param >= len(values) {
			return Fragment{}, ErrNotTemplatable
		}
		a, err := s.bind(t.d, values[s.param])
		if err != nil {
			return Fragment{}, ErrNotTemplatable
		}
		args[s.arg] = a
	}
	return Fragment{SQL: t.SQL, Args: args}, nil
}

// Args is the number of arguments Bind returns.
func (t *Template) Args() int { return len(t.args) }

func (s slot) bind(d Dialect, v any) (any, error) {
	if _, ok := v.(residual.Clock); ok {
		return nil, ErrNotTemplatable
	}
	if s.jsonb != "" {
		return pgJSONBArg(s.jsonb, v)
	}
	if s.list {
		l, ok := v.([]any)
		if !ok || len(l) == 0 {
			return nil, ErrNotTemplatable
		}
		arr, _, err := pgArray(s.kind, l)
		return arr, err
	}
	if s.canon {
		pv, err := model.CanonPG(s.canonType, v)
		if err != nil {
			return nil, err
		}
		v = pv
	}
	return argOf(d, s.kind, v)
}

// tmplLeaf renders a node with a Param operand in template mode.
func (w *work) tmplLeaf(e residual.Expr, p residual.Param, f *frame) error {
	i := w.tmpl.index(p)
	if i < 0 {
		return ErrNotTemplatable
	}
	switch x := e.(type) {
	case residual.Compare:
		return w.tmplCompare(x, f, i)
	case residual.In:
		return w.tmplIn(x, f, i)
	case residual.JSONB:
		return w.tmplJSONB(x, f, i)
	}
	return ErrNotTemplatable
}

// slotParam adds a slot's placeholder as param(k, v) writes it for every
// value v that is not a residual.Clock and for which argOf succeeds, DDL
// aside.
func (w *work) slotParam(k model.Kind, s slot) (string, error) {
	var p string
	switch w.d {
	case Postgres:
		p = "$" + strconv.Itoa(w.next) + "::" + pgType(k)
		w.next++
	case MySQL:
		switch k {
		case model.KindText, model.KindUUID:
			p = "CAST(? AS BINARY)"
		case model.KindNumeric:
			// mysqlDecimal: the cast reads the value's scale.
			return "", ErrNotTemplatable
		case model.KindDate:
			p = "CAST(? AS DATE)"
		case model.KindTimestamp, model.KindTimestamptz:
			p = "CAST(? AS DATETIME(6))"
		default:
			p = "?"
		}
	case SQLite:
		p = "?"
		if k == model.KindNumeric {
			p = "CAST(? AS NUMERIC)"
		}
	default:
		return "", ErrNotTemplatable
	}
	s.arg, s.kind = len(w.args), k
	w.args = append(w.args, nil)
	w.tmpl.slots = append(w.tmpl.slots, s)
	return p, nil
}

// tmplCompare is compare for a Compare whose Right is a Param, rendered
// as compare renders it bound to a Value.
func (w *work) tmplCompare(x residual.Compare, f *frame, param int) error {
	ordered := x.Op != residual.Eq && x.Op != residual.Neq
	if x.Left.Lower {
		// lowerEquality: the text depends on the value.
		return ErrNotTemplatable
	}
	if err := w.compareSupport(x, f); err != nil {
		return err
	}
	l, mc, err := w.operand(x.Left, f, ordered)
	if err != nil {
		return err
	}
	// canonParam, then param.
	s := slot{param: param}
	if mc.Type.Canon != "" {
		s.canon, s.canonType = true, mc.Type
	}
	r, err := w.slotParam(mc.Type.Kind, s)
	if err != nil {
		return err
	}
	if mc.Type.Enum != nil && w.d == Postgres {
		if r, err = w.enumCast(r, mc.Type.Enum, ""); err != nil {
			return err
		}
	}
	if mc.Type.Canon != "" {
		r += "::" + mc.Type.Cast
	}
	w.b.WriteString(l + " " + x.Op.String() + " " + r)
	return nil
}

// tmplIn is in for an In whose List is a Param, rendered as in renders it
// bound to a non-empty list: PostgreSQL's = ANY of one array argument
// only (the other forms have a placeholder per element).
func (w *work) tmplIn(x residual.In, f *frame, param int) error {
	if x.Column.Kind == model.KindJSONB {
		if err := jsonbEquality(w.d, "_in"); err != nil {
			return err
		}
	}
	if x.Column.Lower || w.d != Postgres {
		return ErrNotTemplatable
	}
	l, mc, err := w.operand(x.Column, f, false)
	if err != nil {
		return err
	}
	if err := canonSupport(w.d, "_in", mc); err != nil {
		return err
	}
	if mc.Type.Canon != "" {
		return ErrNotTemplatable
	}
	k := mc.Type.Kind
	cast := pgArrayCast(k)
	if mc.Type.Enum != nil {
		if cast, err = w.enumCast(cast, mc.Type.Enum, "[]"); err != nil {
			return err
		}
	}
	// rawParam(arr, cast).
	p := "$" + strconv.Itoa(w.next) + "::" + cast
	w.next++
	w.tmpl.slots = append(w.tmpl.slots, slot{arg: len(w.args), param: param, kind: k, list: true})
	w.args = append(w.args, nil)
	w.b.WriteString(l + " = ANY(" + p + ")")
	return nil
}

// tmplJSONB is jsonb for a JSONB whose Value is a Param, rendered as
// jsonb renders it bound to a Value: on PostgreSQL only (MySQL and
// SQLite write a condition per key).
func (w *work) tmplJSONB(x residual.JSONB, f *frame, param int) error {
	if err := jsonbSupport(w.d, x.Op); err != nil {
		return err
	}
	if w.d != Postgres {
		return ErrNotTemplatable
	}
	ref, mc, err := w.colRef(x.Column, f)
	if err != nil {
		return err
	}
	if mc.Type.JSON {
		ref += "::jsonb"
	}
	op, cast, ok := pgJSONBOp(x.Op)
	if !ok {
		return ErrNotTemplatable
	}
	// rawParam(arg, cast).
	p := "$" + strconv.Itoa(w.next) + "::" + cast
	w.next++
	w.tmpl.slots = append(w.tmpl.slots, slot{arg: len(w.args), param: param, jsonb: x.Op})
	w.args = append(w.args, nil)
	w.b.WriteString(ref + op + p)
	return nil
}
