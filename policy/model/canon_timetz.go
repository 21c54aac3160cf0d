package model

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// This file gives the canonical texts of timetz and money: keys equal
// exactly when PostgreSQL finds the values equal, sorting as it orders
// them.

// timetz: PostgreSQL's timetz_cmp compares the time moved to UTC first
// and then the zone (seconds west of Greenwich): '12:00+01' and
// '11:00+00' are the same instant but not equal, and '12:00+01' sorts
// first. The key is "tz:" and both numbers, offset to be non-negative
// and zero-padded: the UTC time plus 16 hours in microseconds (12
// digits), a colon, the zone plus 57600 seconds (6 digits).

var tzKeyRE = regexp.MustCompile(`^tz:[0-9]{12}:[0-9]{6}$`)

// tzLimit is PostgreSQL's largest zone displacement, 15:59:59, plus one.
const tzLimit = 16 * 3600

// timetzText reads a time with time zone: a time of day as time takes it
// (H[H]:MM[:SS[.f]], 24:00:00 the largest, at most 6 fraction digits),
// then, spaces between allowed, its zone: Z, UTC or GMT (any case), or
// ±H[H], ±HH:MM, ±HHMM or ±HH:MM:SS below 16 hours. A time without a zone
// is invalid: PostgreSQL would take the session's TimeZone, which Warden
// does not know; so are zone names and abbreviations other than those
// three (their offsets depend on a date and PostgreSQL's tables).
func timetzText(s string) (string, error) {
	if tzKeyRE.MatchString(s) {
		return s, nil
	}
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%q is not a valid time with time zone (%s; want e.g. 12:00:00+01 or 09:30-05:30)", clip(s), why)
	}
	t := trimSpace(s)
	i := strings.IndexAny(t, "+-zZuUgG ")
	if i < 0 {
		return bad("no time zone")
	}
	clock, zone := t[:i], trimSpace(t[i:])
	if f := strings.IndexByte(clock, '.'); f >= 0 && len(clock)-f-1 > 6 {
		return bad("more than 6 fraction digits")
	}
	ct, err := timeText(clock)
	if err != nil {
		return bad("the time is not H:MM[:SS[.f]]")
	}
	west, ok := zoneWest(zone)
	if !ok {
		return bad("the zone is not Z, UTC, GMT or ±HH[:MM[:SS]] below 16 hours")
	}
	us := timeMicros(ct)
	return fmt.Sprintf("tz:%012d:%06d", us+int64(west)*1_000_000+tzLimit*1_000_000, west+tzLimit), nil
}

// zoneWest reads a zone and returns it in seconds west of Greenwich, as
// PostgreSQL stores it.
func zoneWest(z string) (int, bool) {
	switch strings.ToLower(z) {
	case "z", "utc", "gmt":
		return 0, true
	}
	if z == "" || z[0] != '+' && z[0] != '-' {
		return 0, false
	}
	d := z[1:]
	var h, m, sec string
	switch {
	case strings.Contains(d, ":"):
		parts := strings.Split(d, ":")
		if len(parts) > 3 || len(parts[0]) < 1 || len(parts[0]) > 2 {
			return 0, false
		}
		h, m = parts[0], parts[1]
		if len(m) != 2 {
			return 0, false
		}
		if len(parts) == 3 {
			if sec = parts[2]; len(sec) != 2 {
				return 0, false
			}
		}
	case len(d) <= 2:
		h = d
	case len(d) == 4:
		h, m = d[:2], d[2:]
	default:
		return 0, false
	}
	if m == "" {
		m = "00"
	}
	if sec == "" {
		sec = "00"
	}
	if !allDigits(h) || !allDigits(m) || !allDigits(sec) || atoi(m) > 59 || atoi(sec) > 59 {
		return 0, false
	}
	east := int(atoi(h)*3600 + atoi(m)*60 + atoi(sec))
	if east >= tzLimit {
		return 0, false
	}
	if z[0] == '-' {
		east = -east
	}
	return -east, true
}

// timeMicros is the canonical time text HH:MM:SS.ffffff in microseconds.
func timeMicros(ct string) int64 {
	return ((atoi(ct[0:2])*60+atoi(ct[3:5]))*60+atoi(ct[6:8]))*1_000_000 + atoi(ct[9:15])
}

