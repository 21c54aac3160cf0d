package sqlgen_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// TestSessionReadAsCheck: a session variable read inside the database
// (SessionSQL, guarded by SessionRejected) is Check's value
// (model.ParseText) or refused, never another value and never accepted
// where Check refuses it; scalars and lists, under a TimeZone that is not
// UTC. Hand-written texts cover the forms PostgreSQL's casts accept
// beyond Check's (words, zone names, the basic format, hex and
// underscores); random texts over the characters of dates and numbers
// the rest. The only refusal of what Check accepts allowed is a fraction
// of more than six digits (isoDateTime).
func TestSessionReadAsCheck(t *testing.T) {
	ctx := context.Background()
	db := numbersDB(t, sqlgen.Postgres)
	s := sessionSchema(t, db, "wsess", "value", func(schema string) []string {
		return []string{
			// The list reader's stand-in: PostgreSQL's own array input, on
			// the texts below (no NULL, nested or decorated list).
			`CREATE FUNCTION "` + schema + `"."list"(t text) RETURNS text[] LANGUAGE sql IMMUTABLE AS 'SELECT t::text[]'`,
			sqlgen.TimestamptzFunctionSQL(`"` + schema + `"."tz"`),
			`SET TimeZone = 'America/New_York'`,
		}
	})
	s.List, s.Timestamptz = "list", "tz"
	texts := map[model.Kind][]string{
		model.KindInteger: {"1", " 1", "1 ", "-0", "+5", "0x1F", "1_000", "1e3", "9223372036854775807", "9223372036854775808", "NaN", "1.0", ""},
		model.KindNumeric: {"1", "1.50", " -1.5e3 ", "0x1F", "1_000", "NaN", "Infinity", "-inf", ".5", "5.", "1e", "1E+2", "3e05301", "1e1000", "1e-1000", "1e1001", "1e-1001", "1e0001000", "1e000100", "1e+0999", "2e10000"},
		model.KindDate: {"2024-01-31", " 2024-1-3 ", "2024-01-31T10:00", "2024-01-31 24:00:00", "2024-02-30", "0000-01-01",
			"now", "today", "epoch", "infinity", "2024-01-31 BC", "20240131", "Jan 31 2024", "2024-01-31 10:00 pm", "2024-01-31 10:00 UCT",
			"2024-01-31 10:00:00+05:30", "2024-01-31 10:00:00 GMT+3", "J2451187", "2024-01-31 allballs"},
		model.KindTimestamp: {"2024-01-31", "2024-01-31T10:00", "2024-01-31 10:00:00.123456", "2024-01-31 10:00:00.0000005",
			"2024-01-31 24:00:00", "9999-12-31 24:00:00", "2024-01-31 10:00:60", "2024-01-31 10:00 pm", "2024-01-31 10:00:00 UCT",
			"20240131T100000", "2024-01-31 10:00:00Z", "2024-01-31t10:00z", "2024-01-31 10:00:00 +05", "now", "epoch", "infinity",
			"2024-01-31 10:00:00 America/New_York", "2024-01-31 10:00:00 EST", "2024-01-31 10:00:00 GMT+3", "2024-01-31 1:00"},
		model.KindTimestamptz: {"2024-01-31", "2024-01-31T10:00", "2024-01-31 10:00:00", "2024-01-31 10:00:00Z", "2024-01-31 10:00:00 utc",
			"2024-01-31 10:00:00+05:30", "2024-01-31 10:00:00-0530", "2024-01-31 10:00:00+5", "2024-01-31 10:00:00+5:30",
			"2024-01-31 10:00:00+123", "2024-01-31 10:00:00+15:59:59", "2024-01-31 10:00:00+16", "2024-01-31 10:00:00 EST",
			"2024-01-31 10:00:00 America/New_York", "2024-01-31 10:00:00 UCT", "2024-01-31 10:00:00 GMT+3", "now", "epoch",
			"9999-12-31 23:00:00-05", "0001-01-01 00:00:00+01", "9999-12-31 24:00:00", "2024-03-10 02:30:00", "2024-11-03 01:30:00"},
	}
	r := rand.New(rand.NewPCG(3, 5))
	pieces := []string{"2024", "-", "01", "1", "3", ":", "30", " ", "T", "Z", "+", "05", ".", "5", "e", "x", "_", "utc", "pm", "0"}
	texts[model.KindBoolean] = []string{"true", "false", "t", "f", "yes", "no", "y", "n", "on", "off", "of", "tr", "ye", "1", "0", " t ", "TRUE",
		"o", "2", "", "truee", "nope", "t\n"}
	texts[model.KindUUID] = []string{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "a0eebc999c0b4ef8bb6d6bb9bd380a11",
		"a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-", "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11"}
	kinds := []model.Kind{model.KindInteger, model.KindNumeric, model.KindBoolean, model.KindUUID, model.KindDate, model.KindTimestamp, model.KindTimestamptz}
	for _, k := range kinds {
		for range 300 {
			var b strings.Builder
			for range 1 + r.IntN(8) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			texts[k] = append(texts[k], b.String())
		}
		if k == model.KindDate || k == model.KindTimestamp || k == model.KindTimestamptz {
			for range 300 {
				texts[k] = append(texts[k], randomDateTime(r))
			}
		}
	}
	for _, k := range kinds {
		list := texts[k]
		for _, array := range []bool{false, true} {
			p := residual.Param{Name: "v", Kind: k, Array: array}
			read, err := sqlgen.SessionSQL(s, p)
			if err != nil {
				t.Fatal(err)
			}
			rej, err := sqlgen.SessionRejected(s, p)
			if err != nil {
				t.Fatal(err)
			}
			if rej == "" {
				rej = "FALSE"
			}
			typ := map[model.Kind]string{model.KindInteger: "bigint", model.KindNumeric: "numeric", model.KindBoolean: "boolean", model.KindUUID: "uuid", model.KindDate: "date",
				model.KindTimestamp: "timestamp", model.KindTimestamptz: "timestamptz"}[k]
			eq := read + " = $1::" + typ
			if array {
				eq = read + " = ARRAY[$1::" + typ + ", $1::" + typ + "]"
			}
			q := "SELECT CASE WHEN " + read + " IS NULL OR " + rej + " THEN 'refused' WHEN " + eq + " THEN 'equal' ELSE (" + read + ")::text END"
			agree, refused, narrower := 0, 0, 0
			for _, text := range list {
				v, cerr := model.ParseText(k, text)
				setting := text
				if array {
					setting = `{"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(text) + `", ` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(text) + `"}`
					setting = strings.Replace(setting, `", `, `","`, 1)
				}
				if _, err := db.ExecContext(ctx, "SELECT set_config('wtest.value', $1, false)", setting); err != nil {
					t.Fatal(err)
				}
				var arg any
				if cerr == nil {
					arg = fmt.Sprint(v)
				}
				var got string
				qerr := db.QueryRowContext(ctx, q, arg).Scan(&got)
				switch {
				case cerr != nil && qerr == nil && got != "refused":
					t.Errorf("%s %q (list %v): Check refuses it (%v), the database reads %s", k, text, array, cerr, got)
				case cerr != nil:
					refused++
				case qerr != nil && !narrowed(text):
					t.Errorf("%s %q (list %v): Check reads %v, the database fails: %v", k, text, array, v, qerr)
				case (got == "refused" || qerr != nil) && narrowed(text):
					narrower++
				case got != "equal":
					t.Errorf("%s %q (list %v): Check reads %v, the database %s", k, text, array, v, got)
				default:
					agree++
				}
			}
			t.Logf("%s (list %v): %d read as Check does, %d refused by both, %d refused by the narrower grammar", k, array, agree, refused, narrower)
			if agree < 3 || refused < 3 {
				t.Errorf("%s: %d agree, %d refused: the comparison shows too little", k, agree, refused)
			}
		}
	}
}

