package model

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// This file reads PostgreSQL's interval input and gives an interval's
// canonical text: a key that is equal exactly when PostgreSQL's interval
// equality holds and sorts as PostgreSQL orders intervals.
//
// PostgreSQL compares intervals by one number (interval_cmp_value): the
// months counted as 30 days, the days as 24 hours, plus the time, in
// microseconds. '1 mon' = '30 days' and '1 day' = '24:00:00' are true.
// The key is that number, signed and zero-padded:
// "iv:P0000000000086400000000" is 1 day, "iv:N..." a negative interval
// (10^22 plus the value, so that keys sort as the values do).

// The unit of each interval field, as PostgreSQL names it (deltatktbl):
// months for the months fields, days for days and weeks, microseconds for
// the time fields.
type ivUnit struct {
	mask   int
	months int64 // months per unit
	days   int64 // days per unit
	micros int64 // microseconds per unit
	frac   int   // fraction digits allowed (exactly representable)
}

// Field bits, as PostgreSQL's DTK_M masks: a field given twice is invalid.
const (
	ivYear = 1 << iota
	ivMonth
	ivDay
	ivWeek
	ivHour
	ivMinute
	ivSecond
	ivMilli
	ivMicro
	ivDecade
	ivCentury
	ivMillennium
)

var ivUnits = map[string]ivUnit{}

func init() {
	for _, g := range []struct {
		u     ivUnit
		names string
	}{
		{ivUnit{mask: ivMillennium, months: 12000}, "mil mils millennia millennium"},
		{ivUnit{mask: ivCentury, months: 1200}, "c cent centuries century"},
		{ivUnit{mask: ivDecade, months: 120}, "dec decade decades decs"},
		{ivUnit{mask: ivYear, months: 12}, "y yr yrs year years"},
		{ivUnit{mask: ivMonth, months: 1}, "mon mons month months"},
		{ivUnit{mask: ivWeek, days: 7}, "w week weeks"},
		{ivUnit{mask: ivDay, days: 1}, "d day days"},
		{ivUnit{mask: ivHour, micros: 3_600_000_000}, "h hr hrs hour hours"},
		{ivUnit{mask: ivMinute, micros: 60_000_000}, "m min mins minute minutes"},
		{ivUnit{mask: ivSecond, micros: 1_000_000, frac: 6}, "s sec secs second seconds"},
		{ivUnit{mask: ivMilli, micros: 1000, frac: 3}, "ms msec msecs msecond mseconds millisecond milliseconds"},
		{ivUnit{mask: ivMicro, micros: 1}, "us usec usecs usecond useconds microsecond microseconds"},
	} {
		for _, n := range strings.Fields(g.names) {
			ivUnits[n] = g.u
		}
	}
}

// ivKeyRE is the canonical key, read back as it is.
var ivKeyRE = regexp.MustCompile(`^iv:[NP][0-9]{22}$`)

var (
	usPerDay   = big.NewInt(86_400_000_000)
	usPerMonth = big.NewInt(30 * 86_400_000_000)
	ivOffset   = new(big.Int).Exp(big.NewInt(10), big.NewInt(22), nil)
	// ivMax bounds the normalised value Warden compares: the largest
	// number of months an interval holds (2^31-1), as microseconds. Beyond
	// it (an interval of more than 178 million years) a value is refused.
	ivMax = new(big.Int).Mul(big.NewInt(1<<31-1), usPerMonth)
)

// intervalText reads an interval (see ParseInterval) and returns its key.
func intervalText(s string) (string, error) {
	if ivKeyRE.MatchString(s) {
		return s, nil
	}
	v, err := ParseInterval(s)
	if err != nil {
		return "", err
	}
	return intervalKey(v)
}

func intervalKey(v *big.Int) (string, error) {
	if new(big.Int).Abs(v).Cmp(ivMax) > 0 {
		return "", fmt.Errorf("interval of %s microseconds is beyond the range Warden compares (±%s)", v, ivMax)
	}
	if v.Sign() < 0 {
		return "iv:N" + new(big.Int).Add(ivOffset, v).String(), nil
	}
	d := v.String()
	return "iv:P" + strings.Repeat("0", 22-len(d)) + d, nil
}

// intervalPG writes an interval key as PostgreSQL reads it: months, days
// and microseconds of one sign ("-1 mons -2 days -3 microseconds").
func intervalPG(key string) (string, error) {
	if !ivKeyRE.MatchString(key) {
		return "", fmt.Errorf("%q is not an interval key", clip(key))
	}
	v, _ := new(big.Int).SetString(key[4:], 10)
	if key[3] == 'N' {
		v.Sub(v, ivOffset)
	}
	months, rest := new(big.Int).QuoRem(v, usPerMonth, new(big.Int))
	days, micros := new(big.Int).QuoRem(rest, usPerDay, new(big.Int))
	return fmt.Sprintf("%s mons %s days %s microseconds", months, days, micros), nil
}

