package engine

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/wardenpdp/warden/policy/compile"
)

// inlining is what the partial evaluations of one module's permissions keep
// out of inlining.
//
// Filter's partial evaluations (the row, the session and other tables
// unknown) keep out the library and every helper (all): inlined, a helper
// holding an OR multiplies the queries of the rule that reads it, so a rule
// that ANDs n ORs becomes 2^n queries; kept out, it is a support rule that
// residual.Translate turns into one Or node. Every helper function is
// called there with an unknown row, which translates.
//
// Check's NEEDS_DATA partial evaluations know most of the row. A helper
// function called with a related row the request carries must be inlined,
// so that partial evaluation decides it (a support function of a constant
// row does not translate, and the row would need data it has); one called
// with a row that is unknown, or has unknown columns, is kept out like
// Filter's. needsData chooses per request.
type inlining struct {
	all []string
	// always is the library and the helper rules of the root row.
	always []ast.Ref
	funcs  []helperFunc
}

// helperFunc is a helper function and the input path of the rows it is
// called with (see compile.Helper.Row).
type helperFunc struct {
	ref, row ast.Ref
}

func newInlining(m compile.Module) (*inlining, error) {
	lib := "data." + compile.LibPackage
	in := &inlining{all: append([]string{lib}, m.HelperRefs()...), always: []ast.Ref{ast.MustParseRef(lib)}}
	for _, h := range m.Helpers {
		ref, err := ast.ParseRef(m.HelperRef(h))
		if err != nil {
			return nil, fmt.Errorf("helper %s: %w", h.Name, err)
		}
		if h.Row == "" {
			in.always = append(in.always, ref)
			continue
		}
		row, err := ast.ParseRef(h.Row)
		if err != nil {
			return nil, fmt.Errorf("helper %s row %s: %w", h.Name, h.Row, err)
		}
		in.funcs = append(in.funcs, helperFunc{ref: ref, row: row})
	}
	return in, nil
}

// needsData returns what a partial evaluation with unknowns keeps out of
// inlining: the library, the helper rules, and the helper functions whose
// rows overlap an unknown.
func (in *inlining) needsData(unknowns []*ast.Term) []ast.Ref {
	out := in.always[:len(in.always):len(in.always)] // appending copies
	for _, f := range in.funcs {
		for _, u := range unknowns {
			if r, ok := u.Value.(ast.Ref); ok && overlaps(f.row, r) {
				out = append(out, f.ref)
				break
			}
		}
	}
	return out
}

// overlaps says whether one of two input paths is a prefix of the other, a
// variable ([_]) matching any segment: then a row at a is unknown, or has
// unknown columns, when b is unknown.
func overlaps(a, b ast.Ref) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if i > 0 && (isVar(a[i]) || isVar(b[i])) {
			continue
		}
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

func isVar(t *ast.Term) bool {
	_, ok := t.Value.(ast.Var)
	return ok
}
