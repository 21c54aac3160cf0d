package explain

import (
	"encoding/json"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

// Rule writes a boolean expression of the metadata in Hasura's notation,
// compactly, with session variables named as the metadata names them:
// {_or: [{author_id: {_eq: X-Hasura-User-Id}}, {published: {_eq: true}}]}.
// It is the rule before the session is bound.
func Rule(e model.BoolExp) string {
	var b strings.Builder
	rule(&b, e)
	return b.String()
}

func rule(b *strings.Builder, e model.BoolExp) {
	switch x := e.(type) {
	case nil, model.True:
		b.WriteString("{}")
	case model.False:
		b.WriteString("{_not: {}}")
	case model.And:
		items(b, "_and", x.Items)
	case model.Or:
		items(b, "_or", x.Items)
	case model.Not:
		b.WriteString("{_not: ")
		rule(b, x.Item)
		b.WriteString("}")
	case model.Exists:
		b.WriteString("{_exists: {_table: " + x.Table.String() + ", _where: ")
		rule(b, x.Where)
		b.WriteString("}}")
	case model.RelExists:
		name := "?"
		if x.Relationship != nil {
			name = x.Relationship.Name
		}
		b.WriteString("{" + name + ": ")
		rule(b, x.Where)
		b.WriteString("}")
	case model.Compare:
		name := "?"
		if x.Column != nil {
			name = x.Column.Name
		}
		b.WriteString("{" + name + ": {" + string(x.Op) + ": " + value(x.Value) + "}}")
	default:
		b.WriteString("?")
	}
}

func items(b *strings.Builder, op string, es []model.BoolExp) {
	b.WriteString("{" + op + ": [")
	for i, it := range es {
		if i > 0 {
			b.WriteString(", ")
		}
		rule(b, it)
	}
	b.WriteString("]}")
}

func value(v model.Value) string {
	switch x := v.(type) {
	case model.SessionVar:
		if x.Clock != "" {
			return x.Clock
		}
		return hasuraName(x.Name)
	case model.ColumnRef:
		name := "?"
		if x.Column != nil {
			name = x.Column.Name
		}
		if x.Root {
			return `["$", ` + name + `]`
		}
		return name
	case model.Literal:
		// encoding/json sorts object keys: the text is stable.
		out, err := json.Marshal(x.V)
		if err != nil {
			return "?"
		}
		return string(out)
	}
	return "?"
}

// hasuraName writes x-hasura-user-id as X-Hasura-User-Id, as metadata
// usually spells it (names are case-insensitive).
func hasuraName(n string) string {
	parts := strings.Split(n, "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}

// FellAway lists the comparisons of a rule that the session decides on
// its own, so that they fall away from the bound predicate: in Hasura's
// language every comparison reads a column, and only an array session
// variable that is empty ({}) decides one without the row (_in is false
// for every row, _nin true). Each is written as Rule writes it, with why.
func FellAway(e model.BoolExp, vars map[string]string) []string {
	var out []string
	model.EachCompare(e, func(c model.Compare) {
		sv, ok := c.Value.(model.SessionVar)
		if !ok || !sv.Array || sv.Clock != "" {
			return
		}
		v, set := vars[sv.Name]
		if !set || strings.TrimSpace(strings.Trim(strings.TrimSpace(v), "{}")) != "" {
			return
		}
		holds := "false for every row"
		if c.Op == model.OpNin {
			holds = "true for every row"
		}
		out = append(out, Rule(c)+": "+hasuraName(sv.Name)+" is empty, so it is "+holds)
	})
	return out
}

// Value writes a rule's value (a preset's, a comparison's right side) as
// Rule writes it: a session variable by its name, a constant as JSON.
func Value(v model.Value) string { return value(v) }
