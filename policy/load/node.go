package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Reading files and walking their nodes. JSON files are parsed with
// encoding/json and turned into yaml.Nodes with line numbers, so one walker
// serves both formats (go.yaml.in/yaml/v3 is not a faithful JSON parser).

// readFile reads a file of the policy set. found is false when the file does
// not exist; other I/O errors stop the load.
func (ld *loader) readFile(name string, external bool) (data []byte, found bool) {
	var err error
	if external {
		data, err = os.ReadFile(name)
	} else {
		data, err = fs.ReadFile(ld.fsys, name)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		if ld.err == nil {
			ld.err = fmt.Errorf("load: read %s: %w", name, err)
		}
		return nil, false
	}
	if external {
		// The --schema file, wherever it is and however its path is
		// written: hashed under the name it takes in a bundle, so the
		// revision depends on what the files say, not on the command
		// line (a bundle of the same files reports the same revision).
		name = SchemaFile
	}
	ld.files[name] = data
	return data, true
}

// parseFile reads and parses a YAML or JSON file. It returns nil for a
// missing file (reported at l), a syntax error (reported) or an empty
// document; ok says whether the file was read and parsed.
func (ld *loader) parseFile(name string, external bool, l loc, n *yaml.Node, what string) (*yaml.Node, bool) {
	data, found := ld.readFile(name, external)
	if !found {
		if ld.err == nil {
			ld.problemf(l, n, "%s %s does not exist", what, name)
		}
		return nil, false
	}
	var root *yaml.Node
	var err error
	if strings.EqualFold(path.Ext(name), ".json") {
		root, err = jsonNode(data)
	} else {
		var doc yaml.Node
		err = yaml.Unmarshal(data, &doc)
		root = deref(&doc)
	}
	if err != nil {
		line := 0
		if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		ld.problems = append(ld.problems, Problem{
			Source:  loc{file: name}.source(),
			Line:    line,
			Message: "syntax error: " + strings.TrimPrefix(err.Error(), "yaml: "),
		})
		return nil, false
	}
	if root != nil && root.Kind == 0 {
		root = nil
	}
	return root, true
}

var lineRE = regexp.MustCompile(`line (\d+)`)

// deref follows document and alias nodes.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < 8; i++ {
		switch n.Kind {
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		case yaml.AliasNode:
			n = n.Alias
		default:
			return n
		}
	}
	return n
}

// field is one key of a mapping.
type field struct {
	key     string
	keyNode *yaml.Node
	val     *yaml.Node
}

// fields returns the keys of a mapping in order, reporting a node that is
// not a mapping and duplicate keys.
func (ld *loader) fields(n *yaml.Node, l loc, what string) ([]field, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		ld.problemf(l, n, "%s must be an object, got %s", what, describe(n))
		return nil, false
	}
	out := make([]field, 0, len(n.Content)/2)
	seen := make(map[string]bool, len(n.Content)/2)
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			ld.problemf(l, n.Content[i], "%s has a key that is not a string", what)
			ok = false
			continue
		}
		if seen[k.Value] {
			ld.problemf(l.key(k.Value), k, "duplicate key %q", k.Value)
			ok = false
			continue
		}
		seen[k.Value] = true
		out = append(out, field{key: k.Value, keyNode: k, val: n.Content[i+1]})
	}
	return out, ok
}

// object reads a mapping whose keys must be among known or ignored; it
// returns the known keys' values, leaving out those whose value is null (an
// absent key, as Hasura reads it). Unknown keys are reported.
func (ld *loader) object(n *yaml.Node, l loc, what string, known, ignored []string) (map[string]*yaml.Node, bool) {
	fields, ok := ld.fields(n, l, what)
	if fields == nil && !ok {
		return nil, false
	}
	out := make(map[string]*yaml.Node, len(fields))
	for _, f := range fields {
		switch {
		case contains(known, f.key) && isNull(deref(f.val)):
			// Hasura reads a null as an absent key (the CLI writes
			// check: null, set: null, backend_only: null).
		case contains(known, f.key):
			out[f.key] = f.val
		case contains(ignored, f.key):
		default:
			ld.problemf(l.key(f.key), f.keyNode, "unknown key %q in %s (want one of %s)",
				f.key, what, strings.Join(append(append([]string{}, known...), ignored...), ", "))
			ok = false
		}
	}
	return out, ok
}

