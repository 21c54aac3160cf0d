package permtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Parse reads one suite file. Every key is known or an error: a misspelt
// expectation ("decison: deny") must not be silently ignored, which would
// make the case pass without testing what it says.
func Parse(file string, data []byte) (*Suite, error) {
	p := parser{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: file, Msg: err.Error()}
	}
	s := &Suite{File: file, Sessions: map[string]*Session{}, Fixtures: map[string][]map[string]any{}, fixtureLines: map[string]int{}}
	if len(doc.Content) == 0 {
		return nil, &Error{File: file, Msg: "empty file: want sessions, fixtures and tests"}
	}
	root := doc.Content[0]
	err := p.fields(root, "the suite", map[string]func(*yaml.Node) error{
		"sessions": func(n *yaml.Node) error { return p.sessions(n, s) },
		"fixtures": func(n *yaml.Node) error { return p.fixtures(n, s) },
		"tests":    func(n *yaml.Node) error { return p.cases(n, s) },
	})
	if err != nil {
		return nil, err
	}
	if len(s.Cases) == 0 {
		return nil, p.errf(root, "no tests: a suite without tests tests nothing")
	}
	for _, c := range s.Cases {
		if _, ok := s.Sessions[c.Session]; !ok {
			return nil, p.errf2(c.Line, "test %q: session %q is not defined under sessions (defined: %s)", c.Name, c.Session, strings.Join(sortedKeys(s.Sessions), ", "))
		}
	}
	return s, nil
}

type parser struct{ file string }

func (p *parser) errf(n *yaml.Node, format string, args ...any) error {
	return &Error{File: p.file, Line: n.Line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) errf2(line int, format string, args ...any) error {
	return &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// fields walks a mapping, calling the handler of each key; an unknown key
// is an error that lists the known ones.
func (p *parser) fields(n *yaml.Node, what string, handlers map[string]func(*yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "%s: want a mapping", what)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		h, ok := handlers[k.Value]
		if !ok {
			return p.errf(k, "%s: unknown key %q (known: %s)", what, k.Value, strings.Join(sortedKeys(handlers), ", "))
		}
		if err := h(v); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) str(n *yaml.Node, what string, dst *string) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return p.errf(n, "%s: want a string", what)
	}
	*dst = n.Value
	return nil
}

func (p *parser) strs(n *yaml.Node, what string, dst *[]string) error {
	if n.Kind != yaml.SequenceNode {
		return p.errf(n, "%s: want a list", what)
	}
	out := []string{}
	for _, e := range n.Content {
		var s string
		if err := p.str(e, what, &s); err != nil {
			return err
		}
		out = append(out, s)
	}
	*dst = out
	return nil
}

func (p *parser) object(n *yaml.Node, what string) (map[string]any, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "%s: want a mapping", what)
	}
	var m map[string]any
	if err := n.Decode(&m); err != nil {
		return nil, p.errf(n, "%s: %v", what, err)
	}
	return plain(m).(map[string]any), nil
}

func (p *parser) sessions(n *yaml.Node, s *Suite) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "sessions: want a mapping from a session's name to its role and variables")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, v := n.Content[i].Value, n.Content[i+1]
		sess := &Session{Name: name, Line: n.Content[i].Line, Variables: map[string]string{}}
		what := "session " + name
		err := p.fields(v, what, map[string]func(*yaml.Node) error{
			"role": func(n *yaml.Node) error { return p.str(n, what+": role", &sess.Role) },
			"variables": func(n *yaml.Node) error {
				m, err := p.object(n, what+": variables")
				if err != nil {
					return err
				}
				for k, v := range m {
					sess.Variables[k] = sessionText(v)
				}
				return nil
			},
			"claims": func(n *yaml.Node) error {
				m, err := p.object(n, what+": claims")
				sess.Claims = m
				return err
			},
			"backend_only": func(n *yaml.Node) error { return n.Decode(&sess.BackendOnly) },
		})
		if err != nil {
			return err
		}
		if sess.Role == "" && sess.Claims == nil {
			if r, ok := sess.Variables["x-hasura-role"]; ok {
				sess.Role = r
			} else {
				return p.errf(v, "%s: no role: give role (and variables), or the claims of a JWT", what)
			}
		}
		if sess.Claims != nil && len(sess.Variables) > 0 {
			return p.errf(v, "%s: give either variables or claims, not both: the claims are the variables", what)
		}
		s.Sessions[name] = sess
	}
	return nil
}

