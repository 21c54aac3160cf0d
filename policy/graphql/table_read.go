package graphql

import (
	"errors"
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/wardenpdp/warden/policy/model"
)

// aggregateFunctions are the fields of <table>_aggregate_fields that take
// columns (count takes them as an argument).
var aggregateFunctions = []string{"sum", "avg", "max", "min", "stddev", "stddev_pop", "stddev_samp", "var_pop", "var_samp", "variance"}

// read decides a selection set on a table's type: every field selected is
// a column or computed field the select permission sel grants (nil:
// admin), a relationship to a table the role may select from, or an
// array relationship's aggregate where the target allows aggregations.
// It records the selection and, recursively, those of relationships.
func (d *tableDecider) read(t *model.Table, sel *model.Permission, set ast.SelectionSet, path, rel, tname string, depth int) error {
	if depth > maxSelectionDepth {
		return deny("%s: relationships nest deeper than %d", path, maxSelectionDepth)
	}
	var fields []*ast.Field
	if err := d.collect(set, 0, &fields); err != nil {
		return err
	}
	at := len(d.sels)
	d.sels = append(d.sels, Selection{Path: path, Table: t.Name, Op: model.OpSelect, Relationship: rel})
	cols, computed := map[string]bool{}, map[string]bool{}
	for _, f := range fields {
		if f.Name == "__typename" {
			continue
		}
		if ok, err := d.relayField(t, sel, f, path, tname, depth); ok {
			if err != nil {
				return err
			}
			continue
		}
		ref, err := d.field(t, sel, f.Name, tname)
		switch {
		case err != nil:
			return err
		case ref.col != "":
			cols[ref.col] = true
			continue
		case ref.computed:
			computed[f.Name] = true
			continue
		case ref.remote != nil && !ref.remote.ToSource:
			if err := d.remoteSchemaRead(t, ref.remote, f, join(path, f.Alias), tname); err != nil {
				return err
			}
			continue
		}
		r, aggregate, target, tsel := ref.rel, ref.aggregate, ref.target, ref.tsel
		ttype := typeName(target)
		if err := namesOf(target).checkArgs(f.Name, f.Arguments); err != nil {
			return err
		}
		if r.Kind == model.RelArray || aggregate {
			if err := d.where(target, tsel, f.Arguments, namesOf(target).typ(ttype, "bool", "exp"), depth+1); err != nil {
				return err
			}
			if err := d.orderBy(target, tsel, f.Arguments, ttype, depth+1); err != nil {
				return err
			}
		}
		if aggregate {
			if err := d.aggregate(target, tsel, f.SelectionSet, join(path, f.Alias), r.Name, ttype, depth+1); err != nil {
				return err
			}
			continue
		}
		if err := d.read(target, tsel, f.SelectionSet, join(path, f.Alias), r.Name, ttype, depth+1); err != nil {
			return err
		}
	}
	d.sels[at].Columns = sortedSet(cols)
	if len(computed) > 0 {
		d.sels[at].ComputedFields = sortedSet(computed)
	}
	return nil
}

// fieldRef is a field of a table's type as the role has it: a column, a
// computed field, or a relationship (or an array relationship's
// aggregate) to a table it may select from.
type fieldRef struct {
	col       string
	computed  bool
	rel       *model.Relationship
	aggregate bool
	target    *model.Table
	tsel      *model.Permission
	// remote is the remote relationship the field is (rel is its join
	// when it reaches another source's table).
	remote *model.RemoteRelationship
}

