package workload

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"google.golang.org/protobuf/proto"

	"github.com/wardenpdp/warden/bench/policygen"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

func builder(t *testing.T) (*Builder, *engine.Set) {
	t.Helper()
	ctx := context.Background()
	spec, err := policygen.Generate(policygen.Config{Tables: 4})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := spec.Write(dir); err != nil {
		t.Fatal(err)
	}
	p, err := load.Dir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	set, err := engine.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBuilder(spec, set, 1)
	if err != nil {
		t.Fatal(err)
	}
	return b, set
}

// TestJoinedRequests: the user's segment and the call's segment decode as
// one request with the whole principal, and the OPA body is valid JSON
// with the user's session.
func TestJoinedRequests(t *testing.T) {
	ctx := context.Background()
	b, _ := builder(t)
	users, err := b.Users(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	one, err := b.CheckOne(ctx, 20, model.Operations...)
	if err != nil {
		t.Fatal(err)
	}
	batch, err := b.CheckBatch(ctx, 2, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range append(one, batch...) {
		req := &wardenv1.CheckRequest{}
		if err := proto.Unmarshal(Join(users, 2, c), req); err != nil {
			t.Fatal(err)
		}
		p := req.GetPrincipal()
		if p.GetRole() != c.Role || p.GetSessionVariables()[policygen.VarUserID] != "3" || len(p.GetSessionVariables()) != 4 {
			t.Fatalf("principal %v, want role %s and user 3's four variables", p, c.Role)
		}
		if len(req.GetRows()) != c.Rows || req.GetTable() != c.Table.String() {
			t.Fatalf("%d rows of %s, want %d of %s", len(req.GetRows()), req.GetTable(), c.Rows, c.Table)
		}
		var doc struct {
			Input struct {
				Session map[string]map[string]any `json:"session"`
				Rows    []any                     `json:"rows"`
				Row     map[string]any            `json:"row"`
			} `json:"input"`
		}
		if err := json.Unmarshal(OPABody(users, 2, c), &doc); err != nil {
			t.Fatalf("OPA body of %s: %v", c.OPA.Path, err)
		}
		if doc.Input.Session["integer"][policygen.VarUserID] != 3.0 {
			t.Fatalf("OPA session %v, want user 3", doc.Input.Session)
		}
		if c.Rows > 1 && len(doc.Input.Rows) != c.Rows || c.Rows == 1 && doc.Input.Row == nil {
			t.Fatalf("OPA body of %s lacks its rows", c.OPA.Path)
		}
	}
	filters, err := b.Filter()
	if err != nil {
		t.Fatal(err)
	}
	if len(filters) != 4*len(policygen.AllRoles()) {
		t.Fatalf("%d filter calls, want one per table and role", len(filters))
	}
	var doc map[string]any
	if err := json.Unmarshal(OPABody(users, 0, filters[0]), &doc); err != nil || doc["query"] == nil {
		t.Fatalf("compile body: %v %v", doc, err)
	}
}

// TestHelpersCompile: the helper modules compile with the emitted Rego
// under OPA's strict compiler. (wardenbench checks their answers against
// Warden's before it measures.)
func TestHelpersCompile(t *testing.T) {
	_, set := builder(t)
	mods := map[string]string{}
	for _, m := range set.Modules() {
		mods[m.Path] = m.Source
	}
	hs := Helpers(set.Policy())
	if len(hs) != 4*4 {
		t.Fatalf("%d helpers, want one per table and operation", len(hs))
	}
	for _, h := range hs {
		mods[h.Path] = h.Source
	}
	c := ast.NewCompiler().WithStrict(true)
	parsed := map[string]*ast.Module{}
	for path, src := range mods {
		m, err := ast.ParseModuleWithOpts(path, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		parsed[path] = m
	}
	if c.Compile(parsed); c.Failed() {
		t.Fatal(c.Errors)
	}
}