// list returns the elements of a sequence; null is an empty list.
func (ld *loader) list(n *yaml.Node, l loc, what string) ([]*yaml.Node, bool) {
	n = deref(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		ld.problemf(l, n, "%s must be a list, got %s", what, describe(n))
		return nil, false
	}
	return n.Content, true
}

// str reads a non-empty scalar as a string.
func (ld *loader) str(n *yaml.Node, l loc, what string) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) || n.Value == "" {
		ld.problemf(l, n, "%s must be a non-empty string, got %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

// strList reads a list of non-empty strings.
func (ld *loader) strList(n *yaml.Node, l loc, what string) ([]string, bool) {
	items, ok := ld.list(n, l, what)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, ok2 := ld.str(it, l.index(i), what+" element")
		ok = ok && ok2
		out = append(out, s)
	}
	return out, ok
}

// boolean reads a YAML or JSON boolean.
func (ld *loader) boolean(n *yaml.Node, l loc, what string) (bool, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		ld.problemf(l, n, "%s must be true or false, got %s", what, describe(n))
		return false, false
	}
	return strings.EqualFold(n.Value, "true"), true
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func isString(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!str"
}

// includePath returns the file named by an include: the Hasura CLI's
// "!include file.yaml" string, or a YAML !include tag.
func includePath(n *yaml.Node) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	if n.Tag == "!include" {
		return strings.TrimSpace(n.Value), true
	}
	if n.Tag == "!!str" {
		if rest, ok := strings.CutPrefix(n.Value, "!include "); ok {
			return strings.TrimSpace(rest), true
		}
	}
	return "", false
}

// describe names the kind of a node for error messages.
func describe(n *yaml.Node) string {
	n = deref(n)
	switch {
	case n == nil || isNull(n):
		return "null"
	case n.Kind == yaml.MappingNode:
		return "an object"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Tag == "!!str":
		return fmt.Sprintf("the string %q", clip(n.Value))
	}
	return strconv.Quote(clip(n.Value))
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// jsonValue converts a node to a JSON value: nil, bool, json.Number,
// string, []any or map[string]any. budget bounds the nodes visited (alias
// expansion can make a small file huge); it is decremented per node.
func jsonValue(n *yaml.Node, budget *int) (any, error) {
	n = deref(n)
	*budget--
	if *budget < 0 {
		return nil, errTooBig
	}
	if n == nil {
		return nil, nil
	}
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := jsonValue(c, budget)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := deref(n.Content[i])
			if k == nil || k.Kind != yaml.ScalarNode {
				return nil, errors.New("object key is not a string")
			}
			if _, dup := out[k.Value]; dup {
				return nil, fmt.Errorf("duplicate key %q", k.Value)
			}
			v, err := jsonValue(n.Content[i+1], budget)
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		return out, nil
	}
	switch n.Tag {
	case "!!null":
		return nil, nil
	case "!!bool":
		return strings.EqualFold(n.Value, "true"), nil
	case "!!int", "!!float":
		if isJSONNumber(n.Value) {
			return json.Number(n.Value), nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("invalid number %q", clip(n.Value))
		}
		switch x := v.(type) {
		case int:
			return json.Number(strconv.Itoa(x)), nil
		case int64:
			return json.Number(strconv.FormatInt(x, 10)), nil
		case uint64:
			return json.Number(strconv.FormatUint(x, 10)), nil
		case float64:
			b, err := json.Marshal(x)
			if err != nil {
				return nil, fmt.Errorf("%s is not a finite number", n.Value)
			}
			return json.Number(b), nil
		}
		return nil, fmt.Errorf("invalid number %q", clip(n.Value))
	}
	// Strings, and plain scalars YAML would read as timestamps or other
	// types, are taken as written.
	return n.Value, nil
}

