package rls_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/rls"
)

// TestListFunction: the script's list reader splits a list session
// variable's text exactly as Check does (model.ParseArrayLiteral): the
// same elements, or an error where Check refuses the text. Hand-written
// texts cover each rule (NULL, nested arrays, decorations, escapes,
// spaces); random texts over the literal's characters the rest.
func TestListFunction(t *testing.T) {
	ctx := context.Background()
	db := openPG(ctx, t)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	schema := "wrls_list_" + runID()
	fn := `"` + schema + `"."` + rls.ListFunctionName + `"`
	if _, err := conn.ExecContext(ctx, `CREATE SCHEMA "`+schema+`"`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `DROP SCHEMA "`+schema+`" CASCADE`)
	if _, err := conn.ExecContext(ctx, rls.ListFunctionSQL(fn)); err != nil {
		t.Fatal(err)
	}
	texts := []string{
		"{}", " { } ", "{ }x", "{}}", "", " ", "{", "}", "1,2", "[1:2]={1,2}", "{{1,2}}", "{{}}", "{1,{2}}",
		"{1,2,3}", " {1, 2 ,3} ", "{a b}", "{ a b }", `{a\ }`, `{\ a}`, `{ \ a}`, `{"a,b","c\"d"}`, `{"", ""}`,
		"{,}", "{1,}", "{,1}", "{1,,2}", "{NULL}", "{null}", "{NuLl}", `{"NULL"}`, `{\NULL}`, `{NUL\L}`, "{nulls}",
		"{1 2}", `{a"b"}`, `{"a"b}`, `{"a" "b"}`, `{"a}`, `{a\}`, `{"a\"}`, `{\`, "{1}\t", "\v{1}\f", "{\v1\v}",
		"{\u00a01}", "{1\u00a0}", "{ü,€}", `{\ü}`, `{"\\"}`, `{\\}`, "{a\nb}", "{ 1 } x", "{1} ,", "{1;2}", "{'a'}",
	}
	r := rand.New(rand.NewPCG(7, 11))
	alphabet := []string{"{", "}", `"`, ",", `\`, " ", "\t", "1", "a", "n", "u", "l", "N", "U", "L", "[", "]", ":", "=", "ü"}
	for range 4000 {
		var b strings.Builder
		if r.IntN(3) > 0 {
			b.WriteString("{")
		}
		for range r.IntN(10) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		if r.IntN(3) > 0 {
			b.WriteString("}")
		}
		texts = append(texts, b.String())
	}
	accepted, refused := 0, 0
	for _, s := range texts {
		want, werr := model.ParseArrayLiteral(s)
		var got []*string
		var js string
		gerr := conn.QueryRowContext(ctx, "SELECT to_jsonb("+fn+"($1))::text", s).Scan(&js)
		if gerr == nil {
			gerr = json.Unmarshal([]byte(js), &got)
		}
		switch {
		case werr != nil && gerr == nil:
			t.Errorf("%q: Check refuses it (%v), the list reader reads %v", s, werr, deref(got))
		case werr == nil && gerr != nil:
			t.Errorf("%q: Check reads %q, the list reader fails: %v", s, want, gerr)
		case werr == nil && !slices.Equal(want, deref(got)):
			t.Errorf("%q: Check reads %q, the list reader %q", s, want, deref(got))
		case werr == nil:
			accepted++
		default:
			refused++
		}
	}
	t.Logf("%d texts read alike, %d refused by both", accepted, refused)
	if accepted < 100 || refused < 100 {
		t.Errorf("%d accepted, %d refused: the comparison shows too little", accepted, refused)
	}
}

// deref is a text[]'s elements, a NULL element as "<NULL>".
func deref(a []*string) []string {
	out := make([]string, len(a))
	for i, p := range a {
		if p == nil {
			out[i] = "<NULL>"
		} else {
			out[i] = *p
		}
	}
	return out
}