// sessionText is a session variable's text: Hasura's session values are
// strings, and YAML's 1 or true are written as such; a list becomes the
// Postgres array literal {1,2}.
func sessionText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = sessionText(e)
		}
		return "{" + strings.Join(parts, ",") + "}"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func (p *parser) fixtures(n *yaml.Node, s *Suite) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "fixtures: want a mapping from a table to its rows")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		table, v := n.Content[i].Value, n.Content[i+1]
		if v.Kind != yaml.SequenceNode {
			return p.errf(v, "fixtures %s: want a list of rows", table)
		}
		rows := []map[string]any{}
		for _, r := range v.Content {
			m, err := p.object(r, "fixtures "+table+": a row")
			if err != nil {
				return err
			}
			rows = append(rows, m)
		}
		s.Fixtures[table] = rows
		s.fixtureLines[table] = n.Content[i].Line
	}
	return nil
}

var (
	decisions = map[string]bool{"allow": true, "deny": true, "needs_data": true}
	kinds     = map[string]bool{"always_allowed": true, "always_denied": true, "conditional": true}
)

func (p *parser) cases(n *yaml.Node, s *Suite) error {
	if n.Kind != yaml.SequenceNode {
		return p.errf(n, "tests: want a list of tests")
	}
	names := map[string]int{}
	for _, cn := range n.Content {
		c := &Case{File: s.File, Line: cn.Line, Operation: "select"}
		what := fmt.Sprintf("test at line %d", cn.Line)
		err := p.fields(cn, what, map[string]func(*yaml.Node) error{
			"name":      func(n *yaml.Node) error { return p.str(n, what+": name", &c.Name) },
			"session":   func(n *yaml.Node) error { return p.str(n, what+": session", &c.Session) },
			"table":     func(n *yaml.Node) error { return p.str(n, what+": table", &c.Table) },
			"operation": func(n *yaml.Node) error { return p.str(n, what+": operation", &c.Operation) },
			"columns":   func(n *yaml.Node) error { return p.strs(n, what+": columns", &c.Columns) },
			"check":     func(n *yaml.Node) error { return p.check(n, what, c) },
			"filter":    func(n *yaml.Node) error { return p.filter(n, what, c) },
			"presets": func(n *yaml.Node) error {
				m, err := p.object(n, what+": presets")
				c.Presets = m
				return err
			},
			"error": func(n *yaml.Node) error {
				if n.Kind == yaml.MappingNode {
					return p.fields(n, what+": error", map[string]func(*yaml.Node) error{
						"code":    func(n *yaml.Node) error { return p.str(n, what+": error code", &c.Error) },
						"message": func(n *yaml.Node) error { return p.str(n, what+": error message", &c.ErrorMessage) },
					})
				}
				return p.str(n, what+": error", &c.Error)
			},
		})
		if err != nil {
			return err
		}
		switch {
		case c.Name == "":
			return p.errf(cn, "%s: no name", what)
		case c.Session == "":
			return p.errf(cn, "test %q: no session", c.Name)
		case c.Table == "":
			return p.errf(cn, "test %q: no table", c.Name)
		case c.Check == nil && c.Filter == nil && c.Error == "" && c.Presets == nil:
			return p.errf(cn, "test %q: expects nothing: give check, filter, presets or error", c.Name)
		case c.Error != "" && (c.Check != nil || c.Filter != nil || c.Presets != nil):
			return p.errf(cn, "test %q: an error test expects only the error (check, filter and presets come with a successful answer)", c.Name)
		}
		if prev, ok := names[c.Name]; ok {
			return p.errf(cn, "test %q: the name is taken by the test at line %d (names select tests with --run)", c.Name, prev)
		}
		names[c.Name] = cn.Line
		if c.Error != "" {
			c.Error = strings.ToUpper(c.Error)
			if _, ok := codeByName[c.Error]; !ok {
				return p.errf(cn, "test %q: error %q: want a gRPC status code such as FAILED_PRECONDITION, INVALID_ARGUMENT, NOT_FOUND", c.Name, c.Error)
			}
		}
		s.Cases = append(s.Cases, c)
	}
	return nil
}

