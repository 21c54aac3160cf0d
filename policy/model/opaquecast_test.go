package model

import (
	"strings"
	"testing"
)

// TestOpaqueCast: only names that cannot end the cast or add SQL are
// written after ::, quoted identifiers re-quoted by QuoteIdentPG, SQL's
// multi-word names from a closed list of keywords (the rest keep their
// comparisons load problems).
func TestOpaqueCast(t *testing.T) {
	for in, want := range map[string]string{
		"tsvector":                             "tsvector",
		"int4range":                            "int4range",
		"public.mood":                          "public.mood",
		"bit(3)":                               "bit(3)",
		"numeric(10, 2)[]":                     "numeric(10,2)[]",
		" macaddr ":                            "macaddr",
		`"My Type"`:                            `"My Type"`,
		`"s"."t"`:                              `"s"."t"`,
		`public."Mood"[]`:                      `public."Mood"[]`,
		`"a""b"`:                               `"a""b"`,
		`"x"" OR true --"`:                     `"x"" OR true --"`,
		`"it's"`:                               `"it's"`,
		"interval day to second":               "interval day to second",
		"INTERVAL  Day To Second(3)[]":         "interval day to second(3)[]",
		"interval second(6)":                   "interval second(6)",
		"interval year to month[]":             "interval year to month[]",
		"timestamp(3) without time zone":       "timestamp(3) without time zone",
		"timestamp without time zone[]":        "timestamp without time zone[]",
		"time ( 3 ) with time zone []":         "time(3) with time zone[]",
		"character varying(10)[]":              "character varying(10)[]",
		"character varying(3)[]":               "character varying(3)[]",
		"double precision":                     "double precision",
		"double precision[][]":                 "double precision[][]",
		"bit varying":                          "bit varying",
		"bit varying(5)":                       "bit varying(5)",
		"national character varying(2)":        "national character varying(2)",
		`""`:                                   "",
		`"unterminated`:                        "",
		"\"nul\x00\"":                          "",
		"int4range) OR (true":                  "",
		"x OR true":                            "",
		"tsvector; DROP TABLE t":               "",
		"a.b.c":                                "",
		"text[]::text":                         "",
		"x(1)) OR TRUE OR ((1":                 "",
		"tsvector--":                           "",
		"double":                               "double",
		"double precision precision":           "",
		"interval day to":                      "",
		"interval month(3)":                    "",
		"interval day to second(1,2)":          "",
		"timestamp(3) with zone":               "",
		"timestamp(3) with time zone OR true":  "",
		"character varying(a)":                 "",
		"bit varying(1)(2)":                    "",
		"numeric(1,2,3)":                       "",
		"int[3]":                               "",
		"my$type":                              "",
		"public.\"a\".x":                       "",
		"numeric(12345678901)":                 "",
		"\"a\"\"\"":                            `"a"""`,
		strings.Repeat("a", 201):               "",
		"timestamp(3) without time zone[] --x": "",
		"/* c */ tsvector":                     "",
		"e'x'":                                 "",
	} {
		got := OpaqueCast(in)
		if got != want {
			t.Errorf("OpaqueCast(%q) = %q, want %q", in, got, want)
		}
		if got != "" && OpaqueCast(got) != got {
			t.Errorf("OpaqueCast(%q) = %q, not its own cast", got, OpaqueCast(got))
		}
	}
}

// TestPGArrayEmpty: PostgreSQL's array_in reads these as an empty array
// (checked with cardinality(x::int[]) on PostgreSQL 15) and nothing else;
// '{{}}' and '[1:0]={}' are its errors, not empty arrays.
func TestPGArrayEmpty(t *testing.T) {
	for in, want := range map[string]bool{
		"{}": true, " { } ": true, "\v{\t}\f\r\n": true,
		"{{}}": false, "[1:0]={}": false, "{a}": false, `{""}`: false, "{NULL}": false,
		"": false, "{": false, "{}x": false, "\u00a0{}": false,
	} {
		if got := PGArrayEmpty(in); got != want {
			t.Errorf("PGArrayEmpty(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzOpaqueCast: whatever the declared type, a cast is its own cast and
// tokenizes back into words, numbers, quoted identifiers and the
// grammar's punctuation only, so that nothing but a type name reaches
// the SQL.
func FuzzOpaqueCast(f *testing.F) {
	for _, s := range []string{"tsvector", `"My Type"[]`, "interval day to second(3)", "timestamp(3) without time zone[]",
		`"a""b".c(1,2)`, "character varying(10)[]", "x OR true", `"x"" --"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := OpaqueCast(in)
		if out == "" {
			return
		}
		if OpaqueCast(out) != out {
			t.Fatalf("OpaqueCast(%q) = %q, whose cast is %q", in, out, OpaqueCast(out))
		}
		if _, ok := castTokens(out); !ok || len(out) > maxCastLen {
			t.Fatalf("OpaqueCast(%q) = %q does not tokenize", in, out)
		}
	})
}
