package model

import (
	"encoding/json"
	"testing"
)

// TestCanonical: the canonical texts of time, bytea, inet, cidr (their
// key's PostgreSQL text) and arrays, and the values each refuses, as
// PostgreSQL's input reads them.
func TestCanonical(t *testing.T) {
	intArr := Type{Declared: "integer[]", Kind: KindText, Canon: CanonArray, Cast: "integer[]", Elem: &Type{Kind: KindInteger, Bits: 32}}
	textArr := Type{Declared: "text[]", Kind: KindText, Canon: CanonArray, Cast: "text[]", Elem: &Type{Kind: KindText}}
	uuidArr := Type{Declared: "uuid[]", Kind: KindText, Canon: CanonArray, Cast: "uuid[]", Elem: &Type{Kind: KindUUID}}
	boolArr := Type{Declared: "boolean[]", Kind: KindText, Canon: CanonArray, Cast: "boolean[]", Elem: &Type{Kind: KindBoolean}}
	tm := Type{Declared: "time", Kind: KindText, Canon: CanonTime, Cast: "time"}
	by := Type{Declared: "bytea", Kind: KindText, Canon: CanonBytea, Cast: "bytea"}
	in := Type{Declared: "inet", Kind: KindText, Canon: CanonInet, Cast: "inet"}
	ci := Type{Declared: "cidr", Kind: KindText, Canon: CanonCidr, Cast: "cidr"}
	lt := Type{Declared: "ltree", Kind: KindText, Canon: CanonLtree, Cast: "ltree"}
	good := []struct {
		t    Type
		in   any
		want string
	}{
		{tm, "10:00", "10:00:00.000000"},
		{tm, " 09:05:07.5 ", "09:05:07.500000"},
		{tm, "23:59:59.9999995", "24:00:00.000000"},
		{tm, "24:00:00", "24:00:00.000000"},
		{tm, "00:00:00.0000004", "00:00:00.000000"},
		{by, `\xDEADbeef`, `\xdeadbeef`},
		{by, `\x`, `\x`},
		{by, `\x de ad`, `\xdead`},
		{in, "10.0.0.1", "10.0.0.1/32"},
		{in, "10.0.0.1/24", "10.0.0.1/24"},
		{in, "2001:DB8:0:0::1", "2001:db8::1/128"},
		{ci, "10.0.0.0/8", "10.0.0.0/8"},
		{lt, "Top.Science_2.a-b", "Top.Science_2.a-b"},
		{lt, "", ""},
		{intArr, "{1, 2,3}", "{1,2,3}"},
		{intArr, "{{1,NULL},{3, null}}", "{{1,NULL},{3,NULL}}"},
		{textArr, `{"NULL",nULL}`, `{"NULL",NULL}`},
		{intArr, "{}", "{}"},
		{intArr, []any{1.0, nil, json.Number("3")}, "{1,NULL,3}"},
		{intArr, []any{[]any{1.0, 2.0}, []any{3.0, 4.0}}, "{{1,2},{3,4}}"},
		{textArr, `{a,"b c","",x\,y}`, `{a,"b c","","x,y"}`},
		{textArr, []any{"null", `q"u`, `b\s`, "é"}, `{"null","q\"u","b\\s",é}`},
		{uuidArr, []any{"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"}, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"},
		{boolArr, "{yes,0}", "{t,f}"},
	}
	for _, tc := range good {
		got, err := CoerceColumn(tc.t, tc.in, false)
		if err == nil {
			// inet and cidr have a key; this is its PostgreSQL text.
			got, err = CanonPG(tc.t, got)
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %v: got %v, %v; want %q", tc.t.Declared, tc.in, got, err, tc.want)
		}
		// Canonical texts are fixed points.
		key, _ := CoerceColumn(tc.t, tc.in, false)
		if again, err := Normalize(tc.t, key, true); err != nil || again != key {
			t.Errorf("%s %v: canonical %v normalises to %v, %v", tc.t.Declared, tc.in, got, again, err)
		}
	}
	bad := []struct {
		t  Type
		in any
	}{
		{tm, "25:00"}, {tm, "24:00:01"}, {tm, "10:60"}, {tm, "10"}, {tm, "10:00:00 PST"}, {tm, "allballs"}, {tm, 10.0},
		{by, "deadbeef"}, {by, `\xabc`}, {by, `\xzz`},
		{in, "10.0.0"}, {in, "fe80::1%eth0"}, {in, "10.0.0.1/33"},
		{ci, "10.0.0.1/8"}, {ci, "10/8"},
		{lt, "a..b"}, {lt, ".a"}, {lt, "a b"}, {lt, "é"}, {lt, " a"},
		{intArr, "{1,x}"}, {intArr, "{2147483648}"}, {intArr, "1,2"}, {intArr, []any{[]any{1.0}, []any{1.0, 2.0}}},
		{intArr, []any{[]any{1.0}, 2.0}}, {intArr, []any{"a"}}, {textArr, []any{1.0}},
	}
	for _, tc := range bad {
		if got, err := CoerceColumn(tc.t, tc.in, false); err == nil {
			t.Errorf("%s %v: got %v, want an error", tc.t.Declared, tc.in, got)
		}
	}
}