func (p *parser) check(n *yaml.Node, what string, c *Case) error {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return p.errf(n, "%s: check: want a list of rows with their expected decisions", what)
	}
	c.Check = []*RowExpect{}
	for _, rn := range n.Content {
		r := &RowExpect{Line: rn.Line}
		err := p.fields(rn, what+": check row", map[string]func(*yaml.Node) error{
			"row": func(n *yaml.Node) error {
				if n.Kind != yaml.ScalarNode {
					return p.errf(n, "check row: row: want the id of a fixture row (for a row written out, use values)")
				}
				var v any
				if err := n.Decode(&v); err != nil {
					return p.errf(n, "check row: row: %v", err)
				}
				r.Row = plain(v)
				return nil
			},
			"values": func(n *yaml.Node) error {
				m, err := p.object(n, "check row: values")
				r.Values = m
				return err
			},
			"update": func(n *yaml.Node) error {
				m, err := p.object(n, "check row: update")
				r.Update = m
				return err
			},
			"decision": func(n *yaml.Node) error { return p.str(n, "check row: decision", &r.Decision) },
			"columns":  func(n *yaml.Node) error { return p.strs(n, "check row: columns", &r.Columns) },
			"needs":    func(n *yaml.Node) error { return p.strs(n, "check row: needs", &r.Needs) },
		})
		if err != nil {
			return err
		}
		r.Decision = strings.ToLower(r.Decision)
		switch {
		case (r.Row == nil) == (r.Values == nil):
			return p.errf(rn, "check row: give row (a fixture row's id) or values (a row written out), one of the two")
		case !decisions[r.Decision]:
			return p.errf(rn, "check row: decision %q: want allow, deny or needs_data", r.Decision)
		case r.Needs != nil && r.Decision != "needs_data":
			return p.errf(rn, "check row: needs goes with decision needs_data")
		}
		c.Check = append(c.Check, r)
	}
	return nil
}

func (p *parser) filter(n *yaml.Node, what string, c *Case) error {
	f := &FilterExpect{Line: n.Line}
	err := p.fields(n, what+": filter", map[string]func(*yaml.Node) error{
		"kind": func(n *yaml.Node) error { return p.str(n, "filter: kind", &f.Kind) },
		"rows": func(n *yaml.Node) error {
			if n.Kind != yaml.SequenceNode {
				return p.errf(n, "filter: rows: want the list of the ids of the fixture rows the filter selects ([] for none)")
			}
			var ids []any
			if err := n.Decode(&ids); err != nil {
				return p.errf(n, "filter: rows: %v", err)
			}
			f.Rows, f.HasRows = plain(ids).([]any), true
			return nil
		},
		"columns": func(n *yaml.Node) error { return p.strs(n, "filter: columns", &f.Columns) },
	})
	if err != nil {
		return err
	}
	f.Kind = strings.ToLower(f.Kind)
	if f.Kind != "" && !kinds[f.Kind] {
		return p.errf(n, "filter: kind %q: want always_allowed, always_denied or conditional", f.Kind)
	}
	if f.Kind == "" && !f.HasRows && f.Columns == nil {
		return p.errf(n, "filter: expects nothing: give kind, rows or columns")
	}
	c.Filter = f
	return nil
}

// plain turns what YAML decodes into JSON values: integers into float64
// when they are exact in one and into their decimal text otherwise (as a
// bigint beyond 2^53 must be sent), timestamps into RFC 3339 text.
func plain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = plain(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = plain(e)
		}
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case int:
		if x > 1<<53 || x < -(1<<53) {
			return strconv.Itoa(x)
		}
		return float64(x)
	case uint64:
		return strconv.FormatUint(x, 10)
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
