package main

import (
	"testing"

	"github.com/wardenpdp/warden/policy/bundle"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/server"
)

// TestBundleSetEvaluator: a policy set served from a bundle is decided by
// the evaluator --evaluator names, as one loaded from a directory is.
func TestBundleSetEvaluator(t *testing.T) {
	b, _, err := bundle.FromDir(t.Context(), "../../../policy/examples/blog", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flag string
		want engine.Evaluator
	}{{"", engine.EvaluatorNative}, {"native", engine.EvaluatorNative}, {"opa", engine.EvaluatorOPA}} {
		cfg := server.DefaultConfig()
		cfg.Evaluator = c.flag
		set, err := setFromBundle(t.Context(), cfg, b, "test bundle", func([]load.Problem) {})
		if err != nil {
			t.Fatalf("--evaluator %q: %v", c.flag, err)
		}
		if set.Evaluator() != c.want {
			t.Errorf("--evaluator %q: the bundle's set decides with %v, want %v", c.flag, set.Evaluator(), c.want)
		}
	}
	cfg := server.DefaultConfig()
	cfg.Evaluator = "wasm"
	if _, err := setFromBundle(t.Context(), cfg, b, "test bundle", func([]load.Problem) {}); err == nil {
		t.Error("--evaluator wasm: a bundle's set was built")
	}
}
