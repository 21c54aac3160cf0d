package sqlgen

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// Renderer renders predicates on one root table. PostgreSQL placeholders
// are numbered consecutively across calls, so that the fragments of one
// Filter answer (the row filter, the column conditions) can share a query.
// Not safe for concurrent use.
type Renderer struct {
	policy *model.Policy
	table  *model.Table
	o      Options
	root   string // the root table's reference in the caller's query
	next   int    // the next placeholder number
	subs   int    // subquery aliases handed out
}

// NewRenderer returns a Renderer for predicates on table.
func NewRenderer(p *model.Policy, table model.TableName, o Options) (*Renderer, error) {
	t, ok := p.Tables[table]
	if !ok {
		return nil, fmt.Errorf("sqlgen: unknown table %s", table)
	}
	switch o.Dialect {
	case Postgres, MySQL, SQLite:
	default:
		return nil, fmt.Errorf("sqlgen: unknown dialect %d", int(o.Dialect))
	}
	r := &Renderer{policy: p, table: t, o: o, next: max(o.FirstPlaceholder, 1)}
	var err error
	if o.Alias != "" {
		r.root, err = quoteIdent(o.Dialect, o.Alias)
	} else {
		r.root, err = o.tableRef(table)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Render renders a bound predicate as a parenthesised boolean expression.
func (r *Renderer) Render(e residual.Expr) (Fragment, error) {
	w := r.work()
	w.b.WriteByte('(')
	if err := w.expr(e, w.rootFrame(), nil); err != nil {
		return Fragment{}, err
	}
	w.b.WriteByte(')')
	if w.err != nil {
		return Fragment{}, w.err
	}
	return r.done(w), nil
}

// Column renders a column of the root table that is readable only where
// cond holds: CASE WHEN cond THEN col END.
func (r *Renderer) Column(col string, cond residual.Expr) (Fragment, error) {
	c, ok := r.table.Column(col)
	if !ok {
		return Fragment{}, fmt.Errorf("sqlgen: %s has no column %s", r.table.Name, col)
	}
	w := r.work()
	f := w.rootFrame()
	w.b.WriteString("CASE WHEN ")
	if err := w.expr(cond, f, nil); err != nil {
		return Fragment{}, err
	}
	ref, err := f.column(w.d, c.Name)
	if err != nil {
		return Fragment{}, err
	}
	w.b.WriteString(" THEN " + ref + " END")
	if w.err != nil {
		return Fragment{}, w.err
	}
	return r.done(w), nil
}

func (r *Renderer) work() *work {
	return &work{r: r, d: r.o.Dialect, next: r.next, subs: r.subs}
}

func (r *Renderer) done(w *work) Fragment {
	r.next, r.subs = w.next, w.subs
	return Fragment{SQL: w.b.String(), Args: w.args}
}

// work is one rendering in progress.
type work struct {
	r    *Renderer
	d    Dialect
	b    strings.Builder
	args []any
	next int
	subs int
	// err is the first value no literal could hold (DDL only).
	err error
	// tmpl, when not nil, renders a template (RenderTemplate).
	tmpl *tmplState
}

// alias hands out a fresh subquery alias, prefix followed by a number.
// The numbers never repeat within a Renderer, so the aliases differ from
// each other; a candidate that names the root row (the caller's alias, or
// the root table's name when there is none) is skipped, and compared
// without regard to case, since SQLite and MySQL fold the case of
// identifiers where PostgreSQL would not: an inner "_w1" would otherwise
// capture the root's column references on the caller's alias "_W1".
func (w *work) alias(prefix string) string {
	root := w.r.o.Alias
	if root == "" {
		root = w.r.table.Name.Name
	}
	for {
		w.subs++
		a := prefix + strconv.Itoa(w.subs)
		if !strings.EqualFold(a, root) {
			return a
		}
	}
}

// frame is a row in scope: the root row or an EXISTS subquery's row.
type frame struct {
	table *model.Table
	ref   string
	root  *frame
}

func (w *work) rootFrame() *frame {
	f := &frame{table: w.r.table, ref: w.r.root}
	f.root = f
	return f
}

func (f *frame) column(d Dialect, name string) (string, error) {
	q, err := quoteIdent(d, name)
	if err != nil {
		return "", err
	}
	return f.ref + "." + q, nil
}

// value is a column's value for the frame's row: the column, or a computed
// field's function called on the row.
func (w *work) value(f *frame, c *model.Column) (string, error) {
	if c.Computed != nil {
		return w.computed(f, c.Computed)
	}
	return f.column(w.d, c.Name)
}

// computed is a computed field's value for the frame's row: its function
// called with the whole row, as Hasura calls it ("public"."f"("t".*), or
// "arg" => "t".* for a named table argument), and for a function that
// takes the session, the session variables as a json object bound as a
// parameter ("s" => $1::json), as Hasura passes them. Only PostgreSQL has
// the function.
func (w *work) computed(f *frame, cf *model.ComputedField) (string, error) {
	if err := computedSupport(w.d, cf); err != nil {
		return "", err
	}
	schema, err := quoteIdent(w.d, cf.Function.Schema)
	if err != nil {
		return "", err
	}
	name, err := quoteIdent(w.d, cf.Function.Name)
	if err != nil {
		return "", err
	}
	arg := f.ref + ".*"
	if cf.TableArgument != "" {
		q, err := quoteIdent(w.d, cf.TableArgument)
		if err != nil {
			return "", err
		}
		arg = q + " => " + arg
	}
	if cf.SessionArgument != "" && w.r.o.Session != nil && w.d == Postgres {
		// Row-level security: the session is read inside the database,
		// as a json object built the same way (SessionJSON).
		q, err := quoteIdent(w.d, cf.SessionArgument)
		if err != nil {
			return "", err
		}
		call, err := SessionJSON(w.r.o.Session, w.r.o.Role)
		if err != nil {
			return "", err
		}
		arg += ", " + q + " => " + call
	} else if cf.SessionArgument != "" {
		if w.tmpl != nil {
			// The argument is the request's session.
			return "", ErrNotTemplatable
		}
		if w.r.o.Role == "" {
			return "", fmt.Errorf("sqlgen: computed field %s takes the session, and the options give none", cf.Name)
		}
		session := make(map[string]string, len(w.r.o.SessionVars)+1)
		maps.Copy(session, w.r.o.SessionVars)
		session["x-hasura-role"] = w.r.o.Role
		js, err := json.Marshal(session)
		if err != nil {
			return "", err
		}
		q, err := quoteIdent(w.d, cf.SessionArgument)
		if err != nil {
			return "", err
		}
		arg += ", " + q + " => " + w.rawParam(string(js), "json")
	}
	return schema + "." + name + "(" + arg + ")", nil
}

// computedSupport says whether d can call a computed field's function: the
// function lives in the PostgreSQL database Hasura serves.
func computedSupport(d Dialect, cf *model.ComputedField) *UnsupportedError {
	if d == Postgres {
		return nil
	}
	return &UnsupportedError{Op: "computed field " + cf.Name, Dialect: d, Construct: true,
		Reason: fmt.Sprintf("its value is the PostgreSQL function %s of the row, which %s does not have", cf.Function, d)}
}

// col resolves a column operand to its frame and schema column.
// colRef is col and value: the SQL that reads column c, and the column.
func (w *work) colRef(c residual.Column, f *frame) (string, *model.Column, error) {
	cf, mc, err := w.col(c, f)
	if err != nil {
		return "", nil, err
	}
	ref, err := w.value(cf, mc)
	return ref, mc, err
}

func (w *work) col(c residual.Column, f *frame) (*frame, *model.Column, error) {
	if c.Root {
		f = f.root
	}
	mc, ok := f.table.Field(c.Name)
	if !ok {
		return nil, nil, fmt.Errorf("sqlgen: %s has no column %s", f.table.Name, c.Name)
	}
	return f, mc, nil
}

// nonNull holds the columns (frame reference and name) known not to be
// NULL where an expression is evaluated: an AND guards its siblings.
type nonNull map[string]bool

func (w *work) expr(e residual.Expr, f *frame, nn nonNull) error {
	if w.tmpl != nil {
		if p, ok := residual.ParamOperand(e); ok {
			return w.tmplLeaf(e, p, f)
		}
	}
	switch x := e.(type) {
	case residual.True:
		w.b.WriteString("TRUE")
	case residual.False:
		w.b.WriteString("FALSE")
	case residual.And:
		inner, copied := nn, false
		for _, it := range x.Items {
			if n, ok := it.(residual.Not); ok {
				if isNull, ok := n.Item.(residual.IsNull); ok {
					if cf, mc, err := w.col(isNull.Column, f); err == nil {
						if !copied {
							inner, copied = copyNonNull(nn), true
						}
						inner[cf.ref+"."+mc.Name] = true
					}
				}
			}
		}
		return w.junction(x.Items, " AND ", f, inner)
	case residual.Or:
		return w.junction(x.Items, " OR ", f, nn)
	case residual.Not:
		if isNull, ok := x.Item.(residual.IsNull); ok {
			ref, _, err := w.colRef(isNull.Column, f)
			if err != nil {
				return err
			}
			w.b.WriteString(ref + " IS NOT NULL")
			return nil
		}
		maybe, err := w.mayBeNull(x.Item, f, nn)
		if err != nil {
			return err
		}
		if !maybe {
			w.b.WriteString("NOT ")
			return w.paren(x.Item, f, nn)
		}
		if err := w.paren(x.Item, f, nn); err != nil {
			return err
		}
		w.b.WriteString(" IS NOT TRUE")
	case residual.IsNull:
		ref, _, err := w.colRef(x.Column, f)
		if err != nil {
			return err
		}
		w.b.WriteString(ref + " IS NULL")
	case residual.Compare:
		return w.compare(x, f)
	case residual.In:
		return w.in(x, f)
	case residual.Empty:
		return w.empty(x)
	case residual.Match:
		return w.match(x, f)
	case residual.JSONB:
		return w.jsonb(x, f)
	case residual.Array:
		return w.array(x, f)
	case residual.Spatial:
		return w.spatial(x, f)
	case residual.Database:
		return w.database(x, f)
	case residual.Exists:
		return w.exists(x, f)
	default:
		return fmt.Errorf("sqlgen: unsupported predicate node %T", e)
	}
	return nil
}

func copyNonNull(nn nonNull) nonNull {
	out := make(nonNull, len(nn)+2)
	for k := range nn {
		out[k] = true
	}
	return out
}

func (w *work) junction(items []residual.Expr, sep string, f *frame, nn nonNull) error {
	if len(items) == 0 {
		if sep == " AND " {
			w.b.WriteString("TRUE")
		} else {
			w.b.WriteString("FALSE")
		}
		return nil
	}
	for i, it := range items {
		if i > 0 {
			w.b.WriteString(sep)
		}
		if err := w.paren(it, f, nn); err != nil {
			return err
		}
	}
	return nil
}

// paren renders e, in parentheses unless it is a single term.
func (w *work) paren(e residual.Expr, f *frame, nn nonNull) error {
	switch x := e.(type) {
	case residual.True, residual.False, residual.IsNull, residual.Exists:
		return w.expr(e, f, nn)
	case residual.Not:
		if _, ok := x.Item.(residual.IsNull); ok {
			return w.expr(e, f, nn)
		}
	}
	w.b.WriteByte('(')
	if err := w.expr(e, f, nn); err != nil {
		return err
	}
	w.b.WriteByte(')')
	return nil
}

// mayBeNull reports whether the SQL rendering of e can be NULL: a
// comparison of a nullable column not guarded by an IS NOT NULL.
func (w *work) mayBeNull(e residual.Expr, f *frame, nn nonNull) (bool, error) {
	nullable := func(c residual.Column) (bool, error) {
		cf, mc, err := w.col(c, f)
		if err != nil {
			return false, err
		}
		return mc.Nullable && !nn[cf.ref+"."+mc.Name], nil
	}
	switch x := e.(type) {
	case residual.And, residual.Or:
		var items []residual.Expr
		if a, ok := x.(residual.And); ok {
			items = a.Items
		} else {
			items = x.(residual.Or).Items
		}
		for _, it := range items {
			if m, err := w.mayBeNull(it, f, nn); m || err != nil {
				return m, err
			}
		}
		return false, nil
	case residual.Not:
		return w.mayBeNull(x.Item, f, nn)
	case residual.Compare:
		if m, err := nullable(x.Left); m || err != nil {
			return m, err
		}
		if c, ok := x.Right.(residual.Column); ok {
			return nullable(c)
		}
		return false, nil
	case residual.In:
		return nullable(x.Column)
	case residual.Match:
		return nullable(x.Column)
	case residual.JSONB:
		return nullable(x.Column)
	case residual.Array:
		return nullable(x.Column)
	case residual.Spatial:
		return nullable(x.Column)
	case residual.Database:
		if m, err := nullable(x.Column); m || err != nil {
			return m, err
		}
		if c, ok := x.Value.(residual.Column); ok {
			return nullable(c)
		}
		return false, nil
	}
	return false, nil
}

// exists renders EXISTS over a relationship or a table.
func (w *work) exists(x residual.Exists, f *frame) error {
	t, ok := w.r.policy.Tables[x.Table]
	if !ok {
		return fmt.Errorf("sqlgen: unknown table %s", x.Table)
	}
	ref, err := w.r.o.tableRef(x.Table)
	if err != nil {
		return err
	}
	alias := w.alias("_w")
	qa, err := quoteIdent(w.d, alias)
	if err != nil {
		return err
	}
	inner := &frame{table: t, ref: qa, root: f.root}
	if x.Function != nil {
		// A set-returning computed field: the rows are the function's for
		// the current row.
		if ref, err = w.computed(f, x.Function); err != nil {
			return err
		}
	}
	w.b.WriteString("EXISTS (SELECT 1 FROM " + ref + " AS " + qa)
	var conds []string
	for _, p := range x.On {
		lc, ok := f.table.Column(p.Local)
		if !ok {
			return fmt.Errorf("sqlgen: %s has no column %s", f.table.Name, p.Local)
		}
		rc, ok := t.Column(p.Remote)
		if !ok {
			return fmt.Errorf("sqlgen: %s has no column %s", t.Name, p.Remote)
		}
		if err := joinSupport(w.d, lc, rc); err != nil {
			return err
		}
		l, err := f.column(w.d, p.Local)
		if err != nil {
			return err
		}
		rr, err := inner.column(w.d, p.Remote)
		if err != nil {
			return err
		}
		conds = append(conds, rr+" = "+l)
	}
	_, always := x.Where.(residual.True)
	if len(conds) > 0 || !always {
		w.b.WriteString(" WHERE ")
	}
	w.b.WriteString(strings.Join(conds, " AND "))
	if !always {
		if len(conds) > 0 {
			w.b.WriteString(" AND ")
		}
		if err := w.paren(x.Where, inner, nil); err != nil {
			return err
		}
	}
	w.b.WriteByte(')')
	return nil
}

// joinSupport says whether d can join columns of different kinds as
// PostgreSQL does (model.Joinable): SQLite holds times as text in their
// kind's form, so a date never equals a timestamp there.
func joinSupport(d Dialect, a, b *model.Column) *UnsupportedError {
	if d != SQLite || a.Type.Kind == b.Type.Kind {
		return nil
	}
	if a.Type.Kind == model.KindInteger || a.Type.Kind == model.KindNumeric {
		return nil
	}
	return &UnsupportedError{Op: fmt.Sprintf("a join of %s with %s", a.Type.Kind, b.Type.Kind), Dialect: d, Construct: true,
		Reason: "SQLite keeps each kind of time as text of its own form, which never compare equal"}
}
