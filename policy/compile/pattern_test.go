package compile

import (
	"regexp"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

func TestPatternRegex(t *testing.T) {
	tests := []struct {
		op      model.Operator
		pattern string
		match   []string
		noMatch []string
	}{
		{model.OpLike, "abc%", []string{"abc", "abcdef", "abc\nx"}, []string{"xabc", "ABC"}},
		{model.OpLike, "a_c", []string{"abc", "a.c"}, []string{"ac", "abbc"}},
		{model.OpLike, `100\%`, []string{"100%"}, []string{"1000", "100"}},
		{model.OpLike, `a\_b`, []string{"a_b"}, []string{"axb"}},
		{model.OpLike, "a.b*", []string{"a.b*"}, []string{"axb", "a.bbb"}},
		{model.OpNlike, "x%", []string{"xy"}, []string{"yx"}},
		{model.OpIlike, "ab%", []string{"ABc", "ab"}, []string{"cab"}},
		{model.OpSimilar, "(a|b)%", []string{"a", "bcd"}, []string{"ca"}},
		{model.OpSimilar, "a.c", []string{"a.c"}, []string{"abc"}},
		{model.OpSimilar, "[0-9]+", []string{"123"}, []string{"12a"}},
		{model.OpRegex, "^[A-Z]", []string{"Abc"}, []string{"abc"}},
		{model.OpRegex, "b", []string{"abc"}, []string{"xyz"}},
		{model.OpIregex, "news", []string{"NEWS today"}, []string{"new"}},
	}
	for _, tc := range tests {
		t.Run(string(tc.op)+" "+tc.pattern, func(t *testing.T) {
			re, err := PatternRegex(tc.op, tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			r := regexp.MustCompile(re)
			for _, s := range tc.match {
				if !r.MatchString(s) {
					t.Errorf("%q (%s) does not match %q", tc.pattern, re, s)
				}
			}
			for _, s := range tc.noMatch {
				if r.MatchString(s) {
					t.Errorf("%q (%s) matches %q", tc.pattern, re, s)
				}
			}
		})
	}
	for _, bad := range []struct {
		op model.Operator
		p  string
	}{{model.OpRegex, `(a)\1`}, {model.OpRegex, `(?=a)`}, {model.OpSimilar, `[ab`}, {model.OpSimilar, `ab\`}, {model.OpEq, "x"}} {
		if _, err := PatternRegex(bad.op, bad.p); err == nil {
			t.Errorf("%s %q: want an error", bad.op, bad.p)
		}
	}
}

func FuzzPatternRegex(f *testing.F) {
	for _, s := range []string{"abc%", `a\_b`, "(a|b)%", "[0-9]+", `\`, "%_%", "^$.*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		for _, op := range []model.Operator{model.OpLike, model.OpIlike, model.OpSimilar, model.OpRegex, model.OpIregex} {
			re, err := PatternRegex(op, p)
			if err != nil {
				continue
			}
			if _, err := regexp.Compile(re); err != nil {
				t.Fatalf("%s %q gave %q which does not compile: %v", op, p, re, err)
			}
		}
		// A LIKE pattern without wildcards or escapes matches exactly itself.
		if !regexp.MustCompile(`[%_\\]`).MatchString(p) {
			re, err := PatternRegex(model.OpLike, p)
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(re).MatchString(p) {
				t.Fatalf("LIKE %q does not match itself", p)
			}
		}
	})
}
