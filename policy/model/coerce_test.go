package model

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// parseTextCases are the ParseText table; want nil means an error whose
// message contains errSub.
var parseTextCases = []struct {
	kind   Kind
	in     string
	want   any
	errSub string
}{
	// integer
	{KindInteger, "42", json.Number("42"), ""},
	{KindInteger, "  -7 \n", json.Number("-7"), ""},
	{KindInteger, "+5", json.Number("5"), ""},
	{KindInteger, "007", json.Number("7"), ""},
	{KindInteger, "-0", json.Number("0"), ""},
	{KindInteger, "9223372036854775807", json.Number("9223372036854775807"), ""},
	{KindInteger, "-9223372036854775808", json.Number("-9223372036854775808"), ""},
	{KindInteger, "9223372036854775808", nil, "out of range"},
	{KindInteger, "1.5", nil, "not a valid integer"},
	{KindInteger, "abc", nil, "not a valid integer"},
	{KindInteger, "", nil, "not a valid integer"},
	{KindInteger, "+-1", nil, "not a valid integer"},
	{KindInteger, "1 2", nil, "not a valid integer"},
	{KindInteger, "0x1F", nil, "not a valid integer"},
	{KindInteger, "1_000", nil, "not a valid integer"},
	// numeric
	{KindNumeric, "3.14", json.Number("3.14"), ""},
	{KindNumeric, " 1.50 ", json.Number("1.50"), ""},
	{KindNumeric, ".5", json.Number("0.5"), ""},
	{KindNumeric, "5.", json.Number("5"), ""},
	{KindNumeric, "-00012.0", json.Number("-12.0"), ""},
	{KindNumeric, "+1E3", json.Number("1e3"), ""},
	{KindNumeric, "2.5e-07", json.Number("2.5e-7"), ""},
	{KindNumeric, "1e0", json.Number("1"), ""},
	{KindNumeric, "-0.00", json.Number("0.00"), ""},
	{KindNumeric, "123456789012345678901234567890", json.Number("123456789012345678901234567890"), ""},
	{KindNumeric, "NaN", nil, "finite numbers only"},
	{KindNumeric, "-Infinity", nil, "finite numbers only"},
	{KindNumeric, "inf", nil, "finite numbers only"},
	{KindNumeric, "1e1001", nil, "out of range"},
	{KindNumeric, "1e9999999", nil, "out of range"},
	{KindNumeric, ".", nil, "not a valid number"},
	{KindNumeric, "1e", nil, "not a valid number"},
	{KindNumeric, "1.2.3", nil, "not a valid number"},
	{KindNumeric, "e5", nil, "not a valid number"},
	{KindNumeric, "abc", nil, "not a valid number"},
	// text
	{KindText, "  as is \n", "  as is \n", ""},
	{KindText, "", "", ""},
	// boolean
	{KindBoolean, "true", true, ""},
	{KindBoolean, " TRUE ", true, ""},
	{KindBoolean, "t", true, ""},
	{KindBoolean, "tr", true, ""},
	{KindBoolean, "y", true, ""},
	{KindBoolean, "Yes", true, ""},
	{KindBoolean, "on", true, ""},
	{KindBoolean, "1", true, ""},
	{KindBoolean, "f", false, ""},
	{KindBoolean, "fals", false, ""},
	{KindBoolean, "n", false, ""},
	{KindBoolean, "NO", false, ""},
	{KindBoolean, "of", false, ""},
	{KindBoolean, "off", false, ""},
	{KindBoolean, "0", false, ""},
	{KindBoolean, "o", nil, "not a valid boolean"},
	{KindBoolean, "truee", nil, "not a valid boolean"},
	{KindBoolean, "onn", nil, "not a valid boolean"},
	{KindBoolean, "01", nil, "not a valid boolean"},
	{KindBoolean, "", nil, "not a valid boolean"},
	// uuid
	{KindUUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
	{KindUUID, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
	{KindUUID, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
	{KindUUID, "a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
	{KindUUID, "a0ee-bc99-9c0b4ef8-bb6d6bb9-bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
	{KindUUID, "{a0eebc999c0b4ef8bb6d6bb9bd380a11}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
	{KindUUID, " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", nil, "not a valid uuid"},
	{KindUUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", nil, "not a valid uuid"},
	{KindUUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-", nil, "not a valid uuid"},
	{KindUUID, "a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11", nil, "not a valid uuid"},
	{KindUUID, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", nil, "not a valid uuid"},
	{KindUUID, "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", nil, "not a valid uuid"},
	// date
	{KindDate, "2024-02-29", "2024-02-29", ""},
	{KindDate, " 2024-1-5 ", "2024-01-05", ""},
	{KindDate, "2024-01-31 23:59:59", "2024-01-31", ""},
	{KindDate, "2024-01-31T10:00:00+05", "2024-01-31", ""},
	{KindDate, "2023-02-29", nil, "out of range"},
	{KindDate, "2024-13-01", nil, "out of range"},
	{KindDate, "0000-01-01", nil, "out of range"},
	{KindDate, "24-01-01", nil, "not a valid date"},
	{KindDate, "2024/01/01", nil, "not a valid date"},
	{KindDate, "today", nil, "not a valid date"},
	{KindDate, "2024-01-01 25:00", nil, "out of range"},
	// timestamp
	{KindTimestamp, "2024-01-31 12:30:00", "2024-01-31T12:30:00.000000", ""},
	{KindTimestamp, "2024-01-31T12:30", "2024-01-31T12:30:00.000000", ""},
	{KindTimestamp, "2024-01-31", "2024-01-31T00:00:00.000000", ""},
	{KindTimestamp, "2024-01-31 12:30:00.5", "2024-01-31T12:30:00.500000", ""},
	{KindTimestamp, "2024-01-31 12:30:00.1234564", "2024-01-31T12:30:00.123456", ""},
	{KindTimestamp, "2024-01-31 12:30:00.1234565", "2024-01-31T12:30:00.123457", ""},
	{KindTimestamp, "2024-12-31 23:59:59.9999999", "2025-01-01T00:00:00.000000", ""},
	{KindTimestamp, "2024-01-31 12:30:00+02:00", "2024-01-31T12:30:00.000000", ""},
	{KindTimestamp, "2024-01-31 12:30:00 Z", "2024-01-31T12:30:00.000000", ""},
	{KindTimestamp, "2024-01-31 24:00:00", "2024-02-01T00:00:00.000000", ""},
	{KindTimestamp, "2024-01-31 24:00:01", nil, "out of range"},
	{KindTimestamp, "2024-01-31 12:60", nil, "out of range"},
	{KindTimestamp, "2024-01-31 12", nil, "not a valid timestamp"},
	{KindTimestamp, "2024-01-31 12:30:00 PST", nil, "not a valid timestamp"},
	{KindTimestamp, "2024-01-31 12:30:00.", nil, "not a valid timestamp"},
	{KindTimestamp, "2024-01-31X12:30", nil, "not a valid timestamp"},
	{KindTimestamp, "epoch", nil, "not a valid timestamp"},
	// timestamptz
	{KindTimestamptz, "2024-01-31T12:30:00Z", "2024-01-31T12:30:00.000000Z", ""},
	{KindTimestamptz, "2024-01-31 12:30:00", "2024-01-31T12:30:00.000000Z", ""},
	{KindTimestamptz, "2024-01-31 12:30:00+02", "2024-01-31T10:30:00.000000Z", ""},
	{KindTimestamptz, "2024-01-31 12:30:00 -05:30", "2024-01-31T18:00:00.000000Z", ""},
	{KindTimestamptz, "2024-01-31T01:00:00+0230", "2024-01-30T22:30:00.000000Z", ""},
	{KindTimestamptz, "2024-01-31 12:30:00 UTC", "2024-01-31T12:30:00.000000Z", ""},
	{KindTimestamptz, "2024-01-31t12:30:00.000001z", "2024-01-31T12:30:00.000001Z", ""},
	{KindTimestamptz, "0001-01-01 00:00:00+01", nil, "out of range"},
	{KindTimestamptz, "9999-12-31 23:00:00-02", nil, "out of range"},
	{KindTimestamptz, "2024-01-31 12:30:00+16", nil, "not a valid timestamptz"},
	{KindTimestamptz, "2024-01-31 12:30:00+02:", nil, "not a valid timestamptz"},
	{KindTimestamptz, "2024-01-31 12:30:00+02:00 x", nil, "not a valid timestamptz"},
	// jsonb
	{KindJSONB, `{"a": [1, 2.50, "x"]}`, map[string]any{"a": []any{json.Number("1"), json.Number("2.50"), "x"}}, ""},
	{KindJSONB, ` "s" `, "s", ""},
	{KindJSONB, `null`, JSONNull, ""}, // 'null'::jsonb is JSON null, not SQL NULL
	{KindJSONB, `{"a":1} {}`, nil, "more than one value"},
	{KindJSONB, `{"a":`, nil, "invalid JSON"},
	{KindJSONB, ``, nil, "invalid JSON"},
	// unknown kind
	{KindUnknown, "1", nil, "cannot parse"},
}

func TestParseText(t *testing.T) {
	for _, tc := range parseTextCases {
		t.Run(tc.kind.String()+"/"+tc.in, func(t *testing.T) {
			got, err := ParseText(tc.kind, tc.in)
			if tc.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSub) {
					t.Fatalf("ParseText(%s, %q) = %#v, %v; want error containing %q", tc.kind, tc.in, got, err, tc.errSub)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseText(%s, %q): %v", tc.kind, tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseText(%s, %q) = %#v, want %#v", tc.kind, tc.in, got, tc.want)
			}
		})
	}
}

func TestCoerceJSON(t *testing.T) {
	tests := []struct {
		name   string
		kind   Kind
		in     any
		want   any
		errSub string
	}{
		{"null integer", KindInteger, nil, nil, ""},
		{"null jsonb", KindJSONB, nil, nil, ""},
		{"null text", KindText, nil, nil, ""},
		{"float integer", KindInteger, float64(42), json.Number("42"), ""},
		{"negative float integer", KindInteger, float64(-3), json.Number("-3"), ""},
		{"2^53-1", KindInteger, float64(1<<53 - 1), json.Number("9007199254740991"), ""},
		{"-(2^53-1)", KindInteger, -float64(1<<53 - 1), json.Number("-9007199254740991"), ""},
		// 2^53+1 arrives as the double 2^53: which one was meant?
		{"2^53", KindInteger, float64(1 << 53), nil, "send it as a string"},
		{"-2^53", KindInteger, -float64(1 << 53), nil, "send it as a string"},
		{"beyond 2^53", KindInteger, float64(1<<53) * 2, nil, "send it as a string"},
		{"2^63-1 as a double", KindInteger, float64(9223372036854775807), nil, "send it as a string"},
		{"-2^63 as a double", KindInteger, float64(-9223372036854775808), nil, "send it as a string"},
		{"2^63-1 as a string", KindInteger, "9223372036854775807", json.Number("9223372036854775807"), ""},
		{"-2^63 as a string", KindInteger, "-9223372036854775808", json.Number("-9223372036854775808"), ""},
		{"2^63 as a string", KindInteger, "9223372036854775808", nil, "out of range"},
		{"-2^63-1 as a string", KindInteger, "-9223372036854775809", nil, "out of range"},
		{"fractional float", KindInteger, 1.5, nil, "not a whole number"},
		{"bigint as string", KindInteger, "9007199254740993", json.Number("9007199254740993"), ""},
		{"json.Number integer", KindInteger, json.Number("12"), json.Number("12"), ""},
		{"json.Number 1.0", KindInteger, json.Number("1.0"), json.Number("1"), ""},
		{"json.Number 1e3", KindInteger, json.Number("1e3"), json.Number("1000"), ""},
		{"json.Number 1.5", KindInteger, json.Number("1.5"), nil, "not a whole number"},
		{"json.Number huge", KindInteger, json.Number("1e30"), nil, "integer (64-bit) range"},
		{"json.Number junk", KindInteger, json.Number("x"), nil, "not a valid number"},
		{"go int", KindInteger, 7, json.Number("7"), ""},
		{"go int64", KindInteger, int64(-7), json.Number("-7"), ""},
		{"bool for integer", KindInteger, true, nil, "got a boolean"},
		{"float numeric", KindNumeric, 0.1, json.Number("0.1"), ""},
		{"float numeric below 2^53", KindNumeric, float64(1<<53 - 1), json.Number("9007199254740991"), ""},
		{"float numeric 2^53", KindNumeric, float64(1 << 53), nil, "send it as a string"},
		{"float numeric big", KindNumeric, 1e21, nil, "send it as a string"},
		{"float numeric(38,0) as a double", KindNumeric, 12345678901234567890123456789012345678.0, nil, "send it as a string"},
		{"numeric(38,0) as a string", KindNumeric, "12345678901234567890123456789012345678", json.Number("12345678901234567890123456789012345678"), ""},
		{"numeric(38,0) as a json.Number", KindNumeric, json.Number("-12345678901234567890123456789012345678"), json.Number("-12345678901234567890123456789012345678"), ""},
		{"numeric string", KindNumeric, " 2.50", json.Number("2.50"), ""},
		{"numeric json.Number", KindNumeric, json.Number("-0.0"), json.Number("0.0"), ""},
		{"numeric array", KindNumeric, []any{}, nil, "got an array"},
		{"text", KindText, "hello", "hello", ""},
		{"number for text", KindText, float64(1), nil, "expected a string for a text column, got a number"},
		{"bool", KindBoolean, false, false, ""},
		{"bool text form", KindBoolean, "yes", true, ""},
		{"number for bool", KindBoolean, float64(1), nil, "expected a boolean"},
		{"uuid", KindUUID, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
		{"uuid number", KindUUID, float64(1), nil, "expected a string"},
		{"date", KindDate, "2024-01-02", "2024-01-02", ""},
		{"timestamp", KindTimestamp, "2024-01-02 03:04:05", "2024-01-02T03:04:05.000000", ""},
		{"timestamptz", KindTimestamptz, "2024-01-02T03:04:05+01:00", "2024-01-02T02:04:05.000000Z", ""},
		{"bad timestamptz", KindTimestamptz, "yesterday", nil, "not a valid timestamptz"},
		{"jsonb string", KindJSONB, "x-hasura-user-id", "x-hasura-user-id", ""},
		{"jsonb float", KindJSONB, 2.5, json.Number("2.5"), ""},
		{"jsonb nested", KindJSONB, map[string]any{"a": []any{float64(1), true, nil, map[string]any{"b": 1e-7}}},
			map[string]any{"a": []any{json.Number("1"), true, nil, map[string]any{"b": json.Number("1e-7")}}}, ""},
		{"jsonb canonical", KindJSONB, []any{json.Number("1.50")}, []any{json.Number("1.50")}, ""},
		{"jsonb bad number", KindJSONB, []any{json.Number("01")}, nil, "not a valid JSON number"},
		{"jsonb NaN", KindJSONB, []any{nanValue()}, nil, "unsupported"},
		{"jsonb chan", KindJSONB, make(chan int), nil, "unsupported"},
		{"unknown kind", KindUnknown, float64(1), nil, "cannot coerce"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CoerceJSON(tc.kind, tc.in)
			if tc.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSub) {
					t.Fatalf("CoerceJSON(%s, %#v) = %#v, %v; want error containing %q", tc.kind, tc.in, got, err, tc.errSub)
				}
				return
			}
			if err != nil {
				t.Fatalf("CoerceJSON(%s, %#v): %v", tc.kind, tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("CoerceJSON(%s, %#v) = %#v, want %#v", tc.kind, tc.in, got, tc.want)
			}
		})
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

var arrayCases = []struct {
	in     string
	want   []string
	errSub string
}{
	{"{}", []string{}, ""},
	{" { } ", []string{}, ""},
	{"{1,2,3}", []string{"1", "2", "3"}, ""},
	{"{ a , b }", []string{"a", "b"}, ""},
	{"{a b,c}", []string{"a b", "c"}, ""},
	{`{"a,b","c\"d"}`, []string{"a,b", `c"d`}, ""},
	{`{"",x}`, []string{"", "x"}, ""},
	{`{"NULL"}`, []string{"NULL"}, ""},
	{`{\NULL}`, []string{"NULL"}, ""},
	{`{a\,b}`, []string{"a,b"}, ""},
	{`{a\ }`, []string{"a "}, ""},
	{`{"{x}"}`, []string{"{x}"}, ""},
	{"{é,ü}", []string{"é", "ü"}, ""},
	{"", nil, "empty array literal"},
	{"1,2", nil, `must start with "{"`},
	{"[1:2]={1,2}", nil, "dimension"},
	{"[1:2] = {1,2}", nil, "dimension"},
	{`["o1","o2"]`, nil, `is a JSON array: write a PostgreSQL array literal, e.g. {1,2,3} or {"a","b"}`},
	{"[1, 2]", nil, "is a JSON array"},
	{"[]", nil, "is a JSON array"},
	{"{1,2", nil, "not terminated"},
	{"{1,", nil, "not terminated"},
	{"{", nil, "not terminated"},
	{"{1,2}x", nil, "after the end"},
	{"{}x", nil, "after the end"},
	{"{1,,2}", nil, "empty element"},
	{"{,}", nil, "empty element"},
	{"{NULL}", nil, "NULL elements"},
	{"{1,null}", nil, "NULL elements"},
	{"{{1,2},{3,4}}", nil, "nested arrays"},
	{`{"a"b}`, nil, "unexpected"},
	{`{a"b"}`, nil, "unexpected"},
	{`{"abc}`, nil, "unterminated quoted"},
	{`{abc\`, nil, "inside an escape"},
	{`{"abc\`, nil, "inside an escape"},
}

func TestParseArrayLiteral(t *testing.T) {
	for _, tc := range arrayCases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseArrayLiteral(tc.in)
			if tc.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSub) {
					t.Fatalf("ParseArrayLiteral(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.errSub)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseArrayLiteral(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseArrayLiteral(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzParseText checks that ParseText never panics and that a canonical
// result parses to itself.
func FuzzParseText(f *testing.F) {
	for _, tc := range parseTextCases {
		f.Add(int(tc.kind), tc.in)
	}
	f.Fuzz(func(t *testing.T, k int, s string) {
		kind := Kind(k % (int(KindJSONB) + 1))
		if kind < 0 {
			kind = -kind
		}
		got, err := ParseText(kind, s)
		if err != nil {
			return
		}
		var text string
		switch v := got.(type) {
		case json.Number:
			text = string(v)
		case string:
			if kind == KindJSONB {
				return
			}
			text = v
		default:
			return
		}
		again, err := ParseText(kind, text)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("ParseText(%s, %q) = %#v, but its output %q parses to %#v, %v", kind, s, got, text, again, err)
		}
	})
}

// FuzzParseArrayLiteral checks that ParseArrayLiteral never panics and that
// quoting its elements again gives the same elements.
func FuzzParseArrayLiteral(f *testing.F) {
	for _, tc := range arrayCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		elems, err := ParseArrayLiteral(s)
		if err != nil {
			return
		}
		quoted := make([]string, len(elems))
		for i, e := range elems {
			quoted[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(e) + `"`
		}
		lit := "{" + strings.Join(quoted, ",") + "}"
		again, err := ParseArrayLiteral(lit)
		if err != nil || !reflect.DeepEqual(again, elems) {
			t.Fatalf("ParseArrayLiteral(%q) = %q; re-quoted %q parses to %q, %v", s, elems, lit, again, err)
		}
	})
}

// TestJSONBDoubles: a jsonb value holding a double of magnitude 2^53 or
// more (a protobuf Struct number) is refused, naming where it is, not
// rounded to another number; below 2^53 a double is its shortest decimal,
// and a json.Number (JSON decoded exactly) is kept as it is at any size.
func TestJSONBDoubles(t *testing.T) {
	for _, tc := range []struct {
		in      any
		want    any
		wantErr string
	}{
		{map[string]any{"id": float64(9223372036854775807)}, nil, "the jsonb value's .id is 9.223372036854776e+18, a double of magnitude 2^53"},
		{[]any{1.0, map[string]any{"n": -float64(1 << 53)}}, nil, "the jsonb value's [1].n is"},
		{float64(1 << 60), nil, "a jsonb value is"},
		{map[string]any{"id": json.Number("9223372036854775807")}, map[string]any{"id": json.Number("9223372036854775807")}, ""},
		{map[string]any{"id": float64(1<<53 - 1), "x": 0.1}, map[string]any{"id": json.Number("9007199254740991"), "x": json.Number("0.1")}, ""},
	} {
		got, err := CoerceJSON(KindJSONB, tc.in)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%v: got %v, %v; want an error containing %q", tc.in, got, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || !reflect.DeepEqual(got, tc.want)):
			t.Errorf("%v: got %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	// An opaque column's value is only ever tested for NULL: kept.
	if _, err := CoerceJSON(KindOpaque, float64(1<<60)); err != nil {
		t.Errorf("opaque: %v", err)
	}
}

// TestNormalizeKeepsGivenString checks that a text Normalize leaves as it
// is comes back as the value given, not boxed again, and that one it
// changes (padding trimmed, folded) still comes back changed.
func TestNormalizeKeepsGivenString(t *testing.T) {
	plain := Type{Kind: KindText}
	v := any("Hello")
	if n := testing.AllocsPerRun(100, func() {
		if out, err := Normalize(plain, v, true); err != nil || out != "Hello" {
			t.Fatalf("Normalize: %v, %v", out, err)
		}
	}); n != 0 {
		t.Fatalf("Normalize of a text it keeps: %v allocations, want 0", n)
	}
	for _, c := range []struct {
		t        Type
		in, want string
		fold     bool
	}{
		{Type{Kind: KindText, PadSpace: true}, "ab  ", "ab", false},
		{Type{Kind: KindText, Fold: true}, "AbC", "abc", true},
		{Type{Kind: KindText, Fold: true}, "AbC", "AbC", false},
	} {
		if out, err := Normalize(c.t, any(c.in), c.fold); err != nil || out != c.want {
			t.Fatalf("Normalize(%q): %v, %v; want %q", c.in, out, err, c.want)
		}
	}
}
