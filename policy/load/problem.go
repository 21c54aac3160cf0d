package load

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
	"go.yaml.in/yaml/v3"
)

// ErrInvalidPolicy is what a *ValidationError unwraps to.
var ErrInvalidPolicy = errors.New("invalid policy set")

// Problem is one thing wrong with the content of a policy set.
type Problem struct {
	// Source is the file (relative to the policy root) and the path inside
	// it, e.g. "select_permissions[role=user].permission.filter._and[0]".
	Source model.Source
	// Line is the 1-based line in Source.File, or 0 when unknown.
	Line int
	// Message says what is wrong.
	Message string
}

// String returns "file:line: path: message", leaving out what is unknown
// ("file: message", "path: message", "message").
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Source.File)
	if p.Source.File != "" && p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	if p.Source.Path != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(p.Source.Path)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found in a policy set, sorted by file
// then path. Dir and FS return it for content problems.
type ValidationError struct{ Problems []Problem }

// Error lists the problems one per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns ErrInvalidPolicy.
func (e *ValidationError) Unwrap() error { return ErrInvalidPolicy }

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Source.File != b.Source.File {
			return a.Source.File < b.Source.File
		}
		if a.Source.Path != b.Source.Path {
			return a.Source.Path < b.Source.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Message < b.Message
	})
}

// loc is where a node sits: a file and the path inside it.
type loc struct {
	file string
	path string
}

// key descends into a mapping key.
func (l loc) key(k string) loc {
	if l.path == "" {
		return loc{l.file, k}
	}
	return loc{l.file, l.path + "." + k}
}

// index descends into a list element by position.
func (l loc) index(i int) loc { return loc{l.file, fmt.Sprintf("%s[%d]", l.path, i)} }

// sel descends into a list element identified by one of its fields.
func (l loc) sel(field, value string) loc {
	return loc{l.file, l.path + "[" + field + "=" + value + "]"}
}

func (l loc) source() model.Source { return model.Source{File: l.file, Path: l.path} }

// problemf records a problem at l; n, if not nil, gives the line.
func (ld *loader) problemf(l loc, n *yaml.Node, format string, args ...any) {
	p := Problem{Source: l.source(), Message: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line = n.Line
	}
	ld.problems = append(ld.problems, p)
}

// consistent runs f, which reads one object of the metadata (a permission, a
// relationship, a table entry): the problems f reports make the object
// inconsistent. Unless the load is strict they are taken out of the load's
// problems into obj, which is recorded, and the rest of the set loads; ok
// says whether f reported nothing.
func (ld *loader) consistent(obj *model.Inconsistency, f func()) (ok bool) {
	n := len(ld.problems)
	f()
	if len(ld.problems) == n {
		return true
	}
	if ld.cfg.strict || ld.err != nil {
		return false
	}
	found := ld.problems[n:]
	sortProblems(found)
	for _, p := range found {
		obj.Reasons = append(obj.Reasons, p.String())
	}
	ld.held = append(ld.held, found...)
	ld.problems = ld.problems[:n]
	ld.inconsistent = append(ld.inconsistent, obj)
	return false
}
