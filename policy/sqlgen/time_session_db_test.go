package sqlgen_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// TestTimeSessionAsCheck: a session variable compared with a time column
// (a canonical-text type) read inside the database (SessionSQL's cast to
// time, guarded by SessionRejected) is Check's value (model.CoerceColumn:
// its canonical text), or refused by the guard or the cast where Check
// refuses it. The only refusal of what Check reads allowed is a fraction
// of more than six digits (Check rounds the seventh half up, PostgreSQL
// to even).
func TestTimeSessionAsCheck(t *testing.T) {
	db := numbersDB(t, sqlgen.Postgres)
	s := sessionSchema(t, db, "wtsess", "time", nil)
	s.List = "list"
	typ := model.Type{Declared: "time", Kind: model.KindText, Canon: model.CanonTime, Cast: "time"}
	texts := []string{"09:30", "9:30", "09:30:00", "09:30:00.5", "09:30:00.123456", "09:30:00.1234565", "24:00", "24:00:00", "24:00:00.000001",
		"24:00:01", "25:00", "23:59:59.999999", "23:59:59.9999995", "12:60", "12:00:60", "12:5", " 12:00 ", "\t12:00\n", "12:00 pm", "12:00 PM",
		"T12:00", "120000", "12:00:00+01", "12:00:00Z", "allballs", "now", "12.00", "12:00:00.", "-1:00", "+1:00", "012:00", "1:2:3", "", " ",
		"00:00", "0:00", "12:00:00.0000000", "12:00:00\u00a0", "２:00"}
	r := rand.New(rand.NewPCG(4, 2))
	pieces := []string{"0", "1", "2", "4", "5", "9", ":", ".", " ", "T", "Z", "+", "pm", "60", "24"}
	for range 1500 {
		var b strings.Builder
		for range 1 + r.IntN(8) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	for range 600 {
		// Times of Check's grammar, now and then out of range.
		pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
		tm := fmt.Sprintf(pick("%d", "%02d"), r.IntN(26)) + fmt.Sprintf(":%02d", r.IntN(62))
		if r.IntN(3) > 0 {
			tm += fmt.Sprintf(":%02d", r.IntN(62))
			if r.IntN(2) == 0 {
				tm += "." + strings.Repeat(pick("0", "5", "9", "1"), 1+r.IntN(7))
			}
		}
		texts = append(texts, pick("", " ", "\t")+tm+pick("", " ", "\n"))
	}
	p := residual.Param{Name: "v", Kind: model.KindText, Canon: model.CanonTime}
	read, err := sqlgen.SessionSQL(s, p)
	if err != nil {
		t.Fatal(err)
	}
	rej, err := sqlgen.SessionRejected(s, p)
	if err != nil || rej == "" {
		t.Fatalf("no guard for time: %q, %v", rej, err)
	}
	q := "SELECT CASE WHEN " + rej + " THEN 'refused' WHEN " + read + " = $1::time THEN 'equal' ELSE (" + read + ")::text END"
	agree, refused, narrower := 0, 0, 0
	for _, text := range texts {
		v, cerr := model.CoerceColumn(typ, text, false)
		got, qerr := readSession(t, db, s, q, text, v, cerr)
		frac7 := strings.Contains(text, ".") && len(strings.TrimRight(text[strings.LastIndex(text, ".")+1:], " \t\n")) > 6
		switch {
		case cerr != nil && qerr == nil && got != "refused":
			t.Errorf("%q: Check refuses it (%v), the database reads %s", text, cerr, got)
		case cerr != nil:
			refused++
		case (qerr != nil || got == "refused") && frac7:
			narrower++
		case qerr != nil:
			t.Errorf("%q: Check reads %v, the database fails: %v", text, v, qerr)
		case got != "equal":
			t.Errorf("%q: Check reads %v, the database %s", text, v, got)
		default:
			agree++
		}
	}
	t.Logf("%d read as Check reads them, %d refused by both, %d refused by the narrower grammar", agree, refused, narrower)
	if agree < 50 || refused < 200 {
		t.Errorf("%d agree, %d refused: the comparison shows too little", agree, refused)
	}
}
