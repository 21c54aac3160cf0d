package model

import (
	"encoding/json"
	"testing"
)

func TestCheckIntRange(t *testing.T) {
	tests := []struct {
		bits int
		v    any
		ok   bool
	}{
		{16, json.Number("32767"), true},
		{16, json.Number("32768"), false},
		{16, json.Number("-32768"), true},
		{16, json.Number("-32769"), false},
		{32, json.Number("2147483647"), true},
		{32, json.Number("2147483648"), false},
		{32, json.Number("-2147483648"), true},
		{32, json.Number("-2147483649"), false},
		{64, json.Number("9223372036854775807"), true},
		{0, json.Number("9223372036854775807"), true},
		{32, "not a number", true},
		{32, nil, true},
	}
	for _, tc := range tests {
		err := CheckIntRange(tc.bits, tc.v)
		if (err == nil) != tc.ok {
			t.Errorf("CheckIntRange(%d, %v) = %v, want ok=%v", tc.bits, tc.v, err, tc.ok)
		}
	}
}

// TestNormalizeCharacter: character(n) values lose their trailing spaces;
// a row value (fold false) longer than n characters once trimmed is
// invalid, as PostgreSQL rejects it, a comparison value (fold true) is not.
func TestNormalizeCharacter(t *testing.T) {
	char5 := Type{Declared: "character(5)", Kind: KindText, PadSpace: true, Length: 5}
	bpchar := Type{Declared: "bpchar", Kind: KindText, PadSpace: true}
	tests := []struct {
		t    Type
		v    any
		fold bool
		want any // nil: an error
	}{
		{char5, "ab   ", false, "ab"},
		{char5, "ab", false, "ab"},
		{char5, "abcde", false, "abcde"},
		{char5, "ab        ", false, "ab"}, // only spaces beyond n: truncated, as on insert
		{char5, "abcdef", false, nil},
		{char5, "ééééé", false, "ééééé"}, // characters, not bytes
		{char5, "éééééé", false, nil},
		{char5, "abcdef", true, "abcdef"}, // compared, never stored
		{char5, " a", false, " a"},        // leading spaces count
		{bpchar, "abcdefghijkl  ", false, "abcdefghijkl"},
		{char5, nil, false, nil},
	}
	for _, tc := range tests {
		got, err := Normalize(tc.t, tc.v, tc.fold)
		switch {
		case tc.v == nil:
			if err != nil || got != nil {
				t.Errorf("Normalize(%s, nil) = %v, %v", tc.t.Declared, got, err)
			}
		case tc.want == nil:
			if err == nil {
				t.Errorf("Normalize(%s, %q, %v) = %q, want an error", tc.t.Declared, tc.v, tc.fold, got)
			}
		case err != nil || got != tc.want:
			t.Errorf("Normalize(%s, %q, %v) = %q, %v; want %q", tc.t.Declared, tc.v, tc.fold, got, err, tc.want)
		}
	}
}
