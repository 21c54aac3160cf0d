package sqlgen

import (
	"slices"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestLowerPreimage: for every character, lowerPreimage(c) is exactly the
// characters unicode.ToLower maps to c.
func TestLowerPreimage(t *testing.T) {
	// Characters that lower-case to another, by the one they become.
	changed := map[rune][]rune{}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if l := unicode.ToLower(r); l != r && utf8.ValidRune(r) {
			changed[l] = append(changed[l], r)
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		var want []rune
		if unicode.ToLower(r) == r {
			want = append(want, r)
		}
		want = append(want, changed[r]...)
		got := lowerPreimage(r)
		if len(got) != len(want) || len(want) > 1 && !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) || len(want) == 1 && got[0] != want[0] {
			t.Fatalf("lowerPreimage(%U) = %q, want %q", r, got, want)
		}
	}
	for c, set := range map[rune]string{'k': "kK\u212a", 'i': "iI\u0130", 's': "sS", 'ſ': "ſ", 'σ': "σΣ", 'ς': "ς", 'ß': "ßẞ", 'A': "", '1': "1"} {
		if got := string(lowerPreimage(c)); got != set {
			t.Errorf("lowerPreimage(%q) = %q, want %q", c, got, set)
		}
	}
}

// TestASCIIFold: asciiUpper and asciiLower pair every character Go
// lower-cases to an ASCII character other than itself with that
// character, and no other: the column side of a citext comparison with
// an ASCII session value (foldedSession) is then Go's lower-casing
// wherever the result can equal an ASCII text.
func TestASCIIFold(t *testing.T) {
	want := map[rune]rune{}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if l := unicode.ToLower(r); l != r && l < 0x80 {
			want[r] = l
		}
	}
	up, low := []rune(asciiUpper), []rune(asciiLower)
	if len(up) != len(low) {
		t.Fatalf("%d characters map to %d", len(up), len(low))
	}
	got := map[rune]rune{}
	for i, r := range up {
		got[r] = low[i]
	}
	if len(got) != len(want) {
		t.Errorf("%d characters, want %d", len(got), len(want))
	}
	for r, l := range want {
		if got[r] != l {
			t.Errorf("%U lower-cases to %q, translated to %q", r, l, got[r])
		}
	}
}
