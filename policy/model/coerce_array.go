package model

import (
	"errors"
	"fmt"
	"strings"
)

// ParseArrayLiteral parses a PostgreSQL one-dimensional array literal such
// as {1,2,3}, {} or {"a,b","c\"d"} into its elements. Elements may be
// double-quoted; a backslash escapes the next character, in or out of
// quotes; whitespace around unquoted elements is dropped. NULL elements,
// nested arrays and dimension decorations ([1:2]={...}) are rejected.
func ParseArrayLiteral(s string) ([]string, error) {
	t := trimSpace(s)
	if t == "" {
		return nil, errors.New(`empty array literal: want {...}, e.g. {1,2,3} or {}`)
	}
	if t[0] == '[' {
		if strings.HasSuffix(t, "]") {
			// ["a","b"]: a JSON array, the usual mistake (a decorated
			// literal, [1:2]={...}, ends with its braces).
			return nil, fmt.Errorf(`array literal %q is a JSON array: write a PostgreSQL array literal, e.g. {1,2,3} or {"a","b"}`, clip(s))
		}
		return nil, errors.New("array dimension decorations ([1:2]={...}) are not supported")
	}
	if t[0] != '{' {
		return nil, fmt.Errorf(`array literal %q must start with "{"`, clip(s))
	}
	i := skipSpace(t, 1)
	if i < len(t) && t[i] == '}' {
		if rest := t[i+1:]; rest != "" {
			return nil, fmt.Errorf("unexpected %q after the end of the array literal", clip(rest))
		}
		return []string{}, nil
	}
	// Room for every element at once (a comma inside quotes only makes
	// more): growing from nothing was three allocations for three.
	out := make([]string, 0, 1+strings.Count(t, ","))
	for {
		i = skipSpace(t, i)
		if i >= len(t) {
			return nil, errors.New(`array literal is not terminated by "}"`)
		}
		var elem string
		var err error
		switch t[i] {
		case '{':
			return nil, errors.New("nested arrays are not supported")
		case '"':
			elem, i, err = quotedElement(t, i+1)
		default:
			elem, i, err = bareElement(t, i)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, elem)
		i = skipSpace(t, i)
		if i >= len(t) {
			return nil, errors.New(`array literal is not terminated by "}"`)
		}
		switch t[i] {
		case ',':
			i++
		case '}':
			if rest := t[i+1:]; rest != "" {
				return nil, fmt.Errorf("unexpected %q after the end of the array literal", clip(rest))
			}
			return out, nil
		default:
			return nil, fmt.Errorf("unexpected %q in array literal at byte %d", t[i], i)
		}
	}
}

func quotedElement(t string, i int) (string, int, error) {
	var b strings.Builder
	for i < len(t) {
		switch c := t[i]; c {
		case '\\':
			if i+1 >= len(t) {
				return "", 0, errors.New("array literal ends inside an escape")
			}
			b.WriteByte(t[i+1])
			i += 2
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, errors.New("unterminated quoted element in array literal")
}

func bareElement(t string, i int) (string, int, error) {
	var b strings.Builder
	keep := 0 // length of b up to the last escaped or non-space byte
	escaped := false
	for i < len(t) {
		c := t[i]
		if c == ',' || c == '}' {
			break
		}
		switch c {
		case '\\':
			if i+1 >= len(t) {
				return "", 0, errors.New("array literal ends inside an escape")
			}
			b.WriteByte(t[i+1])
			keep, escaped = b.Len(), true
			i += 2
			continue
		case '{', '"':
			return "", 0, fmt.Errorf("unexpected %q inside an unquoted array element (quote the element)", c)
		}
		b.WriteByte(c)
		if !isSpace(c) {
			keep = b.Len()
		}
		i++
	}
	elem := b.String()[:keep]
	if elem == "" {
		return "", 0, errors.New("empty element in array literal (quote it as \"\")")
	}
	if !escaped && strings.EqualFold(elem, "null") {
		return "", 0, errors.New("NULL elements are not allowed in an array value")
	}
	return elem, i, nil
}
