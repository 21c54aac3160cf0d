package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file turns values into the canonical JSON representation that Kind
// documents: session variables (text) through ParseText, values from JSON
// (metadata literals, row values) through CoerceJSON. Errors are plain
// errors with a reason; callers add the field.

// ParseText parses a text value (a session variable) for a column of kind k
// with PostgreSQL's text-input rules and returns the canonical form:
// json.Number for integer and numeric, bool for boolean, a string for text,
// uuid, date and the timestamp kinds, and any decoded JSON value (numbers as
// json.Number) for jsonb.
//
// Accepted forms: integers with optional sign and surrounding whitespace, in
// the 64-bit range; numerics in decimal or exponent form (the scale is kept:
// "1.50" stays 1.50); booleans as PostgreSQL's boolin takes them (t, true,
// yes, on, 1, f, false, no, off, 0, any unique prefix, any case, trimmed);
// uuids in either case, with or without hyphens, optionally in braces;
// dates and timestamps in ISO 8601 (YYYY-MM-DD, then " " or "T" and
// HH:MM[:SS[.fraction]], then an optional offset Z, UTC, GMT or
// ±HH[[:]MM[[:]SS]]). A timestamp ignores an offset, as PostgreSQL does; a
// date ignores the time.
//
// Warden's choices where PostgreSQL depends on settings or has values with
// no JSON form:
//   - numeric NaN and ±Infinity are rejected (they have no JSON number);
//   - integer and numeric input is decimal only: the PostgreSQL 16 forms
//     (0x1F, 0o17, 0b101, 1_000) are rejected;
//   - dates and timestamps are ISO 8601 only, years 1 to 9999; special
//     values such as "now", "epoch" and "infinity" are rejected; fractional
//     seconds are rounded to microseconds (half up);
//   - a timestamptz without an offset is taken as UTC (PostgreSQL would use
//     the session's TimeZone setting, which Warden does not have).
func ParseText(k Kind, s string) (any, error) {
	switch k {
	case KindInteger:
		return parseInteger(s)
	case KindNumeric:
		n, err := parseNumeric(s)
		if err != nil {
			return nil, err
		}
		return json.Number(n), nil
	case KindText:
		return s, nil
	case KindBoolean:
		return parseBool(s)
	case KindUUID:
		return parseUUID(s)
	case KindDate:
		t, err := parseDateTime(s, dateTimeNames[KindDate], false)
		if err != nil {
			return nil, err
		}
		return t.Format("2006-01-02"), nil
	case KindTimestamp:
		t, err := parseDateTime(s, dateTimeNames[KindTimestamp], false)
		if err != nil {
			return nil, err
		}
		return t.Format("2006-01-02T15:04:05.000000"), nil
	case KindTimestamptz:
		t, err := parseDateTime(s, dateTimeNames[KindTimestamptz], true)
		if err != nil {
			return nil, err
		}
		return t.Format("2006-01-02T15:04:05.000000Z"), nil
	case KindJSONB:
		v, err := parseJSONText(s)
		if err == nil && v == nil {
			// 'null'::jsonb is JSON null, never SQL NULL.
			return JSONNull, nil
		}
		return v, err
	case KindOpaque:
		// Written as given: only ever tested for NULL or returned as a
		// preset, which the database parses.
		return s, nil
	}
	return nil, fmt.Errorf("cannot parse a value of kind %s", k)
}

