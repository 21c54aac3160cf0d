package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// This file gives the canonical text of the types Warden compares by text
// although PostgreSQL stores them otherwise (Type.Canon): time, bytea,
// inet, cidr, ltree and arrays, and (canon_interval.go, canon_timetz.go)
// interval, timetz and money. Two values of such a type are equal in
// PostgreSQL exactly when their canonical texts are equal, so that Rego
// compares them as strings; for the types CanonOrdered names the
// canonical texts also sort as PostgreSQL sorts the values. inet, cidr,
// interval, timetz and money have a key for canonical text, which
// PostgreSQL does not read (CanonPG gives PostgreSQL's text of it).

// The canonical types (Type.Canon).
const (
	CanonTime  = "time"
	CanonBytea = "bytea"
	CanonInet  = "inet"
	CanonCidr  = "cidr"
	CanonArray = "array"
	CanonLtree = "ltree"
	// CanonInterval, CanonTimetz and CanonMoney have a key for canonical
	// text (canon_interval.go, canon_timetz.go), which PostgreSQL does not
	// read: CanonPG gives the text Filter's SQL sends. So do CanonInet and
	// CanonCidr (canon_inet.go).
	CanonInterval = "interval"
	CanonTimetz   = "timetz"
	CanonMoney    = "money"
)

// CanonOrdered reports whether the canonical text of a Canon type sorts as
// PostgreSQL sorts its values (bytewise): time, bytea, interval, timetz,
// money, inet and cidr.
func CanonOrdered(canon string) bool {
	switch canon {
	case CanonTime, CanonBytea, CanonInterval, CanonTimetz, CanonMoney, CanonInet, CanonCidr:
		return true
	}
	return false
}

// CanonPG returns the text PostgreSQL reads for a canonical value of a
// Canon type (cast to the type: $1::text::interval): the value itself,
// but for the keys of interval, timetz and money. It also gives a
// preset's value of those types, which the caller writes to a row.
func CanonPG(t Type, v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return v, nil
	}
	switch t.Canon {
	case CanonInterval:
		return intervalPG(s)
	case CanonTimetz:
		return timetzPG(s)
	case CanonMoney:
		return moneyPG(s)
	case CanonInet, CanonCidr:
		return inetPG(s)
	}
	return v, nil
}

// ArrayElementKinds are the kinds an array's elements may have for the
// array to be compared (Type.Elem): their canonical forms are equal
// exactly when PostgreSQL's element equality holds.
var ArrayElementKinds = map[Kind]bool{KindInteger: true, KindText: true, KindUUID: true, KindBoolean: true, KindDate: true}

// CoerceColumn converts a JSON value to the canonical form of column type
// t (CoerceJSON, then Normalize); an array column also takes a JSON array
// (nested for more dimensions, null for a NULL element).
func CoerceColumn(t Type, v any, fold bool) (any, error) {
	if l, ok := v.([]any); ok && t.Canon == CanonArray {
		return arrayText(t, l)
	}
	if t.Canon == CanonMoney {
		// A number is money as its decimal text is (1234.567 rounds to
		// 1234.57); a double only below 2^53, as for numeric.
		switch x := v.(type) {
		case float64:
			if math.Abs(x) >= maxSafeInteger {
				return nil, inexactError(x)
			}
			v = strconv.FormatFloat(x, 'f', -1, 64)
		case json.Number:
			v = string(x)
		}
	}
	cv, err := CoerceJSON(t.Kind, v)
	if err != nil {
		return nil, err
	}
	return Normalize(t, cv, fold)
}

// canonical returns the canonical text of a value of a Canon type.
func canonical(t Type, v any) (any, error) {
	if l, ok := v.([]any); ok && t.Canon == CanonArray {
		return arrayText(t, l)
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("expected a string for a %s column, got %s", t.Declared, jsonTypeOf(v))
	}
	switch t.Canon {
	case CanonTime:
		return timeText(s)
	case CanonInterval:
		return intervalText(s)
	case CanonTimetz:
		return timetzText(s)
	case CanonMoney:
		return moneyText(s)
	case CanonBytea:
		return byteaText(s)
	case CanonInet, CanonCidr:
		return inetText(s, t.Canon == CanonCidr)
	case CanonLtree:
		if !ltreeRE.MatchString(s) {
			return nil, fmt.Errorf("%q is not a valid ltree (want labels of letters, digits, _ and - separated by dots, e.g. Top.Science)", clip(s))
		}
		return s, nil
	case CanonArray:
		l, err := parseArrayText(s, t.Elem.Kind)
		if err != nil {
			return nil, err
		}
		return arrayText(t, l)
	}
	return nil, fmt.Errorf("unknown canonical type %q", t.Canon)
}