var errTooBig = errors.New("value is too large")

var jsonNumberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func isJSONNumber(s string) bool { return jsonNumberRE.MatchString(s) }

// maxJSONDepth bounds nesting in JSON files.
const maxJSONDepth = 1000

// jsonNode parses a JSON document into a yaml.Node tree with line numbers.
func jsonNode(data []byte) (*yaml.Node, error) {
	var newlines []int
	for i, c := range data {
		if c == '\n' {
			newlines = append(newlines, i)
		}
	}
	lineOf := func(off int64) int { return sort.SearchInts(newlines, int(off)) + 1 }
	// lineAt skips to the start of the next token.
	lineAt := func(off int64) int {
		for off < int64(len(data)) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
			off++
		}
		return lineOf(off)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var read func(depth int) (*yaml.Node, error)
	read = func(depth int) (*yaml.Node, error) {
		if depth > maxJSONDepth {
			return nil, fmt.Errorf("line %d: nested deeper than %d levels", lineAt(dec.InputOffset()), maxJSONDepth)
		}
		line := lineAt(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		n := &yaml.Node{Kind: yaml.ScalarNode, Line: line}
		switch v := tok.(type) {
		case json.Delim:
			n.Kind, n.Tag = yaml.MappingNode, "!!map"
			if v == '[' {
				n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
			}
			for dec.More() {
				if n.Kind == yaml.MappingNode {
					k, err := read(depth + 1)
					if err != nil {
						return nil, err
					}
					n.Content = append(n.Content, k)
				}
				c, err := read(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, c)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
		case string:
			n.Tag, n.Value, n.Style = "!!str", v, yaml.DoubleQuotedStyle
		case json.Number:
			n.Tag, n.Value = "!!int", string(v)
			if strings.ContainsAny(n.Value, ".eE") {
				n.Tag = "!!float"
			}
		case bool:
			n.Tag, n.Value = "!!bool", strconv.FormatBool(v)
		case nil:
			n.Tag, n.Value = "!!null", "null"
		}
		return n, nil
	}
	root, err := read(0)
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			err = fmt.Errorf("line %d: more than one JSON value", lineAt(dec.InputOffset()))
		}
	}
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("line %d: %v", lineOf(se.Offset-1), se)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("line %d: unexpected end of JSON", len(newlines)+1)
		}
		return nil, err
	}
	return root, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// readFileUntracked reads a file that decides nothing (it is not part of
// the revision). found is false when it does not exist or cannot be read.
func (ld *loader) readFileUntracked(name string) ([]byte, bool) {
	data, err := fs.ReadFile(ld.fsys, name)
	return data, err == nil
}

// elem returns the i-th element of a sequence node, or the node itself when
// it has none: the node to take a list element's line from.
func elem(n *yaml.Node, i int) *yaml.Node {
	if s := deref(n); s != nil && s.Kind == yaml.SequenceNode && i < len(s.Content) {
		return s.Content[i]
	}
	return n
}

// includedItems reads a list that may be an !include, each element of
// which may be an !include too, calling f for each element.
func (ld *loader) includedItems(n *yaml.Node, l loc, what string, f func(*yaml.Node, loc)) {
	if inc, ok := includePath(n); ok {
		file, ok := ld.resolveInclude(l.file, inc, l, n)
		if !ok {
			return
		}
		if n, ok = ld.parseFile(file, false, l, n, "included file"); !ok {
			return
		}
		l = loc{file: file}
	}
	items, _ := ld.list(n, l, what)
	for i, it := range items {
		el := l.index(i)
		if inc, ok := includePath(it); ok {
			file, ok := ld.resolveInclude(l.file, inc, el, it)
			if !ok {
				continue
			}
			if it, ok = ld.parseFile(file, false, el, it, "included file"); !ok || it == nil {
				continue
			}
			el = loc{file: file}
		}
		f(it, el)
	}
}