// CoerceJSON converts a JSON value (nil, bool, float64, json.Number, string,
// []any, map[string]any; Go integer types are accepted too) into the
// canonical form for kind k. nil is SQL NULL for every kind and stays nil.
//
// Integers and numerics may come as numbers or strings. A float64 (a
// number of a protobuf Struct, or of JSON decoded without UseNumber) must
// be a safe integer for an integer column, whole and of magnitude below
// 2^53, and of magnitude below 2^53 for a numeric column: a double at 2^53
// or beyond stands for many integers (9223372036854775807 and
// 9223372036854775806 are one double), so it is refused rather than
// rounded: such values must be sent as strings. Below 2^53 a float64 of a
// numeric column is its shortest decimal form (0.1 is 0.1). Strings for
// every non-text kind are parsed with ParseText; a boolean column also
// takes the text forms ("t", "yes", ...). A jsonb or opaque value may be
// anything; floats become json.Number in their shortest form, but a jsonb
// value holding a float64 of magnitude 2^53 or more is refused as for
// numeric (jsonb compares its numbers exactly). JSONNull (a jsonb
// column's JSON null) stays JSONNull and is an error for any other kind.
func CoerceJSON(k Kind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if IsJSONNull(v) {
		if k == KindJSONB {
			return JSONNull, nil
		}
		return nil, fmt.Errorf("JSON null applies to json and jsonb columns only (null is SQL NULL)")
	}
	if s, ok := v.(string); ok {
		if k == KindJSONB || k == KindOpaque {
			return s, nil
		}
		return ParseText(k, s)
	}
	switch k {
	case KindInteger:
		return coerceInteger(v)
	case KindNumeric:
		if f, ok := v.(float64); ok && math.Abs(f) >= maxSafeInteger {
			return nil, inexactError(f)
		}
		n, err := numberText(v)
		if err != nil {
			return nil, err
		}
		c, err := parseNumeric(n)
		if err != nil {
			return nil, err
		}
		return json.Number(c), nil
	case KindBoolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case KindJSONB, KindOpaque:
		if jsonCanonical(v) {
			return v, nil
		}
		if k == KindJSONB {
			if err := inexactJSON(v, ""); err != nil {
				return nil, err
			}
		}
		return normaliseJSON(v)
	case KindUnknown:
		return nil, fmt.Errorf("cannot coerce a value to kind %s", k)
	}
	return nil, fmt.Errorf("expected %s for a %s column, got %s", jsonTypeFor(k), k, jsonTypeOf(v))
}

func parseInteger(s string) (any, error) {
	t := trimSpace(s)
	digits := strings.TrimLeft(t, "+-")
	if len(t)-len(digits) > 1 || !allDigits(digits) {
		return nil, fmt.Errorf("%q is not a valid integer", clip(s))
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%q is out of range for an integer (64-bit)", clip(s))
	}
	if n >= 0 && n < int64(len(smallIntegers)) {
		return smallIntegers[n], nil // shared, as coerceInteger's
	}
	if canonicalInteger(t, digits) {
		// t is already FormatInt(n): no new string.
		return json.Number(t), nil
	}
	return json.Number(strconv.FormatInt(n, 10)), nil
}

// canonicalInteger says whether t, a base-10 integer whose digits (no
// sign) are digits, is written as strconv.FormatInt writes its value: no
// "+", no leading zero, not "-0".
func canonicalInteger(t, digits string) bool {
	if digits == "" || digits[0] == '0' && len(digits) > 1 {
		return false
	}
	if len(t) == len(digits) {
		return true
	}
	return t[0] == '-' && digits != "0"
}

// maxExponent bounds a numeric's exponent as PostgreSQL's numeric input does.
const maxExponent = 1000

