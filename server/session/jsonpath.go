package session

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// jsonPath is a parsed JSONPath of the subset Hasura's claims settings use:
// "$", then ".name", "['name']" / ["name"] and "[index]" steps. Each step is
// a string (an object member) or an int (an array index).
type jsonPath struct {
	src   string
	steps []any
}

func (p jsonPath) String() string { return p.src }

// parseJSONPath parses a path such as "$.hasura.claims", "$['https://x']"
// or "$.roles[0]". The leading "$" may be left out.
func parseJSONPath(src string) (jsonPath, error) {
	p := jsonPath{src: src}
	s := strings.TrimPrefix(strings.TrimSpace(src), "$")
	for s != "" {
		switch s[0] {
		case '.':
			s = s[1:]
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			if end == 0 {
				return p, fmt.Errorf("JSON path %q: empty name after '.'", src)
			}
			p.steps = append(p.steps, s[:end])
			s = s[end:]
		case '[':
			s = s[1:]
			if s != "" && (s[0] == '\'' || s[0] == '"') {
				name, rest, err := quotedName(s)
				if err != nil {
					return p, fmt.Errorf("JSON path %q: %w", src, err)
				}
				if !strings.HasPrefix(rest, "]") {
					return p, fmt.Errorf("JSON path %q: want ']' after a quoted name", src)
				}
				p.steps = append(p.steps, name)
				s = rest[1:]
				continue
			}
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return p, fmt.Errorf("JSON path %q: '[' without ']'", src)
			}
			n, err := strconv.Atoi(s[:end])
			if err != nil || n < 0 {
				return p, fmt.Errorf("JSON path %q: %q is not an array index", src, s[:end])
			}
			p.steps = append(p.steps, n)
			s = s[end+1:]
		default:
			if len(p.steps) == 0 && !strings.HasPrefix(strings.TrimSpace(src), "$") {
				// "a.b" without "$.": read as "$.a.b".
				s = "." + s
				continue
			}
			return p, fmt.Errorf("JSON path %q: unexpected %q", src, s[0])
		}
	}
	return p, nil
}

func quotedName(s string) (name, rest string, err error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == q:
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("unterminated quoted name")
}

// lookup follows the path from v; false when a step is missing.
func (p jsonPath) lookup(v any) (any, bool) {
	for _, step := range p.steps {
		switch st := step.(type) {
		case string:
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = obj[st]; !ok {
				return nil, false
			}
		case int:
			arr, ok := v.([]any)
			if !ok || st >= len(arr) {
				return nil, false
			}
			v = arr[st]
		}
	}
	return v, true
}

// ClaimsPath parses a JSON path of Hasura's claims_namespace_path syntax
// ("$.hasura.claims", "$['https://hasura.io/jwt/claims']") into its steps
// as text, an array index as its decimal digits: the keys of
// PostgreSQL's jsonb #> operator, which reads an array element by them
// too. "$" alone is the top level: no steps.
func ClaimsPath(src string) ([]string, error) {
	p, err := parseJSONPath(src)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(p.steps))
	for i, s := range p.steps {
		switch v := s.(type) {
		case string:
			out[i] = v
		case int:
			out[i] = strconv.Itoa(v)
		}
	}
	return out, nil
}
