package residual

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

// String renders e in a compact, SQL-like notation for logs, tests and
// error messages, for example
//
//	(author_id = :x-hasura-user-id OR EXISTS comments [id = article_id] (author_id = 1))
//
// Root columns print as $.name, lower-cased columns as lower(name),
// character(n) columns padded for a pattern match as pad(name, n),
// parameters as :name (:name[] for arrays, :_like:name for patterns,
// :citext:name and :bpchar:name for text normalised for those types). It is
// not SQL: package sqlgen renders SQL.
func String(e Expr) string {
	var b strings.Builder
	write(&b, e)
	return b.String()
}

func write(b *strings.Builder, e Expr) {
	switch x := e.(type) {
	case True:
		b.WriteString("TRUE")
	case False:
		b.WriteString("FALSE")
	case And:
		list(b, x.Items, " AND ")
	case Or:
		list(b, x.Items, " OR ")
	case Not:
		b.WriteString("NOT ")
		write(b, x.Item)
	case Compare:
		operand(b, x.Left)
		b.WriteString(" " + x.Op.String() + " ")
		operand(b, x.Right)
	case IsNull:
		operand(b, x.Column)
		b.WriteString(" IS NULL")
	case In:
		operand(b, x.Column)
		b.WriteString(" IN ")
		operand(b, x.List)
	case Empty:
		operand(b, x.List)
		b.WriteString(" IS EMPTY")
	case Match:
		operand(b, x.Column)
		b.WriteString(" " + strings.ToUpper(strings.TrimPrefix(string(x.Op), "_")) + " ")
		operand(b, x.Pattern)
	case JSONB:
		operand(b, x.Column)
		b.WriteString(" " + jsonbSymbol(x) + " ")
		operand(b, x.Value)
	case Array:
		operand(b, x.Column)
		if x.Op == "_contained_in" {
			b.WriteString(" ARRAY <@ ")
		} else {
			b.WriteString(" ARRAY @> ")
		}
		operand(b, x.Value)
	case Spatial:
		b.WriteString(model.SpatialFunctions[x.Op] + "(")
		operand(b, x.Column)
		if x.Cast != "" {
			b.WriteString("::" + x.Cast)
		}
		b.WriteString(", ")
		operand(b, x.Value)
		b.WriteString(")")
	case Database:
		operand(b, x.Column)
		if x.Cast != "" {
			b.WriteString("::" + x.Cast)
		}
		b.WriteString(" " + x.Symbol + " ")
		operand(b, x.Value)
		if _, column := x.Value.(Column); !column {
			b.WriteString("::" + x.Type)
		}
	case Exists:
		b.WriteString("EXISTS ")
		if x.Relationship != "" {
			b.WriteString(x.Relationship)
		} else {
			b.WriteString(x.Table.String())
		}
		if len(x.On) > 0 {
			b.WriteString(" [")
			for i, p := range x.On {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(p.Local + " = " + p.Remote)
			}
			b.WriteString("]")
		}
		b.WriteString(" (")
		write(b, x.Where)
		b.WriteString(")")
	default:
		fmt.Fprintf(b, "<%T>", e)
	}
}

func jsonbSymbol(x JSONB) string {
	switch x.Op {
	case "_contains":
		return "@>"
	case "_contained_in":
		return "<@"
	case "_has_key":
		return "?"
	case "_has_keys_any":
		return "?|"
	case "_has_keys_all":
		return "?&"
	}
	return string(x.Op)
}

func list(b *strings.Builder, items []Expr, sep string) {
	b.WriteString("(")
	for i, it := range items {
		if i > 0 {
			b.WriteString(sep)
		}
		write(b, it)
	}
	b.WriteString(")")
}

func operand(b *strings.Builder, o Operand) {
	switch x := o.(type) {
	case Column:
		if x.Lower {
			b.WriteString("lower(")
		}
		if x.Pad > 0 {
			b.WriteString("pad(")
		}
		if x.Root {
			b.WriteString("$.")
		}
		b.WriteString(x.Name)
		if x.Pad > 0 {
			fmt.Fprintf(b, ", %d)", x.Pad)
		}
		if x.Lower {
			b.WriteString(")")
		}
	case Param:
		b.WriteString(":")
		switch {
		case x.Pattern != "":
			b.WriteString(string(x.Pattern) + ":")
		case x.Fold:
			b.WriteString("citext:")
		case x.PadSpace:
			b.WriteString("bpchar:")
		}
		b.WriteString(x.Name)
		if x.Array {
			b.WriteString("[]")
		}
	case Value:
		if c, ok := x.V.(Clock); ok {
			b.WriteString(c.String())
			return
		}
		js, err := json.Marshal(x.V)
		if err != nil {
			fmt.Fprintf(b, "%v", x.V)
			return
		}
		b.Write(js)
	default:
		fmt.Fprintf(b, "<%T>", o)
	}
}