// ltreeRE is an ltree as PostgreSQL writes it: labels of letters, digits,
// underscores and (PostgreSQL 16) hyphens, at most 1000 characters each,
// separated by dots; the empty path too. The text is its own canonical
// form.
var ltreeRE = regexp.MustCompile(`^([A-Za-z0-9_-]{1,1000}(\.[A-Za-z0-9_-]{1,1000})*)?$`)

// LtreeAncestors lists the ltree paths that are ancestors of path or equal
// to it, the empty path first: Top.Science gives "", Top, Top.Science.
func LtreeAncestors(path string) []string {
	out := []string{""}
	if path == "" {
		return out
	}
	labels := strings.Split(path, ".")
	for i := range labels {
		out = append(out, strings.Join(labels[:i+1], "."))
	}
	return out
}

// LtreeAncestorRegex is the regular expression of the ltree paths that
// are ancestors of path or equal to it (LtreeAncestors as a pattern).
func LtreeAncestorRegex(path string) string {
	as := LtreeAncestors(path)
	for i, a := range as {
		as[i] = regexp.QuoteMeta(a)
	}
	return `(?s)^(?:` + strings.Join(as, "|") + `)$`
}

// ParseLtree checks an ltree path (see ltreeRE) and returns it.
func ParseLtree(s string) (string, error) {
	v, err := canonical(Type{Canon: CanonLtree}, s)
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// LtreeDescendantRegex is the regular expression of the ltree paths that
// are descendants of path or equal to it (every path for the empty one).
func LtreeDescendantRegex(path string) string {
	if path == "" {
		return `(?s)^.*$`
	}
	return `(?s)^` + regexp.QuoteMeta(path) + `(\..*)?$`
}

// timeText reads a time of day, H[H]:MM[:SS[.fraction]] (24:00:00 included,
// fractions rounded half up to microseconds, as PostgreSQL does), and
// writes HH:MM:SS.ffffff.
func timeText(s string) (string, error) {
	bad := func() (string, error) {
		return "", fmt.Errorf("%q is not a valid time (want HH:MM[:SS[.ffffff]])", clip(s))
	}
	t := trimSpace(s)
	part := func(n int) (int, bool) {
		if len(t) < n || !allDigits(t[:n]) {
			return 0, false
		}
		v, _ := strconv.Atoi(t[:n])
		t = t[n:]
		return v, true
	}
	h, ok1 := part(2)
	if !ok1 {
		h, ok1 = part(1)
	}
	if !ok1 || len(t) == 0 || t[0] != ':' {
		return bad()
	}
	t = t[1:]
	m, ok2 := part(2)
	if !ok2 {
		return bad()
	}
	sec, micros := 0, 0
	if len(t) > 0 && t[0] == ':' {
		t = t[1:]
		var ok bool
		if sec, ok = part(2); !ok {
			return bad()
		}
		if len(t) > 0 && t[0] == '.' {
			t = t[1:]
			j := 0
			for j < len(t) && t[j] >= '0' && t[j] <= '9' {
				j++
			}
			frac := t[:j]
			t = t[j:]
			if frac == "" {
				return bad()
			}
			for len(frac) < 7 {
				frac += "0"
			}
			micros, _ = strconv.Atoi(frac[:6])
			if frac[6] >= '5' {
				micros++
			}
		}
	}
	if t != "" || h > 24 || m > 59 || sec > 59 {
		return bad()
	}
	total := ((int64(h)*60+int64(m))*60+int64(sec))*1_000_000 + int64(micros)
	if total > 24*3600*1_000_000 {
		return bad()
	}
	us := total % 1_000_000
	secs := total / 1_000_000
	return fmt.Sprintf("%02d:%02d:%02d.%06d", secs/3600, secs/60%60, secs%60, us), nil
}

// byteaText reads bytea in PostgreSQL's hex format (\x, then pairs of hex
// digits, whitespace allowed between pairs) and writes it with lower-case
// digits. The escape format is not read.
func byteaText(s string) (string, error) {
	if !strings.HasPrefix(s, `\x`) {
		return "", fmt.Errorf("%q is not bytea in hex format (want \\x followed by hex digits, e.g. \\xdeadbeef)", clip(s))
	}
	var digits strings.Builder
	rest := s[2:]
	for i := 0; i < len(rest); {
		if isSpace(rest[i]) {
			i++
			continue
		}
		if i+1 >= len(rest) || !isHex(rest[i]) || !isHex(rest[i+1]) {
			return "", fmt.Errorf("%q is not bytea in hex format: want pairs of hex digits after \\x", clip(s))
		}
		digits.WriteByte(lowerHex(rest[i]))
		digits.WriteByte(lowerHex(rest[i+1]))
		i += 2
	}
	return `\x` + digits.String(), nil
}

// inetText reads an IPv4 or IPv6 address with an optional prefix length
// (the length of the family when absent) and writes its key (canon_inet.go).
// A cidr may have no bits set right of its prefix. Zones and PostgreSQL's
// abbreviated cidr forms (10/8) are not read.
func inetText(s string, cidr bool) (string, error) {
	if inetKeyRE.MatchString(s) {
		return s, nil
	}
	t := s // PostgreSQL's inet_in refuses surrounding spaces
	var p netip.Prefix
	var err error
	if strings.Contains(t, "/") {
		p, err = netip.ParsePrefix(t)
	} else {
		var a netip.Addr
		if a, err = netip.ParseAddr(t); err == nil && a.Zone() == "" {
			p = netip.PrefixFrom(a, a.BitLen())
		} else if err == nil {
			err = errors.New("zone")
		}
	}
	if err != nil || p.Addr().Zone() != "" {
		return "", fmt.Errorf("%q is not a valid IP address or network", clip(s))
	}
	if cidr && p.Masked() != p {
		return "", fmt.Errorf("%q is not a valid cidr: it has bits set right of the prefix length", clip(s))
	}
	return inetKey(p), nil
}

// arrayText writes an array (elements in their canonical JSON form, or
// any JSON value to coerce; nil for NULL; a nested list for another
// dimension, all of the same length) as PostgreSQL writes array literals:
// {1,2,NULL}, {"a b",c}, {{1,2},{3,4}}.
func arrayText(t Type, l []any) (string, error) {
	var b strings.Builder
	if _, err := writeArray(&b, *t.Elem, l); err != nil {
		return "", err
	}
	return b.String(), nil
}

// writeArray writes one level and returns its shape (the lengths of the
// nested levels), so that sibling sub-arrays can be checked to agree.
func writeArray(b *strings.Builder, elem Type, l []any) ([]int, error) {
	b.WriteByte('{')
	var shape []int
	scalars, subs := false, false
	for i, e := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		if sub, ok := e.([]any); ok {
			s, err := writeArray(b, elem, sub)
			if err != nil {
				return nil, err
			}
			s = append([]int{len(sub)}, s...)
			if scalars || len(sub) == 0 || subs && !sameShape(shape, s) {
				return nil, errors.New("a multi-dimensional array must have sub-arrays of one non-zero length and no scalar beside them")
			}
			shape, subs = s, true
			continue
		}
		if subs {
			return nil, errors.New("a multi-dimensional array must have sub-arrays of one non-zero length and no scalar beside them")
		}
		scalars = true
		if e == nil {
			b.WriteString("NULL")
			continue
		}
		v, err := CoerceJSON(elem.Kind, e)
		if err == nil {
			v, err = Normalize(elem, v, false)
		}
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		writeElement(b, v)
	}
	b.WriteByte('}')
	return shape, nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// writeElement writes a canonical element value, quoted as PostgreSQL's
// array output quotes it.
func writeElement(b *strings.Builder, v any) {
	var s string
	switch x := v.(type) {
	case bool:
		s = "f"
		if x {
			s = "t"
		}
	case json.Number:
		s = string(x)
	case string:
		s = x
	default:
		s = fmt.Sprint(x)
	}
	if s != "" && !strings.EqualFold(s, "null") && !strings.ContainsAny(s, "{}\",\\ \t\n\r\v\f") {
		b.WriteString(s)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

// parseArrayText reads a PostgreSQL array literal of any dimension, with
// NULL elements, into nested lists of element values of kind k (nil for
// NULL). Dimension decorations ([1:2]={...}) are not read.
func parseArrayText(s string, k Kind) ([]any, error) {
	t := trimSpace(s)
	if t == "" || t[0] != '{' {
		return nil, fmt.Errorf("%q is not an array literal (want {...}, e.g. {1,2,3} or {})", clip(s))
	}
	l, i, err := parseArrayLevel(t, 1, k)
	if err != nil {
		return nil, fmt.Errorf("array literal %q: %w", clip(s), err)
	}
	if rest := trimSpace(t[i:]); rest != "" {
		return nil, fmt.Errorf("unexpected %q after the end of the array literal", clip(rest))
	}
	return l, nil
}

// parseArrayLevel reads the elements after a "{" at i up to its "}" and
// returns them and the position after the "}".
func parseArrayLevel(t string, i int, k Kind) ([]any, int, error) {
	out := []any{}
	i = skipSpace(t, i)
	if i < len(t) && t[i] == '}' {
		return out, i + 1, nil
	}
	for {
		i = skipSpace(t, i)
		if i >= len(t) {
			return nil, 0, errors.New(`not terminated by "}"`)
		}
		var err error
		switch t[i] {
		case '{':
			var sub []any
			if sub, i, err = parseArrayLevel(t, i+1, k); err != nil {
				return nil, 0, err
			}
			out = append(out, sub)
		case '"':
			var e string
			if e, i, err = quotedElement(t, i+1); err != nil {
				return nil, 0, err
			}
			v, err := ParseText(k, e)
			if err != nil {
				return nil, 0, fmt.Errorf("element %d: %w", len(out), err)
			}
			out = append(out, v)
		default:
			j := i
			for j < len(t) && t[j] != ',' && t[j] != '}' {
				j++
			}
			if strings.EqualFold(trimSpace(t[i:j]), "null") {
				// An unquoted NULL is a NULL element.
				out, i = append(out, nil), j
				break
			}
			e, next, err := bareElement(t, i)
			if err != nil {
				return nil, 0, err
			}
			v, err := ParseText(k, e)
			if err != nil {
				return nil, 0, fmt.Errorf("element %d: %w", len(out), err)
			}
			out, i = append(out, v), next
		}
		i = skipSpace(t, i)
		if i >= len(t) {
			return nil, 0, errors.New(`not terminated by "}"`)
		}
		switch t[i] {
		case ',':
			i++
		case '}':
			return out, i + 1, nil
		default:
			return nil, 0, fmt.Errorf("unexpected %q at byte %d", t[i], i)
		}
	}
}

// PGArrayText writes a list of strings as PostgreSQL's array input reads
// it: each element double-quoted, with backslash and double quote
// escaped, so that no element is split, trimmed or read as NULL.
func PGArrayText(elems []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range elems {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range e {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// pgArrayEmptyRE is PostgreSQL's empty array literal as array_in reads
// it: braces with nothing but its white space (space, tab, newline,
// carriage return, vertical tab, form feed) in and around them. Every
// other text is a non-empty array or PostgreSQL's error ('{{}}' and
// '[1:0]={}' are errors, not empty arrays).
var pgArrayEmptyRE = regexp.MustCompile(PGArrayEmptyPattern)

// PGArrayEmptyPattern is pgArrayEmptyRE's expression, which the Rego of an
// opaque column's _nin over a session variable matches too.
const PGArrayEmptyPattern = `^[ \t\n\r\v\f]*\{[ \t\n\r\v\f]*\}[ \t\n\r\v\f]*$`

// PGArrayEmpty reports whether s is an empty array as PostgreSQL reads
// it: an opaque column's _nin over a session variable holding it is
// Hasura's NOT (c = ANY('{}')), true for every row, a NULL c included.
func PGArrayEmpty(s string) bool { return pgArrayEmptyRE.MatchString(s) }

// ValidColumn is CoerceColumn(t, v, false)'s error without its value, for
// a row value no rule reads (every value is validated, kept or not). The
// common cases that a few comparisons decide build nothing (a whole
// number for an integer column is not formatted); any other is
// CoerceColumn's answer. TestValidColumnAsCoerce holds the two alike.
func ValidColumn(t Type, v any) error {
	if t.Canon == "" && t.Spatial == "" {
		switch x := v.(type) {
		case nil:
			return nil
		case bool:
			if t.Kind == KindBoolean {
				return nil
			}
		case string:
			if !t.PadSpace && t.Enum == nil {
				switch t.Kind {
				case KindText:
					return nil
				case KindDate, KindTimestamp, KindTimestamptz:
					if plainDateTime(x) {
						return nil
					}
					// ParseText's parse, without formatting the time.
					_, err := parseDateTime(x, dateTimeNames[t.Kind], t.Kind == KindTimestamptz)
					return err
				}
			}
		case float64:
			if t.Kind == KindInteger && x == math.Trunc(x) && math.Abs(x) < maxSafeInteger && intFits(int64(x), t.Bits) {
				return nil
			}
			// A finite double under 2^53 is a numeric: CoerceJSON's text
			// of it always parses (NaN and the infinities fail the test).
			if t.Kind == KindNumeric && math.Abs(x) < maxSafeInteger {
				return nil
			}
		}
	}
	_, err := CoerceColumn(t, v, false)
	return err
}

// Quick is a type's test of the values a row holds most often, small
// enough to keep beside a field's name so that a reader of many rows
// validates most values without reaching the column's Type: Accepts
// says a value is valid for the type (ValidColumn would return nil);
// false means ValidColumn decides.
type Quick struct {
	kind quickKind
	bits uint8
}

type quickKind uint8

const (
	quickNone     quickKind = iota // nothing accepted quickly
	quickNull                      // null only
	quickText                      // null, any string
	quickBoolean                   // null, a boolean
	quickInteger                   // null, a double holding an integer of bits
	quickNumeric                   // null, a double under 2^53
	quickDateTime                  // null, a date or time as JSON encoders write it (plainDateTime)
)

// QuickOf is t's Quick: ValidColumn's first tests, for a type with no
// canonical form and not spatial.
func QuickOf(t Type) Quick {
	if t.Canon != "" || t.Spatial != "" {
		return Quick{}
	}
	switch {
	case t.Kind == KindText && !t.PadSpace && t.Enum == nil:
		return Quick{kind: quickText}
	case t.Kind == KindBoolean:
		return Quick{kind: quickBoolean}
	case t.Kind == KindInteger && t.Bits >= 0 && t.Bits <= 64:
		return Quick{kind: quickInteger, bits: uint8(t.Bits)}
	case t.Kind == KindNumeric:
		return Quick{kind: quickNumeric}
	case (t.Kind == KindDate || t.Kind == KindTimestamp || t.Kind == KindTimestamptz) && !t.PadSpace && t.Enum == nil:
		return Quick{kind: quickDateTime}
	}
	return Quick{kind: quickNull}
}

// Some says q accepts some value: Accepts is worth a call.
func (q Quick) Some() bool { return q.kind != quickNone }

// Accepts says v is valid for the type q was made of.
func (q Quick) Accepts(v any) bool {
	switch x := v.(type) {
	case nil:
		return q.kind != quickNone
	case string:
		return q.kind == quickText || q.kind == quickDateTime && plainDateTime(x)
	case bool:
		return q.kind == quickBoolean
	case float64:
		switch q.kind {
		case quickInteger:
			return x == math.Trunc(x) && math.Abs(x) < maxSafeInteger && intFits(int64(x), int(q.bits))
		case quickNumeric:
			return math.Abs(x) < maxSafeInteger
		}
	}
	return false
}

// plainDateTime says s is a date, or a date and time, in the one form
// JSON encoders write (2024-01-31, 2024-01-31T12:30:00Z, with a space
// for the T, a fraction of 1 to 9 digits, and Z, z or ±HH:MM or none for
// the zone), in range, in the years 2 to 9998 where no zone can move it
// out of range: a strict part of what parseDateTime accepts for a date,
// a timestamp and a timestamptz, found without parsing a number or
// building a time. false means parseDateTime decides.
func plainDateTime(s string) bool {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	year, ok1 := quickDigits(s[0:4])
	month, ok2 := quickDigits(s[5:7])
	day, ok3 := quickDigits(s[8:10])
	if !ok1 || !ok2 || !ok3 || year < 2 || year > 9998 || month < 1 || month > 12 || day < 1 || day > 28 && day > daysIn(year, month) {
		return false
	}
	if len(s) == 10 {
		return true
	}
	if len(s) < 19 || s[10] != 'T' && s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return false
	}
	hour, ok1 := quickDigits(s[11:13])
	minute, ok2 := quickDigits(s[14:16])
	sec, ok3 := quickDigits(s[17:19])
	if !ok1 || !ok2 || !ok3 || hour > 23 || minute > 59 || sec > 59 {
		return false
	}
	rest := s[19:]
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && n <= 9 && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 || n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			return false // no digits, or more than nine
		}
		rest = rest[n:]
	}
	switch {
	case rest == "" || rest == "Z" || rest == "z":
		return true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		h, ok1 := quickDigits(rest[1:3])
		m, ok2 := quickDigits(rest[4:6])
		return ok1 && ok2 && h <= 15 && m <= 59
	}
	return false
}

// quickDigits is the number s writes in decimal digits only.
func quickDigits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// dateTimeNames are the names ParseText gives parseDateTime.
var dateTimeNames = [...]string{KindDate: "date", KindTimestamp: "timestamp", KindTimestamptz: "timestamptz"}

// intFits says whether i is in the range CheckIntRange accepts for bits.
func intFits(i int64, bits int) bool {
	if bits == 0 || bits >= 64 {
		return true
	}
	lim := int64(1) << (bits - 1)
	return i >= -lim && i < lim
}