// randomDateTime is a date, time and zone of Check's grammar, now and then
// out of range or in another form.
func randomDateTime(r *rand.Rand) string {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	s := fmt.Sprintf("%04d-%d-%02d", []int{1, 1999, 2024, 9999, 0}[r.IntN(5)], 1+r.IntN(13), r.IntN(32))
	if r.IntN(4) > 0 {
		s += pick("T", "t", " ", "  ", "\t", "_") + fmt.Sprintf("%d:%02d", r.IntN(26), r.IntN(61))
		if r.IntN(2) == 0 {
			s += fmt.Sprintf(":%02d", r.IntN(62))
			if r.IntN(2) == 0 {
				s += "." + strings.Repeat(pick("0", "5", "9", "1"), 1+r.IntN(8))
			}
		}
		s += pick("", "", " ", "Z", "z", " UTC", "gmt", "+00", "-05", "+5", "+05:30", "-0530", "+5:30", "+15:59:59", "+16", "+05:3",
			" EST", " pm", " am", " UCT", "+123", "+053030")
	}
	return pick("", " ") + s + pick("", " ", "\n")
}

// narrowed says a text is one isoDateTime refuses although Check reads
// it: a fraction of more than six digits, an offset's seconds without a
// colon.
var narrowed = regexp.MustCompile(`\.[0-9]{7}|[+-][0-9]{2}(:?[0-9]{2}[0-9]{2})[ \t\n]*$`).MatchString