// field looks a field of t's type (named tname in messages) up for a role
// whose select permission on t is sel (nil: admin). A field the role's
// type lacks is a denial in Hasura's words; a remote relationship, or a
// relationship to a table Warden does not have, is undecided.
func (d *tableDecider) field(t *model.Table, sel *model.Permission, name, tname string) (fieldRef, error) {
	notFound := func(why string, args ...any) error {
		if why == "" {
			return deny("field '%s' not found in type: '%s'", name, tname)
		}
		return deny("field '%s' not found in type: '%s': %s", name, tname, fmt.Sprintf(why, args...))
	}
	if col, ok := columnByField(t, name); ok {
		if !readable(sel, col) {
			return fieldRef{}, notFound("role %s may not select column %s of %s", d.req.Role, col, t.Name)
		}
		return fieldRef{col: col}, nil
	}
	mayCompute := func(cf string) bool { return sel == nil || sel != noRead && slices.Contains(sel.ComputedFields, cf) }
	if _, ok := t.Computed[name]; ok {
		if !mayCompute(name) {
			return fieldRef{}, notFound("role %s may not select computed field %s of %s", d.req.Role, name, t.Name)
		}
		return fieldRef{computed: true}, nil
	}
	if rr, aggregate := remoteRef(t, name); rr != nil {
		return d.remoteField(t, rr, aggregate, name, notFound)
	}
	r, aggregate, err := namesOf(t).relationship(name)
	if err != nil {
		return fieldRef{}, err
	}
	if r == nil {
		return fieldRef{}, notFound("")
	}
	// A computed field returning rows of a table (r.Function) is not
	// granted by the permission's computed_fields, as a scalar one is:
	// Hasura derives it from the select permission on the table it
	// returns (and refuses it in computed_fields), as for a relationship.
	target := d.p.Tables[d.p.Resolve(r.Target, t.Source)]
	switch {
	case target == nil:
		return fieldRef{}, &undecidedError{fmt.Sprintf("relationship %s of %s leads to %s, which is not in the policy", r.Name, t.Name, r.Target)}
	case target.GraphQL != nil && target.GraphQL.NamesUnknown:
		return fieldRef{}, &undecidedError{fmt.Sprintf("relationship %s of %s leads to %s, whose GraphQL field names Warden cannot tell (see the load notes)", r.Name, t.Name, target.Name)}
	}
	tsel, err := d.perm(target, model.OpSelect, name)
	var dn *denial
	switch {
	case errors.As(err, &dn) && r.Function != nil:
		return fieldRef{}, notFound("role %s has no select permission on %s, the table computed field %s returns", d.req.Role, target.Name, r.Name)
	case errors.As(err, &dn):
		return fieldRef{}, notFound("role %s has no select permission on %s, the target of relationship %s", d.req.Role, target.Name, r.Name)
	case err != nil:
		return fieldRef{}, err
	case aggregate && tsel != nil && !tsel.AllowAggregations:
		return fieldRef{}, notFound("the select permission of role %s on %s does not allow aggregations", d.req.Role, target.Name)
	}
	return fieldRef{rel: r, aggregate: aggregate, target: target, tsel: tsel}, nil
}

// aggregate decides a <table>_aggregate selection set: aggregate { count,
// sum { col }, ... } over readable columns, and nodes as a read.
func (d *tableDecider) aggregate(t *model.Table, sel *model.Permission, set ast.SelectionSet, path, rel, tname string, depth int) error {
	var fields []*ast.Field
	if err := d.collect(set, 0, &fields); err != nil {
		return err
	}
	at := len(d.sels)
	d.sels = append(d.sels, Selection{Path: path, Table: t.Name, Op: model.OpSelect, Relationship: rel, Aggregate: true})
	cols := map[string]bool{}
	n := namesOf(t)
	column := func(name, in string) error {
		col, ok := columnByField(t, name)
		if !ok || !readable(sel, col) {
			return deny("field '%s' not found in type: '%s': role %s may not select it on %s", name, in, d.req.Role, t.Name)
		}
		cols[col] = true
		return nil
	}
	for _, f := range fields {
		switch f.Name {
		case "__typename":
		case "nodes":
			if err := d.read(t, sel, f.SelectionSet, join(path, f.Alias), rel, tname, depth+1); err != nil {
				return err
			}
		case "aggregate":
			var aggs []*ast.Field
			if err := d.collect(f.SelectionSet, 0, &aggs); err != nil {
				return err
			}
			for _, a := range aggs {
				switch {
				case a.Name == "__typename":
				case a.Name == "count":
					if arg := a.Arguments.ForName("columns"); arg != nil {
						v, err := d.value(arg.Value)
						if err != nil {
							return err
						}
						for _, c := range asList(v) {
							s, _ := c.(string)
							if err := column(s, n.typ(tname, "select", "column")); err != nil {
								return err
							}
						}
					}
				case isAggregateFunction(n, a.Name):
					fn, _ := n.aggregateFunction(a.Name)
					var args []*ast.Field
					if err := d.collect(a.SelectionSet, 0, &args); err != nil {
						return err
					}
					for _, c := range args {
						if c.Name == "__typename" {
							continue
						}
						if err := column(c.Name, n.typ(tname, fn, "fields")); err != nil {
							return err
						}
					}
				default:
					return deny("field '%s' not found in type: '%s'", a.Name, n.typ(tname, "aggregate", "fields"))
				}
			}
		default:
			return deny("field '%s' not found in type: '%s'", f.Name, n.typ(tname, "aggregate"))
		}
	}
	d.sels[at].Columns = sortedSet(cols)
	return nil
}

