package residual

import (
	"encoding/json"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

// TestEvalTemplateIsEvalOfBind: evaluating a template with the session's
// values where it meets a Param (what Check does per row) holds exactly
// when Eval of the bound tree (what Filter returns) does, for the Params
// that Bind does more than substitute: an empty or non-empty array for
// Empty and In, a jsonb null, a pattern, a clock word, one inside an
// Exists.
func TestEvalTemplateIsEvalOfBind(t *testing.T) {
	n := Column{Name: "n", Kind: model.KindInteger}
	doc := Column{Name: "doc", Kind: model.KindJSONB}
	title := Column{Name: "title", Kind: model.KindText}
	day := Column{Name: "day", Kind: model.KindDate}
	ids := Param{Name: "x-hasura-ids", Kind: model.KindInteger, Array: true}
	js := Param{Name: "x-hasura-doc", Kind: model.KindJSONB}
	pat := Param{Name: "x-hasura-pat", Kind: model.KindText, Pattern: model.OpLike}
	uid := Param{Name: "x-hasura-user-id", Kind: model.KindInteger}
	today := Param{Name: "@today", Kind: model.KindDate}
	params := []Param{ids, js, pat, uid, today}
	tmpl := []Expr{
		// _nin over an array variable.
		Or{Items: []Expr{Empty{List: ids}, And{Items: []Expr{Not{Item: IsNull{Column: n}}, Not{Item: In{Column: n, List: ids}}}}}},
		In{Column: n, List: ids},
		Compare{Op: Eq, Left: doc, Right: js},
		Compare{Op: Neq, Left: doc, Right: js},
		Compare{Op: Gte, Left: doc, Right: js},
		Not{Item: Match{Op: model.OpLike, Column: title, Pattern: pat}},
		Compare{Op: Lte, Left: day, Right: today},
		Exists{Table: model.TableName{Schema: "public", Name: "c"}, Relationship: "comments",
			Where: And{Items: []Expr{Compare{Op: Eq, Left: n, Right: uid}, Compare{Op: Gt, Left: Column{Name: "n", Kind: model.KindInteger, Root: true}, Right: uid}}}},
	}
	valueSets := [][]any{
		{[]any{}, nil, PatternValue{Text: "a%", Regex: `^a.*$`}, json.Number("1"), Clock{Word: model.ClockToday}},
		{[]any{json.Number("1"), json.Number("2")}, map[string]any{"a": json.Number("1")}, PatternValue{Text: "%b", Regex: `^.*b$`}, json.Number("2"), "2020-01-01"},
	}
	rows := []map[string]any{
		{"n": json.Number("1"), "doc": nil, "title": "ab", "day": "2019-12-31", "comments": []any{map[string]any{"n": json.Number("1")}}},
		{"n": nil, "doc": map[string]any{"a": json.Number("1")}, "title": "b", "day": "2999-01-01", "comments": []any{}},
		{"n": json.Number("3"), "doc": "x", "title": nil, "day": nil, "comments": []any{map[string]any{"n": json.Number("2")}}},
	}
	compared, held := 0, 0
	for i, e := range tmpl {
		if err := CheckTemplate(e, params); err != nil {
			t.Fatalf("template %d: %v", i, err)
		}
		for _, vals := range valueSets {
			bound, err := Bind(e, params, vals)
			if err != nil {
				t.Fatalf("template %d: %v", i, err)
			}
			for _, row := range rows {
				d := Data{Row: row}
				want := Eval(bound, d)
				if got := EvalTemplate(e, params, vals, d); got != want {
					t.Errorf("template %s with %v on %v: EvalTemplate %v, Eval of the bound %s %v", String(e), vals, row, got, String(bound), want)
				}
				compared++
				if want {
					held++
				}
			}
		}
	}
	if held == 0 || held == compared {
		t.Errorf("%d of %d evaluations hold: the cases do not tell true from false", held, compared)
	}
	if err := CheckTemplate(In{Column: n, List: ids}, params[1:]); err == nil {
		t.Error("CheckTemplate accepts a template with a Param that has no value")
	}
}