// ParseInterval reads an interval as PostgreSQL's interval_in does (with
// IntervalStyle postgres, the default) and returns its value normalised
// as interval_cmp_value does: months*30 days + days*24 hours + time, in
// microseconds.
//
// Accepted forms (a subset of PostgreSQL's: any value Warden accepts,
// PostgreSQL reads the same; anything else is an error, never a guess):
//
//   - postgres and verbose: an optional "@", then fields, then an optional
//     "ago" (which negates the whole). A field is a signed integer with a
//     unit (spaces between optional: "1 day", "-2hours", "1h30m"): the
//     units of PostgreSQL's table (microsecond(s) us usec(s) usecond(s),
//     millisecond(s) ms msec(s) msecond(s), second(s) s sec(s), minute(s)
//     m min(s), hour(s) h hr(s), day(s) d, week(s) w, month(s) mon(s),
//     year(s) y yr(s), decade(s) dec(s), century c cent centuries,
//     millennium millennia mil(s); any case); a time [-]H:MM[:SS[.f]] (hours
//     unbounded, minutes below 60, seconds up to 60); a year-month [-]Y-M
//     (M below 12, the SQL standard form); a number without unit directly
//     before a time is days ("3 04:05:06"); a number without unit at the
//     end is seconds ("3600", "1.5"). Each field at most once (PostgreSQL
//     rejects "1 day 2 days"). A fraction only where it is exact: seconds
//     (6 digits), milliseconds (3), the seconds of a time (6).
//   - ISO 8601 with designators: P[nY][nM][nW][nD][T[nH][nM][nS]], signed
//     integers, a fraction of at most 6 digits on S only, upper case;
//     "PT" is zero, "P" alone invalid.
//
// Not read (invalid): fractions of other units ("1.5 days", which
// PostgreSQL computes in floating point), ISO 8601's alternative format
// (P0001-02-03T04:05:06), time zone and typmod-dependent readings,
// "infinity", PostgreSQL's tolerance of stray punctuation and unit
// abbreviations past 10 letters.
func ParseInterval(s string) (*big.Int, error) {
	bad := func(why string) (*big.Int, error) {
		return nil, fmt.Errorf("%q is not a valid interval (%s; want e.g. '1 day 02:00:00', '@ 3 hours ago', 'P1DT2H' or '1-2')", clip(s), why)
	}
	t := trimSpace(s)
	if t == "" {
		return bad("empty")
	}
	if t[0] == 'P' {
		v, why := iso8601Interval(t[1:])
		if why != "" {
			return bad(why)
		}
		return v, nil
	}
	fields, why := ivFields(t)
	if why != "" {
		return bad(why)
	}
	var total ivSum
	mask := 0
	pendingDays := false // a number without unit before a time is days
	for i := len(fields) - 1; i >= 0; i-- {
		f := fields[i]
		var m int
		var v *big.Int
		unit := ivUnits["us"]
		switch {
		case f.time:
			v, why = ivTime(f.num)
			m = ivHour | ivMinute | ivSecond
			pendingDays = true
		case f.ym:
			v, why = ivYearMonth(f.num)
			m = ivYear | ivMonth
			unit = ivUnits["mon"]
			pendingDays = false
		default:
			u := f.unit
			switch {
			case f.unitName != "":
			case pendingDays:
				u = ivUnits["day"]
			case i == len(fields)-1:
				u = ivUnits["s"]
			default:
				return bad("a number without a unit")
			}
			v, why = ivNumber(f.num, u)
			m = u.mask
			unit = u
			if u.mask == ivSecond && strings.Contains(f.num, ".") {
				m |= ivMilli | ivMicro
			}
			pendingDays = false
		}
		if why != "" {
			return bad(why)
		}
		if mask&m != 0 {
			return bad("a field is given twice")
		}
		mask |= m
		if !total.add(unit, v) {
			return bad("out of range")
		}
	}
	t2 := total.value()
	if len(fields) > 0 && fields[0].ago {
		t2.Neg(t2)
	}
	return t2, nil
}

// ivSum adds an interval's fields up as PostgreSQL keeps them: months,
// days and microseconds, the first two 32-bit, the last 64-bit. A field or
// a sum out of those ranges is out of range, as in PostgreSQL.
type ivSum struct{ months, days, micros big.Int }

