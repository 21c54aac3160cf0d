package residual

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
)

// compiledPolicy is p compiled with OPA's strict compiler, with what the
// engine keeps out of inlining: the library and every module's helpers.
type compiledPolicy struct {
	*ast.Compiler
	noInline []string
}

// compiled compiles p with OPA's strict compiler.
func compiled(t testing.TB, p *model.Policy) compiledPolicy {
	t.Helper()
	mods, err := compile.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	parsed := map[string]*ast.Module{}
	noInline := []string{"data." + compile.LibPackage}
	for _, m := range mods {
		noInline = append(noInline, m.HelperRefs()...)
		pm, err := ast.ParseModuleWithOpts(m.Path, m.Source, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		parsed[m.Path] = pm
	}
	c := ast.NewCompiler().WithStrict(true)
	if c.Compile(parsed); c.Failed() {
		t.Fatal(c.Errors)
	}
	return compiledPolicy{Compiler: c, noInline: noInline}
}

// partial runs the partial evaluation the engine runs and translates it.
func partial(t testing.TB, c compiledPolicy, p *model.Policy, tbl *model.Table, query, root string, pats map[string]PatternOrigin) (Expr, error) {
	t.Helper()
	pq, err := rego.New(rego.Query(query), rego.Compiler(c.Compiler),
		rego.Unknowns([]string{"input.row", "input.new_row", "input.session", "input.tables"}),
		rego.DisableInlining(c.noInline),
	).Partial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return Translate(pq.Queries, pq.Support, Source{Policy: p, Table: tbl, Root: root, Patterns: pats})
}
