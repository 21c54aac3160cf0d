package model

import "testing"

// TestOpaqueCast: only names that cannot end the cast or add SQL are
// written after :: (the rest keep their comparisons load problems).
func TestOpaqueCast(t *testing.T) {
	for in, want := range map[string]string{
		"tsvector":               "tsvector",
		"int4range":              "int4range",
		"public.mood":            "public.mood",
		"bit(3)":                 "bit(3)",
		"numeric(10, 2)[]":       "numeric(10,2)[]",
		" macaddr ":              "macaddr",
		`"My Type"`:              "",
		"interval day to second": "",
		"int4range) OR (true":    "",
		"x OR true":              "",
		"tsvector; DROP TABLE t": "",
		"a.b.c":                  "",
		"text[]::text":           "",
		"x(1)) OR TRUE OR ((1":   "",
		"character varying(3)[]": "",
		"tsvector--":             "",
	} {
		if got := OpaqueCast(in); got != want {
			t.Errorf("OpaqueCast(%q) = %q, want %q", in, got, want)
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
