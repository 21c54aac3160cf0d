package model

import (
	"strings"
)

// maxCastLen bounds the type name Filter's SQL writes after ::.
const maxCastLen = 200

// OpaqueCast returns the type Filter's SQL casts an opaque column's values
// to, written so that it cannot end the cast or add SQL, or "" when the
// declared type is outside the closed grammar below (its comparisons then
// stay load problems):
//
//   - a name, optionally schema-qualified, each part an unquoted
//     identifier (letters, digits, _; written as declared, PostgreSQL
//     folding it) or a quoted one ("My Type", written with its double
//     quotes doubled by QuoteIdentPG), with optional numeric arguments:
//     tsvector, public.mood, "s"."My Type", bit(3), numeric(10, 2);
//   - one of SQL's multi-word built-in type names, keywords in any case
//     and spacing, numeric arguments where SQL takes them: double
//     precision; character varying, char varying, national character
//     [varying], national char [varying], bit varying, each with an
//     optional (n); time(p) and timestamp(p) with or without time zone
//     (the (p) optional); interval with fields (year, month, day, hour,
//     minute, second, year to month, day to hour, day to minute, day to
//     second, hour to minute, hour to second, minute to second), second
//     taking an optional (p);
//
// either followed by any number of []. Keywords are written lower-case
// and single-spaced, arguments as "(n,m)": interval day to second,
// timestamp(3) without time zone, character varying(10)[]. OpaqueCast of
// its own result is that result.
func OpaqueCast(declared string) string {
	toks, ok := castTokens(strings.TrimSpace(declared))
	if !ok || len(toks) == 0 || len(declared) > 4*maxCastLen {
		return ""
	}
	p := castParser{toks: toks}
	var out string
	if kw, ok := p.builtin(); ok {
		out = kw
	} else {
		p.i = 0
		if out, ok = p.name(); !ok {
			return ""
		}
	}
	for p.punct('[') {
		if !p.punct(']') {
			return ""
		}
		out += "[]"
	}
	if p.i != len(p.toks) || len(out) > maxCastLen {
		return ""
	}
	return out
}

// QuoteIdentPG quotes an identifier as PostgreSQL reads a quoted one: in
// double quotes, a double quote doubled. It is the quoting helper of
// every identifier Warden writes into PostgreSQL's SQL; the identifier
// must not be empty or hold NUL (ok false).
func QuoteIdentPG(s string) (string, bool) {
	if s == "" || strings.ContainsRune(s, 0) {
		return "", false
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`, true
}

// castToken is a token of a declared type: a word (an unquoted
// identifier or keyword), a quoted identifier (its text unescaped), a
// number, or one of . ( ) , [ ].
type castToken struct {
	kind byte // 'w' word, 'q' quoted, 'n' number, or the punctuation
	text string
}

// castTokens splits a declared type into tokens; ok is false for any
// other character, an unterminated or empty quoted identifier, or NUL.
func castTokens(s string) ([]castToken, bool) {
	var out []castToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			out = append(out, castToken{kind: 'w', text: s[i:j]})
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j-i > 9 {
				return nil, false
			}
			out = append(out, castToken{kind: 'n', text: s[i:j]})
			i = j
		case c == '"':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, false
				}
				if s[j] == '"' {
					if j+1 < len(s) && s[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					j++
					break
				}
				b.WriteByte(s[j])
				j++
			}
			if b.Len() == 0 || strings.ContainsRune(b.String(), 0) {
				return nil, false
			}
			out = append(out, castToken{kind: 'q', text: b.String()})
			i = j
		case strings.IndexByte(".(),[]", c) >= 0:
			out = append(out, castToken{kind: c})
			i++
		default:
			return nil, false
		}
	}
	return out, true
}

type castParser struct {
	toks []castToken
	i    int
}

// punct consumes punctuation c.
func (p *castParser) punct(c byte) bool {
	if p.i < len(p.toks) && p.toks[p.i].kind == c {
		p.i++
		return true
	}
	return false
}

// keyword consumes the unquoted words kws, in any case.
func (p *castParser) keyword(kws ...string) bool {
	if p.i+len(kws) > len(p.toks) {
		return false
	}
	for k, kw := range kws {
		if t := p.toks[p.i+k]; t.kind != 'w' || !strings.EqualFold(t.text, kw) {
			return false
		}
	}
	p.i += len(kws)
	return true
}

// args consumes optional numeric arguments, at most max of them:
// "(n)" or "(n,m)", "" when there are none; ok is false for a malformed
// list.
func (p *castParser) args(max int) (string, bool) {
	if !p.punct('(') {
		return "", true
	}
	var nums []string
	for {
		if p.i >= len(p.toks) || p.toks[p.i].kind != 'n' || len(nums) == max {
			return "", false
		}
		nums = append(nums, p.toks[p.i].text)
		p.i++
		if p.punct(')') {
			return "(" + strings.Join(nums, ",") + ")", true
		}
		if !p.punct(',') {
			return "", false
		}
	}
}

// intervalFields are the fields an interval type may be restricted to,
// longest first.
var intervalFields = [][]string{
	{"year", "to", "month"}, {"day", "to", "hour"}, {"day", "to", "minute"}, {"day", "to", "second"},
	{"hour", "to", "minute"}, {"hour", "to", "second"}, {"minute", "to", "second"},
	{"year"}, {"month"}, {"day"}, {"hour"}, {"minute"}, {"second"},
}

// builtin parses one of SQL's multi-word built-in type names.
func (p *castParser) builtin() (string, bool) {
	switch {
	case p.keyword("double", "precision"):
		return "double precision", true
	case p.keyword("time"), p.keyword("timestamp"):
		name := strings.ToLower(p.toks[p.i-1].text)
		a, ok := p.args(1)
		if !ok {
			return "", false
		}
		switch {
		case p.keyword("with", "time", "zone"):
			return name + a + " with time zone", true
		case p.keyword("without", "time", "zone"):
			return name + a + " without time zone", true
		}
		return "", false
	case p.keyword("interval"):
		for _, f := range intervalFields {
			if p.keyword(f...) {
				out := "interval " + strings.Join(f, " ")
				if f[len(f)-1] == "second" {
					a, ok := p.args(1)
					if !ok {
						return "", false
					}
					out += a
				}
				return out, true
			}
		}
		return "", false
	}
	for _, kws := range [][]string{
		{"character", "varying"}, {"char", "varying"}, {"bit", "varying"},
		{"national", "character", "varying"}, {"national", "char", "varying"},
		{"national", "character"}, {"national", "char"},
	} {
		if p.keyword(kws...) {
			a, ok := p.args(1)
			if !ok {
				return "", false
			}
			return strings.Join(kws, " ") + a, true
		}
	}
	return "", false
}

// name parses a type name, optionally schema-qualified, with optional
// numeric arguments.
func (p *castParser) name() (string, bool) {
	var parts []string
	for {
		if p.i >= len(p.toks) {
			return "", false
		}
		switch t := p.toks[p.i]; t.kind {
		case 'w':
			parts = append(parts, t.text)
		case 'q':
			q, ok := QuoteIdentPG(t.text)
			if !ok {
				return "", false
			}
			parts = append(parts, q)
		default:
			return "", false
		}
		p.i++
		if len(parts) == 2 || !p.punct('.') {
			break
		}
	}
	a, ok := p.args(2)
	if !ok {
		return "", false
	}
	return strings.Join(parts, ".") + a, true
}
