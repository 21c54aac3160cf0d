package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// SessionPrefix starts every session variable name.
const SessionPrefix = "x-hasura-"

// Session variable names with a meaning of their own.
const (
	RoleVariable         = "x-hasura-role"
	AllowedRolesVariable = "x-hasura-allowed-roles"
	DefaultRoleVariable  = "x-hasura-default-role"
)

// isSessionVariable reports whether name is x-hasura-*, in any case.
func isSessionVariable(name string) bool {
	return len(name) >= len(SessionPrefix) && strings.EqualFold(name[:len(SessionPrefix)], SessionPrefix)
}

// sessionValue renders a JSON value (decoded with UseNumber) as session
// variable text: strings as they are; numbers and booleans as their JSON
// text; arrays of those as a Postgres array literal, which is how Hasura
// rules read array variables (_in, _nin, _has_keys_*). null, objects and
// nested arrays are refused.
//
// Hasura v2 itself accepts only strings from JWT claims and webhook
// answers; the other forms are a Warden extension that issuers find
// convenient, and rendering them here keeps every consumer on one form.
func sessionValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case []any:
		elems := make([]string, len(x))
		for i, e := range x {
			switch e.(type) {
			case string, json.Number, bool:
				s, _ := sessionValue(e)
				elems[i] = arrayElement(s)
			default:
				return "", fmt.Errorf("array element %d is %s; want a string, number or boolean", i, jsonKind(e))
			}
		}
		return "{" + strings.Join(elems, ",") + "}", nil
	}
	return "", fmt.Errorf("value is %s; want a string, number, boolean or array of those", jsonKind(v))
}

// arrayElement quotes an element of a Postgres array literal when it must
// be: empty, NULL in any case, or containing a delimiter, quote, backslash
// or space. Quoting escapes backslashes and double quotes.
func arrayElement(s string) string {
	if s != "" && !strings.EqualFold(s, "null") && !strings.ContainsAny(s, "{},\"\\ \t\n\r\v\f") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

// sessionVariables turns an object's x-hasura-* members into session
// variables with lower-case names; other members are ignored. Two members
// whose names differ only in case are refused: which one would win is not
// defined.
func sessionVariables(obj map[string]any) (map[string]string, error) {
	vars := make(map[string]string, len(obj))
	for k, v := range obj {
		if !isSessionVariable(k) {
			continue
		}
		name := strings.ToLower(k)
		if _, dup := vars[name]; dup {
			return nil, fmt.Errorf("%s is given twice, in different case", name)
		}
		s, err := sessionValue(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		vars[name] = s
	}
	return vars, nil
}

// decodeObject decodes a JSON object with numbers kept as json.Number.
func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, errors.New("not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	return obj, nil
}
