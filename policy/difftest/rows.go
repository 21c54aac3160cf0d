package difftest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

// session generates the variables of a request as text: every variable the
// table's rules read, in one of its text spellings; rarely one is missing
// or malformed, which Check and Filter must both refuse.
func (g *gen) session() map[string]string {
	out := map[string]string{}
	names := make([]string, 0, len(g.vars)+len(g.pats))
	for n := range g.vars {
		names = append(names, n)
	}
	for n := range g.pats {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		switch roll := g.r.IntN(100); {
		case roll < 2:
			continue // missing
		case roll < 4:
			out[n] = "{not valid"
			continue
		}
		if op, ok := g.pats[n]; ok {
			pool := patterns[op]
			out[n] = pool[g.r.IntN(len(pool))]
			continue
		}
		v := g.vars[n]
		if v.Array {
			out[n] = g.listText(v)
			continue
		}
		out[n] = g.scalarText(v)
	}
	return out
}

// castOnly holds per kind a text PostgreSQL's cast reads and Check
// refuses, which every decision must refuse alike.
var castOnly = map[model.Kind][]string{
	model.KindInteger:     {"0x1F", "1_000"},
	model.KindNumeric:     {"NaN", "1e5301", "Infinity"},
	model.KindDate:        {"epoch", "20240131", "2024-01-31 BC"},
	model.KindTimestamp:   {"2024-01-31 10:00 pm", "2024-01-31 10:00:00 UCT", "epoch"},
	model.KindTimestamptz: {"2024-01-31 10:00:00 EST", "2024-01-31 10:00:00 GMT+3", "now"},
	// JSON Check refuses (model.JSONTextRejected, JSONMaxBrackets):
	// escapes jsonb rejects, a surrogate pair it reads, numbers beyond
	// the bounds (1e1001 jsonb reads), nesting Go's decoder would read
	// and one it would not.
	model.KindJSONB: {`"a\u0000"`, `["\ud800"]`, `"\ud83d\ude00"`, `{"a":1e1001}`, `[1E-1000]`, "[1" + strings.Repeat("0", 200) + "]",
		strings.Repeat("[", 513) + strings.Repeat("]", 513), strings.Repeat("[", 10001) + strings.Repeat("]", 10001)},
}

// jsonSpellings are jsonb session texts both readings take, spelled
// otherwise than canonically: a key given twice (the last kept), numbers
// written otherwise (-0, 1.00, 1E+0, an exponent below the bound), escapes,
// spaces, a string that looks like an exponent.
var jsonSpellings = []string{`{"a":2,"a":1}`, `{"a": 1.00}`, `-0`, `[1E+0, 2]`, `{"k":"123e4567-e89b"}`, " {\"a\" :\t[1,2] }\n",
	`"\u0041"`, `{"a":{"b":[1,{"c":null}]},"a":1}`, `[1e999]`, `{"a":[1,2],"b":"x","b":"x"}`, `[0.1e1, -0.0]`, `"k"`}

// scalarText is a variable's text, now and then with spaces around it
// (Check trims them for numbers, dates and times, keeps them for text)
// or in a form only the database's cast reads.
func (g *gen) scalarText(v model.SessionVar) string {
	s := g.typedText(v)
	switch g.r.IntN(30) {
	case 0:
		return " " + s + "\t"
	case 1:
		if bad := castOnly[v.Kind]; v.Type.Enum == nil && len(bad) > 0 {
			return bad[g.r.IntN(len(bad))]
		}
	}
	return s
}

// listText is a list variable's text: an array literal of its values,
// elements quoted or (when they need no quotes) bare, with spaces around
// elements and the literal now and then; rarely one Check refuses (a
// NULL element, a nested or decorated array, an empty element), which
// every decision must refuse alike.
func (g *gen) listText(v model.SessionVar) string {
	elems := make([]string, g.r.IntN(4))
	for i := range elems {
		el := g.typedText(v)
		if g.r.IntN(3) == 0 && bare(el) {
			elems[i] = el
		} else {
			elems[i] = arrayElement(el)
		}
	}
	sep := ","
	if g.r.IntN(4) == 0 {
		sep = " ,\t"
	}
	s := "{" + strings.Join(elems, sep) + "}"
	switch g.r.IntN(24) {
	case 0:
		return " " + s + "\n"
	case 1:
		return "{ }"
	case 2:
		return strings.Replace(s, "{", "{NULL,", 1)
	case 3:
		return strings.Replace(s, "{", `{"NULL",`, 1) // a text "NULL", not a NULL
	case 4:
		return "{" + s + "}"
	case 5:
		return "[1:1]=" + s
	case 6:
		return strings.Replace(s, "{", "{,", 1)
	}
	return s
}

