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