// where decides a where argument (a <table>_bool_exp): every column it
// compares is one the select permission grants, every relationship leads
// to a table the role may select from. Hasura builds the type from the
// select permission: without one it has no column at all.
func (d *tableDecider) where(t *model.Table, sel *model.Permission, args ast.ArgumentList, tname string, depth int) error {
	v, err := d.argValue(args, "where")
	if err != nil {
		return err
	}
	return d.boolExp(t, sel, v, tname, depth)
}

func (d *tableDecider) boolExp(t *model.Table, sel *model.Permission, v any, tname string, depth int) error {
	if depth > maxSelectionDepth {
		return deny("a where argument nests deeper than %d", maxSelectionDepth)
	}
	for _, item := range asList(v) {
		obj, _ := item.(map[string]any)
		for k, x := range obj {
			if k == "_and" || k == "_or" || k == "_not" {
				if err := d.boolExp(t, sel, x, tname, depth+1); err != nil {
					return err
				}
				continue
			}
			if err := remoteInInput(t, k, tname); err != nil {
				return err
			}
			ref, err := d.field(t, sel, k, tname)
			if err != nil {
				return err
			}
			switch {
			case ref.aggregate:
				// An aggregation predicate ({count: {arguments, filter,
				// predicate}}, bool_and, bool_or): its arguments and
				// filter are over the target's rows.
				if err := d.aggregatePredicate(ref.target, ref.tsel, x, depth+1); err != nil {
					return err
				}
			case ref.rel != nil:
				if err := d.boolExp(ref.target, ref.tsel, x, namesOf(ref.target).typ(typeName(ref.target), "bool", "exp"), depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// remoteInInput denies a remote relationship of t (or a to_source
// array one's aggregate) named as field k of a where or order_by input
// (type typ): Hasura's <table>_bool_exp and <table>_order_by have no
// field for one, whatever its target and the role's permissions
// (Hasura.GraphQL.Schema.BoolExp tableBoolExp and
// Hasura.GraphQL.Schema.OrderBy orderByExp map FIRemoteRelationship to
// empty: "Using remote relationship fields in boolean expressions is not
// supported"; aggregation predicates, AggregationPredicates.hs, are
// built from the table's own array relationships only). A column or
// computed field of that name is what the field is.
func remoteInInput(t *model.Table, k, typ string) error {
	if _, col := columnByField(t, k); col {
		return nil
	}
	if _, cf := t.Computed[k]; cf {
		return nil
	}
	rr, aggregate := remoteRef(t, k)
	if rr == nil {
		return nil
	}
	what := "a remote relationship"
	if aggregate {
		what = "the aggregate of remote relationship " + rr.Name
	}
	return deny("field '%s' not found in type: '%s': %s is %s of %s, which Hasura's where and order_by inputs do not have", k, typ, k, what, t.Name)
}

// aggregatePredicate decides an aggregation predicate of a where: the
// columns its functions take (arguments) are readable on the target, and
// its filter is a where on the target.
func (d *tableDecider) aggregatePredicate(t *model.Table, sel *model.Permission, v any, depth int) error {
	tname := typeName(t)
	fns, _ := v.(map[string]any)
	for fn, x := range fns {
		body, _ := x.(map[string]any)
		for _, a := range asList(body["arguments"]) {
			s, _ := a.(string)
			if col, ok := columnByField(t, s); !ok || !readable(sel, col) {
				return deny("value '%s' not found in enum: '%s' (%s of an aggregation predicate): role %s may not select it on %s", s, namesOf(t).typ(tname, "select", "column"), fn, d.req.Role, t.Name)
			}
		}
		if err := d.boolExp(t, sel, body["filter"], namesOf(t).typ(tname, "bool", "exp"), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// cursor decides a stream's cursor: the columns of its initial_value are
// columns the role may select (Hasura's <table>_stream_cursor_value_input).
func (d *tableDecider) cursor(t *model.Table, sel *model.Permission, args ast.ArgumentList, tname string) error {
	v, err := d.argValue(args, "cursor")
	if err != nil {
		return err
	}
	n := namesOf(t)
	for _, c := range asList(v) {
		obj, _ := c.(map[string]any)
		if err := n.checkKeys(obj, n.typ(tname, "stream", "cursor", "input")); err != nil {
			return err
		}
		init, _ := n.arg(obj, "initial_value").(map[string]any)
		for k := range init {
			if col, ok := columnByField(t, k); !ok || !readable(sel, col) {
				return deny("field '%s' not found in type: '%s'", k, n.typ(tname, "stream", "cursor", "value", "input"))
			}
		}
	}
	return nil
}

// orderBy decides order_by and distinct_on: the columns they name are
// readable, the relationships they follow lead to selectable tables.
func (d *tableDecider) orderBy(t *model.Table, sel *model.Permission, args ast.ArgumentList, tname string, depth int) error {
	n := namesOf(t)
	if a := args.ForName(n.name("distinct_on")); a != nil {
		v, err := d.value(a.Value)
		if err != nil {
			return err
		}
		for _, c := range asList(v) {
			s, _ := c.(string)
			if col, ok := columnByField(t, s); !ok || !readable(sel, col) {
				return deny("value '%s' not found in enum: '%s'", s, n.typ(tname, "select", "column"))
			}
		}
	}
	v, err := d.argValue(args, n.name("order_by"))
	if err != nil {
		return err
	}
	return d.orderExp(t, sel, v, tname, depth)
}

func (d *tableDecider) orderExp(t *model.Table, sel *model.Permission, v any, tname string, depth int) error {
	if depth > maxSelectionDepth {
		return deny("an order_by argument nests deeper than %d", maxSelectionDepth)
	}
	orderType := namesOf(t).typ(tname, "order", "by")
	for _, item := range asList(v) {
		obj, _ := item.(map[string]any)
		for k, x := range obj {
			if err := remoteInInput(t, k, orderType); err != nil {
				return err
			}
			ref, err := d.field(t, sel, k, orderType)
			switch {
			case err != nil:
				return err
			case ref.rel != nil && ref.rel.Kind == model.RelArray && !ref.aggregate:
				return deny("field '%s' not found in type: '%s': an array relationship orders by its aggregate", k, orderType)
			case ref.rel != nil && !ref.aggregate:
				if err := d.orderExp(ref.target, ref.tsel, x, typeName(ref.target), depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// mutationOutput decides a <table>_mutation_response selection:
// affected_rows, and returning as a read under the select permission
// (Hasura has returning only for a role that may select from the table).
func (d *tableDecider) mutationOutput(t *model.Table, sel *model.Permission, set ast.SelectionSet, path, tname string) error {
	var fields []*ast.Field
	if err := d.collect(set, 0, &fields); err != nil {
		return err
	}
	n := namesOf(t)
	for _, f := range fields {
		switch {
		case f.Name == "__typename", n.is(f.Name, "affected_rows"):
		case f.Name == "returning":
			if sel == noRead {
				return deny("field 'returning' not found in type: '%s': role %s has no select permission on %s", n.typ(tname, "mutation", "response"), d.req.Role, t.Name)
			}
			if err := d.read(t, sel, f.SelectionSet, join(path, f.Alias), "", tname, 1); err != nil {
				return err
			}
		default:
			return deny("field '%s' not found in type: '%s'", f.Name, n.typ(tname, "mutation", "response"))
		}
	}
	return nil
}

// isAggregateFunction says whether a field of <table>_aggregate_fields is
// an aggregate function taking columns.
func isAggregateFunction(n naming, name string) bool {
	_, ok := n.aggregateFunction(name)
	return ok
}
