package compile

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

// PatternRegex converts the pattern of a text operator to the Go (RE2)
// regular expression that OPA's regex.match applies: LIKE and ILIKE
// patterns (% and _, backslash escapes) and SIMILAR TO patterns are anchored
// to the whole value; POSIX regular expressions (_regex, _iregex) match
// anywhere, as PostgreSQL's ~ does, with . matching a newline as in
// PostgreSQL. Negative operators use the pattern of
// their positive twin. A pattern RE2 cannot compile (back-references,
// look-around) is an error.
func PatternRegex(op model.Operator, pattern string) (string, error) {
	op, _ = op.Positive()
	var re string
	switch op {
	case model.OpLike:
		re = "(?s)^" + likeToRegex(pattern) + "$"
	case model.OpIlike:
		re = "(?is)^" + likeToRegex(pattern) + "$"
	case model.OpSimilar:
		r, err := similarToRegex(pattern)
		if err != nil {
			return "", err
		}
		re = "(?s)^(?:" + r + ")$"
	case model.OpRegex:
		// PostgreSQL's . matches a newline unless newline-sensitive
		// matching is asked for; RE2's needs (?s).
		re = "(?s)" + pattern
	case model.OpIregex:
		re = "(?is)" + pattern
	case model.OpAncestor, model.OpDescendant:
		// ltree: the path's ancestors, or its descendants, as a pattern
		// on the path's text.
		path, err := model.ParseLtree(pattern)
		if err != nil {
			return "", err
		}
		if op == model.OpAncestor {
			re = model.LtreeAncestorRegex(path)
		} else {
			re = model.LtreeDescendantRegex(path)
		}
	default:
		return "", fmt.Errorf("%s is not a pattern operator", op)
	}
	if _, err := regexp.Compile(re); err != nil {
		return "", fmt.Errorf("%s pattern %q is not supported: %v", op, pattern, err)
	}
	return re, nil
}

func likeToRegex(p string) string {
	var b strings.Builder
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case '\\':
			if i+1 < len(rs) {
				i++
				b.WriteString(regexp.QuoteMeta(string(rs[i])))
			} else {
				b.WriteString(`\\`)
			}
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return b.String()
}

// similarToRegex converts an SQL SIMILAR TO pattern: % and _ are wildcards,
// | * + ? {m,n} ( ) [ ] keep their regex meaning, every other character
// (including . ^ $) is literal.
func similarToRegex(p string) (string, error) {
	var b strings.Builder
	rs := []rune(p)
	inClass := false
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if inClass {
			if r == ']' {
				inClass = false
			}
			if r == '\\' && i+1 < len(rs) {
				i++
				b.WriteString(regexp.QuoteMeta(string(rs[i])))
				continue
			}
			b.WriteRune(r)
			continue
		}
		switch r {
		case '\\':
			if i+1 >= len(rs) {
				return "", fmt.Errorf("_similar pattern %q ends with an escape character", p)
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		case '[':
			inClass = true
			b.WriteRune(r)
		case '|', '*', '+', '?', '{', '}', '(', ')':
			b.WriteRune(r)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if inClass {
		return "", fmt.Errorf("_similar pattern %q has an unclosed bracket", p)
	}
	return b.String(), nil
}
