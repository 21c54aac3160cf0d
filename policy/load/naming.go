package load

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wardenpdp/warden/policy/model"
)

// Hasura's graphql-default naming convention (Data.Text.Casing and
// Hasura.RQL.Types.SourceCustomization of graphql-engine): a table's
// GraphQL identifier is a list of words — its schema's (outside public)
// and its name's, split at underscores (a leading underscore stays on the
// first word), or its custom_name as one word the user wrote — and every
// generated name is words joined: fields camelCase (the first word's
// first letter lowered, unless the user wrote it; every later word's
// raised), types PascalCase (the first word's raised too, unless the
// user wrote it). So articles gives articles, articlesByPk,
// articlesAggregate, articlesStream, insertArticles, insertArticlesOne,
// updateArticles, updateArticlesByPk, updateArticlesMany, deleteArticles,
// deleteArticlesByPk and the type Articles; app.tags gives appTags,
// insertAppTags, ... and AppTags. The source's root field (and type)
// prefix is kept as written and the name after it raised, as is the
// suffix: prefix x_ and suffix _v1 make x_InsertArticles_v1.
//
// Where Hasura versions differ or the rule is not one Warden could check
// against Hasura's source — a name with an empty word (a double or
// trailing underscore), and a custom_name or custom_root_fields name the
// convention would change (one with an underscore or an upper-case first
// letter) — the table's root fields are left undecided.

// nameWord is one word of a GraphQL name identifier; custom: the user
// wrote it (Hasura's CustomName origin), so its first letter is kept.
type nameWord struct {
	text   string
	custom bool
}

// snakeWords splits a name at underscores as Hasura's fromSnake does;
// false when a word is empty.
func snakeWords(s string) ([]nameWord, bool) {
	parts := strings.Split(s, "_")
	if len(parts) > 1 && parts[0] == "" {
		parts = append([]string{"_" + parts[1]}, parts[2:]...)
	}
	out := make([]nameWord, 0, len(parts))
	for _, p := range parts {
		if p == "" || p == "_" {
			return nil, false
		}
		out = append(out, nameWord{text: p})
	}
	return out, true
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// joinWords joins words: the first lowered (camel) or raised (Pascal)
// unless the user wrote it, every later one raised.
func joinWords(ws []nameWord, pascal bool) string {
	var b strings.Builder
	for i, w := range ws {
		switch {
		case i > 0 || pascal && !w.custom:
			b.WriteString(upperFirst(w.text))
		case w.custom:
			b.WriteString(w.text)
		default:
			b.WriteString(lowerFirst(w.text))
		}
	}
	return b.String()
}

// camelFixed says whether the convention leaves a name the user wrote as
// it is in every version of it: one word, its first letter lower-case.
func camelFixed(s string) bool {
	return s != "" && !strings.Contains(s, "_") && lowerFirst(s) == s
}

// graphqlDefaultIdent is a table's GraphQL identifier under
// graphql-default; false when Warden cannot tell it.
func graphqlDefaultIdent(t *model.Table) ([]nameWord, bool) {
	if t.GraphQL != nil && t.GraphQL.CustomName != "" {
		if !camelFixed(t.GraphQL.CustomName) {
			return nil, false
		}
		return []nameWord{{text: t.GraphQL.CustomName, custom: true}}, true
	}
	var out []nameWord
	if t.Name.Schema != "public" {
		ws, ok := snakeWords(t.Name.Schema)
		if !ok {
			return nil, false
		}
		out = ws
	}
	ws, ok := snakeWords(t.Name.Name)
	if !ok {
		return nil, false
	}
	return append(out, ws...), true
}

// rootWords are the words Hasura puts before and after a table's
// identifier for each root field kind (select: none).
var rootWords = map[string][2][]string{
	model.RootSelectByPk:      {nil, {"by", "pk"}},
	model.RootSelectAggregate: {nil, {"aggregate"}},
	model.RootSelectStream:    {nil, {"stream"}},
	// The Relay API's connection (mkRelayConnectionField).
	model.RootSelectConnection: {nil, {"connection"}},
	model.RootInsert:           {{"insert"}, nil},
	model.RootInsertOne:        {{"insert"}, {"one"}},
	model.RootUpdate:           {{"update"}, nil},
	model.RootUpdateByPk:       {{"update"}, {"by", "pk"}},
	model.RootUpdateMany:       {{"update"}, {"many"}},
	model.RootDelete:           {{"delete"}, nil},
	model.RootDeleteByPk:       {{"delete"}, {"by", "pk"}},
}

// graphqlDefaultRootName is the graphql-default name of a table root
// field of a kind.
func graphqlDefaultRootName(kind string, ident []nameWord) string {
	around := rootWords[kind]
	all := make([]nameWord, 0, len(around[0])+len(ident)+len(around[1]))
	for _, x := range around[0] {
		all = append(all, nameWord{text: x})
	}
	all = append(all, ident...)
	for _, x := range around[1] {
		all = append(all, nameWord{text: x})
	}
	return joinWords(all, false)
}

// wrapGraphqlDefault puts the source's prefix and suffix around a root
// field or type name under graphql-default: the prefix as written, the
// name and the suffix with their first letter raised (the name is kept
// as it is when there is no prefix).
func wrapGraphqlDefault(prefix, name, suffix string) string {
	if prefix != "" {
		name = prefix + upperFirst(name)
	}
	return name + upperFirst(suffix)
}

// graphqlDefaultColumns gives every column of a table its GraphQL field
// name under graphql-default, as Hasura's buildTableInfo does
// (Hasura.Table.Cache / RQL.DDL.Schema.Table: a column_config
// custom_name is a CustomName, kept as written; any other column name is
// split at underscores and joined camelCase: user_id gives userId,
// _private_col _privateCol, UserName userName). A reason is returned
// when Warden cannot tell a column's name in every Hasura version that
// has the convention: a custom name the convention could change (older
// versions applied it to custom names too), a column name with an empty
// word or that is no GraphQL name, or two columns on one name (Hasura
// reports the table inconsistent).
func graphqlDefaultColumns(t *model.Table) (map[string]string, string) {
	out := make(map[string]string, len(t.Columns))
	owner := map[string]string{}
	for _, c := range t.Columns {
		name := ""
		if t.GraphQL != nil {
			name = t.GraphQL.ColumnNames[c.Name]
		}
		switch {
		case name != "" && !camelFixed(name):
			return nil, fmt.Sprintf("the custom name %q of column %s", name, c.Name)
		case name == "":
			ws, ok := snakeWords(c.Name)
			if !ok || !model.IsGraphQLName(c.Name) {
				return nil, fmt.Sprintf("column %q", c.Name)
			}
			name = joinWords(ws, false)
		}
		if prev, dup := owner[name]; dup {
			return nil, fmt.Sprintf("columns %s and %s are both named %s", prev, c.Name, name)
		}
		owner[name] = c.Name
		out[c.Name] = name
	}
	return out, ""
}
