package sqlgen_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// TestJSONSessionAsCheck: a jsonb session variable read inside the
// database (SessionSQL's cast to jsonb, guarded by SessionRejected) is
// exactly Check's value (model.ParseText), or refused by both: no text
// Check reads fails or differs in the database, and no text Check refuses
// is read there. PostgreSQL's json grammar is RFC 8259's, as Go's decoder;
// the differences are \u0000 and unpaired surrogates (jsonb rejects them,
// Go reads them), numbers beyond numeric (Go keeps any), nesting beyond
// 10000 (Go refuses, jsonb reads): model.JSONTextRejected and
// JSONMaxBrackets refuse them in Check and the guard alike. Equality is
// jsonb's (numbers by value, the last of two equal keys kept).
func TestJSONSessionAsCheck(t *testing.T) {
	db := numbersDB(t, sqlgen.Postgres)
	s := sessionSchema(t, db, "wjsess", "json", nil)
	texts := []string{`{"a":1}`, `{"a":1,"a":2}`, `{"a":2,"a":{"b":1}}`, `-0`, `-0.0`, `0`, `1.00`, `1E+2`, `1e-2`, `[1e999]`, `[1e-999]`, `1e1000`, `1e-1000`,
		`1e1001`, `1e0999`, `1e00001000`, `[1e1000 ]`, `[1e1000,1]`, `{"a":1e1000}`, `"1e1000"`, `"x 1e1000 y"`, `"123e4567-e89b-12d3"`,
		`"\u0000"`, `"a\u0000b"`, `"\\u0000"`, `"\ud800"`, `"\udc00"`, `"\ud83d\ude00"`, `"\uD83D\uDE00"`, `"\u00e9"`, `"\u00E9"`, `"é"`, `"\/"`,
		`01`, `1.`, `.5`, `+1`, `NaN`, `Infinity`, `-`, `1e`, `tru`, `TRUE`, `[1,]`, `{"a":1,}`, `1 2`, ``, ` `, "\t1\n", " \r\n[ ]", "\f1", "1\v", "\u00a01",
		`"a` + "\t" + `b"`, `"a\tb"`, `null`, ` null `, `[null]`, `{"a":null}`, `"null"`, `true`, `false`, `[]`, `{}`, `[[]]`, `{"":""}`,
		"1" + strings.Repeat("0", 199), "1" + strings.Repeat("0", 200), "0." + strings.Repeat("1", 200), "0." + strings.Repeat("1", 199),
		`"` + strings.Repeat("9", 201) + `"`, strings.Repeat("[", 512) + strings.Repeat("]", 512), strings.Repeat("[", 513) + strings.Repeat("]", 513),
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001), `{"k":"[[[["}`}
	r := rand.New(rand.NewPCG(7, 11))
	pieces := []string{"{", "}", "[", "]", `"a"`, `"b"`, ":", ",", "1", "-0", "0", "e", "E+", "1000", "999", ".5", `"\u0000"`, `"\ud800"`,
		`"\ud83d\ude00"`, " ", "\t", "null", "true", `"x y"`, "2", "-", `"\u00e9"`}
	for range 1500 {
		var b strings.Builder
		for range 1 + r.IntN(7) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	for range 500 {
		texts = append(texts, randomJSON(r, 0))
	}
	p := residual.Param{Name: "v", Kind: model.KindJSONB}
	read, err := sqlgen.SessionSQL(s, p)
	if err != nil {
		t.Fatal(err)
	}
	rej, err := sqlgen.SessionRejected(s, p)
	if err != nil || rej == "" {
		t.Fatalf("no guard for jsonb: %q, %v", rej, err)
	}
	q := "SELECT CASE WHEN " + rej + " THEN 'refused' WHEN " + read + " = $1::jsonb THEN 'equal' ELSE (" + read + ")::text END"
	agree, refused := 0, 0
	for _, text := range texts {
		v, cerr := model.ParseText(model.KindJSONB, text)
		var js []byte
		if cerr == nil {
			if model.IsJSONNull(v) {
				v = nil
			}
			var err error
			if js, err = json.Marshal(v); err != nil {
				t.Fatal(err)
			}
		}
		got, qerr := readSession(t, db, s, q, text, string(js), cerr)
		short := text
		if len(short) > 60 {
			short = short[:60] + "..."
		}
		switch {
		case cerr != nil && qerr == nil && got != "refused":
			t.Errorf("%q: Check refuses it (%v), the database reads %s", short, cerr, got)
		case cerr != nil:
			refused++
		case qerr != nil:
			t.Errorf("%q: Check reads %s, the database fails: %v", short, js, qerr)
		case got != "equal":
			t.Errorf("%q: Check reads %s, the database %s", short, js, got)
		default:
			agree++
		}
	}
	t.Logf("%d texts read as Check reads them, %d refused by both", agree, refused)
	if agree < 300 || refused < 300 {
		t.Errorf("%d agree, %d refused: the comparison shows too little", agree, refused)
	}
}

// randomJSON is a valid JSON text with edge numbers, strings, escapes,
// keys given twice and spaces.
func randomJSON(r *rand.Rand, depth int) string {
	ws := func() string { return []string{"", "", " ", "\n", "\t ", "\r"}[r.IntN(6)] }
	switch n := r.IntN(10); {
	case n < 2 && depth < 4:
		var items []string
		for range r.IntN(4) {
			items = append(items, ws()+randomJSON(r, depth+1)+ws())
		}
		return "[" + strings.Join(items, ",") + "]"
	case n < 4 && depth < 4:
		var items []string
		keys := []string{`"a"`, `"b"`, `"a"`, `""`, `"\u0061"`, `"é"`}
		for range r.IntN(4) {
			items = append(items, ws()+keys[r.IntN(len(keys))]+ws()+":"+ws()+randomJSON(r, depth+1))
		}
		return "{" + strings.Join(items, ",") + "}"
	case n < 7:
		nums := []string{"0", "-0", "1", "1.0", "1.50", "-2.25e3", "1E+2", "1e-2", "9223372036854775808", "1e999", "1e-999", "1e1000", "1e-1000", "1e1001",
			"12345678901234567890.123456789", "0.000", "5e0", "5E00", "1" + strings.Repeat("0", 150), "1" + strings.Repeat("0", 210)}
		return nums[r.IntN(len(nums))]
	case n < 9:
		strs := []string{`"a"`, `""`, `"\u0000"`, `"\ud800"`, `"\udfff"`, `"\ud83d\ude00"`, `"\n"`, `"\\"`, `"\""`, `"é"`, `"\u00e9"`, `"1e1000"`, `"\/"`, `"🙂"`}
		return strs[r.IntN(len(strs))]
	}
	return []string{"true", "false", "null"}[r.IntN(3)]
}
