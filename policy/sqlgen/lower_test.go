package sqlgen

import (
	"slices"
	"strings"
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

// TestFoldTable: the fold function's table (foldTable) maps every
// character as Go's unicode.ToLower does, so that translate() with it is
// strings.ToLower on any text (checked here on every code point, each on
// its own and all in one text).
func TestFoldTable(t *testing.T) {
	from, to := foldTable()
	fr, tr := []rune(from), []rune(to)
	if len(fr) != len(tr) || len(fr) < 1000 {
		t.Fatalf("%d characters map to %d", len(fr), len(tr))
	}
	m := map[rune]rune{}
	for i, r := range fr {
		if _, dup := m[r]; dup {
			t.Fatalf("%U twice", r)
		}
		m[r] = tr[i]
	}
	var all, want strings.Builder
	for r := rune(1); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		got, ok := m[r]
		if !ok {
			got = r
		}
		if l := unicode.ToLower(r); got != l {
			t.Errorf("%U lower-cases to %U, translated to %U", r, l, got)
		}
		all.WriteRune(r)
		want.WriteRune(got)
	}
	if strings.ToLower(all.String()) != want.String() {
		t.Error("strings.ToLower of every character differs from the table's")
	}
}