var (
	maxInt32 = big.NewInt(1<<31 - 1)
	maxInt64 = big.NewInt(1<<63 - 1)
)

// add adds v, a field of unit u in microseconds, and reports whether the
// field and the sum are in range.
func (s *ivSum) add(u ivUnit, v *big.Int) bool {
	part, sum, limit := v, &s.micros, maxInt64
	switch {
	case u.months > 0:
		part, sum, limit = new(big.Int).Quo(v, usPerMonth), &s.months, maxInt32
	case u.days > 0:
		part, sum, limit = new(big.Int).Quo(v, usPerDay), &s.days, maxInt32
	}
	sum.Add(sum, part)
	return new(big.Int).Abs(part).Cmp(limit) <= 0 && new(big.Int).Abs(sum).Cmp(limit) <= 0
}

// value is the normalised value, interval_cmp_value's.
func (s *ivSum) value() *big.Int {
	v := new(big.Int).Mul(&s.months, usPerMonth)
	v.Add(v, new(big.Int).Mul(&s.days, usPerDay))
	return v.Add(v, &s.micros)
}

type ivField struct {
	num      string // the number, sign included
	unitName string
	unit     ivUnit
	time, ym bool
	ago      bool // set on the first field when the text ends in "ago"
}

// ivFields splits the postgres form into fields.
func ivFields(t string) ([]ivField, string) {
	i := 0
	if t[0] == '@' {
		i = 1
	}
	var out []ivField
	ago := false
	for {
		i = skipSpace(t, i)
		if i >= len(t) {
			break
		}
		if ago {
			return nil, `"ago" must come last`
		}
		j := i
		if t[j] == '+' || t[j] == '-' {
			j++
		}
		k := j
		for k < len(t) && t[k] >= '0' && t[k] <= '9' {
			k++
		}
		if k == j {
			w := k
			for w < len(t) && isLetter(t[w]) {
				w++
			}
			if strings.EqualFold(t[i:w], "ago") && i == j && len(out) > 0 {
				ago, i = true, w
				continue
			}
			return nil, fmt.Sprintf("unexpected %q", clip(t[i:]))
		}
		f := ivField{}
		switch {
		case k < len(t) && t[k] == ':':
			k++
			for k < len(t) && (t[k] >= '0' && t[k] <= '9' || t[k] == ':' || t[k] == '.') {
				k++
			}
			f.time = true
		case k+1 < len(t) && t[k] == '-' && t[k+1] >= '0' && t[k+1] <= '9':
			k++
			for k < len(t) && t[k] >= '0' && t[k] <= '9' {
				k++
			}
			f.ym = true
		case k < len(t) && t[k] == '.':
			k++
			for k < len(t) && t[k] >= '0' && t[k] <= '9' {
				k++
			}
		}
		f.num = t[i:k]
		i = k
		if !f.time && !f.ym {
			w := skipSpace(t, i)
			e := w
			for e < len(t) && isLetter(t[e]) {
				e++
			}
			if name := strings.ToLower(t[w:e]); name != "" && name != "ago" {
				u, ok := ivUnits[name]
				if !ok {
					return nil, fmt.Sprintf("unknown unit %q", clip(t[w:e]))
				}
				f.unitName, f.unit, i = name, u, e
			}
		}
		if i < len(t) && !isSpace(t[i]) && !isDigit(t[i]) && t[i] != '+' && t[i] != '-' {
			return nil, fmt.Sprintf("unexpected %q", clip(t[i:]))
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, "no fields"
	}
	out[0].ago = ago
	return out, ""
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// ivNumber is a signed number of unit u, in microseconds: an integer, or
// a fraction of at most u.frac digits.
func ivNumber(num string, u ivUnit) (*big.Int, string) {
	neg := strings.HasPrefix(num, "-")
	n := strings.TrimLeft(num, "+-")
	whole, frac, _ := strings.Cut(n, ".")
	if whole == "" || strings.Contains(n, ".") && frac == "" || !allDigits(whole) || frac != "" && !allDigits(frac) {
		return nil, fmt.Sprintf("%q is not a number", num)
	}
	if len(frac) > u.frac {
		if u.frac == 0 {
			return nil, fmt.Sprintf("a fraction of this unit (%s) is computed in floating point by PostgreSQL; Warden reads whole numbers only", num)
		}
		return nil, fmt.Sprintf("%s has more than %d fraction digits", num, u.frac)
	}
	per := new(big.Int).Add(new(big.Int).Mul(big.NewInt(u.months), usPerMonth), new(big.Int).Mul(big.NewInt(u.days), usPerDay))
	per.Add(per, big.NewInt(u.micros))
	v, _ := new(big.Int).SetString(whole+frac, 10)
	v.Mul(v, per)
	for range len(frac) {
		v.Quo(v, big.NewInt(10))
	}
	if len(whole) > 19 {
		return nil, fmt.Sprintf("%s is out of range", num)
	}
	if neg {
		v.Neg(v)
	}
	return v, ""
}

// ivTime is [-]H:MM[:SS[.f]] in microseconds.
func ivTime(num string) (*big.Int, string) {
	neg := strings.HasPrefix(num, "-")
	parts := strings.Split(strings.TrimLeft(num, "+-"), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return nil, fmt.Sprintf("%q is not a time (want H:MM or H:MM:SS)", num)
	}
	sec, frac, _ := "0", "", false
	if len(parts) == 3 {
		sec, frac, _ = strings.Cut(parts[2], ".")
		if strings.Contains(parts[2], ".") && frac == "" || frac != "" && !allDigits(frac) {
			return nil, fmt.Sprintf("%q is not a time", num)
		}
	}
	if !allDigits(parts[0]) || len(parts[0]) > 10 || !allDigits(parts[1]) || len(parts[1]) > 2 || !allDigits(sec) || len(sec) > 2 {
		return nil, fmt.Sprintf("%q is not a time (want H:MM or H:MM:SS)", num)
	}
	if len(frac) > 6 {
		return nil, fmt.Sprintf("%q has more than 6 fraction digits", num)
	}
	h, m, sc := atoi(parts[0]), atoi(parts[1]), atoi(sec)
	if m > 59 || sc > 60 {
		return nil, fmt.Sprintf("%q is out of range", num)
	}
	us := atoi((frac + "000000")[:6])
	v := big.NewInt(h)
	v.Mul(v, big.NewInt(3_600_000_000))
	v.Add(v, big.NewInt((m*60+sc)*1_000_000+us))
	if neg {
		v.Neg(v)
	}
	return v, ""
}

// ivYearMonth is [-]Y-M (M below 12) in microseconds; the sign applies
// to both.
func ivYearMonth(num string) (*big.Int, string) {
	neg := strings.HasPrefix(num, "-")
	y, m, _ := strings.Cut(strings.TrimLeft(num, "+-"), "-")
	if len(y) > 9 || len(m) > 9 || atoi(m) > 11 {
		return nil, fmt.Sprintf("%q is out of range (want years-months, months below 12)", num)
	}
	v := big.NewInt(atoi(y)*12 + atoi(m))
	v.Mul(v, usPerMonth)
	if neg {
		v.Neg(v)
	}
	return v, ""
}

// iso8601Interval reads what follows the "P" of an ISO 8601 duration
// with designators.
func iso8601Interval(t string) (*big.Int, string) {
	if t == "" {
		return nil, "nothing after P"
	}
	var total ivSum
	date := []struct {
		d byte
		u ivUnit
	}{{'Y', ivUnits["year"]}, {'M', ivUnits["month"]}, {'W', ivUnits["week"]}, {'D', ivUnits["day"]}}
	clock := []struct {
		d byte
		u ivUnit
	}{{'H', ivUnits["hour"]}, {'M', ivUnits["minute"]}, {'S', ivUnits["second"]}}
	inTime := false
	next := 0
	for i := 0; i < len(t); {
		if t[i] == 'T' && !inTime {
			inTime, next = true, 0
			i++
			continue
		}
		j := i
		if j < len(t) && (t[j] == '+' || t[j] == '-') {
			j++
		}
		for j < len(t) && (isDigit(t[j]) || t[j] == '.') {
			j++
		}
		if j == i || j >= len(t) {
			return nil, "want a number and a designator (Y M W D, after T: H M S)"
		}
		num, d := t[i:j], t[j]
		table := date
		if inTime {
			table = clock
		}
		found := false
		for next < len(table) {
			e := table[next]
			next++
			if e.d == d {
				u := e.u
				if d != 'S' || !inTime {
					u.frac = 0
				}
				v, why := ivNumber(num, u)
				if why != "" {
					return nil, why
				}
				if !total.add(u, v) {
					return nil, "out of range"
				}
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Sprintf("designator %q out of place", d)
		}
		i = j + 1
	}
	return total.value(), ""
}

func atoi(s string) int64 {
	var n int64
	for i := 0; i < len(s); i++ {
		n = n*10 + int64(s[i]-'0')
	}
	return n
}