// bare says an element needs no quotes in an array literal.
func bare(s string) bool {
	return s != "" && !strings.EqualFold(s, "null") && strings.TrimSpace(s) == s && !strings.ContainsAny(s, `{}",\`)
}

// typedText is text for variable v: for an enum a label, now and then a
// label in another case (not a label: Check and Filter must both refuse).
func (g *gen) typedText(v model.SessionVar) string {
	if e := v.Type.Enum; e != nil {
		l := e.Labels[g.r.IntN(len(e.Labels))]
		if g.r.IntN(10) == 0 {
			l = strings.ToUpper(l)
		}
		return l
	}
	if v.Type.Canon != "" {
		return g.canonOf(v.Type)
	}
	return g.text(v.Kind)
}

// canonOf is a value of a canonical-text type in another spelling than
// its canonical one now and then, as a session carries it.
func (g *gen) canonOf(t model.Type) string {
	s := g.canonicalOf(t.Kind, t).(string)
	if g.r.IntN(3) > 0 {
		return s
	}
	switch t.Canon {
	case model.CanonTime:
		return strings.TrimSuffix(strings.TrimSuffix(s, ".000000"), ":00")
	case model.CanonBytea:
		return strings.ToUpper(s[:2]) + s[2:] // \X is not bytea: both must refuse it
	case model.CanonInet:
		pg, _ := model.CanonPG(t, s)
		return strings.TrimSuffix(strings.TrimSuffix(pg.(string), "/32"), "/128")
	case model.CanonInterval, model.CanonTimetz, model.CanonMoney:
		// The key itself (s), PostgreSQL's text of it, or a spelling.
		if g.r.IntN(2) == 0 {
			return keyedStorage[s]
		}
		pg, _ := model.CanonPG(t, s)
		return pg.(string)
	}
	return strings.ReplaceAll(s, ",", ", ")
}

// text returns a value of kind k as a session variable would spell it.
func (g *gen) text(k model.Kind) string {
	if k == model.KindJSONB && g.r.IntN(4) == 0 {
		return jsonSpellings[g.r.IntN(len(jsonSpellings))]
	}
	if k == model.KindText {
		switch g.r.IntN(6) {
		case 0, 1:
			return jsonKeys[g.r.IntN(len(jsonKeys))]
		case 2:
			return g.citextValue()
		}
	}
	v := g.canonical(k)
	switch x := v.(type) {
	case json.Number:
		return string(x)
	case bool:
		return []string{"true", "false", "t", "f", "yes", "no", "1", "0"}[boolIndex(x, g.r.IntN(4))]
	case string:
		switch k {
		case model.KindUUID:
			if g.r.IntN(2) == 0 {
				return strings.ToUpper(x)
			}
		case model.KindTimestamp:
			return strings.Replace(x, "T", " ", 1)
		case model.KindTimestamptz:
			switch g.r.IntN(3) {
			case 0:
				return strings.Replace(strings.TrimSuffix(x, "Z"), "T", " ", 1) + "+00"
			case 1:
				// No offset: UTC for Check, whatever the database
				// session's TimeZone.
				return strings.Replace(strings.TrimSuffix(x, "Z"), "T", " ", 1)
			}
		case model.KindJSONB:
			b, _ := json.Marshal(x)
			return string(b)
		}
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// boolIndex picks a spelling of b among true/false, t/f, yes/no, 1/0.
func boolIndex(b bool, variant int) int {
	i := variant * 2
	if !b {
		i++
	}
	return i
}

// arrayElement quotes an element of a Postgres array literal.
func arrayElement(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// rows generates the rows of every table: ids 1..n, edge values and NULLs,
// foreign keys to existing rows, NULL, or (rarely) a missing row.
func (g *gen) rows() map[model.TableName][]map[string]any {
	out := map[model.TableName][]map[string]any{}
	counts := map[model.TableName]int{}
	for _, t := range g.p.SortedTables() {
		counts[t.Name] = 2 + g.r.IntN(g.lim.Rows-1)
	}
	for _, t := range g.p.SortedTables() {
		fks := map[string]model.TableName{}
		for _, fk := range t.ForeignKeys {
			fks[fk.Columns[0]] = fk.RefTable
		}
		for i := 1; i <= counts[t.Name]; i++ {
			row := map[string]any{}
			for _, c := range t.Columns {
				switch {
				case c.Name == "id":
					row[c.Name] = json.Number(fmt.Sprint(i))
				case c.Nullable && g.r.IntN(5) == 0:
					row[c.Name] = nil
				case fks[c.Name] != model.TableName{}:
					n := counts[fks[c.Name]]
					id := 1 + g.r.IntN(n)
					if g.r.IntN(10) == 0 {
						id = 99
					}
					row[c.Name] = json.Number(fmt.Sprint(id))
				default:
					row[c.Name] = g.rowValue(c.Type)
				}
			}
			out[t.Name] = append(out[t.Name], row)
		}
	}
	return out
}

// Nested returns a row of t with its related rows nested under the
// relationship names, hops deep, as Check takes them.
func (c *Case) Nested(t *model.Table, row map[string]any, hops int) map[string]any {
	out := make(map[string]any, len(row)+len(t.Relationships))
	for k, v := range row {
		out[k] = v
	}
	if hops <= 0 {
		return out
	}
	for name, rel := range t.Relationships {
		target := c.Policy.Tables[rel.Target]
		var related []any
		for _, r := range c.Rows[rel.Target] {
			if joins(row, r, rel.Mapping) {
				related = append(related, c.Nested(target, r, hops-1))
			}
		}
		if rel.Kind == model.RelObject {
			if len(related) == 0 {
				out[name] = nil
			} else {
				out[name] = related[0]
			}
			continue
		}
		if related == nil {
			related = []any{}
		}
		out[name] = related
	}
	return out
}

// joins reports whether a row of the source and one of the target match on
// every column pair (NULL matches nothing, as in SQL).
func joins(src, dst map[string]any, m []model.ColumnPair) bool {
	for _, p := range m {
		a, b := src[p.Local], dst[p.Remote]
		if a == nil || b == nil || fmt.Sprint(a) != fmt.Sprint(b) {
			return false
		}
	}
	return true
}
