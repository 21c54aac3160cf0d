package sqlgen_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// TestByteaSessionAsCheck: a session variable compared with a bytea
// column read inside the database (SessionSQL: the cast to bytea after
// the vertical tab and form feed are made spaces, guarded by
// SessionRejected to the hex format) is exactly Check's value
// (model.CoerceColumn: \x and lower-case hex digits), or refused by both,
// scalar and list alike.
func TestByteaSessionAsCheck(t *testing.T) {
	db := numbersDB(t, sqlgen.Postgres)
	s := sessionSchema(t, db, "wbsess", "bytea", func(schema string) []string {
		// The list reader's stand-in: PostgreSQL's array input, on texts
		// with neither quotes, backslashes nor commas but the one \x.
		return []string{`CREATE FUNCTION "` + schema + `"."list"(t text) RETURNS text[] LANGUAGE sql IMMUTABLE AS 'SELECT ARRAY[t, t]'`}
	})
	s.List = "list"
	typ := model.Type{Declared: "bytea", Kind: model.KindText, Canon: model.CanonBytea, Cast: "bytea"}
	texts := []string{`\x`, `\xdead`, `\xDEAD`, `\x de ad `, "\\x\tde\nad\r", "\\x\vde\fad", `\xd e`, `\xdea`, `\x0`, ` \xdead`, `\Xdead`, `dead`, `\336`,
		`\\xdead`, `\xgg`, `\x00`, `\x00ff`, "", `\x de`, "\\x\u00a0de", `\x-1`}
	r := rand.New(rand.NewPCG(8, 3))
	pieces := []string{`\x`, "d", "E", "a", "0", "f", " ", "\t", "\v", "g", `\`, "x", "1"}
	for range 1500 {
		var b strings.Builder
		if r.IntN(2) == 0 {
			b.WriteString(`\x`)
		}
		for range r.IntN(8) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	for _, array := range []bool{false, true} {
		p := residual.Param{Name: "v", Kind: model.KindText, Canon: model.CanonBytea, Array: array}
		read, err := sqlgen.SessionSQL(s, p)
		if err != nil {
			t.Fatal(err)
		}
		rej, err := sqlgen.SessionRejected(s, p)
		if err != nil || rej == "" {
			t.Fatalf("no guard for bytea: %q, %v", rej, err)
		}
		eq := read + " = $1::text::bytea"
		if array {
			eq = read + " = ARRAY[$1::text::bytea, $1::text::bytea]"
		}
		q := "SELECT CASE WHEN " + rej + " THEN 'refused' WHEN " + eq + " THEN 'equal' ELSE (" + read + ")::text END"
		agree, refused := 0, 0
		for _, text := range texts {
			v, cerr := model.CoerceColumn(typ, text, false)
			got, qerr := readSession(t, db, s, q, text, v, cerr)
			switch {
			case cerr != nil && qerr == nil && got != "refused":
				t.Errorf("%q (list %v): Check refuses it (%v), the database reads %s", text, array, cerr, got)
			case cerr != nil:
				refused++
			case qerr != nil:
				t.Errorf("%q (list %v): Check reads %v, the database fails: %v", text, array, v, qerr)
			case got != "equal":
				t.Errorf("%q (list %v): Check reads %v, the database %s", text, array, v, got)
			default:
				agree++
			}
		}
		t.Logf("list %v: %d read as Check reads them, %d refused by both", array, agree, refused)
		if agree < 100 || refused < 100 {
			t.Errorf("%d agree, %d refused: the comparison shows too little", agree, refused)
		}
	}
}
