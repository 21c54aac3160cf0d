package residual

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
)

// compiled compiles p with OPA's strict compiler.
func compiled(t testing.TB, p *model.Policy) *ast.Compiler {
	t.Helper()
	mods, err := compile.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	parsed := map[string]*ast.Module{}
	for _, m := range mods {
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
	return c
}

// partial runs the partial evaluation the engine runs and translates it.
func partial(t testing.TB, c *ast.Compiler, p *model.Policy, tbl *model.Table, query, root string, pats map[string]PatternOrigin) (Expr, error) {
	t.Helper()
	pq, err := rego.New(rego.Query(query), rego.Compiler(c),
		rego.Unknowns([]string{"input.row", "input.new_row", "input.session", "input.tables"}),
		rego.DisableInlining([]string{"data.warden.lib"}),
	).Partial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return Translate(pq.Queries, pq.Support, Source{Policy: p, Table: tbl, Root: root, Patterns: pats})
}
