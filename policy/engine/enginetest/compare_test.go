package enginetest

import (
	"errors"
	"testing"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/residual"
)

// TestCompareFindsDifferences: the agreement the tests rely on is able to
// fail, on each thing it compares.
func TestCompareFindsDifferences(t *testing.T) {
	base := func() *engine.CheckResult {
		return &engine.CheckResult{Role: "user", Revision: "r", Rows: []engine.RowResult{{
			ID: "1", Decision: engine.Allow, Reason: "role user: filter holds", AllowedColumns: []string{"a", "b"},
		}}}
	}
	if err := Compare(base(), nil, base(), nil); err != nil {
		t.Fatalf("equal results: %v", err)
	}
	changes := map[string]func(*engine.CheckResult){
		"decision": func(r *engine.CheckResult) { r.Rows[0].Decision = engine.Deny },
		"reason":   func(r *engine.CheckResult) { r.Rows[0].Reason = "role user: filter does not hold" },
		"columns":  func(r *engine.CheckResult) { r.Rows[0].AllowedColumns = []string{"a"} },
		"denied":   func(r *engine.CheckResult) { r.Rows[0].DeniedColumns = []string{"c"} },
		"missing":  func(r *engine.CheckResult) { r.Rows[0].MissingData = []string{"a"} },
		"residual": func(r *engine.CheckResult) { r.Rows[0].Residual = residual.True{} },
		"check":    func(r *engine.CheckResult) { r.Rows[0].CheckResidual = residual.False{} },
		"presets":  func(r *engine.CheckResult) { r.Presets = map[string]any{"a": 1} },
		"rows":     func(r *engine.CheckResult) { r.Rows = append(r.Rows, r.Rows[0]) },
	}
	for name, change := range changes {
		other := base()
		change(other)
		if err := Compare(base(), nil, other, nil); err == nil {
			t.Errorf("%s differs, Compare says they agree", name)
		}
	}
	if err := Compare(base(), nil, nil, errors.New("bad")); err == nil {
		t.Error("one failed, Compare says they agree")
	}
	if err := Compare(nil, errors.New("bad a"), nil, errors.New("bad b")); err == nil {
		t.Error("different errors, Compare says they agree")
	}
}
