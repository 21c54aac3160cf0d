package engine

import (
	"errors"
	"strconv"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

// MarkJSONNull replaces the null that path names with model.JSONNull: the
// JSON null of a json or jsonb column, which a JSON document (a protobuf
// Struct, a row file) cannot tell from SQL NULL, so callers list it apart
// (the API's json_nulls). A path is a key of roots ("values",
// "new_values"; "rows" for a list of rows) followed by keys (".meta") and
// list indexes ("[0]"), as the fields of InvalidValueError are named; a
// key is matched against the object's own keys (the longest that fits),
// so a column whose name holds a dot or a bracket is found too. The error
// says why a path names no null value, never quoting a value; whether the
// column is json or jsonb, Check says (model.CoerceJSON).
func MarkJSONNull(roots map[string]any, path string) error {
	var cur any = roots
	rest := path
	first := true
	for {
		switch x := cur.(type) {
		case map[string]any:
			if !first {
				if !strings.HasPrefix(rest, ".") {
					return errors.New("a path continues into an object with .key")
				}
				rest = rest[1:]
			}
			key, ok := longestKey(x, rest)
			if !ok {
				return errors.New("names no value of the row")
			}
			rest = rest[len(key):]
			if rest == "" {
				if first {
					return errors.New("names a whole row, not a column value")
				}
				if x[key] != nil {
					return errors.New("names a value that is not null: state JSON null as null in the row and list its path")
				}
				x[key] = model.JSONNull
				return nil
			}
			cur = x[key]
		case []any:
			if !strings.HasPrefix(rest, "[") {
				return errors.New("a path continues into a list with [index]")
			}
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return errors.New("an index is not closed with ]")
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil || n < 0 || n >= len(x) {
				return errors.New("names no value of the row (index out of range)")
			}
			rest = rest[end+1:]
			if rest == "" {
				return errors.New("names a row, not a column value")
			}
			cur = x[n]
		default:
			return errors.New("names no value of the row")
		}
		first = false
	}
}

// longestKey is the longest key of m that path starts with, followed by
// the path's end, "." or "[".
func longestKey(m map[string]any, path string) (string, bool) {
	best, found := "", false
	for k := range m {
		if !strings.HasPrefix(path, k) || found && len(k) <= len(best) {
			continue
		}
		if r := path[len(k):]; r == "" || r[0] == '.' || r[0] == '[' {
			best, found = k, true
		}
	}
	return best, found
}
