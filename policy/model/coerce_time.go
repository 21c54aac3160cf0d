package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseDateTime parses "YYYY-MM-DD[( |T)HH:MM[:SS[.frac]]][ offset]" where
// offset is Z, UTC, GMT or ±HH[[:]MM[[:]SS]]. With withZone the offset
// applies and the result is in UTC; without, an offset is checked and
// ignored as PostgreSQL does for timestamp and date.
func parseDateTime(s, typ string, withZone bool) (time.Time, error) {
	p := dtParser{s: trimSpace(s)}
	bad := func() (time.Time, error) {
		return time.Time{}, fmt.Errorf("%q is not a valid %s (want ISO 8601, e.g. 2024-01-31 or 2024-01-31T12:30:00Z)", clip(s), typ)
	}
	year, ok1 := p.num(4, 4)
	ok2 := p.lit('-')
	month, ok3 := p.num(1, 2)
	ok4 := p.lit('-')
	day, ok5 := p.num(1, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return bad()
	}
	var hour, minute, sec, nsec, offset int
	if p.more() {
		if !p.lit('T') && !p.lit('t') && !p.spaces() {
			return bad()
		}
		var ok bool
		if hour, ok = p.num(1, 2); !ok || !p.lit(':') {
			return bad()
		}
		if minute, ok = p.num(2, 2); !ok {
			return bad()
		}
		if p.lit(':') {
			if sec, ok = p.num(2, 2); !ok {
				return bad()
			}
			if p.lit('.') {
				if nsec, ok = p.fraction(); !ok {
					return bad()
				}
			}
		}
		p.spaces()
		if p.more() {
			if offset, ok = p.zone(); !ok {
				return bad()
			}
		}
		p.spaces()
		if p.more() {
			return bad()
		}
	}
	if year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		minute > 59 || sec > 60 || hour > 24 || hour == 24 && (minute != 0 || sec != 0 || nsec != 0) {
		return time.Time{}, fmt.Errorf("%q is out of range for a %s", clip(s), typ)
	}
	if typ == "date" {
		// A time part is checked and dropped.
		return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), nil
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	t = t.Add(time.Duration(nsec)).Round(time.Microsecond)
	if withZone {
		t = t.Add(-time.Duration(offset) * time.Second)
	}
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("%q is out of range for a %s", clip(s), typ)
	}
	return t, nil
}

type dtParser struct {
	s string
	i int
}

func (p *dtParser) more() bool { return p.i < len(p.s) }

func (p *dtParser) lit(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *dtParser) spaces() bool {
	j := skipSpace(p.s, p.i)
	moved := j > p.i
	p.i = j
	return moved
}

func (p *dtParser) num(minDigits, maxDigits int) (int, bool) {
	j := p.i
	for j < len(p.s) && j-p.i < maxDigits && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	if j-p.i < minDigits {
		return 0, false
	}
	n, _ := strconv.Atoi(p.s[p.i:j])
	p.i = j
	return n, true
}

// fraction reads fractional-second digits as nanoseconds, rounding half up
// at the tenth digit.
func (p *dtParser) fraction() (int, bool) {
	j := p.i
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	digits := p.s[p.i:j]
	if digits == "" {
		return 0, false
	}
	p.i = j
	up := len(digits) > 9 && digits[9] >= '5'
	digits = (digits + "000000000")[:9]
	n, _ := strconv.Atoi(digits)
	if up {
		n++
	}
	return n, true
}

// zone reads Z, UTC, GMT or ±HH[[:]MM[[:]SS]] and returns the offset east
// of UTC in seconds.
func (p *dtParser) zone() (int, bool) {
	rest := strings.ToUpper(p.s[p.i:])
	for _, name := range []string{"UTC", "GMT", "Z"} {
		if strings.HasPrefix(rest, name) {
			p.i += len(name)
			return 0, true
		}
	}
	sign := 1
	switch {
	case p.lit('+'):
	case p.lit('-'):
		sign = -1
	default:
		return 0, false
	}
	h, ok := p.num(1, 2)
	if !ok || h > 15 {
		return 0, false
	}
	total := h * 3600
	for _, unit := range []int{60, 1} {
		colon := p.lit(':')
		n, ok := p.num(2, 2)
		if !ok {
			if colon {
				return 0, false
			}
			break
		}
		if n > 59 {
			return 0, false
		}
		total += n * unit
	}
	return sign * total, true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