// parseNumeric checks a decimal number in PostgreSQL's numeric input syntax
// (sign, digits with an optional point, optional exponent, surrounding
// whitespace) and returns it as a valid JSON number: no "+", no leading
// zeros, no bare point; the scale (trailing zeros) is kept.
func parseNumeric(s string) (string, error) {
	t := trimSpace(s)
	switch strings.TrimLeft(strings.ToLower(t), "+-") {
	case "nan", "inf", "infinity":
		return "", fmt.Errorf("%q is not supported: Warden accepts finite numbers only", clip(s))
	}
	bad := func() error { return fmt.Errorf("%q is not a valid number", clip(s)) } // built only when returned
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg, t = t[0] == '-', t[1:]
	}
	mant, expPart, hasExp := strings.Cut(strings.ToLower(t), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	if !allDigits(intPart) && intPart != "" || !allDigits(frac) && frac != "" || intPart == "" && frac == "" {
		return "", bad()
	}
	exp := 0
	if hasExp {
		e := strings.TrimLeft(expPart, "+-")
		if len(expPart)-len(e) > 1 || !allDigits(e) {
			return "", bad()
		}
		if len(e) > 6 {
			return "", fmt.Errorf("%q is out of range for a number", clip(s))
		}
		exp, _ = strconv.Atoi(e)
		if strings.HasPrefix(expPart, "-") {
			exp = -exp
		}
		if exp > maxExponent || exp < -maxExponent {
			return "", fmt.Errorf("%q is out of range for a number", clip(s))
		}
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	var b strings.Builder
	if neg && strings.Trim(intPart+frac, "0") != "" {
		b.WriteByte('-')
	}
	b.WriteString(intPart)
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	if exp != 0 {
		b.WriteByte('e')
		b.WriteString(strconv.Itoa(exp))
	}
	return b.String(), nil
}

// maxSafeInteger is 2^53. Every integer of smaller magnitude is a float64
// of its own; 2^53 is also the float64 of 2^53+1, and so on beyond.
const maxSafeInteger = 1 << 53

// inexactError refuses a float64 of magnitude 2^53 or more.
func inexactError(f float64) error {
	return fmt.Errorf("%v is a double of magnitude 2^53 or more, which stands for many integers (it may already have been rounded): send it as a string", f)
}

// integerNumber is n as coerceInteger returns it, a json.Number; those
// of 0 to 1023 (ids, foreign keys, counts) shared, without an allocation.
func integerNumber(n int64) any {
	if n >= 0 && n < int64(len(smallIntegers)) {
		return smallIntegers[n]
	}
	return json.Number(strconv.FormatInt(n, 10))
}

// smallIntegers are the json.Numbers of 0 to 1023 in interfaces (an
// interface's value cannot be changed through it).
var smallIntegers = func() (n [1024]any) {
	for i := range n {
		n[i] = json.Number(strconv.Itoa(i))
	}
	return n
}()

func coerceInteger(v any) (any, error) {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || x != math.Trunc(x) {
			return nil, fmt.Errorf("%v is not a whole number", x)
		}
		if math.Abs(x) >= maxSafeInteger {
			return nil, inexactError(x)
		}
		return integerNumber(int64(x)), nil
	case json.Number:
		if n, err := parseInteger(string(x)); err == nil {
			return n, nil
		}
		// A JSON number such as 1.0 or 1e3 with a whole value.
		c, err := parseNumeric(string(x))
		if err != nil {
			return nil, err
		}
		r, ok := new(big.Rat).SetString(c)
		if !ok || !r.IsInt() || !r.Num().IsInt64() {
			return nil, fmt.Errorf("%s is not a whole number in the integer (64-bit) range", x)
		}
		return json.Number(r.Num().String()), nil
	}
	if n, ok := goInteger(v); ok {
		return json.Number(n), nil
	}
	return nil, fmt.Errorf("expected a number for an integer column, got %s", jsonTypeOf(v))
}

// numberText returns the decimal text of a JSON number value.
func numberText(v any) (string, error) {
	switch x := v.(type) {
	case json.Number:
		return string(x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", fmt.Errorf("%v is not supported: Warden accepts finite numbers only", x)
		}
		return shortestFloat(x), nil
	case float32:
		return numberText(float64(x))
	}
	if n, ok := goInteger(v); ok {
		return n, nil
	}
	return "", fmt.Errorf("expected a number for a numeric column, got %s", jsonTypeOf(v))
}

