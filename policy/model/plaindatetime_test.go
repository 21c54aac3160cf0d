package model

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// plainDateTimeOK says parseDateTime accepts s for a date, a timestamp
// and a timestamptz: what plainDateTime must hold for every s it takes.
func plainDateTimeOK(t *testing.T, s string) {
	t.Helper()
	for _, k := range []Kind{KindDate, KindTimestamp, KindTimestamptz} {
		if _, err := parseDateTime(s, dateTimeNames[k], k == KindTimestamptz); err != nil {
			t.Fatalf("plainDateTime(%q) is true, parseDateTime for a %s: %v", s, dateTimeNames[k], err)
		}
	}
}

// TestPlainDateTime: the quick test of a date or time accepts only what
// parseDateTime accepts (for all three kinds), over mutations of the
// forms it is made for; and it does accept those forms.
func TestPlainDateTime(t *testing.T) {
	for _, s := range []string{"2024-01-31", "2024-02-29", "2024-01-31T12:30:00Z", "2024-01-31 12:30:00", "2024-01-31T12:30:00.123456Z",
		"2024-01-31T12:30:00.1+02:00", "2024-01-31T23:59:59.999999999-15:59", "0002-01-01T00:00:00+15:00", "9998-12-31T23:59:59.999999999-15:59", "2024-01-31T00:00:00z"} {
		if !plainDateTime(s) {
			t.Errorf("plainDateTime(%q) is false: the form it is made for", s)
		}
		plainDateTimeOK(t, s)
		for _, k := range []Kind{KindDate, KindTimestamp, KindTimestamptz} {
			if !QuickOf(Type{Kind: k}).Accepts(s) {
				t.Errorf("the Quick of a %s does not accept %q", dateTimeNames[k], s)
			}
		}
	}
	for _, s := range []string{"2023-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00", "0001-01-01", "9999-01-01", "0000-01-01",
		"2024-01-31T24:00:00Z", "2024-01-31T12:60:00Z", "2024-01-31T12:30:60Z", "2024-01-31T12:30:00.Z", "2024-01-31T12:30:00.1234567890Z",
		"2024-01-31T12:30:00+16:00", "2024-01-31T12:30:00+02:60", "2024-01-31T12:30:00+0200", "2024-01-31T12:30:00UTC", "2024-01-31T12:30",
		" 2024-01-31", "2024-01-31 ", "2024-1-31", "2024-01-31X12:30:00", "+024-01-31", "2024-01-31T12:30:00Z "} {
		if plainDateTime(s) {
			t.Errorf("plainDateTime(%q) is true: outside the form, parseDateTime decides", s)
		}
	}
	seeds := []string{"2024-01-31", "2024-02-29T12:30:00Z", "2023-12-31 23:59:59.5+05:30", "0002-01-01T00:00:00+15:00", "9998-12-31T23:59:59.999999999-15:59"}
	const alphabet = "0123456789-:T tzZ.+x"
	r := rand.New(rand.NewPCG(3, 4))
	accepted := 0
	for range 200000 {
		b := []byte(seeds[r.IntN(len(seeds))])
		for range 1 + r.IntN(3) {
			switch i := r.IntN(len(b) + 1); r.IntN(4) {
			case 0: // a byte changed (digits most often)
				if i < len(b) {
					if r.IntN(3) > 0 {
						b[i] = byte('0' + r.IntN(10))
					} else {
						b[i] = alphabet[r.IntN(len(alphabet))]
					}
				}
			case 1: // a byte inserted
				b = append(b[:i], append([]byte{alphabet[r.IntN(len(alphabet))]}, b[i:]...)...)
			case 2: // a byte removed
				if i < len(b) {
					b = append(b[:i], b[i+1:]...)
				}
			case 3: // cut
				b = b[:i]
			}
		}
		s := string(b)
		if plainDateTime(s) {
			accepted++
			plainDateTimeOK(t, s)
		}
	}
	if accepted < 15000 {
		t.Errorf("only %d of 200000 mutations accepted: the comparison says little", accepted)
	}
}

// FuzzPlainDateTime: whatever plainDateTime accepts, parseDateTime
// accepts.
func FuzzPlainDateTime(f *testing.F) {
	for _, s := range []string{"2024-01-31", "2024-01-31T12:30:00Z", "2024-01-31 12:30:00.5+02:00", "9998-12-31T23:59:59.999999999-15:59", strings.Repeat("9", 19)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if plainDateTime(s) {
			plainDateTimeOK(t, s)
		}
	})
}
