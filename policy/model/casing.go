package model

import "strings"

// Hasura's case conversion of GraphQL names (Data.Text.Casing of
// graphql-engine), for the graphql-default naming convention. GraphQL
// names are ASCII, so only ASCII letters change case, as Haskell's
// T.toUpper and T.toLower change them.

// SnakeToCamel is Hasura's snakeToCamel: the name split at underscores
// (fromSnake: a leading underscore stays on the first word), the first
// word's first letter lowered, every later word's raised, joined; an
// empty word adds nothing. user_id gives userId, _private_col
// _privateCol, addr_2nd addr2nd, UserName userName.
func SnakeToCamel(s string) string {
	words := strings.Split(s, "_")
	if len(words) > 1 && words[0] == "" {
		words = append([]string{"_" + words[1]}, words[2:]...)
	}
	var b strings.Builder
	for i, w := range words {
		if i == 0 {
			b.WriteString(LowerFirst(w))
		} else {
			b.WriteString(UpperFirst(w))
		}
	}
	return b.String()
}

// UpperFirst raises a name's first letter (Hasura's upperFirstChar).
func UpperFirst(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// LowerFirst lowers a name's first letter (Hasura's lowerFirstChar).
func LowerFirst(s string) string {
	if s != "" && s[0] >= 'A' && s[0] <= 'Z' {
		return string(s[0]-'A'+'a') + s[1:]
	}
	return s
}

// IsGraphQLName says whether s is a GraphQL name: /[_A-Za-z][_0-9A-Za-z]*/.
func IsGraphQLName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}