// TestSessionLikeAsCheck: a _like or _ilike pattern read inside the
// database (SessionLike: LIKE with its text, a lone trailing backslash
// doubled, both sides mapped to case-folding orbits for _ilike) matches
// exactly the values Check's regular expression (compile.PatternRegex)
// matches, on 400+ patterns over LIKE's specials and characters whose
// orbits have several members, and never fails.
func TestSessionLikeAsCheck(t *testing.T) {
	ctx := context.Background()
	db := numbersDB(t, sqlgen.Postgres)
	s := sessionSchema(t, db, "wlike", "value", func(schema string) []string {
		return []string{sqlgen.CaseFoldFunctionSQL(`"` + schema + `"."casefold"`)}
	})
	s.CaseFold = "casefold"
	if _, err := sqlgen.SessionLike(&sqlgen.SessionRead{Schema: s.Schema, Function: s.Function, Setting: s.Setting}, model.OpIlike, "$1::text",
		residual.Param{Name: "p", Kind: model.KindText, Pattern: model.OpIlike}); err == nil {
		t.Error("an _ilike pattern was read inside the database without the case-fold function")
	}
	for _, op := range []model.Operator{model.OpSimilar, model.OpRegex, model.OpIregex} {
		if _, err := sqlgen.SessionLike(s, op, "$1::text", residual.Param{Name: "p", Kind: model.KindText, Pattern: op}); err == nil {
			t.Errorf("a %s pattern was read inside the database; its syntax is not LIKE's", op)
		}
	}
	r := rand.New(rand.NewPCG(9, 1))
	// Characters whose case-folding orbits have two or three members
	// (k, K and the Kelvin sign; s, S and ſ; σ, ς, Σ; ß and ẞ; the
	// capital I with dot above, alone in its orbit), and LIKE's specials.
	alphabet := []string{"%", "_", `\`, "a", "A", "b", "\n", ".", "*", "é", "É", "[", "]", "k", "K", "\u212a", "s", "ſ", "σ", "ς", "Σ", "ß", "ẞ", "İ", "i", "ı"}
	rnd := func(n int) string {
		var b strings.Builder
		for range r.IntN(n) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	patterns := []string{"%", "_", "a%", "%a", `\%`, `\_`, `a\`, `\\`, `\\\`, `%\\%`, "a_b", "A%", "%\n%", ".*", "[a]", `\a`, `\K`, "é_", "", "STRASSE", "%ß%", "K%", "ſ", "σ%"}
	for range 400 {
		patterns = append(patterns, rnd(6))
	}
	values := []string{"", "a", "A", "ab", "a\nb", "%", "_", `\`, `a\`, `\\`, "a%", ".*", "[a]", "é", "É", "éa", "aé", "a_b", "axb", "\u212a", "ſ", "straße", "İ", "ς"}
	for range 40 {
		values = append(values, rnd(5))
	}
	for _, op := range []model.Operator{model.OpLike, model.OpIlike} {
		q, err := sqlgen.SessionLike(s, op, "$1::text", residual.Param{Name: "p", Kind: model.KindText, Pattern: op})
		if err != nil {
			t.Fatal(err)
		}
		match, nomatch := 0, 0
		for _, pat := range patterns {
			re, err := compile.PatternRegex(op, pat)
			if err != nil {
				t.Fatalf("%q: %v", pat, err)
			}
			rx := regexp.MustCompile(re)
			if _, err := db.ExecContext(ctx, "SELECT set_config('wtest.value', $1, false)", pat); err != nil {
				t.Fatal(err)
			}
			for _, v := range values {
				var got bool
				err := db.QueryRowContext(ctx, "SELECT "+q, v).Scan(&got)
				want := rx.MatchString(v)
				switch {
				case err != nil:
					t.Errorf("%q %s %q fails: %v", v, op, pat, err)
				case got != want:
					t.Errorf("%q %s %q is %v, Check's %s says %v", v, op, pat, got, re, want)
				case got:
					match++
				default:
					nomatch++
				}
			}
		}
		t.Logf("%s: %d matches and %d mismatches alike", op, match, nomatch)
		if match < 100 || nomatch < 100 {
			t.Errorf("%s: %d matches, %d mismatches: the comparison shows too little", op, match, nomatch)
		}
	}
}

// TestSessionEnumAsCheck: a variable compared with an enum column, read
// inside the database (SessionSQL: checked against the policy's labels),
// is Check's label, list of labels, or side of a label
// (model.Enum.Side), or refused where Check refuses it.
func TestSessionEnumAsCheck(t *testing.T) {
	ctx := context.Background()
	db := numbersDB(t, sqlgen.Postgres)
	s := sessionSchema(t, db, "wenum", "value", func(schema string) []string {
		return []string{
			`CREATE FUNCTION "` + schema + `"."list"(t text) RETURNS text[] LANGUAGE sql IMMUTABLE AS 'SELECT t::text[]'`,
			sqlgen.LabelsFunctionSQL(`"` + schema + `"."labels"`),
		}
	})
	e := &model.Enum{Schema: s.Schema, Name: "mood", Labels: []string{"sad", "ok", "Happy ", "ü"}}
	s.List, s.Labels, s.Enums = "list", "labels", map[string]*model.Enum{e.String(): e}
	texts := []string{"sad", "ok", "Happy ", "Happy", "happy ", "ü", "Ü", " sad", "sad ", "", "none"}
	agree, refused := 0, 0
	for _, op := range []model.Operator{"", model.OpGt, model.OpGte, model.OpLt, model.OpLte} {
		p := residual.Param{Name: "v", Kind: model.KindText, Enum: e.String(), Order: op, Array: op != ""}
		read, err := sqlgen.SessionSQL(s, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range texts {
			if _, err := db.ExecContext(ctx, "SELECT set_config('wtest.value', $1, false)", text); err != nil {
				t.Fatal(err)
			}
			var want []string
			_, cerr := model.Normalize(model.Type{Kind: model.KindText, Enum: e}, text, true)
			if cerr == nil {
				want = []string{text}
				if op != "" {
					want = e.Side(op, text)
				}
			}
			q := "SELECT to_jsonb(" + read + ")::text"
			if op == "" {
				q = "SELECT to_jsonb(ARRAY[" + read + "])::text"
			}
			var js string
			qerr := db.QueryRowContext(ctx, q).Scan(&js)
			var got []string
			if qerr == nil {
				if err := json.Unmarshal([]byte(js), &got); err != nil {
					t.Fatal(err)
				}
			}
			switch {
			case cerr != nil && qerr == nil:
				t.Errorf("%q %s: Check refuses it (%v), the database reads %v", text, op, cerr, got)
			case cerr != nil:
				refused++
			case qerr != nil:
				t.Errorf("%q %s: Check reads %v, the database fails: %v", text, op, want, qerr)
			case !slices.Equal(got, want):
				t.Errorf("%q %s: Check reads %v, the database %v", text, op, want, got)
			default:
				agree++
			}
		}
	}
	t.Logf("%d read as Check does, %d refused by both", agree, refused)
	if agree < 10 || refused < 10 {
		t.Errorf("%d agree, %d refused: the comparison shows too little", agree, refused)
	}
}
