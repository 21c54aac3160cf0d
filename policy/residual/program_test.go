package residual

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

// programCase is what TestProgramIsEvalTemplate draws templates from:
// columns of every kind the closures treat apart, and Params of each
// form.
var (
	progCols = []Column{
		{Name: "n", Kind: model.KindInteger}, {Name: "n", Kind: model.KindInteger, Root: true}, {Name: "m", Kind: model.KindNumeric},
		{Name: "s", Kind: model.KindText}, {Name: "s", Kind: model.KindText, Lower: true}, {Name: "s", Kind: model.KindText, Pad: 4},
		{Name: "b", Kind: model.KindBoolean}, {Name: "doc", Kind: model.KindJSONB}, {Name: "day", Kind: model.KindDate},
		{Name: "gone", Kind: model.KindInteger},
	}
	progParams = []Param{
		{Name: "x-hasura-user-id", Kind: model.KindInteger}, {Name: "x-hasura-ids", Kind: model.KindInteger, Array: true},
		{Name: "x-hasura-name", Kind: model.KindText}, {Name: "x-hasura-doc", Kind: model.KindJSONB},
		{Name: "x-hasura-flag", Kind: model.KindBoolean}, {Name: "@today", Kind: model.KindDate},
		{Name: "x-hasura-pat", Kind: model.KindText, Pattern: model.OpLike},
	}
	// A Param that params do not hold: it reads nothing.
	progUnbound = Param{Name: "x-hasura-unbound", Kind: model.KindInteger}
)

func progValue(r *rand.Rand, k model.Kind) any {
	switch r.IntN(8) {
	case 0:
		return nil
	case 1: // another kind's value
		return []any{"x", true, json.Number("2"), map[string]any{"a": json.Number("1")}}[r.IntN(4)]
	}
	switch k {
	case model.KindInteger, model.KindNumeric:
		return json.Number([]string{"0", "1", "2", "-3", "7", "1.5", "2.0", "123456789012345678901234", "-9223372036854775808"}[r.IntN(9)])
	case model.KindText:
		return []string{"", "a", "A", "ab", "a  ", "b", "Ab"}[r.IntN(7)]
	case model.KindBoolean:
		return r.IntN(2) == 0
	case model.KindJSONB:
		return []any{map[string]any{"a": json.Number("1")}, []any{json.Number("1")}, "a", json.Number("1")}[r.IntN(4)]
	case model.KindDate:
		return []string{"2019-12-31", "2020-01-01", "2999-01-01"}[r.IntN(3)]
	}
	return nil
}

func progOperand(r *rand.Rand, c Column) Operand {
	switch r.IntN(4) {
	case 0, 1:
		// A Param of any kind (not always the column's), or none bound.
		if r.IntN(10) == 0 {
			return progUnbound
		}
		return progParams[r.IntN(len(progParams))]
	case 2:
		if c.Kind == model.KindDate && r.IntN(2) == 0 {
			return Value{V: Clock{Word: model.ClockToday}, Kind: model.KindDate}
		}
		return Value{V: progValue(r, c.Kind), Kind: c.Kind}
	}
	return Value{V: progValue(r, c.Kind), Kind: c.Kind}
}

func progExpr(r *rand.Rand, depth int) Expr {
	c := progCols[r.IntN(len(progCols))]
	n := r.IntN(12)
	if depth > 3 {
		n = 4 + r.IntN(8)
	}
	switch n {
	case 0, 1:
		items := make([]Expr, 1+r.IntN(3))
		for i := range items {
			items[i] = progExpr(r, depth+1)
		}
		if n == 0 {
			return And{Items: items}
		}
		return Or{Items: items}
	case 2:
		return Not{Item: progExpr(r, depth+1)}
	case 3:
		if r.IntN(2) == 0 {
			return Exists{Relationship: "kids", Where: progExpr(r, depth+1)}
		}
		return Exists{Table: model.TableName{Schema: "public", Name: "other"}, Where: progExpr(r, depth+1)}
	case 4:
		return IsNull{Column: c}
	case 5, 6, 7:
		return Compare{Op: CmpOp(1 + r.IntN(7)), Left: c, Right: progOperand(r, c)} // 7: an operator eval does not know
	case 8, 9:
		var list Operand = progParams[1]
		if r.IntN(2) == 0 {
			l := make([]any, r.IntN(3))
			for i := range l {
				l[i] = progValue(r, c.Kind)
			}
			list = Value{V: l, Kind: c.Kind}
		}
		return In{Column: c, List: list}
	case 10:
		return Empty{List: progParams[1]}
	}
	return []Expr{True{}, False{}, Match{Op: model.OpLike, Column: c, Pattern: progParams[6]}}[r.IntN(3)]
}

func progRow(r *rand.Rand, depth int) map[string]any {
	row := map[string]any{}
	for _, c := range progCols {
		if c.Name != "gone" && r.IntN(6) > 0 {
			row[c.Name] = progValue(r, c.Kind)
		}
	}
	if depth == 0 {
		kids := make([]any, r.IntN(3))
		for i := range kids {
			kids[i] = progRow(r, 1)
		}
		row["kids"] = kids
	}
	return row
}