// shortestFloat formats a finite float64 as encoding/json does.
func shortestFloat(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func goInteger(v any) (string, bool) {
	switch x := v.(type) {
	case int:
		return strconv.FormatInt(int64(x), 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint32:
		return strconv.FormatUint(uint64(x), 10), true
	case uint64:
		if x > math.MaxInt64 {
			return "", false
		}
		return strconv.FormatUint(x, 10), true
	case uint:
		if uint64(x) > math.MaxInt64 {
			return "", false
		}
		return strconv.FormatUint(uint64(x), 10), true
	}
	return "", false
}

func parseBool(s string) (any, error) {
	t := strings.ToLower(trimSpace(s))
	if t != "" {
		switch t[0] {
		case 't':
			if strings.HasPrefix("true", t) {
				return true, nil
			}
		case 'f':
			if strings.HasPrefix("false", t) {
				return false, nil
			}
		case 'y':
			if strings.HasPrefix("yes", t) {
				return true, nil
			}
		case 'n':
			if strings.HasPrefix("no", t) {
				return false, nil
			}
		case 'o':
			// "o" alone is ambiguous between on and off.
			if t == "on" {
				return true, nil
			}
			if t == "of" || t == "off" {
				return false, nil
			}
		case '1':
			if t == "1" {
				return true, nil
			}
		case '0':
			if t == "0" {
				return false, nil
			}
		}
	}
	return nil, fmt.Errorf("%q is not a valid boolean (want true/false, t/f, yes/no, on/off or 1/0)", clip(s))
}

// parseUUID accepts what PostgreSQL's uuid input does: 32 hex digits, in
// either case, optionally in braces, with an optional hyphen after any group
// of four digits. No surrounding whitespace.
func parseUUID(s string) (any, error) {
	bad := func() error { return fmt.Errorf("%q is not a valid uuid", clip(s)) } // built only when returned
	src := s
	braces := strings.HasPrefix(src, "{")
	if braces {
		src = src[1:]
	}
	var hex [32]byte
	for i := 0; i < 16; i++ {
		if len(src) < 2 || !isHex(src[0]) || !isHex(src[1]) {
			return nil, bad()
		}
		hex[2*i], hex[2*i+1] = lowerHex(src[0]), lowerHex(src[1])
		src = src[2:]
		if i%2 == 1 && i < 15 && strings.HasPrefix(src, "-") {
			src = src[1:]
		}
	}
	if braces {
		if !strings.HasPrefix(src, "}") {
			return nil, bad()
		}
		src = src[1:]
	}
	if src != "" {
		return nil, bad()
	}
	h := string(hex[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// JSONTextRejected is a regular expression (the same in Go's RE2 and
// PostgreSQL's ARE: ASCII only, no escapes but \\, bounds below 255) for
// the json text of a session variable that Check refuses although it is
// valid JSON, so that every reading of it refuses it alike: PostgreSQL's
// jsonb input, which Hasura casts a jsonb session variable with
// ((...->>'x-hasura-v')::jsonb), rejects \u0000 ("cannot be converted to
// text") and unpaired surrogate escapes, which Go's decoder reads (as
// U+0000 and U+FFFD), and numbers beyond numeric's range, which Go keeps
// as text. It is matched on the raw text, so that it also holds inside
// strings (a denial, never a reading that differs):
//
//   - \u0000, or any surrogate escape \uD800 to \uDFFF (paired ones too);
//   - a run of more than 200 digits;
//   - an exponent of 1000 or more (either sign) after a digit or point
//     and before what may end a number: space, tab, newline, carriage
//     return, ',', ']', '}' or the end.
//
// Numbers that pass have at most 200 digits on either side of the point
// and an exponent below 1000: numeric reads them exactly (PostgreSQL's
// limits are 131072 digits before the point and 16383 after).
// sqlgen.SessionRejected renders the same test in SQL.
const JSONTextRejected = "\\\\u(0000|[dD][89a-fA-F])|[0-9]{201}|[0-9.][eE][+-]?0*[1-9][0-9]{3,}([]} \t\n\r,]|$)"

// JSONMaxBrackets bounds the '[' and '{' characters of a jsonb session
// variable's text (counted anywhere, strings included): Go's decoder
// refuses nesting deeper than 10000, which PostgreSQL reads.
const JSONMaxBrackets = 512

var jsonTextRejected = regexp.MustCompile(JSONTextRejected)

func parseJSONText(s string) (any, error) {
	if jsonTextRejected.MatchString(s) {
		return nil, errors.New("json that PostgreSQL's jsonb reads otherwise or not at all: a \\u0000 or surrogate escape, more than 200 digits in a row, or an exponent of 1000 or more")
	}
	if strings.Count(s, "[")+strings.Count(s, "{") > JSONMaxBrackets {
		return nil, fmt.Errorf("json with more than %d brackets", JSONMaxBrackets)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: more than one value")
	}
	return v, nil
}

// jsonCanonical reports whether v is already in canonical JSON form: no
// float64 or Go integers, every json.Number valid.
func jsonCanonical(v any) bool {
	switch x := v.(type) {
	case nil, bool, string:
		return true
	case json.Number:
		return IsJSONNumber(string(x))
	case []any:
		for _, e := range x {
			if !jsonCanonical(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range x {
			if !jsonCanonical(e) {
				return false
			}
		}
		return true
	}
	return false
}

func normaliseJSON(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		if !IsJSONNumber(string(x)) {
			return nil, fmt.Errorf("%q is not a valid JSON number", clip(string(x)))
		}
		return x, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normaliseJSON(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normaliseJSON(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	}
	if IsJSONNull(v) {
		// Only a whole column value can be JSONNull.
		return nil, errors.New("a null inside a json value is JSON null already: state JSON null only for a whole column value")
	}
	n, err := numberText(v)
	if err != nil {
		return nil, fmt.Errorf("unsupported JSON value of type %T", v)
	}
	return json.Number(n), nil
}

// inexactJSON refuses a jsonb value holding a double of magnitude 2^53
// or more (a number of a protobuf Struct): it stands for many numbers
// ({"id": 9223372036854775807} arrives as 9223372036854775808), and
// jsonb compares numbers exactly, so it is refused rather than rounded,
// as for integer and numeric columns. at is the path to it ("" for the
// value itself).
func inexactJSON(v any, at string) error {
	switch x := v.(type) {
	case float64:
		if math.Abs(x) >= maxSafeInteger {
			where := "a jsonb value"
			if at != "" {
				where = "the jsonb value's " + at
			}
			return fmt.Errorf("%s is %v, a double of magnitude 2^53 or more, which stands for many numbers (it may already have been rounded): Warden cannot compare it exactly as jsonb", where, x)
		}
	case []any:
		for i, e := range x {
			if err := inexactJSON(e, at+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range x {
			if err := inexactJSON(e, at+"."+k); err != nil {
				return err
			}
		}
	}
	return nil
}

// IsJSONNumber reports whether s is a number in JSON syntax:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func IsJSONNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	n := len(s) - len(strings.TrimLeft(s, "0123456789"))
	if n == 0 || n > 1 && s[0] == '0' {
		return false
	}
	s = s[n:]
	if strings.HasPrefix(s, ".") {
		n = len(s) - 1 - len(strings.TrimLeft(s[1:], "0123456789"))
		if n == 0 {
			return false
		}
		s = s[1+n:]
	}
	if s != "" && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s != "" && (s[0] == '+' || s[0] == '-') {
			s = s[1:]
		}
		return allDigits(s)
	}
	return s == ""
}

func jsonTypeOf(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case json.Number, float64, float32, int, int32, int64, uint, uint32, uint64:
		return "a number"
	}
	return fmt.Sprintf("a value of type %T", v)
}

func jsonTypeFor(k Kind) string {
	switch k {
	case KindInteger, KindNumeric:
		return "a number or a string"
	case KindBoolean:
		return "a boolean"
	}
	return "a string"
}

// trimSpace trims the whitespace PostgreSQL's input functions skip.
func trimSpace(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) })
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func lowerHex(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// CheckIntRange reports an error when v, an integer in canonical form
// (json.Number), does not fit an integer column of the given width (16, 32
// or 64 bits; 0 means 64). Other values pass.
func CheckIntRange(bits int, v any) error {
	n, ok := v.(json.Number)
	if !ok || bits == 0 || bits >= 64 {
		return nil
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return nil
	}
	if !intFits(i, bits) {
		return fmt.Errorf("%s is out of range for a %d-bit integer column", n, bits)
	}
	return nil
}

// Normalize applies what a column's declared type adds to its kind's
// canonical form: the integer range (Bits), trailing spaces of
// character(n) (PadSpace) and, when fold is set, the case of citext
// comparison values (Fold). Row values are normalised with fold false: the
// compiled Rego lower-cases the column side itself. A row value of a
// character(n) column longer than n characters once its trailing spaces
// are trimmed is invalid, as PostgreSQL rejects it ("value too long");
// comparison values (fold true) may be longer: they are compared with the
// column, never stored in it. A value of an enum column (Enum) must be
// one of its labels, whether stored or compared. A value of a Canon type
// becomes its canonical text (canon.go). A value compared with a PostGIS
// column (Spatial, of Kind jsonb: a session variable's) must be a GeoJSON
// geometry; the column's own values (Kind opaque) are not checked.
func Normalize(t Type, v any, fold bool) (any, error) {
	if t.Canon != "" && v != nil {
		return canonical(t, v)
	}
	if t.Spatial != "" && t.Kind == KindJSONB && v != nil {
		if err := CheckGeoJSON(v); err != nil {
			return nil, err
		}
	}
	if err := CheckIntRange(t.Bits, v); err != nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return v, nil
	}
	given := s
	if t.PadSpace {
		s = strings.TrimRight(s, " ")
		if !fold && t.Length > 0 && utf8.RuneCountInString(s) > t.Length {
			return nil, fmt.Errorf("value too long for character(%d): %q has %d characters", t.Length, clip(s), utf8.RuneCountInString(s))
		}
	}
	if fold && t.Fold {
		s = strings.ToLower(s)
	}
	if t.Enum != nil && t.Enum.Index(s) < 0 {
		return nil, fmt.Errorf("%q is not a label of enum type %s (labels: %s)", clip(s), t.Enum, clipList(t.Enum.Labels))
	}
	if s == given {
		return v, nil // the string given, not boxed again (an allocation)
	}
	return s, nil
}

// clipList renders labels for an error message, at most 20 of them.
func clipList(ls []string) string {
	const most = 20
	parts := make([]string, 0, min(len(ls), most+1))
	for i, l := range ls {
		if i == most {
			parts = append(parts, fmt.Sprintf("... %d more", len(ls)-most))
			break
		}
		parts = append(parts, strconv.Quote(clip(l)))
	}
	return strings.Join(parts, ", ")
}
