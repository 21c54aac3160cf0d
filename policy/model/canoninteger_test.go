package model

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestParseIntegerCanonical: parseInteger's value is FormatInt of the
// integer, whether the text is already written so (returned as it is) or
// not (signs, leading zeros, spaces, "-0"), and it refuses what
// ParseInt refuses.
func TestParseIntegerCanonical(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	texts := []string{"0", "-0", "+0", "00", "007", "-007", "+7", "7", " 7 ", "-9223372036854775808",
		"9223372036854775807", "9223372036854775808", "--1", "+-1", "", "-", "+", "1a"}
	for range 2000 {
		n := r.Int64N(1<<62) >> r.IntN(63)
		if r.IntN(2) == 0 {
			n = -n
		}
		s := strconv.FormatInt(n, 10)
		switch r.IntN(4) {
		case 0:
			s = "+" + s
		case 1:
			s = "0" + s
		}
		texts = append(texts, s)
	}
	canon := 0
	for _, s := range texts {
		got, err := parseInteger(s)
		n, perr := strconv.ParseInt(trimSpace(s), 10, 64)
		if perr != nil || err != nil {
			if (perr == nil) != (err == nil) && allDigits(trimSpace(s)) {
				t.Errorf("%q: %v, ParseInt %v", s, err, perr)
			}
			continue
		}
		want := json.Number(strconv.FormatInt(n, 10))
		if got != want {
			t.Errorf("%q: %v, want %v", s, got, want)
		}
		if trimSpace(s) == string(want) {
			canon++
		}
	}
	if canon < 500 {
		t.Fatalf("%d canonical texts: the generator no longer covers them", canon)
	}
}

// TestParseIntegerSmallShared: an integer of 0 to 1023 (ids, org and
// team numbers in session variables) comes back shared, without an
// allocation.
func TestParseIntegerSmallShared(t *testing.T) {
	for _, s := range []string{"0", "42", "1023", "+7", "007"} {
		if n := testing.AllocsPerRun(50, func() { _, _ = parseInteger(s) }); n != 0 {
			t.Errorf("parseInteger(%q): %v allocations, want 0", s, n)
		}
	}
}