// TestProgramIsEvalTemplate: a compiled template holds exactly when
// EvalTemplate of the template does, over random templates of every node,
// random session values (nil included: a jsonb null) and random rows,
// related rows and other tables' rows.
func TestProgramIsEvalTemplate(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	compared, held := 0, 0
	for range 4000 {
		e := progExpr(r, 0)
		p := CompileTemplate(e, progParams)
		for range 8 {
			vals := make([]any, len(progParams))
			for i, prm := range progParams {
				switch {
				case prm.Array:
					l := make([]any, r.IntN(3))
					for j := range l {
						l[j] = progValue(r, model.KindInteger)
					}
					vals[i] = l
				case prm.Pattern != "":
					vals[i] = PatternValue{Text: "a%", Regex: `^a.*$`}
				case prm.Name == "@today" && r.IntN(2) == 0:
					vals[i] = Clock{Word: model.ClockToday}
				default:
					vals[i] = progValue(r, prm.Kind)
				}
			}
			// Fewer values than params, sometimes: a Param past them reads
			// nothing.
			vals = vals[:len(vals)-r.IntN(2)]
			d := Data{Row: progRow(r, 0), Tables: map[model.TableName][]map[string]any{
				{Schema: "public", Name: "other"}: {progRow(r, 1), progRow(r, 1)},
			}}
			want := EvalTemplate(e, progParams, vals, d)
			if got := p.Eval(vals, d); got != want {
				t.Fatalf("%s with %v on %v: Program %v, EvalTemplate %v", String(e), vals, d.Row, got, want)
			}
			compared++
			if want {
				held++
			}
		}
	}
	if held < compared/10 || held > compared*9/10 {
		t.Errorf("%d of %d evaluations hold: the cases do not tell true from false", held, compared)
	}
}

// BenchmarkProgram compares a compiled template with EvalTemplate on a
// rule of the generated policy sets (wardenbench's member on a table with
// a parent): same org, and owner, or team, or the parent's team.
//
//	go test ./policy/residual -run '^$' -bench Program -cpu 1 -count 10 | tee /tmp/p.txt
//	go tool benchstat -col /eval /tmp/p.txt
func BenchmarkProgram(b *testing.B) {
	org := Param{Name: "x-hasura-org-id", Kind: model.KindInteger}
	uid := Param{Name: "x-hasura-user-id", Kind: model.KindInteger}
	teams := Param{Name: "x-hasura-team-ids", Kind: model.KindInteger, Array: true}
	col := func(name string) Column { return Column{Name: name, Kind: model.KindInteger} }
	e := And{Items: []Expr{
		Compare{Op: Eq, Left: col("org_id"), Right: org},
		Or{Items: []Expr{
			Compare{Op: Eq, Left: col("owner_id"), Right: uid},
			In{Column: col("team_id"), List: teams},
			Exists{Relationship: "parent", Where: In{Column: col("team_id"), List: teams}},
		}},
	}}
	params := []Param{org, teams, uid}
	vals := []any{json.Number("7"), []any{json.Number("7"), json.Number("14"), json.Number("20")}, json.Number("41893")}
	row := map[string]any{"org_id": json.Number("7"), "owner_id": json.Number("3057"), "team_id": json.Number("36"),
		"parent": map[string]any{"team_id": json.Number("20")}}
	d := Data{Row: row}
	p := CompileTemplate(e, params)
	if !p.Eval(vals, d) || !EvalTemplate(e, params, vals, d) {
		b.Fatal("the rule does not hold on the row")
	}
	for _, ev := range []string{"tree", "program"} {
		b.Run("eval="+ev, func(b *testing.B) {
			for b.Loop() {
				if ev == "tree" {
					EvalTemplate(e, params, vals, d)
				} else {
					p.Eval(vals, d)
				}
			}
		})
	}
}

// TestShortIntIsParseInt: int64Of's shortcut gives ParseInt's value for
// every string it takes, and takes the short integers.
func TestShortIntIsParseInt(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	took := 0
	for range 200000 {
		b := make([]byte, r.IntN(22))
		for i := range b {
			b[i] = "0123456789-+.e_ x"[r.IntN(17)]
			if r.IntN(4) > 0 {
				b[i] = byte('0' + r.IntN(10))
			}
		}
		s := string(b)
		got, ok := shortInt(s)
		want, err := strconv.ParseInt(s, 10, 64)
		if ok && (err != nil || got != want) {
			t.Fatalf("shortInt(%q) = %d; ParseInt: %d, %v", s, got, want, err)
		}
		if ok {
			took++
		}
	}
	for _, s := range []string{"0", "-0", "+7", "007", "-123456789012345678", "999999999999999999"} {
		want, _ := strconv.ParseInt(s, 10, 64)
		if got, ok := shortInt(s); !ok || got != want {
			t.Errorf("shortInt(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	if took < 10000 {
		t.Errorf("shortInt took only %d of the strings", took)
	}
}