// timetzPG writes a timetz key as PostgreSQL reads it:
// HH:MM:SS.ffffff+HH:MM:SS.
func timetzPG(key string) (string, error) {
	if !tzKeyRE.MatchString(key) {
		return "", fmt.Errorf("%q is not a timetz key", clip(key))
	}
	utc, _ := strconv.ParseInt(key[3:15], 10, 64)
	w, _ := strconv.ParseInt(key[16:], 10, 64)
	west := w - tzLimit
	us := utc - tzLimit*1_000_000 - west*1_000_000
	sign, east := '+', -west
	if east < 0 {
		sign, east = '-', -east
	}
	secs := us / 1_000_000
	return fmt.Sprintf("%02d:%02d:%02d.%06d%c%02d:%02d:%02d", secs/3600, secs/60%60, secs%60, us%1_000_000,
		sign, east/3600, east/60%60, east%60), nil
}

// money: PostgreSQL stores an int64 of cents (lc_monetary's fraction
// digits, 2 in the C locale) and compares those. The key is "money:",
// then N (negative, 10^19 added) or P, then 19 digits.

var moneyKeyRE = regexp.MustCompile(`^money:[NP][0-9]{19}$`)

// moneyText reads money as PostgreSQL's cash_in does with lc_monetary C
// (currency symbol $, decimal point ".", thousands separator ",", two
// fraction digits): spaces, then optionally $, then a sign (-, + or an
// opening parenthesis for negative), then optionally $ again, digits with
// "," anywhere between them ignored and at most one "."; a third
// fraction digit of 5 or more rounds away from zero, further digits are
// ignored; then spaces, ")", a sign or $. "$1,234.56", "1234.56",
// "-$5", "(12.30)", "12-" and "" (zero) are all money, as in PostgreSQL.
// Another lc_monetary (another symbol or decimal point) is not read.
func moneyText(s string) (string, error) {
	if moneyKeyRE.MatchString(s) {
		return s, nil
	}
	c, err := parseMoney(s)
	if err != nil {
		return "", err
	}
	if c < 0 {
		// 10^19 minus the magnitude: 19 digits (the most negative value
		// gives 0776627963145224192).
		mag := uint64(-(c + 1)) + 1
		return fmt.Sprintf("money:N%019d", 10_000_000_000_000_000_000-mag), nil
	}
	return fmt.Sprintf("money:P%019d", c), nil
}

func parseMoney(s string) (int64, error) {
	bad := func() (int64, error) {
		return 0, fmt.Errorf("%q is not a valid money value (want e.g. $1,234.56, 1234.56 or -5)", clip(s))
	}
	i := 0
	skip := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	skip()
	if strings.HasPrefix(s[i:], "$") {
		i++
	}
	skip()
	neg := false
	switch {
	case strings.HasPrefix(s[i:], "-"):
		neg = true
		i++
	case strings.HasPrefix(s[i:], "("):
		neg = true
		i++
	case strings.HasPrefix(s[i:], "+"):
		i++
	}
	skip()
	if strings.HasPrefix(s[i:], "$") {
		i++
	}
	skip()
	// Accumulated negative, as cash_in does, so that the most negative
	// value fits.
	var v int64
	dot, dec := false, 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c) && (!dot || dec < 2):
			d := int64(c - '0')
			if v < (-1<<63+d)/10 {
				return 0, fmt.Errorf("%q is out of range for money", clip(s))
			}
			v = v*10 - d
			if dot {
				dec++
			}
			continue
		case c == '.' && !dot:
			dot = true
			continue
		case c == ',':
			continue
		}
		break
	}
	if i < len(s) && isDigit(s[i]) && s[i] >= '5' {
		if v == -1<<63 {
			return 0, fmt.Errorf("%q is out of range for money", clip(s))
		}
		v--
	}
	for ; dec < 2; dec++ {
		if v < -1<<63/10 {
			return 0, fmt.Errorf("%q is out of range for money", clip(s))
		}
		v *= 10
	}
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	for i < len(s) {
		switch c := s[i]; {
		case isSpace(c) || c == ')':
		case c == '-':
			neg = true
		case c == '+', c == '$':
		default:
			return bad()
		}
		i++
	}
	if !neg {
		if v == -1<<63 {
			return 0, fmt.Errorf("%q is out of range for money", clip(s))
		}
		return -v, nil
	}
	return v, nil
}

// moneyPG writes a money key as a decimal PostgreSQL's money input reads
// (lc_monetary C): -1234.56.
func moneyPG(key string) (string, error) {
	if !moneyKeyRE.MatchString(key) {
		return "", fmt.Errorf("%q is not a money key", clip(key))
	}
	u, _ := strconv.ParseUint(key[7:], 10, 64)
	c := int64(u)
	if key[6] == 'N' {
		c = int64(u - 10_000_000_000_000_000_000)
	}
	sign := ""
	mag := uint64(c)
	if c < 0 {
		sign, mag = "-", uint64(-(c+1))+1
	}
	return fmt.Sprintf("%s%d.%02d", sign, mag/100, mag%100), nil
}
