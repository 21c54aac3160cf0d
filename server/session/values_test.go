package session

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenpdp/warden/policy/model"
)

func TestSessionValue(t *testing.T) {
	tests := []struct {
		in   any
		want string
		err  string
	}{
		{"42", "42", ""},
		{json.Number("42"), "42", ""},
		{json.Number("1.5e3"), "1.5e3", ""},
		{true, "true", ""},
		{[]any{}, "{}", ""},
		{[]any{json.Number("1"), json.Number("2")}, "{1,2}", ""},
		{[]any{"a", "b c", "", "NULL", "x,y", `q"`, `b\s`, "{", true}, `{a,"b c","","NULL","x,y","q\"","b\\s","{",true}`, ""},
		{nil, "", "null"},
		{map[string]any{}, "", "an object"},
		{[]any{[]any{"a"}}, "", "array element 0 is an array"},
		{[]any{nil}, "", "array element 0 is null"},
	}
	for _, tt := range tests {
		got, err := sessionValue(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("sessionValue(%v) = %q, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("sessionValue(%v) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// The array literal Warden renders parses back, element for element, with
// the parser the policy engine uses.
func TestArrayLiteralRoundTrip(t *testing.T) {
	for _, elems := range [][]string{
		{"1", "2", "3"}, {}, {"a b", "", "NULL", "null", `"`, `\`, "{x}", "a,b", "é", "1'; DROP TABLE t; --"},
	} {
		in := make([]any, len(elems))
		for i, e := range elems {
			in[i] = e
		}
		lit, err := sessionValue(in)
		if err != nil {
			t.Fatal(err)
		}
		back, err := model.ParseArrayLiteral(lit)
		if err != nil {
			t.Fatalf("%s: %v", lit, err)
		}
		if !slices.Equal(back, elems) && !(len(back) == 0 && len(elems) == 0) {
			t.Errorf("%q -> %s -> %q", elems, lit, back)
		}
	}
}

func FuzzArrayLiteralRoundTrip(f *testing.F) {
	for _, s := range []string{"a", "", "NULL", `"\`, "a b,c", "{}"} {
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		lit, err := sessionValue([]any{a, b})
		if err != nil {
			t.Fatal(err)
		}
		back, err := model.ParseArrayLiteral(lit)
		if err != nil {
			t.Fatalf("%q,%q -> %s does not parse: %v", a, b, lit, err)
		}
		if !slices.Equal(back, []string{a, b}) {
			t.Fatalf("%q,%q -> %s -> %q", a, b, lit, back)
		}
	})
}

func TestJSONPath(t *testing.T) {
	doc := map[string]any{
		"a":       map[string]any{"b": "ab", "list": []any{"zero", map[string]any{"c": "one-c"}}},
		"x.y":     "dotted",
		"it's":    "quoted",
		"https:/": map[string]any{"k": "v"},
	}
	tests := []struct{ path, want string }{
		{"$.a.b", "ab"},
		{"a.b", "ab"},
		{"$['x.y']", "dotted"},
		{`$["it's"]`, "quoted"},
		{`$['it\'s']`, "quoted"},
		{"$.a.list[0]", "zero"},
		{"$.a.list[1].c", "one-c"},
		{"$['https:/'].k", "v"},
	}
	for _, tt := range tests {
		p, err := parseJSONPath(tt.path)
		if err != nil {
			t.Errorf("%s: %v", tt.path, err)
			continue
		}
		if got, ok := p.lookup(doc); !ok || got != tt.want {
			t.Errorf("%s = %v, %v; want %q", tt.path, got, ok, tt.want)
		}
	}
	for _, missing := range []string{"$.nope", "$.a.list[5]", "$.a.b.c", "$.a[0]"} {
		p, _ := parseJSONPath(missing)
		if v, ok := p.lookup(doc); ok {
			t.Errorf("%s found %v", missing, v)
		}
	}
	if p, _ := parseJSONPath("$"); len(p.steps) != 0 {
		t.Error("$ is not the root")
	}
	for _, bad := range []string{"$.", "$[", "$['a'", "$[x]", "$[-1]", "$.a..b", "$x"} {
		if _, err := parseJSONPath(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestFreshness(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		cc, exp string
		ttl     time.Duration
		ok      bool
	}{
		{"", "", 0, false},
		{"max-age=60", "", time.Minute, true},
		{"public, max-age=\"120\", must-revalidate", "", 2 * time.Minute, true},
		{"s-maxage=30", "", 30 * time.Second, true},
		{"max-age=10, s-maxage=30", "", 10 * time.Second, true},
		{"no-store", "", 0, true},
		{"no-cache, max-age=60", "", 0, true},
		{"private", now.Add(time.Hour).Format(http.TimeFormat), time.Hour, true},
		{"max-age=5", now.Add(time.Hour).Format(http.TimeFormat), 5 * time.Second, true},
		{"", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"", "0", 0, true},
		{"max-age=-1", "", 0, false},
	}
	for _, tt := range tests {
		ttl, ok := freshness(tt.cc, tt.exp, now)
		if ttl != tt.ttl || ok != tt.ok {
			t.Errorf("freshness(%q, %q) = %s, %v; want %s, %v", tt.cc, tt.exp, ttl, ok, tt.ttl, tt.ok)
		}
	}
}
